// Opening the image that `slipway run` and `slipway test` name, registry references included.
//
// The runner (runner::OpenRunImage) reads `oci:`, `local:`, `docker-archive:` and plain names the
// local store holds; it never talks to registries (runner/ does not depend on pusher/). This is
// where the CLI adds that: a registry reference the local store lacks is pulled into the local
// store (mirrors first and credentials from Docker's config, as `slipway pull` does; one platform,
// the host's), then opened from there, exactly as `docker run` pulls a missing image.
//
// Where the pulled image is kept (the local store, so the next run needs no registry):
//   * `host/app:tag`            -> tag `host/app:tag` (Docker's familiar name, as `slipway pull`)
//   * `host/app[:tag]@sha256:D` -> tag `host/app[:tag]@sha256:D`, so an index digest still finds
//     the platform manifest that was picked from it; the digest is pinned: the registry's answer
//     is verified against D (pusher::Registry::GetManifest) and a mismatch keeps nothing.
#ifndef SLIPWAY_TOOLS_CLI_IMAGE_RESOLVER_H_
#define SLIPWAY_TOOLS_CLI_IMAGE_RESOLVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/reference.h"
#include "runner/container/container.h"
#include "tools/cli/flags.h"

namespace cli {

// `--pull` as `docker run --pull` spells it.
enum class PullPolicy {
  kMissing,  // pull only when the local store lacks the image (default)
  kAlways,   // re-resolve a tag at the registry every time (digests are immutable: as kMissing)
  kNever,    // local store only; a registry reference it lacks is an error
};

// Parses "missing", "always" or "never". InvalidArgument otherwise.
absl::StatusOr<PullPolicy> ParsePullPolicy(const std::string& text);

struct ImageResolveOptions {
  PullPolicy pull = PullPolicy::kMissing;
  std::vector<std::string> insecure_registries;  // --insecure-registry
  std::string config_path;                       // --config (slipway config: mirrors)
  std::string progress = "auto";                 // progress of a pull, on stderr
};

// Registers what `run` and `test` take to open a registry image on `flags`: --pull
// missing|always|never (anything else is a usage error while parsing), --insecure-registry HOST
// (repeatable) and --config FILE. Parsing writes into `options` (not owned; must outlive it).
void AddImageResolveFlags(FlagSet& flags, ImageResolveOptions* options);

// The local-store tag a registry reference is kept under (see the header comment).
std::string LocalStoreKey(const oci::Reference& ref);

// Opens `name` for running. Non-registry locations and registry references the local store holds
// go straight to runner::OpenRunImage; otherwise the image is pulled first (per `options.pull`),
// with progress and a one-line summary ("pulled … from …") on stderr.
absl::StatusOr<std::shared_ptr<const runner::RunImage>> OpenImageForRun(
    const std::string& name, const ImageResolveOptions& options);

}  // namespace cli

#endif  // SLIPWAY_TOOLS_CLI_IMAGE_RESOLVER_H_
