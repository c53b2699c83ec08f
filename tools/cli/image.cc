// `slipway image`: assembles an image from folders and layer tars on top of an optional base, with
// no Dockerfile. This is also the backend of the Bazel rule `oci_image`. Reproducible: the same
// inputs (and SOURCE_DATE_EPOCH) give the same digest on any machine, path, umask or mtime.
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "oci/descriptor.h"
#include "oci/image_config.h"
#include "oci/layout/docker_archive.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "oci/tar/layer_writer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway image [flags] -t DEST

Assembles an image without a Dockerfile: a base (or nothing), then one layer per --layer-dir or
--layer-tar in the order given, then the config changes. Prints the manifest digest as the last
line of standard output. Timestamps come from SOURCE_DATE_EPOCH (default 0).

DEST is local:NAME[:TAG] (the local store) or oci:DIR[:TAG] (TAG defaults to latest).

Flags:
  --base REF               start from this image (oci:DIR[:TAG], local:NAME[:TAG], docker-archive:FILE,
                           or a name the local store holds)
  --layer-dir DIR[:DEST]   add a layer with the contents of DIR, placed under DEST (default /)
  --layer-tar FILE         add a layer file as it is (tar, tar.gz or tar.zst)
  --entrypoint ARG         entrypoint argument (repeat for more; a single "" clears it)
  --cmd ARG                command argument (repeat for more; a single "" clears it)
  --env K=V                set an environment variable (repeatable)
  --label K=V              set a label (repeatable)
  --workdir DIR            working directory
  --user USER              user[:group] to run as
  --expose PORT[/PROTO]    expose a port (repeatable; tcp by default)
  --platform OS/ARCH       the image's platform (default: the base's, else this host's)
  --compression C          gzip (default) or zstd, for --layer-dir layers
  -t, --tag DEST           where to write the image (required)
)";

struct LayerSpec {
  bool is_dir = false;
  std::string source;
  std::string dest;  // in-image folder for directories ("" = root)
};

std::string Rfc3339(int64_t epoch) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(epoch), absl::UTCTimeZone());
}

absl::StatusOr<std::pair<std::string, std::string>> SplitKeyValue(absl::string_view flag,
                                                                  const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    return UsageError(absl::StrCat("--", flag, " `", kv, "`: expected KEY=VALUE"));
  }
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

absl::StatusOr<std::string> NormalisePort(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  int port = 0;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &port) || port < 1 || port > 65535) {
    return UsageError(absl::StrCat("--expose `", text, "`: expected PORT[/tcp|udp|sctp]"));
  }
  std::string proto = parts.size() == 2 ? absl::AsciiStrToLower(parts[1]) : "tcp";
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return UsageError(absl::StrCat("--expose `", text, "`: unknown protocol `", proto, "`"));
  }
  return absl::StrCat(port, "/", proto);
}

// An argument list from repeated flags; a single "" means "set to empty".
std::vector<std::string> ArgList(const std::vector<std::string>& values) {
  if (values.size() == 1 && values[0].empty()) return {};
  return values;
}

// Adds directory entries for every folder of `prefix` ("a/b" -> "a", "a/b") that `entries` lacks,
// so the layer also carries the folders it places files under.
void AddPrefixDirs(const std::string& prefix, std::vector<oci::LayerEntry>& entries) {
  std::set<std::string> present;
  for (const oci::LayerEntry& e : entries) present.insert(e.path);
  std::string path;
  for (absl::string_view part : absl::StrSplit(prefix, '/', absl::SkipEmpty())) {
    path = path.empty() ? std::string(part) : absl::StrCat(path, "/", part);
    if (present.count(path) > 0) continue;
    oci::LayerEntry dir;
    dir.type = oci::LayerEntry::Type::kDirectory;
    dir.path = path;
    dir.mode = 0755;
    entries.push_back(std::move(dir));
  }
}

absl::Status Image(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string base_ref, workdir, user, platform_text, compression = "gzip", dest_text;
  std::vector<LayerSpec> layers;
  std::vector<std::string> entrypoint, cmd, env, labels, expose;
  bool entrypoint_set = false, cmd_set = false;
  flags.String("base", 0, &base_ref);
  flags.Custom("layer-dir", 0, [&](absl::string_view v) -> absl::Status {
    LayerSpec spec;
    spec.is_dir = true;
    std::string value(v);
    size_t colon = value.rfind(':');
    if (colon != std::string::npos && colon + 1 < value.size() && value[colon + 1] == '/') {
      spec.source = value.substr(0, colon);
      spec.dest = value.substr(colon + 1);
    } else {
      spec.source = value;
    }
    if (spec.source.empty()) return UsageError("--layer-dir needs a folder");
    layers.push_back(std::move(spec));
    return absl::OkStatus();
  });
  flags.Custom("layer-tar", 0, [&](absl::string_view v) -> absl::Status {
    if (v.empty()) return UsageError("--layer-tar needs a file");
    layers.push_back(LayerSpec{false, std::string(v), ""});
    return absl::OkStatus();
  });
  flags.Custom("entrypoint", 0, [&](absl::string_view v) {
    entrypoint.emplace_back(v);
    entrypoint_set = true;
    return absl::OkStatus();
  });
  flags.Custom("cmd", 0, [&](absl::string_view v) {
    cmd.emplace_back(v);
    cmd_set = true;
    return absl::OkStatus();
  });
  flags.Repeated("env", 0, &env);
  flags.Repeated("label", 0, &labels);
  flags.String("workdir", 0, &workdir);
  flags.String("user", 0, &user);
  flags.Repeated("expose", 0, &expose);
  flags.String("platform", 0, &platform_text);
  flags.String("compression", 0, &compression);
  flags.String("tag", 't', &dest_text);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (!positional.empty()) {
    return UsageError(absl::StrCat("unexpected argument `", positional[0], "`"));
  }
  if (dest_text.empty()) return UsageError("-t DEST is required (local:NAME[:TAG] or oci:DIR[:TAG])");

  oci::LayerWriterOptions layer_options;
  if (compression == "gzip") {
    layer_options.compression = oci::Compression::kGzip;
  } else if (compression == "zstd") {
    layer_options.compression = oci::Compression::kZstd;
  } else {
    return UsageError(absl::StrCat("--compression `", compression, "`: expected gzip or zstd"));
  }
  ASSIGN_OR_RETURN(layer_options.mtime, oci::SourceDateEpoch());
  const std::string created = Rfc3339(layer_options.mtime);

  std::optional<oci::Platform> platform;
  if (!platform_text.empty()) {
    absl::StatusOr<oci::Platform> p = oci::Platform::Parse(platform_text);
    if (!p.ok()) return UsageError(p.status().message());
    platform = *p;
  }
  absl::StatusOr<oci::ImageLocation> dest_location = oci::ImageLocation::Parse(dest_text);
  if (!dest_location.ok()) return UsageError(dest_location.status().message());
  absl::StatusOr<oci::ImageDestination> dest = oci::OpenImageForWrite(*dest_location);
  if (!dest.ok()) {
    if (absl::IsInvalidArgument(dest.status())) return UsageError(dest.status().message());
    return dest.status();
  }
  oci::Layout& layout = *dest->layout;

  // The starting point: the base's config and layers, or an empty image.
  oci::ImageConfig config;
  std::vector<oci::Descriptor> layer_descriptors;
  if (!base_ref.empty()) {
    ASSIGN_OR_RETURN(oci::ImageLocation base_location, oci::ImageLocation::Parse(base_ref));
    ASSIGN_OR_RETURN(oci::OpenedImage base, oci::OpenImageForRead(base_location));
    absl::StatusOr<oci::ImageRef> image = oci::ReadImage(*base.layout, base.tag_or_digest,
                                                         platform ? &*platform : nullptr);
    if (!image.ok()) return base::Annotate(image.status(), absl::StrCat("base `", base_ref, "`"));
    for (const oci::Descriptor& l : image->manifest.layers) {
      RETURN_IF_ERROR_CTX(oci::CopyBlob(*base.layout, layout, l.digest), "base `", base_ref, "`");
      oci::Descriptor copy = l;
      copy.urls.clear();
      layer_descriptors.push_back(std::move(copy));
    }
    config = image->config;
    if (platform && (platform->os != config.os || platform->architecture != config.architecture)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--platform ", platform->ToString(), " does not match base `", base_ref, "`, which is ",
          config.os, "/", config.architecture));
    }
  } else {
    oci::Platform p = platform ? *platform : oci::Platform::Host();
    config.os = p.os;
    config.architecture = p.architecture;
    config.variant = p.variant;
  }
  config.created = created;

  for (const LayerSpec& spec : layers) {
    oci::HistoryEntry history;
    history.created = created;
    history.comment = "slipway image";
    if (spec.is_dir) {
      ASSIGN_OR_RETURN(std::vector<oci::LayerEntry> entries,
                       oci::EntriesFromDirectory(spec.source, spec.dest));
      AddPrefixDirs(spec.dest, entries);
      absl::StatusOr<oci::LayerResult> result =
          oci::WriteLayerToLayout(std::move(entries), layer_options, layout);
      if (!result.ok()) {
        return base::Annotate(result.status(), absl::StrCat("layer from `", spec.source, "`"));
      }
      layer_descriptors.push_back(result->descriptor);
      config.diff_ids.push_back(result->diff_id);
      // The in-image destination only: the host path would make the digest depend on the checkout.
      history.created_by = absl::StrCat("slipway image --layer-dir DIR:",
                                        spec.dest.empty() ? "/" : spec.dest);
    } else {
      absl::StatusOr<oci::ImportedLayer> imported = oci::ImportLayerFile(spec.source, layout);
      if (!imported.ok()) return imported.status();
      layer_descriptors.push_back(imported->descriptor);
      config.diff_ids.push_back(imported->diff_id);
      history.created_by = absl::StrCat("slipway image --layer-tar ", imported->descriptor.digest.str());
    }
    config.history.push_back(std::move(history));
  }

  oci::ContainerConfig& c = config.config;
  if (entrypoint_set) {
    c.entrypoint = ArgList(entrypoint);
    // As Docker's ENTRYPOINT: a new entrypoint drops the base's CMD unless a CMD is given too.
    if (!cmd_set) c.cmd.reset();
  }
  if (cmd_set) c.cmd = ArgList(cmd);
  for (const std::string& kv : env) {
    ASSIGN_OR_RETURN(auto pair, SplitKeyValue("env", kv));
    std::string prefix = pair.first + "=";
    bool replaced = false;
    for (std::string& existing : c.env) {
      if (absl::StartsWith(existing, prefix)) {
        existing = kv;
        replaced = true;
      }
    }
    if (!replaced) c.env.push_back(kv);
  }
  for (const std::string& kv : labels) {
    ASSIGN_OR_RETURN(auto pair, SplitKeyValue("label", kv));
    c.labels[pair.first] = pair.second;
  }
  for (const std::string& port : expose) {
    ASSIGN_OR_RETURN(std::string normalised, NormalisePort(port));
    c.exposed_ports.insert(normalised);
  }
  if (!workdir.empty()) c.working_dir = workdir;
  if (!user.empty()) c.user = user;

  ASSIGN_OR_RETURN(oci::Descriptor manifest,
                   oci::WriteImage(layout, config, layer_descriptors, oci::kOciManifest));
  RETURN_IF_ERROR(layout.Tag(manifest, dest->tag));
  std::cerr << "slipway image: wrote " << dest_location->ToString() << " (" << layers.size()
            << " new layer" << (layers.size() == 1 ? "" : "s") << ", "
            << layer_descriptors.size() << " in all)\n";
  std::cout << manifest.digest.str() << std::endl;
  return absl::OkStatus();
}

int RunImage(const std::vector<std::string>& args) { return ReportError("image", Image(args)); }

}  // namespace

SLIPWAY_COMMAND(image, "Assemble an image from folders and layer tars (no Dockerfile)", kUsage,
                RunImage);

}  // namespace cli
