#include "builder/graph/to_proto.h"

#include <string>

namespace builder::graph {

namespace pb = ::slipway::builder::graph;

pb::Graph ToProto(const Graph& g, const Keys& keys) {
  pb::Graph out;
  out.set_dockerfile(g.dockerfile);
  out.set_target_stage(g.target_stage);
  out.set_total_stages(g.total_stages);
  out.mutable_stages()->Reserve(static_cast<int>(g.stages.size()));
  for (const Stage& s : g.stages) {
    pb::Stage* st = out.add_stages();
    st->set_index(s.index);
    st->set_name(std::string(s.name));
    st->set_base(std::string(s.base));
    st->set_base_stage(s.base_stage);
    st->set_platform(std::string(s.platform));
    for (int id : g.Get(s.nodes)) st->add_nodes(id);
    for (int d : g.Get(s.depends_on_stages)) st->add_depends_on_stages(d);
    st->set_level(s.level);
  }
  out.mutable_nodes()->Reserve(static_cast<int>(g.nodes.size()));
  for (const Node& n : g.nodes) {
    pb::Node* node = out.add_nodes();
    node->set_id(n.id);
    node->set_stage(n.stage);
    node->set_kind(std::string(n.kind()));
    node->set_expanded(std::string(n.expanded()));
    node->set_original(std::string(n.original()));
    node->set_start_line(n.start_line());
    node->set_end_line(n.end_line());
    for (int d : g.Get(n.deps)) node->add_deps(d);
    pb::CacheInputs* c = node->mutable_cache();
    if (n.parent() >= 0) c->set_parent_key(std::string(keys.key(n.parent())));
    c->set_instruction(std::string(n.expanded()));
    for (const BuildArg& a : g.Get(n.cache.build_args)) {
      (*c->mutable_build_args())[std::string(a.name)] = std::string(a.value);
    }
    for (absl::string_view p : g.Get(n.cache.context_paths)) c->add_context_paths(std::string(p));
    for (int id : g.Get(n.stage_keys())) c->add_stage_keys(std::string(keys.key(id)));
    c->set_context_digest(std::string(keys.context_digest(n.id)));
    c->set_key(std::string(keys.key(n.id)));
    node->set_creates_layer(n.creates_layer());
  }
  for (absl::string_view a : g.unused_build_args) out.add_unused_build_args(std::string(a));
  for (const std::string& w : g.warnings) out.add_warnings(w);
  return out;
}

}  // namespace builder::graph
