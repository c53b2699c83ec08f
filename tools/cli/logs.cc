// `slipway logs ID`: prints the output of a detached container.
#include <iostream>

#include "base/env.h"
#include "runner/container/container.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway logs ID

Prints what a detached container (run -d) wrote to stdout and stderr. ID may be a unique prefix of
the id, or the container's name.
)";

int RunLogs(const std::vector<std::string>& args) {
  FlagSet flags;
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("logs", positional.status());
  if (positional->size() != 1) return ReportError("logs", UsageError("expected one container ID"));
  absl::StatusOr<std::string> path = runner::LogPath(runner::DefaultStateRoot(), (*positional)[0]);
  if (!path.ok()) return ReportError("logs", path.status());
  base::Env* env = base::Env::Default();
  if (!env->Exists(*path)) return kExitOk;  // a foreground container: its output went to the terminal
  absl::StatusOr<std::string> text = env->ReadFile(*path);
  if (!text.ok()) return ReportError("logs", text.status());
  std::cout << *text;
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(logs, "Print a container's output", kUsage, RunLogs);

}  // namespace cli
