// FakeTransport: an in-process HttpTransport for unit tests. Each request is recorded and answered
// by a handler the test supplies; no network is used. Thread-safe.
#ifndef SLIPWAY_PUSHER_TESTING_FAKE_TRANSPORT_H_
#define SLIPWAY_PUSHER_TESTING_FAKE_TRANSPORT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "pusher/transport/http.h"

namespace pusher_testing {

// A recorded request (bodies read out of any ByteSource).
struct Recorded {
  std::string method;
  std::string url;
  pusher::Headers headers;
  std::string body;
  std::string Header(const std::string& name) const;
};

class FakeTransport : public pusher::HttpTransport {
 public:
  using Handler = std::function<absl::StatusOr<pusher::HttpResponse>(const Recorded&)>;
  explicit FakeTransport(Handler handler) : handler_(std::move(handler)) {}

  // Reads the request body, records the request and calls the handler. A 2xx response body is
  // delivered to the request's sink when it has one.
  absl::StatusOr<pusher::HttpResponse> RoundTrip(const pusher::HttpRequest& request) override;

  std::vector<Recorded> requests() const;

 private:
  Handler handler_;
  mutable absl::Mutex mu_;
  std::vector<Recorded> requests_ ABSL_GUARDED_BY(mu_);
};

// A response with `status`, `body` and headers.
pusher::HttpResponse Response(int status, std::string body = "", pusher::Headers headers = {});

}  // namespace pusher_testing

#endif  // SLIPWAY_PUSHER_TESTING_FAKE_TRANSPORT_H_
