// The collection `slipway prune` does, shared with `slipway rmi --prune`.
#ifndef SLIPWAY_TOOLS_CLI_PRUNE_CMD_H_
#define SLIPWAY_TOOLS_CLI_PRUNE_CMD_H_

#include "oci/layout/layout.h"

namespace cli {

// Garbage-collects `store` (oci::Layout::GarbageCollect) and prints what it freed; with `layers`,
// then removes the runner's cached layers that no image of `store` uses (unless containers are
// running: then it says so and leaves the cache). Returns the exit status; errors are reported.
int CollectLocalStore(oci::Layout& store, bool layers);

}  // namespace cli

#endif  // SLIPWAY_TOOLS_CLI_PRUNE_CMD_H_
