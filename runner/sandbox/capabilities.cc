#include "runner/sandbox/capabilities.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace runner {

const std::vector<int>& DefaultCapabilities() {
  static const std::vector<int>* caps = new std::vector<int>{
      CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,     CAP_MKNOD,
      CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,           CAP_SETFCAP,    CAP_SETPCAP,
      CAP_NET_BIND_SERVICE,         CAP_SYS_CHROOT,       CAP_KILL,       CAP_AUDIT_WRITE};
  return *caps;
}

absl::Status DropBoundingCapabilities(const std::vector<int>& keep) {
  int last = CAP_LAST_CAP;
  // The running kernel may know more capabilities than our headers.
  while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  for (int cap = 0; cap <= last; ++cap) {
    if (std::find(keep.begin(), keep.end(), cap) != keep.end()) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return base::ErrnoError(errno, absl::StrCat("dropping capability ", cap,
                                                  " from the bounding set"));
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return base::ErrnoError(errno, "clearing the ambient capabilities");
  return absl::OkStatus();
}

absl::Status ApplyCapabilities(const std::vector<int>& keep, bool root_user) {
  cap_t caps = cap_init();  // all clear
  if (caps == nullptr) return base::ErrnoError(errno, "cap_init");
  if (root_user && !keep.empty()) {
    std::vector<cap_value_t> values(keep.begin(), keep.end());
    cap_set_flag(caps, CAP_EFFECTIVE, static_cast<int>(values.size()), values.data(), CAP_SET);
    cap_set_flag(caps, CAP_PERMITTED, static_cast<int>(values.size()), values.data(), CAP_SET);
  }
  int rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  if (rc < 0) return base::ErrnoError(saved, "setting the process capabilities (capset)");
  return absl::OkStatus();
}

}  // namespace runner
