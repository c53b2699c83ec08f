#include "oci/tar/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/digest.h"

namespace oci {
namespace {

using ::base_testing::StatusIs;
using ::testing::HasSubstr;

class StringSink : public ByteSink {
 public:
  absl::Status Write(absl::string_view data) override {
    bytes.append(data.data(), data.size());
    return absl::OkStatus();
  }
  std::string bytes;
};

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

// Builds the same logical tree under `root`. Modes are part of the input (set explicitly with
// chmod, so the umask does not leak in); mtimes, atimes, inode numbers, creation order and the
// root's own path are not, and are deliberately varied by `variant`.
void MakeTree(const std::string& root, int variant) {
  mode_t old_umask = umask(variant == 0 ? 022 : 077);
  std::vector<std::string> dirs = {"etc", "usr", "usr/bin", "usr/lib", "a-b", "a", "a/b"};
  if (variant == 1) dirs = {"a", "a/b", "a-b", "usr", "usr/lib", "usr/bin", "etc"};  // other order
  for (const std::string& d : dirs) {
    std::string p = root + "/" + d;
    mkdir(p.c_str(), 0777);
  }
  for (const std::string& d : dirs) chmod((root + "/" + d).c_str(), 0755);
  WriteFile(root + "/etc/hosts", "127.0.0.1 localhost\n", 0644);
  WriteFile(root + "/usr/bin/tool", std::string(300000, 'x') + "tail", 04755);
  WriteFile(root + "/a/b/c", "c", 0600);
  WriteFile(root + "/a-b/d", "d", 0640);
  ASSERT_EQ(link((root + "/usr/bin/tool").c_str(), (root + "/usr/lib/tool-link").c_str()), 0);
  ASSERT_EQ(symlink("../usr/lib", (root + "/etc/lib").c_str()), 0);
  ASSERT_EQ(symlink("/etc/hosts", (root + "/usr/hosts").c_str()), 0);
  umask(old_umask);
  // Different timestamps for every file.
  const time_t base_time = variant == 0 ? 1000000 : 1700000000;
  for (const std::string& p : {"etc/hosts", "usr/bin/tool", "a/b/c", "a-b/d", "etc", "usr"}) {
    struct timeval tv[2] = {{base_time + variant * 17, 0}, {base_time + variant * 31, 0}};
    utimes((root + "/" + p).c_str(), tv);
  }
}

absl::StatusOr<LayerResult> LayerOfDir(const std::string& root, Compression c, int threads,
                                       std::string* bytes = nullptr) {
  ASSIGN_OR_RETURN(std::vector<LayerEntry> entries, EntriesFromDirectory(root));
  LayerWriterOptions options;
  options.compression = c;
  options.threads = threads;
  options.mtime = 1234567890;
  StringSink sink;
  ASSIGN_OR_RETURN(LayerResult r, WriteLayer(std::move(entries), options, sink));
  if (bytes != nullptr) *bytes = std::move(sink.bytes);
  return r;
}

// Runs a shell command with `input` on stdin (via a temp file) and returns its stdout.
std::string RunShell(const std::string& cmd, const std::string& input) {
  auto dir = base::ScopedTempDir::Create("sh-");
  EXPECT_OK(dir.status());
  std::string in = dir->path() + "/in";
  std::ofstream(in, std::ios::binary) << input;
  std::string full = absl::StrCat(cmd, " < ", in);
  FILE* f = popen(full.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(f), 0) << full;
  return out;
}

struct TarEntry {
  std::string path;
  mode_t mode;
  int64_t uid, gid, mtime, size;
  bool has_uname, has_atime, has_ctime;
  std::string symlink, hardlink;
  std::map<std::string, std::string> xattrs;
  std::string data;
};

std::vector<TarEntry> ReadTar(const std::string& tar) {
  std::vector<TarEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.mode = archive_entry_mode(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.mtime = archive_entry_mtime(e);
    t.size = archive_entry_size(e);
    t.has_uname = archive_entry_uname(e) != nullptr && *archive_entry_uname(e) != '\0';
    t.has_atime = archive_entry_atime_is_set(e);
    t.has_ctime = archive_entry_ctime_is_set(e);
    if (archive_entry_symlink(e)) t.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) t.hardlink = archive_entry_hardlink(e);
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      t.xattrs[name] = std::string(static_cast<const char*>(value), size);
    }
    char buf[8192];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) t.data.append(buf, n);
    out.push_back(std::move(t));
  }
  archive_read_free(a);
  return out;
}

TEST(LayerWriterTest, SameTreeGivesSameDigestsWhateverPathMtimeUmaskOrder) {
  ASSERT_OK_AND_ASSIGN(auto d1, base::ScopedTempDir::Create("tree-one-"));
  ASSERT_OK_AND_ASSIGN(auto d2, base::ScopedTempDir::Create("another-tree-"));
  MakeTree(d1.path(), 0);
  MakeTree(d2.path(), 1);
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    ASSERT_OK_AND_ASSIGN(LayerResult r1, LayerOfDir(d1.path(), c, 1));
    ASSERT_OK_AND_ASSIGN(LayerResult r2, LayerOfDir(d2.path(), c, 4));
    EXPECT_EQ(r1.descriptor.digest, r2.descriptor.digest);
    EXPECT_EQ(r1.diff_id, r2.diff_id);
    EXPECT_EQ(r1.descriptor.size, r2.descriptor.size);
  }
  // A mode change is a change of input.
  ASSERT_EQ(chmod((d2.path() + "/etc/hosts").c_str(), 0600), 0);
  ASSERT_OK_AND_ASSIGN(LayerResult r1, LayerOfDir(d1.path(), Compression::kGzip, 2));
  ASSERT_OK_AND_ASSIGN(LayerResult r2, LayerOfDir(d2.path(), Compression::kGzip, 2));
  EXPECT_NE(r1.diff_id, r2.diff_id);
}

TEST(LayerWriterTest, GzipLayerIsReadableByGzipAndTar) {
  ASSERT_OK_AND_ASSIGN(auto d, base::ScopedTempDir::Create("tree-"));
  MakeTree(d.path(), 0);
  std::string gz;
  ASSERT_OK_AND_ASSIGN(LayerResult r, LayerOfDir(d.path(), Compression::kGzip, 2, &gz));
  EXPECT_EQ(r.descriptor.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(r.descriptor.size, static_cast<int64_t>(gz.size()));
  EXPECT_EQ(r.descriptor.digest, Digest::Of(gz));
  const std::string tar = RunShell("gzip -dc", gz);
  EXPECT_EQ(r.diff_id, Digest::Of(tar));
  EXPECT_EQ(r.uncompressed_size, static_cast<int64_t>(tar.size()));

  const std::string listing = RunShell("tar --full-time --numeric-owner -tvf -", tar);
  EXPECT_THAT(listing, HasSubstr("-rwsr-xr-x 0/0          300004 2009-02-13 23:31:30 usr/bin/tool\n"));
  EXPECT_THAT(listing, HasSubstr("usr/lib/tool-link link to usr/bin/tool"));
  EXPECT_THAT(listing, HasSubstr("etc/lib -> ../usr/lib"));
  EXPECT_THAT(listing, HasSubstr("usr/hosts -> /etc/hosts"));

  std::vector<TarEntry> entries = ReadTar(tar);
  std::vector<std::string> paths;
  for (const TarEntry& e : entries) {
    paths.push_back(e.path);
    EXPECT_EQ(e.mtime, 1234567890) << e.path;
    EXPECT_EQ(e.uid, 0) << e.path;
    EXPECT_EQ(e.gid, 0) << e.path;
    EXPECT_FALSE(e.has_uname) << e.path;
    EXPECT_FALSE(e.has_atime) << e.path;
    EXPECT_FALSE(e.has_ctime) << e.path;
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"a/", "a-b/", "a-b/d", "a/b/", "a/b/c", "etc/",
                                             "etc/hosts", "etc/lib", "usr/", "usr/bin/",
                                             "usr/bin/tool", "usr/hosts", "usr/lib/",
                                             "usr/lib/tool-link"}));
}

TEST(LayerWriterTest, ZstdLayerIsReadableByZstd) {
  ASSERT_OK_AND_ASSIGN(auto d, base::ScopedTempDir::Create("tree-"));
  MakeTree(d.path(), 1);
  std::string zst;
  ASSERT_OK_AND_ASSIGN(LayerResult r, LayerOfDir(d.path(), Compression::kZstd, 3, &zst));
  EXPECT_EQ(r.descriptor.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(r.descriptor.digest, Digest::Of(zst));
  const std::string tar = RunShell("zstd -dc", zst);
  EXPECT_EQ(r.diff_id, Digest::Of(tar));
  EXPECT_EQ(ReadTar(tar).size(), 14u);
}

TEST(LayerWriterTest, EntriesInMemoryWhiteoutsDevicesAndXattrs) {
  std::vector<LayerEntry> entries(6);
  entries[0].type = LayerEntry::Type::kOpaqueWhiteout;
  entries[0].path = "var/cache";
  entries[1].type = LayerEntry::Type::kWhiteout;
  entries[1].path = "etc/old.conf";
  entries[2].path = "bin/ping";
  entries[2].mode = 0755;
  entries[2].content = "ELF";
  entries[2].xattrs["security.capability"] = std::string("\x01\x00\x00\x02\x00\x20", 6);
  entries[3].type = LayerEntry::Type::kCharDevice;
  entries[3].path = "dev/null";
  entries[3].mode = 0666;
  entries[3].dev_major = 1;
  entries[3].dev_minor = 3;
  entries[4].type = LayerEntry::Type::kDirectory;
  entries[4].path = "home/user";
  entries[4].mode = 0700;
  entries[4].uid = 1000;
  entries[4].gid = 1000;
  entries[5].type = LayerEntry::Type::kFifo;
  entries[5].path = "run/fifo";
  StringSink sink;
  LayerWriterOptions options;
  options.compression = Compression::kNone;
  ASSERT_OK_AND_ASSIGN(LayerResult r, WriteLayer(entries, options, sink));
  EXPECT_EQ(r.diff_id, r.descriptor.digest);
  EXPECT_EQ(r.descriptor.media_type, "application/vnd.oci.image.layer.v1.tar");
  std::vector<TarEntry> tar = ReadTar(sink.bytes);
  ASSERT_EQ(tar.size(), 6u);
  EXPECT_EQ(tar[0].path, "bin/ping");
  EXPECT_EQ(tar[0].data, "ELF");
  EXPECT_EQ(tar[0].xattrs["security.capability"], std::string("\x01\x00\x00\x02\x00\x20", 6));
  EXPECT_EQ(sink.bytes.find("LIBARCHIVE.xattr"), std::string::npos);
  EXPECT_NE(sink.bytes.find("SCHILY.xattr.security.capability="), std::string::npos);
  EXPECT_EQ(tar[1].path, "dev/null");
  EXPECT_TRUE(S_ISCHR(tar[1].mode));
  EXPECT_EQ(tar[2].path, "etc/.wh.old.conf");
  EXPECT_EQ(tar[2].size, 0);
  EXPECT_EQ(tar[3].path, "home/user/");
  EXPECT_EQ(tar[3].uid, 1000);
  EXPECT_EQ(tar[3].mode & 07777, 0700u);
  EXPECT_EQ(tar[4].path, "run/fifo");
  EXPECT_TRUE(S_ISFIFO(tar[4].mode));
  EXPECT_EQ(tar[5].path, "var/cache/.wh..wh..opq");
  for (const TarEntry& e : tar) EXPECT_EQ(e.mtime, 0) << e.path;
}

// An entry's own mtime wins over options.mtime (RUN layers clamp each file's time); the others
// keep options.mtime.
TEST(LayerWriterTest, PerEntryMtimeOverridesTheLayerMtime) {
  std::vector<LayerEntry> entries(3);
  entries[0].path = "old";
  entries[0].content = "a";
  entries[0].mtime = 1000;
  entries[1].path = "plain";
  entries[1].content = "b";
  entries[2].type = LayerEntry::Type::kDirectory;
  entries[2].path = "dir";
  entries[2].mtime = 0;
  StringSink sink;
  LayerWriterOptions options;
  options.compression = Compression::kNone;
  options.mtime = 5000;
  ASSERT_OK(WriteLayer(entries, options, sink).status());
  std::vector<TarEntry> tar = ReadTar(sink.bytes);
  ASSERT_EQ(tar.size(), 3u);
  EXPECT_EQ(tar[0].path, "dir/");
  EXPECT_EQ(tar[0].mtime, 0);
  EXPECT_EQ(tar[1].path, "old");
  EXPECT_EQ(tar[1].mtime, 1000);
  EXPECT_EQ(tar[2].path, "plain");
  EXPECT_EQ(tar[2].mtime, 5000);
}

TEST(LayerWriterTest, KeepsSecurityCapabilityFromDisk) {
  ASSERT_OK_AND_ASSIGN(auto d, base::ScopedTempDir::Create("caps-"));
  const std::string file = d.path() + "/ping";
  WriteFile(file, "binary", 0755);
  // VFS capability v2: magic+effective, permitted CAP_NET_RAW (13), inheritable 0.
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  if (setxattr(file.c_str(), "security.capability", cap.data(), cap.size(), 0) != 0) {
    GTEST_SKIP() << "cannot set security.capability here (needs CAP_SETFCAP and a filesystem "
                    "with xattrs): "
                 << strerror(errno);
  }
  std::string tar;
  ASSERT_OK_AND_ASSIGN(LayerResult r, LayerOfDir(d.path(), Compression::kNone, 1, &tar));
  std::vector<TarEntry> entries = ReadTar(tar);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].xattrs["security.capability"], cap);
}

TEST(LayerWriterTest, DiskWhiteoutFilesBecomeWhiteoutEntries) {
  ASSERT_OK_AND_ASSIGN(auto d, base::ScopedTempDir::Create("wh-"));
  ASSERT_EQ(mkdir((d.path() + "/dir").c_str(), 0755), 0);
  WriteFile(d.path() + "/dir/.wh..wh..opq", "", 0644);
  WriteFile(d.path() + "/.wh.gone", "", 0644);
  ASSERT_OK_AND_ASSIGN(std::vector<LayerEntry> entries, EntriesFromDirectory(d.path(), "/pre/"));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].path, "pre/dir");
  EXPECT_EQ(entries[1].type, LayerEntry::Type::kOpaqueWhiteout);
  EXPECT_EQ(entries[1].path, "pre/dir");
  EXPECT_EQ(entries[2].type, LayerEntry::Type::kWhiteout);
  EXPECT_EQ(entries[2].path, "pre/gone");
}

TEST(LayerWriterTest, RejectsBadEntries) {
  StringSink sink;
  auto one = [](LayerEntry::Type t, const std::string& path, const std::string& target = "") {
    LayerEntry e;
    e.type = t;
    e.path = path;
    e.link_target = target;
    return e;
  };
  EXPECT_THAT(WriteLayer({one(LayerEntry::Type::kFile, "../x")}, {}, sink).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`../x`")));
  EXPECT_THAT(WriteLayer({one(LayerEntry::Type::kFile, "/abs")}, {}, sink).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be relative")));
  EXPECT_THAT(WriteLayer({one(LayerEntry::Type::kFile, "a"), one(LayerEntry::Type::kDirectory, "a")},
                         {}, sink)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than once")));
  EXPECT_THAT(WriteLayer({one(LayerEntry::Type::kFile, "x/.wh.y")}, {}, sink).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved for whiteouts")));
  EXPECT_THAT(WriteLayer({one(LayerEntry::Type::kHardlink, "a", "b"),
                          one(LayerEntry::Type::kFile, "b")},
                         {}, sink)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sorts after it")));
  LayerEntry missing = one(LayerEntry::Type::kFile, "f");
  missing.source_path = "/nonexistent/slipway/file";
  EXPECT_THAT(WriteLayer({missing}, {}, sink).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/slipway/file")));
}

TEST(LayerWriterTest, SourceDateEpoch) {
  unsetenv("SOURCE_DATE_EPOCH");
  ASSERT_OK_AND_ASSIGN(int64_t unset, SourceDateEpoch());
  EXPECT_EQ(unset, 0);
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  ASSERT_OK_AND_ASSIGN(int64_t v, SourceDateEpoch());
  EXPECT_EQ(v, 1700000000);
  setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  EXPECT_THAT(SourceDateEpoch().status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yesterday")));
  unsetenv("SOURCE_DATE_EPOCH");
}

}  // namespace
}  // namespace oci
