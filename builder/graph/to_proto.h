// Converts a layer graph and its keys to graph.proto's message (package slipway.builder.graph),
// the interchange and output schema, e.g. to store or send a graph. Nothing on the build path needs
// it: FormatJson writes the same JSON without protobuf. A pure function.
#ifndef SLIPWAY_BUILDER_GRAPH_TO_PROTO_H_
#define SLIPWAY_BUILDER_GRAPH_TO_PROTO_H_

#include "builder/graph/graph.h"
#include "builder/graph/graph.pb.h"
#include "builder/graph/keys.h"

namespace builder::graph {

// `keys` must be ComputeKeys(g) (or with a context hasher): they fill each node's key, parent key,
// stage keys and context digest. The message owns copies of all strings.
::slipway::builder::graph::Graph ToProto(const Graph& g, const Keys& keys);

}  // namespace builder::graph

#endif  // SLIPWAY_BUILDER_GRAPH_TO_PROTO_H_
