// Container lifecycle: run (foreground or detached), ps, logs, stop and rm, with state on disk.
//
// Each container has a directory `<state_root>/<id>` (state_root: /run/slipway for root, else
// $XDG_RUNTIME_DIR/slipway) holding state.json, the log of a detached run and the overlay's
// upper/work directories. The rootfs is mounted only inside the container's mount namespace (on a
// mount point shared by all containers, under the layer cache), so nothing appears in the host's
// mount table; /etc/hosts, /etc/hostname and /etc/resolv.conf live in the container's in-memory
// /dev (spec.h, GeneratedFile). The cgroup is the only other kernel object, and rm/--rm remove it
// with the directory.
//
// A foreground run is monitored by the calling process: stdout and stderr pass straight through
// (stdin only with `interactive`; with `tty` all three are a terminal relayed by TerminalSession),
// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded, and `timeout_seconds` sends
// SIGTERM to every process of the container, then SIGKILL after `stop_grace_seconds` (exit 124).
// A detached run forks a monitor that does the same with the output going to the log file.
#ifndef SLIPWAY_RUNNER_CONTAINER_CONTAINER_H_
#define SLIPWAY_RUNNER_CONTAINER_CONTAINER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "runner/cgroup/cgroup.h"
#include "runner/container/etc_hosts.h"
#include "runner/sandbox/spec.h"

namespace runner {

inline constexpr int kExitTimeout = 124;

// An image opened for running: its layout (and, for docker-archive:, the scratch layout it was
// loaded into, removed when this is destroyed) and the resolved manifest and config.
struct RunImage {
  oci::OpenedImage opened;
  oci::ImageRef ref;
};

// Opens the image the CLI names: `oci:DIR[:TAG]`, `local:NAME[:TAG]`, `docker-archive:FILE`, or a
// registry-style name that the local store holds (`busybox` = docker.io/library/busybox:latest).
absl::StatusOr<std::shared_ptr<const RunImage>> OpenRunImage(const std::string& name);

struct RunOptions {
  // Image as the CLI names it (`oci:DIR[:TAG]`, `local:NAME[:TAG]`, or a name in the local store).
  std::string image;
  // Already opened (e.g. once for many structure tests); when set, `image` is only its display name.
  std::shared_ptr<const RunImage> opened_image;
  // Instead of an image: run on this already unpacked root filesystem (used read-write, in place).
  std::string rootfs_dir;
  std::vector<std::string> args;             // replace CMD
  std::optional<std::string> entrypoint;     // --entrypoint
  std::vector<std::string> env;              // -e K=V / -e K
  std::vector<std::string> volumes;          // -v SRC:DST[:ro]
  std::string workdir;                       // -w; default: the image's WorkingDir, else /
  std::string user;                          // -u; default: the image's User
  std::string name;                          // --name
  // --hostname; default: the id's first 12 characters (the host's name with --network host).
  std::string hostname;
  std::vector<ExtraHost> extra_hosts;        // --add-host, appended to /etc/hosts
  // --cap-add / --cap-drop, as Docker spells them (ResolveCapabilities in capabilities.h).
  // Default: none, Docker's 14 default capabilities.
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<Ulimit> ulimits;               // --ulimit (ParseUlimits in ulimits.h)
  // -t: the command runs on a terminal of its own (stdout and stderr both come through it).
  bool tty = false;
  // -i: the command reads this process's stdin (through the terminal with -t). Default: off, its
  // stdin is /dev/null, as Docker's without -i. Ignored when detached.
  bool interactive = false;
  NetworkMode network = NetworkMode::kNone;
  Resources resources;
  double timeout_seconds = 0;  // 0: none
  int stop_grace_seconds = 10;
  bool init = false;
  bool remove = false;  // --rm
  bool detach = false;  // -d
  bool read_only = false;
  bool no_new_privs = true;
  std::string state_root;  // default: DefaultStateRoot()
  std::string cache_dir;   // default: DefaultLayerCacheDir()
  // When >= 0 (foreground only): the command's stdout and stderr go to this fd (not owned) and its
  // stdin is /dev/null. Default: -1, stdio passes through.
  int output_fd = -1;
};

// /run/slipway for root, else $XDG_RUNTIME_DIR/slipway (or /tmp/slipway-UID).
std::string DefaultStateRoot();

// Runs a container. Foreground: returns its exit status (OOM and timeouts are reported on
// `diagnostics`). Detached: prints the id on `out` once the command started and returns 0.
// Errors before the command started are returned as statuses; a command that cannot be executed
// returns 126/127 with the reason on `diagnostics`.
absl::StatusOr<int> RunContainer(const RunOptions& options, std::ostream& out,
                                 std::ostream& diagnostics);

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::string created;  // RFC 3339
  std::string status;   // "running", "exited"
  int exit_code = 0;
  bool oom_killed = false;
  pid_t pid = 0;
  pid_t monitor_pid = 0;
  std::string stop_signal;
  std::vector<std::string> cgroup_dirs;
  int cgroup_version = 0;
  std::string dir;
};

// Every container under `state_root`; one whose directory has no state.json yet (still being set
// up, or left by a killed `slipway run`) is listed with status "created" and only its id and dir.
absl::StatusOr<std::vector<ContainerInfo>> ListContainers(const std::string& state_root);
// The containers as `slipway ps --json` prints them: an array of {id, name, image, command,
// created, status, exit_code, oom_killed}.
std::string ContainerListJson(const std::vector<ContainerInfo>& containers);
// Finds a container by full id, unique id prefix or name. NotFound / InvalidArgument (ambiguous).
absl::StatusOr<ContainerInfo> FindContainer(const std::string& state_root, const std::string& ref);
// Sends the image's STOPSIGNAL (default SIGTERM) and SIGKILL after `grace_seconds`; waits for exit.
absl::Status StopContainer(const std::string& state_root, const std::string& ref,
                           int grace_seconds);
// Removes a stopped container (force: kill it first): cgroup, state, logs, upper dir.
absl::Status RemoveContainer(const std::string& state_root, const std::string& ref, bool force);
// The path of the log file of a (detached) container.
absl::StatusOr<std::string> LogPath(const std::string& state_root, const std::string& ref);

// "SIGTERM", "TERM", "15" -> 15. InvalidArgument otherwise.
absl::StatusOr<int> ParseSignal(const std::string& name);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_CONTAINER_CONTAINER_H_
