// `slipway copy SRC DEST`: promotion. Copies an image by digest between any two of a registry, an
// `oci:` folder and the local store, mounting blobs when both are in the same registry.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway copy [OPTIONS] SRC DEST

Copies an image by digest (nothing is rebuilt; every platform of an index is kept unless
--platform picks one). SRC and DEST are registry references, `oci:DIR[:TAG]`, `local:NAME[:TAG]`
or `docker-archive:FILE[:REF]` (a `docker save` tarball, one image: as SRC, REF picks it; as DEST,
the image for --platform, default this machine's, is written as `slipway save` writes it, named
REF). Within one registry, blobs are mounted instead of transferred. Pulls from a registry use its
configured mirrors. The digest is printed last.

Options:
  --platform OS/ARCH[/VARIANT]  copy only this platform's manifest out of an index
  --notify URL              POST {repository, tag, digest, time} as JSON to URL (registry DEST)
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --jobs N                  blobs moved at once (default 4)
  --progress MODE           auto, tty, plain or quiet (default auto)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

absl::Status Copy(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kTransfer);
  std::string notify, platform_text;
  flags.String("notify", 0, &notify);
  flags.String("platform", 0, &platform_text);
  ASSIGN_OR_RETURN(std::vector<std::string> pos, flags.ParsePositional(args, 2, 2, "want SRC DEST"));
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Progress> progress, registry.NewProgress());
  ASSIGN_OR_RETURN(oci::ImageLocation src, pusher::ParseReadLocation(pos[0]));
  ASSIGN_OR_RETURN(oci::ImageLocation dst, oci::ImageLocation::Parse(pos[1]));
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(progress.get()));
  ASSIGN_OR_RETURN(std::optional<oci::Platform> platform, ParsePlatformFlag(platform_text));
  pusher::TransferOptions to = registry.TransferOptions(progress.get());
  to.all_platforms = !platform.has_value();
  if (platform) to.platform = &*platform;
  ASSIGN_OR_RETURN(oci::DockerArchiveOptions archive, ArchiveOptions(dst));
  ASSIGN_OR_RETURN(pusher::CopyResult r, pusher::CopyImage(*session, src, dst, to, archive));
  const pusher::TransferStats& st = r.transfer.stats;
  progress->Message(absl::StrCat("copied ", r.served_by, " -> ", r.destination, ": ",
                                 st.blobs_moved, " blobs transferred (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_mounted,
                                 " mounted, ", st.blobs_present, " already present"));
  return NotifyAndPrintDigest(*session, notify, dst, r);
}

int RunCopy(const std::vector<std::string>& args) { return ReportError("copy", Copy(args)); }

}  // namespace

SLIPWAY_COMMAND(copy, "Copy (promote) an image by digest between registries and layouts", kUsage,
                RunCopy);

}  // namespace cli
