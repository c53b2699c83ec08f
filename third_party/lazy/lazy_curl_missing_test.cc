// Without libcurl.so.4 (the soname is replaced by one that does not exist before the first call):
// the forwarding functions return their failure values, one line on stderr says why, and
// CurlLibrary().Load() gives the same reason as a status.
#include <curl/curl.h>

#include <errno.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/lazy/lazy_curl.h"

namespace {

using ::base_testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kMissing[] = "libslipway-missing-curl.so.4";

TEST(LazyCurlMissingTest, EveryFunctionFailsCleanlyAndTheCauseIsPrintedOnce) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_FAILED_INIT);
  EXPECT_EQ(curl_easy_init(), nullptr);
  EXPECT_EQ(curl_share_init(), nullptr);
  EXPECT_EQ(curl_slist_append(nullptr, "A: 1"), nullptr);
  EXPECT_EQ(curl_easy_setopt(nullptr, CURLOPT_URL, "http://x/"), CURLE_FAILED_INIT);
  EXPECT_EQ(curl_easy_setopt(nullptr, CURLOPT_TIMEOUT, 1L), CURLE_FAILED_INIT);
  EXPECT_EQ(curl_share_setopt(nullptr, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS), CURLSHE_NOT_BUILT_IN);
  EXPECT_EQ(curl_easy_perform(nullptr), CURLE_FAILED_INIT);
  long code = 0;
  EXPECT_EQ(curl_easy_getinfo(nullptr, CURLINFO_RESPONSE_CODE, &code), CURLE_FAILED_INIT);
  EXPECT_EQ(curl_share_cleanup(nullptr), CURLSHE_INVALID);
  curl_easy_reset(nullptr);
  curl_easy_cleanup(nullptr);
  curl_slist_free_all(nullptr);
  const std::string strerror = curl_easy_strerror(CURLE_COULDNT_CONNECT);
  const std::string err = testing::internal::GetCapturedStderr();

  EXPECT_THAT(strerror, AllOf(HasSubstr(kMissing), HasSubstr("install the Debian package libcurl4")));
  absl::Status status = lazy::CurlLibrary().Load();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal,
                               AllOf(HasSubstr(kMissing), HasSubstr("cannot open shared object file"),
                                     HasSubstr("install the Debian package libcurl4"))));
  EXPECT_EQ(err, absl::StrCat(program_invocation_short_name, ": ", status.message(), "\n"));
}

}  // namespace

int main(int argc, char** argv) {
  lazy::CurlLibrary().SetSonameForTesting(kMissing);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
