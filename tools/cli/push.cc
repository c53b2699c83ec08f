// `slipway push SRC [DEST]`: uploads an image from the local store or an `oci:` folder (or another
// registry) to a registry. Only missing blobs move; the manifest goes last. Prints the digest.
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

constexpr char kUsage[] = R"(Usage: slipway push [OPTIONS] SRC [DEST]

Pushes an image to a registry. SRC is `local:NAME[:TAG]`, `oci:DIR[:TAG]`, `docker-archive:FILE`
(a `docker save` tarball holding one image), a name the local store holds (as `build -t` wrote
it), or a registry reference. DEST is a registry reference
(`host:port/repo:tag`); without DEST, SRC names both. Blobs the registry already has are skipped,
blobs in another repository of the same registry are mounted. The image digest is printed last.

Options:
  --notify URL              POST {repository, tag, digest, time} as JSON to URL after the push
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --jobs N                  blobs moved at once (default 4)
  --progress MODE           auto, tty, plain or quiet (default auto)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

absl::Status Push(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kTransfer);
  std::string notify;
  flags.String("notify", 0, &notify);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 1, 2, "want SRC [DEST]"));
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Progress> progress, registry.NewProgress());
  ASSIGN_OR_RETURN(oci::ImageLocation src, pusher::ParseReadLocation(pos[0]));
  ASSIGN_OR_RETURN(oci::ImageLocation dst, oci::ImageLocation::Parse(pos.back()));
  if (dst.kind != oci::ImageLocation::Kind::kRegistry) {
    return UsageError(absl::StrCat("DEST `", pos.back(), "` must be a registry reference"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(progress.get()));
  pusher::TransferOptions to = registry.TransferOptions(progress.get());
  to.all_platforms = true;
  ASSIGN_OR_RETURN(pusher::CopyResult r, pusher::CopyImage(*session, src, dst, to));
  const pusher::TransferStats& st = r.transfer.stats;
  progress->Message(absl::StrCat("pushed ", r.destination, ": ", st.blobs_moved, " blobs uploaded (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_mounted,
                                 " mounted, ", st.blobs_present, " already present"));
  return NotifyAndPrintDigest(*session, notify, dst, r);
}

int RunPush(const std::vector<std::string>& args) { return ReportError("push", Push(args)); }

}  // namespace

SLIPWAY_COMMAND(push, "Push an image to a registry", kUsage, RunPush);

}  // namespace cli
