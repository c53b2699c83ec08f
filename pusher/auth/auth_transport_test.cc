#include "pusher/auth/auth_transport.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pusher/testing/fake_transport.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::pusher_testing::FakeTransport;
using ::pusher_testing::Recorded;
using ::pusher_testing::Response;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kChallenge[] =
    R"(Bearer realm="http://auth.test/token",service="reg.test",scope="repository:a:pull")";

// A registry at reg.test that wants bearer tokens from auth.test; the token server issues
// "tok-N" (N counting up) and checks Basic credentials when given.
struct BearerWorld {
  int issued = 0;
  std::string want_basic;  // expected Authorization at the token server ("" = anonymous ok)
  int64_t expires_in = 300;
  FakeTransport fake{[this](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    if (absl::StartsWith(r.url, "http://auth.test/token")) {
      if (!want_basic.empty() && r.Header("Authorization") != want_basic &&
          r.method != "POST") {
        return Response(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
      }
      ++issued;
      return Response(200, absl::StrCat(R"({"token":"tok-)", issued, R"(","expires_in":)",
                                        expires_in, "}"));
    }
    if (absl::StartsWith(r.Header("Authorization"), "Bearer tok-")) return Response(200, "ok");
    return Response(401, "", {{"WWW-Authenticate", kChallenge}});
  }};
};

HttpRequest Get(std::string url, std::vector<std::string> scopes = {"repository:a:pull"}) {
  HttpRequest r;
  r.url = std::move(url);
  r.scopes = std::move(scopes);
  return r;
}

TEST(AuthTransportTest, FetchesAnonymousTokenAndCachesIt) {
  BearerWorld world;
  AuthTransport auth(&world.fake, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResponse r1, auth.RoundTrip(Get("http://reg.test/v2/a/tags/list")));
  EXPECT_EQ(r1.status, 200);
  ASSERT_OK_AND_ASSIGN(HttpResponse r2, auth.RoundTrip(Get("http://reg.test/v2/a/manifests/x")));
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(auth.token_fetches(), 1);
  auto reqs = world.fake.requests();
  // 401, token, retry, then the second request goes straight through with the cached token.
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_THAT(reqs[1].url, HasSubstr("service=reg.test"));
  EXPECT_THAT(reqs[1].url, HasSubstr("scope=repository%3Aa%3Apull"));
  EXPECT_EQ(reqs[1].Header("Authorization"), "");
  EXPECT_EQ(reqs[3].Header("Authorization"), "Bearer tok-1");
}

TEST(AuthTransportTest, SendsCredentialsToTokenServerAndScopesSeparately) {
  BearerWorld world;
  world.want_basic = absl::StrCat("Basic ", absl::Base64Escape("alice:s3cret"));
  AuthTransport auth(&world.fake, [](const std::string& host) -> absl::StatusOr<Credential> {
    EXPECT_EQ(host, "reg.test");
    return Credential{"alice", "s3cret", ""};
  });
  ASSERT_OK_AND_ASSIGN(HttpResponse r1, auth.RoundTrip(Get("http://reg.test/v2/a/blobs/x")));
  EXPECT_EQ(r1.status, 200);
  ASSERT_OK_AND_ASSIGN(HttpResponse r2, auth.RoundTrip(Get(
      "http://reg.test/v2/b/blobs/uploads/", {"repository:b:pull,push", "repository:a:pull"})));
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(auth.token_fetches(), 2);
  auto reqs = world.fake.requests();
  EXPECT_THAT(reqs.back().Header("Authorization"), "Bearer tok-2");
  bool saw_push_scope = false;
  for (const auto& r : reqs) {
    if (absl::StrContains(r.url, "scope=repository%3Ab%3Apull%2Cpush")) {
      saw_push_scope = absl::StrContains(r.url, "scope=repository%3Aa%3Apull");
    }
  }
  EXPECT_TRUE(saw_push_scope);
}

TEST(AuthTransportTest, RefetchesExpiredTokens) {
  BearerWorld world;
  world.expires_in = 60;
  absl::Time now = absl::FromUnixSeconds(1000);
  AuthTransport auth(&world.fake, nullptr, [&now] { return now; });
  ASSERT_OK(auth.RoundTrip(Get("http://reg.test/v2/a/x")).status());
  now += absl::Seconds(30);
  ASSERT_OK(auth.RoundTrip(Get("http://reg.test/v2/a/x")).status());
  EXPECT_EQ(auth.token_fetches(), 1);
  now += absl::Seconds(40);  // past expiry (minus slack)
  ASSERT_OK(auth.RoundTrip(Get("http://reg.test/v2/a/x")).status());
  EXPECT_EQ(auth.token_fetches(), 2);
}

TEST(AuthTransportTest, UsesRefreshTokenGrantForIdentityTokens) {
  BearerWorld world;
  AuthTransport auth(&world.fake, [](const std::string&) -> absl::StatusOr<Credential> {
    return Credential{"", "", "refresh-me"};
  });
  ASSERT_OK(auth.RoundTrip(Get("http://reg.test/v2/a/x")).status());
  auto reqs = world.fake.requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_THAT(reqs[1].body, HasSubstr("grant_type=refresh_token"));
  EXPECT_THAT(reqs[1].body, HasSubstr("refresh_token=refresh-me"));
  EXPECT_THAT(reqs[1].body, HasSubstr("scope=repository%3Aa%3Apull"));
}

TEST(AuthTransportTest, BadCredentialsFailWithoutLeakingThem) {
  BearerWorld world;
  world.want_basic = "Basic something-else";
  AuthTransport auth(&world.fake, [](const std::string&) -> absl::StatusOr<Credential> {
    return Credential{"alice", "hunter2-secret", ""};
  });
  absl::StatusOr<HttpResponse> r = auth.RoundTrip(Get("http://reg.test/v2/a/x"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("refused the credentials")));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("hunter2")));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr(absl::Base64Escape("alice:hunter2-secret"))));
}

TEST(AuthTransportTest, AnswersBasicChallenges) {
  const std::string want = absl::StrCat("Basic ", absl::Base64Escape("bob:pw"));
  FakeTransport fake([&](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    if (r.Header("Authorization") == want) return Response(200, "ok");
    return Response(401, "", {{"WWW-Authenticate", R"(Basic realm="Registry")"}});
  });
  AuthTransport auth(&fake, [](const std::string&) -> absl::StatusOr<Credential> {
    return Credential{"bob", "pw", ""};
  });
  ASSERT_OK_AND_ASSIGN(HttpResponse r, auth.RoundTrip(Get("https://reg.test/v2/")));
  EXPECT_EQ(r.status, 200);
  ASSERT_OK_AND_ASSIGN(r, auth.RoundTrip(Get("https://reg.test/v2/a/x")));
  EXPECT_EQ(r.status, 200);
  // 401 + retry, then the known challenge lets the next request authenticate up front.
  EXPECT_EQ(fake.requests().size(), 3u);
}

TEST(AuthTransportTest, AnonymousBasicChallengeReturnsThe401) {
  FakeTransport fake([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    return Response(401, "", {{"WWW-Authenticate", R"(Basic realm="Registry")"}});
  });
  AuthTransport auth(&fake, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResponse r, auth.RoundTrip(Get("https://reg.test/v2/")));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(fake.requests().size(), 1u);
}

TEST(AuthTransportTest, ResendsStreamedBodiesFromTheStart) {
  FakeTransport fake([&](const Recorded& r) -> absl::StatusOr<HttpResponse> {
    if (!r.Header("Authorization").empty()) return Response(201, r.body);
    return Response(401, "", {{"WWW-Authenticate", R"(Basic realm="Registry")"}});
  });
  AuthTransport auth(&fake, [](const std::string&) -> absl::StatusOr<Credential> {
    return Credential{"bob", "pw", ""};
  });
  StringSource body("payload");
  HttpRequest req = Get("https://reg.test/v2/a/blobs/uploads/1");
  req.method = "PUT";
  req.body_source = &body;
  ASSERT_OK_AND_ASSIGN(HttpResponse r, auth.RoundTrip(req));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "payload");
}

}  // namespace
}  // namespace pusher
