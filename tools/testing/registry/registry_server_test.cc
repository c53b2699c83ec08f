// Checks the harness itself: each kind starts, answers /v2/ as documented, and is gone afterwards.
#include "tools/testing/registry/registry_server.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// GET /v2/ over plain HTTP; returns the raw response, or "refused".
std::string GetV2(const std::string& hostport) {
  absl::StatusOr<std::string> resp = RawHttpRequest(hostport, "GET", "/v2/");
  return resp.ok() ? *resp : "refused";
}

TEST(RegistryServerTest, PlainAnswersAndStops) {
  std::string host;
  {
    ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kPlain, {.fault_proxy = true}));
    host = reg->host();
    EXPECT_EQ(reg->scheme(), "http");
    EXPECT_THAT(GetV2(host), StartsWith("HTTP/1.1 200"));
    // Through the proxy, with an injected 503.
    EXPECT_THAT(GetV2(reg->proxy()), StartsWith("HTTP/1.1 200"));
    ASSERT_OK(reg->SetFaults(R"([{"match": "GET /v2/", "action": "status", "status": 503}])"));
    EXPECT_THAT(GetV2(reg->proxy()), StartsWith("HTTP/1.1 503"));
    EXPECT_THAT(GetV2(reg->proxy()), StartsWith("HTTP/1.1 200"));
    ASSERT_OK_AND_ASSIGN(std::string stats, reg->ProxyStats());
    EXPECT_THAT(stats, HasSubstr("\"faults\": 1"));
  }
  EXPECT_THAT(RawHttpRequest(host, "GET", "/v2/"),
              ::base_testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr(host)));
}

TEST(RegistryServerTest, TokenKindChallengesWithBearer) {
  ASSERT_OK_AND_ASSIGN(auto reg, RegistryServer::Start(Kind::kToken));
  std::string resp = GetV2(reg->host());
  EXPECT_THAT(resp, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(resp, HasSubstr("Bearer realm="));
  EXPECT_FALSE(reg->password().empty());
  EXPECT_FALSE(reg->refresh_token().empty());
}

TEST(RegistryServerTest, BasicTlsHasCertsDirAndMirrorHasUpstream) {
  ASSERT_OK_AND_ASSIGN(auto tls, RegistryServer::Start(Kind::kBasicTls));
  EXPECT_EQ(tls->scheme(), "https");
  EXPECT_EQ(access(absl::StrCat(tls->certs_dir(), "/", tls->host(), "/ca.crt").c_str(), R_OK), 0);
  ASSERT_OK_AND_ASSIGN(auto mirror, RegistryServer::Start(Kind::kMirror));
  EXPECT_THAT(GetV2(mirror->host()), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(GetV2(mirror->upstream()), StartsWith("HTTP/1.1 200"));
}

}  // namespace
}  // namespace registry_testing
