// Registry credentials where Docker keeps them: `$DOCKER_CONFIG/config.json` (default
// ~/.docker/config.json) with `auths.<server>.auth` (base64 "user:password") or
// `auths.<server>.identitytoken`, `credsStore` (a default helper) and `credHelpers` (per server),
// the helpers being `docker-credential-NAME get|store|erase` speaking JSON on stdin/stdout.
//
// Server keys are matched as Docker does: `docker.io` is stored as "https://index.docker.io/v1/",
// and keys with a scheme or a path (`https://host:5000/v1/`) match their host.
// Writes (login/logout) keep every key of config.json we do not understand, and replace the file
// atomically with mode 0600. Secrets are never put in error messages.
// Not thread-safe for writes; a CredentialStore is loaded once per command.
#ifndef SLIPWAY_PUSHER_AUTH_CREDENTIALS_H_
#define SLIPWAY_PUSHER_AUTH_CREDENTIALS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pusher {

struct Credential {
  std::string username;
  std::string password;
  // An OAuth2 refresh token (`identitytoken`), used instead of the password at the token server.
  std::string identity_token;
  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// The directory holding config.json: $DOCKER_CONFIG, else $HOME/.docker.
std::string DockerConfigDir();

class CredentialStore {
 public:
  // Reads `<dir>/config.json` (missing file = no credentials). InvalidArgument on malformed JSON.
  static absl::StatusOr<CredentialStore> Load(const std::string& dir = DockerConfigDir());

  // Credentials for `registry` ("docker.io", "localhost:5000"); an empty Credential if none.
  // Errors only when a configured helper fails.
  absl::StatusOr<Credential> Get(absl::string_view registry) const;
  // Stores credentials (through the helper when one is configured for `registry`).
  absl::Status Store(absl::string_view registry, const Credential& credential);
  // Removes them. NotFound when there were none.
  absl::Status Erase(absl::string_view registry);

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
  std::string json_;  // config.json as read ("{}" when missing)

  std::string HelperFor(absl::string_view registry) const;
  absl::Status Save(const std::string& json);
};

// The key Docker uses in `auths` for a registry.
std::string ServerKey(absl::string_view registry);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_AUTH_CREDENTIALS_H_
