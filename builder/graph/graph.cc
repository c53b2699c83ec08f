#include "builder/graph/graph.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "oci/digest.h"

namespace builder::graph {
namespace {

namespace ins = builder::instructions;

// Resolves a `--from` / `from=` reference to an earlier stage index, or -1 for an image.
int ResolveStageRef(const ins::Dockerfile& df, const std::string& ref, int current) {
  int idx = ins::FindStage(df, ref);
  return idx >= 0 && idx < current ? idx : -1;
}

std::string ComputeKey(const CacheInputs& c) {
  // Length-prefixed fields so that no two input sets serialise alike.
  std::string buf;
  auto put = [&buf](absl::string_view tag, absl::string_view v) {
    absl::StrAppend(&buf, tag, ":", v.size(), ":", v, "\n");
  };
  put("parent", c.parent_key());
  put("instruction", c.instruction());
  std::map<std::string, std::string> args(c.build_args().begin(), c.build_args().end());
  for (const auto& [k, v] : args) {
    put("arg", k);
    put("value", v);
  }
  for (const std::string& p : c.context_paths()) put("context", p);
  for (const std::string& s : c.stage_keys()) put("stage", s);
  put("content", c.context_digest());
  return oci::Digest::Of(buf).str();
}

std::string DotQuote(absl::string_view s) {
  return "\"" + absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}) + "\"";
}

}  // namespace

absl::StatusOr<Graph> BuildGraph(const ins::Dockerfile& df, const GraphOptions& options) {
  const int n_stages = static_cast<int>(df.stages.size());
  int target = n_stages - 1;
  if (!options.target.empty()) {
    target = ins::FindStage(df, options.target);
    if (target < 0) {
      std::vector<std::string> names;
      for (const auto& s : df.stages) names.push_back(s.name.empty() ? absl::StrCat(s.index) : s.name);
      return absl::InvalidArgumentError(absl::StrCat("target stage `", options.target,
                                                     "` not found; stages: ",
                                                     absl::StrJoin(names, ", ")));
    }
  }

  // Stage dependencies.
  std::vector<std::set<int>> deps(n_stages);
  for (const auto& s : df.stages) {
    if (s.base_stage >= 0) deps[s.index].insert(s.base_stage);
    for (const auto& c : s.commands) {
      if (const auto* copy = std::get_if<ins::CopyCmd>(&c.payload)) {
        if (!copy->from.empty()) {
          int d = ResolveStageRef(df, copy->from, s.index);
          if (d >= 0) deps[s.index].insert(d);
        }
      } else if (const auto* run = std::get_if<ins::RunCmd>(&c.payload)) {
        for (const auto& m : run->mounts) {
          if (m.from.empty()) continue;
          int d = ResolveStageRef(df, m.from, s.index);
          if (d >= 0) deps[s.index].insert(d);
        }
      }
    }
  }
  // Stages the target needs (dependencies always point backwards, so one reverse pass suffices).
  std::vector<bool> needed(n_stages, false);
  needed[target] = true;
  for (int i = target; i >= 0; --i) {
    if (!needed[i]) continue;
    for (int d : deps[i]) needed[d] = true;
  }
  std::vector<int> level(n_stages, 0);
  for (int i = 0; i < n_stages; ++i) {
    for (int d : deps[i]) level[i] = std::max(level[i], level[d] + 1);
  }

  Graph g;
  g.set_dockerfile(options.dockerfile_name);
  g.set_target_stage(target);
  g.set_total_stages(n_stages);
  for (const std::string& a : df.unused_build_args) g.add_unused_build_args(a);
  std::vector<int> last_node(n_stages, -1);
  std::vector<std::string> last_key(n_stages);
  int next_id = 0;
  for (const auto& s : df.stages) {
    if (!needed[s.index]) continue;
    Stage* st = g.add_stages();
    st->set_index(s.index);
    st->set_name(s.name);
    st->set_base(s.base_name);
    st->set_base_stage(s.base_stage);
    st->set_platform(s.platform);
    st->set_level(level[s.index]);
    for (int d : deps[s.index]) st->add_depends_on_stages(d);
    std::string parent_key;
    int parent_id = -1;
    for (const auto& c : s.commands) {
      Node* node = g.add_nodes();
      node->set_id(next_id++);
      node->set_stage(s.index);
      node->set_kind(c.name);
      node->set_expanded(c.expanded);
      node->set_original(c.original);
      node->set_start_line(c.start_line);
      node->set_end_line(c.end_line);
      CacheInputs* cache = node->mutable_cache();
      cache->set_parent_key(parent_key);
      cache->set_instruction(c.expanded);
      for (const auto& [k, v] : c.args_used) {
        if (!ins::IsProxyArg(k)) (*cache->mutable_build_args())[k] = v;
      }
      std::set<int> node_stage_deps;
      std::vector<std::string> context_paths;
      if (parent_id >= 0) node->add_deps(parent_id);
      if (c.name == "FROM" && s.base_stage >= 0) node_stage_deps.insert(s.base_stage);
      if (const auto* copy = std::get_if<ins::CopyCmd>(&c.payload)) {
        node->set_creates_layer(true);
        int d = copy->from.empty() ? -1 : ResolveStageRef(df, copy->from, s.index);
        if (d >= 0) {
          node_stage_deps.insert(d);
        } else if (copy->from.empty()) {
          for (const std::string& src : copy->sources) {
            if (absl::StartsWith(src, "http://") || absl::StartsWith(src, "https://")) continue;
            context_paths.push_back(src);
          }
          for (const std::string& e : copy->excludes) context_paths.push_back("!" + e);
        }
      } else if (const auto* run = std::get_if<ins::RunCmd>(&c.payload)) {
        node->set_creates_layer(true);
        for (const auto& m : run->mounts) {
          if (m.type != ins::Mount::Type::kBind) continue;
          int d = m.from.empty() ? -1 : ResolveStageRef(df, m.from, s.index);
          if (d >= 0) {
            node_stage_deps.insert(d);
          } else if (m.from.empty()) {
            context_paths.push_back(m.source.empty() ? "." : m.source);
          }
        }
      }
      for (int d : node_stage_deps) {
        node->add_deps(last_node[d]);
        cache->add_stage_keys(last_key[d]);
      }
      for (const std::string& p : context_paths) cache->add_context_paths(p);
      if (!context_paths.empty() && options.context_hasher) {
        absl::StatusOr<std::string> digest = options.context_hasher(context_paths);
        if (!digest.ok()) {
          return base::Annotate(digest.status(),
                                absl::StrCat(options.dockerfile_name, ":", c.start_line,
                                             ": hashing context for ", c.name));
        }
        cache->set_context_digest(*digest);
      }
      cache->set_key(ComputeKey(*cache));
      parent_key = cache->key();
      parent_id = node->id();
      st->add_nodes(node->id());
    }
    last_node[s.index] = parent_id;
    last_key[s.index] = parent_key;
  }
  return g;
}

std::string FormatText(const Graph& g) {
  std::string out;
  absl::StrAppend(&out, "# ", g.dockerfile(), ": ", g.stages_size(), " of ", g.total_stages(),
                  " stages needed for target stage ", g.target_stage(), "\n");
  for (const std::string& a : g.unused_build_args()) {
    absl::StrAppend(&out, "# warning: build arg ", a, " was not consumed\n");
  }
  for (const Stage& s : g.stages()) {
    absl::StrAppend(&out, "stage ", s.index(), s.name().empty() ? "" : " (" + s.name() + ")",
                    " level ", s.level(), " from ", s.base(),
                    s.platform().empty() ? "" : " [" + s.platform() + "]");
    if (s.depends_on_stages_size() > 0) {
      absl::StrAppend(&out, " needs stages ", absl::StrJoin(s.depends_on_stages(), ","));
    }
    out += "\n";
    for (int id : s.nodes()) {
      const Node& n = g.nodes(id);
      std::string first_line = n.expanded().substr(0, n.expanded().find('\n'));
      absl::StrAppend(&out, "  #", n.id(), " line ", n.start_line(), ": ", first_line, "\n");
      absl::StrAppend(&out, "     key ", n.cache().key().substr(0, 19), "…");
      if (n.cache().build_args_size() > 0) {
        std::map<std::string, std::string> args(n.cache().build_args().begin(),
                                                n.cache().build_args().end());
        absl::StrAppend(&out, " args ", absl::StrJoin(args, ",", absl::PairFormatter("=")));
      }
      if (n.cache().context_paths_size() > 0) {
        absl::StrAppend(&out, " context ", absl::StrJoin(n.cache().context_paths(), ","));
      }
      if (n.deps_size() > 1) {
        absl::StrAppend(&out, " after #", absl::StrJoin(n.deps(), ",#"));
      }
      out += "\n";
    }
  }
  return out;
}

std::string FormatJson(const Graph& g) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(g, &out, opts);
  return out;
}

std::string FormatDot(const Graph& g) {
  std::string out = "digraph slipway {\n  rankdir=TB;\n  node [shape=box, fontname=monospace];\n";
  for (const Stage& s : g.stages()) {
    absl::StrAppend(&out, "  subgraph cluster_", s.index(), " {\n    label=",
                    DotQuote(absl::StrCat("stage ", s.index(),
                                          s.name().empty() ? "" : " " + s.name(), " (level ",
                                          s.level(), ")")),
                    ";\n");
    for (int id : s.nodes()) {
      const Node& n = g.nodes(id);
      std::string label = n.expanded().substr(0, n.expanded().find('\n'));
      if (label.size() > 60) label = label.substr(0, 57) + "...";
      absl::StrAppend(&out, "    n", id, " [label=", DotQuote(label), "];\n");
    }
    out += "  }\n";
  }
  for (const Node& n : g.nodes()) {
    for (int d : n.deps()) absl::StrAppend(&out, "  n", d, " -> n", n.id(), ";\n");
  }
  out += "}\n";
  return out;
}

}  // namespace builder::graph
