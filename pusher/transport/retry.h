// RetryTransport: resends a request after transient failures, with exponential backoff and full
// jitter: connection errors (kUnavailable from the inner transport), 5xx, and 429 (waiting at least
// the `Retry-After` seconds the server asked for, capped by max_delay). Requests marked
// `retryable = false` are never resent after a connection error (their callers resume), and a
// request whose response had already started streaming into its sink is not resent either (the
// caller resumes with Range). The last response or error is returned when attempts run out.
// Sleep and randomness are injectable for tests. Thread-safe if the inner transport is.
#ifndef SLIPWAY_PUSHER_TRANSPORT_RETRY_H_
#define SLIPWAY_PUSHER_TRANSPORT_RETRY_H_

#include <functional>

#include "absl/time/time.h"
#include "pusher/transport/http.h"

namespace pusher {

struct RetryOptions {
  // Total tries, including the first. Default: 5.
  int max_attempts = 5;
  // Backoff before retry n (1-based) is uniform in [0, min(max_delay, initial_delay * 2^(n-1))].
  // Default: 200 ms initial, 10 s max.
  absl::Duration initial_delay = absl::Milliseconds(200);
  absl::Duration max_delay = absl::Seconds(10);
  // Default: absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
  // Returns a number in [0, 1). Default: a thread-local PRNG.
  std::function<double()> random;
  // Called before each retry with what failed (for progress output). Optional.
  std::function<void(const std::string& what)> on_retry;
};

class RetryTransport : public HttpTransport {
 public:
  // `inner` is not owned.
  RetryTransport(HttpTransport* inner, RetryOptions options = {});
  absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& request) override;

  // The delay before retry `attempt` (1-based) given a Retry-After header value ("" if none).
  absl::Duration Backoff(int attempt, absl::string_view retry_after);

 private:
  HttpTransport* const inner_;  // Not owned.
  RetryOptions options_;
};

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_TRANSPORT_RETRY_H_
