// Session: everything one command needs to talk to registries, built once: the transport stack
// (AuthTransport over RetryTransport over CurlTransport, or a test's transport), the credential
// store, the mirrors configuration, and one Registry client per host (so scheme discovery and
// tokens are shared by all the transfers of the command). Thread-safe.
#ifndef SLIPWAY_PUSHER_SESSION_H_
#define SLIPWAY_PUSHER_SESSION_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "pusher/auth/auth_transport.h"
#include "pusher/auth/credentials.h"
#include "pusher/mirrors.h"
#include "pusher/progress.h"
#include "pusher/registry_client.h"
#include "pusher/transport/curl_transport.h"
#include "pusher/transport/retry.h"

namespace pusher {

struct SessionOptions {
  // Hosts that may be reached over plain http and whose TLS is not verified.
  std::set<std::string> insecure_registries;
  // Where config.json lives. Default: DockerConfigDir().
  std::string docker_config_dir;
  CurlTransportOptions curl;
  RetryOptions retry;
  // When set, used for every host instead of the credential store (login checks these).
  std::optional<Credential> credential_override;
  // Mirrors (from the slipway config file). Default: none.
  MirrorConfig mirrors;
  // Replaces CurlTransport (tests). Not owned.
  HttpTransport* base_transport = nullptr;
  // Upload tuning (see RegistryOptions).
  int64_t monolithic_limit = 32 << 20;
  int64_t chunk_size = 64 << 20;
  // Where retries and mirror fallbacks are reported. Not owned; may be null.
  Progress* progress = nullptr;
};

class Session {
 public:
  static absl::StatusOr<std::unique_ptr<Session>> Create(SessionOptions options);

  // The client for `host` ("localhost:5000", "docker.io"). Never null; owned by the session.
  Registry* ForHost(const std::string& host);
  // The client for a mirror endpoint, spoken to with the scheme its URL gave.
  Registry* ForMirror(const MirrorEndpoint& mirror);
  HttpTransport* transport() { return auth_.get(); }
  // The retrying transport without auth (for notifications and other plain HTTP).
  HttpTransport* plain_transport() { return retry_.get(); }
  CredentialStore& credentials() { return *store_; }
  const SessionOptions& options() const { return options_; }

 private:
  Session() = default;
  Registry* Get(const std::string& host, const std::string& scheme);
  SessionOptions options_;
  std::unique_ptr<CurlTransport> curl_;
  std::unique_ptr<RetryTransport> retry_;
  std::unique_ptr<AuthTransport> auth_;
  std::unique_ptr<CredentialStore> store_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Registry>> registries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_SESSION_H_
