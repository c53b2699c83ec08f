#include "runner/cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace runner {
namespace {

constexpr int64_t kCpuPeriodUs = 100000;

absl::Status WriteValue(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = absl::StrCat(dir, "/", file);
  ASSIGN_OR_RETURN(base::ScopedFd fd, base::Env::Default()->Open(path, O_WRONLY | O_TRUNC));
  if (write(fd.get(), value.data(), value.size()) < 0)
    return base::ErrnoError(errno, absl::StrCat("writing `", value, "` to `", path, "`"));
  return absl::OkStatus();
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Reads `key N` from a flat keyed file such as memory.events or memory.oom_control.
int64_t ReadKey(const std::string& path, absl::string_view key) {
  absl::StatusOr<std::string> text = base::Env::Default()->ReadFile(path);
  if (!text.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    int64_t v = 0;
    if (f.size() == 2 && f[0] == key && absl::SimpleAtoi(f[1], &v)) return v;
  }
  return 0;
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) < 0 && errno != EEXIST)
    return base::ErrnoError(errno, absl::StrCat("creating cgroup `", path, "`"));
  return absl::OkStatus();
}

class V2Manager : public CgroupManager {
 public:
  explicit V2Manager(std::string mount) : mount_(std::move(mount)) {}
  int version() const override { return 2; }

  absl::StatusOr<Cgroup> Create(absl::string_view id, const Resources& r) override {
    std::string base = absl::StrCat(mount_, "/slipway");
    RETURN_IF_ERROR(MakeDir(base));
    // Enable the controllers we use for our children (the root is exempt from the
    // no-internal-processes rule; `slipway` itself never holds processes).
    for (const std::string& dir : {mount_, base}) {
      for (const char* c : {"+memory", "+pids", "+cpu"})
        (void)WriteValue(dir, "cgroup.subtree_control", c);
    }
    std::string dir = absl::StrCat(base, "/", id);
    RETURN_IF_ERROR(MakeDir(dir));
    Cgroup cg(2, {dir}, dir);
    absl::Status s = Apply(dir, r);
    if (!s.ok()) {
      (void)cg.Destroy();
      return s;
    }
    return cg;
  }

 private:
  static absl::Status Apply(const std::string& dir, const Resources& r) {
    if (r.memory_bytes > 0) {
      RETURN_IF_ERROR(WriteValue(dir, "memory.max", absl::StrCat(r.memory_bytes)));
      if (Exists(dir + "/memory.swap.max")) RETURN_IF_ERROR(WriteValue(dir, "memory.swap.max", "0"));
    }
    if (r.pids_limit > 0) RETURN_IF_ERROR(WriteValue(dir, "pids.max", absl::StrCat(r.pids_limit)));
    if (r.cpus > 0) {
      int64_t quota = static_cast<int64_t>(std::llround(r.cpus * kCpuPeriodUs));
      RETURN_IF_ERROR(WriteValue(dir, "cpu.max", absl::StrCat(quota, " ", kCpuPeriodUs)));
    }
    return absl::OkStatus();
  }
  std::string mount_;
};

class V1Manager : public CgroupManager {
 public:
  explicit V1Manager(std::vector<std::pair<std::string, std::string>> controllers)
      : controllers_(std::move(controllers)) {}
  int version() const override { return 1; }

  absl::StatusOr<Cgroup> Create(absl::string_view id, const Resources& r) override {
    std::vector<std::string> dirs;
    std::string memory_dir;
    std::map<std::string, std::string> by_name;
    for (const auto& [name, parent] : controllers_) {
      // Only the hierarchies a limit needs: each attach costs an RCU grace period.
      bool needed = (name == "memory" && r.memory_bytes > 0) || (name == "pids" && r.pids_limit > 0) ||
                    (name == "cpu" && r.cpus > 0);
      if (!needed) continue;
      std::string base = absl::StrCat(parent, "/slipway");
      RETURN_IF_ERROR(MakeDir(base));
      std::string dir = absl::StrCat(base, "/", id);
      RETURN_IF_ERROR(MakeDir(dir));
      dirs.push_back(dir);
      by_name[name] = dir;
      if (name == "memory") memory_dir = dir;
    }
    Cgroup cg(1, dirs, memory_dir);
    absl::Status s = Apply(by_name, r);
    if (!s.ok()) {
      (void)cg.Destroy();
      return s;
    }
    return cg;
  }

 private:
  static absl::Status Need(const std::map<std::string, std::string>& m, const char* name) {
    if (m.count(name) == 0)
      return absl::FailedPreconditionError(
          absl::StrCat("the cgroup v1 `", name, "` controller is not mounted"));
    return absl::OkStatus();
  }
  static absl::Status Apply(const std::map<std::string, std::string>& m, const Resources& r) {
    if (r.memory_bytes > 0) {
      RETURN_IF_ERROR(Need(m, "memory"));
      const std::string& dir = m.at("memory");
      RETURN_IF_ERROR(WriteValue(dir, "memory.limit_in_bytes", absl::StrCat(r.memory_bytes)));
      // No swap beyond the limit (when swap accounting exists), so the limit is the limit.
      if (Exists(dir + "/memory.memsw.limit_in_bytes"))
        RETURN_IF_ERROR(
            WriteValue(dir, "memory.memsw.limit_in_bytes", absl::StrCat(r.memory_bytes)));
      (void)WriteValue(dir, "memory.swappiness", "0");
    }
    if (r.pids_limit > 0) {
      RETURN_IF_ERROR(Need(m, "pids"));
      RETURN_IF_ERROR(WriteValue(m.at("pids"), "pids.max", absl::StrCat(r.pids_limit)));
    }
    if (r.cpus > 0) {
      RETURN_IF_ERROR(Need(m, "cpu"));
      int64_t quota = static_cast<int64_t>(std::llround(r.cpus * kCpuPeriodUs));
      RETURN_IF_ERROR(WriteValue(m.at("cpu"), "cpu.cfs_period_us", absl::StrCat(kCpuPeriodUs)));
      RETURN_IF_ERROR(WriteValue(m.at("cpu"), "cpu.cfs_quota_us", absl::StrCat(quota)));
    }
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, std::string>> controllers_;
};

}  // namespace

absl::Status Cgroup::AddProcess(pid_t pid) const {
  for (const std::string& dir : dirs_)
    RETURN_IF_ERROR_CTX(WriteValue(dir, "cgroup.procs", absl::StrCat(pid)),
                        "adding process ", pid, " to its cgroup");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<pid_t>> Cgroup::Processes() const {
  std::vector<pid_t> out;
  if (dirs_.empty()) return out;
  ASSIGN_OR_RETURN(std::string text,
                   base::Env::Default()->ReadFile(absl::StrCat(dirs_[0], "/cgroup.procs")));
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid)) out.push_back(pid);
  }
  return out;
}

absl::Status Cgroup::Signal(int sig) const {
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, Processes());
  for (pid_t pid : pids) kill(pid, sig);
  return absl::OkStatus();
}

bool Cgroup::OomKilled() const {
  if (memory_dir_.empty()) return false;
  if (version_ == 2) return ReadKey(memory_dir_ + "/memory.events", "oom_kill") > 0;
  return ReadKey(memory_dir_ + "/memory.oom_control", "oom_kill") > 0;
}

absl::Status Cgroup::Destroy() const {
  for (int attempt = 0; attempt < 200; ++attempt) {
    absl::StatusOr<std::vector<pid_t>> pids = Processes();
    if (!pids.ok() || pids->empty()) break;
    for (pid_t pid : *pids) kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  absl::Status result;
  for (const std::string& dir : dirs_) {
    for (int attempt = 0;; ++attempt) {
      if (rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt >= 200) {
        result.Update(base::ErrnoError(errno, absl::StrCat("removing cgroup `", dir, "`")));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return result;
}

std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string mount) {
  return std::make_unique<V2Manager>(std::move(mount));
}

std::unique_ptr<CgroupManager> NewCgroupV1Manager(
    std::vector<std::pair<std::string, std::string>> controllers) {
  return std::make_unique<V1Manager>(std::move(controllers));
}

absl::StatusOr<std::unique_ptr<CgroupManager>> DetectCgroupManager() {
  constexpr long kCgroup2Magic = 0x63677270;
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == kCgroup2Magic)
    return NewCgroupV2Manager("/sys/fs/cgroup");

  base::Env* env = base::Env::Default();
  ASSIGN_OR_RETURN(std::string mountinfo, env->ReadFile("/proc/self/mountinfo"));
  ASSIGN_OR_RETURN(std::string self, env->ReadFile("/proc/self/cgroup"));
  // controller -> our path in its hierarchy ("4:memory:/a/b").
  std::map<std::string, std::string> own;
  for (absl::string_view line : absl::StrSplit(self, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    for (absl::string_view c : absl::StrSplit(f[1], ',', absl::SkipEmpty()))
      own[std::string(c)] = std::string(f[2]);
  }
  std::vector<std::pair<std::string, std::string>> controllers;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS"
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 3 >= f.size() || f[dash + 1] != "cgroup") continue;
    const std::string& root = f[3];
    const std::string& mountpoint = f[4];
    for (absl::string_view opt : absl::StrSplit(f[dash + 3], ',')) {
      std::string name(opt);
      if (name != "memory" && name != "pids" && name != "cpu") continue;
      std::string path = own.count(name) ? own[name] : "/";
      // Our path is relative to the hierarchy's root; the mount may show a subtree of it.
      if (root != "/" && path.rfind(root, 0) == 0) path = path.substr(root.size());
      if (path == "/") path.clear();
      controllers.emplace_back(name, absl::StrCat(mountpoint, path));
    }
  }
  if (controllers.empty())
    return absl::FailedPreconditionError(
        "no cgroup hierarchy found: /sys/fs/cgroup is neither cgroup v2 nor has v1 controllers");
  return NewCgroupV1Manager(std::move(controllers));
}

absl::StatusOr<int64_t> ParseSize(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (!t.empty() && t.back() == 'b') t.pop_back();
  int64_t mult = 1;
  if (!t.empty()) {
    switch (t.back()) {
      case 'k': mult = 1LL << 10; break;
      case 'm': mult = 1LL << 20; break;
      case 'g': mult = 1LL << 30; break;
      case 't': mult = 1LL << 40; break;
      default: mult = 0;
    }
    if (mult != 0) t.pop_back(); else mult = 1;
  }
  double v = 0;
  if (t.empty() || !absl::SimpleAtod(t, &v) || v < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size `", text, "`: expected a number with an optional k, m or g"));
  return static_cast<int64_t>(v * static_cast<double>(mult));
}

}  // namespace runner
