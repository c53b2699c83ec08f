// `slipway digest REF`: prints the manifest (or index) digest REF names, without downloading blobs.
#include <iostream>

#include "nlohmann/json.hpp"
#include "oci/layout/layout.h"
#include "pusher/cli_support.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

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

int RunDigest(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  bool json = false;
  flags.Bool("json", 0, &json);
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("digest", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->size() != 1) return ReportError("digest", UsageError("want exactly one REF"));
  absl::StatusOr<oci::ImageLocation> loc = pusher::ParseReadLocation((*pos)[0]);
  if (!loc.ok()) return ReportError("digest", loc.status());
  if (loc->kind == oci::ImageLocation::Kind::kRegistry) {
    absl::StatusOr<std::unique_ptr<pusher::Session>> session = pusher::OpenSession(sf, nullptr);
    if (!session.ok()) return ReportError("digest", session.status());
    const oci::Reference& ref = loc->registry_ref;
    absl::StatusOr<oci::Descriptor> d = (*session)->ForHost(ref.registry)->HeadManifest(
        ref.repository, ref.digest.empty() ? ref.tag : ref.digest.str());
    if (!d.ok()) return ReportError("digest", d.status());
    PrintDigest((*pos)[0], *d, json);
    return kExitOk;
  }
  if (loc->kind == oci::ImageLocation::Kind::kDockerArchive) {
    return ReportError("digest", UsageError("docker-archive: has no manifest digest"));
  }
  oci::LayoutOptions lo;
  lo.create = false;
  const bool local = loc->kind == oci::ImageLocation::Kind::kLocalStore;
  absl::StatusOr<std::unique_ptr<oci::Layout>> layout =
      oci::Layout::Open(local ? oci::LocalStoreDir() : loc->path, lo);
  if (!layout.ok()) return ReportError("digest", layout.status());
  std::string tag = local ? oci::LocalStoreTag(loc->name, loc->tag)
                          : (loc->tag.empty() ? "latest" : loc->tag);
  absl::StatusOr<oci::Descriptor> d = (*layout)->Resolve(tag);
  if (!d.ok()) return ReportError("digest", d.status());
  PrintDigest((*pos)[0], *d, json);
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(digest, "Print the digest of an image's manifest", kUsage, RunDigest);

}  // namespace cli
