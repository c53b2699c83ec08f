// `slipway digest REF`: prints the manifest (or index) digest REF names, without downloading blobs.
#include <iostream>

#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "oci/layout/layout.h"
#include "pusher/cli_support.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway digest [OPTIONS] REF

Prints the digest of the manifest or index REF names: a registry reference (asked with HEAD),
`oci:DIR[:TAG]` or `local:NAME[:TAG]`.

Options:
  --json                    print {"reference", "digest", "mediaType", "size"} instead
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

// Prints `d` as the digest alone, or with --json as one object.
void PrintDigest(const std::string& ref, const oci::Descriptor& d, bool json) {
  if (!json) {
    std::cout << d.digest.str() << std::endl;
    return;
  }
  nlohmann::json j;
  j["reference"] = ref;
  j["digest"] = d.digest.str();
  j["mediaType"] = d.media_type;
  j["size"] = d.size;
  std::cout << j.dump(2) << std::endl;
}

absl::Status Digest(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  bool json = false;
  flags.Bool("json", 0, &json);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 1, 1, "want exactly one REF"));
  ASSIGN_OR_RETURN(oci::ImageLocation loc, pusher::ParseReadLocation(pos[0]));
  if (loc.kind == oci::ImageLocation::Kind::kRegistry) {
    ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(nullptr));
    const oci::Reference& ref = loc.registry_ref;
    ASSIGN_OR_RETURN(oci::Descriptor d,
                     session->ForHost(ref.registry)->HeadManifest(
                         ref.repository, ref.digest.empty() ? ref.tag : ref.digest.str()));
    PrintDigest(pos[0], d, json);
    return absl::OkStatus();
  }
  if (loc.kind == oci::ImageLocation::Kind::kDockerArchive) {
    return UsageError("docker-archive: has no manifest digest");
  }
  oci::LayoutOptions lo;
  lo.create = false;
  const bool local = loc.kind == oci::ImageLocation::Kind::kLocalStore;
  ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> layout,
                   oci::Layout::Open(local ? oci::LocalStoreDir() : loc.path, lo));
  std::string tag = local ? oci::LocalStoreTag(loc.name, loc.tag)
                          : (loc.tag.empty() ? "latest" : loc.tag);
  ASSIGN_OR_RETURN(oci::Descriptor d, layout->Resolve(tag));
  PrintDigest(pos[0], d, json);
  return absl::OkStatus();
}

int RunDigest(const std::vector<std::string>& args) { return ReportError("digest", Digest(args)); }

}  // namespace

SLIPWAY_COMMAND(digest, "Print the digest of an image's manifest", kUsage, RunDigest);

}  // namespace cli
