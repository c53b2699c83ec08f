#include "runner/container/env_file.h"

#include <map>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& key) -> std::optional<std::string> {
    auto it = vars.find(key);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseEnvFileTest, KeyValueLinesAreTakenVerbatim) {
  auto env = ParseEnvFile(
      "app.env", "A=1\nB=two words\nC=\"quoted\"\nD=\nE= padded \nF=x=y\nG=$HOME\n", FakeEnv({}));
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(*env, ElementsAre("A=1", "B=two words", "C=\"quoted\"", "D=", "E= padded ", "F=x=y",
                                "G=$HOME"));
}

TEST(ParseEnvFileTest, CommentsBlankLinesAndLeadingWhitespaceAreSkipped) {
  auto env = ParseEnvFile("app.env", "# a comment\n\n   \n  # indented comment\n\tK=v\nL=#not\n",
                          FakeEnv({}));
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(*env, ElementsAre("K=v", "L=#not"));
}

TEST(ParseEnvFileTest, KeyAloneCopiesFromTheEnvironmentOrIsDropped) {
  auto env = ParseEnvFile("app.env", "HOME\nUNSET\nEMPTY\nX=1",
                          FakeEnv({{"HOME", "/root"}, {"EMPTY", ""}}));
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(*env, ElementsAre("HOME=/root", "EMPTY=", "X=1"));
}

TEST(ParseEnvFileTest, CrlfAndByteOrderMark) {
  auto env = ParseEnvFile("win.env",
                          "\xEF\xBB\xBF"
                          "A=1\r\nB=2\r\n",
                          FakeEnv({}));
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(*env, ElementsAre("A=1", "B=2"));
}

TEST(ParseEnvFileTest, EmptyFile) {
  auto env = ParseEnvFile("e.env", "", FakeEnv({}));
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(*env, IsEmpty());
}

TEST(ParseEnvFileTest, BadLinesNameTheFileAndLine) {
  EXPECT_THAT(ParseEnvFile("app.env", "A=1\nBAD KEY=x\n", FakeEnv({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("app.env:2: variable `BAD KEY` contains whitespace")));
  EXPECT_THAT(ParseEnvFile("app.env", "A=1\n# c\n=value\n", FakeEnv({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("app.env:3: no variable name in `=value`")));
  // A bare key with trailing blanks is a key with whitespace, as in Docker.
  EXPECT_THAT(ParseEnvFile("app.env", "HOME \n", FakeEnv({{"HOME", "/root"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("app.env:1: variable")));
  EXPECT_THAT(ParseEnvFile("app.env", "A=1\nB=\xff\xfe\n", FakeEnv({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("app.env:2: the line is not valid UTF-8")));
}

TEST(ReadEnvFileTest, ReadsThroughEnvAndReportsMissingFiles) {
  absl::StatusOr<base::ScopedTempDir> dir = base::ScopedTempDir::Create();
  ASSERT_THAT(dir, IsOk());
  std::string path = dir->path() + "/x.env";
  ASSERT_THAT(base::Env::Default()->WriteFileAtomically(path, "K=v\nBAD LINE\n"), IsOk());
  EXPECT_THAT(ReadEnvFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr(path + ":2: variable `BAD LINE`")));
  EXPECT_THAT(ReadEnvFile(dir->path() + "/missing.env"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("reading the env file")));
}

}  // namespace
}  // namespace runner
