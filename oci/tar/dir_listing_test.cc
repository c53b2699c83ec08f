#include "oci/tar/dir_listing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class DirListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir d, base::ScopedTempDir::Create("dir-listing-"));
    tmp_.emplace(std::move(d));
    root_.Reset(open(tmp_->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  std::string Path(const std::string& rel) { return absl::StrCat(tmp_->path(), "/", rel); }

  std::optional<base::ScopedTempDir> tmp_;
  base::ScopedFd root_;
};

TEST_F(DirListingTest, ListsEntriesWithoutDotsAndKeepsTheFdUsable) {
  ASSERT_EQ(mkdir(Path("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("d/sub").c_str(), 0755), 0);
  ASSERT_EQ(symlink("sub", Path("d/link").c_str()), 0);
  ASSERT_EQ(close(open(Path("d/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  ASSERT_OK_AND_ASSIGN(DirListing listing, OpenAndListDirAt(root_.get(), "d", O_NOFOLLOW, "d"));
  EXPECT_THAT(listing.names, UnorderedElementsAre("sub", "link", "file"));
  // The descriptor still works for *at() calls after the listing.
  struct stat st;
  ASSERT_EQ(fstatat(listing.fd.get(), "sub", &st, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(unlinkat(listing.fd.get(), "file", 0), 0);
  EXPECT_NE(access(Path("d/file").c_str(), F_OK), 0);
}

TEST_F(DirListingTest, DotListsTheParentItself) {
  ASSERT_EQ(mkdir(Path("e").c_str(), 0755), 0);
  ASSERT_OK_AND_ASSIGN(DirListing listing, OpenAndListDirAt(root_.get(), ".", 0, "/"));
  EXPECT_THAT(listing.names, UnorderedElementsAre("e"));
  ASSERT_OK_AND_ASSIGN(DirListing empty, OpenAndListDirAt(root_.get(), "e", 0, "e"));
  EXPECT_THAT(empty.names, IsEmpty());
}

TEST_F(DirListingTest, NeverFollowsASymlinkWithNoFollow) {
  ASSERT_EQ(mkdir(Path("target").c_str(), 0755), 0);
  ASSERT_EQ(symlink("target", Path("link").c_str()), 0);
  absl::StatusOr<DirListing> refused = OpenAndListDirAt(root_.get(), "link", O_NOFOLLOW, "x/link");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("open `x/link`"));
  // Without O_NOFOLLOW the link is a directory like any other.
  EXPECT_OK(OpenAndListDirAt(root_.get(), "link", 0, "x/link"));
}

TEST_F(DirListingTest, NamesTheDirectoryInErrors) {
  ASSERT_EQ(close(open(Path("file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
  EXPECT_THAT(OpenAndListDirAt(root_.get(), "file", 0, "a/file"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("open `a/file`")));
  EXPECT_THAT(OpenAndListDirAt(root_.get(), "missing", 0, "a/missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("open `a/missing`")));
}

}  // namespace
}  // namespace oci
