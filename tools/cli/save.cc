// `slipway save`: writes an image as a `docker load` archive (Docker's `docker save` format), so
// that an image built without a daemon can be loaded into one. The backend of the Bazel rule
// `oci_tarball`. Member mtimes come from SOURCE_DATE_EPOCH (default 0).
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/layout/docker_archive.h"
#include "oci/layout/image_source.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"
#include "oci/tar/layer_writer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway save [flags] -o FILE IMAGE

Writes IMAGE (oci:DIR[:TAG], local:NAME[:TAG] or a name the local store holds) to FILE as a
`docker load` archive. From an index, --platform picks the image (default: this machine's).
Prints the image's manifest digest as the last line of standard output.

Flags:
  -o, --output FILE      the archive to write (required)
  --repo-tag REF         name the image in the archive, e.g. app:1.0 (repeatable)
  --platform OS/ARCH     the platform to take from an index
)";

absl::Status Save(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string output, platform_text;
  std::vector<std::string> repo_tags;
  flags.String("output", 'o', &output);
  flags.Repeated("repo-tag", 0, &repo_tags);
  flags.String("platform", 0, &platform_text);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (output.empty()) return UsageError("-o FILE is required");
  if (positional.size() != 1) return UsageError("give exactly one IMAGE");
  std::optional<oci::Platform> platform;
  if (!platform_text.empty()) {
    absl::StatusOr<oci::Platform> p = oci::Platform::Parse(platform_text);
    if (!p.ok()) return UsageError(p.status().message());
    platform = *p;
  }
  for (const std::string& t : repo_tags) {
    absl::StatusOr<oci::Reference> ref = oci::Reference::Parse(t);
    if (!ref.ok() || ref->tag.empty()) {
      return UsageError(absl::StrCat("--repo-tag `", t, "`: expected NAME:TAG such as app:1.0"));
    }
  }
  absl::StatusOr<oci::ImageLocation> location = oci::ImageLocation::Parse(positional[0]);
  if (!location.ok()) return UsageError(location.status().message());
  ASSIGN_OR_RETURN(oci::OpenedImage source, oci::OpenImageForRead(*location));
  absl::StatusOr<oci::ImageRef> image =
      oci::ReadImage(*source.layout, source.tag_or_digest, platform ? &*platform : nullptr);
  if (!image.ok()) {
    return base::Annotate(image.status(), absl::StrCat("reading `", positional[0], "`"));
  }
  oci::DockerArchiveImage archived;
  archived.manifest = image->manifest_descriptor;
  archived.repo_tags = repo_tags;
  oci::DockerArchiveOptions options;
  ASSIGN_OR_RETURN(options.mtime, oci::SourceDateEpoch());
  RETURN_IF_ERROR_CTX(oci::WriteDockerArchive(*source.layout, {archived}, output, options),
                      "writing `", output, "`");
  std::cout << image->manifest_descriptor.digest.str() << std::endl;
  return absl::OkStatus();
}

int RunSave(const std::vector<std::string>& args) { return ReportError("save", Save(args)); }

}  // namespace

SLIPWAY_COMMAND(save, "Write an image as a `docker load` archive", kUsage, RunSave);

}  // namespace cli
