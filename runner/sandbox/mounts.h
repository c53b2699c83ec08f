// The container's mount namespace: the root filesystem (optionally an overlay), /proc, a minimal
// /dev with its own devpts, /dev/shm and /dev/mqueue, a read-only /sys, the user's bind mounts,
// Docker's masked and read-only paths, then pivot_root. Runs inside the new mount namespace (in the
// container's first process); every destination is resolved inside the rootfs (in_root.h).
#ifndef SLIPWAY_RUNNER_SANDBOX_MOUNTS_H_
#define SLIPWAY_RUNNER_SANDBOX_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runner/sandbox/spec.h"

namespace runner {

// Paths hidden from the container (a read-only empty tmpfs over directories, /dev/null over files).
const std::vector<std::string>& MaskedPaths();
// Paths made read-only.
const std::vector<std::string>& ReadonlyPaths();

// Builds the filesystem described by `spec` and pivots into it. On return `/` is the container's
// root and the host's tree is no longer reachable.
absl::Status SetUpMountsAndPivot(const SandboxSpec& spec);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_MOUNTS_H_
