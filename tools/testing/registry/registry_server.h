// Test registries for integration tests: starts Debian's `docker-registry` (and, for some kinds, a
// token server or a fault-injecting proxy) on ephemeral 127.0.0.1 ports through registry_env.py, and
// stops everything when the RegistryServer is destroyed (stdin of the launcher closes; its PID is
// killed if it does not exit in time). Nothing needs to be started before `bazel test`.
//
//   ASSERT_OK_AND_ASSIGN(auto reg, registry_testing::RegistryServer::Start(Kind::kBasicTls));
//   reg->host();      // "127.0.0.1:40123"
//   reg->certs_dir(); // a certs.d folder holding 127.0.0.1:40123/ca.crt
//
// Depend on //tools/testing/registry:registry_server (which carries the script as data). Needs
// python3, python3-cryptography, docker-registry, openssl and htpasswd (tools/setup.sh).
// Not thread-safe; one object per test (fixture).
#ifndef SLIPWAY_TOOLS_TESTING_REGISTRY_REGISTRY_SERVER_H_
#define SLIPWAY_TOOLS_TESTING_REGISTRY_REGISTRY_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry_testing {

enum class Kind {
  kPlain,     // plain HTTP, no auth
  kBasicTls,  // HTTPS with a test CA, htpasswd basic auth
  kToken,     // plain HTTP, RS256 bearer tokens from a test token server
  kMirror,    // an upstream registry plus a pull-through mirror in front of it
};

struct ServerOptions {
  // Put a fault-injecting proxy in front of the registry (the mirror, for kMirror).
  bool fault_proxy = false;
  // Lifetime of tokens from the token server (kToken). Default: 300 s.
  int token_expires_in = 300;
};

class RegistryServer {
 public:
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(Kind kind,
                                                               ServerOptions options = {});
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // "127.0.0.1:PORT" of the registry (the mirror for kMirror).
  const std::string& host() const { return host_; }
  // "http" or "https".
  const std::string& scheme() const { return scheme_; }
  // Credentials the registry/token server accepts (empty for kPlain and kMirror).
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  // An identity (refresh) token the token server accepts (kToken).
  const std::string& refresh_token() const { return refresh_token_; }
  // A certs.d directory trusting the test CA for host() (kBasicTls), and the CA file itself.
  const std::string& certs_dir() const { return certs_dir_; }
  const std::string& ca_file() const { return ca_file_; }
  // "127.0.0.1:PORT" of the upstream registry (kMirror).
  const std::string& upstream() const { return upstream_; }
  // "127.0.0.1:PORT" of the fault proxy (when options.fault_proxy).
  const std::string& proxy() const { return proxy_; }
  // The launcher's scratch folder (registry storage lives under `<workdir>/registry/storage`).
  const std::string& workdir() const { return workdir_; }

  // Replaces the proxy's fault rules. `rules_json` is a JSON list of
  //   {"match": "<substring of 'METHOD PATH'>", "action": "status"|"drop"|"stall"|"stall_body",
  //    "status": 500, "retry_after": 1, "after_bytes": N, "seconds": S, "times": K (-1 forever)}
  absl::Status SetFaults(absl::string_view rules_json);
  // The proxy's request counters as JSON ({"GET blob": 3, "PATCH upload": 1, "faults": 2, …}).
  absl::StatusOr<std::string> ProxyStats();
  // Resets the proxy's counters.
  absl::Status ResetProxyStats();

 private:
  RegistryServer() = default;
  absl::StatusOr<std::string> ProxyRequest(absl::string_view method, absl::string_view path,
                                           absl::string_view body);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string host_, scheme_, username_, password_, refresh_token_, certs_dir_, ca_file_,
      upstream_, proxy_, workdir_;
};

// Sends one plain HTTP/1.1 request (`Connection: close`) to `hostport` ("127.0.0.1:PORT", a
// loopback port) and returns the whole raw response: status line, headers and body. For tests
// that must see exactly what a server answers, without the registry client in between.
// Unavailable when nothing listens there.
absl::StatusOr<std::string> RawHttpRequest(absl::string_view hostport, absl::string_view method,
                                           absl::string_view path, absl::string_view body = "");

// The path of registry_env.py in the runfiles (or $SLIPWAY_REGISTRY_ENV).
std::string RegistryEnvScript();

}  // namespace registry_testing

#endif  // SLIPWAY_TOOLS_TESTING_REGISTRY_REGISTRY_SERVER_H_
