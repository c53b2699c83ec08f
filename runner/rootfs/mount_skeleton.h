// The mount-point skeleton: a tiny read-only directory that goes on top of an image's layers so
// that the mount points every container needs (/proc, /dev, /sys, and the files /etc/hosts,
// /etc/hostname, /etc/resolv.conf) already exist in the merged tree. Without it the sandbox
// creates them in the container's upper directory, and creating and later deleting those inodes
// on a disk filesystem costs real I/O on every run (milliseconds on a filesystem mounted with
// `discard`).
//
// An entry is provided only where it cannot change what the container sees: where the image
// lacks it, or has the same kind of file there (a directory for /proc, a regular file for
// /etc/hosts — which the sandbox mounts over anyway). Where the image has something else, e.g. a
// symlink /etc/resolv.conf, the entry is left out and the sandbox handles that path as before.
// Each combination of entries is one directory in the layer cache, made once (temp + rename).
#ifndef SLIPWAY_RUNNER_ROOTFS_MOUNT_SKELETON_H_
#define SLIPWAY_RUNNER_ROOTFS_MOUNT_SKELETON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runner {

// Which skeleton entries are safe over these overlay lower dirs (top-most first), as a bit set of
// the entries in the order /proc, /dev, /sys, /etc, /etc/hosts, /etc/hostname, /etc/resolv.conf.
// `opaque_xattr` is the overlay opaque attribute the layers use ("trusted.overlay.opaque" or
// "user.overlay.opaque").
unsigned SafeSkeletonEntries(const std::vector<std::string>& lower_dirs,
                             const std::string& opaque_xattr);

// The skeleton directory holding `entries` under `cache_dir`, created if missing. Empty when
// `entries` is 0.
absl::StatusOr<std::string> EnsureMountPointSkeleton(const std::string& cache_dir, unsigned entries);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_ROOTFS_MOUNT_SKELETON_H_
