// The seccomp filter: an allowlist equivalent to Docker's default profile, built with libseccomp.
// Anything not listed fails with EPERM; syscalls that Docker allows only with a capability (mount,
// unshare, ptrace, module loading, reboot, …) are allowed only when that capability is kept;
// clone is allowed without namespace flags; clone3 returns ENOSYS (so libc falls back to clone,
// whose flags can be checked); personality only with the harmless personas; socket not for AF_VSOCK.
#ifndef SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
#define SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_

#include <linux/filter.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace runner {

// The filter compiled to classic BPF, ready to install. Compiling takes ~1 ms (libseccomp builds
// and optimises the decision tree), so it is done before the container process is cloned, and
// memoized per capability set for processes that start many containers.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
};

// The program for a process that keeps `capabilities` (thread-safe; compiled once per set).
absl::StatusOr<std::shared_ptr<const SeccompProgram>> SeccompFilterFor(
    const std::vector<int>& capabilities);

// Installs `program` in the calling thread, without setting no_new_privs itself: the caller has set
// it, or still holds CAP_SYS_ADMIN (`--security-opt no-new-privileges=false`). Allocates nothing, so
// it is safe in a cloned child.
absl::Status InstallSeccompFilter(const SeccompProgram& program);

// How many syscalls the allowlist names that the running architecture knows (for tests).
int SeccompAllowlistSizeForTesting();

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
