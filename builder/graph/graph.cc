#include "builder/graph/graph.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace builder::graph {
namespace {

namespace ins = builder::instructions;

// Resolves `--from` / `from=` references to stage indexes like instructions::FindStage, with the
// stage names hashed once (a Dockerfile with hundreds of stages and a COPY --from in each would
// otherwise scan and lower-case per reference).
class StageRefs {
 public:
  explicit StageRefs(const ins::Dockerfile& df) : df_(df) {
    by_name_.reserve(df.stages.size());
    for (const auto& s : df.stages) {
      absl::string_view name = s.name;
      if (!name.empty()) by_name_.emplace(name, s.index);  // the first one wins, as FindStage
    }
  }
  // The index of stage `ref` (name, case-insensitive, or number), or -1.
  int Find(absl::string_view ref) const {
    bool lower = std::none_of(ref.begin(), ref.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!lower) return ins::FindStage(df_, ref);
    auto it = by_name_.find(ref);
    if (it != by_name_.end()) return it->second;
    if (ref.empty() || !std::all_of(ref.begin(), ref.end(), ::isdigit)) return -1;
    return ins::FindStage(df_, ref);
  }
  // An earlier stage's index for a reference from stage `current`, or -1 for an image.
  int Resolve(absl::string_view ref, int current) const {
    int idx = Find(ref);
    return idx >= 0 && idx < current ? idx : -1;
  }

 private:
  const ins::Dockerfile& df_;
  absl::flat_hash_map<absl::string_view, int> by_name_;  // views into df_
};

template <typename T>
Range<T> RangeFrom(size_t offset, size_t end) {
  return Range<T>{static_cast<uint32_t>(offset), static_cast<uint32_t>(end - offset)};
}

}  // namespace

Graph::Graph(std::shared_ptr<base::PageRegion> region)
    : stages(base::RegionAllocator<Stage>(region)),
      nodes(base::RegionAllocator<Node>(region)),
      ints_(base::RegionAllocator<int>(region)),
      build_args_(base::RegionAllocator<BuildArg>(region)),
      paths_(base::RegionAllocator<absl::string_view>(region)),
      chars_(base::RegionAllocator<char>(std::move(region))) {}

// Fills a Graph and its pools (a friend of Graph) in one pass over the instructions: the nodes of
// every stage up to the target are built, and those of the stages the target turns out not to need
// are dropped afterwards (a second pass over the instructions, only to find which stages are
// needed first, cost more than building the few nodes usually dropped).
class GraphBuilder {
 public:
  GraphBuilder(const ins::Dockerfile& df, const GraphOptions& options)
      : df_(df),
        options_(options),
        refs_(df),
        g_(df.storage == nullptr ? nullptr : df.storage->region()) {}

  absl::StatusOr<Graph> Build();

 private:
  // Appends stage `s` and its nodes to g_.
  void AddStage(const ins::Stage& s);
  // Appends node `c` of stage `s` to g_ as node `id`; `parent` is the previous node in the stage
  // or -1. Inlined into AddStage's loop: as a call, saving and restoring its registers was ~15% of
  // the graph's instructions.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void AddNode(const ins::Stage& s, const ins::Command& c, int id,
                                            int parent);
  // What node `c` (the one being added) reads: its stage keys (appended to its deps), the stages
  // its stage depends on (stage_deps_) and its context paths.
  void AddReads(const ins::Stage& s, const ins::Command& c);
  // Drops the stages (and their nodes) that `needed` says the target does not need, renumbering
  // the nodes that stay. Their pool entries stay behind, unreferenced.
  void Prune(const std::vector<bool>& needed);

  const ins::Dockerfile& df_;
  const GraphOptions& options_;
  const StageRefs refs_;
  Graph g_;
  std::vector<int> last_node_;        // by stage index: the stage's final node id
  std::vector<int> stage_deps_;       // scratch, per stage: the stages it reads
  std::vector<int> node_stage_deps_;  // scratch, per node: the stages it reads
  // The last command's build args and their range in the pool: consecutive commands often share
  // one span (every RUN in a row sees the same ARGs), and then share the range too.
  ins::BuildArgs last_args_;
  Range<BuildArg> last_args_range_;
  // paths_ entries that are made strings, whose views are set once chars_ stops growing.
  struct MadePath {
    uint32_t index;   // in paths_
    uint32_t offset;  // in chars_
    uint32_t size;
  };
  std::vector<MadePath> made_paths_;
};

inline void GraphBuilder::AddNode(const ins::Stage& s, const ins::Command& c, int id, int parent) {
  Node& node = g_.nodes.emplace_back();
  node.id = id;
  node.stage = s.index;
  node.command = &c;

  if (c.args_used.data() != last_args_.data() || c.args_used.size() != last_args_.size()) {
    const size_t args_begin = g_.build_args_.size();
    for (const auto& kv : c.args_used) {  // sorted by name, as the key wants them
      absl::string_view name = kv.first;
      if (!ins::IsProxyArg(name)) g_.build_args_.push_back(BuildArg{name, kv.second});
    }
    last_args_ = c.args_used;
    last_args_range_ = RangeFrom<BuildArg>(args_begin, g_.build_args_.size());
  }
  node.cache.build_args = last_args_range_;

  Pool<int>& ints = g_.ints_;
  const size_t deps_begin = ints.size();
  if (parent >= 0) ints.push_back(parent);  // node.parent(), which is not stored
  // Only these read other stages or the context; most nodes (a RUN without mounts, ENV, ...)
  // have no reads at all, and then an empty context range and just the parent as deps (their
  // pools' sizes are not even looked at).
  const dockerfile::Instruction k = c.instruction;
  const ins::RunCmd* run =
      k == dockerfile::Instruction::kRun ? c.payload.If<ins::RunCmd>() : nullptr;
  if (k == dockerfile::Instruction::kCopy || k == dockerfile::Instruction::kAdd ||
      (run != nullptr && !run->mounts.empty()) ||
      (k == dockerfile::Instruction::kFrom && s.base_stage >= 0)) {
    const size_t paths_begin = g_.paths_.size();
    AddReads(s, c);
    node.cache.context_paths = RangeFrom<absl::string_view>(paths_begin, g_.paths_.size());
    node.deps = RangeFrom<int>(deps_begin, ints.size());
  } else {
    node.deps = Range<int>{static_cast<uint32_t>(deps_begin), parent >= 0 ? 1u : 0u};
  }
}

void GraphBuilder::AddReads(const ins::Stage& s, const ins::Command& c) {
  Pool<absl::string_view>& paths = g_.paths_;
  node_stage_deps_.clear();
  if (const auto* copy = c.payload.If<ins::CopyCmd>()) {
    absl::string_view from = copy->from;
    if (!from.empty()) {
      int d = refs_.Resolve(from, s.index);
      if (d >= 0) {
        stage_deps_.push_back(d);
        node_stage_deps_.push_back(d);
      }  // else an image: no context, no stage
    } else {
      for (absl::string_view src : copy->sources) {
        if (absl::StartsWith(src, "http://") || absl::StartsWith(src, "https://")) continue;
        paths.push_back(src);
      }
      for (absl::string_view e : copy->excludes) {
        made_paths_.push_back({static_cast<uint32_t>(paths.size()),
                               static_cast<uint32_t>(g_.chars_.size()),
                               static_cast<uint32_t>(1 + e.size())});
        paths.emplace_back();  // set once chars_ stops growing, see made_paths_
        g_.chars_.push_back('!');
        g_.chars_.insert(g_.chars_.end(), e.begin(), e.end());
      }
    }
  } else if (const auto* run = c.payload.If<ins::RunCmd>()) {
    for (const auto& m : run->mounts) {
      absl::string_view from = m.from;
      const int d = from.empty() ? -1 : refs_.Resolve(from, s.index);
      if (d >= 0) stage_deps_.push_back(d);  // a stage dependency whatever the mount type
      if (m.type != ins::Mount::Type::kBind) continue;
      if (d >= 0) {
        node_stage_deps_.push_back(d);
      } else if (from.empty()) {
        absl::string_view source = m.source;
        paths.push_back(source.empty() ? absl::string_view(".") : source);
      }
    }
  } else if (s.base_stage >= 0 && c.payload.Is<ins::FromCmd>()) {
    node_stage_deps_.push_back(s.base_stage);
  }
  if (node_stage_deps_.size() > 1) {
    std::sort(node_stage_deps_.begin(), node_stage_deps_.end());
    node_stage_deps_.erase(std::unique(node_stage_deps_.begin(), node_stage_deps_.end()),
                           node_stage_deps_.end());
  }
  for (int d : node_stage_deps_) g_.ints_.push_back(last_node_[d]);
}

void GraphBuilder::AddStage(const ins::Stage& s) {
  Stage& st = g_.stages.emplace_back();
  st.index = s.index;
  st.name = s.name;
  st.base = s.base_name;
  st.base_stage = s.base_stage;
  st.platform = s.platform;
  stage_deps_.clear();
  if (s.base_stage >= 0) stage_deps_.push_back(s.base_stage);
  const int first_id = static_cast<int>(g_.nodes.size());
  int parent = -1;
  for (const auto& c : s.commands) {
    const int id = static_cast<int>(g_.nodes.size());
    AddNode(s, c, id, parent);
    parent = id;
  }
  last_node_[s.index] = parent;
  Pool<int>& ints = g_.ints_;
  size_t begin = ints.size();
  for (int id = first_id; id <= parent; ++id) ints.push_back(id);
  st.nodes = RangeFrom<int>(begin, ints.size());

  std::sort(stage_deps_.begin(), stage_deps_.end());
  stage_deps_.erase(std::unique(stage_deps_.begin(), stage_deps_.end()), stage_deps_.end());
  begin = ints.size();
  for (int d : stage_deps_) {
    ints.push_back(d);
    st.level = std::max(st.level, g_.stages[d].level + 1);  // stages [0, s.index] are all here
  }
  st.depends_on_stages = RangeFrom<int>(begin, ints.size());
}

void GraphBuilder::Prune(const std::vector<bool>& needed) {
  std::vector<int> new_id(g_.nodes.size(), -1);
  int next = 0;
  for (const Node& n : g_.nodes) {
    if (needed[n.stage]) new_id[n.id] = next++;
  }
  auto renumber = [&](Range<int> r) {
    for (uint32_t i = r.offset; i < r.offset + r.count; ++i) g_.ints_[i] = new_id[g_.ints_[i]];
  };
  size_t kept = 0;
  for (const Node& n : g_.nodes) {
    if (!needed[n.stage]) continue;
    Node& out = g_.nodes[kept++];
    out = n;
    out.id = new_id[n.id];
    renumber(out.deps);  // the parent (id - 1, stages keep their nodes in order) and stage keys
  }
  g_.nodes.resize(kept);
  kept = 0;
  for (const Stage& s : g_.stages) {
    if (!needed[s.index]) continue;
    Stage& out = g_.stages[kept++];
    out = s;
    renumber(out.nodes);
  }
  g_.stages.resize(kept);
}

absl::StatusOr<Graph> GraphBuilder::Build() {
  const int n_stages = static_cast<int>(df_.stages.size());
  if (n_stages == 0) return absl::InvalidArgumentError("the Dockerfile has no stages");
  int target = n_stages - 1;
  if (!options_.target.empty()) {
    target = refs_.Find(options_.target);
    if (target < 0) {
      std::vector<std::string> names;
      for (const auto& s : df_.stages) {
        absl::string_view name = s.name;
        names.push_back(name.empty() ? absl::StrCat(s.index) : std::string(name));
      }
      return absl::InvalidArgumentError(absl::StrCat("target stage `", options_.target,
                                                     "` not found; stages: ",
                                                     absl::StrJoin(names, ", ")));
    }
  }
  g_.dockerfile = options_.dockerfile_name;
  g_.target_stage = target;
  g_.total_stages = n_stages;
  for (absl::string_view a : df_.unused_build_args) g_.unused_build_args.push_back(a);

  // Stages after the target are never needed: stages only read earlier ones.
  size_t n_nodes = 0;
  for (int i = 0; i <= target; ++i) n_nodes += df_.stages[i].commands.size();
  g_.stages.reserve(target + 1);
  g_.nodes.reserve(n_nodes);
  // Each node's id in its stage's list and its parent, and room for stage dependencies; the pools
  // may still grow (ranges are offsets), just not for the usual Dockerfile.
  g_.ints_.reserve(2 * n_nodes + 4 * (target + 1));
  g_.build_args_.reserve(n_nodes);
  g_.paths_.reserve(n_nodes / 4 + 16);
  last_node_.assign(n_stages, -1);
  for (int i = 0; i <= target; ++i) AddStage(df_.stages[i]);
  for (const MadePath& m : made_paths_) {
    g_.paths_[m.index] = absl::string_view(g_.chars_.data() + m.offset, m.size);
  }

  // Stages the target needs: one reverse pass suffices.
  std::vector<bool> needed(target + 1, false);
  needed[target] = true;
  bool all = true;
  for (int i = target; i >= 0; --i) {
    if (!needed[i]) {
      all = false;
      continue;
    }
    for (int d : g_.Get(g_.stages[i].depends_on_stages)) needed[d] = true;
  }
  if (!all) Prune(needed);
  return std::move(g_);
}

absl::StatusOr<Graph> BuildGraph(const instructions::Dockerfile& df, const GraphOptions& options) {
  return GraphBuilder(df, options).Build();
}

}  // namespace builder::graph
