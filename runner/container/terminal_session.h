// The host side of `slipway run -t`: prepares the console socket the container sends its terminal
// over (sandbox/terminal.h), then relays between that terminal and this process's stdio on a
// thread: the terminal's output to stdout, and (with -i) stdin to the terminal. When stdin is a
// terminal and input is forwarded, it is put in raw mode (keys such as ^C reach the container's
// terminal as bytes) and restored by Finish() or the destructor, on every return path. A SIGWINCH
// copies the size of this process's terminal to the container's.
//
// Use: Prepare() before StartSandbox, Attach() once the command started, Finish() once it exited
// (it waits for the rest of the output). Not thread-safe; owns every fd it opens. While attached,
// SIGWINCH and SIGPIPE stay blocked in the calling thread (the relay takes them through a
// signalfd, and gets EPIPE instead of dying on a closed stdout).
#ifndef SLIPWAY_RUNNER_CONTAINER_TERMINAL_SESSION_H_
#define SLIPWAY_RUNNER_CONTAINER_TERMINAL_SESSION_H_

#include <signal.h>
#include <termios.h>

#include <memory>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/scoped_fd.h"
#include "runner/sandbox/spec.h"

namespace runner {

class TerminalSession {
 public:
  // Creates the console socket and sets `process` up for a terminal (ProcessSpec::terminal, the
  // socket, and the size of this process's terminal when stdout or stdin is one). `forward_stdin`
  // (-i): relay stdin to the container's terminal. `in_fd`/`out_fd`: this side's stdio (not owned).
  static absl::StatusOr<std::unique_ptr<TerminalSession>> Prepare(ProcessSpec* process,
                                                                  bool forward_stdin, int in_fd = 0,
                                                                  int out_fd = 1);
  ~TerminalSession();
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  // After the command started: receives the container's terminal, sets raw mode and starts the
  // relay.
  absl::Status Attach();
  // After the command exited: waits until the container's terminal is closed (all its output
  // relayed; at most ~1 s of silence), stops the relay and restores this side's terminal.
  void Finish();

 private:
  TerminalSession(bool forward_stdin, int in_fd, int out_fd)
      : forward_stdin_(forward_stdin), in_fd_(in_fd), out_fd_(out_fd) {}
  void Relay();
  void CopySize();

  const bool forward_stdin_;
  const int in_fd_;
  const int out_fd_;
  base::ScopedFd socket_host_, socket_container_;
  base::ScopedFd master_;
  base::ScopedFd winch_fd_;                      // signalfd for SIGWINCH
  base::ScopedFd stop_read_, stop_write_;        // Finish() -> relay
  std::optional<struct termios> saved_termios_;  // set while this side is in raw mode
  std::optional<sigset_t> newly_blocked_;        // what Attach() blocked; Finish() unblocks it
  std::thread relay_;
};

}  // namespace runner

#endif  // SLIPWAY_RUNNER_CONTAINER_TERMINAL_SESSION_H_
