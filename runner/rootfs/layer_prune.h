// Removing unpacked layers from the runner's layer cache (LayerCache, rootfs.h) that no image needs
// any more: what `slipway prune --layers` does after the local store's blobs are collected.
//
// The cache holds `<hex>` directories (one per layer, named by its diff_id), `.lock-<hex>` files,
// `.tmp-<hex>-*` leftovers of crashed unpacks, and one `u_…` folder per rootless id mapping with the
// same entries. A layer is removed only while this process holds its `.lock-<hex>` flock (the lock
// LayerCache::Ensure unpacks under), taken without waiting: a layer being unpacked is skipped. The
// lock files themselves stay (they are empty): unlinking a lock another process may be waiting on
// would let two unpacks of that layer run at once. The caller must make sure no running container
// uses a layer it lets go (Ensure hands out layer directories without a lock). Not thread-safe.
#ifndef SLIPWAY_RUNNER_ROOTFS_LAYER_PRUNE_H_
#define SLIPWAY_RUNNER_ROOTFS_LAYER_PRUNE_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runner {

struct LayerPruneStats {
  int layers_removed = 0;       // `<hex>` directories removed (over all mapping folders)
  int64_t bytes_removed = 0;    // their apparent size, plus stale `.tmp-*` directories
  std::vector<std::string> skipped;  // layers left because their lock was held (`<folder>/<hex>`)
};

// Removes every layer of the cache at `cache_dir` (and of its `u_…` mapping folders) whose diff_id
// hex is not in `keep_hex`. A missing `cache_dir` is an empty cache.
absl::StatusOr<LayerPruneStats> PruneLayerCache(const std::string& cache_dir,
                                                const std::set<std::string>& keep_hex);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_ROOTFS_LAYER_PRUNE_H_
