// The container's terminal for `run -t`, allocated the way runc does it: the container's first
// process opens a pseudo-terminal from its own devpts instance (/dev/pts/ptmx, after pivot_root),
// makes the slave its controlling terminal and stdin/stdout/stderr, and hands the master to the
// host over a unix socket (SCM_RIGHTS). The host side (runner/container/terminal_session.h) relays
// between the master and its own stdio.
//
// Ownership: every function takes fds it does not own unless it says otherwise.
#ifndef SLIPWAY_RUNNER_SANDBOX_TERMINAL_H_
#define SLIPWAY_RUNNER_SANDBOX_TERMINAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/scoped_fd.h"
#include "runner/sandbox/spec.h"

namespace runner {

// Both ends of a console socket (AF_UNIX stream pair, close-on-exec): `host` stays with the
// caller, `container` goes into ProcessSpec::console_socket_fd.
struct ConsoleSocket {
  base::ScopedFd host;
  base::ScopedFd container;
};
absl::StatusOr<ConsoleSocket> NewConsoleSocket();

// In the container's process (a session will be created; call before exec, after the mounts):
// opens a pty from /dev/pts/ptmx, sets its size from `p.terminal_rows/cols`, gives the slave to
// `p.uid`, makes it the controlling terminal and fds 0, 1 and 2, sends the master over
// `p.console_socket_fd` and closes its own copies of the master and the socket. Returns the
// slave's path (/dev/pts/N).
absl::StatusOr<std::string> SetUpContainerTerminal(const ProcessSpec& p);

// Bind-mounts the terminal `slave_path` onto /dev/console (as runc does for a terminal), creating
// the mount point. Runs inside the container's mount namespace, before capabilities are dropped.
absl::Status BindConsole(const std::string& slave_path);

// Sends the terminal `master_fd` over `socket_fd` (what SetUpContainerTerminal does with it).
absl::Status SendTerminalMaster(int socket_fd, int master_fd);

// Receives the master sent by SetUpContainerTerminal, without waiting (the container sends it
// before it execs, so it is there once the command started). Returns the owned fd.
absl::StatusOr<base::ScopedFd> ReceiveTerminalMaster(int socket_fd);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_TERMINAL_H_
