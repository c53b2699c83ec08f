// Which mount-point skeleton entries are safe over a set of layer dirs, and the skeleton itself.
#include "runner/rootfs/mount_skeleton.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

constexpr unsigned kProc = 1, kDev = 2, kSys = 4, kEtc = 8, kHosts = 16, kHostname = 32,
                   kResolvConf = 64, kAll = 127;
constexpr char kOpaque[] = "user.overlay.opaque";

class MountSkeletonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(base::ScopedTempDir tmp, base::ScopedTempDir::Create("skeleton-test-"));
    tmp_.emplace(std::move(tmp));
  }
  // A layer dir `name` (listed top-most first by the caller).
  std::string Layer(const std::string& name) {
    std::string dir = absl::StrCat(root(), "/", name);
    EXPECT_EQ(mkdir(dir.c_str(), 0755), 0);
    return dir;
  }
  static void Dir(const std::string& path, mode_t mode = 0755) {
    ASSERT_EQ(mkdir(path.c_str(), mode), 0) << path;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }
  static void File(const std::string& path) {
    ASSERT_THAT(base::Env::Default()->WriteFileAtomically(path, "x"), base_testing::IsOk());
  }
  std::string root() const { return tmp_->path(); }
  std::optional<base::ScopedTempDir> tmp_;
};

TEST_F(MountSkeletonTest, EverythingWhenTheImageHasNone) {
  std::string l = Layer("l");
  Dir(l + "/bin");
  EXPECT_EQ(SafeSkeletonEntries({l}, kOpaque), kAll);
}

TEST_F(MountSkeletonTest, DirectoriesMergeOtherKindsAreLeftAlone) {
  std::string top = Layer("top"), bottom = Layer("bottom");
  Dir(bottom + "/proc");
  ASSERT_EQ(symlink("/somewhere", (top + "/dev").c_str()), 0);  // a symlink hides bottom's
  File(top + "/sys");
  EXPECT_EQ(SafeSkeletonEntries({top, bottom}, kOpaque) & (kProc | kDev | kSys), kProc);
}

TEST_F(MountSkeletonTest, EtcOnlyWithTheSameAttributesAndAMissingFile) {
  std::string l = Layer("l");
  Dir(l + "/etc");
  File(l + "/etc/hosts");
  ASSERT_EQ(symlink("../run/resolv.conf", (l + "/etc/resolv.conf").c_str()), 0);
  // hostname is missing: /etc would be copied up anyway; the symlink keeps its path.
  EXPECT_EQ(SafeSkeletonEntries({l}, kOpaque) & ~(kProc | kDev | kSys), kEtc | kHosts | kHostname);
  // Nothing missing: /etc is left exactly as the image has it.
  File(l + "/etc/hostname");
  EXPECT_EQ(SafeSkeletonEntries({l}, kOpaque) & kEtc, 0u);
  // Other attributes than the skeleton's own: never shadowed.
  ASSERT_EQ(unlink((l + "/etc/hostname").c_str()), 0);
  ASSERT_EQ(chmod((l + "/etc").c_str(), 0750), 0);
  EXPECT_EQ(SafeSkeletonEntries({l}, kOpaque) & kEtc, 0u);
}

TEST_F(MountSkeletonTest, FilesAreLookedUpThroughMergedAndOpaqueLayers) {
  std::string top = Layer("top"), mid = Layer("mid"), bottom = Layer("bottom");
  Dir(top + "/etc");
  Dir(bottom + "/etc");
  File(bottom + "/etc/hosts");           // merged through `mid`, which has no /etc
  ASSERT_EQ(symlink("x", (bottom + "/etc/hostname").c_str()), 0);
  EXPECT_EQ(SafeSkeletonEntries({top, mid, bottom}, kOpaque) & (kHosts | kHostname | kResolvConf),
            kHosts | kResolvConf);
  // An opaque /etc on top hides the bottom's files: all three are missing, so all are provided.
  if (setxattr((top + "/etc").c_str(), kOpaque, "y", 1, 0) != 0)
    GTEST_SKIP() << "no user xattrs on this filesystem";
  EXPECT_EQ(SafeSkeletonEntries({top, mid, bottom}, kOpaque) & (kHosts | kHostname | kResolvConf),
            kHosts | kHostname | kResolvConf);
}

TEST_F(MountSkeletonTest, WhiteoutMeansAbsent) {
  if (geteuid() != 0) GTEST_SKIP() << "whiteouts are device nodes: needs root";
  std::string top = Layer("top"), bottom = Layer("bottom");
  ASSERT_EQ(mknod((top + "/proc").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  File(bottom + "/proc");  // deleted by the whiteout above
  EXPECT_EQ(SafeSkeletonEntries({top, bottom}, kOpaque) & kProc, kProc);
}

TEST_F(MountSkeletonTest, SkeletonIsMadeOnceWithItsEntries) {
  std::string cache = root() + "/cache";
  ASSERT_OK_AND_ASSIGN(std::string none, EnsureMountPointSkeleton(cache, 0));
  EXPECT_EQ(none, "");
  ASSERT_OK_AND_ASSIGN(std::string dir, EnsureMountPointSkeleton(cache, kProc | kEtc | kHosts));
  struct stat st;
  ASSERT_EQ(stat((dir + "/proc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(stat((dir + "/etc/hosts").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(stat((dir + "/dev").c_str(), &st), 0);
  EXPECT_NE(stat((dir + "/etc/hostname").c_str(), &st), 0);
  ASSERT_OK_AND_ASSIGN(std::string again, EnsureMountPointSkeleton(cache, kProc | kEtc | kHosts));
  EXPECT_EQ(again, dir);
  // No temp dirs left behind.
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, base::Env::Default()->ListDir(cache));
  EXPECT_EQ(names.size(), 1u);
}

}  // namespace
}  // namespace runner
