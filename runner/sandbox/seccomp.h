// The seccomp filter: an allowlist equivalent to Docker's default profile, built with libseccomp.
// Anything not listed fails with EPERM; syscalls that Docker allows only with a capability (mount,
// unshare, ptrace, module loading, reboot, …) are allowed only when that capability is kept;
// clone is allowed without namespace flags; clone3 returns ENOSYS (so libc falls back to clone,
// whose flags can be checked); personality only with the harmless personas; socket not for AF_VSOCK.
#ifndef SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
#define SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_

#include <vector>

#include "absl/status/status.h"

namespace runner {

// Loads the filter into the calling thread (after no_new_privs, or while holding CAP_SYS_ADMIN).
// `capabilities` is the set the process will keep.
absl::Status LoadSeccompFilter(const std::vector<int>& capabilities);

// How many syscalls the allowlist names that the running architecture knows (for tests).
int SeccompAllowlistSizeForTesting();

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
