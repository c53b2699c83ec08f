// Path resolution confined to a root directory, for everything the runner reads from or mounts onto
// an image's filesystem. Paths are resolved with openat2(RESOLVE_IN_ROOT): `..` and symlinks
// (absolute or relative, chained) are interpreted as if `root` were `/`, so an image cannot point a
// mount or a read at a host path. All fds are O_CLOEXEC.
#ifndef SLIPWAY_RUNNER_SANDBOX_IN_ROOT_H_
#define SLIPWAY_RUNNER_SANDBOX_IN_ROOT_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/scoped_fd.h"

namespace runner {

// Opens `path` (absolute or relative, interpreted inside `root_fd`) with `flags` (O_PATH, O_RDONLY…).
absl::StatusOr<base::ScopedFd> OpenInRoot(int root_fd, const std::string& path, int flags);

// Like OpenInRoot with O_PATH, creating missing components first: directories for the parents and
// the last component as a directory (`dir` true) or an empty regular file.
absl::StatusOr<base::ScopedFd> CreateInRoot(int root_fd, const std::string& path, bool dir);

// Reads a whole (small) file inside the root.
absl::StatusOr<std::string> ReadFileInRoot(int root_fd, const std::string& path);

// "/proc/self/fd/N": a path the mount syscalls accept for an O_PATH fd.
std::string FdPath(int fd);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_IN_ROOT_H_
