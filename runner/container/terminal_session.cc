#include "runner/container/terminal_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/status_macros.h"
#include "runner/sandbox/terminal.h"

namespace runner {
namespace {

// Writes all of `data`; false when the fd stopped taking it (EPIPE, EIO, ...).
bool WriteFully(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pfd = {fd, POLLOUT, 0};
      poll(&pfd, 1, 100);
      continue;
    }
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TerminalSession>> TerminalSession::Prepare(ProcessSpec* process,
                                                                          bool forward_stdin,
                                                                          int in_fd, int out_fd) {
  std::unique_ptr<TerminalSession> s(new TerminalSession(forward_stdin, in_fd, out_fd));
  ASSIGN_OR_RETURN(ConsoleSocket socket, NewConsoleSocket());
  s->socket_host_ = std::move(socket.host);
  s->socket_container_ = std::move(socket.container);
  process->terminal = true;
  process->console_socket_fd = s->socket_container_.get();
  struct winsize ws = {};
  if (ioctl(out_fd, TIOCGWINSZ, &ws) == 0 || ioctl(in_fd, TIOCGWINSZ, &ws) == 0) {
    process->terminal_rows = ws.ws_row;
    process->terminal_cols = ws.ws_col;
  }
  return s;
}

TerminalSession::~TerminalSession() { Finish(); }

absl::Status TerminalSession::Attach() {
  socket_container_.Reset();  // the container has its own copy (or is gone)
  ASSIGN_OR_RETURN(master_, ReceiveTerminalMaster(socket_host_.get()));
  socket_host_.Reset();
  int stop[2];
  if (pipe2(stop, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe for the terminal relay");
  stop_read_.Reset(stop[0]);
  stop_write_.Reset(stop[1]);

  // SIGWINCH must stay blocked in every thread so that it waits for the relay's signalfd (its
  // default action is to be discarded); SIGPIPE so that a closed stdout is an EPIPE, not death.
  sigset_t wanted, old;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGWINCH);
  sigaddset(&wanted, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &wanted, &old);
  sigset_t newly;
  sigemptyset(&newly);
  for (int sig : {SIGWINCH, SIGPIPE})
    if (!sigismember(&old, sig)) sigaddset(&newly, sig);
  newly_blocked_ = newly;
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  int sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return base::ErrnoError(errno, "signalfd for SIGWINCH");
  winch_fd_.Reset(sfd);

  if (forward_stdin_ && isatty(in_fd_)) {
    struct termios saved;
    if (tcgetattr(in_fd_, &saved) < 0)
      return base::ErrnoError(errno, "reading the terminal settings of stdin");
    struct termios raw = saved;
    cfmakeraw(&raw);
    if (tcsetattr(in_fd_, TCSANOW, &raw) < 0)
      return base::ErrnoError(errno, "putting stdin's terminal in raw mode");
    saved_termios_ = saved;
  }
  CopySize();  // it may have changed since Prepare
  relay_ = std::thread(&TerminalSession::Relay, this);
  return absl::OkStatus();
}

void TerminalSession::Finish() {
  if (relay_.joinable()) {
    char stop = 1;
    (void)!write(stop_write_.get(), &stop, 1);
    relay_.join();
  }
  if (saved_termios_) {
    tcsetattr(in_fd_, TCSANOW, &*saved_termios_);
    saved_termios_.reset();
  }
  if (newly_blocked_) {
    pthread_sigmask(SIG_UNBLOCK, &*newly_blocked_, nullptr);
    newly_blocked_.reset();
  }
  master_.Reset();
  winch_fd_.Reset();
  stop_read_.Reset();
  stop_write_.Reset();
  socket_host_.Reset();
  socket_container_.Reset();
}

void TerminalSession::CopySize() {
  struct winsize ws = {};
  if (ioctl(out_fd_, TIOCGWINSZ, &ws) == 0 || ioctl(in_fd_, TIOCGWINSZ, &ws) == 0)
    ioctl(master_.get(), TIOCSWINSZ, &ws);
}

void TerminalSession::Relay() {
  char buf[16384];
  bool stdin_open = forward_stdin_;
  bool out_open = true;
  bool stopping = false;
  for (;;) {
    struct pollfd fds[4] = {{master_.get(), POLLIN, 0},
                            {winch_fd_.get(), POLLIN, 0},
                            {stopping ? -1 : stop_read_.get(), POLLIN, 0},
                            {stdin_open ? in_fd_ : -1, POLLIN, 0}};
    // Once the container has exited, its terminal closes when its last process is gone; a second
    // of silence after that ends the relay anyway.
    int ready = poll(fds, 4, stopping ? 1000 : -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    if (fds[0].revents != 0) {
      ssize_t n = read(master_.get(), buf, sizeof(buf));
      if (n > 0) {
        if (out_open) out_open = WriteFully(out_fd_, buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        break;  // EIO: every process holding the container's terminal is gone
      }
    }
    if (fds[1].revents != 0) {
      struct signalfd_siginfo si;
      while (read(winch_fd_.get(), &si, sizeof(si)) == sizeof(si)) {
      }
      CopySize();
    }
    if (fds[2].revents != 0) stopping = true;
    if (fds[3].revents != 0) {
      ssize_t n = read(in_fd_, buf, sizeof(buf));
      if (n > 0) {
        if (!WriteFully(master_.get(), buf, static_cast<size_t>(n))) stdin_open = false;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
      }
    }
  }
}

}  // namespace runner
