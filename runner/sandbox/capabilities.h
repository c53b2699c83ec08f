// Capabilities: the container keeps Docker's 14 default capabilities, changed by --cap-add and
// --cap-drop with Docker's rules. Names and the add/drop arithmetic are pure functions; the Drop*/
// Apply* calls run in the container's process after the mounts are done and before exec.
#ifndef SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_
#define SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runner {

// CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID,
// CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
// CAP_AUDIT_WRITE.
const std::vector<int>& DefaultCapabilities();

// The highest capability number known to this code (CAP_CHECKPOINT_RESTORE, 40).
inline constexpr int kLastKnownCapability = 40;

// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap), at most
// kLastKnownCapability.
int KernelLastCapability();

// "CAP_CHOWN" for CAP_CHOWN; "CAP_<n>" for numbers without a name.
std::string CapabilityName(int cap);

// Docker's spelling rules: any case, with or without the `CAP_` prefix, surrounding spaces
// ignored (`chown`, `Cap_Net_Admin`). InvalidArgument naming the capability when it is unknown or
// above `last_cap` (the running kernel's). `ALL` is not a capability here (see below).
absl::StatusOr<int> ParseCapability(absl::string_view name, int last_cap);

// The capabilities this process can hand on to a container: its bounding set, up to
// KernelLastCapability(). (Less than every capability when slipway itself runs confined.)
std::vector<int> AvailableCapabilities();

// The capabilities a container keeps for `docker run --cap-add ... --cap-drop ...`: Docker's 14
// defaults minus the drops plus the adds, where an add wins over a drop of the same capability,
// `--cap-drop ALL` starts from nothing (only the adds), and `--cap-add ALL` keeps every capability
// of `available` whatever is dropped. Sorted, without duplicates. InvalidArgument for an unknown
// name (above `last_cap`), FailedPrecondition for an added capability outside `available`; both
// say which flag gave it.
absl::StatusOr<std::vector<int>> ResolveCapabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop,
                                                     int last_cap,
                                                     const std::vector<int>& available);

// Drops every capability outside `keep` from the bounding set and clears the ambient set. Needs
// CAP_SETPCAP, so call it before changing user.
absl::Status DropBoundingCapabilities(const std::vector<int>& keep);

// Sets the effective and permitted sets to `keep` (for uid 0) or to nothing (any other uid, as
// Docker does for non-root users); the inheritable set is cleared.
absl::Status ApplyCapabilities(const std::vector<int>& keep, bool root_user);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_CAPABILITIES_H_
