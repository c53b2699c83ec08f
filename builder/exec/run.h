// RUN steps: the executor's side of running a command on an overlay of a stage's layers.
//
// RunExecutor is the small interface the executor needs ("run this argv with this env/user/cwd/
// network in a sandbox whose root is lowers+upper plus these bind mounts; stream the output;
// return the exit status"). SandboxRunExecutor implements it with runner/sandbox: since the
// sandbox forks and the executor is multi-threaded, it re-executes a helper (`helper_argv`, e.g.
// `/proc/self/exe __build-run`) that reads the spec from a file, starts the sandbox with umask 022
// and exits with the command's status; RunHelperMain is that helper's body. The helper's stdout and
// stderr (and so the command's) go to a pipe the executor reads.
//
// UpperToEntries turns the overlay's upper directory into layer entries: 0/0 character devices
// become whiteouts, opaque directories get `.wh..wh..opq`, overlay xattrs are dropped, and mount
// points the sandbox had to create (for /proc, /dev, /sys and the step's mounts) are left out.
#ifndef SLIPWAY_BUILDER_EXEC_RUN_H_
#define SLIPWAY_BUILDER_EXEC_RUN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "builder/exec/fs_view.h"
#include "oci/tar/layer_writer.h"
#include "runner/sandbox/spec.h"

namespace builder {

struct RunRequest {
  std::vector<std::string> lower_dirs;  // top-most first; must not be empty
  std::string upper_dir;                // empty, created by the caller
  std::string work_dir;                 // empty, same filesystem as upper_dir
  std::string rootfs_dir;               // empty mount point
  runner::ProcessSpec process;
  runner::NetworkMode network = runner::NetworkMode::kHost;
  std::vector<runner::BindMount> mounts;
};

class RunExecutor {
 public:
  virtual ~RunExecutor() = default;
  // Runs the command; `on_output` gets its stdout/stderr as they come (may be null). Returns the
  // exit status (128+signal when killed). Errors mean the sandbox could not be set up.
  virtual absl::StatusOr<int> Run(const RunRequest& request,
                                  const std::function<void(absl::string_view)>& on_output) = 0;
};

class SandboxRunExecutor : public RunExecutor {
 public:
  // `helper_argv`: the program (and leading arguments) that runs RunHelperMain(<spec file>).
  explicit SandboxRunExecutor(std::vector<std::string> helper_argv)
      : helper_argv_(std::move(helper_argv)) {}
  absl::StatusOr<int> Run(const RunRequest& request,
                          const std::function<void(absl::string_view)>& on_output) override;

 private:
  std::vector<std::string> helper_argv_;
};

// The helper process's main: reads the spec file, runs the sandbox, returns the exit status.
int RunHelperMain(const std::string& spec_file);

// Entries of the layer a RUN produced. `lower` is the view below the upper dir; `mount_points`
// are the destinations the sandbox may have created (absolute paths). Every entry keeps its own
// mtime clamped to `clamp_mtime` (seconds): times the command set in the past survive, times of
// files it created or changed "now" become SOURCE_DATE_EPOCH.
absl::StatusOr<std::vector<oci::LayerEntry>> UpperToEntries(
    const std::string& upper_dir, const FsView& lower, const std::vector<std::string>& mount_points,
    int64_t clamp_mtime);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_EXEC_RUN_H_
