#include "runner/sandbox/capabilities.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace runner {
namespace {

// Indexed by capability number (linux/capability.h), without the CAP_ prefix.
constexpr const char* kCapabilityNames[kLastKnownCapability + 1] = {
    "CHOWN",           "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",        "FSETID",
    "KILL",            "SETGID",         "SETUID",          "SETPCAP",       "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",       "NET_RAW",       "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",    "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",        "SYS_NICE",      "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",           "LEASE",         "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",        "MAC_OVERRIDE",    "MAC_ADMIN",     "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",       "BPF",
    "CHECKPOINT_RESTORE"};

// Docker's normalisation: trimmed, upper case, `CAP_` prepended unless present (or `ALL`).
std::string Normalize(absl::string_view name) {
  std::string n = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(name));
  if (n != "ALL" && !absl::StartsWith(n, "CAP_")) n = absl::StrCat("CAP_", n);
  return n;
}

}  // namespace

const std::vector<int>& DefaultCapabilities() {
  static const std::vector<int>* caps = new std::vector<int>{
      CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,     CAP_MKNOD,
      CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,           CAP_SETFCAP,    CAP_SETPCAP,
      CAP_NET_BIND_SERVICE,         CAP_SYS_CHROOT,       CAP_KILL,       CAP_AUDIT_WRITE};
  return *caps;
}

int KernelLastCapability() {
  int last = -1;
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[16] = {};
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n > 0) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(buf), &last);
  }
  if (last < 0) {  // no /proc: probe the bounding set
    last = 0;
    while (last < kLastKnownCapability && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  }
  return std::min(last, kLastKnownCapability);
}

std::string CapabilityName(int cap) {
  if (cap >= 0 && cap <= kLastKnownCapability) return absl::StrCat("CAP_", kCapabilityNames[cap]);
  return absl::StrCat("CAP_", cap);
}

absl::StatusOr<int> ParseCapability(absl::string_view name, int last_cap) {
  std::string n = Normalize(name);
  if (absl::StartsWith(n, "CAP_")) {
    absl::string_view bare = absl::string_view(n).substr(4);
    for (int cap = 0; cap <= std::min(last_cap, kLastKnownCapability); ++cap)
      if (bare == kCapabilityNames[cap]) return cap;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown capability `", n,
                   "` (capabilities(7) lists the names: NET_ADMIN, CAP_SYS_PTRACE, ...)"));
}

std::vector<int> AvailableCapabilities() {
  std::vector<int> out;
  int last = KernelLastCapability();
  for (int cap = 0; cap <= last; ++cap)
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) out.push_back(cap);
  return out;
}

absl::StatusOr<std::vector<int>> ResolveCapabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop,
                                                     int last_cap,
                                                     const std::vector<int>& available) {
  std::set<int> adds, drops;
  bool add_all = false, drop_all = false;
  auto collect = [last_cap](const std::vector<std::string>& names, const char* flag,
                            std::set<int>* out, bool* all) -> absl::Status {
    for (const std::string& name : names) {
      if (Normalize(name) == "ALL") {
        *all = true;
        continue;
      }
      absl::StatusOr<int> cap = ParseCapability(name, last_cap);
      if (!cap.ok()) return base::Annotate(cap.status(), flag);
      out->insert(*cap);
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(collect(add, "--cap-add", &adds, &add_all));
  RETURN_IF_ERROR(collect(drop, "--cap-drop", &drops, &drop_all));
  for (int cap : adds) {
    if (std::find(available.begin(), available.end(), cap) == available.end())
      return absl::FailedPreconditionError(absl::StrCat(
          "--cap-add: ", CapabilityName(cap),
          " is not in slipway's own bounding set, so no container it starts can have it"));
  }
  std::set<int> keep;
  if (add_all) {
    // Adding takes precedence over dropping: ALL means every capability there is to give.
    keep.insert(available.begin(), available.end());
  } else {
    if (!drop_all) {
      for (int cap : DefaultCapabilities())
        if (drops.count(cap) == 0) keep.insert(cap);
    }
    keep.insert(adds.begin(), adds.end());
  }
  return std::vector<int>(keep.begin(), keep.end());
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
