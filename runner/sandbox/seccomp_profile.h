// The seccomp profile: an allowlist equivalent to Docker's default profile, compiled to classic
// BPF with libseccomp. Anything not listed fails with EPERM; syscalls that Docker allows only with
// a capability (mount, unshare, ptrace, module loading, reboot, …) are allowed only when that
// capability is kept; clone is allowed without namespace flags; clone3 returns ENOSYS (so libc
// falls back to clone, whose flags can be checked); personality only with the harmless personas;
// socket not for AF_VSOCK.
//
// This is the compiler only: seccomp.h gets programs ready to install (the default one compiled
// when slipway is built, by seccomp_export.cc).
#ifndef SLIPWAY_RUNNER_SANDBOX_SECCOMP_PROFILE_H_
#define SLIPWAY_RUNNER_SANDBOX_SECCOMP_PROFILE_H_

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"

namespace runner {

// A compiled filter: the BPF instructions seccomp(2) installs.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
};

// Compiles the profile for a process that keeps `capabilities` (~1.5 ms: libseccomp resolves
// every syscall name and builds the decision tree).
absl::StatusOr<SeccompProgram> CompileSeccompFilter(const std::vector<int>& capabilities);

// How many syscalls the allowlist names that the running architecture knows (for tests).
int SeccompAllowlistSizeForTesting();

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SECCOMP_PROFILE_H_
