#include "builder/instructions/instructions.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "base/status_macros.h"
#include "builder/shell/lex.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {
namespace {

using dockerfile::Instruction;
using dockerfile::Node;

void AppendJsonQuoted(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// `["a","b"]`
void AppendJsonArray(Words v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonQuoted(v[i], out);
  }
  out->push_back(']');
}

// Appends `s` to `out`, quoted for the canonical text only when needed.
void AppendWord(absl::string_view s, std::string* out) {
  if (s.empty()) {
    out->append("\"\"");
    return;
  }
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '\n' || c == '\'') {
      AppendJsonQuoted(s, out);
      return;
    }
  }
  out->append(s.data(), s.size());
}

// --------------------------------------------------------------------------------------------
// Flags (BuildKit's BFlags).
enum class FlagKind { kString, kBool, kList };

struct FlagSpec {
  absl::string_view name;  // a string literal
  FlagKind kind;
};

// The flags one instruction accepts and the values it was given. Every instruction builds one and
// most are given no flags, so the values exist only once a flag is seen (until then lookups are
// answered without searching).
class Flags {
 public:
  // `spec` must outlive the Flags (a static array).
  Flags(absl::string_view instruction, absl::Span<const FlagSpec> spec)
      : instruction_(instruction), spec_(spec) {}

  absl::Status Parse(Words raw) {
    for (absl::string_view arg : raw) {
      if (!absl::StartsWith(arg, "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Arg ", shell::GoQuote(arg), " doesn't appear to be a flag"));
      }
      absl::string_view body = arg.substr(2);
      size_t eq = body.find('=');
      bool has_value = eq != absl::string_view::npos;
      absl::string_view name = has_value ? body.substr(0, eq) : body;
      absl::string_view value = has_value ? body.substr(eq + 1) : absl::string_view();
      int index = Index(name);
      if (index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag: --", name, " (", instruction_, " accepts ",
                         Accepted(), ")"));
      }
      if (values_.empty()) values_.resize(spec_.size());
      Value& val = values_[index];
      FlagKind kind = spec_[index].kind;
      if (kind == FlagKind::kBool) {
        std::string v = absl::AsciiStrToLower(value);
        if (has_value && v != "true" && v != "false") {
          return absl::InvalidArgumentError(absl::StrCat(
              "expecting boolean value for flag ", name, ", not: ", value));
        }
        if (val.has_bool) {
          return absl::InvalidArgumentError(absl::StrCat("Duplicate flag specified: ", name));
        }
        val.has_bool = true;
        val.bool_value = !has_value || v == "true";
        continue;
      }
      if (!has_value) {
        return absl::InvalidArgumentError(absl::StrCat("Missing a value on flag: ", name));
      }
      if (kind == FlagKind::kString && !val.strings.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("Duplicate flag specified: ", name));
      }
      val.strings.push_back(value);
    }
    return absl::OkStatus();
  }

  absl::string_view String(absl::string_view name) const {
    const Value* v = Find(name);
    return v == nullptr || v->strings.empty() ? absl::string_view() : v->strings[0];
  }
  bool Has(absl::string_view name) const {
    const Value* v = Find(name);
    return v != nullptr && (v->has_bool || !v->strings.empty());
  }
  Words List(absl::string_view name) const {
    const Value* v = Find(name);
    return v == nullptr ? Words() : Words(v->strings);
  }
  std::optional<bool> Bool(absl::string_view name) const {
    const Value* v = Find(name);
    if (v == nullptr || !v->has_bool) return std::nullopt;
    return v->bool_value;
  }

 private:
  struct Value {
    bool has_bool = false;
    bool bool_value = false;
    absl::InlinedVector<absl::string_view, 1> strings;  // string and list flags (views of words)
  };

  int Index(absl::string_view name) const {
    for (size_t i = 0; i < spec_.size(); ++i) {
      if (spec_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }
  const Value* Find(absl::string_view name) const {
    if (values_.empty()) return nullptr;  // no flag given
    int i = Index(name);
    return i < 0 ? nullptr : &values_[i];
  }
  std::string Accepted() const {
    if (spec_.empty()) return "no flags";
    std::vector<std::string> names;
    for (size_t i = 0; i < spec_.size(); ++i) names.push_back(absl::StrCat("--", spec_[i].name));
    return absl::StrJoin(names, ", ");
  }
  absl::string_view instruction_;
  absl::Span<const FlagSpec> spec_;
  // One per spec entry once a flag is given, else empty (no instruction takes more than 8).
  absl::InlinedVector<Value, 8> values_;
};

// --------------------------------------------------------------------------------------------
// Variable scopes.

const char* const kProxyArgs[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                  "ALL_PROXY",  "all_proxy"};

// A map from names to values, in insertion order. Scopes hold a handful of names, searched
// linearly; past kIndexFrom entries a hash index takes over, so that a Dockerfile with thousands
// of ARGs stays linear in its size.
template <typename V>
class SmallMap {
 public:
  using Entry = std::pair<absl::string_view, V>;
  const Entry* FindEntry(absl::string_view name) const {
    if (!index_.empty()) {
      auto it = index_.find(name);
      return it == index_.end() ? nullptr : &entries_[it->second];
    }
    for (const Entry& e : entries_) {
      if (e.first == name) return &e;
    }
    return nullptr;
  }
  const V* Find(absl::string_view name) const {
    const Entry* e = FindEntry(name);
    return e == nullptr ? nullptr : &e->second;
  }
  bool Has(absl::string_view name) const { return FindEntry(name) != nullptr; }
  void Set(absl::string_view name, V value) {
    if (const Entry* e = FindEntry(name)) {
      entries_[e - entries_.data()].second = value;
      return;
    }
    entries_.emplace_back(name, value);
    if (entries_.size() == kIndexFrom) {
      for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
    } else if (entries_.size() > kIndexFrom) {
      index_.emplace(name, entries_.size() - 1);
    }
  }
  void Clear() {
    entries_.clear();
    index_.clear();
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static constexpr size_t kIndexFrom = 16;
  std::vector<Entry> entries_;
  absl::flat_hash_map<absl::string_view, size_t> index_;  // name -> entry, once big
};

// ENV entries shadow ARG entries; the getter records which ARGs were read. Names and values are
// views into the Ast's or the Dockerfile's storage.
class Scope : public shell::EnvGetter {
 public:
  using Arg = std::pair<absl::string_view, std::optional<absl::string_view>>;

  const SmallMap<absl::string_view>& env() const { return env_; }
  const SmallMap<std::optional<absl::string_view>>& args() const { return args_; }
  void SetEnv(absl::string_view name, absl::string_view value) {
    env_.Set(name, value);
    visible_valid_ = false;
  }
  void SetArg(absl::string_view name, std::optional<absl::string_view> value) {
    args_.Set(name, value);
    visible_valid_ = false;
  }
  void Clear() {
    env_.Clear();
    args_.Clear();
    visible_valid_ = false;
  }

  bool Get(absl::string_view name, std::string* value) const override {
    if (const absl::string_view* e = env_.Find(name)) {
      value->assign(e->data(), e->size());
      return true;
    }
    const std::optional<absl::string_view>* a = args_.Find(name);
    if (a != nullptr && a->has_value()) {
      value->assign((*a)->data(), (*a)->size());
      return true;
    }
    return false;
  }
  // ARG `name` as a command sees it: null if unset or shadowed by ENV. The entry's name, unlike
  // `name`, is a view that lives as long as the Dockerfile.
  const Arg* VisibleArg(absl::string_view name) const {
    if (env_.Has(name)) return nullptr;
    const Arg* a = args_.FindEntry(name);
    return a != nullptr && a->second.has_value() ? a : nullptr;
  }
  // Every ARG a command sees (set, not shadowed by ENV), sorted by name, in `arena`. Made once
  // per change of the scope: consecutive RUNs share it.
  BuildArgs VisibleArgs(base::Arena* arena) {
    if (visible_valid_) return visible_;
    std::vector<std::pair<absl::string_view, absl::string_view>> all;
    for (const Arg& a : args_.entries()) {
      if (a.second.has_value() && !env_.Has(a.first)) all.emplace_back(a.first, *a.second);
    }
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    visible_ = arena->CopyArray(BuildArgs(all));
    visible_valid_ = true;
    return visible_;
  }

 private:
  SmallMap<absl::string_view> env_;
  SmallMap<std::optional<absl::string_view>> args_;
  BuildArgs visible_;
  bool visible_valid_ = false;
};

// The build args one command depends on, collected while it is converted (a name read twice
// keeps its last value), then sorted into the Dockerfile's storage.
class UsedArgs {
 public:
  void Use(absl::string_view name, absl::string_view value) { used_.Set(name, value); }
  // Records the ARG values a lookup of `names` resolved to in `scope`.
  void Note(const Scope& scope, const std::set<std::string>& names) {
    for (const std::string& n : names) {
      if (const auto* a = scope.VisibleArg(n)) Use(a->first, *a->second);
    }
  }
  // The command depends on exactly `all` (sorted, in the arena), which holds whatever it read.
  void SetAll(BuildArgs all) { all_ = all; }
  const std::vector<std::pair<absl::string_view, absl::string_view>>& entries() const {
    return used_.entries();
  }
  BuildArgs Finish(base::Arena* arena) {
    if (all_.has_value()) {
      BuildArgs all = *all_;
      all_.reset();
      used_.Clear();
      return all;
    }
    if (used_.entries().empty()) return BuildArgs();
    sorted_.assign(used_.entries().begin(), used_.entries().end());
    auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (sorted_.size() > 16) {
      std::sort(sorted_.begin(), sorted_.end(), by_name);
    } else {  // usually a handful: insertion sort
      for (size_t i = 1; i < sorted_.size(); ++i) {
        for (size_t j = i; j > 0 && by_name(sorted_[j], sorted_[j - 1]); --j) {
          std::swap(sorted_[j], sorted_[j - 1]);
        }
      }
    }
    used_.Clear();
    return arena->CopyArray(BuildArgs(sorted_));
  }

 private:
  SmallMap<absl::string_view> used_;
  std::optional<BuildArgs> all_;
  std::vector<std::pair<absl::string_view, absl::string_view>> sorted_;
};

struct Ctx {
  const LoadOptions& options;
  const std::string& file;
  char32_t escape;
  shell::Lexer lexer;
  base::Arena* arena;              // the Dockerfile's storage
  absl::flat_hash_set<absl::string_view> declared;  // every ARG name seen (for unused build args)
  // `--build-arg` values, copied into the arena (the options need not outlive the Dockerfile).
  SmallMap<absl::string_view> build_args;
  // Scratch space reused from command to command.
  UsedArgs used;            // the build args the current command depends on
  std::string text;         // its canonical text, before it is copied to the arena
  // Set instead of `text` when the canonical text is the line as written (see NameThenWord).
  bool text_is_original = false;
  std::vector<absl::string_view> words;
};

// `word` expanded in `scope`: `word` itself when there is nothing to expand (it is a view into
// the Ast's storage), else the expansion, copied into the arena. The ARGs read go to ctx.used.
absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word) {
  // Most words have nothing to expand: no lookup, no word splitting, nothing to record.
  if (ctx.lexer.IsPlain(word)) return word;
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.ProcessUnsplit(word, scope);
  if (!r.ok()) return r.status();
  ctx.used.Note(scope, r->matched);
  return ctx.arena->Copy(r->word);
}

// Expand for FROM lines, which all see the global scope. That scope is complete by the first FROM
// (ARGs after it belong to stages), so each distinct word is expanded once and the result, with
// the build args it read, is replayed for the next FROM that has it (`FROM ${BASE} AS ...` in
// every stage of a big Dockerfile).
class FromExpander {
 public:
  absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& global, absl::string_view word) {
    auto it = cache_.find(word);
    if (it == cache_.end()) {
      // What this expansion reads, apart from what the command read before it.
      UsedArgs before = std::move(ctx.used);
      ctx.used = UsedArgs();
      absl::StatusOr<absl::string_view> r = builder::instructions::Expand(ctx, global, word);
      UsedArgs read = std::move(ctx.used);
      ctx.used = std::move(before);
      if (!r.ok()) return r.status();  // the Load fails: nothing to remember
      it = cache_.emplace(word, Entry{*r, read.entries()}).first;
    }
    for (const auto& kv : it->second.read) ctx.used.Use(kv.first, kv.second);
    return it->second.value;
  }

 private:
  struct Entry {
    absl::string_view value;
    std::vector<std::pair<absl::string_view, absl::string_view>> read;  // build args it read
  };
  absl::flat_hash_map<absl::string_view, Entry> cache_;
};

// `word` expanded and split into words (views of it, or copies in the arena), appended to `out`.
absl::Status ExpandWords(Ctx& ctx, const Scope& scope, absl::string_view word,
                         std::vector<absl::string_view>* out) {
  if (ctx.lexer.IsPlain(word)) {  // nothing to expand: views of the word itself
    shell::Lexer::SplitPlain(word, out);
    return absl::OkStatus();
  }
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.Process(word, scope);
  if (!r.ok()) return r.status();
  ctx.used.Note(scope, r->matched);
  for (const std::string& w : r->words) out->push_back(ctx.arena->Copy(w));
  return absl::OkStatus();
}

absl::Status Err(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

absl::Status ExactlyOne(const Node& n, absl::string_view name) {
  if (n.args.size() != 1) return Err(absl::StrCat(name, " requires exactly one argument"));
  return absl::OkStatus();
}

bool IsHeredocWord(absl::string_view w, absl::Span<const dockerfile::Heredoc> docs,
                   size_t* index) {
  size_t i = 0;
  while (i < w.size() && absl::ascii_isdigit(static_cast<unsigned char>(w[i]))) ++i;
  if (w.substr(i, 2) != "<<") return false;
  i += 2;
  if (i < w.size() && w[i] == '-') ++i;
  absl::string_view name = w.substr(i);
  // Remove simple quotes around the name.
  if (name.size() >= 2 && (name.front() == '\'' || name.front() == '"') &&
      name.back() == name.front()) {
    name = name.substr(1, name.size() - 2);
  }
  for (size_t k = 0; k < docs.size(); ++k) {
    if (docs[k].name == name) {
      *index = k;
      return true;
    }
  }
  return false;
}

bool ValidChmod(absl::string_view s) {
  if (s.empty()) return false;
  bool octal = s.size() <= 4 && std::all_of(s.begin(), s.end(), [](char c) {
                 return c >= '0' && c <= '7';
               });
  if (octal) return true;
  for (absl::string_view clause : absl::StrSplit(s, ',')) {
    size_t i = 0;
    while (i < clause.size() && absl::StrContains("ugoa", clause[i])) ++i;
    if (i >= clause.size() || !absl::StrContains("+-=", clause[i])) return false;
    ++i;
    for (; i < clause.size(); ++i) {
      if (!absl::StrContains("rwxXst", clause[i])) return false;
    }
  }
  return true;
}

// `spec` as "PORT[-PORT]/PROTO": a view of `spec` when it already is, else a copy in `arena`.
absl::StatusOr<absl::string_view> NormalisePort(absl::string_view spec, base::Arena* arena) {
  absl::string_view port = spec;
  absl::string_view proto = "tcp";
  std::string lowered;
  size_t slash = port.rfind('/');
  if (slash != absl::string_view::npos) {
    proto = port.substr(slash + 1);
    port = port.substr(0, slash);
    if (std::any_of(proto.begin(), proto.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      lowered = absl::AsciiStrToLower(proto);
      proto = lowered;
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp") {
      return Err(absl::StrCat("invalid proto in EXPOSE ", shell::GoQuote(spec),
                              ": want tcp, udp or sctp"));
    }
  }
  // `[ip:][hostPort:]containerPort`: only the container port is exposed.
  size_t colon = port.rfind(':');
  if (colon != absl::string_view::npos) port = port.substr(colon + 1);
  size_t dash = port.find('-');
  absl::string_view range[2] = {port.substr(0, dash), absl::string_view()};
  const size_t n = dash == absl::string_view::npos ? 1 : 2;
  if (n == 2) range[1] = port.substr(dash + 1);
  int bounds[2] = {0, 0};
  for (size_t i = 0; i < n; ++i) {
    if (range[i].empty() || !std::all_of(range[i].begin(), range[i].end(), ::isdigit) ||
        !absl::SimpleAtoi(range[i], &bounds[i]) || bounds[i] < 0 || bounds[i] > 65535) {
      return Err(absl::StrCat("invalid port in EXPOSE ", shell::GoQuote(spec),
                              ": want a number 0-65535 or a range, optionally /tcp|/udp|/sctp"));
    }
  }
  if (n == 2 && bounds[1] < bounds[0]) {
    return Err(absl::StrCat("invalid port range in EXPOSE ", shell::GoQuote(spec)));
  }
  // Already normal (`8080/tcp`): no ip or host port, protocol written in lower case.
  if (slash != absl::string_view::npos && port.data() == spec.data() && lowered.empty()) {
    return spec;
  }
  return arena->Copy(absl::StrCat(port, "/", proto));
}

bool ValidSignal(absl::string_view s) {
  if (s.empty()) return false;
  int n;
  if (absl::SimpleAtoi(s, &n)) return n > 0 && n <= 64;
  std::string name = absl::AsciiStrToUpper(s);
  if (absl::StartsWith(name, "SIG")) name = name.substr(3);
  static const char* const kNames[] = {
      "ABRT", "ALRM", "BUS",  "CHLD", "CLD",  "CONT", "FPE",    "HUP",   "ILL",  "INT",
      "IO",   "IOT",  "KILL", "PIPE", "POLL", "PROF", "PWR",    "QUIT",  "SEGV", "STKFLT",
      "STOP", "SYS",  "TERM", "TRAP", "TSTP", "TTIN", "TTOU",   "URG",   "USR1", "USR2",
      "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX", "UNUSED"};
  for (const char* k : kNames) {
    if (name == k) return true;
  }
  for (const char* base : {"RTMIN+", "RTMAX-"}) {
    if (absl::StartsWith(name, base) && absl::SimpleAtoi(name.substr(6), &n) && n >= 1 &&
        n <= 15) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<absl::Duration> ParseInterval(const Flags& flags, absl::string_view name) {
  absl::string_view v = flags.String(name);
  if (v.empty()) return absl::ZeroDuration();
  absl::StatusOr<absl::Duration> d = ParseGoDuration(v);
  if (!d.ok()) return Err(absl::StrCat("--", name, ": ", d.status().message()));
  if (*d == absl::ZeroDuration()) return *d;
  if (*d < absl::ZeroDuration()) {
    return Err(absl::StrCat("Interval \"", name, "\" cannot be negative"));
  }
  if (*d < absl::Milliseconds(1)) {
    return Err(absl::StrCat("Interval \"", name, "\" cannot be less than 1ms"));
  }
  return *d;
}

// ` --a --b=c`, each flag quoted when needed.
void AppendFlags(absl::Span<const absl::string_view> flags, std::string* out) {
  for (absl::string_view f : flags) {
    out->push_back(' ');
    AppendWord(f, out);
  }
}

}  // namespace

// --------------------------------------------------------------------------------------------

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  absl::Duration d;
  if (text.empty() || absl::StrContains(text, "inf") || !absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time: invalid duration ", shell::GoQuote(text)));
  }
  return d;
}

bool IsProxyArg(absl::string_view name) {
  // All of them end in "_PROXY" or "_proxy": most names are rejected without the list.
  if (name.size() < 8 || (!absl::EndsWith(name, "_PROXY") && !absl::EndsWith(name, "_proxy"))) {
    return false;
  }
  for (const char* p : kProxyArgs) {
    if (name == p) return true;
  }
  return false;
}

std::string Platform::ToString() const {
  std::string s = absl::StrCat(os, "/", arch);
  if (!variant.empty()) absl::StrAppend(&s, "/", variant);
  return s;
}

absl::StatusOr<Platform> ParsePlatform(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(absl::AsciiStrToLower(text), '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid platform ", shell::GoQuote(text), ": want OS/ARCH[/VARIANT], e.g. linux/amd64"));
  }
  Platform p;
  p.os = parts[0];
  p.arch = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Platform HostPlatform() {
  Platform p;
  struct utsname u;
  std::string m = uname(&u) == 0 ? u.machine : "x86_64";
  if (m == "x86_64") {
    p.arch = "amd64";
  } else if (m == "aarch64") {
    p.arch = "arm64";
  } else if (absl::StartsWith(m, "armv7")) {
    p.arch = "arm";
    p.variant = "v7";
  } else if (m == "i686" || m == "i386") {
    p.arch = "386";
  } else {
    p.arch = m;
  }
  return p;
}

std::string MountTypeName(Mount::Type type) {
  switch (type) {
    case Mount::Type::kBind: return "bind";
    case Mount::Type::kCache: return "cache";
    case Mount::Type::kTmpfs: return "tmpfs";
    case Mount::Type::kSecret: return "secret";
    case Mount::Type::kSsh: return "ssh";
  }
  return "bind";
}

absl::StatusOr<Mount> ParseMount(absl::string_view value, base::Arena* arena) {
  Mount m;
  absl::InlinedVector<std::pair<std::string, std::optional<absl::string_view>>, 6> fields;
  for (absl::string_view field : absl::StrSplit(value, ',')) {
    size_t eq = field.find('=');
    std::string key = absl::AsciiStrToLower(field.substr(0, eq));
    if (eq == absl::string_view::npos) {
      fields.emplace_back(std::move(key), std::nullopt);
    } else {
      fields.emplace_back(std::move(key), field.substr(eq + 1));
    }
  }
  // The type decides defaults, so find it first.
  for (const auto& f : fields) {
    if (f.first != "type") continue;
    absl::string_view t = f.second.value_or(absl::string_view());
    if (t == "bind") m.type = Mount::Type::kBind;
    else if (t == "cache") m.type = Mount::Type::kCache;
    else if (t == "tmpfs") m.type = Mount::Type::kTmpfs;
    else if (t == "secret") m.type = Mount::Type::kSecret;
    else if (t == "ssh") m.type = Mount::Type::kSsh;
    else return Err(absl::StrCat("unsupported mount type ", shell::GoQuote(t),
                                 ": want bind, cache, tmpfs, secret or ssh"));
  }
  if (m.type == Mount::Type::kBind) m.read_only = true;
  auto parse_bool = [](const std::optional<absl::string_view>& v, const std::string& key,
                       bool* out) -> absl::Status {
    if (!v.has_value()) {
      *out = true;
      return absl::OkStatus();
    }
    std::string s = absl::AsciiStrToLower(*v);
    if (s == "true" || s == "1") *out = true;
    else if (s == "false" || s == "0") *out = false;
    else return Err(absl::StrCat("invalid value for ", key, ": ", shell::GoQuote(*v)));
    return absl::OkStatus();
  };
  auto parse_u32 = [](absl::string_view view, int base, const std::string& key,
                      std::optional<uint32_t>* out) -> absl::Status {
    const std::string v(view);  // strtoul wants a terminated string
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(v.c_str(), &end, base);
    if (v.empty() || *end != '\0' || errno != 0 || n > 0xFFFFFFFFul || v[0] == '-') {
      return Err(absl::StrCat("invalid value for ", key, ": ", shell::GoQuote(v)));
    }
    *out = static_cast<uint32_t>(n);
    return absl::OkStatus();
  };
  for (const auto& field : fields) {
    const std::string& key = field.first;
    const std::optional<absl::string_view>& val = field.second;
    const absl::string_view v = val.value_or(absl::string_view());
    auto need_value = [&]() -> absl::Status {
      if (!val.has_value()) {
        return Err(absl::StrCat("invalid field '", key, "' must be a key=value pair"));
      }
      return absl::OkStatus();
    };
    absl::Status s;
    if (key == "type") {
      continue;
    } else if (key == "target" || key == "dst" || key == "destination") {
      s = need_value();
      m.target = v;
    } else if (key == "source" || key == "src") {
      s = need_value();
      m.source = v;
    } else if (key == "from") {
      s = need_value();
      m.from = v;
    } else if (key == "readonly" || key == "ro") {
      s = parse_bool(val, key, &m.read_only);
    } else if (key == "readwrite" || key == "rw") {
      bool rw = false;
      s = parse_bool(val, key, &rw);
      m.read_only = !rw;
    } else if (key == "required") {
      s = parse_bool(val, key, &m.required);
    } else if (key == "id") {
      s = need_value();
      m.id = v;
    } else if (key == "sharing") {
      s = need_value();
      if (v == "shared") m.sharing = Mount::Sharing::kShared;
      else if (v == "private") m.sharing = Mount::Sharing::kPrivate;
      else if (v == "locked") m.sharing = Mount::Sharing::kLocked;
      else s = Err(absl::StrCat("unsupported sharing value ", shell::GoQuote(v),
                                ": want shared, private or locked"));
    } else if (key == "mode") {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 8, key, &m.mode);
    } else if (key == "uid") {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 10, key, &m.uid);
    } else if (key == "gid") {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 10, key, &m.gid);
    } else if (key == "size") {
      s = need_value();
      if (s.ok()) {
        int64_t mult = 1;
        std::string num = absl::AsciiStrToLower(v);
        if (!num.empty() && absl::StrContains("kmgt", num.back())) {
          mult = int64_t{1} << (10 * (1 + std::string("kmgt").find(num.back())));
          num.pop_back();
        } else if (absl::EndsWith(num, "b")) {
          num.pop_back();
        }
        int64_t n;
        if (!absl::SimpleAtoi(num, &n) || n < 0) {
          s = Err(absl::StrCat("invalid value for size: ", shell::GoQuote(v)));
        } else {
          m.size_bytes = n * mult;
        }
      }
    } else if (key == "env") {
      s = need_value();
      m.env = v;
    } else {
      s = Err(absl::StrCat("unexpected key '", key, "' in '", key,
                           val.has_value() ? absl::StrCat("=", v) : "", "'"));
    }
    if (!s.ok()) return s;
  }
  // Per-type rules.
  bool has_from_opts = !m.from.empty();
  switch (m.type) {
    case Mount::Type::kBind:
    case Mount::Type::kCache:
      if (m.target.empty()) {
        return Err(absl::StrCat(MountTypeName(m.type), " mount requires a target"));
      }
      if (m.type == Mount::Type::kCache) {
        if (m.id.empty()) m.id = m.target;
        if (!m.mode) m.mode = 0755;
      }
      break;
    case Mount::Type::kTmpfs:
      if (m.target.empty()) return Err("tmpfs mount requires a target");
      if (has_from_opts) return Err("'from' is not supported for tmpfs mounts");
      break;
    case Mount::Type::kSecret:
      if (has_from_opts) return Err("'from' is not supported for secret mounts");
      if (m.id.empty()) {
        if (m.target.empty()) return Err("secret mount requires an id or a target");
        size_t slash = m.target.rfind('/');
        m.id = slash == absl::string_view::npos ? m.target : m.target.substr(slash + 1);
      }
      if (m.target.empty() && m.env.empty()) {
        m.target = arena->Copy(absl::StrCat("/run/secrets/", m.id));
      }
      if (!m.mode) m.mode = 0400;
      break;
    case Mount::Type::kSsh:
      if (has_from_opts) return Err("'from' is not supported for ssh mounts");
      if (m.id.empty()) m.id = "default";
      if (m.target.empty()) m.target = "/run/buildkit/ssh_agent.0";
      if (!m.mode) m.mode = 0600;
      break;
  }
  if (m.type != Mount::Type::kTmpfs && m.size_bytes) {
    return Err("'size' is only supported for tmpfs mounts");
  }
  return m;
}

std::string SuggestInstruction(absl::string_view word) {
  std::string w = absl::AsciiStrToLower(word);
  std::string best;
  size_t best_d = 3;
  for (const std::string& cand : dockerfile::KnownInstructions()) {
    // Levenshtein distance.
    std::vector<size_t> prev(cand.size() + 1), cur(cand.size() + 1);
    for (size_t j = 0; j <= cand.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= w.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= cand.size(); ++j) {
        size_t sub = prev[j - 1] + (w[i - 1] == cand[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    size_t d = prev[cand.size()];
    if (d < best_d && d < w.size()) {
      best_d = d;
      best = cand;
    }
  }
  return absl::AsciiStrToUpper(best);
}

int FindStage(const Dockerfile& df, absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (const Stage& s : df.stages) {
    if (!s.name.empty() && s.name == lower) return s.index;
  }
  int idx;
  if (absl::SimpleAtoi(name, &idx) && idx >= 0 && idx < static_cast<int>(df.stages.size()) &&
      std::all_of(name.begin(), name.end(), ::isdigit)) {
    return idx;
  }
  return -1;
}

namespace {

absl::Status UnknownInstruction(absl::string_view keyword) {
  std::string hint = SuggestInstruction(keyword);
  return Err(absl::StrCat("unknown instruction: ", keyword,
                          hint.empty() ? "" : absl::StrCat(" (did you mean ", hint, "?)")));
}

absl::Status CheckOnbuild(const Node& n) {
  if (n.sub.empty()) return Err("ONBUILD requires at least one argument");
  Instruction k = n.sub[0].instruction;
  if (k == Instruction::kOnbuild) {
    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (k == Instruction::kFrom || k == Instruction::kMaintainer) {
    return Err(absl::StrCat(dockerfile::InstructionName(k), " isn't allowed as an ONBUILD trigger"));
  }
  if (k == Instruction::kUnknown) return UnknownInstruction(n.sub[0].keyword);
  return absl::OkStatus();
}

// Appends ` <name_eq><value>` as one word of the canonical text (quoted when needed), like
// AppendWord on the concatenation.
void AppendFlag(absl::string_view name_eq, absl::string_view value, std::string* out) {
  out->push_back(' ');
  auto plain = [](absl::string_view s) {
    for (char c : s) {
      if (c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '\n' || c == '\'') return false;
    }
    return true;
  };
  if (plain(name_eq) && plain(value)) {
    out->append(name_eq.data(), name_eq.size());
    out->append(value.data(), value.size());
  } else {
    AppendJsonQuoted(absl::StrCat(name_eq, value), out);
  }
}

// True if the canonical text `<name> <words[0]>` is `n`'s line exactly as written: the keyword is
// `name` (as cased here), no flags, and the one word is the view of the rest of that same line.
// Then it need not be built (most RUN, CMD, WORKDIR... lines).
bool NameThenWord(const Node& n, absl::string_view name, Words words) {
  if (words.size() != 1 || !n.flags.empty() || n.keyword != name) return false;
  absl::string_view line = n.original;
  absl::string_view word = words[0];
  return line.size() == name.size() + 1 + word.size() && line[name.size()] == ' ' &&
         word.data() == line.data() + name.size() + 1 && line.data() == n.keyword.data();
}

// `"\n" + content + name` for each heredoc, as the canonical text ends.
void AppendHeredocs(absl::Span<const dockerfile::Heredoc> docs, std::string* out) {
  for (const dockerfile::Heredoc& h : docs) {
    out->push_back('\n');
    out->append(h.content.data(), h.content.size());
    out->append(h.name.data(), h.name.size());
  }
}

absl::Status ConvertRun(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  static constexpr FlagSpec kRunFlags[] = {{"mount", FlagKind::kList},
                                           {"network", FlagKind::kString},
                                           {"security", FlagKind::kString}};
  Flags flags("RUN", kRunFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.empty() && n.heredocs.empty()) return Err("RUN requires at least one argument");
  RunCmd& run = out->payload.emplace<RunCmd>();  // built in place
  run.command = n.args;
  run.prepend_shell = !n.json;
  run.files = n.heredocs;
  std::string& text = ctx.text;
  text = "RUN";
  Words raw_mounts = flags.List("mount");
  absl::Span<Mount> mounts = ctx.arena->NewArray<Mount>(raw_mounts.size());
  for (size_t i = 0; i < raw_mounts.size(); ++i) {
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, raw_mounts[i]));
    absl::StatusOr<Mount> m = ParseMount(v, ctx.arena);
    if (!m.ok()) return Err(absl::StrCat("--mount=", v, ": ", m.status().message()));
    mounts[i] = *m;
    AppendFlag("--mount=", v, &text);
  }
  run.mounts = mounts;
  run.network = flags.String("network");
  if (!run.network.empty() && run.network != "default" && run.network != "none" &&
      run.network != "host") {
    return Err(absl::StrCat("unsupported network mode ", shell::GoQuote(run.network),
                            ": want default, none or host"));
  }
  if (!run.network.empty()) AppendFlag("--network=", run.network, &text);
  run.security = flags.String("security");
  if (!run.security.empty() && run.security != "sandbox" && run.security != "insecure") {
    return Err(absl::StrCat("unsupported security mode ", shell::GoQuote(run.security),
                            ": want sandbox or insecure"));
  }
  if (!run.security.empty()) AppendFlag("--security=", run.security, &text);
  // The command sees every ARG in scope as an environment variable, so all of them are inputs
  // (what the mounts read is among them).
  ctx.used.SetAll(scope->VisibleArgs(ctx.arena));
  if (!n.json && run.files.empty() && NameThenWord(n, out->name, n.args)) {
    ctx.text_is_original = true;
    return absl::OkStatus();
  }
  text.push_back(' ');
  if (n.json) {
    AppendJsonArray(run.command, &text);
  } else if (!run.command.empty()) {
    text.append(run.command[0].data(), run.command[0].size());
  }
  AppendHeredocs(run.files, &text);
  return absl::OkStatus();
}

// COPY and ADD.
absl::Status ConvertCopy(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  bool add = n.instruction == Instruction::kAdd;
  static constexpr FlagSpec kCopy[] = {
      {"chown", FlagKind::kString}, {"chmod", FlagKind::kString}, {"link", FlagKind::kBool},
      {"exclude", FlagKind::kList}, {"from", FlagKind::kString},  {"parents", FlagKind::kBool}};
  static constexpr FlagSpec kAdd[] = {
      {"chown", FlagKind::kString},    {"chmod", FlagKind::kString},
      {"link", FlagKind::kBool},       {"exclude", FlagKind::kList},
      {"checksum", FlagKind::kString}, {"keep-git-dir", FlagKind::kBool},
      {"unpack", FlagKind::kBool}};
  Flags flags(out->name,
              add ? absl::Span<const FlagSpec>(kAdd) : absl::Span<const FlagSpec>(kCopy));
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.size() < 2) {
    return Err(absl::StrCat(out->name, " requires at least two arguments, but only ",
                            n.args.size() == 1 ? "one was" : "none were",
                            " provided. Destination could not be determined"));
  }
  CopyCmd& copy = out->payload.emplace<CopyCmd>();
  copy.is_add = add;
  std::string& text = ctx.text;
  text = std::string(out->name);
  struct StringFlag {
    const char* name_eq;
    absl::string_view CopyCmd::*field;
  };
  static constexpr StringFlag kStringFlags[] = {{"--from=", &CopyCmd::from},
                                                {"--chown=", &CopyCmd::chown},
                                                {"--chmod=", &CopyCmd::chmod},
                                                {"--checksum=", &CopyCmd::checksum}};
  for (const StringFlag& f : kStringFlags) {
    absl::string_view name = absl::string_view(f.name_eq + 2);
    name.remove_suffix(1);
    if (!flags.Has(name)) continue;
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, flags.String(name)));
    AppendFlag(f.name_eq, v, &text);
    copy.*f.field = v;
  }
  if (flags.Has("from") && copy.from.empty()) return Err("--from must not be empty");
  if (!copy.chmod.empty() && !ValidChmod(copy.chmod)) {
    return Err(absl::StrCat("invalid chmod parameter ", shell::GoQuote(copy.chmod),
                            ": want octal (0755) or symbolic (u+x,g-w)"));
  }
  if (flags.Has("chown") && copy.chown.empty()) return Err("--chown must not be empty");
  Words raw_excludes = flags.List("exclude");
  absl::Span<absl::string_view> excludes =
      ctx.arena->NewArray<absl::string_view>(raw_excludes.size());
  for (size_t i = 0; i < raw_excludes.size(); ++i) {
    ASSIGN_OR_RETURN(excludes[i], Expand(ctx, *scope, raw_excludes[i]));
    AppendFlag("--exclude=", excludes[i], &text);
  }
  copy.excludes = excludes;
  copy.link = flags.Bool("link").value_or(false);
  if (copy.link) text.append(" --link");
  copy.parents = flags.Bool("parents").value_or(false);
  if (copy.parents) text.append(" --parents");
  copy.keep_git_dir = flags.Bool("keep-git-dir").value_or(false);
  if (copy.keep_git_dir) text.append(" --keep-git-dir");
  copy.unpack = flags.Bool("unpack");
  if (copy.unpack) text.append(*copy.unpack ? " --unpack=true" : " --unpack=false");
  std::vector<absl::string_view>& sources = ctx.words;
  sources.clear();
  absl::InlinedVector<dockerfile::Heredoc, 2> docs;
  size_t next_doc = 0;
  for (size_t i = 0; i + 1 < n.args.size(); ++i) {
    size_t doc;
    if (!n.json && IsHeredocWord(n.args[i], n.heredocs, &doc) && doc >= next_doc) {
      dockerfile::Heredoc h = n.heredocs[doc];
      if (h.expand) {
        // An unquoted delimiter expands variables in the content, as BuildKit does; quotes and
        // escape characters in the file's text stay as written.
        shell::LexOptions raw = ctx.lexer.options();
        raw.raw_quotes = true;
        raw.raw_escapes = true;
        absl::StatusOr<shell::ProcessResult> r =
            shell::Lexer(raw).ProcessUnsplit(h.content, *scope);
        if (!r.ok()) return r.status();
        ctx.used.Note(*scope, r->matched);
        h.content = ctx.arena->Copy(r->word);
      }
      docs.push_back(h);
      next_doc = doc + 1;
      continue;
    }
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, n.args[i]));
    sources.push_back(v);
  }
  ASSIGN_OR_RETURN(copy.dest, Expand(ctx, *scope, n.args.back()));
  if (!copy.checksum.empty()) {
    for (absl::string_view s : sources) {
      if (!absl::StartsWith(s, "http://") && !absl::StartsWith(s, "https://") &&
          !absl::StartsWith(s, "git@") && !absl::EndsWith(s, ".git") &&
          !absl::StartsWith(s, "git://")) {
        return Err(absl::StrCat("checksum can't be specified for non-HTTP(S)/git source ",
                                shell::GoQuote(s)));
      }
    }
  }
  copy.sources = ctx.arena->CopyArray(Words(sources));
  copy.source_contents = ctx.arena->CopyArray(absl::Span<const dockerfile::Heredoc>(docs));
  for (absl::string_view s : copy.sources) {
    text.push_back(' ');
    AppendWord(s, &text);
  }
  for (const dockerfile::Heredoc& h : copy.source_contents) {
    text.append(" <<");
    AppendWord(h.name, &text);
  }
  text.push_back(' ');
  AppendWord(copy.dest, &text);
  AppendHeredocs(copy.source_contents, &text);
  return absl::OkStatus();
}

absl::Status ConvertArg(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  Flags flags("ARG", {});
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.empty()) return Err("ARG requires at least one argument");
  absl::Span<ArgCmd::Arg> args = ctx.arena->NewArray<ArgCmd::Arg>(n.args.size());
  std::string& text = ctx.text;
  text = "ARG";
  for (size_t i = 0; i < n.args.size(); ++i) {
    absl::string_view word = n.args[i];
    ArgCmd::Arg& a = args[i];
    size_t eq = word.find('=');
    a.key = word.substr(0, eq);
    if (a.key.empty()) return Err("ARG names can not be blank");
    ctx.declared.insert(a.key);
    if (eq != absl::string_view::npos) {
      ASSIGN_OR_RETURN(a.value, Expand(ctx, *scope, word.substr(eq + 1)));
    }
    std::optional<absl::string_view> effective = a.value;
    if (const absl::string_view* over = ctx.build_args.Find(a.key)) {
      effective = *over;
    } else if (!a.value.has_value()) {
      // A global default carried in (see Load).
      if (const auto* prior = scope->args().Find(a.key)) effective = *prior;
    }
    scope->SetArg(a.key, effective);
    if (effective) ctx.used.Use(a.key, *effective);
    text.push_back(' ');
    AppendWord(a.key, &text);
    if (effective) {
      text.push_back('=');
      AppendWord(*effective, &text);
    }
    a.value = effective;
  }
  out->payload = ArgCmd{args};
  return absl::OkStatus();
}

absl::Status ConvertHealthcheck(Ctx& ctx, const Node& n, Command* out) {
  static constexpr FlagSpec kHealthcheckFlags[] = {{"interval", FlagKind::kString},
                                                   {"timeout", FlagKind::kString},
                                                   {"start-period", FlagKind::kString},
                                                   {"start-interval", FlagKind::kString},
                                                   {"retries", FlagKind::kString}};
  Flags flags("HEALTHCHECK", kHealthcheckFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.empty()) return Err("HEALTHCHECK requires at least one argument");
  HealthcheckCmd hc;
  std::string typ = absl::AsciiStrToUpper(n.args[0]);
  if (typ == "NONE") {
    if (n.args.size() > 1 || !n.flags.empty()) return Err("HEALTHCHECK NONE takes no arguments");
    static constexpr absl::string_view kNone[] = {"NONE"};
    hc.test = kNone;
  } else if (typ == "CMD") {
    if (n.args.size() < 2) return Err("Missing command after HEALTHCHECK CMD");
    std::vector<absl::string_view>& test = ctx.words;
    test.clear();
    if (n.json) {
      test.push_back("CMD");
      test.insert(test.end(), n.args.begin() + 1, n.args.end());
    } else {
      test = {"CMD-SHELL", n.args[1]};
    }
    hc.test = ctx.arena->CopyArray(Words(test));
    ASSIGN_OR_RETURN(hc.interval, ParseInterval(flags, "interval"));
    ASSIGN_OR_RETURN(hc.timeout, ParseInterval(flags, "timeout"));
    ASSIGN_OR_RETURN(hc.start_period, ParseInterval(flags, "start-period"));
    ASSIGN_OR_RETURN(hc.start_interval, ParseInterval(flags, "start-interval"));
    absl::string_view retries = flags.String("retries");
    if (!retries.empty()) {
      if (!absl::SimpleAtoi(retries, &hc.retries)) {
        return Err(absl::StrCat("--retries: invalid number ", shell::GoQuote(retries)));
      }
      if (hc.retries < 0) return Err("--retries cannot be negative");
    }
  } else {
    return Err(absl::StrCat("Unknown type ", shell::GoQuote(n.args[0]),
                            " in HEALTHCHECK (try CMD)"));
  }
  ctx.text = "HEALTHCHECK";
  AppendFlags(n.flags, &ctx.text);
  ctx.text.push_back(' ');
  AppendJsonArray(hc.test, &ctx.text);
  out->payload = hc;
  return absl::OkStatus();
}

// The payload and canonical text (in ctx.text) of one instruction inside a stage, or of an ARG
// before the first FROM; expands with `scope` and updates it.
absl::Status ConvertPayload(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  const Instruction k = n.instruction;
  std::string& text = ctx.text;
  if (k == Instruction::kRun) return ConvertRun(ctx, n, scope, out);
  if (k == Instruction::kCopy || k == Instruction::kAdd) return ConvertCopy(ctx, n, scope, out);
  if (k == Instruction::kArg) return ConvertArg(ctx, n, scope, out);
  if (k == Instruction::kHealthcheck) return ConvertHealthcheck(ctx, n, out);
  if (k == Instruction::kCmd || k == Instruction::kEntrypoint) {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (!n.json && NameThenWord(n, out->name, n.args)) {
      ctx.text_is_original = true;
    } else {
      text = absl::StrCat(out->name, " ");
      if (n.json) {
        AppendJsonArray(n.args, &text);
      } else if (!n.args.empty()) {
        text.append(n.args[0].data(), n.args[0].size());
      }
    }
    if (k == Instruction::kCmd) {
      out->payload = CmdCmd{n.args, !n.json};
    } else {
      out->payload = EntrypointCmd{n.args, !n.json};
    }
    return absl::OkStatus();
  }
  if (k == Instruction::kShell) {
    Flags flags("SHELL", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (!n.json) return Err("SHELL requires the arguments to be in JSON form");
    if (n.args.empty()) return Err("SHELL requires at least one argument");
    text = "SHELL ";
    AppendJsonArray(n.args, &text);
    out->payload = ShellCmd{n.args};
    return absl::OkStatus();
  }
  if (k == Instruction::kEnv || k == Instruction::kLabel) {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err(absl::StrCat(out->name, " requires at least one argument"));
    absl::Span<KeyValue> kvs = ctx.arena->NewArray<KeyValue>(n.args.size() / 3);
    // `NAME k=v k2=v2`
    text = std::string(out->name);
    for (size_t i = 0; i + 2 < n.args.size(); i += 3) {
      KeyValue& kv = kvs[i / 3];
      ASSIGN_OR_RETURN(kv.key, Expand(ctx, *scope, n.args[i]));
      ASSIGN_OR_RETURN(kv.value, Expand(ctx, *scope, n.args[i + 1]));
      if (kv.key.empty()) return Err(absl::StrCat(out->name, " names can not be blank"));
      text.push_back(' ');
      AppendWord(kv.key, &text);
      text.push_back('=');
      AppendWord(kv.value, &text);
    }
    if (k == Instruction::kEnv) {
      for (const KeyValue& kv : kvs) scope->SetEnv(kv.key, kv.value);
      out->payload = EnvCmd{kvs};
    } else {
      out->payload = LabelCmd{kvs};
    }
    return absl::OkStatus();
  }
  if (k == Instruction::kMaintainer) {
    RETURN_IF_ERROR(ExactlyOne(n, "MAINTAINER"));
    text = absl::StrCat("MAINTAINER ", n.args[0]);
    out->payload = MaintainerCmd{n.args[0]};
    return absl::OkStatus();
  }
  if (k == Instruction::kExpose) {
    Flags flags("EXPOSE", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("EXPOSE requires at least one argument");
    std::vector<absl::string_view>& ports = ctx.words;
    ports.clear();
    text = "EXPOSE";
    for (absl::string_view a : n.args) {
      const size_t first = ports.size();
      RETURN_IF_ERROR(ExpandWords(ctx, *scope, a, &ports));
      for (size_t i = first; i < ports.size(); ++i) {
        ASSIGN_OR_RETURN(ports[i], NormalisePort(ports[i], ctx.arena));
        absl::StrAppend(&text, " ", ports[i]);
      }
    }
    if (ports.empty()) text.push_back(' ');
    out->payload = ExposeCmd{ctx.arena->CopyArray(Words(ports))};
    return absl::OkStatus();
  }
  if (k == Instruction::kVolume) {
    Flags flags("VOLUME", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("VOLUME requires at least one argument");
    absl::Span<absl::string_view> volumes = ctx.arena->NewArray<absl::string_view>(n.args.size());
    for (size_t i = 0; i < n.args.size(); ++i) {
      ASSIGN_OR_RETURN(volumes[i], Expand(ctx, *scope, n.args[i]));
      if (volumes[i].empty()) return Err("VOLUME specified can not be an empty string");
    }
    text = "VOLUME ";
    AppendJsonArray(volumes, &text);
    out->payload = VolumeCmd{volumes};
    return absl::OkStatus();
  }
  if (k == Instruction::kUser || k == Instruction::kWorkdir || k == Instruction::kStopsignal) {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    RETURN_IF_ERROR(ExactlyOne(n, out->name));
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, n.args[0]));
    if (NameThenWord(n, out->name, Words(&v, 1))) {
      ctx.text_is_original = true;
    } else {
      text = absl::StrCat(out->name, " ", v);
    }
    if (k == Instruction::kUser) {
      if (v.empty()) return Err("USER requires a non-empty user");
      out->payload = UserCmd{v};
    } else if (k == Instruction::kWorkdir) {
      if (v.empty()) return Err("WORKDIR requires a non-empty path");
      out->payload = WorkdirCmd{v};
    } else {
      if (!ValidSignal(v)) {
        return Err(absl::StrCat("invalid signal ", shell::GoQuote(v),
                                ": want a name like SIGTERM or a number 1-64"));
      }
      out->payload = StopSignalCmd{v};
    }
    return absl::OkStatus();
  }
  if (k == Instruction::kOnbuild) {
    Flags flags("ONBUILD", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    RETURN_IF_ERROR(CheckOnbuild(n));
    // The trigger text after the keyword, as BuildKit stores it.
    absl::string_view expr = shell::TrimSpace(out->original);
    size_t sp = 0;
    while (sp < expr.size() && !shell::IsSpace(static_cast<unsigned char>(expr[sp]))) ++sp;
    expr = shell::TrimSpace(expr.substr(sp));
    text = absl::StrCat("ONBUILD ", expr);
    out->payload = OnbuildCmd{expr};
    return absl::OkStatus();
  }
  if (k == Instruction::kFrom) return Err("internal: FROM handled by Load");
  return UnknownInstruction(n.keyword);
}

// Converts one instruction (inside a stage, or an ARG before the first FROM) to a Command.
absl::Status ConvertCommand(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  out->name = dockerfile::InstructionName(n.instruction);
  out->start_line = n.start_line;
  out->end_line = n.end_line;
  out->original = n.original;
  ctx.text.clear();
  ctx.text_is_original = false;
  RETURN_IF_ERROR(ConvertPayload(ctx, n, scope, out));
  // Often the canonical text is the line as written (`RUN make`): then it is that view.
  out->expanded = ctx.text_is_original || ctx.text == out->original ? out->original
                                                                    : ctx.arena->Copy(ctx.text);
  out->args_used = ctx.used.Finish(ctx.arena);
  return absl::OkStatus();
}

// `s` in ASCII lower case: `s` itself when it already is, else a copy in `arena`.
absl::string_view LowerCopy(absl::string_view s, base::Arena* arena) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return arena->Copy(absl::AsciiStrToLower(s));
  }
  return s;
}

bool ValidStageName(absl::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {

constexpr absl::string_view kPredefinedArgs[] = {"TARGETPLATFORM", "TARGETOS",     "TARGETARCH",
                                                 "TARGETVARIANT",  "BUILDPLATFORM", "BUILDOS",
                                                 "BUILDARCH",      "BUILDVARIANT"};

// The FROM line that starts stage `s` (its command is commands[0]); `global` is the scope of
// ARGs before the first FROM.
absl::Status ConvertFrom(Ctx& ctx, const Node& n, const Scope& global, FromExpander* expander,
                         Stage* s, Command* from_command) {
  static constexpr FlagSpec kFromFlags[] = {{"platform", FlagKind::kString}};
  Flags flags("FROM", kFromFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  bool has_as = n.args.size() == 3 && absl::AsciiStrToLower(n.args[1]) == "as";
  if (!(n.args.size() == 1 || has_as)) {
    return Err("FROM requires either one or three arguments (FROM <image> [AS <name>])");
  }
  Command& cmd = *from_command;
  cmd.name = "FROM";
  cmd.start_line = n.start_line;
  cmd.end_line = n.end_line;
  cmd.original = n.original;
  FromCmd& from = cmd.payload.emplace<FromCmd>();
  ASSIGN_OR_RETURN(from.base_name, expander->Expand(ctx, global, n.args[0]));
  if (from.base_name.empty()) {
    return Err(absl::StrCat("base name (", n.args[0], ") should not be blank"));
  }
  if (has_as) {
    from.stage_name = LowerCopy(n.args[2], ctx.arena);
    if (!ValidStageName(from.stage_name)) {
      return Err(absl::StrCat("invalid name for build stage: ", shell::GoQuote(n.args[2]),
                              ", name can't start with a number or contain symbols"));
    }
  }
  if (flags.Has("platform")) {
    ASSIGN_OR_RETURN(absl::string_view p, expander->Expand(ctx, global, flags.String("platform")));
    ASSIGN_OR_RETURN(Platform parsed, ParsePlatform(p));
    from.platform = ctx.arena->Copy(parsed.ToString());
  }
  // Predefined args used by FROM are inputs too, but are not user build args.
  std::string& text = ctx.text;
  text = "FROM";
  if (!from.platform.empty()) absl::StrAppend(&text, " --platform=", from.platform);
  absl::StrAppend(&text, " ", from.base_name);
  if (!from.stage_name.empty()) absl::StrAppend(&text, " AS ", from.stage_name);
  cmd.expanded = ctx.arena->Copy(text);
  cmd.args_used = ctx.used.Finish(ctx.arena);
  s->name = from.stage_name;
  s->base_name = from.base_name;
  s->platform = from.platform;
  s->start_line = n.start_line;
  return absl::OkStatus();
}

// The scope's ENV, sorted by name, in the arena (a stage's final ENV).
absl::Span<const KeyValue> SortedEnv(const Scope& scope, base::Arena* arena) {
  absl::Span<KeyValue> env = arena->NewArray<KeyValue>(scope.env().entries().size());
  for (size_t i = 0; i < env.size(); ++i) {
    env[i] = {scope.env().entries()[i].first, scope.env().entries()[i].second};
  }
  std::sort(env.begin(), env.end(),
            [](const KeyValue& a, const KeyValue& b) { return a.key < b.key; });
  return env;
}

}  // namespace

// Everything a Loader keeps between instructions.
struct Loader::State {
  State(const LoadOptions& options, std::string file_name, char32_t escape, size_t size_hint)
      : file(std::move(file_name)),
        storage(std::make_shared<base::Arena>(size_hint)),
        ctx{options, file, escape, shell::Lexer(shell::LexOptions{escape}), storage.get()} {}

  const std::string file;
  std::shared_ptr<base::Arena> storage;  // what the commands make: expansions, texts, spans
  Ctx ctx;
  Dockerfile df;
  Scope global;  // predefined platform args, then ARGs before the first FROM
  FromExpander from_expander;  // FROM lines' expansions in the (by then complete) global scope
  Scope stage_scope;
  int stage = -1;  // the stage being loaded, or -1 before the first FROM
  // Its commands so far: copied to the arena, one after the other, when the stage ends (how many
  // there will be is not known before).
  std::vector<Command> commands;
  // Stage names -> index, for duplicate names and FROM <stage> (names are unique).
  absl::flat_hash_map<absl::string_view, int> stage_by_name;
  absl::Status error;  // the first error; nothing is added after it

  absl::Status Located(const Node& n, const absl::Status& s) const {
    return dockerfile::LocatedError(file, n.start_line, s.message());
  }
  // The ENV state after the stage's last command is kept once, when the stage ends: what the
  // stage inherited from its base stage (or image) plus its own ENV lines, even when the stage is
  // nothing but its FROM (a later `FROM <that stage>` inherits it).
  void EndStage() {
    if (stage < 0) return;
    df.stages[stage].env = SortedEnv(stage_scope, storage.get());
    df.stages[stage].commands = storage->CopyArray(absl::Span<const Command>(commands));
    commands.clear();
  }
  absl::Status AddFrom(const Node& n);
  absl::Status Add(const Node& n);
};

Loader::Loader(const LoadOptions& options, absl::string_view file_name, char32_t escape,
               size_t size_hint)
    : state_(std::make_unique<State>(options, file_name.empty() ? "Dockerfile"
                                                                : std::string(file_name),
                                     escape, size_hint + 4096)) {
  base::Arena* arena = state_->storage.get();
  for (const auto& [name, value] : options.build_args) {
    state_->ctx.build_args.Set(arena->Copy(name), arena->Copy(value));
  }
  const Platform& tp = options.target_platform;
  const Platform& bp = options.build_platform;
  const std::string predefined_values[] = {tp.ToString(), tp.os, tp.arch, tp.variant,
                                           bp.ToString(), bp.os, bp.arch, bp.variant};
  for (size_t i = 0; i < 8; ++i) {
    state_->global.SetArg(kPredefinedArgs[i], arena->Copy(predefined_values[i]));
  }
}

Loader::~Loader() = default;

absl::Status Loader::Add(const Node& n) {
  if (state_->error.ok()) state_->error = state_->Add(n);
  return state_->error;
}

absl::Status Loader::State::AddFrom(const Node& n) {
  EndStage();
  Stage& s = df.stages.emplace_back();
  stage = s.index = static_cast<int>(df.stages.size()) - 1;
  RETURN_IF_ERROR(ConvertFrom(ctx, n, global, &from_expander, &s, &commands.emplace_back()));
  if (!s.name.empty() && !stage_by_name.emplace(s.name, s.index).second) {
    return Err(absl::StrCat("duplicate stage name ", shell::GoQuote(s.name)));
  }
  stage_scope.Clear();
  std::string lower_base = absl::AsciiStrToLower(s.base_name);
  if (auto prev = stage_by_name.find(lower_base);
      prev != stage_by_name.end() && prev->second != s.index) {
    s.base_stage = prev->second;
    // The image config (ENV) is inherited, ARGs are not.
    for (const KeyValue& kv : df.stages[prev->second].env) stage_scope.SetEnv(kv.key, kv.value);
  }
  if (s.base_stage < 0 && ctx.options.base_env && lower_base != "scratch") {
    for (const std::string& e : ctx.options.base_env(s.base_name)) {
      size_t eq = e.find('=');
      absl::string_view entry = storage->Copy(e);
      stage_scope.SetEnv(entry.substr(0, eq),
                         eq == std::string::npos ? absl::string_view() : entry.substr(eq + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::State::Add(const Node& n) {
  const Instruction k = n.instruction;
  if (k == Instruction::kFrom) {
    absl::Status s = AddFrom(n);
    return s.ok() ? s : Located(n, s);
  }
  if (stage < 0) {
    if (k != Instruction::kArg) {
      if (k == Instruction::kUnknown) return Located(n, UnknownInstruction(n.keyword));
      return Located(n, Err(absl::StrCat(dockerfile::InstructionName(k),
                                         ": no build stage in current context (only ARG may "
                                         "come before the first FROM)")));
    }
    Command cmd;
    absl::Status s = ConvertCommand(ctx, n, &global, &cmd);
    if (!s.ok()) return Located(n, s);
    for (const auto& a : std::get<ArgCmd>(cmd.payload).args) df.global_args.push_back(a);
    return absl::OkStatus();
  }
  // A stage-level ARG without a value takes the global default: carry it in just for this line.
  if (k == Instruction::kArg) {
    for (absl::string_view word : n.args) {
      if (word.find('=') != absl::string_view::npos || stage_scope.args().Has(word)) continue;
      if (const auto* g = global.args().FindEntry(word)) stage_scope.SetArg(g->first, g->second);
    }
  }
  absl::Status s = ConvertCommand(ctx, n, &stage_scope, &commands.emplace_back());
  return s.ok() ? s : Located(n, s);
}

absl::StatusOr<Dockerfile> Loader::Finish(const dockerfile::Ast& ast) {
  State& st = *state_;
  RETURN_IF_ERROR(st.error);
  st.EndStage();
  if (st.df.stages.empty()) {
    return dockerfile::LocatedError(st.file, ast.end_line, "no FROM instruction: nothing to build");
  }
  for (const auto& [name, value] : st.ctx.options.build_args) {
    bool predefined = std::find(std::begin(kPredefinedArgs), std::end(kPredefinedArgs),
                                absl::string_view(name)) != std::end(kPredefinedArgs);
    if (!st.ctx.declared.contains(name) && !IsProxyArg(name) && !predefined) {
      st.df.unused_build_args.push_back(name);
    }
  }
  st.df.ast_storage = ast.storage;
  st.df.storage = std::move(st.storage);
  return std::move(st.df);
}

absl::StatusOr<Dockerfile> Load(const dockerfile::Ast& ast, const LoadOptions& options) {
  // What the commands make is about as much as the source.
  Loader loader(options, ast.file_name, ast.escape,
                ast.storage == nullptr ? 0 : ast.storage->used());
  for (const Node& n : ast.children) RETURN_IF_ERROR(loader.Add(n));
  return loader.Finish(ast);
}

}  // namespace builder::instructions
