// Renderings of a layer graph for `slipway graph --format text|json|dot`. The JSON is what
// protobuf's MessageToJsonString prints for ToProto(g, keys) (to_proto.h) with add_whitespace,
// preserve_proto_field_names and always_print_primitive_fields, written without protobuf.
// Pure functions: `keys` must be ComputeKeys(g) (or with a context hasher).
#ifndef SLIPWAY_BUILDER_GRAPH_FORMAT_H_
#define SLIPWAY_BUILDER_GRAPH_FORMAT_H_

#include <string>

#include "builder/graph/graph.h"
#include "builder/graph/keys.h"

namespace builder::graph {

std::string FormatText(const Graph& g, const Keys& keys);
std::string FormatJson(const Graph& g, const Keys& keys);
std::string FormatDot(const Graph& g);  // no keys in it

}  // namespace builder::graph

#endif  // SLIPWAY_BUILDER_GRAPH_FORMAT_H_
