// Checks the harness itself: each kind starts, answers /v2/ as documented, and is gone afterwards.
#include "tools/testing/registry/registry_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// GET /v2/ over plain HTTP; returns the status line + headers.
std::string GetV2(const std::string& hostport) {
  std::vector<std::string> parts = absl::StrSplit(hostport, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) return "bad address";
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "refused";
  }
  std::string req = absl::StrCat("GET /v2/ HTTP/1.1\r\nHost: ", hostport,
                                 "\r\nConnection: close\r\n\r\n");
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, n);
  close(fd);
  return resp;
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
  EXPECT_EQ(GetV2(host), "refused");
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
