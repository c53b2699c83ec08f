#include "runner/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "oci/layout/layout.h"
#include "runner/container/terminal_session.h"
#include "runner/rootfs/rootfs.h"
#include "runner/sandbox/in_root.h"
#include "runner/sandbox/capabilities.h"
#include "runner/sandbox/id_mapping.h"
#include "runner/sandbox/process.h"
#include "runner/sandbox/sandbox.h"
#include "runner/sandbox/seccomp.h"

namespace runner {
namespace {

using Json = nlohmann::json;

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::string NewId() {
  unsigned char raw[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, raw, sizeof(raw)) != sizeof(raw)) {
    for (size_t i = 0; i < sizeof(raw); ++i) raw[i] = static_cast<unsigned char>(rand());
  }
  if (fd >= 0) close(fd);
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : raw) {
    id.push_back(kHex[c >> 4]);
    id.push_back(kHex[c & 15]);
  }
  return id;
}

std::string ReadImageFile(const std::vector<std::string>& dirs, const std::string& path) {
  for (const std::string& d : dirs) {
    int fd = open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    base::ScopedFd root(fd);
    absl::StatusOr<std::string> text = ReadFileInRoot(root.get(), path);
    if (text.ok()) return *text;
  }
  return "";
}

std::string HostName() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

std::string Rfc3339Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

// The fields anyone may see (`slipway ps --json`).
Json SummaryJson(const ContainerInfo& c) {
  return Json{{"id", c.id},
              {"name", c.name},
              {"image", c.image},
              {"command", c.command},
              {"created", c.created},
              {"status", c.status},
              {"exit_code", c.exit_code},
              {"oom_killed", c.oom_killed}};
}

// state.json: the summary and what the monitor, stop and rm need.
Json ToJson(const ContainerInfo& c) {
  Json j = SummaryJson(c);
  j["pid"] = c.pid;
  j["monitor_pid"] = c.monitor_pid;
  j["stop_signal"] = c.stop_signal;
  j["cgroup_dirs"] = c.cgroup_dirs;
  j["cgroup_version"] = c.cgroup_version;
  return j;
}

// 64 lowercase hex digits, as NewId makes them.
bool IsContainerId(absl::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<ContainerInfo> ReadState(const std::string& dir) {
  std::string path = absl::StrCat(dir, "/state.json");
  ASSIGN_OR_RETURN(std::string text, base::Env::Default()->ReadFile(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return absl::DataLossError(absl::StrCat("`", path, "` is not valid JSON"));
  ContainerInfo c;
  c.id = j.value("id", "");
  c.name = j.value("name", "");
  c.image = j.value("image", "");
  c.command = j.value("command", std::vector<std::string>{});
  c.created = j.value("created", "");
  c.status = j.value("status", "");
  c.exit_code = j.value("exit_code", 0);
  c.oom_killed = j.value("oom_killed", false);
  c.pid = j.value("pid", 0);
  c.monitor_pid = j.value("monitor_pid", 0);
  c.stop_signal = j.value("stop_signal", "");
  c.cgroup_dirs = j.value("cgroup_dirs", std::vector<std::string>{});
  c.cgroup_version = j.value("cgroup_version", 0);
  c.dir = dir;
  // A monitor that died without recording the exit (e.g. SIGKILLed) leaves "running" behind.
  if (c.status == "running" && c.monitor_pid > 0 && kill(c.monitor_pid, 0) < 0 && errno == ESRCH)
    c.status = "exited";
  return c;
}

// Writes a runtime file of the container: written to a temp name and renamed (readers never see
// half a file) but not fsynced: these files live as long as the container, usually on tmpfs, and
// a crash makes them meaningless anyway. (fsync was a measurable part of `run --rm`.)
absl::Status WriteRuntimeFile(const std::string& path, const std::string& data) {
  std::string tmp = absl::StrCat(path, ".tmp");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return base::ErrnoError(errno, absl::StrCat("create `", tmp, "`"));
  base::ScopedFd closer(fd);
  RETURN_IF_ERROR_CTX(base::WriteAll(fd, data), "writing `", tmp, "`");
  if (rename(tmp.c_str(), path.c_str()) < 0)
    return base::ErrnoError(errno, absl::StrCat("rename `", tmp, "` to `", path, "`"));
  return absl::OkStatus();
}

absl::Status WriteState(const ContainerInfo& c) {
  return WriteRuntimeFile(absl::StrCat(c.dir, "/state.json"), ToJson(c).dump(2) + "\n");
}

// Sends `sig` to every process in the PID namespace whose init is `init_pid` (found by comparing
// /proc/PID/ns/pid), for containers without a cgroup. Killing PID 1 with SIGKILL already kills
// the rest; this is for signals the tree should see (SIGTERM at a timeout).
void SignalPidNamespace(pid_t init_pid, int sig) {
  struct stat want;
  if (stat(absl::StrCat("/proc/", init_pid, "/ns/pid").c_str(), &want) < 0) return;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return;
  while (struct dirent* e = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid <= 0) continue;
    struct stat st;
    if (stat(absl::StrCat("/proc/", pid, "/ns/pid").c_str(), &st) == 0 && st.st_ino == want.st_ino &&
        st.st_dev == want.st_dev)
      kill(pid, sig);
  }
  closedir(proc);
}

// Waits for `pid` while forwarding signals and enforcing the timeout. Returns the wait status.
struct MonitorResult {
  int wait_status = 0;
  bool timed_out = false;
};

MonitorResult Monitor(pid_t pid, const Cgroup* cgroup, double timeout_seconds, int grace_seconds,
                      int signal_fd) {
  MonitorResult r;
  auto start = std::chrono::steady_clock::now();
  bool term_sent = false;
  auto term_time = start;
  for (;;) {
    int status = 0;
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      r.wait_status = status;
      return r;
    }
    int wait_ms = -1;
    auto now = std::chrono::steady_clock::now();
    if (timeout_seconds > 0 && !term_sent) {
      auto deadline = start + std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
      if (now >= deadline) {
        r.timed_out = true;
        term_sent = true;
        term_time = now;
        // The whole tree: every process of the cgroup, and PID 1.
        if (cgroup != nullptr) {
          (void)cgroup->Signal(SIGTERM);
        } else {
          SignalPidNamespace(pid, SIGTERM);
        }
        kill(pid, SIGTERM);
        continue;
      }
      wait_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    }
    if (term_sent) {
      auto kill_at = term_time + std::chrono::seconds(grace_seconds);
      if (now >= kill_at) {
        kill(pid, SIGKILL);  // PID 1 of the namespace: the kernel kills every process in it
        if (cgroup != nullptr) (void)cgroup->Signal(SIGKILL);
        wait_ms = 50;
      } else {
        wait_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - now).count()) + 1;
      }
    }
    struct pollfd pfd = {signal_fd, POLLIN, 0};
    int n = poll(&pfd, 1, wait_ms);
    if (n > 0) {
      struct signalfd_siginfo si;
      while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo != SIGCHLD) kill(pid, static_cast<int>(si.ssi_signo));
      }
    }
  }
}

absl::StatusOr<std::vector<BindMount>> ParseVolumes(const std::vector<std::string>& volumes) {
  std::vector<BindMount> out;
  for (const std::string& v : volumes) {
    std::vector<std::string> parts = absl::StrSplit(v, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() ||
        parts[1][0] != '/' || (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw"))
      return absl::InvalidArgumentError(
          absl::StrCat("invalid volume `", v, "`: expected SRC:DST[:ro|rw] with an absolute DST"));
    char real[PATH_MAX];
    if (realpath(parts[0].c_str(), real) == nullptr)
      return base::ErrnoError(errno, absl::StrCat("volume source `", parts[0], "`"));
    out.push_back({real, parts[1], parts.size() == 3 && parts[2] == "ro"});
  }
  return out;
}


}  // namespace

absl::StatusOr<std::shared_ptr<const RunImage>> OpenRunImage(const std::string& name) {
  absl::StatusOr<oci::ImageLocation> location = oci::ImageLocation::Parse(name);
  if (!location.ok())
    return base::Annotate(location.status(), absl::StrCat("image name `", name, "`"));
  auto image = std::make_shared<RunImage>();
  absl::StatusOr<oci::OpenedImage> opened = oci::OpenImageForRead(*location);
  if (!opened.ok())
    return base::Annotate(opened.status(), absl::StrCat("opening the image `", name, "`"));
  image->opened = std::move(opened).value();
  absl::StatusOr<oci::ImageRef> ref =
      oci::ReadImage(*image->opened.layout, image->opened.tag_or_digest);
  if (!ref.ok())
    return base::Annotate(ref.status(), absl::StrCat("reading the image `", name, "`"));
  image->ref = std::move(ref).value();
  return std::shared_ptr<const RunImage>(std::move(image));
}

std::string DefaultStateRoot() {
  if (const char* s = std::getenv("SLIPWAY_STATE_ROOT"); s != nullptr && *s) return s;
  if (geteuid() == 0) return "/run/slipway";
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && *x)
    return absl::StrCat(x, "/slipway");
  return absl::StrCat("/tmp/slipway-", geteuid());
}

absl::StatusOr<int> ParseSignal(const std::string& name) {
  std::string n = absl::AsciiStrToUpper(name);
  int num = 0;
  if (absl::SimpleAtoi(n, &num) && num > 0 && num < NSIG) return num;
  if (absl::StartsWith(n, "SIG")) n = n.substr(3);
  for (int s = 1; s < NSIG; ++s) {
    const char* abbrev = sigabbrev_np(s);
    if (abbrev != nullptr && n == abbrev) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown signal `", name, "`"));
}

absl::StatusOr<int> RunContainer(const RunOptions& o, std::ostream& out, std::ostream& diag) {
  base::Env* env = base::Env::Default();
  std::optional<std::vector<int>> capabilities;
  if (!o.cap_add.empty() || !o.cap_drop.empty()) {
    ASSIGN_OR_RETURN(capabilities, ResolveCapabilities(o.cap_add, o.cap_drop,
                                                       KernelLastCapability(),
                                                       AvailableCapabilities()));
  }
  // The seccomp filter for Docker's default capabilities is built into slipway; for other sets,
  // compiling it (~1.5 ms) overlaps opening the image and preparing the rootfs. The thread is
  // joined before this process forks or clones.
  std::thread seccomp_warmup;
  if (capabilities && !SeccompFilterIsPrebuilt(*capabilities)) {
    seccomp_warmup = std::thread([&capabilities] { (void)SeccompFilterFor(*capabilities); });
  }
  struct Joiner {
    std::thread& thread;
    void Join() {
      if (thread.joinable()) thread.join();
    }
    ~Joiner() { Join(); }
  } seccomp_joiner{seccomp_warmup};
  std::string state_root = o.state_root.empty() ? DefaultStateRoot() : o.state_root;
  bool rootless = geteuid() != 0;
  const IdMappings mappings = rootless ? RootlessMappings() : IdMappings{};

  oci::ContainerConfig image_config;
  std::shared_ptr<const RunImage> image = o.opened_image;
  if (o.rootfs_dir.empty()) {
    if (image == nullptr) {
      ASSIGN_OR_RETURN(image, OpenRunImage(o.image));
    }
    image_config = image->ref.config.config;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> argv,
                   CombineCommand(image_config.entrypoint, image_config.cmd, o.entrypoint, o.args));
  ASSIGN_OR_RETURN(std::vector<BindMount> volumes, ParseVolumes(o.volumes));
  if (!o.hostname.empty()) RETURN_IF_ERROR(ValidateHostname(o.hostname));
  int stop_signal = SIGTERM;
  if (!image_config.stop_signal.empty()) {
    ASSIGN_OR_RETURN(stop_signal, ParseSignal(image_config.stop_signal));
  }

  ContainerInfo info;
  info.id = NewId();
  info.name = o.name;
  info.image = o.rootfs_dir.empty() ? o.image : o.rootfs_dir;
  info.command = argv;
  info.created = Rfc3339Now();
  info.status = "created";
  info.stop_signal = sigabbrev_np(stop_signal) ? absl::StrCat("SIG", sigabbrev_np(stop_signal)) : "";
  info.dir = absl::StrCat(state_root, "/", info.id);
  if (!o.name.empty()) {
    absl::StatusOr<ContainerInfo> existing = FindContainer(state_root, o.name);
    if (existing.ok() && existing->name == o.name)
      return absl::AlreadyExistsError(absl::StrCat("a container named `", o.name, "` exists"));
  }
  RETURN_IF_ERROR(env->CreateDirs(state_root, 0711));
  RETURN_IF_ERROR(env->CreateDirs(info.dir, 0711));
  // From here on, a failure must leave nothing behind.
  struct Cleanup {
    std::string dir;
    const IdMappings& mappings;
    std::optional<Cgroup> cgroup;
    bool armed = true;
    ~Cleanup() {
      if (!armed) return;
      if (cgroup) (void)cgroup->Destroy();
      (void)RemoveAllMapped(dir, mappings);
    }
  } cleanup{info.dir, mappings, std::nullopt};

  SandboxSpec spec;
  std::vector<std::string> read_dirs;
  if (o.rootfs_dir.empty()) {
    // The mappings read above, not read again: the cache unpacks with the container's own.
    LayerCache cache(o.cache_dir.empty() ? DefaultLayerCacheDir() : o.cache_dir, rootless,
                     mappings);
    ASSIGN_OR_RETURN(PreparedRootfs prepared, PrepareRootfs(*image->opened.layout, image->ref, cache, info.dir));
    spec.rootfs = prepared.rootfs;
    spec.overlay = prepared.overlay;
    if (!prepared.skeleton_dir.empty())
      spec.overlay.lower_dirs.insert(spec.overlay.lower_dirs.begin(), prepared.skeleton_dir);
    read_dirs = prepared.read_dirs;
  } else {
    char real[PATH_MAX];
    if (realpath(o.rootfs_dir.c_str(), real) == nullptr)
      return base::ErrnoError(errno, absl::StrCat("rootfs `", o.rootfs_dir, "`"));
    spec.rootfs = real;
    read_dirs = {real};
  }
  std::string user = o.user.empty() ? image_config.user : o.user;
  ASSIGN_OR_RETURN(ResolvedUser resolved,
                   ResolveUser(user, ReadImageFile(read_dirs, "/etc/passwd"),
                               ReadImageFile(read_dirs, "/etc/group")));
  spec.hostname = !o.hostname.empty()                ? o.hostname
                  : o.network == NetworkMode::kHost ? HostName()
                                                    : info.id.substr(0, 12);
  spec.capabilities = capabilities;
  spec.process.ulimits = o.ulimits;
  std::vector<std::string> host_env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) host_env.emplace_back(*e);
  spec.network = o.network;
  spec.readonly_rootfs = o.read_only;
  spec.init = o.init;
  spec.process.args = argv;
  // As docker: a terminal comes with TERM=xterm, unless the image or -e says otherwise.
  std::vector<std::string> base_env = image_config.env;
  if (o.tty) base_env.insert(base_env.begin(), "TERM=xterm");
  spec.process.env = BuildEnv(base_env, o.env, spec.hostname, resolved.home, host_env);
  spec.process.cwd = !o.workdir.empty() ? o.workdir
                     : !image_config.working_dir.empty() ? image_config.working_dir : "/";
  spec.process.uid = resolved.uid;
  spec.process.gid = resolved.gid;
  spec.process.additional_gids = resolved.additional_gids;
  spec.process.no_new_privs = o.no_new_privs;
  base::ScopedFd null_stdin;
  if ((o.output_fd >= 0 || !o.interactive) && !o.detach) {
    ASSIGN_OR_RETURN(null_stdin, env->Open("/dev/null", O_RDONLY));
    spec.process.stdin_fd = null_stdin.get();
  }
  if (o.output_fd >= 0 && !o.detach) {
    spec.process.stdout_fd = o.output_fd;
    spec.process.stderr_fd = o.output_fd;
  }
  if (rootless) {
    spec.user_namespace = true;
    spec.uid_mappings = mappings.uids;
    spec.gid_mappings = mappings.gids;
    // Supplementary groups outside the mapping cannot be set: leave them out.
    std::vector<gid_t> groups;
    for (gid_t g : spec.process.additional_gids)
      if (mappings.MapsGid(g)) groups.push_back(g);
    spec.process.additional_gids = groups;
    if (!mappings.MapsUid(resolved.uid) || !mappings.MapsGid(resolved.gid))
      return absl::FailedPreconditionError(absl::StrCat(
          "rootless: user `", user, "` (uid ", resolved.uid, ", gid ", resolved.gid,
          ") is not mapped into the container's user namespace; only root is, unless /etc/subuid "
          "and /etc/subgid give this user a range (and newuidmap/newgidmap are installed)"));
  }

  // Per-container /etc files.
  std::string hosts = o.network == NetworkMode::kHost
                          ? env->ReadFile("/etc/hosts").value_or("127.0.0.1\tlocalhost\n")
                          : absl::StrCat("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                         "ip6-loopback\n127.0.1.1\t", spec.hostname, "\n");
  spec.files.push_back({"/etc/hosts", AppendExtraHosts(hosts, o.extra_hosts), o.read_only});
  spec.files.push_back({"/etc/hostname", spec.hostname + "\n", o.read_only});
  spec.files.push_back(
      {"/etc/resolv.conf", env->ReadFile("/etc/resolv.conf").value_or(""), o.read_only});
  for (const BindMount& m : volumes) spec.mounts.push_back(m);

  // Cgroup: only for limits. Without one the PID namespace still bounds the container: when its
  // PID 1 dies the kernel kills every other process in it, so nothing can outlive the run. (Moving
  // a process into a v1 cgroup costs an RCU grace period per hierarchy, ~10 ms each.)
  if (o.resources.any()) {
    absl::StatusOr<std::unique_ptr<CgroupManager>> manager = DetectCgroupManager();
    absl::StatusOr<Cgroup> cg = manager.ok() ? (*manager)->Create(info.id, o.resources)
                                             : absl::StatusOr<Cgroup>(manager.status());
    if (!cg.ok()) {
      return base::Annotate(
          cg.status(), rootless ? "setting resource limits (rootless runs need a cgroup delegated "
                                  "to this user, e.g. a systemd user slice with Delegate=yes)"
                                : "setting resource limits");
    }
    cleanup.cgroup = *cg;
    info.cgroup_dirs = cg->dirs();
    info.cgroup_version = cg->version();
  }

  seccomp_joiner.Join();
  // Detached: a monitor process owns the container; we wait until it says the command started.
  int report_pipe[2] = {-1, -1};
  if (o.detach) {
    if (pipe2(report_pipe, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe");
    std::cout.flush();
    std::cerr.flush();
    pid_t monitor = fork();
    if (monitor < 0) return base::ErrnoError(errno, "fork the monitor");
    if (monitor > 0) {
      close(report_pipe[1]);
      cleanup.armed = false;  // the monitor owns the container now
      std::string msg;
      char buf[512];
      ssize_t n;
      while ((n = read(report_pipe[0], buf, sizeof(buf))) > 0) msg.append(buf, n);
      close(report_pipe[0]);
      waitpid(monitor, nullptr, 0);  // it double-forks; the first child exits at once
      if (msg == "ok") {
        out << info.id << "\n";
        return 0;
      }
      if (absl::StartsWith(msg, "exec:")) {
        diag << msg.substr(5) << "\n";
        return msg.size() > 8 && msg[5] == '6' ? kExitNotExecutable : kExitNotFound;
      }
      return absl::InternalError(msg.empty() ? "the container monitor died" : msg);
    }
    close(report_pipe[0]);
    setsid();
    if (fork() > 0) _exit(0);  // the grandchild is re-parented away from the CLI
    std::string log = info.dir + "/container.log";
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
      std::string m = absl::StrCat("opening the log `", log, "`: ", std::strerror(errno));
      (void)base::WriteAll(report_pipe[1], m);
      _exit(kExitSetupFailed);
    }
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
  }

  // -t: the terminal is made in the container and relayed from here (detached: to the log).
  std::unique_ptr<TerminalSession> terminal;
  if (o.tty) {
    ASSIGN_OR_RETURN(terminal,
                     TerminalSession::Prepare(&spec.process, o.interactive && !o.detach));
  }

  // Signals: received through a signalfd, so none is lost between the start and the wait.
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : kForwarded) sigaddset(&mask, s);
  sigaddset(&mask, SIGCHLD);
  sigset_t old_mask;
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  base::ScopedFd signal_fd(sfd);

  const Cgroup* cgroup = cleanup.cgroup ? &*cleanup.cgroup : nullptr;
  absl::StatusOr<StartResult> started = StartSandbox(spec, [cgroup](pid_t pid) {
    return cgroup != nullptr ? cgroup->AddProcess(pid) : absl::OkStatus();
  });
  // The child restores nothing: it execs with the mask we had, so unblock there too.
  auto report = [&](const std::string& m) {
    if (report_pipe[1] >= 0) {
      (void)base::WriteAll(report_pipe[1], m);
      close(report_pipe[1]);
      report_pipe[1] = -1;
    }
  };
  if (!started.ok()) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    if (o.detach) {
      // Clean up before reporting: the CLI returns as soon as it has the report.
      cleanup.~Cleanup();  // _exit skips destructors
      report(std::string(started.status().message()));
      _exit(kExitSetupFailed);
    }
    return started.status();
  }
  if (started->pid < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    if (o.detach) {
      cleanup.~Cleanup();  // before the report (see above); _exit skips destructors
      report(absl::StrCat("exec:", started->exec_exit_code, started->exec_error));
      _exit(started->exec_exit_code);
    }
    diag << "slipway run: " << started->exec_error << "\n";
    return started->exec_exit_code;
  }
  info.pid = started->pid;
  info.monitor_pid = getpid();
  info.status = "running";
  (void)WriteState(info);
  report("ok");
  if (terminal != nullptr) {
    if (absl::Status s = terminal->Attach(); !s.ok()) {
      diag << "slipway run: " << s.message() << "\n";
      kill(info.pid, SIGKILL);
    }
  }

  MonitorResult result = Monitor(info.pid, cgroup, o.timeout_seconds, o.stop_grace_seconds, sfd);
  if (terminal != nullptr) terminal->Finish();  // the output first, and the terminal restored
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  int status = ExitStatusFromWait(result.wait_status);
  info.oom_killed = cgroup != nullptr && cgroup->OomKilled();
  if (result.timed_out) {
    diag << "slipway run: container " << info.id.substr(0, 12) << " timed out after "
         << o.timeout_seconds << "s and was killed\n";
    status = kExitTimeout;
  } else if (info.oom_killed) {
    diag << "slipway run: container " << info.id.substr(0, 12)
         << " was killed: out of memory (limit " << o.resources.memory_bytes << " bytes)\n";
    status = 137;
  }
  info.status = "exited";
  info.exit_code = status;
  // Tear down: the cgroup (any straggler is killed), the writable layer; state too with --rm.
  if (cgroup != nullptr) (void)cgroup->Destroy();
  cleanup.cgroup.reset();
  info.cgroup_dirs.clear();
  // Files of subordinate ids (a non-root container user's) need the user namespace to go.
  if (o.remove) {
    (void)RemoveAllMapped(info.dir, mappings);
  } else {
    (void)RemoveAllMapped(info.dir + "/upper", mappings);
    (void)RemoveAllMapped(info.dir + "/work", mappings);
    (void)WriteState(info);
  }
  cleanup.armed = false;
  if (o.detach) _exit(status);
  return status;
}

std::string ContainerListJson(const std::vector<ContainerInfo>& containers) {
  Json out = Json::array();
  for (const ContainerInfo& c : containers) out.push_back(SummaryJson(c));
  return out.dump(2);
}

absl::StatusOr<std::vector<ContainerInfo>> ListContainers(const std::string& state_root) {
  std::vector<ContainerInfo> out;
  base::Env* env = base::Env::Default();
  if (!env->IsDirectory(state_root)) return out;
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(state_root));
  for (const std::string& n : names) {
    std::string dir = absl::StrCat(state_root, "/", n);
    absl::StatusOr<ContainerInfo> c = ReadState(dir);
    if (c.ok()) {
      out.push_back(std::move(c).value());
    } else if (absl::IsNotFound(c.status()) && IsContainerId(n) && env->IsDirectory(dir)) {
      // A container still being set up (state.json comes once its command runs), or what a
      // killed `slipway run` left: either way it exists, and `rm` can remove it.
      ContainerInfo starting;
      starting.id = n;
      starting.status = "created";
      starting.dir = dir;
      out.push_back(std::move(starting));
    }
  }
  return out;
}

absl::StatusOr<ContainerInfo> FindContainer(const std::string& state_root,
                                            const std::string& ref) {
  ASSIGN_OR_RETURN(std::vector<ContainerInfo> all, ListContainers(state_root));
  std::vector<ContainerInfo> matches;
  for (ContainerInfo& c : all) {
    if (c.id == ref || (!c.name.empty() && c.name == ref)) return c;
    if (!ref.empty() && absl::StartsWith(c.id, ref)) matches.push_back(c);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty())
    return absl::NotFoundError(absl::StrCat("no such container: `", ref, "`"));
  return absl::InvalidArgumentError(absl::StrCat("`", ref, "` matches ", matches.size(),
                                                 " containers: give more of the id"));
}

absl::Status StopContainer(const std::string& state_root, const std::string& ref,
                           int grace_seconds) {
  ASSIGN_OR_RETURN(ContainerInfo c, FindContainer(state_root, ref));
  if (c.status != "running") return absl::OkStatus();
  int sig = SIGTERM;
  if (!c.stop_signal.empty()) {
    ASSIGN_OR_RETURN(sig, ParseSignal(c.stop_signal));
  }
  auto exited = [&]() {
    absl::StatusOr<ContainerInfo> now = ReadState(c.dir);
    return !now.ok() || now->status != "running";
  };
  kill(c.pid, sig);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
  while (!exited() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!exited()) {
    kill(c.pid, SIGKILL);
    for (int i = 0; i < 500 && !exited(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!exited())
      return absl::DeadlineExceededError(
          absl::StrCat("container `", c.id.substr(0, 12), "` did not exit after SIGKILL"));
  }
  return absl::OkStatus();
}

absl::Status RemoveContainer(const std::string& state_root, const std::string& ref, bool force) {
  ASSIGN_OR_RETURN(ContainerInfo c, FindContainer(state_root, ref));
  if (c.status == "running") {
    if (!force)
      return absl::FailedPreconditionError(absl::StrCat(
          "container `", c.id.substr(0, 12), "` is running: stop it first or use --force"));
    RETURN_IF_ERROR(StopContainer(state_root, c.id, 0));
    ASSIGN_OR_RETURN(c, ReadState(c.dir));
  }
  // A monitor that was killed leaves its cgroup; remove it.
  if (!c.cgroup_dirs.empty()) {
    Cgroup cg(c.cgroup_version, c.cgroup_dirs, "");
    RETURN_IF_ERROR(cg.Destroy());
  }
  return RemoveAllMapped(c.dir, geteuid() != 0 ? RootlessMappings() : IdMappings{});
}

absl::StatusOr<std::string> LogPath(const std::string& state_root, const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerInfo c, FindContainer(state_root, ref));
  return absl::StrCat(c.dir, "/container.log");
}

}  // namespace runner
