#include "pusher/notify.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "pusher/errors.h"

namespace pusher {

std::string EncodePushEvent(const PushEvent& event) {
  nlohmann::ordered_json doc;
  doc["repository"] = event.repository;
  doc["tag"] = event.tag;
  doc["digest"] = event.digest;
  doc["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", event.time, absl::UTCTimeZone());
  return doc.dump();
}

absl::Status Notify(HttpTransport* transport, const std::string& url, const PushEvent& event) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = EncodePushEvent(event);
  req.headers.emplace_back("Content-Type", "application/json");
  absl::StatusOr<HttpResponse> resp = transport->RoundTrip(req);
  const std::string what = absl::StrCat("notifying `", RedactUrl(url), "`");
  if (!resp.ok()) return absl::Status(resp.status().code(), absl::StrCat(what, ": ", resp.status().message()));
  if (!resp->ok()) {
    absl::Status err = RegistryError(absl::StrCat("POST `", RedactUrl(url), "`"), *resp);
    return absl::Status(err.code(), absl::StrCat(what, ": ", err.message()));
  }
  return absl::OkStatus();
}

absl::Status NotifyPushed(HttpTransport* transport, const std::string& url, const oci::Reference& ref,
                          const oci::Digest& digest) {
  PushEvent event;
  event.repository = absl::StrCat(ref.registry, "/", ref.repository);
  event.tag = ref.tag;
  event.digest = digest.str();
  event.time = absl::Now();
  return Notify(transport, url, event);
}

}  // namespace pusher
