// Runs real containers on a busybox rootfs: needs root (namespaces, mounts). Skips otherwise.
#include "runner/sandbox/sandbox.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/testing/busybox_rootfs.h"

namespace runner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
  std::string exec_error;
};

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for namespaces and mounts";
    ASSERT_OK_AND_ASSIGN(dir_, base::ScopedTempDir::Create("sandbox-test-"));
    rootfs_ = dir_.path() + "/rootfs";
    ASSERT_THAT(base::Env::Default()->CreateDirs(rootfs_), base_testing::IsOk());
    ASSERT_THAT(runner_testing::MakeBusyboxRootfs(rootfs_), base_testing::IsOk());
    spec_.rootfs = rootfs_;
    spec_.process.env = {"PATH=/bin", "HOME=/root"};
  }

  Outcome Run(std::vector<std::string> args) {
    Outcome out;
    spec_.process.args = std::move(args);
    std::string log = dir_.path() + "/out.log";
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    absl::StatusOr<StartResult> r = StartSandbox(spec_, nullptr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fd);
    EXPECT_THAT(r, base_testing::IsOk());
    if (!r.ok()) return out;
    if (r->pid < 0) {
      out.status = r->exec_exit_code;
      out.exec_error = r->exec_error;
    } else {
      int status = 0;
      waitpid(r->pid, &status, 0);
      out.status = ExitStatusFromWait(status);
    }
    out.output = base::Env::Default()->ReadFile(log).value_or("");
    return out;
  }

  base::ScopedTempDir dir_ = std::move(base::ScopedTempDir::Create("unused-").value());
  std::string rootfs_;
  SandboxSpec spec_;
};

TEST_F(SandboxTest, RunsCommandAndReturnsStatus) {
  Outcome o = Run({"sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(o.status, 3);
  EXPECT_EQ(o.output, "hello\n");
}

TEST_F(SandboxTest, IsPidOneWithHostname) {
  spec_.hostname = "boxy";
  Outcome o = Run({"sh", "-c", "echo $$; hostname; ls /proc | grep -c '^[0-9]'"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.output, "1\nboxy\n3\n");  // only sh, ls and grep are visible
}

TEST_F(SandboxTest, ExitStatusesForMissingAndNonExecutable) {
  Outcome o = Run({"nope"});
  EXPECT_EQ(o.status, kExitNotFound);
  EXPECT_THAT(o.exec_error, HasSubstr("executable file not found"));
  o = Run({"/etc/passwd"});
  EXPECT_EQ(o.status, kExitNotExecutable);
  // PID 1 cannot be killed from inside; with --init the command is PID 2 and can.
  spec_.init = true;
  o = Run({"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(o.status, 137);
}

TEST_F(SandboxTest, RunsAsImageUser) {
  spec_.process.uid = 1000;
  spec_.process.gid = 1000;
  spec_.process.additional_gids = {2000};
  Outcome o = Run({"id"});
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.output, HasSubstr("uid=1000"));
  EXPECT_THAT(o.output, HasSubstr("2000"));
}

TEST_F(SandboxTest, CapabilitiesAreDockersDefault) {
  Outcome o = Run({"sh", "-c", "grep -E 'Cap(Eff|Bnd|Prm|Inh|Amb)' /proc/self/status"});
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.output, HasSubstr("CapEff:\t00000000a80425fb"));
  EXPECT_THAT(o.output, HasSubstr("CapBnd:\t00000000a80425fb"));
  EXPECT_THAT(o.output, HasSubstr("CapInh:\t0000000000000000"));
  o = Run({"sh", "-c", "grep -E 'NoNewPrivs|Seccomp:' /proc/self/status"});
  EXPECT_THAT(o.output, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(o.output, HasSubstr("Seccomp:\t2"));
}

// `--security-opt no-new-privileges=false`: the filter is still installed (while CAP_SYS_ADMIN is
// held), but no_new_privs stays off so setuid binaries work as in Docker.
TEST_F(SandboxTest, SeccompWithoutNoNewPrivs) {
  spec_.process.no_new_privs = false;
  Outcome o = Run({"sh", "-c", "grep -E 'NoNewPrivs|Seccomp:' /proc/self/status"});
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.output, HasSubstr("NoNewPrivs:\t0"));
  EXPECT_THAT(o.output, HasSubstr("Seccomp:\t2"));
  // The filter is the real one: an unprivileged user namespace needs no capability, but Docker's
  // profile refuses unshare without CAP_SYS_ADMIN.
  EXPECT_NE(Run({"unshare", "-U", "true"}).status, 0);
}

TEST_F(SandboxTest, GeneratedFilesAreMountedAndLeaveNothingInDev) {
  spec_.files.push_back({"/etc/hosts", "127.0.0.1\tlocalhost\n", false});
  spec_.files.push_back({"/etc/hostname", "box\n", true});
  Outcome o = Run({"sh", "-c",
                   "cat /etc/hosts /etc/hostname; ls -a /dev | grep -c slipway; "
                   "echo x >> /etc/hosts && echo hosts-writable; "
                   "echo x >> /etc/hostname || echo hostname-read-only"});
  EXPECT_THAT(o.output, HasSubstr("127.0.0.1\tlocalhost\nbox\n0\n"));
  EXPECT_THAT(o.output, HasSubstr("hosts-writable"));
  EXPECT_THAT(o.output, HasSubstr("hostname-read-only"));
  // The rootfs is used in place here: the mount points exist, but nothing was written to them.
  EXPECT_EQ(base::Env::Default()->ReadFile(rootfs_ + "/etc/hostname").value_or("?"), "");
}

TEST_F(SandboxTest, EscapesFail) {
  EXPECT_NE(Run({"mount", "-t", "tmpfs", "x", "/tmp"}).status, 0);
  EXPECT_NE(Run({"hostname", "evil"}).status, 0);
  EXPECT_NE(Run({"sh", "-c", "echo 1 > /proc/sys/kernel/panic"}).status, 0);
  EXPECT_NE(Run({"sh", "-c", "echo x > /proc/sysrq-trigger"}).status, 0);
  // Masked: present but empty (the host's is not).
  ASSERT_NE(base::Env::Default()->ReadFile("/proc/timer_list").value_or(""), "");
  Outcome o = Run({"cat", "/proc/timer_list"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.output, "");
}

TEST_F(SandboxTest, SymlinkInImageCannotRedirectMounts) {
  // The image points /proc and /etc/hostname-like mount targets at host paths.
  std::string host_marker = dir_.path() + "/host-dir";
  ASSERT_THAT(base::Env::Default()->CreateDirs(host_marker), base_testing::IsOk());
  ASSERT_EQ(rmdir((rootfs_ + "/sys").c_str()), 0);
  ASSERT_EQ(symlink(host_marker.c_str(), (rootfs_ + "/sys").c_str()), 0);
  std::string src = dir_.path() + "/hosts";
  ASSERT_THAT(base::Env::Default()->WriteFileAtomically(src, "127.0.0.1 localhost\n"),
              base_testing::IsOk());
  ASSERT_EQ(symlink((dir_.path() + "/escaped").c_str(), (rootfs_ + "/etc/hosts").c_str()), 0);
  spec_.mounts.push_back({src, "/etc/hosts", true});
  Outcome o = Run({"cat", "/etc/hosts"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.output, "127.0.0.1 localhost\n");
  // Nothing was created or mounted on the host side of the links.
  EXPECT_FALSE(base::Env::Default()->Exists(dir_.path() + "/escaped"));
  EXPECT_TRUE(base::Env::Default()->ListDir(host_marker)->empty());
}

TEST_F(SandboxTest, InitReapsAndForwards) {
  spec_.init = true;
  Outcome o = Run({"sh", "-c", "echo $$; sleep 0 & wait; exit 7"});
  EXPECT_EQ(o.status, 7);
  EXPECT_EQ(o.output, "2\n");
}

TEST_F(SandboxTest, NetworkNoneHasOnlyLoopback) {
  Outcome o = Run({"sh", "-c", "ls /sys/class/net"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.output, "lo\n");
}

}  // namespace
}  // namespace runner
