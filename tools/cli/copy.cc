// `slipway copy SRC DEST`: promotion. Copies an image by digest between any two of a registry, an
// `oci:` folder and the local store, mounting blobs when both are in the same registry.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "pusher/notify.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway copy [OPTIONS] SRC DEST

Copies an image by digest (nothing is rebuilt; every platform of an index is kept unless
--platform picks one). SRC and DEST are registry references, `oci:DIR[:TAG]` or
`local:NAME[:TAG]`; SRC may also be `docker-archive:FILE` (a `docker save` tarball, one image).
Within one registry, blobs are mounted instead of transferred. Pulls from a registry use its
configured mirrors. The digest is printed last.

Options:
  --platform OS/ARCH[/VARIANT]  copy only this platform's manifest out of an index
  --notify URL              POST {repository, tag, digest, time} as JSON to URL (registry DEST)
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --jobs N                  blobs moved at once (default 4)
  --progress MODE           auto, tty, plain or quiet (default auto)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

int RunCopy(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  std::string notify, platform;
  flags.String("notify", 0, &notify);
  flags.String("platform", 0, &platform);
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.Int("jobs", 'j', &sf.jobs);
  flags.String("progress", 0, &sf.progress);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("copy", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->size() != 2) return ReportError("copy", UsageError("want SRC DEST"));
  absl::StatusOr<pusher::ProgressMode> mode = pusher::ParseProgressMode(sf.progress);
  if (!mode.ok()) return ReportError("copy", UsageError(mode.status().message()));
  absl::StatusOr<oci::ImageLocation> src = pusher::ParseReadLocation((*pos)[0]);
  if (!src.ok()) return ReportError("copy", src.status());
  absl::StatusOr<oci::ImageLocation> dst = oci::ImageLocation::Parse((*pos)[1]);
  if (!dst.ok()) return ReportError("copy", dst.status());
  std::unique_ptr<pusher::Progress> progress = pusher::NewProgress(*mode);
  absl::StatusOr<std::unique_ptr<pusher::Session>> session =
      pusher::OpenSession(sf, progress.get());
  if (!session.ok()) return ReportError("copy", session.status());
  pusher::TransferOptions to;
  to.jobs = static_cast<int>(sf.jobs);
  to.all_platforms = platform.empty();
  oci::Platform p;
  if (!platform.empty()) {
    absl::StatusOr<oci::Platform> parsed = oci::Platform::Parse(platform);
    if (!parsed.ok()) return ReportError("copy", UsageError(parsed.status().message()));
    p = *parsed;
    to.platform = &p;
  }
  to.progress = progress.get();
  absl::StatusOr<pusher::CopyResult> r = pusher::CopyImage(**session, *src, *dst, to);
  if (!r.ok()) return ReportError("copy", r.status());
  const pusher::TransferStats& st = r->transfer.stats;
  progress->Message(absl::StrCat("copied ", r->served_by, " -> ", r->destination, ": ",
                                 st.blobs_moved, " blobs transferred (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_mounted,
                                 " mounted, ", st.blobs_present, " already present"));
  if (!notify.empty() && dst->kind == oci::ImageLocation::Kind::kRegistry) {
    absl::Status s = pusher::NotifyPushed((*session)->plain_transport(), notify, dst->registry_ref,
                                          r->transfer.root.digest);
    if (!s.ok()) return ReportError("copy", s);
  }
  std::cout << r->transfer.root.digest.str() << std::endl;
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(copy, "Copy (promote) an image by digest between registries and layouts", kUsage,
                RunCopy);

}  // namespace cli
