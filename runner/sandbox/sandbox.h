// Starting a container process: clone into new mount, PID, UTS, IPC, network (unless host) and
// cgroup namespaces (and a user namespace when rootless), let the caller attach it (cgroup, id
// maps) while it waits, then build its filesystem, drop privileges (capabilities, seccomp,
// no_new_privs, user), and exec the command. Exec failures come back as exit statuses 126/127
// like Docker's.
//
// The caller must be single-threaded while StartSandbox runs (the child is a fork of it).
#ifndef SLIPWAY_RUNNER_SANDBOX_SANDBOX_H_
#define SLIPWAY_RUNNER_SANDBOX_SANDBOX_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "runner/sandbox/spec.h"

namespace runner {

inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;
inline constexpr int kExitSetupFailed = 125;

struct StartResult {
  // The container's first process as seen from the host; -1 when it did not start.
  pid_t pid = -1;
  // When the command could not be executed: 126 (not executable) or 127 (not found), and why.
  // The child has already been reaped.
  int exec_exit_code = 0;
  std::string exec_error;
};

// Called in the parent with the child's pid before the child sets anything up (the child waits).
using AttachFn = std::function<absl::Status(pid_t pid)>;

// Starts the container. Set-up failures in the child come back as errors naming the step.
absl::StatusOr<StartResult> StartSandbox(const SandboxSpec& spec, const AttachFn& attach);

// The exit status a shell would report: the code, or 128+signal.
int ExitStatusFromWait(int wait_status);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SANDBOX_H_
