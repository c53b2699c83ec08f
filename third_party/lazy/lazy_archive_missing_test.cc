// Without libarchive.so.13 (the soname is replaced by one that does not exist before the first
// call): the forwarding functions return their failure values, archive_error_string and one line
// on stderr say why, and ArchiveLibrary().Load() gives the same reason as a status.
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/lazy/lazy_archive.h"

namespace {

using ::base_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kMissing[] = "libslipway-missing-archive.so.13";

TEST(LazyArchiveMissingTest, EveryFunctionFailsCleanlyAndTheCauseIsPrintedOnce) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(archive_read_new(), nullptr);
  EXPECT_EQ(archive_write_new(), nullptr);
  EXPECT_EQ(archive_entry_new(), nullptr);
  // What docker_archive.cc does without checking the handle: every step fails, and the message
  // it reports names the cause.
  EXPECT_EQ(archive_read_support_filter_all(nullptr), ARCHIVE_FATAL);
  EXPECT_EQ(archive_read_open_filename(nullptr, "x.tar", 10240), ARCHIVE_FATAL);
  EXPECT_EQ(archive_write_open_fd(nullptr, 1), ARCHIVE_FATAL);
  EXPECT_EQ(archive_read_data(nullptr, nullptr, 0), ARCHIVE_FATAL);
  EXPECT_EQ(archive_entry_pathname(nullptr), nullptr);
  archive_set_error(nullptr, EIO, "%s", "ignored");
  archive_entry_free(nullptr);
  const std::string message = archive_error_string(nullptr);
  EXPECT_EQ(archive_read_free(nullptr), ARCHIVE_FATAL);
  const std::string err = testing::internal::GetCapturedStderr();

  EXPECT_THAT(message,
              AllOf(HasSubstr(kMissing), HasSubstr("install the Debian package libarchive13")));
  absl::Status status = lazy::ArchiveLibrary().Load();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal,
                               AllOf(HasSubstr(kMissing), HasSubstr("cannot open shared object file"),
                                     HasSubstr("install the Debian package libarchive13"))));
  EXPECT_EQ(err, absl::StrCat(program_invocation_short_name, ": ", status.message(), "\n"));
}

}  // namespace

int main(int argc, char** argv) {
  lazy::ArchiveLibrary().SetSonameForTesting(kMissing);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
