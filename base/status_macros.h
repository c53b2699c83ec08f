// Status propagation macros. Debian 12's Abseil (20220623) predates ABSL_RETURN_IF_ERROR and
// ABSL_ASSIGN_OR_RETURN, so slipway defines its own once, here.
#ifndef SLIPWAY_BASE_STATUS_MACROS_H_
#define SLIPWAY_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define SLIPWAY_CONCAT_INNER_(a, b) a##b
#define SLIPWAY_CONCAT_(a, b) SLIPWAY_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                                      \
  do {                                                             \
    ::absl::Status slipway_status_ = (expr);                       \
    if (!slipway_status_.ok()) return slipway_status_;             \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())` declares/assigns `x` from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  SLIPWAY_ASSIGN_OR_RETURN_IMPL_(SLIPWAY_CONCAT_(slipway_statusor_, __LINE__), lhs, expr)

#define SLIPWAY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

namespace base {

// Returns `status` with `context: ` prepended to its message, keeping the code. OK stays OK.
// Example: Annotate(s, "pushing blob sha256:…") -> "pushing blob sha256:…: connection reset".
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// Builds a status from `errno_value` with a message naming what failed, e.g.
// ErrnoError(ENOENT, "open `/x`") -> NotFound("open `/x`: No such file or directory").
absl::Status ErrnoError(int errno_value, absl::string_view what);

}  // namespace base

// Like RETURN_IF_ERROR, but prepends `context` (anything absl::StrCat takes) to the error.
#define RETURN_IF_ERROR_CTX(expr, ...)                                         \
  do {                                                                         \
    ::absl::Status slipway_status_ = (expr);                                   \
    if (!slipway_status_.ok())                                                 \
      return ::base::Annotate(slipway_status_, ::absl::StrCat(__VA_ARGS__));  \
  } while (0)

#endif  // SLIPWAY_BASE_STATUS_MACROS_H_
