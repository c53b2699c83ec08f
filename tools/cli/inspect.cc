// `slipway inspect REF`: prints an image's manifest digest, manifest and config.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/descriptor.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "pusher/transfer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway inspect [--json] [--platform os/arch[/variant]] REF

Prints the manifest digest, the manifest and the config of an image, as indented JSON.

REF is one of:
  oci:DIR[:TAG]          an OCI image layout folder (TAG may be omitted if it holds one image)
  local:NAME[:TAG]       the local store ($XDG_DATA_HOME/slipway)
  docker-archive:FILE    a `docker save` archive
  NAME[:TAG]             a name the local store holds, else a registry reference
                         (`host:port/repo:tag`, `repo@sha256:…`), read from the registry

Flags:
  --json                 print one JSON object {"digest", "manifest", "config"}
  --platform P           the platform to pick from a multi-platform index (default: this host)
  --insecure-registry H  allow plain HTTP / unverified TLS for registry H (repeatable)
  --config FILE          slipway config (default ~/.config/slipway/config.json)
)";

using Json = nlohmann::ordered_json;

absl::StatusOr<Json> ParseDocument(const std::string& bytes, absl::string_view what) {
  Json doc = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::DataLossError(absl::StrCat(what, " is not valid JSON"));
  }
  return doc;
}

// What inspect shows, read from a registry or a layout: the documents as stored (member order
// kept), not a re-encoding.
struct InspectedImage {
  std::string digest;  // of the manifest
  std::string manifest_bytes;
  oci::Digest config_digest;
  std::string config_bytes;
  size_t layers = 0;
};

// The registry branch: manifest (through an index when needed) and config, read over the wire.
absl::StatusOr<InspectedImage> ReadRemote(const oci::Reference& ref, const RegistryFlags& registry,
                                          const std::optional<oci::Platform>& platform) {
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(nullptr));
  pusher::Registry* reg = session->ForHost(ref.registry);
  ASSIGN_OR_RETURN(pusher::ManifestBlob m,
                   reg->GetManifest(ref.repository, ref.digest.empty() ? ref.tag : ref.digest.str()));
  if (oci::IsIndex(m.media_type)) {
    ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(m.bytes));
    ASSIGN_OR_RETURN(oci::Descriptor child,
                     pusher::PickPlatform(index, platform ? *platform : oci::Platform::Host()));
    ASSIGN_OR_RETURN(m, reg->GetManifest(ref.repository, child.digest.str()));
  }
  InspectedImage out;
  out.digest = m.digest.str();
  out.manifest_bytes = m.bytes;
  ASSIGN_OR_RETURN(oci::Manifest manifest, oci::Manifest::Parse(m.bytes));
  out.config_digest = manifest.config.digest;
  out.layers = manifest.layers.size();
  RETURN_IF_ERROR(reg->FetchBlob(ref.repository, manifest.config.digest, manifest.config.size,
                                 [&out](absl::string_view d) {
                                   out.config_bytes.append(d.data(), d.size());
                                   return absl::OkStatus();
                                 }));
  return out;
}

// The layout branch: `oci:`, `local:`, `docker-archive:` and names the local store holds.
absl::StatusOr<InspectedImage> ReadLocal(const oci::OpenedImage& opened,
                                         const std::optional<oci::Platform>& platform) {
  ASSIGN_OR_RETURN(oci::ImageRef image,
                   oci::ReadImage(*opened.layout, opened.tag_or_digest,
                                  platform ? &*platform : nullptr));
  InspectedImage out;
  out.digest = image.manifest_descriptor.digest.str();
  ASSIGN_OR_RETURN(out.manifest_bytes, opened.layout->ReadBlob(image.manifest_descriptor.digest));
  out.config_digest = image.manifest.config.digest;
  ASSIGN_OR_RETURN(out.config_bytes, opened.layout->ReadBlob(image.manifest.config.digest));
  out.layers = image.manifest.layers.size();
  return out;
}

absl::Status Print(const std::string& name, const InspectedImage& image, bool json) {
  ASSIGN_OR_RETURN(Json manifest,
                   ParseDocument(image.manifest_bytes, absl::StrCat("manifest ", image.digest)));
  ASSIGN_OR_RETURN(Json config, ParseDocument(image.config_bytes,
                                              absl::StrCat("config ", image.config_digest.str())));
  if (json) {
    Json out = Json::object();
    out["digest"] = image.digest;
    out["manifest"] = manifest;
    out["config"] = config;
    std::cout << out.dump(2) << "\n";
    return absl::OkStatus();
  }
  const std::string variant = config.value("variant", "");
  std::cout << "Image:    " << name << "\n"
            << "Digest:   " << image.digest << "\n"
            << "Platform: " << config.value("os", "") << "/" << config.value("architecture", "")
            << (variant.empty() ? "" : "/" + variant) << "\n"
            << "Layers:   " << image.layers << "\n"
            << "\nManifest:\n"
            << manifest.dump(2) << "\n"
            << "\nConfig:\n"
            << config.dump(2) << "\n";
  return absl::OkStatus();
}

absl::Status Inspect(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  bool json = false;
  std::string platform_text;
  flags.Bool("json", 0, &json);
  flags.String("platform", 0, &platform_text);
  ASSIGN_OR_RETURN(std::vector<std::string> positional,
                   flags.ParsePositional(args, 1, 1, "expects exactly one image reference"));
  ASSIGN_OR_RETURN(std::optional<oci::Platform> platform, ParsePlatformFlag(platform_text));
  ASSIGN_OR_RETURN(oci::ImageLocation location, oci::ImageLocation::Parse(positional[0]));
  absl::StatusOr<oci::OpenedImage> local = oci::OpenImageForRead(location);
  if (!local.ok() && location.kind == oci::ImageLocation::Kind::kRegistry &&
      local.status().code() == absl::StatusCode::kUnimplemented) {
    ASSIGN_OR_RETURN(InspectedImage remote, ReadRemote(location.registry_ref, registry, platform));
    return Print(location.ToString(), remote, json);
  }
  if (!local.ok()) return local.status();
  ASSIGN_OR_RETURN(InspectedImage image, ReadLocal(*local, platform));
  return Print(location.ToString(), image, json);
}

int RunInspect(const std::vector<std::string>& args) {
  return ReportError("inspect", Inspect(args));
}

}  // namespace

SLIPWAY_COMMAND(inspect, "Show an image's manifest and config", kUsage, RunInspect);

}  // namespace cli
