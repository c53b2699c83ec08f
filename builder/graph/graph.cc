#include "builder/graph/graph.h"

// SHA256_* rather than EVP, as oci::Sha256: see Sha256Hex, oci/digest.cc and
// //third_party:libcrypto_sha256.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"

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
      if (!s.name.empty()) by_name_.emplace(s.name, s.index);  // the first one wins, as FindStage
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
  absl::flat_hash_map<std::string, int> by_name_;
};

// sha256 of `data` as "sha256:<hex>" written into `out`, the same value as
// oci::Digest::Of(data).str(). OpenSSL's low-level SHA256_* calls go straight to the
// block function (SHA-NI where the CPU has it); the EVP interface costs more than hashing the
// ~160 bytes of a typical key (provider dispatch and an EVP_MD_CTX allocation per call: measured
// 0.78 ms against 0.51 ms for 4,200 keys). They are deprecated in OpenSSL 3, hence the define.
void Sha256Hex(absl::string_view data, std::string* out) {
  unsigned char raw[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(raw, &ctx) != 1) {
    std::abort();  // as oci::Sha256: no correct digest is possible
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->resize(7 + 64);
  char* p = &(*out)[0];
  std::memcpy(p, "sha256:", 7);
  for (unsigned i = 0; i < 32; ++i) {
    p[7 + 2 * i] = kHex[raw[i] >> 4];
    p[8 + 2 * i] = kHex[raw[i] & 15];
  }
}

// Length-prefixed fields so that no two input sets serialise alike. `args` are the build args
// sorted by name. `buf` is scratch space, reused across calls. The key goes to `key`.
void ComputeKey(const CacheInputs& c,
                const std::vector<const std::pair<const std::string, std::string>*>& args,
                std::vector<char>* buf, std::string* key) {
  // Each field is `tag:len:value\n`: at most 11 (tag) + 2 + 20 (len) + 1 bytes around its value.
  constexpr size_t kOverhead = 34;
  size_t need = 3 * kOverhead + c.parent_key().size() + c.instruction().size() +
                c.context_digest().size();
  for (const auto* kv : args) need += 2 * kOverhead + kv->first.size() + kv->second.size();
  for (const std::string& p : c.context_paths()) need += kOverhead + p.size();
  for (const std::string& k : c.stage_keys()) need += kOverhead + k.size();
  if (buf->size() < need) buf->resize(need);
  char* out = buf->data();
  auto put = [&out](absl::string_view tag, absl::string_view v) {
    std::memcpy(out, tag.data(), tag.size());
    out += tag.size();
    *out++ = ':';
    out = absl::numbers_internal::FastIntToBuffer(static_cast<uint64_t>(v.size()), out);
    *out++ = ':';
    if (!v.empty()) std::memcpy(out, v.data(), v.size());
    out += v.size();
    *out++ = '\n';
  };
  put("parent", c.parent_key());
  put("instruction", c.instruction());
  for (const auto* kv : args) {
    put("arg", kv->first);
    put("value", kv->second);
  }
  for (const std::string& p : c.context_paths()) put("context", p);
  for (const std::string& k : c.stage_keys()) put("stage", k);
  put("content", c.context_digest());
  Sha256Hex(absl::string_view(buf->data(), out - buf->data()), key);
}

// JSON exactly as protobuf's MessageToJsonString prints a Graph with add_whitespace,
// preserve_proto_field_names and always_print_primitive_fields (graph_test compares the two), but
// written directly: protobuf's converter serialises the message, re-parses it through type
// reflection and builds a tree of default-value nodes, which took ~70 ms for 4,000 nodes.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Begin(nullptr, '{'); }
  void BeginObject(absl::string_view name) { Begin(&name, '{'); }
  void EndObject() { End('}'); }
  void BeginList(absl::string_view name) { Begin(&name, '['); }
  void EndList() { End(']'); }
  void Field(absl::string_view name, absl::string_view value) {
    Key(name);
    String(value);
  }
  void Field(absl::string_view name, int32_t value) {
    Key(name);
    absl::StrAppend(out_, value);
  }
  void Field(absl::string_view name, bool value) {
    Key(name);
    out_->append(value ? "true" : "false");
  }
  template <typename T>
  void List(absl::string_view name, const T& items) {
    BeginList(name);
    for (const auto& item : items) {
      Element();
      Value(item);
    }
    EndList();
  }
  void Finish() { out_->push_back('\n'); }

 private:
  void Value(int32_t v) { absl::StrAppend(out_, v); }
  void Value(const std::string& v) { String(v); }

  // A new element at the current level: separator, newline and indentation.
  void Element() {
    if (first_.empty()) return;
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
    NewLine(first_.size());
  }
  void NewLine(size_t indent) {
    static constexpr char kLine[] = "\n                                ";
    if (indent + 1 < sizeof(kLine)) {
      out_->append(kLine, indent + 1);
    } else {
      out_->push_back('\n');
      out_->append(indent, ' ');
    }
  }
  // A new member: the element, then `"name": `.
  void Key(absl::string_view name) {
    Element();
    String(name);
    out_->append(": ");
  }
  void Begin(const absl::string_view* name, char open) {
    if (name != nullptr) {
      Key(*name);
    } else {
      Element();
    }
    out_->push_back(open);
    first_.push_back(true);
  }
  void End(char close) {
    bool empty = first_.back();
    first_.pop_back();
    if (!empty) NewLine(first_.size());
    out_->push_back(close);
  }
  void String(absl::string_view s);

  std::string* out_;
  std::vector<char> first_;  // per open object/list: no element written yet
};

// protobuf's JsonEscaping::Escape: `"` `\` `<` `>`, C0/C1 controls and DEL, and a few invisible
// or separator code points are escaped (as \uXXXX, supplementary ones as surrogate pairs); other
// valid UTF-8 is copied. An invalid sequence is dropped together with the byte that showed it
// invalid, as is a truncated one at the end; overlong forms are decoded.
void JsonWriter::String(absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Bytes that end a run of plain characters: controls, DEL, non-ASCII, `"` `<` `>` `\`.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
      t[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\';
    }
    return t;
  }();
  std::string& out = *out_;
  out.push_back('"');
  auto hex4 = [&out](uint32_t v) {
    char b[6] = {'\\', 'u', kHex[(v >> 12) & 15], kHex[(v >> 8) & 15], kHex[(v >> 4) & 15],
                 kHex[v & 15]};
    out.append(b, 6);
  };
  // Appends the escaped form of `cp` and returns true, or returns false if it needs none.
  auto escape = [&](uint32_t cp) {
    if (cp < 0xa0) {
      switch (cp) {
        case '"': out.append("\\\""); return true;
        case '\\': out.append("\\\\"); return true;
        case '\b': out.append("\\b"); return true;
        case '\t': out.append("\\t"); return true;
        case '\n': out.append("\\n"); return true;
        case '\f': out.append("\\f"); return true;
        case '\r': out.append("\\r"); return true;
        default:
          if (cp < 0x20 || cp >= 0x7f || cp == '<' || cp == '>') {
            hex4(cp);
            return true;
          }
          return false;
      }
    }
    if (cp == 0xfeff || cp == 0xfff9 || cp == 0xfffa || cp == 0xfffb || cp == 0x00ad ||
        cp == 0x06dd || cp == 0x070f || cp == 0x17b4 || cp == 0x17b5 ||
        (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
        (cp >= 0x206a && cp <= 0x206f)) {
      hex4(cp);
      return true;
    }
    if (cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f)) {
      hex4(((cp - 0x10000) >> 10) + 0xd800);
      hex4(((cp - 0x10000) & 0x3ff) + 0xdc00);
      return true;
    }
    return false;
  };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Copy the run of characters that need nothing.
    size_t run = i;
    while (run < n && !kSpecial[static_cast<unsigned char>(s[run])]) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      escape(c);  // always needed here
      continue;
    }
    // A multi-byte sequence (protobuf's ReadCodePoint).
    uint32_t cp;
    int left;
    if (c <= 0xbf) {
      ++i;  // a stray continuation byte: dropped
      continue;
    } else if (c <= 0xdf) {
      cp = c & 0x1f;
      left = 1;
    } else if (c <= 0xef) {
      cp = c & 0x0f;
      left = 2;
    } else if (c <= 0xf7) {
      cp = c & 0x07;
      left = 3;
    } else {
      ++i;
      continue;
    }
    size_t start = i++;
    bool ok = true;
    while (left > 0 && i < n) {
      unsigned char ch = static_cast<unsigned char>(s[i++]);
      --left;
      cp = (cp << 6) | (ch & 0x3f);
      if (ch < 0x80 || ch > 0xbf) {
        ok = false;
        break;
      }
    }
    if (!ok || left > 0) continue;                               // invalid or truncated: dropped
    if ((cp & 0xfffff800) == 0xd800 || cp > 0x10ffff) continue;  // surrogate or out of range
    if (!escape(cp)) out.append(s.data() + start, i - start);
  }
  out.push_back('"');
}

std::string DotQuote(absl::string_view s) {
  return "\"" + absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}) + "\"";
}

}  // namespace

namespace {

// Fills the empty `g` (on an arena or not). With `steal` (BuildGraph(Dockerfile&&)), each
// command's `expanded` and `original` are moved into its node instead of copied.
absl::Status BuildGraphInto(const ins::Dockerfile& df, const GraphOptions& options, Graph& g,
                            bool steal) {
  const int n_stages = static_cast<int>(df.stages.size());
  int target = n_stages - 1;
  const StageRefs refs(df);
  if (!options.target.empty()) {
    target = refs.Find(options.target);
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
          int d = refs.Resolve(copy->from, s.index);
          if (d >= 0) deps[s.index].insert(d);
        }
      } else if (const auto* run = std::get_if<ins::RunCmd>(&c.payload)) {
        for (const auto& m : run->mounts) {
          if (m.from.empty()) continue;
          int d = refs.Resolve(m.from, s.index);
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

  g.set_dockerfile(options.dockerfile_name);
  g.set_target_stage(target);
  g.set_total_stages(n_stages);
  for (const std::string& a : df.unused_build_args) g.add_unused_build_args(a);
  std::vector<int> last_node(n_stages, -1);
  std::vector<std::string> last_key(n_stages);
  int next_id = 0;
  {
    int n_nodes = 0, n_needed = 0;
    for (const auto& s : df.stages) {
      if (!needed[s.index]) continue;
      ++n_needed;
      n_nodes += static_cast<int>(s.commands.size());
    }
    g.mutable_stages()->Reserve(n_needed);
    g.mutable_nodes()->Reserve(n_nodes);
  }
  std::vector<char> key_buf;
  std::vector<const std::pair<const std::string, std::string>*> key_args;
  std::vector<int> node_stage_deps;  // sorted and unique before use
  std::vector<std::string> context_paths;
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
    st->mutable_nodes()->Reserve(static_cast<int>(s.commands.size()));
    const std::string* parent_key = nullptr;  // the previous node's key (nodes do not move)
    int parent_id = -1;
    for (const auto& c : s.commands) {
      Node* node = g.add_nodes();
      node->set_id(next_id++);
      node->set_stage(s.index);
      node->set_kind(c.name);
      CacheInputs* cache = node->mutable_cache();
      cache->set_instruction(c.expanded);
      if (steal) {  // the caller gave `df` away: it is not const
        auto& owned = const_cast<ins::Command&>(c);
        node->set_expanded(std::move(owned.expanded));
        node->set_original(std::move(owned.original));
      } else {
        node->set_expanded(c.expanded);
        node->set_original(c.original);
      }
      node->set_start_line(c.start_line);
      node->set_end_line(c.end_line);
      if (parent_key != nullptr) cache->set_parent_key(*parent_key);
      key_args.clear();  // args_used is sorted by name, as the key wants them
      for (const auto& kv : c.args_used) {
        if (!ins::IsProxyArg(kv.first)) {
          (*cache->mutable_build_args())[kv.first] = kv.second;
          key_args.push_back(&kv);
        }
      }
      node_stage_deps.clear();
      context_paths.clear();
      if (parent_id >= 0) node->add_deps(parent_id);
      if (c.name == "FROM" && s.base_stage >= 0) node_stage_deps.push_back(s.base_stage);
      if (const auto* copy = std::get_if<ins::CopyCmd>(&c.payload)) {
        node->set_creates_layer(true);
        int d = copy->from.empty() ? -1 : refs.Resolve(copy->from, s.index);
        if (d >= 0) {
          node_stage_deps.push_back(d);
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
          int d = m.from.empty() ? -1 : refs.Resolve(m.from, s.index);
          if (d >= 0) {
            node_stage_deps.push_back(d);
          } else if (m.from.empty()) {
            context_paths.push_back(m.source.empty() ? "." : m.source);
          }
        }
      }
      if (node_stage_deps.size() > 1) {
        std::sort(node_stage_deps.begin(), node_stage_deps.end());
        node_stage_deps.erase(std::unique(node_stage_deps.begin(), node_stage_deps.end()),
                              node_stage_deps.end());
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
      ComputeKey(*cache, key_args, &key_buf, cache->mutable_key());
      parent_key = &cache->key();
      parent_id = node->id();
      st->add_nodes(node->id());
    }
    last_node[s.index] = parent_id;
    if (parent_key != nullptr) last_key[s.index] = *parent_key;
    if (steal) {
      // Nothing reads this stage's commands again (stage references use names and indexes):
      // free them now, so that the next stages' nodes reuse the memory instead of new pages.
      std::vector<ins::Command>().swap(const_cast<ins::Stage&>(s).commands);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Graph> BuildGraph(const ins::Dockerfile& df, const GraphOptions& options) {
  Graph g;
  RETURN_IF_ERROR(BuildGraphInto(df, options, g, /*steal=*/false));
  return g;
}

namespace {

absl::StatusOr<Graph*> BuildOnArena(const ins::Dockerfile& df, const GraphOptions& options,
                                    google::protobuf::Arena* arena, bool steal) {
  Graph* g = google::protobuf::Arena::CreateMessage<Graph>(arena);
  absl::Status s = BuildGraphInto(df, options, *g, steal);
  if (!s.ok()) {
    if (arena == nullptr) delete g;
    return s;
  }
  return g;
}

}  // namespace

absl::StatusOr<Graph*> BuildGraph(const ins::Dockerfile& df, const GraphOptions& options,
                                  google::protobuf::Arena* arena) {
  return BuildOnArena(df, options, arena, /*steal=*/false);
}

absl::StatusOr<Graph*> BuildGraph(ins::Dockerfile&& df, const GraphOptions& options,
                                  google::protobuf::Arena* arena) {
  return BuildOnArena(df, options, arena, /*steal=*/true);
}

google::protobuf::ArenaOptions GraphArenaOptions() {
  google::protobuf::ArenaOptions o;
  o.start_block_size = 8 << 10;
  o.max_block_size = 64 << 10;
  return o;
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
  out.reserve(256 + 700 * static_cast<size_t>(g.nodes_size()) + 300 * g.stages_size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("dockerfile", g.dockerfile());
  w.Field("target_stage", g.target_stage());
  w.BeginList("stages");
  for (const Stage& s : g.stages()) {
    w.BeginObject();
    w.Field("index", s.index());
    w.Field("name", s.name());
    w.Field("base", s.base());
    w.Field("base_stage", s.base_stage());
    w.Field("platform", s.platform());
    w.List("nodes", s.nodes());
    w.List("depends_on_stages", s.depends_on_stages());
    w.Field("level", s.level());
    w.EndObject();
  }
  w.EndList();
  w.BeginList("nodes");
  std::vector<const google::protobuf::MapPair<std::string, std::string>*> args;
  for (const Node& n : g.nodes()) {
    w.BeginObject();
    w.Field("id", n.id());
    w.Field("stage", n.stage());
    w.Field("kind", n.kind());
    w.Field("expanded", n.expanded());
    w.Field("original", n.original());
    w.Field("start_line", n.start_line());
    w.Field("end_line", n.end_line());
    w.List("deps", n.deps());
    if (n.has_cache()) {
      const CacheInputs& c = n.cache();
      w.BeginObject("cache");
      w.Field("parent_key", c.parent_key());
      w.Field("instruction", c.instruction());
      // Map entries sorted by key (protobuf prints them in its hash map's order).
      args.clear();
      for (const auto& kv : c.build_args()) args.push_back(&kv);
      std::sort(args.begin(), args.end(), [](const auto* a, const auto* b) {
        return a->first < b->first;
      });
      w.BeginObject("build_args");
      for (const auto* kv : args) w.Field(kv->first, kv->second);
      w.EndObject();
      w.List("context_paths", c.context_paths());
      w.List("stage_keys", c.stage_keys());
      w.Field("context_digest", c.context_digest());
      w.Field("key", c.key());
      w.EndObject();
    }
    w.Field("creates_layer", n.creates_layer());
    w.EndObject();
  }
  w.EndList();
  w.List("unused_build_args", g.unused_build_args());
  w.List("warnings", g.warnings());
  w.Field("total_stages", g.total_stages());
  w.EndObject();
  w.Finish();
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
