// GoogleTest matchers for absl::Status / StatusOr (Abseil 20220623 ships none):
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, HasSubstr("index.json")));
//   ASSERT_OK_AND_ASSIGN(auto v, F());
#ifndef SLIPWAY_BASE_TESTING_STATUS_MATCHERS_H_
#define SLIPWAY_BASE_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base_testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace base_testing

#define SLIPWAY_TEST_CONCAT_INNER_(a, b) a##b
#define SLIPWAY_TEST_CONCAT_(a, b) SLIPWAY_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::base_testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::base_testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(SLIPWAY_TEST_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr)        \
  auto statusor = (expr);                                      \
  ASSERT_TRUE(statusor.ok()) << statusor.status().ToString(); \
  lhs = std::move(statusor).value()

#endif  // SLIPWAY_BASE_TESTING_STATUS_MATCHERS_H_
