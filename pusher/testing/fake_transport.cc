#include "pusher/testing/fake_transport.h"

#include "absl/strings/match.h"

namespace pusher_testing {

std::string Recorded::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

absl::StatusOr<pusher::HttpResponse> FakeTransport::RoundTrip(
    const pusher::HttpRequest& request) {
  Recorded r;
  r.method = request.method;
  r.url = request.url;
  r.headers = request.headers;
  if (request.body_source != nullptr) {
    absl::Status s = request.body_source->Rewind();
    if (!s.ok()) return s;
    char buf[65536];
    while (true) {
      absl::StatusOr<size_t> n = request.body_source->Read(buf, sizeof(buf));
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      r.body.append(buf, *n);
    }
  } else {
    r.body = request.body;
  }
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(r);
  }
  absl::StatusOr<pusher::HttpResponse> resp = handler_(r);
  if (!resp.ok()) return resp;
  if (resp->ok() && request.response_sink && request.method != "HEAD") {
    if (request.on_body_start) {
      absl::Status s = request.on_body_start(resp->status, resp->headers);
      if (!s.ok()) return s;
    }
    // A handler may ask for a connection drop after N body bytes with header "x-fake-drop-after".
    std::string drop = resp->Header("x-fake-drop-after");
    if (!drop.empty()) {
      size_t n = std::stoul(drop);
      absl::Status s = request.response_sink(absl::string_view(resp->body).substr(0, n));
      if (!s.ok()) return s;
      return absl::UnavailableError("fake: connection dropped mid-body");
    }
    absl::Status s = request.response_sink(resp->body);
    if (!s.ok()) return s;
    resp->streamed_bytes = resp->body.size();
    resp->body.clear();
  }
  if (resp->effective_url.empty()) resp->effective_url = request.url;
  return resp;
}

std::vector<Recorded> FakeTransport::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

pusher::HttpResponse Response(int status, std::string body, pusher::Headers headers) {
  pusher::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [k, v] : headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(tolower(c));
    r.headers.emplace_back(lower, v);
  }
  return r;
}

}  // namespace pusher_testing
