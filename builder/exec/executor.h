// The executor: runs a Dockerfile's stages into an OCI image in the build cache's layout.
//
// Stages run in dependency order, independent ones in parallel (at most `jobs` at once); stages the
// target does not need are skipped. Each step's cache key is the digest of its inputs only (the
// parent's key, the expanded instruction, the build args it uses, the pinned base, and for
// COPY/ADD/bind mounts the content digest of exactly what it reads); a hit restores the stage's
// layers and config from the StepCache and reports CACHED. Metadata instructions change the config
// as Docker does and add history entries with empty_layer; COPY/ADD write layers directly; RUN goes
// through a RunExecutor. `created` and COPY/ADD file times use the epoch (SOURCE_DATE_EPOCH or 0)
// unless `timestamp_now`; RUN layers keep their files' own times clamped to it. COPY --link layers
// are cached by their content alone and reused under any parent. Build() is thread-safe with
// respect to other builds sharing the cache dir.
#ifndef SLIPWAY_BUILDER_EXEC_EXECUTOR_H_
#define SLIPWAY_BUILDER_EXEC_EXECUTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "builder/cache/cache.h"
#include "builder/exec/progress.h"
#include "builder/exec/run.h"
#include "builder/source/image_source.h"
#include "oci/descriptor.h"
#include "oci/image_config.h"
#include "oci/layout/layout.h"
#include "oci/media_types.h"

namespace builder {

struct BuildOptions {
  std::string context_dir;
  // The Dockerfile; "" means CONTEXT/Dockerfile.
  std::string dockerfile_path;
  // Stage to build; "" means the last.
  std::string target;
  std::map<std::string, std::string> build_args;
  // "os/arch[/variant]"; "" means the host's.
  std::string platform;
  // Cache directory. Default: DefaultCacheDir().
  std::string cache_dir;
  bool no_cache = false;
  // Seconds since the epoch for `created` and file times. Default: SOURCE_DATE_EPOCH, else 0.
  std::optional<int64_t> epoch;
  // `--timestamp now`: the wall clock instead of the epoch.
  bool timestamp_now = false;
  // `--secret id=ID,src=PATH`: id -> host file. Never logged, cached or stored in a layer.
  std::map<std::string, std::string> secrets;
  // `--ssh id[=SOCKET]`: id -> an SSH agent socket on the host, shown to `RUN --mount=type=ssh`
  // (at /run/buildkit/ssh_agent.N unless target=, with SSH_AUTH_SOCK pointing at it). Never in a
  // layer or a cache key.
  std::map<std::string, std::string> ssh;
  // Base images. Not owned; null means only `scratch` and stages may be used.
  ImageSource* source = nullptr;
  // RUN steps. Not owned; null means RUN fails.
  RunExecutor* run = nullptr;
  // Not owned; may be null.
  Progress* progress = nullptr;
  // Stages built at once. Default (0): the number of cores.
  int jobs = 0;
  oci::Compression compression = oci::Compression::kGzip;
};

struct BuildResult {
  oci::Descriptor manifest;  // in cache->layout()
  oci::ImageConfig config;
  std::vector<oci::Descriptor> layers;
  std::vector<std::string> bases;  // pinned base images ("oci:/x@sha256:…")
  int steps = 0;
  int cached_steps = 0;
  int64_t files_hashed = 0;  // context files whose content was read
  // Every step-cache key this build hit or stored (what --cache-to exports), sorted.
  std::vector<oci::Digest> step_keys;
};

absl::StatusOr<BuildResult> Build(const BuildOptions& options, StepCache& cache);

// Copies the built image into `dest` and tags it (when `tag` is not empty).
absl::Status ExportImage(StepCache& cache, const BuildResult& result, oci::Layout& dest,
                         const std::string& tag);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_EXEC_EXECUTOR_H_
