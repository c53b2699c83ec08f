// The container's name and /etc/hosts entries from `slipway run --hostname NAME` and
// `--add-host HOST:IP`, with Docker's rules. Pure functions on strings.
#ifndef SLIPWAY_RUNNER_CONTAINER_ETC_HOSTS_H_
#define SLIPWAY_RUNNER_CONTAINER_ETC_HOSTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runner {

// One `--add-host` entry.
struct ExtraHost {
  std::string name;
  std::string ip;  // as given (IPv4 or IPv6), without brackets
};

// Parses `HOST:IP` (split at the first `:`, so IPv6 addresses need no brackets), or `HOST=IP`;
// the IP may be in brackets (`[::1]`). InvalidArgument for an empty HOST, a HOST with a `:` or
// whitespace, or an IP that is not an IPv4 or IPv6 address (Docker's `host-gateway` is refused:
// slipway's containers have no bridge network whose gateway it could name).
absl::StatusOr<ExtraHost> ParseExtraHost(absl::string_view flag);

// A valid `--hostname`: 1 to 64 bytes (the kernel's HOST_NAME_MAX), dot-separated labels of
// letters, digits and inner hyphens (RFC 1123). InvalidArgument otherwise.
absl::Status ValidateHostname(absl::string_view name);

// `hosts` (the container's /etc/hosts) followed by one `IP<TAB>HOST` line per extra host, in
// order, as Docker appends them. A missing final newline of `hosts` is added first.
std::string AppendExtraHosts(std::string hosts, const std::vector<ExtraHost>& extra);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_CONTAINER_ETC_HOSTS_H_
