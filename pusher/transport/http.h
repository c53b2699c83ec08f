// The HTTP vocabulary of the registry client: requests, responses, streaming bodies, and the
// HttpTransport interface that CurlTransport implements and that auth and retry decorate
// (go-containerregistry's RoundTripper pattern). Unit tests implement HttpTransport in-process.
//
// Bodies stream both ways: a request may carry a ByteSource (read on demand, rewound for a resend),
// and a successful (2xx) response body may go to a sink callback instead of memory. Error bodies
// (non-2xx) are always captured into HttpResponse::body (capped) so errors can be decoded.
//
// Thread-safety: HttpTransport implementations are thread-safe; requests and sources are not shared.
#ifndef SLIPWAY_PUSHER_TRANSPORT_HTTP_H_
#define SLIPWAY_PUSHER_TRANSPORT_HTTP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pusher {

// A request body read on demand. Size must be known up front (registries want Content-Length).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes; 0 at end.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t size) = 0;
  // Total bytes this source yields.
  virtual int64_t size() const = 0;
  // Starts again from the beginning (for resends after a redirect or an auth challenge).
  virtual absl::Status Rewind() = 0;
};

// A body held in memory.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;
  int64_t size() const override { return static_cast<int64_t>(data_.size()); }
  absl::Status Rewind() override {
    pos_ = 0;
    return absl::OkStatus();
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// `length` bytes of a file starting at `offset` (pread, so the fd's position is not used).
class FileRangeSource : public ByteSource {
 public:
  // Opens `path`; NotFound/PermissionDenied name it.
  static absl::StatusOr<std::unique_ptr<FileRangeSource>> Open(const std::string& path,
                                                               int64_t offset = 0,
                                                               int64_t length = -1);
  ~FileRangeSource() override;
  absl::StatusOr<size_t> Read(char* buf, size_t size) override;
  int64_t size() const override { return length_; }
  absl::Status Rewind() override {
    pos_ = 0;
    return absl::OkStatus();
  }

 private:
  FileRangeSource(int fd, std::string path, int64_t offset, int64_t length)
      : fd_(fd), path_(std::move(path)), offset_(offset), length_(length) {}
  int fd_;
  std::string path_;
  int64_t offset_;
  int64_t length_;
  int64_t pos_ = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  // Small bodies (manifests, forms). Ignored when body_source is set.
  std::string body;
  // A streaming body. Not owned; must outlive RoundTrip.
  ByteSource* body_source = nullptr;
  // When set, a 2xx response body is passed here in pieces instead of into HttpResponse::body. An
  // error from the sink aborts the transfer and is returned by RoundTrip.
  std::function<absl::Status(absl::string_view)> response_sink;
  // Called once, before the first byte reaches response_sink, with the final status and headers
  // (e.g. to tell a 206 from a 200 answer to a Range request). An error aborts the transfer.
  std::function<absl::Status(int status, const Headers& headers)> on_body_start;
  // Follow 3xx redirects (blob downloads go to storage URLs). Default: true.
  bool follow_redirects = true;
  // May a decorator resend this request after a connection error? Uploads that the server may have
  // partly consumed set false and resume themselves. Default: true.
  bool retryable = true;
  // When false, the auth decorator does not answer a 401 (it still learns the challenge); used by
  // the /v2/ ping that only discovers how a registry authenticates. Default: true.
  bool authenticate = true;
  // Token scopes this request needs ("repository:a/b:pull,push"); read by the auth decorator.
  std::vector<std::string> scopes;
  // Called with (bytes transferred so far, total or -1) as the body moves. Optional.
  std::function<void(int64_t, int64_t)> progress;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased, in arrival order
  std::string body;  // unless streamed to response_sink
  std::string effective_url;  // after redirects
  // Bytes delivered to response_sink.
  int64_t streamed_bytes = 0;

  // First value of header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
  std::vector<std::string> HeaderValues(absl::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and returns the response, whatever its status. A non-OK status means no
  // complete response arrived (connection refused, TLS failure, timeout, dropped mid-body):
  // kUnavailable for transient network errors, kFailedPrecondition for TLS verification failures,
  // or the sink's error.
  virtual absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& request) = 0;
};

// Strips the query and fragment from a URL for messages (upload URLs carry opaque state).
std::string RedactUrl(absl::string_view url);

// The host (and port, when the URL has one) a URL names, without scheme, userinfo, path, query or
// fragment: "https://user@host:5000/v2/?q" -> "host:5000". The key for per-host state (TLS trust,
// auth challenges and tokens).
std::string UrlHost(absl::string_view url);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_TRANSPORT_HTTP_H_
