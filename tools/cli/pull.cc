// `slipway pull REF [--output DEST]`: downloads an image (one platform) from a registry into the
// local store (default) or an `oci:` folder, verifying every blob. Prints the digest.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "pusher/copy.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/image_resolver.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway pull [OPTIONS] REF

Pulls REF (a registry reference) into the local store, tagged as Docker would name it
(`busybox:latest`; by digest `HOST/NAME@sha256:...`), or into --output (`oci:DIR[:TAG]`,
`local:NAME[:TAG]`, or `docker-archive:FILE[:REF]`: a `docker load` tarball, as `slipway save`
writes it, naming the image REF). From an index, the manifest for --platform (default: this
machine's) is pulled. Every blob is checked against its digest; nothing that does not match is
kept. Configured mirrors are tried first; the output says which endpoint served. The digest of
the stored manifest is printed last.

Options:
  --output DEST, -o DEST    where to store the image
  --platform OS/ARCH[/VARIANT]
  --all-platforms           keep the whole index and every platform
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --jobs N                  blobs moved at once (default 4)
  --progress MODE           auto, tty, plain or quiet (default auto)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

absl::Status Pull(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kTransfer);
  std::string output, platform_text;
  bool all = false;
  flags.String("output", 'o', &output);
  flags.String("platform", 0, &platform_text);
  flags.Bool("all-platforms", 0, &all);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 1, 1, "want exactly one REF"));
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Progress> progress, registry.NewProgress());
  ASSIGN_OR_RETURN(oci::ImageLocation src, oci::ImageLocation::Parse(pos[0]));
  if (src.kind != oci::ImageLocation::Kind::kRegistry) {
    return UsageError("REF must be a registry reference; use copy for layouts");
  }
  oci::ImageLocation dst;
  if (output.empty()) {
    // The local store, under Docker's familiar name ("busybox:latest"; by digest:
    // "host/app@sha256:…", never a tag the user did not name) — the key `run` and `test` look for.
    dst.kind = oci::ImageLocation::Kind::kOciLayout;
    dst.path = oci::LocalStoreDir();
    dst.tag = LocalStoreKey(src.registry_ref);
  } else {
    ASSIGN_OR_RETURN(dst, oci::ImageLocation::Parse(output));
    if (dst.kind == oci::ImageLocation::Kind::kRegistry) {
      return UsageError("--output must be oci:DIR[:TAG], local:NAME[:TAG] or docker-archive:FILE[:REF]");
    }
    if (dst.kind == oci::ImageLocation::Kind::kDockerArchive && all) {
      return UsageError("--all-platforms: a docker-archive: holds one image; pick it with --platform");
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(progress.get()));
  ASSIGN_OR_RETURN(std::optional<oci::Platform> platform, ParsePlatformFlag(platform_text));
  pusher::TransferOptions to = registry.TransferOptions(progress.get());
  to.all_platforms = all;
  if (platform) to.platform = &*platform;
  ASSIGN_OR_RETURN(oci::DockerArchiveOptions archive, ArchiveOptions(dst));
  ASSIGN_OR_RETURN(pusher::CopyResult r, pusher::CopyImage(*session, src, dst, to, archive));
  const pusher::TransferStats& st = r.transfer.stats;
  progress->Message(absl::StrCat("pulled ", pos[0], " from ", r.served_by, " into ",
                                 output.empty() ? absl::StrCat("the local store as ", dst.tag)
                                                : r.destination,
                                 ": ", st.blobs_moved, " blobs downloaded (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_present,
                                 " already present"));
  std::cout << r.transfer.root.digest.str() << std::endl;
  return absl::OkStatus();
}

int RunPull(const std::vector<std::string>& args) { return ReportError("pull", Pull(args)); }

}  // namespace

SLIPWAY_COMMAND(pull, "Pull an image from a registry", kUsage, RunPull);

}  // namespace cli
