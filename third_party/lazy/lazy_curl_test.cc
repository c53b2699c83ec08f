// Real calls through the forwarding functions: file:// transfers exercise every kind of argument
// curl_easy_setopt, curl_share_setopt and curl_easy_getinfo forward (long, pointer, callback,
// curl_off_t, blob, lock data).
#include "third_party/lazy/lazy_curl.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <fstream>
#include <optional>
#include <string>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

bool CurlIsLoaded() {
  void* handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// Before any test has called curl.
const bool kLoadedAtStart = CurlIsLoaded();

size_t Append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

class LazyCurlTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    absl::StatusOr<base::ScopedTempDir> dir = base::ScopedTempDir::Create();
    ASSERT_OK(dir);
    dir_.emplace(*std::move(dir));
    path_ = dir_->path() + "/data.txt";
    std::ofstream(path_) << "0123456789";
    url_ = "file://" + path_;
    easy_ = curl_easy_init();
    ASSERT_NE(easy_, nullptr);
    ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str()), CURLE_OK);
    ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Append), CURLE_OK);
    ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body_), CURLE_OK);
  }
  void TearDown() override { curl_easy_cleanup(easy_); }

  std::optional<base::ScopedTempDir> dir_;
  std::string path_;
  std::string url_;
  std::string body_;
  CURL* easy_ = nullptr;
};

TEST(LazyCurlLoadTest, NotLoadedUntilFirstCall) {
  EXPECT_FALSE(kLoadedAtStart) << "the test binary links libcurl.so.4";
  EXPECT_OK(lazy::CurlLibrary().Load());
  EXPECT_TRUE(CurlIsLoaded());
}

TEST_F(LazyCurlTest, PointerCallbackAndInfoArguments) {
  ASSERT_EQ(curl_easy_perform(easy_), CURLE_OK);
  EXPECT_EQ(body_, "0123456789");
  char* effective = nullptr;
  ASSERT_EQ(curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective), CURLE_OK);
  EXPECT_STREQ(effective, url_.c_str());
  curl_off_t downloaded = -1;
  ASSERT_EQ(curl_easy_getinfo(easy_, CURLINFO_SIZE_DOWNLOAD_T, &downloaded), CURLE_OK);
  EXPECT_EQ(downloaded, 10);
  long code = -1;
  ASSERT_EQ(curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
  EXPECT_EQ(code, 0);  // file:// has none
}

TEST_F(LazyCurlTest, LongArgument) {
  ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_RESUME_FROM, 4L), CURLE_OK);
  ASSERT_EQ(curl_easy_perform(easy_), CURLE_OK);
  EXPECT_EQ(body_, "456789");
}

TEST_F(LazyCurlTest, OffTArgument) {
  ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(7)),
            CURLE_OK);
  ASSERT_EQ(curl_easy_perform(easy_), CURLE_OK);
  EXPECT_EQ(body_, "789");
}

TEST_F(LazyCurlTest, BlobArgument) {
  std::string pem = "not a certificate";
  curl_blob blob{pem.data(), pem.size(), CURL_BLOB_COPY};
  EXPECT_EQ(curl_easy_setopt(easy_, CURLOPT_CAINFO_BLOB, &blob), CURLE_OK);
}

TEST_F(LazyCurlTest, ResetAndErrors) {
  curl_easy_reset(easy_);  // forgets the URL
  EXPECT_EQ(curl_easy_perform(easy_), CURLE_URL_MALFORMAT);
  ASSERT_EQ(curl_easy_setopt(easy_, CURLOPT_URL, (url_ + ".missing").c_str()), CURLE_OK);
  CURLcode rc = curl_easy_perform(easy_);
  EXPECT_EQ(rc, CURLE_FILE_COULDNT_READ_FILE);
  EXPECT_STREQ(curl_easy_strerror(rc), "Couldn't read a file:// file");
}

TEST(LazyCurlListTest, AppendAndFree) {
  curl_slist* list = curl_slist_append(nullptr, "A: 1");
  list = curl_slist_append(list, "B: 2");
  ASSERT_NE(list, nullptr);
  EXPECT_STREQ(list->data, "A: 1");
  ASSERT_NE(list->next, nullptr);
  EXPECT_STREQ(list->next->data, "B: 2");
  curl_slist_free_all(list);
}

struct LockCounts {
  int locks = 0;
  int unlocks = 0;
};

void Lock(CURL*, curl_lock_data, curl_lock_access, void* user) {
  ++static_cast<LockCounts*>(user)->locks;
}
void Unlock(CURL*, curl_lock_data, void* user) { ++static_cast<LockCounts*>(user)->unlocks; }

TEST(LazyCurlShareTest, AllOptionKinds) {
  ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
  CURLSH* share = curl_share_init();
  ASSERT_NE(share, nullptr);
  LockCounts counts;
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Lock), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Unlock), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_USERDATA, &counts), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS), CURLSHE_OK);
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_SHARE, static_cast<curl_lock_data>(1000)),
            CURLSHE_BAD_OPTION);
  EXPECT_EQ(curl_share_setopt(share, CURLSHOPT_LAST, 0), CURLSHE_BAD_OPTION);

  // Attaching the share to a handle and detaching it take the share's lock: through the
  // forwarded callback, with the forwarded user data.
  CURL* easy = curl_easy_init();
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_SHARE, share), CURLE_OK);
  EXPECT_GT(counts.locks, 0);
  EXPECT_EQ(curl_share_cleanup(share), CURLSHE_IN_USE);
  EXPECT_EQ(curl_easy_setopt(easy, CURLOPT_SHARE, nullptr), CURLE_OK);
  EXPECT_EQ(counts.locks, counts.unlocks);
  curl_easy_cleanup(easy);
  EXPECT_EQ(curl_share_cleanup(share), CURLSHE_OK);
}

}  // namespace
