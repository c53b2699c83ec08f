#include "pusher/errors.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pusher {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

HttpResponse Resp(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ErrorsTest, KeepsStatusAndOciCodes) {
  absl::Status s = RegistryError(
      "GET `https://r/v2/a/manifests/t`",
      Resp(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          HasSubstr("404 Not Found: MANIFEST_UNKNOWN: manifest unknown")));
  EXPECT_EQ(HttpStatusOf(s), 404);
  EXPECT_THAT(ErrorCodesOf(s), ElementsAre("MANIFEST_UNKNOWN"));
}

TEST(ErrorsTest, MapsRetryableStatuses) {
  EXPECT_TRUE(IsRetryable(RegistryError("x", Resp(429, ""))));
  EXPECT_TRUE(IsRetryable(RegistryError("x", Resp(503, "busy"))));
  EXPECT_FALSE(IsRetryable(RegistryError("x", Resp(404, ""))));
  EXPECT_THAT(RegistryError("x", Resp(401, "")), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("401")));
  EXPECT_THAT(RegistryError("x", Resp(403, "")), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("403")));
}

TEST(ErrorsTest, DigestInvalidIsDataLoss) {
  absl::Status s = RegistryError("PUT `u`", Resp(400, R"({"errors":[{"code":"DIGEST_INVALID"}]})"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("DIGEST_INVALID")));
}

TEST(ErrorsTest, StatusSurvivesAnnotationOfPayloads) {
  absl::Status s = RegistryError("x", Resp(500, ""));
  EXPECT_EQ(HttpStatusOf(s), 500);
  EXPECT_EQ(HttpStatusOf(absl::OkStatus()), 0);
}

TEST(ErrorsTest, RedactUrlDropsQueryAndUserinfo) {
  EXPECT_EQ(RedactUrl("https://u:secret@h:5000/v2/a/blobs/uploads/x?_state=abc&digest=d"),
            "https://h:5000/v2/a/blobs/uploads/x");
}

}  // namespace
}  // namespace pusher
