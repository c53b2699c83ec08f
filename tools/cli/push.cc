// `slipway push SRC [DEST]`: uploads an image from the local store or an `oci:` folder (or another
// registry) to a registry. Only missing blobs move; the manifest goes last. Prints the digest.
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

int RunPush(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  std::string notify;
  flags.String("notify", 0, &notify);
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.Int("jobs", 'j', &sf.jobs);
  flags.String("progress", 0, &sf.progress);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("push", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->empty() || pos->size() > 2) {
    return ReportError("push", UsageError("want SRC [DEST]"));
  }
  absl::StatusOr<pusher::ProgressMode> mode = pusher::ParseProgressMode(sf.progress);
  if (!mode.ok()) return ReportError("push", UsageError(mode.status().message()));
  absl::StatusOr<oci::ImageLocation> src = pusher::ParseReadLocation((*pos)[0]);
  if (!src.ok()) return ReportError("push", src.status());
  absl::StatusOr<oci::ImageLocation> dst = oci::ImageLocation::Parse(pos->back());
  if (!dst.ok()) return ReportError("push", dst.status());
  if (dst->kind != oci::ImageLocation::Kind::kRegistry) {
    return ReportError("push", UsageError(absl::StrCat("DEST `", pos->back(),
                                                       "` must be a registry reference")));
  }
  std::unique_ptr<pusher::Progress> progress = pusher::NewProgress(*mode);
  absl::StatusOr<std::unique_ptr<pusher::Session>> session =
      pusher::OpenSession(sf, progress.get());
  if (!session.ok()) return ReportError("push", session.status());
  pusher::TransferOptions to;
  to.jobs = static_cast<int>(sf.jobs);
  to.all_platforms = true;
  to.progress = progress.get();
  absl::StatusOr<pusher::CopyResult> r = pusher::CopyImage(**session, *src, *dst, to);
  if (!r.ok()) return ReportError("push", r.status());
  const pusher::TransferStats& st = r->transfer.stats;
  progress->Message(absl::StrCat("pushed ", r->destination, ": ", st.blobs_moved, " blobs uploaded (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_mounted,
                                 " mounted, ", st.blobs_present, " already present"));
  if (!notify.empty()) {
    absl::Status s = pusher::NotifyPushed((*session)->plain_transport(), notify, dst->registry_ref,
                                          r->transfer.root.digest);
    if (!s.ok()) return ReportError("push", s);
  }
  std::cout << r->transfer.root.digest.str() << std::endl;
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(push, "Push an image to a registry", kUsage, RunPush);

}  // namespace cli
