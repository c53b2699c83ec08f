// `slipway catalog REGISTRY`: lists the repositories of a registry (GET /v2/_catalog).
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway catalog [OPTIONS] REGISTRY

Prints the repositories REGISTRY (`host:port`) lists in its catalog, one a line.

Options:
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

absl::Status Catalog(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 1, 1, "want exactly one REGISTRY"));
  absl::string_view host = pos[0];
  absl::ConsumePrefix(&host, "https://");
  absl::ConsumePrefix(&host, "http://");
  host = absl::StripSuffix(host, "/");
  if (host.empty() || absl::StrContains(host, "/")) {
    return UsageError("REGISTRY is a host[:port], not a repository");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(nullptr));
  ASSIGN_OR_RETURN(std::vector<std::string> repos, session->ForHost(std::string(host))->Catalog());
  for (const std::string& r : repos) std::cout << r << "\n";
  return absl::OkStatus();
}

int RunCatalog(const std::vector<std::string>& args) {
  return ReportError("catalog", Catalog(args));
}

}  // namespace

SLIPWAY_COMMAND(catalog, "List a registry's repositories", kUsage, RunCatalog);

}  // namespace cli
