// Test helper: builds a small root filesystem from the static busybox (testdata/runner:busybox):
// /bin/busybox plus applet symlinks, /etc/passwd and /etc/group with root, nobody and an `app`
// user (uid 1000, gid 1000, also in group `extra` 2000), and empty /tmp, /proc, /dev, /sys.
#ifndef SLIPWAY_RUNNER_TESTING_BUSYBOX_ROOTFS_H_
#define SLIPWAY_RUNNER_TESTING_BUSYBOX_ROOTFS_H_

#include <string>

#include "absl/status/status.h"

namespace runner_testing {

// Path of the busybox binary in the test's runfiles.
std::string BusyboxPath();

// Fills the existing directory `root`.
absl::Status MakeBusyboxRootfs(const std::string& root);

}  // namespace runner_testing

#endif  // SLIPWAY_RUNNER_TESTING_BUSYBOX_ROOTFS_H_
