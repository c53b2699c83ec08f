#include "runner/sandbox/process.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Strings = std::vector<std::string>;

TEST(CombineCommandTest, EntrypointPlusCmd) {
  auto argv = CombineCommand(Strings{"/ep", "-x"}, Strings{"a", "b"}, std::nullopt, {});
  ASSERT_THAT(argv, IsOk());
  EXPECT_THAT(*argv, ElementsAre("/ep", "-x", "a", "b"));
}

TEST(CombineCommandTest, ArgsReplaceCmdOnly) {
  auto argv = CombineCommand(Strings{"/ep"}, Strings{"a"}, std::nullopt, {"z"});
  ASSERT_THAT(argv, IsOk());
  EXPECT_THAT(*argv, ElementsAre("/ep", "z"));
}

TEST(CombineCommandTest, EntrypointOverrideDropsImageCmd) {
  auto argv = CombineCommand(Strings{"/ep"}, Strings{"a"}, std::string("/other"), {});
  ASSERT_THAT(argv, IsOk());
  EXPECT_THAT(*argv, ElementsAre("/other"));
  argv = CombineCommand(Strings{"/ep"}, Strings{"a"}, std::string("/other"), {"x", "y"});
  ASSERT_THAT(argv, IsOk());
  EXPECT_THAT(*argv, ElementsAre("/other", "x", "y"));
}

TEST(CombineCommandTest, EmptyEntrypointOverrideUsesArgs) {
  auto argv = CombineCommand(Strings{"/ep"}, Strings{"a"}, std::string(""), {"ls", "-l"});
  ASSERT_THAT(argv, IsOk());
  EXPECT_THAT(*argv, ElementsAre("ls", "-l"));
}

TEST(CombineCommandTest, NothingIsAnError) {
  EXPECT_THAT(CombineCommand(std::nullopt, std::nullopt, std::nullopt, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no command")));
  EXPECT_THAT(CombineCommand(Strings{"/ep"}, Strings{"a"}, std::string(""), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no command")));
}

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1001:App:/home/app:/bin/sh\n";
constexpr char kGroup[] = "root:x:0:\nappgrp:x:1001:\nextra:x:2000:app,other\nwheel:x:10:root\n";

TEST(ResolveUserTest, EmptyIsRoot) {
  ASSERT_OK_AND_ASSIGN(ResolvedUser u, ResolveUser("", kPasswd, kGroup));
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/root");
  EXPECT_THAT(u.additional_gids, ElementsAre(0u, 10u));
}

TEST(ResolveUserTest, NameFromPasswdWithSupplementaryGroups) {
  ASSERT_OK_AND_ASSIGN(ResolvedUser u, ResolveUser("app", kPasswd, kGroup));
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.home, "/home/app");
  EXPECT_THAT(u.additional_gids, ElementsAre(1001u, 2000u));
}

TEST(ResolveUserTest, NumericUidNeedNotExist) {
  ASSERT_OK_AND_ASSIGN(ResolvedUser u, ResolveUser("4242", kPasswd, kGroup));
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
}

TEST(ResolveUserTest, NumericUidFoundUsesPasswdGid) {
  ASSERT_OK_AND_ASSIGN(ResolvedUser u, ResolveUser("1000", kPasswd, kGroup));
  EXPECT_EQ(u.gid, 1001u);
}

TEST(ResolveUserTest, ExplicitGroupByNameAndNumber) {
  ASSERT_OK_AND_ASSIGN(ResolvedUser u, ResolveUser("app:extra", kPasswd, kGroup));
  EXPECT_EQ(u.gid, 2000u);
  ASSERT_OK_AND_ASSIGN(u, ResolveUser("5:7", kPasswd, kGroup));
  EXPECT_EQ(u.uid, 5u);
  EXPECT_EQ(u.gid, 7u);
}

TEST(ResolveUserTest, UnknownNamesAreErrors) {
  EXPECT_THAT(ResolveUser("ghost", kPasswd, kGroup),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`ghost`")));
  EXPECT_THAT(ResolveUser("app:nogroup", kPasswd, kGroup),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`nogroup`")));
  EXPECT_THAT(ResolveUser("app", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/etc/passwd")));
}

TEST(BuildEnvTest, DefaultsAndOverrides) {
  Strings env = BuildEnv({"A=1", "B=2"}, {"B=3", "C", "D"}, "box", "/root", {"C=host", "X=y"});
  EXPECT_THAT(env, ElementsAre(std::string("PATH=") + kDefaultPath, "HOSTNAME=box", "A=1", "B=3",
                               "C=host", "HOME=/root"));
}

TEST(BuildEnvTest, ImagePathAndHomeWin) {
  Strings env = BuildEnv({"PATH=/x", "HOME=/h"}, {}, "h", "/root", {});
  EXPECT_THAT(env, ElementsAre("HOSTNAME=h", "PATH=/x", "HOME=/h"));
}

TEST(LookPathTest, SearchesPathInOrder) {
  auto exists = [](const std::string& p, void*) { return p == "/b/tool" || p == "/c/tool"; };
  EXPECT_EQ(LookPath("tool", {"PATH=/a:/b:/c"}, exists, nullptr), "/b/tool");
  EXPECT_EQ(LookPath("missing", {"PATH=/a:/b"}, exists, nullptr), "");
  EXPECT_EQ(LookPath("./rel/tool", {}, exists, nullptr), "./rel/tool");
}

}  // namespace
}  // namespace runner
