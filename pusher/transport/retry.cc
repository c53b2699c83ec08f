#include "pusher/transport/retry.h"

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pusher/errors.h"

namespace pusher {

RetryTransport::RetryTransport(HttpTransport* inner, RetryOptions options)
    : inner_(inner), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  if (!options_.random) {
    options_.random = [] {
      thread_local std::mt19937_64 rng(std::random_device{}());
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

absl::Duration RetryTransport::Backoff(int attempt, absl::string_view retry_after) {
  absl::Duration cap = options_.initial_delay;
  for (int i = 1; i < attempt && cap < options_.max_delay; ++i) cap *= 2;
  cap = std::min(cap, options_.max_delay);
  absl::Duration delay = cap * options_.random();
  int seconds = 0;
  if (!retry_after.empty() && absl::SimpleAtoi(retry_after, &seconds) && seconds >= 0) {
    delay = std::max(delay, std::min(absl::Seconds(seconds), options_.max_delay));
  }
  return delay;
}

absl::StatusOr<HttpResponse> RetryTransport::RoundTrip(const HttpRequest& request) {
  for (int attempt = 1;; ++attempt) {
    int64_t streamed = 0;
    HttpRequest counted = request;
    if (request.response_sink) {
      counted.response_sink = [&streamed, &request](absl::string_view data) {
        streamed += data.size();
        return request.response_sink(data);
      };
    }
    absl::StatusOr<HttpResponse> response = inner_->RoundTrip(counted);
    const bool last = attempt >= options_.max_attempts;
    std::string retry_after;
    std::string what;
    if (!response.ok()) {
      if (last || !IsRetryable(response.status()) || !request.retryable || streamed > 0) {
        return response;
      }
      what = std::string(response.status().message());
    } else if (response->status == 429 || response->status >= 500) {
      if (last || streamed > 0) return response;
      retry_after = response->Header("retry-after");
      what = absl::StrCat(request.method, " `", RedactUrl(request.url), "`: ", response->status);
    } else {
      return response;
    }
    if (request.body_source != nullptr) {
      absl::Status s = request.body_source->Rewind();
      if (!s.ok()) return s;
    }
    if (options_.on_retry) options_.on_retry(what);
    options_.sleep(Backoff(attempt, retry_after));
  }
}

}  // namespace pusher
