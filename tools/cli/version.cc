// `slipway version`: prints the version.
#include <iostream>

#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kVersion[] = "0.1.0";

constexpr char kUsage[] = R"(Usage: slipway version

Prints slipway's version.
)";

int RunVersion(const std::vector<std::string>& args) {
  FlagSet flags;
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("version", positional.status());
  if (!positional->empty()) return ReportError("version", UsageError("takes no arguments"));
  std::cout << "slipway " << kVersion << "\n";
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(version, "Print slipway's version", kUsage, RunVersion);

}  // namespace cli
