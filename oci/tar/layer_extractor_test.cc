#include "oci/tar/layer_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/digest.h"
#include "oci/tar/compressor.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

// One tar entry to generate. Tars are built here with libarchive, never checked in.
struct E {
  char type;  // 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' char device, 'p' fifo
  std::string name;
  std::string data;  // file content, or the link target
  mode_t mode = 0;   // 0: 0644 for files, 0755 for dirs
  uid_t uid = 0;
  int64_t mtime = 1000;
  std::map<std::string, std::string> xattrs;
};

std::string BuildTar(const std::vector<E>& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* client, const void* buf, size_t len) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
      },
      nullptr);
  for (const E& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_copy_pathname(ae, e.name.c_str());
    archive_entry_set_mtime(ae, e.mtime, 0);
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.uid);
    for (const auto& [k, v] : e.xattrs) archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
    switch (e.type) {
      case 'f':
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, e.mode ? e.mode : 0644);
        archive_entry_set_size(ae, e.data.size());
        break;
      case 'd':
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, e.mode ? e.mode : 0755);
        break;
      case 'l':
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_perm(ae, 0777);
        archive_entry_copy_symlink(ae, e.data.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_copy_hardlink(ae, e.data.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(ae, AE_IFCHR);
        archive_entry_set_perm(ae, 0666);
        archive_entry_set_rdevmajor(ae, 1);
        archive_entry_set_rdevminor(ae, 3);
        break;
      case 'p':
        archive_entry_set_filetype(ae, AE_IFIFO);
        archive_entry_set_perm(ae, 0644);
        break;
    }
    EXPECT_EQ(archive_write_header(a, ae), ARCHIVE_OK) << e.name << archive_error_string(a);
    if (e.type == 'f' && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string Compress(Compression c, const std::string& data) {
  std::string out;
  auto comp = NewCompressor(c, -1, 2, [&](absl::string_view b) {
    out.append(b.data(), b.size());
    return absl::OkStatus();
  });
  EXPECT_OK((*comp)->Write(data));
  EXPECT_OK((*comp)->Finish());
  return out;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A listing of everything under `dir` (type, mode, size, nlink, content, link target), to prove
// that nothing outside the root changed.
void List(const std::string& dir, const std::string& rel, std::string& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::string p = dir + "/" + n;
    struct stat st;
    lstat(p.c_str(), &st);
    absl::StrAppend(&out, rel, n, " mode=", st.st_mode, " size=", st.st_size, " nlink=", st.st_nlink,
                    " mtime=", st.st_mtime);
    if (S_ISREG(st.st_mode)) absl::StrAppend(&out, " data=", ReadFileOrEmpty(p));
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t len = readlink(p.c_str(), buf, sizeof(buf));
      absl::StrAppend(&out, " -> ", std::string(buf, len > 0 ? len : 0));
    }
    out += "\n";
    if (S_ISDIR(st.st_mode)) List(p, rel + n + "/", out);
  }
}

class ExtractorTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto dir = base::ScopedTempDir::Create("extract-");
    ASSERT_OK(dir.status());
    dir_ = std::make_unique<base::ScopedTempDir>(std::move(*dir));
    root_ = dir_->path() + "/root";
    sentinel_ = dir_->path() + "/sentinel";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(sentinel_.c_str(), 0755), 0);
    std::ofstream(sentinel_ + "/secret") << "do not touch";
    ASSERT_EQ(symlink("/", (sentinel_ + "/to-root").c_str()), 0);
    before_ = Outside();
  }
  void TearDown() override {
    // The invariant of every test: nothing outside the root changed.
    EXPECT_EQ(Outside(), before_);
  }

  // Everything in the test directory except the root, plus a few host paths a bug would touch.
  std::string Outside() {
    std::string out;
    List(sentinel_, "sentinel/", out);
    DIR* d = opendir(dir_->path().c_str());
    while (struct dirent* e = readdir(d)) absl::StrAppend(&out, "top:", e->d_name, "\n");
    closedir(d);
    struct stat st;
    lstat("/etc/passwd", &st);
    absl::StrAppend(&out, "/etc/passwd nlink=", st.st_nlink, " size=", st.st_size, "\n");
    absl::StrAppend(&out, "/etc/x exists=", access("/etc/x", F_OK) == 0, "\n");
    absl::StrAppend(&out, "/abs exists=", access("/abs", F_OK) == 0, "\n");
    return out;
  }

  absl::StatusOr<ExtractStats> Apply(const std::string& bytes, ExtractOptions options = {}) {
    std::string file = dir_->path() + "/layer.bin";
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    base::ScopedFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
    options.resolve_without_openat2 = GetParam();
    auto result = ApplyLayer(fd.get(), root_, options);
    unlink(file.c_str());
    return result;
  }
  absl::StatusOr<ExtractStats> Apply(const std::vector<E>& entries, ExtractOptions options = {}) {
    return Apply(BuildTar(entries), options);
  }

  std::string R(const std::string& rel) { return root_ + "/" + rel; }
  bool Exists(const std::string& rel) {
    struct stat st;
    return lstat(R(rel).c_str(), &st) == 0;
  }
  std::string Link(const std::string& rel) {
    char buf[4096];
    ssize_t n = readlink(R(rel).c_str(), buf, sizeof(buf));
    return n < 0 ? "" : std::string(buf, n);
  }

  std::unique_ptr<base::ScopedTempDir> dir_;
  std::string root_, sentinel_, before_;
};

TEST_P(ExtractorTest, DotDotNamesAreRefused) {
  EXPECT_THAT(Apply({{'f', "../sentinel/pwned", "x"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("climbs out of the root")));
  EXPECT_THAT(Apply({{'f', "../../etc/x", "x"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("../../etc/x")));
  EXPECT_THAT(Apply({{'f', "a/../../sentinel/secret", "x"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("climbs out")));
  // ".." that stays inside is fine.
  ASSERT_OK(Apply({{'f', "a/../b", "inside"}}).status());
  EXPECT_EQ(ReadFileOrEmpty(R("b")), "inside");
}

TEST_P(ExtractorTest, AbsoluteNamesLandInsideTheRoot) {
  ASSERT_OK(Apply({{'f', "/abs/path", "1"}, {'f', sentinel_ + "/pwned", "2"}}).status());
  EXPECT_EQ(ReadFileOrEmpty(R("abs/path")), "1");
  EXPECT_EQ(ReadFileOrEmpty(R(sentinel_.substr(1) + "/pwned")), "2");
}

TEST_P(ExtractorTest, WritesThroughSymlinksStayInside) {
  ASSERT_OK(Apply({{'l', "a", "/"},
                   {'f', "a/etc/x", "through a"},
                   {'l', "s", sentinel_},
                   {'f', "s/pwned", "through s"},
                   {'l', "up", "../sentinel"},
                   {'f', "up/pwned2", "through up"}})
                .status());
  EXPECT_EQ(Link("a"), "/");
  EXPECT_EQ(ReadFileOrEmpty(R("etc/x")), "through a");
  EXPECT_EQ(ReadFileOrEmpty(R(sentinel_.substr(1) + "/pwned")), "through s");
  EXPECT_EQ(ReadFileOrEmpty(R("sentinel/pwned2")), "through up");
}

TEST_P(ExtractorTest, SymlinkChainsStayInside) {
  ASSERT_OK(Apply({{'l', "a", "b"}, {'l', "b", "../.."}, {'f', "a/x", "chained"}}).status());
  EXPECT_EQ(ReadFileOrEmpty(R("x")), "chained");
  EXPECT_EQ(Link("b"), "../..");
  ASSERT_OK(Apply({{'l', "c", "d/../../../sentinel"}, {'d', "d"}, {'f', "c/y", "chained2"}}).status());
  EXPECT_EQ(ReadFileOrEmpty(R("sentinel/y")), "chained2");
}

TEST_P(ExtractorTest, SymlinkLoopIsAnError) {
  absl::Status s = Apply({{'l', "a", "b"}, {'l', "b", "a"}, {'f', "a/x", "loop"}}).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("symbolic links"));
}

TEST_P(ExtractorTest, HardlinksCannotReachOutside) {
  // Through a symlink to the outside: resolved in the root, where there is no such file.
  EXPECT_THAT(Apply({{'l', "s", sentinel_}, {'h', "h", "s/secret"}}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("s/secret")));
  EXPECT_THAT(Apply({{'h', "h2", "/etc/passwd"}}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("etc/passwd")));
  EXPECT_THAT(Apply({{'h', "h3", "../sentinel/secret"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("climbs out of the root")));
  // Links to the outside through a symlink as the *last* component link the symlink itself.
  ASSERT_OK(Apply({{'l', "t", sentinel_ + "/secret"}, {'h', "h4", "t"}}).status());
  EXPECT_EQ(Link("h4"), sentinel_ + "/secret");
}

TEST_P(ExtractorTest, HardlinksInsideWorkButNotToDirectories) {
  ASSERT_OK(Apply({{'f', "etc/passwd", "root:x:0:0"}, {'h', "etc/passwd-", "/etc/passwd"}}).status());
  struct stat a, b;
  ASSERT_EQ(lstat(R("etc/passwd").c_str(), &a), 0);
  ASSERT_EQ(lstat(R("etc/passwd-").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_THAT(Apply({{'d', "dir"}, {'h', "dirlink", "dir"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("directory")));
  EXPECT_THAT(Apply({{'h', "rootlink", "./"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("root")));
}

TEST_P(ExtractorTest, DevicesAreRefusedUnlessAllowed) {
  EXPECT_THAT(Apply({{'c', "dev/null"}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("device node `dev/null`")));
  EXPECT_FALSE(Exists("dev/null"));
  if (geteuid() != 0) GTEST_SKIP() << "creating device nodes needs CAP_MKNOD (root)";
  ExtractOptions options;
  options.allow_devices = true;
  ASSERT_OK(Apply({{'c', "dev/null"}, {'p', "run/fifo"}}, options).status());
  struct stat st;
  ASSERT_EQ(lstat(R("dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(lstat(R("run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_P(ExtractorTest, WhiteoutAttacks) {
  EXPECT_THAT(Apply({{'f', ".wh...", ""}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid whiteout")));
  EXPECT_THAT(Apply({{'f', "x/.wh..", ""}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid whiteout")));
  EXPECT_THAT(Apply({{'f', ".wh.", ""}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid whiteout")));
  EXPECT_THAT(Apply({{'f', ".wh..wh.plnk", ""}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid whiteout")));
  EXPECT_THAT(Apply({{'f', "../sentinel/.wh.secret", ""}}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("climbs out")));
  // Whiteouts through symlinked directories delete inside the root only.
  ASSERT_OK(Apply({{'f', "sentinel/secret", "inner"},
                   {'l', "link", sentinel_},
                   {'l', "up", "../sentinel"},
                   {'f', "link/.wh.secret", ""},
                   {'f', "up/.wh.secret", ""},
                   {'f', "up/.wh..wh..opq", ""},
                   {'f', "sentinel/to-root/.wh.etc", ""}})
                .status());
  EXPECT_FALSE(Exists("sentinel/secret"));
  EXPECT_EQ(Link("link"), sentinel_);
}

TEST_P(ExtractorTest, LegitimateLinksAreStoredAsWritten) {
  ASSERT_OK(Apply({{'d', "usr"},
                   {'d', "usr/lib"},
                   {'l', "lib", "usr/lib"},
                   {'l', "lib64", "../usr/lib"},
                   {'l', "abs", "/usr/lib/libc.so"},
                   {'f', "lib/x", "via lib"}})
                .status());
  EXPECT_EQ(Link("lib"), "usr/lib");
  EXPECT_EQ(Link("lib64"), "../usr/lib");
  EXPECT_EQ(Link("abs"), "/usr/lib/libc.so");
  EXPECT_EQ(ReadFileOrEmpty(R("usr/lib/x")), "via lib");
}

TEST_P(ExtractorTest, WhiteoutsApply) {
  ASSERT_OK(Apply({{'f', "f", "lower"},
                   {'f', "dir/a", "lower a"},
                   {'f', "dir/sub/old", "lower old"},
                   {'f', "keep/k", "k"},
                   {'f', "gone/g", "g"}})
                .status());
  // Unsorted on purpose: same-layer entries before the opaque marker must survive it.
  ASSERT_OK(Apply({{'f', "dir/sub/new", "upper new"},
                   {'f', "dir/.wh..wh..opq", ""},
                   {'f', "dir/c", "upper c"},
                   {'f', ".wh.f", ""},
                   {'f', ".wh.gone", ""},
                   {'f', "nothere/.wh.x", ""},
                   {'f', ".wh.missing", ""}})
                .status());
  EXPECT_FALSE(Exists("f"));
  EXPECT_FALSE(Exists("gone"));
  EXPECT_FALSE(Exists("dir/a"));
  EXPECT_FALSE(Exists("dir/sub/old"));
  EXPECT_EQ(ReadFileOrEmpty(R("dir/sub/new")), "upper new");
  EXPECT_EQ(ReadFileOrEmpty(R("dir/c")), "upper c");
  EXPECT_EQ(ReadFileOrEmpty(R("keep/k")), "k");
  EXPECT_FALSE(Exists(".wh.f"));
  EXPECT_FALSE(Exists("dir/.wh..wh..opq"));
}

TEST_P(ExtractorTest, WhiteoutsForOverlay) {
  if (geteuid() != 0) GTEST_SKIP() << "overlay whiteouts (mknod, trusted xattrs) need root";
  ExtractOptions options;
  options.whiteouts = ExtractOptions::Whiteouts::kOverlay;
  absl::StatusOr<ExtractStats> s =
      Apply({{'d', "dir"}, {'f', "dir/.wh..wh..opq", ""}, {'f', ".wh.f", ""}}, options);
  if (absl::IsUnavailable(s.status()) ||
      (!s.ok() && absl::StrContains(s.status().message(), "Operation not supported"))) {
    GTEST_SKIP() << "no trusted xattrs on this filesystem: " << s.status();
  }
  ASSERT_OK(s.status());
  struct stat st;
  ASSERT_EQ(lstat(R("f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  char value[8];
  ssize_t n = getxattr(R("dir").c_str(), "trusted.overlay.opaque", value, sizeof(value));
  ASSERT_EQ(n, 1);
  EXPECT_EQ(value[0], 'y');
}

TEST_P(ExtractorTest, ReplacesExistingEntriesLikeDocker) {
  ASSERT_OK(Apply({{'d', "was-dir"}, {'f', "was-dir/inner", "x"}, {'f', "was-file", "x"},
                   {'l', "was-link", "was-dir"}, {'d', "merged"}, {'f', "merged/old", "o"}})
                .status());
  ASSERT_OK(Apply({{'f', "was-dir", "now a file"}, {'d', "was-file"}, {'f', "was-link", "file"},
                   {'d', "merged", "", 0700}, {'f', "merged/new", "n"}})
                .status());
  EXPECT_EQ(ReadFileOrEmpty(R("was-dir")), "now a file");
  struct stat st;
  ASSERT_EQ(lstat(R("was-file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(lstat(R("was-link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(ReadFileOrEmpty(R("merged/old")), "o");
  EXPECT_EQ(ReadFileOrEmpty(R("merged/new")), "n");
  ASSERT_EQ(lstat(R("merged").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_P(ExtractorTest, KeepsMetadata) {
  E file{'f', "bin/su", "binary", 04755, 1234, 1500000000};
  file.xattrs["user.note"] = "hello";
  ASSERT_OK(Apply({{'d', "bin", "", 0555, 0, 1400000000}, file}).status());
  struct stat st;
  ASSERT_EQ(lstat(R("bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtime, 1500000000);
  if (geteuid() == 0) EXPECT_EQ(st.st_uid, 1234u);
  char value[16];
  ssize_t n = getxattr(R("bin/su").c_str(), "user.note", value, sizeof(value));
  if (n >= 0) EXPECT_EQ(std::string(value, n), "hello");
  ASSERT_EQ(lstat(R("bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(st.st_mtime, 1400000000);
}

TEST_P(ExtractorTest, KeepsFileCapabilitiesAfterChown) {
  // VFS capability v2 granting CAP_NET_RAW; chown clears it, so it must be set after the chown.
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                        "\x00\x00\x00\x00", 20);
  const std::string probe = dir_->path() + "/probe";
  std::ofstream(probe) << "p";
  bool supported = setxattr(probe.c_str(), "security.capability", cap.data(), cap.size(), 0) == 0;
  unlink(probe.c_str());
  if (!supported) GTEST_SKIP() << "cannot set security.capability here: " << strerror(errno);
  E ping{'f', "bin/ping", "elf", 0755, 1000};
  ping.xattrs["security.capability"] = cap;
  ASSERT_OK(Apply({ping}).status());
  char value[64];
  ssize_t n = getxattr(R("bin/ping").c_str(), "security.capability", value, sizeof(value));
  ASSERT_EQ(n, 20) << strerror(errno);
  EXPECT_EQ(std::string(value, n), cap);
}

TEST_P(ExtractorTest, DetectsCompressionAndComputesDiffId) {
  const std::string tar = BuildTar({{'f', "hello", "world"}});
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    ASSERT_OK_AND_ASSIGN(ExtractStats stats, Apply(Compress(c, tar)));
    EXPECT_EQ(stats.diff_id, Digest::Of(tar));
    EXPECT_EQ(stats.bytes, static_cast<int64_t>(tar.size()));
    EXPECT_EQ(stats.entries, 1);
    EXPECT_EQ(ReadFileOrEmpty(R("hello")), "world");
  }
  ExtractOptions options;
  options.expected_diff_id = Digest::Of("something else");
  EXPECT_THAT(Apply(Compress(Compression::kGzip, tar), options).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("diff_id")));
  std::string gz = Compress(Compression::kGzip, tar);
  EXPECT_THAT(Apply(gz.substr(0, gz.size() / 2)).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("gzip")));
}

INSTANTIATE_TEST_SUITE_P(Resolution, ExtractorTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "WalkFallback" : "Openat2";
                         });

// Peak RSS in KiB (VmHWM), after resetting it.
int64_t PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

TEST(ExtractorStreamingTest, OneGigabyteOfZerosKeepsMemoryFlat) {
  ASSERT_OK_AND_ASSIGN(auto dir, base::ScopedTempDir::Create("big-"));
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  base::ScopedFd read_end(fds[0]);
  constexpr int64_t kSize = int64_t{1} << 30;
  // The tar is generated on the fly into a pipe: it never exists in memory or on disk.
  std::thread producer([wfd = fds[1]] {
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_fd(a, wfd);
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, "zeros");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, kSize);
    archive_write_header(a, e);
    std::string zeros(1 << 20, '\0');
    for (int64_t done = 0; done < kSize; done += zeros.size()) {
      archive_write_data(a, zeros.data(), zeros.size());
    }
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    close(wfd);
  });
  std::ofstream("/proc/self/clear_refs") << "5";  // reset VmHWM
  const int64_t before = PeakRssKb();
  absl::StatusOr<ExtractStats> stats = ApplyLayer(read_end.get(), dir.path());
  producer.join();
  const int64_t peak = PeakRssKb();
  ASSERT_OK(stats.status());
  EXPECT_GT(stats->bytes, kSize);
  struct stat st;
  ASSERT_EQ(stat((dir.path() + "/zeros").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, kSize);
  EXPECT_LT(st.st_blocks * 512, 16 << 20) << "zero runs should be holes";
  // The producer thread's 1 MiB buffer, libarchive's and the extractor's fixed buffers: a few MiB.
  EXPECT_LT(peak - before, 64 * 1024) << "peak RSS grew by " << (peak - before) << " KiB";
}

}  // namespace
}  // namespace oci
