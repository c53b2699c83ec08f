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
#include "pusher/cli_support.h"
#include "pusher/transfer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

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
)";

using Json = nlohmann::ordered_json;

absl::StatusOr<Json> ParseDocument(const std::string& bytes, absl::string_view what) {
  Json doc = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::DataLossError(absl::StrCat(what, " is not valid JSON"));
  }
  return doc;
}

// The registry branch: manifest (through an index when needed) and config, read over the wire.
struct RemoteImage {
  std::string digest;
  std::string manifest_bytes;
  std::string config_bytes;
  oci::Manifest manifest;
};

absl::StatusOr<RemoteImage> ReadRemote(const oci::Reference& ref,
                                       const std::vector<std::string>& insecure,
                                       const std::optional<oci::Platform>& platform) {
  pusher::SessionFlags sf;
  sf.insecure_registries = insecure;
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, pusher::OpenSession(sf, nullptr));
  pusher::Registry* reg = session->ForHost(ref.registry);
  ASSIGN_OR_RETURN(pusher::ManifestBlob m,
                   reg->GetManifest(ref.repository, ref.digest.empty() ? ref.tag : ref.digest.str()));
  if (oci::IsIndex(m.media_type)) {
    ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(m.bytes));
    ASSIGN_OR_RETURN(oci::Descriptor child,
                     pusher::PickPlatform(index, platform ? *platform : oci::Platform::Host()));
    ASSIGN_OR_RETURN(m, reg->GetManifest(ref.repository, child.digest.str()));
  }
  RemoteImage out;
  out.digest = m.digest.str();
  out.manifest_bytes = m.bytes;
  ASSIGN_OR_RETURN(out.manifest, oci::Manifest::Parse(m.bytes));
  RETURN_IF_ERROR(reg->FetchBlob(ref.repository, out.manifest.config.digest,
                                 out.manifest.config.size, [&out](absl::string_view d) {
                                   out.config_bytes.append(d.data(), d.size());
                                   return absl::OkStatus();
                                 }));
  return out;
}

absl::Status Inspect(const std::vector<std::string>& args) {
  FlagSet flags;
  bool json = false;
  std::string platform_text;
  flags.Bool("json", 0, &json);
  flags.String("platform", 0, &platform_text);
  std::vector<std::string> insecure;
  flags.Repeated("insecure-registry", 0, &insecure);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (positional.size() != 1) return UsageError("expects exactly one image reference");
  std::optional<oci::Platform> platform;
  if (!platform_text.empty()) {
    absl::StatusOr<oci::Platform> p = oci::Platform::Parse(platform_text);
    if (!p.ok()) return UsageError(p.status().message());
    platform = *p;
  }
  ASSIGN_OR_RETURN(oci::ImageLocation location, oci::ImageLocation::Parse(positional[0]));
  absl::StatusOr<oci::OpenedImage> local = oci::OpenImageForRead(location);
  if (!local.ok() && location.kind == oci::ImageLocation::Kind::kRegistry &&
      local.status().code() == absl::StatusCode::kUnimplemented) {
    ASSIGN_OR_RETURN(RemoteImage remote, ReadRemote(location.registry_ref, insecure, platform));
    ASSIGN_OR_RETURN(Json manifest, ParseDocument(remote.manifest_bytes,
                                                  absl::StrCat("manifest ", remote.digest)));
    ASSIGN_OR_RETURN(Json config, ParseDocument(remote.config_bytes, "config"));
    if (json) {
      Json out = Json::object();
      out["digest"] = remote.digest;
      out["manifest"] = manifest;
      out["config"] = config;
      std::cout << out.dump(2) << "\n";
      return absl::OkStatus();
    }
    std::cout << "Image:    " << location.ToString() << "\n"
              << "Digest:   " << remote.digest << "\n"
              << "Platform: " << config.value("os", "") << "/" << config.value("architecture", "")
              << "\n"
              << "Layers:   " << remote.manifest.layers.size() << "\n"
              << "\nManifest:\n"
              << manifest.dump(2) << "\n"
              << "\nConfig:\n"
              << config.dump(2) << "\n";
    return absl::OkStatus();
  }
  if (!local.ok()) return local.status();
  oci::OpenedImage opened = *std::move(local);
  ASSIGN_OR_RETURN(oci::ImageRef image,
                   oci::ReadImage(*opened.layout, opened.tag_or_digest,
                                  platform ? &*platform : nullptr));
  // Print the documents as stored (member order kept), not a re-encoding.
  const oci::Digest& digest = image.manifest_descriptor.digest;
  ASSIGN_OR_RETURN(std::string manifest_bytes, opened.layout->ReadBlob(digest));
  ASSIGN_OR_RETURN(std::string config_bytes, opened.layout->ReadBlob(image.manifest.config.digest));
  ASSIGN_OR_RETURN(Json manifest, ParseDocument(manifest_bytes, absl::StrCat("manifest ", digest.str())));
  ASSIGN_OR_RETURN(Json config, ParseDocument(config_bytes, absl::StrCat("config ",
                                                                        image.manifest.config.digest.str())));
  if (json) {
    Json out = Json::object();
    out["digest"] = digest.str();
    out["manifest"] = manifest;
    out["config"] = config;
    std::cout << out.dump(2) << "\n";
    return absl::OkStatus();
  }
  std::cout << "Image:    " << location.ToString() << "\n"
            << "Digest:   " << digest.str() << "\n"
            << "Platform: " << image.config.os << "/" << image.config.architecture
            << (image.config.variant.empty() ? "" : "/" + image.config.variant) << "\n"
            << "Layers:   " << image.manifest.layers.size() << "\n"
            << "\nManifest:\n"
            << manifest.dump(2) << "\n"
            << "\nConfig:\n"
            << config.dump(2) << "\n";
  return absl::OkStatus();
}

int RunInspect(const std::vector<std::string>& args) {
  return ReportError("inspect", Inspect(args));
}

}  // namespace

SLIPWAY_COMMAND(inspect, "Show an image's manifest and config", kUsage, RunInspect);

}  // namespace cli
