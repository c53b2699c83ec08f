#include "builder/graph/format.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace builder::graph {
namespace {

// JSON exactly as protobuf's MessageToJsonString prints a Graph with add_whitespace,
// preserve_proto_field_names and always_print_primitive_fields (format_test compares the two), but
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
  void Value(absl::string_view v) { String(v); }

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

std::string FormatText(const Graph& g, const Keys& keys) {
  std::string out;
  absl::StrAppend(&out, "# ", g.dockerfile, ": ", g.stages.size(), " of ", g.total_stages,
                  " stages needed for target stage ", g.target_stage, "\n");
  for (absl::string_view a : g.unused_build_args) {
    absl::StrAppend(&out, "# warning: build arg ", a, " was not consumed\n");
  }
  for (const Stage& s : g.stages) {
    absl::StrAppend(&out, "stage ", s.index);
    if (!s.name.empty()) absl::StrAppend(&out, " (", s.name, ")");
    absl::StrAppend(&out, " level ", s.level, " from ", s.base);
    if (!s.platform.empty()) absl::StrAppend(&out, " [", s.platform, "]");
    if (s.depends_on_stages.count > 0) {
      absl::StrAppend(&out, " needs stages ", absl::StrJoin(g.Get(s.depends_on_stages), ","));
    }
    out += "\n";
    for (int id : g.Get(s.nodes)) {
      const Node& n = g.nodes[id];
      absl::string_view first_line = n.expanded().substr(0, n.expanded().find('\n'));
      absl::StrAppend(&out, "  #", n.id, " line ", n.start_line(), ": ", first_line, "\n");
      absl::StrAppend(&out, "     key ", keys.key(id).substr(0, 19), "…");
      if (n.cache.build_args.count > 0) {
        absl::StrAppend(&out, " args ");
        const char* sep = "";
        for (const BuildArg& a : g.Get(n.cache.build_args)) {
          absl::StrAppend(&out, sep, a.name, "=", a.value);
          sep = ",";
        }
      }
      if (n.cache.context_paths.count > 0) {
        absl::StrAppend(&out, " context ", absl::StrJoin(g.Get(n.cache.context_paths), ","));
      }
      if (n.deps.count > 1) absl::StrAppend(&out, " after #", absl::StrJoin(g.Get(n.deps), ",#"));
      out += "\n";
    }
  }
  return out;
}

std::string FormatJson(const Graph& g, const Keys& keys) {
  std::string out;
  out.reserve(256 + 700 * g.nodes.size() + 300 * g.stages.size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("dockerfile", g.dockerfile);
  w.Field("target_stage", g.target_stage);
  w.BeginList("stages");
  for (const Stage& s : g.stages) {
    w.BeginObject();
    w.Field("index", s.index);
    w.Field("name", s.name);
    w.Field("base", s.base);
    w.Field("base_stage", s.base_stage);
    w.Field("platform", s.platform);
    w.List("nodes", g.Get(s.nodes));
    w.List("depends_on_stages", g.Get(s.depends_on_stages));
    w.Field("level", s.level);
    w.EndObject();
  }
  w.EndList();
  w.BeginList("nodes");
  std::vector<absl::string_view> stage_keys;
  for (const Node& n : g.nodes) {
    w.BeginObject();
    w.Field("id", n.id);
    w.Field("stage", n.stage);
    w.Field("kind", n.kind());
    w.Field("expanded", n.expanded());
    w.Field("original", n.original());
    w.Field("start_line", n.start_line());
    w.Field("end_line", n.end_line());
    w.List("deps", g.Get(n.deps));
    const CacheInputs& c = n.cache;
    w.BeginObject("cache");
    w.Field("parent_key", n.parent() >= 0 ? keys.key(n.parent()) : absl::string_view());
    w.Field("instruction", n.expanded());
    // Sorted by name already, as protobuf prints map entries.
    w.BeginObject("build_args");
    for (const BuildArg& a : g.Get(c.build_args)) w.Field(a.name, a.value);
    w.EndObject();
    w.List("context_paths", g.Get(c.context_paths));
    stage_keys.clear();
    for (int id : g.Get(n.stage_keys())) stage_keys.push_back(keys.key(id));
    w.List("stage_keys", stage_keys);
    w.Field("context_digest", keys.context_digest(n.id));
    w.Field("key", keys.key(n.id));
    w.EndObject();
    w.Field("creates_layer", n.creates_layer());
    w.EndObject();
  }
  w.EndList();
  w.List("unused_build_args", g.unused_build_args);
  w.List("warnings", g.warnings);
  w.Field("total_stages", g.total_stages);
  w.EndObject();
  w.Finish();
  return out;
}

std::string FormatDot(const Graph& g) {
  std::string out = "digraph slipway {\n  rankdir=TB;\n  node [shape=box, fontname=monospace];\n";
  for (const Stage& s : g.stages) {
    std::string label = absl::StrCat("stage ", s.index);
    if (!s.name.empty()) absl::StrAppend(&label, " ", s.name);
    absl::StrAppend(&label, " (level ", s.level, ")");
    absl::StrAppend(&out, "  subgraph cluster_", s.index, " {\n    label=", DotQuote(label),
                    ";\n");
    for (int id : g.Get(s.nodes)) {
      const Node& n = g.nodes[id];
      std::string label(n.expanded().substr(0, n.expanded().find('\n')));
      if (label.size() > 60) label = label.substr(0, 57) + "...";
      absl::StrAppend(&out, "    n", id, " [label=", DotQuote(label), "];\n");
    }
    out += "  }\n";
  }
  for (const Node& n : g.nodes) {
    for (int d : g.Get(n.deps)) absl::StrAppend(&out, "  n", d, " -> n", n.id, ";\n");
  }
  out += "}\n";
  return out;
}

}  // namespace builder::graph
