#include "builder/exec/run.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runner/sandbox/sandbox.h"

extern char** environ;

namespace builder {
namespace {

using Json = nlohmann::json;

Json SpecToJson(const RunRequest& r) {
  Json mounts = Json::array();
  for (const runner::BindMount& m : r.mounts) {
    mounts.push_back({{"source", m.source}, {"destination", m.destination},
                      {"read_only", m.read_only}});
  }
  return Json{{"lower", r.lower_dirs},
              {"upper", r.upper_dir},
              {"work", r.work_dir},
              {"rootfs", r.rootfs_dir},
              {"args", r.process.args},
              {"env", r.process.env},
              {"cwd", r.process.cwd},
              {"uid", r.process.uid},
              {"gid", r.process.gid},
              {"gids", r.process.additional_gids},
              {"host_network", r.network == runner::NetworkMode::kHost},
              {"mounts", mounts}};
}

absl::StatusOr<runner::SandboxSpec> SpecFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("bad RUN spec");
  runner::SandboxSpec spec;
  spec.rootfs = j.value("rootfs", "");
  spec.overlay.lower_dirs = j.value("lower", std::vector<std::string>{});
  spec.overlay.upper_dir = j.value("upper", "");
  spec.overlay.work_dir = j.value("work", "");
  spec.hostname = "buildkitsandbox";
  spec.network = j.value("host_network", true) ? runner::NetworkMode::kHost
                                               : runner::NetworkMode::kNone;
  for (const Json& m : j.value("mounts", Json::array())) {
    spec.mounts.push_back({m.value("source", ""), m.value("destination", ""),
                           m.value("read_only", false)});
  }
  spec.process.args = j.value("args", std::vector<std::string>{});
  spec.process.env = j.value("env", std::vector<std::string>{});
  spec.process.cwd = j.value("cwd", "/");
  spec.process.uid = j.value("uid", 0u);
  spec.process.gid = j.value("gid", 0u);
  spec.process.additional_gids = j.value("gids", std::vector<gid_t>{});
  // Docker's RUN may gain privileges (setuid binaries such as su/sudo work in builds).
  spec.process.no_new_privs = false;
  return spec;
}

bool IsWhiteoutDev(const oci::LayerEntry& e) {
  return e.type == oci::LayerEntry::Type::kCharDevice && e.dev_major == 0 && e.dev_minor == 0;
}

}  // namespace

int RunHelperMain(const std::string& spec_file) {
  absl::StatusOr<std::string> text = base::Env::Default()->ReadFile(spec_file);
  if (!text.ok()) {
    std::cerr << "slipway: RUN helper: " << text.status().message() << "\n";
    return runner::kExitSetupFailed;
  }
  absl::StatusOr<runner::SandboxSpec> spec = SpecFromJson(*text);
  if (!spec.ok()) {
    std::cerr << "slipway: RUN helper: " << spec.status().message() << "\n";
    return runner::kExitSetupFailed;
  }
  umask(022);  // Whatever the caller's umask, RUN sees Docker's.
  absl::StatusOr<runner::StartResult> started = runner::StartSandbox(*spec, nullptr);
  if (!started.ok()) {
    std::cerr << "slipway: RUN: " << started.status().message() << "\n";
    return runner::kExitSetupFailed;
  }
  if (started->pid < 0) {
    std::cerr << started->exec_error << "\n";
    return started->exec_exit_code;
  }
  int status = 0;
  while (waitpid(started->pid, &status, 0) < 0) {
    if (errno != EINTR) return runner::kExitSetupFailed;
  }
  return runner::ExitStatusFromWait(status);
}

absl::StatusOr<int> SandboxRunExecutor::Run(
    const RunRequest& request, const std::function<void(absl::string_view)>& on_output) {
  std::string spec_file = absl::StrCat(request.work_dir, ".spec.json");
  RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomically(spec_file, SpecToJson(request).dump()));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe");
  base::ScopedFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<std::string> argv_s = helper_argv_;
  argv_s.push_back(spec_file);
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.Reset();
  if (rc != 0) return base::ErrnoError(rc, absl::StrCat("starting the RUN helper `", argv[0], "`"));
  char buf[16384];
  while (true) {
    ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (on_output) on_output(absl::string_view(buf, n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return base::ErrnoError(errno, "waiting for the RUN helper");
  }
  unlink(spec_file.c_str());
  int code = runner::ExitStatusFromWait(status);
  if (code == runner::kExitSetupFailed) {
    return absl::InternalError("the RUN sandbox could not be set up (see the output above)");
  }
  return code;
}

absl::StatusOr<std::vector<oci::LayerEntry>> UpperToEntries(
    const std::string& upper_dir, const FsView& lower, const std::vector<std::string>& mount_points,
    int64_t clamp_mtime) {
  ASSIGN_OR_RETURN(std::vector<oci::LayerEntry> raw,
                   oci::EntriesFromDirectory(upper_dir, "", /*keep_owners=*/true));
  std::map<std::string, oci::LayerEntry> by_path;
  for (oci::LayerEntry& e : raw) {
    struct stat st;
    std::string host = absl::StrCat(upper_dir, "/", e.path);
    if (lstat(host.c_str(), &st) != 0) return base::ErrnoError(errno, absl::StrCat("lstat `", host, "`"));
    e.mtime = std::min<int64_t>(st.st_mtim.tv_sec, clamp_mtime);
    if (IsWhiteoutDev(e)) {
      e.type = oci::LayerEntry::Type::kWhiteout;
      e.mode = 0;
      e.xattrs.clear();
    }
    bool opaque = false;
    for (auto it = e.xattrs.begin(); it != e.xattrs.end();) {
      if (absl::StartsWith(it->first, "trusted.overlay.") ||
          absl::StartsWith(it->first, "user.overlay.")) {
        if (absl::EndsWith(it->first, "overlay.opaque") && it->second == "y") opaque = true;
        it = e.xattrs.erase(it);
      } else {
        ++it;
      }
    }
    std::string path = e.path;
    if (opaque && e.type == oci::LayerEntry::Type::kDirectory) {
      oci::LayerEntry o;
      o.type = oci::LayerEntry::Type::kOpaqueWhiteout;
      o.path = path;
      by_path[path + "/.wh..wh..opq"] = o;
    }
    by_path[path] = std::move(e);
  }
  auto has_children = [&](const std::string& p) {
    auto it = by_path.upper_bound(p + "/");
    auto lb = by_path.lower_bound(p + "/");
    (void)it;
    return lb != by_path.end() && absl::StartsWith(lb->first, p + "/");
  };
  std::vector<std::string> points = {"/proc", "/dev", "/sys"};
  points.insert(points.end(), mount_points.begin(), mount_points.end());
  for (const std::string& mp : points) {
    std::string rel = CleanRel(mp);
    while (!rel.empty()) {
      auto it = by_path.find(rel);
      if (it == by_path.end()) break;
      const oci::LayerEntry& e = it->second;
      if (std::optional<FsView::Hit> below = lower.Lstat(rel)) {
        // A directory copied up only to hold a mount point: drop it when nothing else changed.
        bool same = e.type == oci::LayerEntry::Type::kDirectory &&
                    S_ISDIR(below->info.st_mode) && !has_children(rel) &&
                    (below->info.st_mode & 07777) == e.mode && below->info.st_uid == e.uid &&
                    below->info.st_gid == e.gid && rel != CleanRel(mp);
        if (!same) break;
        by_path.erase(it);
        size_t slash = rel.rfind('/');
        rel = slash == std::string::npos ? "" : rel.substr(0, slash);
        continue;
      }
      bool empty_file = e.type == oci::LayerEntry::Type::kFile && !e.source_path.empty() &&
                        [&] {
                          struct stat st;
                          return lstat(e.source_path.c_str(), &st) == 0 && st.st_size == 0;
                        }();
      bool empty_dir = e.type == oci::LayerEntry::Type::kDirectory && !has_children(rel);
      if (!empty_file && !empty_dir) break;
      by_path.erase(it);
      size_t slash = rel.rfind('/');
      rel = slash == std::string::npos ? "" : rel.substr(0, slash);
    }
  }
  std::vector<oci::LayerEntry> out;
  out.reserve(by_path.size());
  for (auto& [p, e] : by_path) out.push_back(std::move(e));
  return out;
}

}  // namespace builder
