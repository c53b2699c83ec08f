#include "third_party/lazy/lazy_library.h"

#include <dlfcn.h>
#include <errno.h>
#include <zstd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lazy {
namespace {

using ::base_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// zstd stands in for a lazily loaded library: the test links nothing that needs it.
constexpr char kZstd[] = "libzstd.so.1";

bool IsLoaded(const char* soname) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // drops only the reference RTLD_NOLOAD took
  return true;
}

// Before any test runs (and opens it).
const bool kZstdLoadedAtStart = IsLoaded(kZstd);

TEST(LazyLibraryTest, OpensOnFirstUseAndResolvesRealFunctions) {
  ASSERT_FALSE(kZstdLoadedAtStart) << "the test binary must not link zstd";
  LazyLibrary zstd(kZstd, "libzstd1");

  auto version = Resolve<unsigned (*)(void)>(zstd, "ZSTD_versionNumber");
  ASSERT_NE(version, nullptr);
  EXPECT_TRUE(IsLoaded(kZstd));
  EXPECT_EQ(version(), static_cast<unsigned>(ZSTD_VERSION_NUMBER));
  EXPECT_OK(zstd.Load());
}

TEST(LazyLibraryTest, MissingLibraryFailsWithTheReasonAndThePackage) {
  LazyLibrary missing("libslipway-no-such-library.so.7", "slipway-no-such-package");
  testing::internal::CaptureStderr();
  absl::Status first = missing.Load();
  EXPECT_EQ(missing.Symbol("anything"), nullptr);
  absl::Status again = missing.Load();
  std::string err = testing::internal::GetCapturedStderr();

  EXPECT_THAT(first, StatusIs(absl::StatusCode::kInternal,
                              AllOf(HasSubstr("`libslipway-no-such-library.so.7`"),
                                    HasSubstr("cannot open shared object file"),
                                    HasSubstr("install the Debian package slipway-no-such-package"))));
  EXPECT_EQ(again, first);
  // One line, however often it is asked.
  EXPECT_EQ(err, absl::StrCat(program_invocation_short_name, ": ", first.message(), "\n"));
  EXPECT_THAT(std::string(missing.UnavailableMessage()),
              AllOf(HasSubstr("libslipway-no-such-library.so.7 could not be loaded"),
                    HasSubstr("slipway-no-such-package")));
}

TEST(LazyLibraryTest, MissingFunctionIsNullAndSaysWhich) {
  LazyLibrary zstd(kZstd, "libzstd1");
  testing::internal::CaptureStderr();
  void* address = zstd.Symbol("ZSTD_no_such_function");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(address, nullptr);
  EXPECT_THAT(err, AllOf(HasSubstr("`libzstd.so.1` has no function `ZSTD_no_such_function`"),
                         HasSubstr("libzstd1")));
  EXPECT_OK(zstd.Load());  // the library itself is fine
}

TEST(LazyLibraryTest, SetSonameForTestingChangesWhatIsOpened) {
  LazyLibrary library("libslipway-no-such-library.so.7", "libzstd1");
  library.SetSonameForTesting(kZstd);
  EXPECT_OK(library.Load());
  EXPECT_THAT(std::string(library.UnavailableMessage()), HasSubstr(kZstd));
}

TEST(LazyLibraryTest, ConcurrentFirstUseAgrees) {
  LazyLibrary zstd(kZstd, "libzstd1");
  std::vector<void*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&zstd, &seen, i] { seen[i] = zstd.Symbol("ZSTD_versionNumber"); });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_NE(seen[0], nullptr);
  for (void* s : seen) EXPECT_EQ(s, seen[0]);
}

TEST(LazyLibraryTest, NothingIsPrintedWhenAllIsWell) {
  LazyLibrary zstd(kZstd, "libzstd1");
  testing::internal::CaptureStderr();
  EXPECT_NE(zstd.Symbol("ZSTD_versionNumber"), nullptr);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), IsEmpty());
}

}  // namespace
}  // namespace lazy
