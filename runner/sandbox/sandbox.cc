#include "runner/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "runner/sandbox/capabilities.h"
#include "runner/sandbox/id_mapping.h"
#include "runner/sandbox/mounts.h"
#include "runner/sandbox/process.h"
#include "runner/sandbox/seccomp.h"
#include "runner/sandbox/terminal.h"
#include "runner/sandbox/ulimits.h"

namespace runner {
namespace {

constexpr size_t kStackSize = 1 << 20;

struct ChildArgs {
  const SandboxSpec* spec;
  int sync_read;
  int sync_write;
  int error_read;
  int error_write;
  const SeccompProgram* seccomp;  // null: no filter
};

// Reports `code` and `message` to the parent through the error pipe and exits.
[[noreturn]] void Fail(int error_fd, int code, const std::string& message) {
  std::string record(reinterpret_cast<const char*>(&code), sizeof(code));
  record += message;
  (void)base::WriteAll(error_fd, record);
  _exit(code);
}

absl::Status BringUpLoopback() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::ErrnoError(errno, "socket for `lo`");
  base::ScopedFd sock(fd);
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) return base::ErrnoError(errno, "SIOCGIFFLAGS `lo`");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) return base::ErrnoError(errno, "bringing up `lo`");
  return absl::OkStatus();
}

absl::Status SetUser(const ProcessSpec& p, bool user_namespace) {
  // In a user namespace with a single mapping setgroups is denied; only set groups when allowed.
  bool can_setgroups = true;
  if (user_namespace) {
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[16] = {};
      ssize_t n = read(fd, buf, sizeof(buf) - 1);
      close(fd);
      if (n > 0 && std::strncmp(buf, "deny", 4) == 0) can_setgroups = false;
    }
  }
  if (can_setgroups &&
      setgroups(p.additional_gids.size(), p.additional_gids.empty() ? nullptr
                                                                    : p.additional_gids.data()) < 0)
    return base::ErrnoError(errno, "setgroups");
  if (setresgid(p.gid, p.gid, p.gid) < 0)
    return base::ErrnoError(errno, absl::StrCat("setresgid ", p.gid));
  if (setresuid(p.uid, p.uid, p.uid) < 0)
    return base::ErrnoError(errno, absl::StrCat("setresuid ", p.uid));
  return absl::OkStatus();
}

bool ExistsInContainer(const std::string& path, void*) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// PID 1 for `--init`: forwards signals to `child` and reaps every process until `child` exits.
[[noreturn]] void RunInit(pid_t child, const sigset_t& forwarded) {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&forwarded, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t reaped = waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped == child) _exit(ExitStatusFromWait(status));
    }
  }
}

int ChildMain(void* raw) {
  ChildArgs* a = static_cast<ChildArgs*>(raw);
  const SandboxSpec& spec = *a->spec;
  close(a->sync_write);
  close(a->error_read);
  int efd = a->error_write;
  // The command starts with default signal handling, whatever the caller had blocked or ignored.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) signal(s, SIG_DFL);
  // Die with the parent if it goes away before we exec.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go = 0;
  ssize_t n;
  do {
    n = read(a->sync_read, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(kExitSetupFailed);  // the parent gave up
  close(a->sync_read);
  const ProcessSpec& stdio = spec.process;
  const int redirect[3] = {stdio.stdin_fd, stdio.stdout_fd, stdio.stderr_fd};
  for (int target = 0; target < 3; ++target) {
    if (redirect[target] >= 0 && redirect[target] != target && dup2(redirect[target], target) < 0)
      Fail(efd, kExitSetupFailed, absl::StrCat("dup2 onto fd ", target, ": ", strerror(errno)));
  }

  auto check = [efd](const absl::Status& s, const char* step) {
    if (!s.ok()) Fail(efd, kExitSetupFailed, absl::StrCat(step, ": ", s.message()));
  };
  // The parent has put us in our cgroup; make it the root of our cgroup view.
  if (unshare(CLONE_NEWCGROUP) < 0)
    check(base::ErrnoError(errno, "unshare(CLONE_NEWCGROUP)"), "namespaces");
  check(SetUpMountsAndPivot(spec), "setting up the root filesystem");
  if (sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
    check(base::ErrnoError(errno, "sethostname"), "hostname");
  if (spec.network == NetworkMode::kNone) check(BringUpLoopback(), "network");
  if (spec.process.terminal) {
    absl::StatusOr<std::string> slave = SetUpContainerTerminal(spec.process);
    check(slave.status(), "terminal");
    check(BindConsole(*slave), "terminal");
  }
  struct rlimit nofile = {1048576, 1048576};
  if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) {
    nofile = {1024, 1024};
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  check(ApplyUlimits(spec.process.ulimits), "ulimits");

  const ProcessSpec& p = spec.process;
  if (chdir(p.cwd.c_str()) < 0) {
    // Docker creates a missing working directory.
    for (size_t i = 1; i <= p.cwd.size(); ++i)
      if (i == p.cwd.size() || p.cwd[i] == '/') mkdir(p.cwd.substr(0, i).c_str(), 0755);
    if (chdir(p.cwd.c_str()) < 0)
      check(base::ErrnoError(errno, absl::StrCat("chdir `", p.cwd, "`")), "working directory");
  }
  std::string path = LookPath(p.args[0], p.env, ExistsInContainer, nullptr);
  if (path.empty())
    Fail(efd, kExitNotFound,
         absl::StrCat("exec: `", p.args[0], "`: executable file not found in $PATH"));

  const std::vector<int>& caps = spec.capabilities ? *spec.capabilities : DefaultCapabilities();
  check(DropBoundingCapabilities(caps), "capabilities");
  if (a->seccomp != nullptr && !p.no_new_privs)
    check(InstallSeccompFilter(*a->seccomp), "seccomp");
  check(SetUser(p, spec.user_namespace), "user");
  check(ApplyCapabilities(caps, p.uid == 0), "capabilities");
  if (p.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    check(base::ErrnoError(errno, "prctl(PR_SET_NO_NEW_PRIVS)"), "no_new_privs");
  if (a->seccomp != nullptr && p.no_new_privs) check(InstallSeccompFilter(*a->seccomp), "seccomp");

  std::vector<char*> argv, envp;
  for (const std::string& s : p.args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (const std::string& s : p.env) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  // Only stdio (and the close-on-exec error pipe) survive exec.
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);

  if (spec.init) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, nullptr);
    pid_t child = fork();
    if (child < 0) check(base::ErrnoError(errno, "fork for --init"), "init");
    if (child > 0) {
      close(efd);
      RunInit(child, all);
    }
    // The command leads the terminal's foreground process group, so ^C reaches it, not the init.
    if (p.terminal && setpgid(0, 0) == 0) (void)tcsetpgrp(0, getpid());
    sigprocmask(SIG_UNBLOCK, &all, nullptr);
  }
  execve(path.c_str(), argv.data(), envp.data());
  int err = errno;
  Fail(efd, (err == ENOENT) ? kExitNotFound : kExitNotExecutable,
       absl::StrCat("exec `", path, "`: ", std::strerror(err)));
}

}  // namespace

int ExitStatusFromWait(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

absl::StatusOr<StartResult> StartSandbox(const SandboxSpec& spec, const AttachFn& attach) {
  if (spec.process.args.empty()) return absl::InvalidArgumentError("no command to run");
  std::shared_ptr<const SeccompProgram> seccomp;
  if (spec.seccomp) {
    ASSIGN_OR_RETURN(seccomp, SeccompFilterFor(spec.capabilities ? *spec.capabilities
                                                                 : DefaultCapabilities()));
  }
  int sync_pipe[2], error_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe");
  base::ScopedFd sync_read(sync_pipe[0]), sync_write(sync_pipe[1]);
  if (pipe2(error_pipe, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe");
  base::ScopedFd error_read(error_pipe[0]), error_write(error_pipe[1]);

  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (spec.network == NetworkMode::kNone) flags |= CLONE_NEWNET;
  if (spec.user_namespace) flags |= CLONE_NEWUSER;
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return base::ErrnoError(errno, "mmap for the clone stack");
  ChildArgs args{&spec,           sync_read.get(),  sync_write.get(),
                 error_read.get(), error_write.get(), seccomp.get()};
  pid_t pid = clone(ChildMain, static_cast<char*>(stack) + kStackSize, flags, &args);
  int clone_errno = errno;
  munmap(stack, kStackSize);
  if (pid < 0) return base::ErrnoError(clone_errno, "clone (new namespaces)");
  sync_read.Reset();
  error_write.Reset();

  auto abandon = [&](const absl::Status& s) -> absl::Status {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return s;
  };
  if (spec.user_namespace) {
    absl::Status s = WriteIdMappings(pid, IdMappings{spec.uid_mappings, spec.gid_mappings});
    if (!s.ok()) return abandon(s);
  }
  if (attach) {
    absl::Status s = attach(pid);
    if (!s.ok()) return abandon(s);
  }
  char go = 1;
  if (write(sync_write.get(), &go, 1) != 1)
    return abandon(base::ErrnoError(errno, "releasing the container process"));
  sync_write.Reset();

  std::string record;
  char buf[4096];
  for (;;) {
    ssize_t n = read(error_read.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    record.append(buf, static_cast<size_t>(n));
  }
  StartResult result;
  if (record.empty()) {  // exec succeeded (the pipe closed on exec)
    result.pid = pid;
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = kExitSetupFailed;
  if (record.size() >= sizeof(int)) std::memcpy(&code, record.data(), sizeof(int));
  std::string message = record.size() > sizeof(int) ? record.substr(sizeof(int)) : "";
  if (code == kExitNotFound || code == kExitNotExecutable) {
    result.exec_exit_code = code;
    result.exec_error = message;
    return result;
  }
  return absl::InternalError(absl::StrCat("starting the container: ", message));
}

}  // namespace runner
