// Push notifications (`--notify URL`): after a successful push or copy, POST a JSON event
//   {"repository": "127.0.0.1:5000/app", "tag": "1.0", "digest": "sha256:…", "time": "2026-…Z"}
// with Content-Type application/json, so a pipeline can trigger a deploy. Non-2xx is an error.
#ifndef SLIPWAY_PUSHER_NOTIFY_H_
#define SLIPWAY_PUSHER_NOTIFY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "oci/digest.h"
#include "oci/reference.h"
#include "pusher/transport/http.h"

namespace pusher {

struct PushEvent {
  std::string repository;  // registry/repository
  std::string tag;         // may be empty (pushed by digest)
  std::string digest;
  absl::Time time;
};

// The JSON body for `event`.
std::string EncodePushEvent(const PushEvent& event);
// POSTs the event to `url` through `transport` (not owned).
absl::Status Notify(HttpTransport* transport, const std::string& url, const PushEvent& event);
// Notify with the event for `digest` having just been pushed to `ref` (repository and tag from it,
// time now): what push, copy and build --push send.
absl::Status NotifyPushed(HttpTransport* transport, const std::string& url, const oci::Reference& ref,
                          const oci::Digest& digest);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_NOTIFY_H_
