// `slipway pull REF [--output DEST]`: downloads an image (one platform) from a registry into the
// local store (default) or an `oci:` folder, verifying every blob. Prints the digest.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/image_resolver.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway pull [OPTIONS] REF

Pulls REF (a registry reference) into the local store, tagged as Docker would name it
(`busybox:latest`; by digest `HOST/NAME@sha256:...`), or into --output (`oci:DIR[:TAG]` or
`local:NAME[:TAG]`). From an index, the manifest for --platform (default: this machine's) is pulled. Every blob is checked against its
digest; nothing that does not match is kept. Configured mirrors are tried first; the output says
which endpoint served. The digest of the stored manifest is printed last.

Options:
  --output DEST, -o DEST    where to store the image
  --platform OS/ARCH[/VARIANT]
  --all-platforms           keep the whole index and every platform
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --jobs N                  blobs moved at once (default 4)
  --progress MODE           auto, tty, plain or quiet (default auto)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

int RunPull(const std::vector<std::string>& args) {
  FlagSet flags;
  pusher::SessionFlags sf;
  std::string output, platform;
  bool all = false;
  flags.String("output", 'o', &output);
  flags.String("platform", 0, &platform);
  flags.Bool("all-platforms", 0, &all);
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.Int("jobs", 'j', &sf.jobs);
  flags.String("progress", 0, &sf.progress);
  flags.String("config", 0, &sf.config_path);
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (!pos.ok()) return ReportError("pull", pos.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (pos->size() != 1) return ReportError("pull", UsageError("want exactly one REF"));
  absl::StatusOr<pusher::ProgressMode> mode = pusher::ParseProgressMode(sf.progress);
  if (!mode.ok()) return ReportError("pull", UsageError(mode.status().message()));
  absl::StatusOr<oci::ImageLocation> src = oci::ImageLocation::Parse((*pos)[0]);
  if (!src.ok()) return ReportError("pull", src.status());
  if (src->kind != oci::ImageLocation::Kind::kRegistry) {
    return ReportError("pull", UsageError("REF must be a registry reference; use copy for layouts"));
  }
  oci::ImageLocation dst;
  if (output.empty()) {
    // The local store, under Docker's familiar name ("busybox:latest"; by digest:
    // "host/app@sha256:…", never a tag the user did not name) — the key `run` and `test` look for.
    dst.kind = oci::ImageLocation::Kind::kOciLayout;
    dst.path = oci::LocalStoreDir();
    dst.tag = LocalStoreKey(src->registry_ref);
  } else {
    absl::StatusOr<oci::ImageLocation> parsed = oci::ImageLocation::Parse(output);
    if (!parsed.ok()) return ReportError("pull", parsed.status());
    dst = *parsed;
    if (dst.kind == oci::ImageLocation::Kind::kRegistry) {
      return ReportError("pull", UsageError("--output must be oci:DIR[:TAG] or local:NAME[:TAG]"));
    }
  }
  std::unique_ptr<pusher::Progress> progress = pusher::NewProgress(*mode);
  absl::StatusOr<std::unique_ptr<pusher::Session>> session =
      pusher::OpenSession(sf, progress.get());
  if (!session.ok()) return ReportError("pull", session.status());
  pusher::TransferOptions to;
  to.jobs = static_cast<int>(sf.jobs);
  to.all_platforms = all;
  oci::Platform p;
  if (!platform.empty()) {
    absl::StatusOr<oci::Platform> parsed = oci::Platform::Parse(platform);
    if (!parsed.ok()) return ReportError("pull", UsageError(parsed.status().message()));
    p = *parsed;
    to.platform = &p;
  }
  to.progress = progress.get();
  absl::StatusOr<pusher::CopyResult> r = pusher::CopyImage(**session, *src, dst, to);
  if (!r.ok()) return ReportError("pull", r.status());
  const pusher::TransferStats& st = r->transfer.stats;
  progress->Message(absl::StrCat("pulled ", (*pos)[0], " from ", r->served_by, " into ",
                                 output.empty() ? absl::StrCat("the local store as ", dst.tag)
                                                : r->destination,
                                 ": ", st.blobs_moved, " blobs downloaded (",
                                 pusher::HumanBytes(st.bytes_moved), "), ", st.blobs_present,
                                 " already present"));
  std::cout << r->transfer.root.digest.str() << std::endl;
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(pull, "Pull an image from a registry", kUsage, RunPull);

}  // namespace cli
