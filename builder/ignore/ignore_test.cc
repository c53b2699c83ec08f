#include "builder/ignore/ignore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder::ignore {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

PatternMatcher Matcher(const std::vector<std::string>& patterns) {
  absl::StatusOr<PatternMatcher> pm = PatternMatcher::Create(patterns);
  EXPECT_TRUE(pm.ok()) << pm.status();
  return *pm;
}

TEST(CleanPathTest, LikeGo) {
  EXPECT_EQ(CleanPath("./a/"), "a");
  EXPECT_EQ(CleanPath("a//b/../c"), "a/c");
  EXPECT_EQ(CleanPath("/a"), "/a");
  EXPECT_EQ(CleanPath("../a"), "../a");
  EXPECT_EQ(CleanPath("/.."), "/");
  EXPECT_EQ(CleanPath(""), ".");
}

TEST(ReadPatternsTest, CommentsBlanksAndNormalisation) {
  EXPECT_THAT(ReadPatterns("# comment\n\n  /abs/  \n./rel\n!  keep \n dir/\r\n #x\n"),
              ElementsAre("abs", "rel", "!keep", "dir", "#x"));
}

TEST(PatternMatcherTest, GoFilepathMatchSyntax) {
  PatternMatcher pm = Matcher({"*.md", "a?c", "[x-z]*.o", "lit\\*"});
  EXPECT_TRUE(pm.Excluded("README.md"));
  EXPECT_FALSE(pm.Excluded("docs/README.md"));  // `*` does not cross '/'
  EXPECT_TRUE(pm.Excluded("abc"));
  EXPECT_FALSE(pm.Excluded("a/c"));
  EXPECT_TRUE(pm.Excluded("y1.o"));
  EXPECT_FALSE(pm.Excluded("a1.o"));
  EXPECT_TRUE(pm.Excluded("lit*"));
  EXPECT_FALSE(pm.Excluded("litx"));
  EXPECT_TRUE(Matcher({"[^a]b"}).Excluded("xb"));
  EXPECT_FALSE(Matcher({"[^a]b"}).Excluded("ab"));
}

TEST(PatternMatcherTest, DoubleStar) {
  PatternMatcher pm = Matcher({"**/*.go"});
  EXPECT_TRUE(pm.Excluded("main.go"));
  EXPECT_TRUE(pm.Excluded("a/b/c.go"));
  EXPECT_FALSE(pm.Excluded("a/b/c.goo"));
  EXPECT_TRUE(Matcher({"**/node_modules"}).Excluded("node_modules"));
  EXPECT_TRUE(Matcher({"**/node_modules"}).Excluded("web/node_modules/x/y"));
  EXPECT_TRUE(Matcher({"build/**"}).Excluded("build/a/b"));
  EXPECT_TRUE(Matcher({"a/**/b"}).Excluded("a/b"));
  EXPECT_TRUE(Matcher({"a/**/b"}).Excluded("a/x/y/b"));
  EXPECT_TRUE(Matcher({"**"}).Excluded("anything/at/all"));
}

TEST(PatternMatcherTest, ParentDirectoryMatchExcludesChildren) {
  PatternMatcher pm = Matcher({"vendor"});
  EXPECT_TRUE(pm.Excluded("vendor"));
  EXPECT_TRUE(pm.Excluded("vendor/x/y.c"));
  EXPECT_FALSE(pm.Excluded("src/vendor"));
}

TEST(PatternMatcherTest, ExceptionsInOrder) {
  PatternMatcher pm = Matcher({"*.md", "!README.md", "README*"});
  EXPECT_TRUE(pm.Excluded("README.md"));  // the last pattern wins
  EXPECT_TRUE(pm.Excluded("CHANGES.md"));
  PatternMatcher keep = Matcher({"docs", "!docs/keep.txt"});
  EXPECT_TRUE(keep.Excluded("docs/other.txt"));
  EXPECT_FALSE(keep.Excluded("docs/keep.txt"));
  EXPECT_TRUE(keep.HasExceptions());
  EXPECT_TRUE(keep.MayReincludeUnder("docs"));
  EXPECT_FALSE(keep.MayReincludeUnder("src"));
}

TEST(PatternMatcherTest, BadPatterns) {
  EXPECT_THAT(PatternMatcher::Create({"[a-"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("syntax error")));
  EXPECT_THAT(PatternMatcher::Create({"!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("illegal exclusion")));
}

class ContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<base::ScopedTempDir> dir = base::ScopedTempDir::Create("ignore-test-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<base::ScopedTempDir>(std::move(*dir));
  }
  std::string Path(const std::string& rel) { return dir_->path() + "/" + rel; }
  void Write(const std::string& rel, const std::string& data) {
    std::string full = Path(rel);
    for (size_t p = full.find('/', dir_->path().size() + 1); p != std::string::npos;
         p = full.find('/', p + 1)) {
      mkdir(full.substr(0, p).c_str(), 0755);
    }
    std::ofstream(full, std::ios::binary) << data;
  }
  std::vector<std::string> Walk(const std::vector<std::string>& patterns) {
    std::vector<std::string> seen;
    PatternMatcher pm = Matcher(patterns);
    absl::Status s = WalkContext(dir_->path(), pm, [&](const WalkEntry& e) {
      seen.push_back(e.path + (S_ISDIR(e.info.st_mode) ? "/" : ""));
      return absl::OkStatus();
    });
    EXPECT_OK(s);
    return seen;
  }
  std::unique_ptr<base::ScopedTempDir> dir_;
};

TEST_F(ContextTest, WalkIsSortedAndSkipsExcludedDirs) {
  Write("b.txt", "b");
  Write("a/z.txt", "z");
  Write("a/b.md", "m");
  Write("node_modules/x/y.js", "y");
  Write("docs/keep.txt", "k");
  Write("docs/drop.txt", "d");
  ASSERT_EQ(symlink("b.txt", Path("link").c_str()), 0);
  EXPECT_THAT(Walk({"node_modules", "**/*.md", "docs", "!docs/keep.txt"}),
              ElementsAre("a/", "a/z.txt", "b.txt", "docs/keep.txt", "link"));
  EXPECT_THAT(Walk({}), ElementsAre("a/", "a/b.md", "a/z.txt", "b.txt", "docs/", "docs/drop.txt",
                                    "docs/keep.txt", "link", "node_modules/", "node_modules/x/",
                                    "node_modules/x/y.js"));
}

TEST_F(ContextTest, BuildFilesAlwaysReadableAndDockerfileIgnorePrecedence) {
  Write("Dockerfile", "FROM scratch\n");
  Write(".dockerignore", "Dockerfile\n.dockerignore\nsecret\n");
  ASSERT_OK_AND_ASSIGN(BuildFiles bf, LoadBuildFiles(dir_->path(), ""));
  EXPECT_EQ(bf.dockerfile, "FROM scratch\n");  // readable although ignored
  EXPECT_THAT(bf.patterns, ElementsAre("Dockerfile", ".dockerignore", "secret"));
  EXPECT_EQ(bf.ignore_file, Path(".dockerignore"));

  Write("build/app.Dockerfile", "FROM x\n");
  Write("build/app.Dockerfile.dockerignore", "only-this\n");
  ASSERT_OK_AND_ASSIGN(BuildFiles own, LoadBuildFiles(dir_->path(), Path("build/app.Dockerfile")));
  EXPECT_THAT(own.patterns, ElementsAre("only-this"));
  EXPECT_EQ(own.ignore_file, Path("build/app.Dockerfile.dockerignore"));

  EXPECT_THAT(LoadBuildFiles(dir_->path(), Path("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

}  // namespace
}  // namespace builder::ignore
