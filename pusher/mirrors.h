// Registry mirrors from slipway's config file (`$XDG_CONFIG_HOME/slipway/config.json`, else
// ~/.config/slipway/config.json, or --config). The per-registry settings use the key Docker's
// daemon.json uses for its list:
//
//   {"registries": {"docker.io": {"registry-mirrors": ["https://mirror.example"],
//                                 "no-fallback": false},
//                   "127.0.0.1:5000": {"registry-mirrors": ["http://127.0.0.1:5001"]}},
//    "registry-mirrors": ["https://mirror-for-docker-io.example"],
//    "insecure-registries": ["my-registry:5000"]}
//
// A top-level `registry-mirrors` applies to docker.io, as in daemon.json. Pulls try each mirror in
// order, then the registry itself unless `no-fallback` is set.
#ifndef SLIPWAY_PUSHER_MIRRORS_H_
#define SLIPWAY_PUSHER_MIRRORS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pusher {

struct MirrorEndpoint {
  std::string host;    // "127.0.0.1:5001"
  std::string scheme;  // "http", "https" (from the URL)
};

struct RegistryMirrors {
  std::vector<MirrorEndpoint> mirrors;
  bool no_fallback = false;
};

struct MirrorConfig {
  std::map<std::string, RegistryMirrors> registries;
  std::set<std::string> insecure_registries;
  // The mirrors for `registry` (empty when none).
  RegistryMirrors For(const std::string& registry) const;
};

// The default config file path.
std::string DefaultConfigPath();
// Parses the config file's text. InvalidArgument names the bad key.
absl::StatusOr<MirrorConfig> ParseMirrorConfig(const std::string& json, const std::string& path);
// Loads `path`; a missing file is an empty config.
absl::StatusOr<MirrorConfig> LoadMirrorConfig(const std::string& path = DefaultConfigPath());

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_MIRRORS_H_
