// The layer graph: the stages a target needs and their instructions as nodes of a DAG (edges from
// FROM-a-stage, COPY --from and RUN --mount from=), each stage's parallelism level and each node's
// cache-key inputs. Plain structs with the shape of graph.proto (the interchange and output schema,
// see to_proto.h), built without protobuf.
//
// Building records the inputs of every cache key but hashes nothing: keys are derived on demand by
// ComputeKeys (keys.h). Hashing is most of the cost (4,200 keys take ~0.4-0.7 ms, several times the
// graph itself), and with a context hasher it reads files, which is not graph building.
//
// Ownership: a Graph refers to the instructions::Dockerfile it was built from (each node points at
// its Command; names, build args and context paths are views into it), so that Dockerfile must
// outlive the graph and stay unmodified. Nothing is copied per node: variable-length data (deps,
// build args, context paths, stage lists) lives in a few pools owned by the Graph, and nodes and
// stages hold ranges into them (Graph::Get turns a range into a span). Strings the graph makes
// (`!pattern` context paths for COPY --exclude) live in one owned buffer. A Graph can be moved (its
// pools move with it) but not copied. For a big Dockerfile the nodes, stages and pools live in the
// Dockerfile's PageRegion (base/page_region.h; their allocators keep it alive): pages that are
// already there, where fresh heap pages would each cost a page fault.
//
// BuildGraph is a pure function and thread-safe. Nothing here modifies a built Graph, so any
// number of threads may read one (and its Dockerfile) at once.
#ifndef SLIPWAY_BUILDER_GRAPH_GRAPH_H_
#define SLIPWAY_BUILDER_GRAPH_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/page_region.h"
#include "builder/instructions/instructions.h"

namespace builder::graph {

// `count` elements from `offset` in the Graph's pool of Ts.
template <typename T>
struct Range {
  uint32_t offset = 0;
  uint32_t count = 0;
};

// A build arg an instruction depends on (views into the Dockerfile).
struct BuildArg {
  absl::string_view name;
  absl::string_view value;
};

// What enters a node's cache key (ComputeKeys) besides the node's expanded() instruction, its
// parent() key, its stage_keys() and the context digest a context hasher gives for
// `context_paths`.
struct CacheInputs {
  // Build args the instruction depends on, sorted by name. Proxy args never appear.
  Range<BuildArg> build_args;
  // Context paths/patterns the node reads (COPY/ADD sources and `!`-prefixed excludes, RUN bind
  // mounts from the context), in instruction order.
  Range<absl::string_view> context_paths;
};

// One instruction. 40 bytes: a big Dockerfile has thousands, so what can be derived (the parent,
// whether it makes a layer) is not stored.
struct Node {
  int id = 0;     // index in Graph::nodes
  int stage = 0;  // the stage's index in the Dockerfile
  // The instruction this node is. Not owned: it lives in the Dockerfile the graph was built from.
  const instructions::Command* command = nullptr;
  // Node ids this node needs finished first: parent() (unless it is -1), then stage_keys().
  Range<int> deps;
  CacheInputs cache;

  // The previous node in the stage, whose key is the parent key; -1 for a FROM (then the stage's
  // `base` names the image or stage). A stage's nodes are consecutive and start with its FROM.
  int parent() const { return is_from() ? -1 : id - 1; }
  // The final nodes of the other stages the node reads (COPY --from, RUN --mount from=, FROM a
  // stage), ascending by stage; their keys are the stage keys. The part of `deps` after parent().
  Range<int> stage_keys() const {
    const uint32_t skip = is_from() ? 0 : 1;
    return Range<int>{deps.offset + skip, deps.count - skip};
  }
  // RUN, COPY and ADD make a layer; the others only change the image config.
  bool creates_layer() const {
    const dockerfile::Instruction k = command->instruction;
    return k == dockerfile::Instruction::kRun || k == dockerfile::Instruction::kCopy ||
           k == dockerfile::Instruction::kAdd;
  }

  absl::string_view kind() const { return command->name(); }  // "FROM", "RUN", "COPY", ...
  // The instruction after variable expansion, in canonical form: what enters the cache key.
  absl::string_view expanded() const { return command->expanded; }
  absl::string_view original() const { return command->original; }  // the source line as written
  int start_line() const { return command->start_line; }
  int end_line() const { return command->end_line; }

 private:
  bool is_from() const { return command->instruction == dockerfile::Instruction::kFrom; }
};
static_assert(sizeof(void*) != 8 || sizeof(Node) <= 40, "graph::Node grew");

struct Stage {
  int index = 0;
  absl::string_view name;        // lower-cased AS name, "" if none
  absl::string_view base;        // image reference or stage name
  int base_stage = -1;           // -1 if the base is an image or scratch
  absl::string_view platform;    // expanded --platform, "" if none
  Range<int> nodes;              // node ids, in order; the first is the FROM
  Range<int> depends_on_stages;  // stages this one reads from, ascending
  // Longest dependency chain below this stage: stages with the same level do not depend on each
  // other and can build in parallel once all lower levels are done.
  int level = 0;
};

// A vector in a PageRegion while it has room, else on the heap (the Graph's, see above).
template <typename T>
using Pool = std::vector<T, base::RegionAllocator<T>>;

// The fields of graph.proto's Graph; the pools behind the ranges are private, read through Get.
class Graph {
 public:
  Graph() = default;
  Graph(Graph&&) = default;  // the pools' buffers, and so every view into them, stay where they are
  Graph& operator=(Graph&&) = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string dockerfile;  // the Dockerfile's name (GraphOptions::dockerfile_name)
  int target_stage = 0;
  int total_stages = 0;       // stages in the Dockerfile before pruning
  Pool<Stage> stages;         // only the stages the target needs, in Dockerfile order
  Pool<Node> nodes;           // by id; a stage's nodes are consecutive
  std::vector<absl::string_view> unused_build_args;  // views into the Dockerfile
  std::vector<std::string> warnings;

  absl::Span<const int> Get(Range<int> r) const { return Slice(ints_, r); }
  absl::Span<const BuildArg> Get(Range<BuildArg> r) const { return Slice(build_args_, r); }
  absl::Span<const absl::string_view> Get(Range<absl::string_view> r) const {
    return Slice(paths_, r);
  }

 private:
  friend class GraphBuilder;  // graph.cc
  // An empty graph whose vectors take their memory from `region` (if not null).
  explicit Graph(std::shared_ptr<base::PageRegion> region);

  template <typename T>
  static absl::Span<const T> Slice(const Pool<T>& pool, Range<T> r) {
    return absl::Span<const T>(pool.data() + r.offset, r.count);
  }

  Pool<int> ints_;  // node ids and stage indexes
  Pool<BuildArg> build_args_;
  Pool<absl::string_view> paths_;  // into the Dockerfile, chars_ or static text
  Pool<char> chars_;               // strings made for the graph
};

struct GraphOptions {
  // Stage name or index to build. Default: "" (the last stage).
  std::string target;
  // The Dockerfile's name for the `dockerfile` field. Default: "Dockerfile".
  std::string dockerfile_name = "Dockerfile";
};

// The graph of `df` (which must outlive it, see above). InvalidArgument if the target is unknown.
absl::StatusOr<Graph> BuildGraph(const instructions::Dockerfile& df,
                                 const GraphOptions& options = {});
// A graph of a temporary Dockerfile would point at freed memory.
absl::StatusOr<Graph> BuildGraph(instructions::Dockerfile&& df,
                                 const GraphOptions& options = {}) = delete;

}  // namespace builder::graph

#endif  // SLIPWAY_BUILDER_GRAPH_GRAPH_H_
