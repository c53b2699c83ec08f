// `slipway stop`: stops running containers (STOPSIGNAL, then SIGKILL after a grace period).
#include <iostream>

#include "runner/container/container.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway stop [-t SECONDS] ID...

Sends the image's STOPSIGNAL (default SIGTERM) to each container, then SIGKILL if it is still
running after -t seconds (default 10). Prints each id stopped.
)";

int RunStop(const std::vector<std::string>& args) {
  FlagSet flags;
  int64_t grace = 10;
  flags.Int("time", 't', &grace);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("stop", positional.status());
  if (positional->empty()) return ReportError("stop", UsageError("expected a container ID"));
  if (grace < 0) return ReportError("stop", UsageError("-t must not be negative"));
  int rc = kExitOk;
  for (const std::string& id : *positional) {
    absl::Status s = runner::StopContainer(runner::DefaultStateRoot(), id, static_cast<int>(grace));
    if (!s.ok()) {
      rc = ReportError("stop", s);
      continue;
    }
    std::cout << id << "\n";
  }
  return rc;
}

}  // namespace

SLIPWAY_COMMAND(stop, "Stop running containers", kUsage, RunStop);

}  // namespace cli
