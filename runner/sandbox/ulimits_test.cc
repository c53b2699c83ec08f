#include "runner/sandbox/ulimits.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseUlimitTest, SoftOnlySetsBoth) {
  absl::StatusOr<Ulimit> u = ParseUlimit("nofile=1024");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->name, "nofile");
  EXPECT_EQ(u->resource, RLIMIT_NOFILE);
  EXPECT_EQ(u->soft, 1024u);
  EXPECT_EQ(u->hard, 1024u);
}

TEST(ParseUlimitTest, SoftAndHard) {
  absl::StatusOr<Ulimit> u = ParseUlimit("nproc=100:200");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->resource, RLIMIT_NPROC);
  EXPECT_EQ(u->soft, 100u);
  EXPECT_EQ(u->hard, 200u);
}

TEST(ParseUlimitTest, MinusOneIsUnlimited) {
  absl::StatusOr<Ulimit> u = ParseUlimit("core=-1");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->soft, RLIM_INFINITY);
  EXPECT_EQ(u->hard, RLIM_INFINITY);
  u = ParseUlimit("memlock=65536:-1");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->soft, 65536u);
  EXPECT_EQ(u->hard, RLIM_INFINITY);
}

TEST(ParseUlimitTest, EveryDockerNameMapsToItsResource) {
  const std::pair<const char*, int> want[] = {
      {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
      {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  for (const auto& [name, resource] : want) {
    absl::StatusOr<Ulimit> u = ParseUlimit(std::string(name) + "=1");
    ASSERT_THAT(u, IsOk()) << name;
    EXPECT_EQ(u->resource, resource) << name;
  }
}

TEST(ParseUlimitTest, RejectsBadInput) {
  EXPECT_THAT(ParseUlimit("nofile"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--ulimit `nofile`: expected NAME=SOFT[:HARD]")));
  EXPECT_THAT(ParseUlimit("files=10"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown limit `files`")));
  EXPECT_THAT(ParseUlimit("NOFILE=10"),  // names are lower case, as Docker's
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown limit `NOFILE`")));
  EXPECT_THAT(ParseUlimit("nofile=1:2:3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many values")));
  EXPECT_THAT(ParseUlimit("nofile=abc"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("soft limit `abc` is not a whole number or -1")));
  EXPECT_THAT(ParseUlimit("nofile="),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soft limit ``")));
  EXPECT_THAT(ParseUlimit("nofile=10:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hard limit ``")));
  EXPECT_THAT(ParseUlimit("nofile=-2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("soft limit `-2`")));
  EXPECT_THAT(ParseUlimit("nofile=20:10"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the soft limit must not exceed the hard limit: 20 > 10")));
  EXPECT_THAT(ParseUlimit("nofile=-1:10"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-1 (unlimited) > 10")));
}

TEST(ParseUlimitsTest, LaterFlagForTheSameNameWins) {
  absl::StatusOr<std::vector<Ulimit>> u = ParseUlimits({"nofile=10:20", "nproc=5", "nofile=30:40"});
  ASSERT_THAT(u, IsOk());
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].name, "nofile");
  EXPECT_EQ((*u)[0].soft, 30u);
  EXPECT_EQ((*u)[0].hard, 40u);
  EXPECT_EQ((*u)[1].name, "nproc");
  EXPECT_THAT(ParseUlimits({"nofile=1", "bad"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--ulimit `bad`")));
}

TEST(ApplyUlimitsTest, SetsTheLimitInThisProcess) {
  // In a child, so this test process keeps its limits.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    absl::StatusOr<std::vector<Ulimit>> u = ParseUlimits({"nofile=64:128"});
    if (!u.ok() || !ApplyUlimits(*u).ok()) _exit(2);
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    _exit(r.rlim_cur == 64 && r.rlim_max == 128 ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ApplyUlimitsTest, ErrorNamesTheLimit) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Soft above hard is refused by the kernel (EINVAL), whoever asks.
    Ulimit u{"nofile", RLIMIT_NOFILE, 100, 10};
    absl::Status s = ApplyUlimits({u});
    _exit(!s.ok() && s.message().find("--ulimit nofile") != absl::string_view::npos ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace runner
