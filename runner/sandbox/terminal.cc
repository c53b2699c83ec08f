#include "runner/sandbox/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace runner {
namespace {

// A one-byte message with room for one descriptor (SCM_RIGHTS), set up as sendmsg and recvmsg
// want it. It points into itself, so it is not copied.
struct FdMessage {
  char byte = 'T';
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};

  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

absl::Status SendTerminalMaster(int socket_fd, int fd) {
  FdMessage m;
  struct msghdr& msg = m.msg;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return base::ErrnoError(errno, "sending the terminal to the host (sendmsg)");
  return absl::OkStatus();
}

absl::StatusOr<ConsoleSocket> NewConsoleSocket() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return base::ErrnoError(errno, "socketpair for the container's terminal");
  ConsoleSocket s;
  s.host.Reset(fds[0]);
  s.container.Reset(fds[1]);
  return s;
}

absl::StatusOr<std::string> SetUpContainerTerminal(const ProcessSpec& p) {
  int raw = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (raw < 0) return base::ErrnoError(errno, "open `/dev/pts/ptmx`");
  base::ScopedFd master(raw);
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) < 0)
    return base::ErrnoError(errno, "unlocking the terminal (TIOCSPTLCK)");
  unsigned int number = 0;
  if (ioctl(master.get(), TIOCGPTN, &number) < 0)
    return base::ErrnoError(errno, "terminal number (TIOCGPTN)");
  std::string slave_path = absl::StrCat("/dev/pts/", number);
  // The peer of this very master, whatever is mounted at the path.
  raw = ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (raw < 0) return base::ErrnoError(errno, absl::StrCat("open `", slave_path, "`"));
  base::ScopedFd slave(raw);
  if (p.terminal_rows > 0 && p.terminal_cols > 0) {
    struct winsize ws = {};
    ws.ws_row = p.terminal_rows;
    ws.ws_col = p.terminal_cols;
    if (ioctl(slave.get(), TIOCSWINSZ, &ws) < 0)
      return base::ErrnoError(errno, absl::StrCat("setting the size of `", slave_path, "`"));
  }
  // Like a login terminal, it belongs to the user who runs in it.
  if (fchown(slave.get(), p.uid, static_cast<gid_t>(-1)) < 0)
    return base::ErrnoError(errno, absl::StrCat("chown `", slave_path, "` to ", p.uid));
  if (setsid() < 0) return base::ErrnoError(errno, "setsid");
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0)
    return base::ErrnoError(
        errno, absl::StrCat("making `", slave_path, "` the controlling terminal (TIOCSCTTY)"));
  for (int target = 0; target < 3; ++target) {
    if (dup2(slave.get(), target) < 0)
      return base::ErrnoError(errno, absl::StrCat("dup2 `", slave_path, "` onto fd ", target));
  }
  if (slave.get() <= 2) (void)slave.Release();  // it is one of the three now
  if (p.console_socket_fd >= 0) {
    RETURN_IF_ERROR(SendTerminalMaster(p.console_socket_fd, master.get()));
    close(p.console_socket_fd);
  }
  return slave_path;
}

absl::Status BindConsole(const std::string& slave_path) {
  int fd = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return base::ErrnoError(errno, "create `/dev/console`");
  close(fd);
  if (mount(slave_path.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) < 0)
    return base::ErrnoError(errno, absl::StrCat("mount `", slave_path, "` on `/dev/console`"));
  return absl::OkStatus();
}

absl::StatusOr<base::ScopedFd> ReceiveTerminalMaster(int socket_fd) {
  FdMessage m;
  struct msghdr& msg = m.msg;
  ssize_t n;
  do {
    n = recvmsg(socket_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return base::ErrnoError(errno, "receiving the container's terminal (recvmsg)");
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (n != 1 || cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET ||
      cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
    return absl::InternalError("receiving the container's terminal: no descriptor was sent");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return base::ScopedFd(fd);
}

}  // namespace runner
