// `slipway index`: makes a multi-platform image index from single-platform images, each taken with
// its blobs into the destination layout. The backend of the Bazel rule `oci_image_index`. The index
// lists the images in the order given, each with the platform read from its config, so the same
// inputs give the same index digest.
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/descriptor.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway index [flags] -t DEST IMAGE...

Writes an OCI image index listing each IMAGE (oci:DIR[:TAG], local:NAME[:TAG] or docker-archive:FILE;
each must be a single-platform image) with the platform from its config, and copies every image's
manifest, config and layers into DEST. Two images for one platform are an error. Prints the index
digest as the last line of standard output.

DEST is oci:DIR[:TAG] or local:NAME[:TAG] (TAG defaults to latest).

Flags:
  --annotation K=V   set an annotation on the index (repeatable)
  -t, --tag DEST     where to write the index (required)
)";

absl::Status Index(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string dest_text;
  std::vector<std::string> annotations;
  flags.Repeated("annotation", 0, &annotations);
  flags.String("tag", 't', &dest_text);
  ASSIGN_OR_RETURN(std::vector<std::string> images, flags.Parse(args));
  if (dest_text.empty()) return UsageError("-t DEST is required (oci:DIR[:TAG] or local:NAME[:TAG])");
  if (images.empty()) return UsageError("give at least one IMAGE");

  oci::Index index;
  index.media_type = std::string(oci::kOciIndex);
  for (const std::string& kv : annotations) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return UsageError(absl::StrCat("--annotation `", kv, "`: expected KEY=VALUE"));
    }
    index.annotations[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  absl::StatusOr<oci::ImageLocation> dest_location = oci::ImageLocation::Parse(dest_text);
  if (!dest_location.ok()) return UsageError(dest_location.status().message());
  absl::StatusOr<oci::ImageDestination> dest = oci::OpenImageForWrite(*dest_location);
  if (!dest.ok()) {
    if (absl::IsInvalidArgument(dest.status())) return UsageError(dest.status().message());
    return dest.status();
  }
  oci::Layout& layout = *dest->layout;

  std::set<std::string> platforms;
  for (const std::string& text : images) {
    absl::StatusOr<oci::ImageLocation> location = oci::ImageLocation::Parse(text);
    if (!location.ok()) return UsageError(location.status().message());
    if (location->kind == oci::ImageLocation::Kind::kRegistry) {
      return UsageError(absl::StrCat("`", text, "`: pull it first (slipway pull ", text,
                                     " --output oci:DIR), then give oci:DIR"));
    }
    ASSIGN_OR_RETURN(oci::OpenedImage source, oci::OpenImageForRead(*location));
    // An image index among the inputs would need nesting, which runtimes handle poorly: refuse it.
    if (!source.tag_or_digest.empty()) {
      absl::StatusOr<oci::Descriptor> top = source.layout->Resolve(source.tag_or_digest);
      if (top.ok() && (top->media_type == oci::kOciIndex ||
                       top->media_type == oci::kDockerManifestList)) {
        return absl::InvalidArgumentError(
            absl::StrCat("`", text, "` is an image index; give single-platform images"));
      }
    }
    absl::StatusOr<oci::ImageRef> image = oci::ReadImage(*source.layout, source.tag_or_digest);
    if (!image.ok()) return base::Annotate(image.status(), absl::StrCat("reading `", text, "`"));
    oci::Platform platform;
    platform.os = image->config.os;
    platform.architecture = image->config.architecture;
    platform.variant = image->config.variant;
    platform.os_version = image->config.os_version;
    platform.os_features = image->config.os_features;
    if (!platforms.insert(platform.ToString()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "`", text, "` is a second image for platform ", platform.ToString(),
          "; an index holds one image per platform"));
    }
    RETURN_IF_ERROR_CTX(oci::CopyBlob(*source.layout, layout, image->manifest.config.digest), "`", text,
                        "`");
    for (const oci::Descriptor& l : image->manifest.layers) {
      RETURN_IF_ERROR_CTX(oci::CopyBlob(*source.layout, layout, l.digest), "`", text, "`");
    }
    RETURN_IF_ERROR_CTX(
        oci::CopyBlob(*source.layout, layout, image->manifest_descriptor.digest), "`", text, "`");
    oci::Descriptor entry;
    entry.media_type = image->manifest_descriptor.media_type.empty()
                           ? std::string(oci::kOciManifest)
                           : image->manifest_descriptor.media_type;
    entry.digest = image->manifest_descriptor.digest;
    entry.size = image->manifest_descriptor.size;
    entry.platform = platform;
    index.manifests.push_back(std::move(entry));
  }
  ASSIGN_OR_RETURN(oci::Descriptor written, layout.WriteBlob(index.Encode(), oci::kOciIndex));
  RETURN_IF_ERROR(layout.Tag(written, dest->tag));
  std::cerr << "slipway index: wrote " << dest_location->ToString() << " (" << images.size()
            << " platform" << (images.size() == 1 ? "" : "s") << ")\n";
  std::cout << written.digest.str() << std::endl;
  return absl::OkStatus();
}

int RunIndex(const std::vector<std::string>& args) { return ReportError("index", Index(args)); }

}  // namespace

SLIPWAY_COMMAND(index, "Make a multi-platform image index from single-platform images", kUsage,
                RunIndex);

}  // namespace cli
