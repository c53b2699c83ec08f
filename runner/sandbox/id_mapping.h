// User-namespace id mappings for rootless runs, and doing work inside such a namespace.
//
// A rootless container maps container root to the calling user and, when /etc/subuid and
// /etc/subgid give the user a range (and the setuid helpers newuidmap/newgidmap exist), container
// ids 1..N to that range. Files owned by ids of the range (unpacked layers with their owners,
// what a container's non-root user wrote) belong to host ids the user cannot touch directly;
// RunInUserNamespace does such work as root of a namespace with the same mappings, as podman's
// `unshare` does.
#ifndef SLIPWAY_RUNNER_SANDBOX_ID_MAPPING_H_
#define SLIPWAY_RUNNER_SANDBOX_ID_MAPPING_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runner/sandbox/spec.h"

namespace runner {

struct IdMappings {
  std::vector<IdMapping> uids;
  std::vector<IdMapping> gids;
  // More than the user's own id is mapped (subordinate ranges).
  bool ranged() const { return uids.size() > 1 || gids.size() > 1; }
  // Whether container uid / gid is inside the mappings.
  bool MapsUid(uint32_t id) const;
  bool MapsGid(uint32_t id) const;
  // "u<host>+<n>…-g<host>+<n>…": names a layer cache whose files carry these mappings' owners.
  std::string Key() const;
};

// For the calling (non-root) user: container 0 = the user, plus the /etc/subuid and /etc/subgid
// ranges at container id 1 when both exist and newuidmap/newgidmap are installed.
IdMappings RootlessMappings();

// The subordinate range of the user `id` (by name or number) in `file` (/etc/subuid or
// /etc/subgid syntax), mapped at container id 1. nullopt when the file or an entry is missing.
std::optional<IdMapping> SubordinateRange(const std::string& file, uint32_t id);

// Writes /proc/PID/{uid_map,setgroups,gid_map} of a process that has just created a user
// namespace, with newuidmap/newgidmap when the mappings need more than our own ids.
absl::Status WriteIdMappings(pid_t pid, const IdMappings& mappings);

// For a process that has just unshared its user namespace: maps root inside to `uid`/`gid`, the
// ids it had outside (no helpers needed for one's own ids; setgroups is denied first).
absl::Status MapSelfToRoot(uint32_t uid, uint32_t gid);

// Runs `fn` in a forked child that is root of a new user namespace with `mappings` (and nothing
// else unshared); returns its status. `fn` runs in a copy of this process: it must not rely on
// other threads.
absl::Status RunInUserNamespace(const IdMappings& mappings, const std::function<absl::Status()>& fn);

// Removes `path` and everything below it; when that fails for lack of permission and `mappings`
// are ranged, again as root of a user namespace with them (files of subordinate ids).
absl::Status RemoveAllMapped(const std::string& path, const IdMappings& mappings);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_ID_MAPPING_H_
