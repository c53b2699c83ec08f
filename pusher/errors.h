// Typed registry errors (go-containerregistry's transport.Error): a non-2xx response becomes an
// absl::Status that keeps the HTTP status and the OCI error codes (`MANIFEST_UNKNOWN`, …) as payloads,
// with canonical codes chosen so callers branch on one predicate:
//   401 -> kUnauthenticated, 403 -> kPermissionDenied, 404 -> kNotFound, 416 -> kOutOfRange,
//   429 and 5xx -> kUnavailable (retryable), 400 with DIGEST_INVALID -> kDataLoss, other 4xx ->
//   kInvalidArgument/kFailedPrecondition.
// Messages never contain request headers or URL queries (which can carry credentials or state).
#ifndef SLIPWAY_PUSHER_ERRORS_H_
#define SLIPWAY_PUSHER_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "pusher/transport/http.h"

namespace pusher {

// Builds the status for a failed response to `what` ("GET `https://r/v2/a/manifests/t`").
absl::Status RegistryError(absl::string_view what, const HttpResponse& response);

// The HTTP status a RegistryError carries, or 0.
int HttpStatusOf(const absl::Status& status);
// The OCI error codes a RegistryError carries ("BLOB_UNKNOWN", …).
std::vector<std::string> ErrorCodesOf(const absl::Status& status);

// True for errors worth retrying: kUnavailable (connection errors, 429, 5xx) and kDeadlineExceeded.
bool IsRetryable(const absl::Status& status);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_ERRORS_H_
