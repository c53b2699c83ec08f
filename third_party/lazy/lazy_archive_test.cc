// Real calls through the forwarding functions: a gzip'd tar written to memory and read back, with
// every entry field slipway sets and reads, plus the printf-like archive_set_error.
#include "third_party/lazy/lazy_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

bool ArchiveIsLoaded() {
  void* handle = dlopen("libarchive.so.13", RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// Before any test has called libarchive.
const bool kLoadedAtStart = ArchiveIsLoaded();

TEST(LazyArchiveTest, NotLoadedUntilFirstCall) {
  EXPECT_FALSE(kLoadedAtStart) << "the test binary links libarchive.so.13";
  EXPECT_OK(lazy::ArchiveLibrary().Load());
  EXPECT_TRUE(ArchiveIsLoaded());
}

TEST(LazyArchiveTest, WritesAndReadsBackATar) {
  std::vector<char> buffer(1 << 16);
  size_t used = 0;
  {
    struct archive* w = archive_write_new();
    ASSERT_NE(w, nullptr);
    ASSERT_EQ(archive_write_set_format_pax_restricted(w), ARCHIVE_OK);
    ASSERT_EQ(archive_write_add_filter_gzip(w), ARCHIVE_OK);
    ASSERT_EQ(archive_write_set_options(w, "gzip:compression-level=1,xattrheader=SCHILY"), ARCHIVE_OK);
    ASSERT_EQ(archive_write_open_memory(w, buffer.data(), buffer.size(), &used), ARCHIVE_OK);

    struct archive_entry* file = archive_entry_new2(w);
    archive_entry_copy_pathname(file, "dir/file.txt");
    archive_entry_set_filetype(file, AE_IFREG);
    archive_entry_set_perm(file, 0640);
    archive_entry_set_uid(file, 1234);
    archive_entry_set_gid(file, 5678);
    archive_entry_set_mtime(file, 1700000000, 0);
    archive_entry_set_size(file, 5);
    archive_entry_xattr_add_entry(file, "user.note", "hi", 2);
    ASSERT_EQ(archive_write_header(w, file), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(w, "hello", 5), 5);
    archive_entry_free(file);

    struct archive_entry* link = archive_entry_new();
    archive_entry_set_pathname(link, "dir/link");
    archive_entry_set_filetype(link, AE_IFLNK);
    archive_entry_set_perm(link, 0777);
    archive_entry_copy_symlink(link, "file.txt");
    ASSERT_EQ(archive_write_header(w, link), ARCHIVE_OK);
    archive_entry_free(link);

    struct archive_entry* hard = archive_entry_new();
    archive_entry_set_pathname(hard, "dir/hard");
    archive_entry_set_filetype(hard, AE_IFREG);
    archive_entry_set_perm(hard, 0640);
    archive_entry_copy_hardlink(hard, "dir/file.txt");
    ASSERT_EQ(archive_write_header(w, hard), ARCHIVE_OK);
    archive_entry_free(hard);

    struct archive_entry* dev = archive_entry_new();
    archive_entry_set_pathname(dev, "dev/null");
    archive_entry_set_filetype(dev, AE_IFCHR);
    archive_entry_set_perm(dev, 0666);
    archive_entry_set_rdevmajor(dev, 1);
    archive_entry_set_rdevminor(dev, 3);
    ASSERT_EQ(archive_write_header(w, dev), ARCHIVE_OK);
    archive_entry_free(dev);

    ASSERT_EQ(archive_write_close(w), ARCHIVE_OK);
    ASSERT_EQ(archive_write_free(w), ARCHIVE_OK);
  }
  ASSERT_GT(used, 0u);
  ASSERT_EQ(static_cast<unsigned char>(buffer[0]), 0x1f);  // gzip magic: the filter was applied

  struct archive* r = archive_read_new();
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(archive_read_support_filter_all(r), ARCHIVE_OK);
  ASSERT_EQ(archive_read_support_format_tar(r), ARCHIVE_OK);
  ASSERT_EQ(archive_read_open_memory(r, buffer.data(), used), ARCHIVE_OK);
  struct archive_entry* e = nullptr;

  ASSERT_EQ(archive_read_next_header(r, &e), ARCHIVE_OK);
  EXPECT_STREQ(archive_entry_pathname(e), "dir/file.txt");
  EXPECT_EQ(archive_entry_filetype(e), static_cast<mode_t>(AE_IFREG));
  EXPECT_EQ(archive_entry_perm(e), 0640u);
  EXPECT_EQ(archive_entry_mode(e), static_cast<mode_t>(AE_IFREG | 0640));
  EXPECT_EQ(archive_entry_uid(e), 1234);
  EXPECT_EQ(archive_entry_gid(e), 5678);
  EXPECT_EQ(archive_entry_size(e), 5);
  EXPECT_TRUE(archive_entry_mtime_is_set(e));
  EXPECT_EQ(archive_entry_mtime(e), 1700000000);
  EXPECT_EQ(archive_entry_mtime_nsec(e), 0);
  EXPECT_FALSE(archive_entry_atime_is_set(e));
  EXPECT_FALSE(archive_entry_ctime_is_set(e));
  EXPECT_STREQ(archive_entry_uname(e), "");
  ASSERT_EQ(archive_entry_xattr_reset(e), 1);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  ASSERT_EQ(archive_entry_xattr_next(e, &name, &value, &size), ARCHIVE_OK);
  EXPECT_STREQ(name, "user.note");
  EXPECT_EQ(std::string(static_cast<const char*>(value), size), "hi");
  EXPECT_EQ(archive_entry_xattr_next(e, &name, &value, &size), ARCHIVE_WARN);
  char data[16] = {};
  EXPECT_EQ(archive_read_data(r, data, sizeof data), 5);
  EXPECT_STREQ(data, "hello");

  ASSERT_EQ(archive_read_next_header(r, &e), ARCHIVE_OK);
  EXPECT_STREQ(archive_entry_pathname(e), "dir/link");
  EXPECT_EQ(archive_entry_filetype(e), static_cast<mode_t>(AE_IFLNK));
  EXPECT_STREQ(archive_entry_symlink(e), "file.txt");

  ASSERT_EQ(archive_read_next_header(r, &e), ARCHIVE_OK);
  EXPECT_STREQ(archive_entry_hardlink(e), "dir/file.txt");

  ASSERT_EQ(archive_read_next_header(r, &e), ARCHIVE_OK);
  EXPECT_EQ(archive_entry_filetype(e), static_cast<mode_t>(AE_IFCHR));
  EXPECT_EQ(archive_entry_rdevmajor(e), 1u);
  EXPECT_EQ(archive_entry_rdevminor(e), 3u);
  const void* block = nullptr;
  la_int64_t offset = 0;
  EXPECT_EQ(archive_read_data_block(r, &block, &size, &offset), ARCHIVE_EOF);

  EXPECT_EQ(archive_read_next_header(r, &e), ARCHIVE_EOF);
  EXPECT_EQ(archive_read_free(r), ARCHIVE_OK);
}

// A read callback that fails the way slipway's do: with archive_set_error and a formatted message.
la_ssize_t FailingRead(struct archive* a, void*, const void**) {
  archive_set_error(a, EIO, "reading `%s`: %d bytes short", "layer.tar", 42);
  return -1;
}

TEST(LazyArchiveTest, SetErrorFormatsTheMessage) {
  struct archive* r = archive_read_new();
  ASSERT_NE(r, nullptr);
  archive_read_support_format_tar(r);
  EXPECT_EQ(archive_read_open(r, nullptr, nullptr, &FailingRead, nullptr), ARCHIVE_FATAL);
  EXPECT_STREQ(archive_error_string(r), "reading `layer.tar`: 42 bytes short");
  archive_read_free(r);
}

}  // namespace
