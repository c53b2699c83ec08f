#include "pusher/transport/retry.h"

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

struct Sleeps {
  std::vector<absl::Duration> all;
};

RetryOptions TestOptions(Sleeps* sleeps) {
  RetryOptions o;
  o.max_attempts = 4;
  o.initial_delay = absl::Milliseconds(100);
  o.max_delay = absl::Seconds(5);
  o.sleep = [sleeps](absl::Duration d) { sleeps->all.push_back(d); };
  o.random = [] { return 0.5; };
  return o;
}

TEST(RetryTest, RetriesServerErrorsThenSucceeds) {
  int calls = 0;
  FakeTransport fake([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    ++calls;
    if (calls < 3) return Response(503, "busy");
    return Response(200, "ok");
  });
  Sleeps sleeps;
  RetryTransport retry(&fake, TestOptions(&sleeps));
  HttpRequest req;
  req.url = "http://r/v2/";
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, retry.RoundTrip(req));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(calls, 3);
  // Exponential with jitter 0.5: 50ms, 100ms.
  ASSERT_EQ(sleeps.all.size(), 2u);
  EXPECT_EQ(sleeps.all[0], absl::Milliseconds(50));
  EXPECT_EQ(sleeps.all[1], absl::Milliseconds(100));
}

TEST(RetryTest, HonoursRetryAfter) {
  int calls = 0;
  FakeTransport fake([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    if (++calls == 1) return Response(429, "", {{"Retry-After", "2"}});
    return Response(200);
  });
  Sleeps sleeps;
  RetryTransport retry(&fake, TestOptions(&sleeps));
  HttpRequest req;
  req.url = "http://r/v2/";
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, retry.RoundTrip(req));
  EXPECT_EQ(resp.status, 200);
  ASSERT_EQ(sleeps.all.size(), 1u);
  EXPECT_EQ(sleeps.all[0], absl::Seconds(2));
}

TEST(RetryTest, GivesUpAfterMaxAttemptsWithLastError) {
  FakeTransport fake([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("connection refused");
  });
  Sleeps sleeps;
  RetryTransport retry(&fake, TestOptions(&sleeps));
  HttpRequest req;
  req.url = "http://r/v2/";
  EXPECT_THAT(retry.RoundTrip(req),
              StatusIs(absl::StatusCode::kUnavailable, testing::HasSubstr("refused")));
  EXPECT_EQ(fake.requests().size(), 4u);
  EXPECT_EQ(sleeps.all.size(), 3u);
}

TEST(RetryTest, DoesNotRetryClientErrorsOrNonRetryableRequests) {
  FakeTransport fake404([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    return Response(404);
  });
  Sleeps sleeps;
  RetryTransport retry(&fake404, TestOptions(&sleeps));
  HttpRequest req;
  req.url = "http://r/v2/x";
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, retry.RoundTrip(req));
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(fake404.requests().size(), 1u);

  FakeTransport dropped([&](const Recorded&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("reset");
  });
  RetryTransport retry2(&dropped, TestOptions(&sleeps));
  req.retryable = false;
  EXPECT_THAT(retry2.RoundTrip(req), StatusIs(absl::StatusCode::kUnavailable, testing::_));
  EXPECT_EQ(dropped.requests().size(), 1u);
}

TEST(RetryTest, BackoffIsCapped) {
  Sleeps sleeps;
  RetryOptions o = TestOptions(&sleeps);
  o.random = [] { return 0.999; };
  FakeTransport fake([](const Recorded&) -> absl::StatusOr<HttpResponse> { return Response(200); });
  RetryTransport retry(&fake, o);
  EXPECT_LE(retry.Backoff(20, ""), absl::Seconds(5));
  EXPECT_GE(retry.Backoff(20, ""), absl::Seconds(4));
  // Retry-After is capped by max_delay too.
  EXPECT_EQ(retry.Backoff(1, "3600"), absl::Seconds(5));
}

}  // namespace
}  // namespace pusher
