#include "tools/cli/flags.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/command.h"

namespace cli {
namespace {

using ::testing::ElementsAre;

TEST(FlagSetTest, ParsesLongShortRepeatedAndBool) {
  FlagSet flags;
  std::string file;
  std::vector<std::string> tags;
  bool rm = false;
  int64_t n = 0;
  flags.String("file", 'f', &file);
  flags.Repeated("tag", 't', &tags);
  flags.Bool("rm", 0, &rm);
  flags.Int("pids-limit", 0, &n);
  ASSERT_OK_AND_ASSIGN(auto pos, flags.Parse({"-f", "D", "--tag=a", "-tb", "--rm", "ctx",
                                              "--pids-limit", "5"}));
  EXPECT_EQ(file, "D");
  EXPECT_THAT(tags, ElementsAre("a", "b"));
  EXPECT_TRUE(rm);
  EXPECT_EQ(n, 5);
  EXPECT_THAT(pos, ElementsAre("ctx"));
}

TEST(FlagSetTest, StopAtPositionalKeepsCommandFlags) {
  FlagSet flags;
  bool rm = false;
  flags.Bool("rm", 0, &rm);
  flags.StopAtPositional();
  ASSERT_OK_AND_ASSIGN(auto pos, flags.Parse({"--rm", "img", "ls", "--rm", "-l"}));
  EXPECT_TRUE(rm);
  EXPECT_THAT(pos, ElementsAre("img", "ls", "--rm", "-l"));
}

TEST(FlagSetTest, UnknownFlagIsUsageError) {
  FlagSet flags;
  auto pos = flags.Parse({"--nope"});
  ASSERT_FALSE(pos.ok());
  EXPECT_TRUE(IsUsageError(pos.status()));
  EXPECT_EQ(ReportError("x", pos.status()), kExitUsage);
}

TEST(FlagSetTest, MissingValueIsUsageError) {
  FlagSet flags;
  std::string f;
  flags.String("file", 'f', &f);
  auto pos = flags.Parse({"-f"});
  EXPECT_TRUE(IsUsageError(pos.status()));
}

TEST(ReportErrorTest, MapsCodesToExitStatuses) {
  EXPECT_EQ(ReportError("x", absl::InvalidArgumentError("bad")), kExitUserError);
  EXPECT_EQ(ReportError("x", absl::NotFoundError("gone")), kExitUserError);
  EXPECT_EQ(ReportError("x", absl::InternalError("bug")), kExitInternal);
  EXPECT_EQ(ReportError("x", absl::DataLossError("digest")), kExitInternal);
}

}  // namespace
}  // namespace cli
