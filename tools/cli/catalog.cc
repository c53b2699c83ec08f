// `slipway catalog REGISTRY`: lists the repositories of a registry (GET /v2/_catalog).
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "pusher/cli_support.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway catalog [OPTIONS] REGISTRY

Prints the repositories REGISTRY (`host:port`) lists in its catalog, one a line.

Options:
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

int RunCatalog(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("catalog", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->size() != 1) return ReportError("catalog", UsageError("want exactly one REGISTRY"));
  absl::string_view host = (*pos)[0];
  absl::ConsumePrefix(&host, "https://");
  absl::ConsumePrefix(&host, "http://");
  host = absl::StripSuffix(host, "/");
  if (host.empty() || absl::StrContains(host, "/")) {
    return ReportError("catalog", UsageError("REGISTRY is a host[:port], not a repository"));
  }
  absl::StatusOr<std::unique_ptr<pusher::Session>> session = pusher::OpenSession(sf, nullptr);
  if (!session.ok()) return ReportError("catalog", session.status());
  absl::StatusOr<std::vector<std::string>> repos =
      (*session)->ForHost(std::string(host))->Catalog();
  if (!repos.ok()) return ReportError("catalog", repos.status());
  for (const std::string& r : *repos) std::cout << r << "\n";
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(catalog, "List a registry's repositories", kUsage, RunCatalog);

}  // namespace cli
