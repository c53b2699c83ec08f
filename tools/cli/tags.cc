// `slipway tags REPO`: lists a repository's tags, one a line (following Link pagination).
#include <iostream>

#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pusher/cli_support.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway tags [OPTIONS] REPO

Prints the tags of REPO (`host:port/name`), one a line, in the registry's order.

Options:
  --json                    print {"repository": "host:port/name", "tags": [...]} instead
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

absl::Status Tags(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  bool json = false;
  flags.Bool("json", 0, &json);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 1, 1, "want exactly one REPO"));
  ASSIGN_OR_RETURN(oci::Reference ref, pusher::ParseRegistryReference(pos[0]));
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(nullptr));
  ASSIGN_OR_RETURN(std::vector<std::string> tags,
                   session->ForHost(ref.registry)->ListTags(ref.repository));
  if (json) {
    nlohmann::json j;
    j["repository"] = ref.Name();
    j["tags"] = tags;
    std::cout << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  for (const std::string& t : tags) std::cout << t << "\n";
  return absl::OkStatus();
}

int RunTags(const std::vector<std::string>& args) { return ReportError("tags", Tags(args)); }

}  // namespace

SLIPWAY_COMMAND(tags, "List a repository's tags", kUsage, RunTags);

}  // namespace cli
