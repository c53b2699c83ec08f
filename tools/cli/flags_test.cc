#include "tools/cli/flags.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/command.h"

namespace cli {
namespace {

using ::testing::ElementsAre;
using ::base_testing::StatusIs;

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

TEST(FlagSetTest, GroupedShortBoolFlags) {
  FlagSet flags;
  bool i = false, t = false, d = false;
  std::string name;
  flags.Bool("interactive", 'i', &i);
  flags.Bool("tty", 't', &t);
  flags.Bool("detach", 'd', &d);
  flags.String("name", 'n', &name);
  flags.StopAtPositional();
  ASSERT_OK_AND_ASSIGN(auto pos, flags.Parse({"-it", "img", "-d"}));
  EXPECT_TRUE(i);
  EXPECT_TRUE(t);
  EXPECT_FALSE(d);  // after the image: the command's
  EXPECT_THAT(pos, ElementsAre("img", "-d"));
  // A value flag ends the group: its value is the rest, or the next argument.
  FlagSet more;
  bool a = false, b = false;
  std::string v;
  more.Bool("a", 'a', &a);
  more.Bool("b", 'b', &b);
  more.String("value", 'v', &v);
  ASSERT_OK_AND_ASSIGN(pos, more.Parse({"-abvX"}));
  EXPECT_TRUE(a && b);
  EXPECT_EQ(v, "X");
  ASSERT_OK_AND_ASSIGN(pos, more.Parse({"-av", "Y", "pos"}));
  EXPECT_EQ(v, "Y");
  EXPECT_THAT(pos, ElementsAre("pos"));
  auto bad = more.Parse({"-az"});
  EXPECT_TRUE(IsUsageError(bad.status()));
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("unknown flag: -z"));
  // `-a=false` still sets a boolean's value.
  ASSERT_OK_AND_ASSIGN(pos, more.Parse({"-a=false"}));
  EXPECT_FALSE(a);
}

TEST(FlagSetTest, DashHIsHelpUnlessAFlagOwnsIt) {
  FlagSet plain;
  ASSERT_OK_AND_ASSIGN(auto pos, plain.Parse({"-h"}));
  EXPECT_TRUE(plain.help_requested());
  FlagSet run;
  std::string hostname;
  run.String("hostname", 'h', &hostname);
  ASSERT_OK_AND_ASSIGN(pos, run.Parse({"-h", "web"}));
  EXPECT_FALSE(run.help_requested());
  EXPECT_EQ(hostname, "web");
  ASSERT_OK_AND_ASSIGN(pos, run.Parse({"--help"}));
  EXPECT_TRUE(run.help_requested());
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

TEST(FlagSetTest, ParsePositionalChecksTheCount) {
  FlagSet flags;
  bool json = false;
  flags.Bool("json", 0, &json);
  ASSERT_OK_AND_ASSIGN(auto pos, flags.ParsePositional({"--json", "a"}, 1, 1, "want one REF"));
  EXPECT_THAT(pos, ElementsAre("a"));
  EXPECT_TRUE(json);
  ASSERT_OK_AND_ASSIGN(pos, flags.ParsePositional({"a", "b"}, 1, 2, "want SRC [DEST]"));
  EXPECT_THAT(pos, ElementsAre("a", "b"));
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{}, {"a", "b", "c"}}) {
    FlagSet f;
    absl::StatusOr<std::vector<std::string>> bad = f.ParsePositional(args, 1, 2, "want SRC [DEST]");
    EXPECT_THAT(bad.status(), StatusIs(absl::StatusCode::kInvalidArgument, "want SRC [DEST]"));
    EXPECT_TRUE(IsUsageError(bad.status()));
  }
}

TEST(FlagSetTest, ParsePositionalReportsHelpBeforeCountOrValues) {
  FlagSet flags;
  // --help with too many arguments is still a request for help, not a usage error.
  absl::StatusOr<std::vector<std::string>> pos =
      flags.ParsePositional({"a", "--help", "b", "c"}, 1, 1, "want one REF");
  ASSERT_FALSE(pos.ok());
  EXPECT_TRUE(IsHelpRequest(pos.status()));
  EXPECT_FALSE(IsUsageError(pos.status()));
  // An unknown flag stays a usage error even next to --help.
  FlagSet other;
  EXPECT_TRUE(IsUsageError(other.ParsePositional({"--help", "--nope"}, 0, 1, "x").status()));
}

TEST(ReportErrorTest, HelpRequestPrintsTheVerbsUsageAndSucceeds) {
  static const bool registered =
      RegisterCommand(Command{"help-test-verb", "a verb for this test", "Usage: help-test-verb\n",
                              [](const std::vector<std::string>&) { return kExitOk; }});
  ASSERT_TRUE(registered);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(ReportError("help-test-verb", HelpRequested()), kExitOk);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "Usage: help-test-verb\n");
}

TEST(ReportErrorTest, MapsCodesToExitStatuses) {
  EXPECT_EQ(ReportError("x", absl::InvalidArgumentError("bad")), kExitUserError);
  EXPECT_EQ(ReportError("x", absl::NotFoundError("gone")), kExitUserError);
  EXPECT_EQ(ReportError("x", absl::InternalError("bug")), kExitInternal);
  EXPECT_EQ(ReportError("x", absl::DataLossError("digest")), kExitInternal);
}

}  // namespace
}  // namespace cli
