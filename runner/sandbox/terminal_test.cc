#include "runner/sandbox/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runner {
namespace {

using ::base_testing::IsOk;
using ::testing::HasSubstr;

// Reads the master until the slave side is gone (EIO), or 10 s pass.
std::string ReadAll(int master) {
  std::string out;
  char buf[512];
  for (;;) {
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) break;
    ssize_t n = read(master, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A child in its own mount namespace with its own devpts instance (as in a container) sets up
// the terminal, then reports what its stdio looks like and echoes one line of input.
TEST(TerminalTest, ContainerGetsAControllingTerminalAndTheHostTheMaster) {
  absl::StatusOr<ConsoleSocket> socket = NewConsoleSocket();
  ASSERT_THAT(socket, IsOk());
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(ready[0]);
    if (unshare(CLONE_NEWNS) < 0) _exit(77);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) _exit(77);
    if (mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666,mode=0620") < 0)
      _exit(77);
    ProcessSpec p;
    p.terminal = true;
    p.console_socket_fd = socket->container.get();
    p.terminal_rows = 33;
    p.terminal_cols = 77;
    absl::StatusOr<std::string> slave = SetUpContainerTerminal(p);
    if (!slave.ok()) {
      (void)!write(ready[1], "E", 1);
      _exit(3);
    }
    (void)!write(ready[1], "K", 1);
    struct winsize ws = {};
    ioctl(0, TIOCGWINSZ, &ws);
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);  // works only with a controlling terminal
    char line[64] = {};
    if (fgets(line, sizeof(line), stdin) == nullptr) line[0] = 0;
    printf("slave=%s name=%s isatty=%d%d%d size=%dx%d ctty=%d sid=%d line=%s", slave->c_str(),
           ttyname(0), isatty(0), isatty(1), isatty(2), ws.ws_row, ws.ws_col, tty >= 0,
           getsid(0) == getpid(), line);
    fflush(stdout);
    _exit(0);
  }
  close(ready[1]);
  char status_byte = 0;
  ssize_t got = read(ready[0], &status_byte, 1);
  close(ready[0]);
  if (got != 1) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
      GTEST_SKIP() << "no mount namespace or devpts instance here (needs root)";
    FAIL() << "child failed before setting up the terminal, status " << status;
  }
  ASSERT_EQ(status_byte, 'K');
  socket->container.Reset();
  absl::StatusOr<base::ScopedFd> master = ReceiveTerminalMaster(socket->host.get());
  ASSERT_THAT(master, IsOk());
  ASSERT_EQ(write(master->get(), "ping\n", 5), 5);
  std::string out = ReadAll(master->get());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The input is echoed by the line discipline, then comes the report.
  EXPECT_THAT(out, HasSubstr("ping\r\n"));
  EXPECT_THAT(out, HasSubstr("slave=/dev/pts/0 name=/dev/pts/0 isatty=111 size=33x77 ctty=1 "
                             "sid=1 line=ping\r\n"));
}

TEST(TerminalTest, ReceiveWithoutASentTerminalIsAnError) {
  absl::StatusOr<ConsoleSocket> socket = NewConsoleSocket();
  ASSERT_THAT(socket, IsOk());
  socket->container.Reset();
  EXPECT_FALSE(ReceiveTerminalMaster(socket->host.get()).ok());
}

}  // namespace
}  // namespace runner
