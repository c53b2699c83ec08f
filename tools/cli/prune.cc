// `slipway prune`: frees the local store's unused blobs and, with --layers, the runner's cached
// layers that no image of the store uses (docker image prune / docker system prune).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "oci/layout/layout.h"
#include "runner/container/container.h"
#include "runner/rootfs/layer_prune.h"
#include "runner/rootfs/rootfs.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/local_images.h"
#include "tools/cli/prune_cmd.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway prune [--layers]

Removes the blobs of the local store ($XDG_DATA_HOME/slipway) that no tag reaches (left by
`slipway rmi`, by re-tagging and by interrupted writes) and prints how many and how much it freed.
It does not wait for other slipway processes: while one writes to the store (a build, a pull), it
stops, removes nothing and says to try again (exit 1).

Options:
  --layers   also remove the runner's unpacked layers ($SLIPWAY_LAYER_CACHE, default
             ~/.cache/slipway/layers) that no image of the local store uses (images run from
             `oci:` or `docker-archive:` are unpacked again when next run). Skipped, with a note,
             while any container is running or starting; a layer being unpacked is left for
             next time.
)";

int RunPrune(const std::vector<std::string>& args) {
  FlagSet flags;
  bool layers = false;
  flags.Bool("layers", 0, &layers);
  absl::StatusOr<std::vector<std::string>> positional =
      flags.ParsePositional(args, 0, 0, "takes no arguments");
  if (!positional.ok()) return ReportError("prune", positional.status());
  oci::LayoutOptions options;
  options.create = false;
  absl::StatusOr<std::unique_ptr<oci::Layout>> store =
      oci::Layout::Open(oci::LocalStoreDir(), options);
  if (!store.ok()) {
    if (!absl::IsNotFound(store.status())) return ReportError("prune", store.status());
    // No store: open an empty one, so --layers still knows that no image needs any layer.
    store = oci::Layout::Open(oci::LocalStoreDir());
    if (!store.ok()) return ReportError("prune", store.status());
  }
  return CollectLocalStore(**store, layers);
}

}  // namespace

int CollectLocalStore(oci::Layout& store, bool layers) {
  absl::StatusOr<oci::GcStats> gc = store.GarbageCollect();
  if (!gc.ok()) return ReportError("prune", gc.status());
  std::cout << "removed " << gc->blobs_removed << " blobs from " << store.dir() << ", freed "
            << HumanSize(gc->bytes_removed) << " (" << gc->bytes_removed << " bytes)\n";
  if (!layers) return kExitOk;
  absl::StatusOr<std::vector<runner::ContainerInfo>> containers =
      runner::ListContainers(runner::DefaultStateRoot());
  if (!containers.ok()) return ReportError("prune", containers.status());
  // A "created" container may be between unpacking its layers and starting: its layers are as
  // good as mounted.
  int running = 0;
  for (const runner::ContainerInfo& c : *containers)
    running += c.status == "running" || c.status == "created";
  if (running > 0) {
    std::cout << "layer cache left as it is: " << running
              << " container(s) running or starting (their layers are mounted); prune again when "
                 "they end\n";
    return kExitOk;
  }
  absl::StatusOr<std::set<std::string>> keep = StoreDiffIds(store);
  if (!keep.ok()) return ReportError("prune", keep.status());
  std::string cache_dir = runner::DefaultLayerCacheDir();
  absl::StatusOr<runner::LayerPruneStats> pruned = runner::PruneLayerCache(cache_dir, *keep);
  if (!pruned.ok()) return ReportError("prune", pruned.status());
  std::cout << "removed " << pruned->layers_removed << " cached layers from " << cache_dir
            << ", freed " << HumanSize(pruned->bytes_removed) << " (" << pruned->bytes_removed
            << " bytes)\n";
  for (const std::string& skipped : pruned->skipped) {
    std::cout << "left " << skipped << ": it is being unpacked\n";
  }
  return kExitOk;
}

SLIPWAY_COMMAND(prune, "Remove unused blobs (and cached layers) of the local store", kUsage,
                RunPrune);

}  // namespace cli
