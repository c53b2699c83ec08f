// SandboxSpec: everything the sandbox needs to start one container process, already resolved (no
// image lookups left): the root filesystem, the namespaces, the mounts, the user, the command.
// Plain data; filled by runner/container from an image config and the user's flags.
#ifndef SLIPWAY_RUNNER_SANDBOX_SPEC_H_
#define SLIPWAY_RUNNER_SANDBOX_SPEC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace runner {

enum class NetworkMode { kNone, kHost };

// A bind mount from the host into the container. `destination` is resolved inside the rootfs, so a
// symlink in the image can never redirect it to a host path.
struct BindMount {
  std::string source;
  std::string destination;
  bool read_only = false;
};

// A small file made for one container (/etc/hosts, /etc/hostname, /etc/resolv.conf). The sandbox
// writes it into the container's in-memory /dev, bind-mounts it onto `destination` and unlinks it
// from /dev: no disk I/O, nothing left behind, gone with the container's mount namespace.
struct GeneratedFile {
  std::string destination;
  std::string content;
  bool read_only = false;
};

// One line of /proc/PID/uid_map or gid_map.
struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 1;
};

// An overlayfs mounted by the sandbox inside its own mount namespace (so it disappears with the
// container, leaving nothing in the host's mount table).
struct OverlaySpec {
  std::vector<std::string> lower_dirs;  // top-most first, as overlayfs wants them
  std::string upper_dir;
  std::string work_dir;
  bool userxattr = false;  // rootless overlay (xattrs in the user. namespace)
};

// One resource limit (setrlimit) of the container's process, as `--ulimit NAME=SOFT[:HARD]` gives
// it (ulimits.h parses it). RLIM_INFINITY stands for -1 (unlimited).
struct Ulimit {
  std::string name;  // Docker's name: "nofile"
  int resource = 0;  // RLIMIT_NOFILE
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;  // argv; args[0] is looked up in PATH from `env` if it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  // prctl(PR_SET_NO_NEW_PRIVS). Default: on (as runc's default spec).
  bool no_new_privs = true;
  // File descriptors (of the caller; not owned) that become the command's stdin, stdout and
  // stderr. Default: -1, inherit the caller's.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Resource limits set after Docker's default (nofile 1048576), in order. Default: none.
  std::vector<Ulimit> ulimits;
  // `-t`: the command gets a new terminal from the container's own devpts instance as its
  // controlling terminal and stdin/stdout/stderr (overriding the fds above), and the terminal's
  // master side is sent over `console_socket_fd` (a unix socket of the caller; not owned) with
  // SCM_RIGHTS. `terminal_rows`/`terminal_cols`: its initial size (0: the kernel's default).
  bool terminal = false;
  int console_socket_fd = -1;
  uint16_t terminal_rows = 0;
  uint16_t terminal_cols = 0;
};

struct SandboxSpec {
  // Directory that becomes `/`. When `overlay` has lower dirs, the overlay is mounted here first.
  std::string rootfs;
  OverlaySpec overlay;
  bool readonly_rootfs = false;
  std::string hostname = "slipway";
  NetworkMode network = NetworkMode::kNone;
  // Mounted after /proc, /dev and /sys, before `mounts`.
  std::vector<GeneratedFile> files;
  // Mounted after `files`, in order.
  std::vector<BindMount> mounts;
  ProcessSpec process;
  // Run a small init as PID 1 that reaps zombies and forwards signals to the command.
  bool init = false;
  // Rootless: create a user namespace with these mappings (written by the parent).
  bool user_namespace = false;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  // Apply the seccomp allowlist. Default: on.
  bool seccomp = true;
  // The capabilities the process keeps (bounding, and effective/permitted for root), sorted.
  // Default: unset, Docker's 14 defaults (capabilities.h).
  std::optional<std::vector<int>> capabilities;
};

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_SPEC_H_
