// Capabilities: the container keeps Docker's 14 default capabilities and nothing else. Called in
// the container's process after the mounts are done and before exec.
#ifndef SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_
#define SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_

#include <vector>

#include "absl/status/status.h"

namespace runner {

// CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID,
// CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
// CAP_AUDIT_WRITE.
const std::vector<int>& DefaultCapabilities();

// Drops every capability outside `keep` from the bounding set and clears the ambient set. Needs
// CAP_SETPCAP, so call it before changing user.
absl::Status DropBoundingCapabilities(const std::vector<int>& keep);

// Sets the effective and permitted sets to `keep` (for uid 0) or to nothing (any other uid, as
// Docker does for non-root users); the inheritable set is cleared.
absl::Status ApplyCapabilities(const std::vector<int>& keep, bool root_user);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_
