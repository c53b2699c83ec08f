// `slipway logout SERVER`: removes stored credentials for a registry.
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "pusher/auth/credentials.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway logout [SERVER]

Removes the credentials for SERVER (default docker.io) from $DOCKER_CONFIG/config.json or the
configured credential helper. Other entries and keys are kept.
)";

int RunLogout(const std::vector<std::string>& args) {
  FlagSet flags;
  absl::StatusOr<std::vector<std::string>> pos =
      flags.ParsePositional(args, 0, 1, "want at most one SERVER");
  if (!pos.ok()) return ReportError("logout", pos.status());
  std::string server = pos->empty() ? "docker.io" : (*pos)[0];
  absl::StatusOr<pusher::CredentialStore> store = pusher::CredentialStore::Load();
  if (!store.ok()) return ReportError("logout", store.status());
  absl::Status s = store->Erase(server);
  if (!s.ok()) return ReportError("logout", s);
  std::cout << "Removed login credentials for " << server << std::endl;
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(logout, "Log out of a registry", kUsage, RunLogout);

}  // namespace cli
