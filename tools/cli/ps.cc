// `slipway ps`: lists containers (running and exited but not removed).
#include <cstdio>
#include <iostream>

#include "absl/strings/str_join.h"
#include "runner/container/container.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway ps [-q] [--json]

Lists containers: ID, IMAGE, COMMAND, CREATED, STATUS, NAME.

Options:
  -q, --quiet   print only the ids
  --json        print a JSON array of {id, name, image, command, created, status, exit_code,
                oom_killed}
)";

int RunPs(const std::vector<std::string>& args) {
  FlagSet flags;
  bool quiet = false;
  flags.Bool("quiet", 'q', &quiet);
  bool json = false;
  flags.Bool("json", 0, &json);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("ps", positional.status());
  if (!positional->empty()) return ReportError("ps", UsageError("takes no arguments"));
  absl::StatusOr<std::vector<runner::ContainerInfo>> all =
      runner::ListContainers(runner::DefaultStateRoot());
  if (!all.ok()) return ReportError("ps", all.status());
  if (json) {
    std::cout << runner::ContainerListJson(*all) << std::endl;
    return kExitOk;
  }
  if (!quiet) std::printf("%-12s  %-24s  %-24s  %-20s  %-12s  %s\n", "ID", "IMAGE", "COMMAND",
                          "CREATED", "STATUS", "NAME");
  for (const runner::ContainerInfo& c : *all) {
    if (quiet) {
      std::printf("%s\n", c.id.substr(0, 12).c_str());
      continue;
    }
    std::string status = c.status == "exited" ? "exited (" + std::to_string(c.exit_code) + ")"
                                              : c.status;
    std::string cmd = absl::StrJoin(c.command, " ");
    if (cmd.size() > 24) cmd = cmd.substr(0, 21) + "...";
    std::string image = c.image.size() > 24 ? "..." + c.image.substr(c.image.size() - 21) : c.image;
    std::printf("%-12s  %-24s  %-24s  %-20s  %-12s  %s\n", c.id.substr(0, 12).c_str(),
                image.c_str(), cmd.c_str(), c.created.c_str(), status.c_str(), c.name.c_str());
  }
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(ps, "List containers", kUsage, RunPs);

}  // namespace cli
