#include "base/status_macros.h"

#include <cstring>

namespace base {

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status ErrnoError(int errno_value, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(errno_value),
                      absl::StrCat(what, ": ", std::strerror(errno_value)));
}

}  // namespace base
