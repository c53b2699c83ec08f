#include "runner/sandbox/seccomp_profile.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"

namespace runner {
namespace {

// Syscalls every container may use (names unknown to this architecture are skipped).
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "cachestat",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
    "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
    "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
    "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
    "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
    "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
};

// Syscalls allowed only when the container keeps a capability.
struct CapGated {
  const char* name;
  int capability;
};
constexpr CapGated kCapGated[] = {
    {"bpf", CAP_SYS_ADMIN},          {"fanotify_init", CAP_SYS_ADMIN},
    {"fsconfig", CAP_SYS_ADMIN},     {"fsmount", CAP_SYS_ADMIN},
    {"fsopen", CAP_SYS_ADMIN},       {"fspick", CAP_SYS_ADMIN},
    {"lookup_dcookie", CAP_SYS_ADMIN}, {"mount", CAP_SYS_ADMIN},
    {"mount_setattr", CAP_SYS_ADMIN}, {"move_mount", CAP_SYS_ADMIN},
    {"open_tree", CAP_SYS_ADMIN},    {"perf_event_open", CAP_SYS_ADMIN},
    {"quotactl", CAP_SYS_ADMIN},     {"quotactl_fd", CAP_SYS_ADMIN},
    {"setdomainname", CAP_SYS_ADMIN}, {"sethostname", CAP_SYS_ADMIN},
    {"setns", CAP_SYS_ADMIN},        {"syslog", CAP_SYS_ADMIN},
    {"umount", CAP_SYS_ADMIN},       {"umount2", CAP_SYS_ADMIN},
    {"unshare", CAP_SYS_ADMIN},      {"reboot", CAP_SYS_BOOT},
    {"chroot", CAP_SYS_CHROOT},      {"delete_module", CAP_SYS_MODULE},
    {"init_module", CAP_SYS_MODULE}, {"finit_module", CAP_SYS_MODULE},
    {"acct", CAP_SYS_PACCT},         {"kcmp", CAP_SYS_PTRACE},
    {"pidfd_getfd", CAP_SYS_PTRACE}, {"process_madvise", CAP_SYS_PTRACE},
    {"process_vm_readv", CAP_SYS_PTRACE}, {"process_vm_writev", CAP_SYS_PTRACE},
    {"ptrace", CAP_SYS_PTRACE},      {"iopl", CAP_SYS_RAWIO},
    {"ioperm", CAP_SYS_RAWIO},       {"settimeofday", CAP_SYS_TIME},
    {"stime", CAP_SYS_TIME},         {"clock_settime", CAP_SYS_TIME},
    {"clock_settime64", CAP_SYS_TIME}, {"vhangup", CAP_SYS_TTY_CONFIG},
    {"get_mempolicy", CAP_SYS_NICE}, {"mbind", CAP_SYS_NICE},
    {"set_mempolicy", CAP_SYS_NICE}, {"set_mempolicy_home_node", CAP_SYS_NICE},
    {"syslog", CAP_SYSLOG},
};

constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                     CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
constexpr int kAfVsock = 40;

bool Has(const std::vector<int>& caps, int cap) {
  return std::find(caps.begin(), caps.end(), cap) != caps.end();
}

int Resolve(const char* name) { return seccomp_syscall_resolve_name(name); }

}  // namespace

int SeccompAllowlistSizeForTesting() {
  int n = 0;
  for (const char* name : kAllowed)
    if (Resolve(name) != __NR_SCMP_ERROR) ++n;
  return n;
}

namespace {

// Reads back what libseccomp would load: seccomp_export_bpf writes the program to a file.
absl::StatusOr<SeccompProgram> ExportProgram(scmp_filter_ctx ctx) {
  base::ScopedFd memfd(memfd_create("slipway-seccomp", MFD_CLOEXEC));
  if (!memfd.valid()) return base::ErrnoError(errno, "memfd_create for the seccomp filter");
  int rc = seccomp_export_bpf(ctx, memfd.get());
  if (rc < 0) return base::ErrnoError(-rc, "compiling the seccomp filter");
  off_t size = lseek(memfd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS)
    return absl::InternalError(absl::StrCat("seccomp filter of unexpected size ", size));
  SeccompProgram program;
  program.instructions.resize(size / sizeof(sock_filter));
  if (pread(memfd.get(), program.instructions.data(), size, 0) != size)
    return base::ErrnoError(errno, "reading back the seccomp filter");
  return program;
}

}  // namespace

absl::StatusOr<SeccompProgram> CompileSeccompFilter(const std::vector<int>& capabilities) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  struct Releaser {
    scmp_filter_ctx ctx;
    ~Releaser() { seccomp_release(ctx); }
  } releaser{ctx};
  auto add = [&](const char* name, uint32_t action, unsigned count,
                 const scmp_arg_cmp* args) -> absl::Status {
    int nr = Resolve(name);
    if (nr == __NR_SCMP_ERROR) return absl::OkStatus();  // not on this architecture
    int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
    if (rc < 0 && rc != -EEXIST)
      return base::ErrnoError(-rc, absl::StrCat("seccomp: adding a rule for `", name, "`"));
    return absl::OkStatus();
  };
  for (const char* name : kAllowed) RETURN_IF_ERROR(add(name, SCMP_ACT_ALLOW, 0, nullptr));
  for (const CapGated& g : kCapGated)
    if (Has(capabilities, g.capability)) RETURN_IF_ERROR(add(g.name, SCMP_ACT_ALLOW, 0, nullptr));

  // Namespaces: clone only without namespace flags unless CAP_SYS_ADMIN is kept; clone3's flags
  // live in memory a filter cannot read, so it reports ENOSYS and libc falls back to clone.
  if (Has(capabilities, CAP_SYS_ADMIN)) {
    RETURN_IF_ERROR(add("clone", SCMP_ACT_ALLOW, 0, nullptr));
    RETURN_IF_ERROR(add("clone3", SCMP_ACT_ALLOW, 0, nullptr));
  } else {
    scmp_arg_cmp no_ns = SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0);
    RETURN_IF_ERROR(add("clone", SCMP_ACT_ALLOW, 1, &no_ns));
    RETURN_IF_ERROR(add("clone3", SCMP_ACT_ERRNO(ENOSYS), 0, nullptr));
  }
  // personality: only the personas Docker allows (Linux, with or without ADDR_NO_RANDOMIZE /
  // UNAME26, and the query 0xffffffff).
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    scmp_arg_cmp eq = SCMP_A0(SCMP_CMP_EQ, persona);
    RETURN_IF_ERROR(add("personality", SCMP_ACT_ALLOW, 1, &eq));
  }
  scmp_arg_cmp not_vsock = SCMP_A0(SCMP_CMP_NE, static_cast<uint64_t>(kAfVsock));
  RETURN_IF_ERROR(add("socket", SCMP_ACT_ALLOW, 1, &not_vsock));

  return ExportProgram(ctx);
}


}  // namespace runner
