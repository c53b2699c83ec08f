// Resource limits and process tracking through cgroups. A CgroupManager backend is chosen by
// detection (DetectCgroupManager): cgroup v2 when /sys/fs/cgroup is the unified hierarchy, else
// cgroup v1 with one directory per controller that a limit needs (memory, pids, cpu), which also covers "hybrid"
// machines (v1 controllers plus an empty unified mount). Each container gets its own cgroup
// (`slipway/<id>` under the manager's base), removed by Destroy.
// Not thread-safe; a Cgroup is owned by one process at a time.
#ifndef SLIPWAY_RUNNER_CGROUP_CGROUP_H_
#define SLIPWAY_RUNNER_CGROUP_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runner {

struct Resources {
  int64_t memory_bytes = 0;  // 0: unlimited
  int64_t pids_limit = 0;    // 0: unlimited
  double cpus = 0;           // 0: unlimited; 1.5 = one and a half CPUs of time per period
  bool any() const { return memory_bytes > 0 || pids_limit > 0 || cpus > 0; }
};

// One container's cgroup: a directory per hierarchy (one for v2; one per controller for v1).
class Cgroup {
 public:
  Cgroup(int version, std::vector<std::string> dirs, std::string memory_dir)
      : version_(version), dirs_(std::move(dirs)), memory_dir_(std::move(memory_dir)) {}

  int version() const { return version_; }
  const std::vector<std::string>& dirs() const { return dirs_; }
  const std::string& memory_dir() const { return memory_dir_; }

  // Moves `pid` into every directory.
  absl::Status AddProcess(pid_t pid) const;
  // The processes in the cgroup (from the first directory).
  absl::StatusOr<std::vector<pid_t>> Processes() const;
  // Sends `sig` to every process in the cgroup.
  absl::Status Signal(int sig) const;
  // Whether the kernel OOM-killed a process of this cgroup.
  bool OomKilled() const;
  // Kills what is left, waits for it to go and removes the directories. Missing ones are fine.
  absl::Status Destroy() const;

 private:
  int version_;
  std::vector<std::string> dirs_;
  std::string memory_dir_;  // where the memory limit and OOM counters live ("" when none)
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual int version() const = 0;
  // Creates the cgroup for container `id` with `resources` applied.
  virtual absl::StatusOr<Cgroup> Create(absl::string_view id, const Resources& resources) = 0;
};

// cgroup v2 rooted at `mount` (normally /sys/fs/cgroup); containers go under `<mount>/slipway`.
std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string mount);
// cgroup v1 with `controllers` = {name, directory to create under} (e.g. {"memory",
// "/sys/fs/cgroup/memory/<own cgroup>"}); containers go under `<dir>/slipway`.
std::unique_ptr<CgroupManager> NewCgroupV1Manager(
    std::vector<std::pair<std::string, std::string>> controllers);

// Reads /proc/self/mountinfo and /proc/self/cgroup and picks the backend. FailedPrecondition when
// no usable hierarchy is mounted.
absl::StatusOr<std::unique_ptr<CgroupManager>> DetectCgroupManager();

// Parses Docker's sizes ("64m", "1g", "512k", "100" bytes, "1.5g").
absl::StatusOr<int64_t> ParseSize(absl::string_view text);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_CGROUP_CGROUP_H_
