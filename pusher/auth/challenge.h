// Parsing of `WWW-Authenticate` headers (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull"
//   Basic realm="Registry Realm"
// Scheme names are lower-cased; parameter names are lower-cased; quoted values are unescaped.
#ifndef SLIPWAY_PUSHER_AUTH_CHALLENGE_H_
#define SLIPWAY_PUSHER_AUTH_CHALLENGE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pusher {

struct Challenge {
  std::string scheme;  // "bearer", "basic"
  std::map<std::string, std::string> params;

  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

// All challenges in one header value (several may be comma-separated). Malformed parts are skipped.
std::vector<Challenge> ParseWwwAuthenticate(absl::string_view header);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_AUTH_CHALLENGE_H_
