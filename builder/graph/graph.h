// Builds the layer graph (graph.proto) from typed instructions: stages and their instructions as
// nodes of a DAG (edges from FROM-a-stage, COPY --from and RUN --mount from=), pruned to what the
// target stage needs, with each stage's parallelism level and each node's cache-key inputs.
//
// BuildGraph is a pure function and thread-safe. The cache key it computes covers everything but
// the contents of context files unless GraphOptions::context_hasher is set; the executor sets it
// (with a stat cache) so that keys change exactly when the files a node reads change.
#ifndef SLIPWAY_BUILDER_GRAPH_GRAPH_H_
#define SLIPWAY_BUILDER_GRAPH_GRAPH_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "builder/graph/graph.pb.h"
#include "builder/instructions/instructions.h"
#include "google/protobuf/arena.h"

namespace builder::graph {

// The proto messages (package slipway.builder.graph), under the C++ namespace of this library.
using ::slipway::builder::graph::CacheInputs;
using ::slipway::builder::graph::Graph;
using ::slipway::builder::graph::Node;
using ::slipway::builder::graph::Stage;

struct GraphOptions {
  // Stage name or index to build; "" means the last stage.
  std::string target;
  // Returns a digest (e.g. "sha256:...") of the context files matching `paths` (after
  // .dockerignore), including modes, owners and link targets. Default: not hashed.
  std::function<absl::StatusOr<std::string>(const std::vector<std::string>& paths)> context_hasher;
  // The Dockerfile's name for the `dockerfile` field.
  std::string dockerfile_name = "Dockerfile";
};

absl::StatusOr<Graph> BuildGraph(const instructions::Dockerfile& df, const GraphOptions& options);
// The same graph, allocated on `arena` (not owned; it must outlive the result, which it frees).
// Much cheaper for big Dockerfiles: the messages, repeated fields and maps of ~4 nodes per
// Dockerfile line become arena bumps instead of heap allocations. A null arena allocates on the
// heap and the caller owns the result.
absl::StatusOr<Graph*> BuildGraph(const instructions::Dockerfile& df, const GraphOptions& options,
                                  google::protobuf::Arena* arena);
// The same, for a caller with no further use for `df`: each command's `expanded` and `original`
// text is moved into its node instead of copied, and each stage's commands are freed once its
// nodes are built, so later nodes reuse that memory (`df` is left valid but unspecified).
absl::StatusOr<Graph*> BuildGraph(instructions::Dockerfile&& df, const GraphOptions& options,
                                  google::protobuf::Arena* arena);
// Arena block sizes for a graph: 8 KiB first, growing to 64 KiB (protobuf's default stops at
// 8 KiB: hundreds of blocks for a graph of a few MB). Not larger: glibc serves big blocks with
// fresh pages from the kernel each time instead of reusing freed heap (with 256 KiB blocks a
// 4,200-node graph took 467 page faults on a used heap, with 64 KiB 214).
google::protobuf::ArenaOptions GraphArenaOptions();

// Renderings for `slipway graph --format text|json|dot`.
std::string FormatText(const Graph& g);
std::string FormatJson(const Graph& g);
std::string FormatDot(const Graph& g);

}  // namespace builder::graph

#endif  // SLIPWAY_BUILDER_GRAPH_GRAPH_H_
