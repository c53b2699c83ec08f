#include "base/env.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(EnvTest, WriteAtomicallyThenReadBack) {
  ASSERT_OK_AND_ASSIGN(ScopedTempDir dir, ScopedTempDir::Create());
  Env* env = Env::Default();
  std::string path = dir.path() + "/a/b/file";
  ASSERT_OK(env->CreateDirs(dir.path() + "/a/b"));
  ASSERT_OK(env->WriteFileAtomically(path, "hello", 0600));
  ASSERT_OK_AND_ASSIGN(std::string got, env->ReadFile(path));
  EXPECT_EQ(got, "hello");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp file is left beside it.
  ASSERT_OK_AND_ASSIGN(auto names, env->ListDir(dir.path() + "/a/b"));
  EXPECT_THAT(names, ElementsAre("file"));
}

TEST(EnvTest, MissingFileIsNotFoundAndNamesThePath) {
  EXPECT_THAT(Env::Default()->ReadFile("/nonexistent/slipway"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("`/nonexistent/slipway`")));
}

TEST(EnvTest, RemoveAllRemovesTreeWithoutFollowingLinks) {
  ASSERT_OK_AND_ASSIGN(ScopedTempDir outside, ScopedTempDir::Create());
  ASSERT_OK_AND_ASSIGN(ScopedTempDir dir, ScopedTempDir::Create());
  Env* env = Env::Default();
  ASSERT_OK(env->WriteFileAtomically(outside.path() + "/keep", "x"));
  ASSERT_OK(env->CreateDirs(dir.path() + "/t/sub"));
  ASSERT_EQ(::symlink(outside.path().c_str(), (dir.path() + "/t/link").c_str()), 0);
  ASSERT_OK(env->RemoveAll(dir.path() + "/t"));
  EXPECT_FALSE(env->Exists(dir.path() + "/t"));
  EXPECT_TRUE(env->Exists(outside.path() + "/keep"));
}

TEST(StatusMacrosTest, AnnotateKeepsCode) {
  absl::Status s = Annotate(absl::NotFoundError("gone"), "reading `x`");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, "reading `x`: gone"));
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace base
