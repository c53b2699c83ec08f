// `slipway tags REPO`: lists a repository's tags, one a line (following Link pagination).
#include <iostream>

#include "nlohmann/json.hpp"
#include "pusher/cli_support.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway tags [OPTIONS] REPO

Prints the tags of REPO (`host:port/name`), one a line, in the registry's order.

Options:
  --json                    print {"repository": "host:port/name", "tags": [...]} instead
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

int RunTags(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  bool json = false;
  flags.Bool("json", 0, &json);
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("tags", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->size() != 1) return ReportError("tags", UsageError("want exactly one REPO"));
  absl::StatusOr<oci::Reference> ref = pusher::ParseRegistryReference((*pos)[0]);
  if (!ref.ok()) return ReportError("tags", ref.status());
  absl::StatusOr<std::unique_ptr<pusher::Session>> session = pusher::OpenSession(sf, nullptr);
  if (!session.ok()) return ReportError("tags", session.status());
  absl::StatusOr<std::vector<std::string>> tags =
      (*session)->ForHost(ref->registry)->ListTags(ref->repository);
  if (!tags.ok()) return ReportError("tags", tags.status());
  if (json) {
    nlohmann::json j;
    j["repository"] = ref->Name();
    j["tags"] = *tags;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  for (const std::string& t : *tags) std::cout << t << "\n";
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(tags, "List a repository's tags", kUsage, RunTags);

}  // namespace cli
