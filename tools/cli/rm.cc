// `slipway rm`: removes containers and everything they left (cgroup, state, logs, upper dir).
#include <iostream>

#include "runner/container/container.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway rm [-f] ID...

Removes stopped containers. -f kills running ones first.
)";

int RunRm(const std::vector<std::string>& args) {
  FlagSet flags;
  bool force = false;
  flags.Bool("force", 'f', &force);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("rm", positional.status());
  if (positional->empty()) return ReportError("rm", UsageError("expected a container ID"));
  int rc = kExitOk;
  for (const std::string& id : *positional) {
    absl::Status s = runner::RemoveContainer(runner::DefaultStateRoot(), id, force);
    if (!s.ok()) {
      rc = ReportError("rm", s);
      continue;
    }
    std::cout << id << "\n";
  }
  return rc;
}

}  // namespace

SLIPWAY_COMMAND(rm, "Remove containers", kUsage, RunRm);

}  // namespace cli
