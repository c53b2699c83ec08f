#include "runner/cgroup/cgroup.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;

TEST(ParseSizeTest, DockerSuffixes) {
  EXPECT_EQ(ParseSize("100").value(), 100);
  EXPECT_EQ(ParseSize("64m").value(), 64LL << 20);
  EXPECT_EQ(ParseSize("1g").value(), 1LL << 30);
  EXPECT_EQ(ParseSize("512K").value(), 512LL << 10);
  EXPECT_EQ(ParseSize("1.5g").value(), 3LL << 29);
  EXPECT_EQ(ParseSize("10mb").value(), 10LL << 20);
  EXPECT_THAT(ParseSize("ten"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ParseSize(""), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(CgroupTest, CreateLimitTrackAndDestroy) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<CgroupManager> manager, DetectCgroupManager());
  Resources r;
  r.memory_bytes = 32 << 20;
  r.pids_limit = 7;
  r.cpus = 0.5;
  std::string id = "cgroup-test-" + std::to_string(getpid());
  ASSERT_OK_AND_ASSIGN(Cgroup cg, manager->Create(id, r));
  ASSERT_FALSE(cg.dirs().empty());
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_THAT(cg.AddProcess(child), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<pid_t> pids, cg.Processes());
  EXPECT_THAT(pids, ::testing::ElementsAre(child));
  EXPECT_FALSE(cg.OomKilled());
  ASSERT_THAT(cg.Destroy(), IsOk());  // kills the child
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (const std::string& dir : cg.dirs()) EXPECT_NE(access(dir.c_str(), F_OK), 0) << dir;
}

}  // namespace
}  // namespace runner
