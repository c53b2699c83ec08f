// CurlTransport: HttpTransport on libcurl. One object is shared by every request of a process:
// connections, DNS answers and TLS sessions are reused through a curl share handle, HTTP/2 is
// negotiated over TLS (ALPN), and TLS peers are verified by default against the system CAs plus
// Docker-style per-registry directories (`certs.d/HOST[:PORT]/ca.crt`, client certificates as
// `*.cert` + `*.key`). Proxies come from the environment (http_proxy, https_proxy, no_proxy) as
// libcurl reads them. Stalled transfers fail after `low_speed_time` with kUnavailable.
//
// Which scheme a registry is spoken to with is decided by the registry client (plain HTTP only for
// localhost or `--insecure-registry`); this class sends what it is given, except that it refuses
// plain http:// to hosts outside `Options::allow_http_hosts` when `enforce_tls` is set.
// Thread-safe.
#ifndef SLIPWAY_PUSHER_TRANSPORT_CURL_TRANSPORT_H_
#define SLIPWAY_PUSHER_TRANSPORT_CURL_TRANSPORT_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pusher/transport/http.h"

namespace pusher {

struct CurlTransportOptions {
  // Directories searched for `HOST[:PORT]/ca.crt` and client certs, in order. Default (when empty):
  // $DOCKER_CONFIG/certs.d (or ~/.docker/certs.d), /etc/docker/certs.d, ~/.config/slipway/certs.d.
  std::vector<std::string> certs_dirs;
  // Hosts ("host:port" or "host") whose TLS certificates are not verified (`--insecure-registry`).
  std::set<std::string> insecure_hosts;
  // System CA bundle. Default: /etc/ssl/certs/ca-certificates.crt.
  std::string system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  // Default: 30 s.
  absl::Duration connect_timeout = absl::Seconds(30);
  // A transfer slower than 1 byte/s for this long is aborted. Default: 60 s.
  absl::Duration low_speed_time = absl::Seconds(60);
  std::string user_agent = "slipway/0.1";
};

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& request) override;

  // The certs.d directories used (after defaults are applied).
  const std::vector<std::string>& certs_dirs() const { return options_.certs_dirs; }

 private:
  struct Shared;
  CurlTransportOptions options_;
  std::unique_ptr<Shared> shared_;
};

// The default certs.d search path (see CurlTransportOptions::certs_dirs).
std::vector<std::string> DefaultCertsDirs();

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_TRANSPORT_CURL_TRANSPORT_H_
