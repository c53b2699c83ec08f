#include "runner/sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"

namespace runner {
namespace {

std::vector<int> Sorted(std::vector<int> caps) {
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  return caps;
}

const std::vector<int>& PrebuiltCapabilities() {
  static const auto* caps = new std::vector<int>(
      kPrebuiltSeccompCapabilities, kPrebuiltSeccompCapabilities + kPrebuiltSeccompCapabilityCount);
  return *caps;
}

}  // namespace

bool SeccompFilterIsPrebuilt(const std::vector<int>& capabilities) {
  return Sorted(capabilities) == PrebuiltCapabilities();
}

absl::StatusOr<std::shared_ptr<const SeccompProgram>> SeccompFilterFor(
    const std::vector<int>& capabilities) {
  std::vector<int> key = Sorted(capabilities);
  if (key == PrebuiltCapabilities()) {
    static const auto* prebuilt = new std::shared_ptr<const SeccompProgram>(
        std::make_shared<const SeccompProgram>(SeccompProgram{std::vector<sock_filter>(
            kPrebuiltSeccompProgram, kPrebuiltSeccompProgram + kPrebuiltSeccompProgramSize)}));
    return *prebuilt;
  }
  static absl::Mutex mu(absl::kConstInit);
  static auto* cache = new std::map<std::vector<int>, std::shared_ptr<const SeccompProgram>>();
  absl::MutexLock lock(&mu);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  ASSIGN_OR_RETURN(SeccompProgram program, CompileSeccompFilter(key));
  auto shared = std::make_shared<const SeccompProgram>(std::move(program));
  cache->emplace(std::move(key), shared);
  return shared;
}

absl::Status InstallSeccompFilter(const SeccompProgram& program) {
  sock_fprog fprog = {static_cast<unsigned short>(program.instructions.size()),
                      const_cast<sock_filter*>(program.instructions.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
    return base::ErrnoError(errno, "loading the seccomp filter");
  return absl::OkStatus();
}

}  // namespace runner
