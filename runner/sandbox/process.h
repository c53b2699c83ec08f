// Turning an image's config plus the user's flags into the process to run, exactly as Docker does:
// the argv (ENTRYPOINT/CMD and overrides), the environment, and the user and groups (resolved from
// the image's /etc/passwd and /etc/group). Pure functions on strings, so they are unit-tested
// without a container.
#ifndef SLIPWAY_RUNNER_SANDBOX_PROCESS_H_
#define SLIPWAY_RUNNER_SANDBOX_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runner {

inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's rules: `--entrypoint` (even "") replaces the image's ENTRYPOINT and drops its CMD; the
// arguments after the image name replace CMD; argv = entrypoint + cmd. InvalidArgument when the
// result is empty ("no command specified").
absl::StatusOr<std::vector<std::string>> CombineCommand(
    const std::optional<std::vector<std::string>>& image_entrypoint,
    const std::optional<std::vector<std::string>>& image_cmd,
    const std::optional<std::string>& entrypoint_override, const std::vector<std::string>& args);

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::string home = "/";
};

// Resolves Docker's USER syntax (`name`, `uid`, `name:group`, `uid:gid`, `` = root) against the
// contents of the image's /etc/passwd and /etc/group (either may be empty when the file is missing).
// A numeric uid need not exist; a name must (InvalidArgument otherwise). Supplementary groups are
// the primary group followed by the groups of /etc/group that list the user by name (as Docker).
absl::StatusOr<ResolvedUser> ResolveUser(const std::string& user, const std::string& passwd,
                                         const std::string& group);

// The container's environment: the image's, with PATH defaulted, HOSTNAME set, HOME from the user
// when unset, then `overrides` ("K=V" replaces K; a bare "K" copies K from `host_env` when set).
std::vector<std::string> BuildEnv(const std::vector<std::string>& image_env,
                                  const std::vector<std::string>& overrides,
                                  const std::string& hostname, const std::string& home,
                                  const std::vector<std::string>& host_env);

// Looks up `name` in the env's PATH the way execvp would, checking candidates with `exists` (called
// with a path inside the container). Names containing '/' are returned unchanged.
std::string LookPath(const std::string& name, const std::vector<std::string>& env,
                     bool (*exists)(const std::string& path, void* ctx), void* ctx);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_PROCESS_H_
