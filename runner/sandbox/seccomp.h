// Seccomp programs ready to install in a container's first process (the profile itself is in
// seccomp_profile.h). The program for Docker's default capabilities is compiled when slipway is
// built (seccomp_export.cc writes it into the binary), so the common start-up compiles nothing;
// other capability sets are compiled on first use and memoized for processes that start many
// containers.
#ifndef SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
#define SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runner/sandbox/seccomp_profile.h"

namespace runner {

// The program for a process that keeps `capabilities` (thread-safe).
absl::StatusOr<std::shared_ptr<const SeccompProgram>> SeccompFilterFor(
    const std::vector<int>& capabilities);

// Whether SeccompFilterFor(capabilities) is ready without compiling anything.
bool SeccompFilterIsPrebuilt(const std::vector<int>& capabilities);

// Installs `program` in the calling thread, without setting no_new_privs itself: the caller has set
// it, or still holds CAP_SYS_ADMIN (`--security-opt no-new-privileges=false`). Allocates nothing, so
// it is safe in a cloned child.
absl::Status InstallSeccompFilter(const SeccompProgram& program);

// Written by seccomp_export.cc at build time: the default capabilities (sorted) the program was
// compiled for, and the program.
extern const int kPrebuiltSeccompCapabilities[];
extern const size_t kPrebuiltSeccompCapabilityCount;
extern const sock_filter kPrebuiltSeccompProgram[];
extern const size_t kPrebuiltSeccompProgramSize;

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SECCOMP_H_
