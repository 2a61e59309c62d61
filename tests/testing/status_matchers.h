// Test helpers absl 20220623 lacks: status matchers and assertions.
//   EXPECT_OK(expr), ASSERT_OK(expr), ASSERT_OK_AND_ASSIGN(lhs, expr)
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound))
//   EXPECT_THAT(status, StatusIs(code, HasSubstr("...")))
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fairtrace::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code && ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace fairtrace::testing

#define EXPECT_OK(expr)                                                 \
  do {                                                                  \
    const ::absl::Status ft_s_ = ::fairtrace::testing::GetStatus(expr); \
    EXPECT_TRUE(ft_s_.ok()) << ft_s_;                                   \
  } while (0)
#define ASSERT_OK(expr)                                                 \
  do {                                                                  \
    const ::absl::Status ft_s_ = ::fairtrace::testing::GetStatus(expr); \
    ASSERT_TRUE(ft_s_.ok()) << ft_s_;                                   \
  } while (0)
#define FT_TEST_CONCAT_INNER_(a, b) a##b
#define FT_TEST_CONCAT_(a, b) FT_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) ASSERT_OK_AND_ASSIGN_IMPL_(FT_TEST_CONCAT_(ft_sor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();           \
  lhs = std::move(tmp).value()
