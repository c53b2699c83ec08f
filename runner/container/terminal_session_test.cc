#include "runner/container/terminal_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "base/scoped_fd.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/sandbox/terminal.h"

namespace runner {
namespace {

using ::base_testing::IsOk;

// A pseudo-terminal pair of the host's devpts.
struct Pty {
  base::ScopedFd master, slave;
};

Pty OpenPty() {
  Pty p;
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) return p;
  p.master.Reset(m);
  p.slave.Reset(open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC));
  return p;
}

// Reads from `fd` until `want` has been seen or 5 s pass; returns what was read.
std::string ReadUntil(int fd, const std::string& want) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

void SetSize(int fd, unsigned short rows, unsigned short cols) {
  struct winsize ws = {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  ASSERT_EQ(ioctl(fd, TIOCSWINSZ, &ws), 0);
}

// `host` plays this process's terminal (stdin and stdout of slipway), `ctr` the container's.
TEST(TerminalSessionTest, RelaysBothWaysInRawModeAndRestores) {
  Pty host = OpenPty(), ctr = OpenPty();
  ASSERT_TRUE(host.slave.valid() && ctr.slave.valid());
  SetSize(host.slave.get(), 24, 80);
  struct termios before;
  ASSERT_EQ(tcgetattr(host.slave.get(), &before), 0);

  ProcessSpec process;
  absl::StatusOr<std::unique_ptr<TerminalSession>> session = TerminalSession::Prepare(
      &process, /*forward_stdin=*/true, host.slave.get(), host.slave.get());
  ASSERT_THAT(session, IsOk());
  EXPECT_TRUE(process.terminal);
  EXPECT_GE(process.console_socket_fd, 0);
  EXPECT_EQ(process.terminal_rows, 24);
  EXPECT_EQ(process.terminal_cols, 80);
  // What the container does before exec.
  ASSERT_THAT(SendTerminalMaster(process.console_socket_fd, ctr.master.get()), IsOk());
  ctr.master.Reset();
  ASSERT_THAT((*session)->Attach(), IsOk());

  struct termios raw;
  ASSERT_EQ(tcgetattr(host.slave.get(), &raw), 0);
  EXPECT_EQ(raw.c_lflag & (ICANON | ECHO | ISIG), 0u);
  EXPECT_EQ(raw.c_oflag & OPOST, 0u);

  // Output: the container's terminal makes \r\n; the raw host terminal passes it unchanged.
  ASSERT_EQ(write(ctr.slave.get(), "hello\n", 6), 6);
  EXPECT_EQ(ReadUntil(host.master.get(), "hello\r\n"), "hello\r\n");
  // Input: keys typed on the host terminal reach the container's (^C included, as a byte).
  ASSERT_EQ(write(host.master.get(), "typed\n", 6), 6);
  EXPECT_THAT(ReadUntil(ctr.slave.get(), "typed\n"), ::testing::HasSubstr("typed\n"));
  // SIGWINCH: the new size of the host terminal is copied.
  SetSize(host.slave.get(), 30, 90);
  kill(getpid(), SIGWINCH);
  struct winsize ws = {};
  for (int i = 0; i < 100 && ws.ws_row != 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ioctl(ctr.slave.get(), TIOCGWINSZ, &ws);
  }
  EXPECT_EQ(ws.ws_row, 30);
  EXPECT_EQ(ws.ws_col, 90);

  // The container's last process exits: Finish returns at once and the terminal is restored.
  ASSERT_EQ(write(ctr.slave.get(), "bye\n", 4), 4);
  ctr.slave.Reset();
  auto start = std::chrono::steady_clock::now();
  (*session)->Finish();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_THAT(ReadUntil(host.master.get(), "bye\r\n"), ::testing::HasSubstr("bye\r\n"));
  struct termios after;
  ASSERT_EQ(tcgetattr(host.slave.get(), &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  // SIGWINCH and SIGPIPE are unblocked again.
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGWINCH));
  EXPECT_FALSE(sigismember(&mask, SIGPIPE));
}

TEST(TerminalSessionTest, WithoutInputNothingIsForwardedAndNoRawMode) {
  Pty ctr = OpenPty();
  ASSERT_TRUE(ctr.slave.valid());
  int in[2], out[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  base::ScopedFd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);
  ProcessSpec process;
  absl::StatusOr<std::unique_ptr<TerminalSession>> session =
      TerminalSession::Prepare(&process, /*forward_stdin=*/false, in_r.get(), out_w.get());
  ASSERT_THAT(session, IsOk());
  EXPECT_EQ(process.terminal_rows, 0);  // no terminal here to take a size from
  ASSERT_THAT(SendTerminalMaster(process.console_socket_fd, ctr.master.get()), IsOk());
  ctr.master.Reset();
  ASSERT_THAT((*session)->Attach(), IsOk());
  ASSERT_EQ(write(in_w.get(), "ignored\n", 8), 8);
  ASSERT_EQ(write(ctr.slave.get(), "out\n", 4), 4);
  EXPECT_EQ(ReadUntil(out_r.get(), "out\r\n"), "out\r\n");
  // Nothing reached the container's terminal.
  struct pollfd pfd = {ctr.slave.get(), POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 200), 0);
  ctr.slave.Reset();
  (*session)->Finish();
}

TEST(TerminalSessionTest, AttachFailsWhenNoTerminalWasSent) {
  ProcessSpec process;
  absl::StatusOr<std::unique_ptr<TerminalSession>> session =
      TerminalSession::Prepare(&process, false, 0, 1);
  ASSERT_THAT(session, IsOk());
  EXPECT_FALSE((*session)->Attach().ok());
}

}  // namespace
}  // namespace runner
