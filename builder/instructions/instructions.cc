#include "builder/instructions/instructions.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <set>

#include "absl/container/flat_hash_map.h"
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

using dockerfile::Node;

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::string JsonArray(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const std::string& s : v) q.push_back(JsonQuote(s));
  return "[" + absl::StrJoin(q, ",") + "]";
}

// Appends `s` to `out`, quoted for the canonical text only when needed.
void AppendWord(absl::string_view s, std::string* out) {
  if (s.empty()) {
    out->append("\"\"");
    return;
  }
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '\n' || c == '\'') {
      out->append(JsonQuote(s));
      return;
    }
  }
  out->append(s.data(), s.size());
}

// Quotes a word for the canonical text only when needed.
std::string Word(absl::string_view s) {
  std::string out;
  AppendWord(s, &out);
  return out;
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
  Flags(absl::string_view instruction, absl::Span<const FlagSpec> spec)
      : instruction_(instruction), n_(std::min(spec.size(), kMax)) {
    std::copy(spec.begin(), spec.begin() + n_, spec_.begin());
  }

  absl::Status Parse(const std::vector<std::string>& raw) {
    for (const std::string& arg : raw) {
      if (!absl::StartsWith(arg, "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Arg ", shell::GoQuote(arg), " doesn't appear to be a flag"));
      }
      absl::string_view body = absl::string_view(arg).substr(2);
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
      if (values_.empty()) values_.resize(n_);
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
      val.strings.emplace_back(value);
    }
    return absl::OkStatus();
  }

  const std::string& String(absl::string_view name) const {
    static const std::string* const kEmpty = new std::string();
    const Value* v = Find(name);
    return v == nullptr || v->strings.empty() ? *kEmpty : v->strings[0];
  }
  bool Has(absl::string_view name) const {
    const Value* v = Find(name);
    return v != nullptr && (v->has_bool || !v->strings.empty());
  }
  const std::vector<std::string>& List(absl::string_view name) const {
    static const std::vector<std::string>* const kNone = new std::vector<std::string>();
    const Value* v = Find(name);
    return v == nullptr ? *kNone : v->strings;
  }
  std::optional<bool> Bool(absl::string_view name) const {
    const Value* v = Find(name);
    if (v == nullptr || !v->has_bool) return std::nullopt;
    return v->bool_value;
  }

 private:
  static constexpr size_t kMax = 8;
  struct Value {
    bool has_bool = false;
    bool bool_value = false;
    std::vector<std::string> strings;  // string and list flags
  };

  int Index(absl::string_view name) const {
    for (size_t i = 0; i < n_; ++i) {
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
    if (n_ == 0) return "no flags";
    std::vector<std::string> names;
    for (size_t i = 0; i < n_; ++i) names.push_back(absl::StrCat("--", spec_[i].name));
    return absl::StrJoin(names, ", ");
  }
  absl::string_view instruction_;
  size_t n_;
  std::array<FlagSpec, kMax> spec_;
  std::vector<Value> values_;  // n_ of them once a flag is given, else empty
};

// --------------------------------------------------------------------------------------------
// Variable scopes.

const char* const kProxyArgs[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                  "ALL_PROXY",  "all_proxy"};

// ENV entries shadow ARG entries; the getter records which ARGs were read.
class Scope : public shell::EnvGetter {
 public:
  std::map<std::string, std::string> env;
  std::map<std::string, std::optional<std::string>> args;

  bool Get(absl::string_view name, std::string* value) const override {
    auto e = env.find(std::string(name));
    if (e != env.end()) {
      *value = e->second;
      return true;
    }
    auto a = args.find(std::string(name));
    if (a != args.end() && a->second.has_value()) {
      *value = *a->second;
      return true;
    }
    return false;
  }
  // Records in `used` the ARG values a lookup of `names` resolved to.
  void NoteArgs(const std::set<std::string>& names, std::map<std::string, std::string>* used) const {
    for (const std::string& n : names) {
      if (env.count(n)) continue;
      auto a = args.find(n);
      if (a != args.end() && a->second.has_value()) (*used)[n] = *a->second;
    }
  }
};

struct Ctx {
  const LoadOptions& options;
  const std::string& file;
  char32_t escape;
  shell::Lexer lexer;
  std::set<std::string> declared;  // every ARG name seen (for unused build args)
  // Load(Ast&&): the caller gave the AST away, so strings the commands keep as they are
  // (`original`, RUN/CMD/ENTRYPOINT arguments, RUN heredocs) are moved out of it, not copied.
  bool steal = false;
};

// The node to move strings out of, or null when the AST must be left as it is (see Ctx::steal).
// Load(Ast&&) owns a non-const AST, so casting the const away is sound there.
Node* Stealable(const Ctx& ctx, const Node& n) {
  return ctx.steal ? const_cast<Node*>(&n) : nullptr;
}

// `*to = own->*field` moved when `own` is not null, else copied from `n`. (A conditional
// `own ? std::move(a) : b` would copy either way: its result is a const prvalue.)
template <typename T>
void MoveOrCopy(Node* own, const Node& n, T Node::*field, T* to) {
  if (own != nullptr) {
    *to = std::move(own->*field);
  } else {
    *to = n.*field;
  }
}

absl::StatusOr<std::string> Expand(Ctx& ctx, const Scope& scope, const std::string& word,
                                   std::map<std::string, std::string>* used) {
  // Most words have nothing to expand: no lookup, no word splitting, nothing to record.
  if (ctx.lexer.IsPlain(word)) return word;
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.ProcessUnsplit(word, scope);
  if (!r.ok()) return r.status();
  scope.NoteArgs(r->matched, used);
  return std::move(r->word);
}

// Expand for FROM lines, which all see the global scope. That scope is complete by the first FROM
// (ARGs after it belong to stages), so each distinct word is expanded once and the result, with
// the build args it read, is replayed for the next FROM that has it (`FROM ${BASE} AS ...` in
// every stage of a big Dockerfile).
class FromExpander {
 public:
  absl::StatusOr<std::string> Expand(Ctx& ctx, const Scope& global, const std::string& word,
                                     std::map<std::string, std::string>* used) {
    auto it = cache_.find(word);
    if (it == cache_.end()) {
      std::map<std::string, std::string> read;
      absl::StatusOr<std::string> r = builder::instructions::Expand(ctx, global, word, &read);
      if (!r.ok()) return r.status();  // the Load fails: nothing to remember
      it = cache_.emplace(word, Entry{*std::move(r), std::move(read)}).first;
    }
    for (const auto& kv : it->second.read) (*used)[kv.first] = kv.second;
    return it->second.value;
  }

 private:
  struct Entry {
    std::string value;
    std::map<std::string, std::string> read;  // the build args the expansion read
  };
  absl::flat_hash_map<std::string, Entry> cache_;
};

absl::StatusOr<std::vector<std::string>> ExpandWords(Ctx& ctx, const Scope& scope,
                                                     const std::string& word,
                                                     std::map<std::string, std::string>* used) {
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.Process(word, scope);
  if (!r.ok()) return r.status();
  scope.NoteArgs(r->matched, used);
  return std::move(r->words);
}

absl::Status Err(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

absl::Status ExactlyOne(const Node& n, const std::string& name) {
  if (n.args.size() != 1) return Err(absl::StrCat(name, " requires exactly one argument"));
  return absl::OkStatus();
}

bool IsHeredocWord(const std::string& w, const std::vector<dockerfile::Heredoc>& docs,
                   size_t* index) {
  size_t i = 0;
  while (i < w.size() && absl::ascii_isdigit(static_cast<unsigned char>(w[i]))) ++i;
  if (w.compare(i, 2, "<<") != 0) return false;
  i += 2;
  if (i < w.size() && w[i] == '-') ++i;
  std::string name = w.substr(i);
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

bool ValidChmod(const std::string& s) {
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

absl::StatusOr<std::string> NormalisePort(const std::string& spec) {
  std::string port = spec;
  std::string proto = "tcp";
  size_t slash = port.rfind('/');
  if (slash != std::string::npos) {
    proto = absl::AsciiStrToLower(port.substr(slash + 1));
    port = port.substr(0, slash);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") {
      return Err(absl::StrCat("invalid proto in EXPOSE ", shell::GoQuote(spec),
                              ": want tcp, udp or sctp"));
    }
  }
  // `[ip:][hostPort:]containerPort`: only the container port is exposed.
  size_t colon = port.rfind(':');
  if (colon != std::string::npos) port = port.substr(colon + 1);
  std::vector<std::string> range = absl::StrSplit(port, '-');
  if (range.empty() || range.size() > 2) {
    return Err(absl::StrCat("invalid port in EXPOSE ", shell::GoQuote(spec)));
  }
  int bounds[2] = {0, 0};
  for (size_t i = 0; i < range.size(); ++i) {
    if (range[i].empty() || !std::all_of(range[i].begin(), range[i].end(), ::isdigit) ||
        !absl::SimpleAtoi(range[i], &bounds[i]) || bounds[i] < 0 || bounds[i] > 65535) {
      return Err(absl::StrCat("invalid port in EXPOSE ", shell::GoQuote(spec),
                              ": want a number 0-65535 or a range, optionally /tcp|/udp|/sctp"));
    }
  }
  if (range.size() == 2 && bounds[1] < bounds[0]) {
    return Err(absl::StrCat("invalid port range in EXPOSE ", shell::GoQuote(spec)));
  }
  return absl::StrCat(port, "/", proto);
}

bool ValidSignal(const std::string& s) {
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

absl::StatusOr<absl::Duration> ParseInterval(const Flags& flags, const std::string& name) {
  std::string v = flags.String(name);
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

std::string FlagText(const std::vector<std::string>& flags) {
  std::string s;
  for (const std::string& f : flags) absl::StrAppend(&s, " ", Word(f));
  return s;
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

absl::StatusOr<Mount> ParseMount(absl::string_view value) {
  Mount m;
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
  for (absl::string_view field : absl::StrSplit(value, ',')) {
    size_t eq = field.find('=');
    std::string key = absl::AsciiStrToLower(field.substr(0, eq));
    if (eq == absl::string_view::npos) {
      fields.emplace_back(key, std::nullopt);
    } else {
      fields.emplace_back(key, std::string(field.substr(eq + 1)));
    }
  }
  // The type decides defaults, so find it first.
  for (const auto& f : fields) {
    if (f.first != "type") continue;
    std::string t = f.second.value_or("");
    if (t == "bind") m.type = Mount::Type::kBind;
    else if (t == "cache") m.type = Mount::Type::kCache;
    else if (t == "tmpfs") m.type = Mount::Type::kTmpfs;
    else if (t == "secret") m.type = Mount::Type::kSecret;
    else if (t == "ssh") m.type = Mount::Type::kSsh;
    else return Err(absl::StrCat("unsupported mount type ", shell::GoQuote(t),
                                 ": want bind, cache, tmpfs, secret or ssh"));
  }
  if (m.type == Mount::Type::kBind) m.read_only = true;
  auto parse_bool = [](const std::optional<std::string>& v, const std::string& key,
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
  auto parse_u32 = [](const std::string& v, int base, const std::string& key,
                      std::optional<uint32_t>* out) -> absl::Status {
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
    const std::optional<std::string>& val = field.second;
    const std::string v = val.value_or("");
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
                           val.has_value() ? "=" + v : "", "'"));
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
        m.id = slash == std::string::npos ? m.target : m.target.substr(slash + 1);
      }
      if (m.target.empty() && m.env.empty()) m.target = "/run/secrets/" + m.id;
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

// Converts one instruction (inside a stage) to a Command, expanding with `scope` and updating it.
// `k` is the node's keyword, lower-cased (Node::Lower()).
absl::Status ConvertCommand(Ctx& ctx, const Node& n, absl::string_view k, Scope* scope,
                            Command* out);

absl::Status CheckOnbuild(const Node& n) {
  if (n.sub.empty()) return Err("ONBUILD requires at least one argument");
  std::string k = n.sub[0].Lower();
  if (k == "onbuild") return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (k == "from" || k == "maintainer") {
    return Err(absl::StrCat(absl::AsciiStrToUpper(k), " isn't allowed as an ONBUILD trigger"));
  }
  const auto& known = dockerfile::KnownInstructions();
  if (std::find(known.begin(), known.end(), k) == known.end()) {
    std::string hint = SuggestInstruction(n.sub[0].keyword);
    return Err(absl::StrCat("unknown instruction: ", n.sub[0].keyword,
                            hint.empty() ? "" : " (did you mean " + hint + "?)"));
  }
  return absl::OkStatus();
}

absl::Status ConvertCommand(Ctx& ctx, const Node& n, absl::string_view k, Scope* scope,
                            Command* out) {
  out->name = absl::AsciiStrToUpper(k);
  out->start_line = n.start_line;
  out->end_line = n.end_line;
  Node* own = Stealable(ctx, n);
  MoveOrCopy(own, n, &Node::original, &out->original);
  auto& used = out->args_used;

  if (k == "run") {
    Flags flags("RUN", {{"mount", FlagKind::kList}, {"network", FlagKind::kString},
                        {"security", FlagKind::kString}});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty() && n.heredocs.empty()) return Err("RUN requires at least one argument");
    RunCmd& run = out->payload.emplace<RunCmd>();  // built in place
    MoveOrCopy(own, n, &Node::args, &run.command);
    run.prepend_shell = !n.json;
    MoveOrCopy(own, n, &Node::heredocs, &run.files);
    std::vector<std::string> canon_flags;
    for (const std::string& raw : flags.List("mount")) {
      ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, raw, &used));
      absl::StatusOr<Mount> m = ParseMount(v);
      if (!m.ok()) return Err(absl::StrCat("--mount=", v, ": ", m.status().message()));
      run.mounts.push_back(*m);
      canon_flags.push_back("--mount=" + v);
    }
    run.network = flags.String("network");
    if (!run.network.empty() && run.network != "default" && run.network != "none" &&
        run.network != "host") {
      return Err(absl::StrCat("unsupported network mode ", shell::GoQuote(run.network),
                              ": want default, none or host"));
    }
    if (!run.network.empty()) canon_flags.push_back("--network=" + run.network);
    run.security = flags.String("security");
    if (!run.security.empty() && run.security != "sandbox" && run.security != "insecure") {
      return Err(absl::StrCat("unsupported security mode ", shell::GoQuote(run.security),
                              ": want sandbox or insecure"));
    }
    if (!run.security.empty()) canon_flags.push_back("--security=" + run.security);
    // The command sees every ARG in scope as an environment variable, so all of them are inputs.
    for (const auto& [name, value] : scope->args) {
      if (value.has_value() && !scope->env.count(name)) used[name] = *value;
    }
    const std::vector<std::string>& args = run.command;  // n.args may have been moved there
    out->expanded = absl::StrCat("RUN", FlagText(canon_flags), " ",
                                 n.json ? JsonArray(args) : (args.empty() ? "" : args[0]));
    for (const auto& h : run.files) {
      absl::StrAppend(&out->expanded, "\n", h.content, h.name);
    }
    return absl::OkStatus();
  }
  if (k == "cmd" || k == "entrypoint") {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    out->expanded = absl::StrCat(out->name, " ",
                                 n.json ? JsonArray(n.args) : (n.args.empty() ? "" : n.args[0]));
    std::vector<std::string> command;
    MoveOrCopy(own, n, &Node::args, &command);
    if (k == "cmd") {
      out->payload = CmdCmd{std::move(command), !n.json};
    } else {
      out->payload = EntrypointCmd{std::move(command), !n.json};
    }
    return absl::OkStatus();
  }
  if (k == "shell") {
    Flags flags("SHELL", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (!n.json) return Err("SHELL requires the arguments to be in JSON form");
    if (n.args.empty()) return Err("SHELL requires at least one argument");
    out->expanded = "SHELL " + JsonArray(n.args);
    out->payload = ShellCmd{n.args};
    return absl::OkStatus();
  }
  if (k == "env" || k == "label") {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err(absl::StrCat(out->name, " requires at least one argument"));
    std::vector<KeyValue> kvs;
    kvs.reserve(n.args.size() / 3);
    // `NAME k=v k2=v2`, written in place.
    std::string& text = out->expanded;
    text = out->name;
    text.push_back(' ');
    for (size_t i = 0; i + 2 < n.args.size(); i += 3) {
      ASSIGN_OR_RETURN(std::string key, Expand(ctx, *scope, n.args[i], &used));
      ASSIGN_OR_RETURN(std::string value, Expand(ctx, *scope, n.args[i + 1], &used));
      if (key.empty()) return Err(absl::StrCat(out->name, " names can not be blank"));
      if (i > 0) text.push_back(' ');
      AppendWord(key, &text);
      text.push_back('=');
      AppendWord(value, &text);
      kvs.push_back({std::move(key), std::move(value)});
    }
    if (k == "env") {
      for (const KeyValue& kv : kvs) scope->env[kv.key] = kv.value;
      out->payload = EnvCmd{std::move(kvs)};
    } else {
      out->payload = LabelCmd{std::move(kvs)};
    }
    return absl::OkStatus();
  }
  if (k == "maintainer") {
    RETURN_IF_ERROR(ExactlyOne(n, "MAINTAINER"));
    out->expanded = "MAINTAINER " + n.args[0];
    out->payload = MaintainerCmd{n.args[0]};
    return absl::OkStatus();
  }
  if (k == "expose") {
    Flags flags("EXPOSE", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("EXPOSE requires at least one argument");
    ExposeCmd expose;
    for (const std::string& a : n.args) {
      ASSIGN_OR_RETURN(std::vector<std::string> words, ExpandWords(ctx, *scope, a, &used));
      for (const std::string& w : words) {
        ASSIGN_OR_RETURN(std::string p, NormalisePort(w));
        expose.ports.push_back(p);
      }
    }
    out->expanded = "EXPOSE " + absl::StrJoin(expose.ports, " ");
    out->payload = std::move(expose);
    return absl::OkStatus();
  }
  if (k == "copy" || k == "add") {
    bool add = k == "add";
    static constexpr FlagSpec kCopy[] = {
        {"chown", FlagKind::kString}, {"chmod", FlagKind::kString}, {"link", FlagKind::kBool},
        {"exclude", FlagKind::kList}, {"from", FlagKind::kString},  {"parents", FlagKind::kBool}};
    static constexpr FlagSpec kAdd[] = {
        {"chown", FlagKind::kString},    {"chmod", FlagKind::kString},
        {"link", FlagKind::kBool},       {"exclude", FlagKind::kList},
        {"checksum", FlagKind::kString}, {"keep-git-dir", FlagKind::kBool},
        {"unpack", FlagKind::kBool}};
    Flags flags(out->name, add ? absl::Span<const FlagSpec>(kAdd) : absl::Span<const FlagSpec>(kCopy));
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.size() < 2) {
      return Err(absl::StrCat(out->name, " requires at least two arguments, but only ",
                              n.args.size() == 1 ? "one was" : "none were",
                              " provided. Destination could not be determined"));
    }
    CopyCmd copy;
    copy.is_add = add;
    std::vector<std::string> canon;
    for (const char* f : {"from", "chown", "chmod", "checksum"}) {
      if (!flags.Has(f)) continue;
      ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, flags.String(f), &used));
      canon.push_back(absl::StrCat("--", f, "=", v));
      absl::string_view name(f);
      if (name == "from") copy.from = std::move(v);
      if (name == "chown") copy.chown = std::move(v);
      if (name == "chmod") copy.chmod = std::move(v);
      if (name == "checksum") copy.checksum = std::move(v);
    }
    if (flags.Has("from") && copy.from.empty()) return Err("--from must not be empty");
    if (!copy.chmod.empty() && !ValidChmod(copy.chmod)) {
      return Err(absl::StrCat("invalid chmod parameter ", shell::GoQuote(copy.chmod),
                              ": want octal (0755) or symbolic (u+x,g-w)"));
    }
    if (flags.Has("chown") && copy.chown.empty()) return Err("--chown must not be empty");
    for (const std::string& e : flags.List("exclude")) {
      ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, e, &used));
      copy.excludes.push_back(v);
      canon.push_back("--exclude=" + v);
    }
    copy.link = flags.Bool("link").value_or(false);
    if (copy.link) canon.push_back("--link");
    copy.parents = flags.Bool("parents").value_or(false);
    if (copy.parents) canon.push_back("--parents");
    copy.keep_git_dir = flags.Bool("keep-git-dir").value_or(false);
    if (copy.keep_git_dir) canon.push_back("--keep-git-dir");
    copy.unpack = flags.Bool("unpack");
    if (copy.unpack) canon.push_back(absl::StrCat("--unpack=", *copy.unpack ? "true" : "false"));
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
          scope->NoteArgs(r->matched, &used);
          h.content = std::move(r->word);
        }
        copy.source_contents.push_back(std::move(h));
        next_doc = doc + 1;
        continue;
      }
      ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, n.args[i], &used));
      copy.sources.push_back(v);
    }
    ASSIGN_OR_RETURN(copy.dest, Expand(ctx, *scope, n.args.back(), &used));
    if (!copy.checksum.empty()) {
      for (const std::string& s : copy.sources) {
        if (!absl::StartsWith(s, "http://") && !absl::StartsWith(s, "https://") &&
            !absl::StartsWith(s, "git@") && !absl::EndsWith(s, ".git") &&
            !absl::StartsWith(s, "git://")) {
          return Err(absl::StrCat("checksum can't be specified for non-HTTP(S)/git source ",
                                  shell::GoQuote(s)));
        }
      }
    }
    std::vector<std::string> words;
    for (const std::string& s : copy.sources) words.push_back(Word(s));
    for (const auto& h : copy.source_contents) words.push_back("<<" + Word(h.name));
    words.push_back(Word(copy.dest));
    out->expanded = absl::StrCat(out->name, FlagText(canon), " ", absl::StrJoin(words, " "));
    for (const auto& h : copy.source_contents) {
      absl::StrAppend(&out->expanded, "\n", h.content, h.name);
    }
    out->payload = std::move(copy);
    return absl::OkStatus();
  }
  if (k == "volume") {
    Flags flags("VOLUME", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("VOLUME requires at least one argument");
    VolumeCmd vol;
    for (const std::string& a : n.args) {
      ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, a, &used));
      if (v.empty()) return Err("VOLUME specified can not be an empty string");
      vol.volumes.push_back(v);
    }
    out->expanded = "VOLUME " + JsonArray(vol.volumes);
    out->payload = std::move(vol);
    return absl::OkStatus();
  }
  if (k == "user" || k == "workdir" || k == "stopsignal") {
    Flags flags(out->name, {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    RETURN_IF_ERROR(ExactlyOne(n, out->name));
    ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, n.args[0], &used));
    out->expanded = absl::StrCat(out->name, " ", v);
    if (k == "user") {
      if (v.empty()) return Err("USER requires a non-empty user");
      out->payload = UserCmd{v};
    } else if (k == "workdir") {
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
  if (k == "arg") {
    Flags flags("ARG", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("ARG requires at least one argument");
    ArgCmd arg;
    std::vector<std::string> text;
    for (const std::string& word : n.args) {
      ArgCmd::Arg a;
      size_t eq = word.find('=');
      a.key = word.substr(0, eq);
      if (a.key.empty()) return Err("ARG names can not be blank");
      ctx.declared.insert(a.key);
      if (eq != std::string::npos) {
        ASSIGN_OR_RETURN(std::string v, Expand(ctx, *scope, word.substr(eq + 1), &used));
        a.value = v;
      }
      auto over = ctx.options.build_args.find(a.key);
      std::optional<std::string> effective = a.value;
      if (over != ctx.options.build_args.end()) {
        effective = over->second;
      } else if (!a.value.has_value()) {
        auto prior = scope->args.find(a.key);  // a global default carried in (see Load)
        if (prior != scope->args.end()) effective = prior->second;
      }
      scope->args[a.key] = effective;
      if (effective) used[a.key] = *effective;
      text.push_back(effective ? Word(a.key) + "=" + Word(*effective) : Word(a.key));
      a.value = effective;
      arg.args.push_back(std::move(a));
    }
    out->expanded = "ARG " + absl::StrJoin(text, " ");
    out->payload = std::move(arg);
    return absl::OkStatus();
  }
  if (k == "onbuild") {
    Flags flags("ONBUILD", {});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    RETURN_IF_ERROR(CheckOnbuild(n));
    // The trigger text after the keyword, as BuildKit stores it.
    std::string expr(shell::TrimSpace(out->original));
    size_t sp = 0;
    while (sp < expr.size() && !shell::IsSpace(static_cast<unsigned char>(expr[sp]))) ++sp;
    expr = std::string(shell::TrimSpace(absl::string_view(expr).substr(sp)));
    out->expanded = "ONBUILD " + expr;
    out->payload = OnbuildCmd{expr};
    return absl::OkStatus();
  }
  if (k == "healthcheck") {
    Flags flags("HEALTHCHECK", {{"interval", FlagKind::kString},
                                {"timeout", FlagKind::kString},
                                {"start-period", FlagKind::kString},
                                {"start-interval", FlagKind::kString},
                                {"retries", FlagKind::kString}});
    RETURN_IF_ERROR(flags.Parse(n.flags));
    if (n.args.empty()) return Err("HEALTHCHECK requires at least one argument");
    HealthcheckCmd hc;
    std::string typ = absl::AsciiStrToUpper(n.args[0]);
    if (typ == "NONE") {
      if (n.args.size() > 1 || !n.flags.empty()) return Err("HEALTHCHECK NONE takes no arguments");
      hc.test = {"NONE"};
    } else if (typ == "CMD") {
      if (n.args.size() < 2) return Err("Missing command after HEALTHCHECK CMD");
      if (n.json) {
        hc.test = {"CMD"};
        hc.test.insert(hc.test.end(), n.args.begin() + 1, n.args.end());
      } else {
        hc.test = {"CMD-SHELL", n.args[1]};
      }
      ASSIGN_OR_RETURN(hc.interval, ParseInterval(flags, "interval"));
      ASSIGN_OR_RETURN(hc.timeout, ParseInterval(flags, "timeout"));
      ASSIGN_OR_RETURN(hc.start_period, ParseInterval(flags, "start-period"));
      ASSIGN_OR_RETURN(hc.start_interval, ParseInterval(flags, "start-interval"));
      std::string retries = flags.String("retries");
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
    out->expanded = absl::StrCat("HEALTHCHECK", FlagText(n.flags), " ", JsonArray(hc.test));
    out->payload = std::move(hc);
    return absl::OkStatus();
  }
  if (k == "from") return Err("internal: FROM handled by Load");
  std::string hint = SuggestInstruction(n.keyword);
  return Err(absl::StrCat("unknown instruction: ", n.keyword,
                          hint.empty() ? "" : " (did you mean " + hint + "?)"));
}

bool ValidStageName(const std::string& name) {
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

// Load, moving strings out of `ast` when `steal` (see Ctx::steal).
absl::StatusOr<Dockerfile> LoadImpl(const dockerfile::Ast& ast, const LoadOptions& options,
                                    bool steal) {
  const std::string& file = ast.file_name.empty() ? std::string("Dockerfile") : ast.file_name;
  Ctx ctx{options, file, ast.escape, shell::Lexer(shell::LexOptions{ast.escape}), {}, steal};
  auto located = [&](const Node& n, const absl::Status& s) {
    return dockerfile::LocatedError(file, n.start_line, s.message());
  };

  // The global scope: predefined platform args, then ARGs before the first FROM.
  Scope global;
  const Platform& tp = options.target_platform;
  const Platform& bp = options.build_platform;
  global.args["TARGETPLATFORM"] = tp.ToString();
  global.args["TARGETOS"] = tp.os;
  global.args["TARGETARCH"] = tp.arch;
  global.args["TARGETVARIANT"] = tp.variant;
  global.args["BUILDPLATFORM"] = bp.ToString();
  global.args["BUILDOS"] = bp.os;
  global.args["BUILDARCH"] = bp.arch;
  global.args["BUILDVARIANT"] = bp.variant;
  const std::set<std::string> predefined = {"TARGETPLATFORM", "TARGETOS",  "TARGETARCH",
                                            "TARGETVARIANT",  "BUILDPLATFORM", "BUILDOS",
                                            "BUILDARCH",      "BUILDVARIANT"};

  Dockerfile df;
  FromExpander from_expander;  // FROM lines' expansions in the (by then complete) global scope
  Scope stage_scope;
  Stage* stage = nullptr;
  // Stage names -> index, for duplicate names and FROM <stage> (names are unique).
  absl::flat_hash_map<std::string, int> stage_by_name;
  // The ENV state after the stage's last command is moved in once, when the stage ends: what the
  // stage inherited from its base stage (or image) plus its own ENV lines, even when the stage is
  // nothing but its FROM (a later `FROM <that stage>` inherits it).
  auto end_stage = [&] {
    if (stage != nullptr) stage->env = std::move(stage_scope.env);
  };
  std::vector<std::string> lower(ast.children.size());
  std::vector<bool> is_from(ast.children.size());
  size_t n_stages = 0;
  for (size_t i = 0; i < ast.children.size(); ++i) {
    lower[i] = ast.children[i].Lower();
    is_from[i] = lower[i] == "from";
    n_stages += is_from[i];
  }
  df.stages.reserve(n_stages);
  for (size_t node_index = 0; node_index < ast.children.size(); ++node_index) {
    const Node& n = ast.children[node_index];
    const absl::string_view k = lower[node_index];
    if (is_from[node_index]) {
      Flags flags("FROM", {{"platform", FlagKind::kString}});
      absl::Status fs = flags.Parse(n.flags);
      if (!fs.ok()) return located(n, fs);
      bool has_as = n.args.size() == 3 && absl::AsciiStrToLower(n.args[1]) == "as";
      if (!(n.args.size() == 1 || has_as)) {
        return located(n, Err("FROM requires either one or three arguments (FROM <image> "
                              "[AS <name>])"));
      }
      Command cmd;
      cmd.name = "FROM";
      cmd.start_line = n.start_line;
      cmd.end_line = n.end_line;
      MoveOrCopy(Stealable(ctx, n), n, &Node::original, &cmd.original);
      FromCmd from;
      absl::StatusOr<std::string> base =
          from_expander.Expand(ctx, global, n.args[0], &cmd.args_used);
      if (!base.ok()) return located(n, base.status());
      if (base->empty()) {
        return located(n, Err(absl::StrCat("base name (", n.args[0], ") should not be blank")));
      }
      from.base_name = *base;
      if (has_as) {
        from.stage_name = absl::AsciiStrToLower(n.args[2]);
        if (!ValidStageName(from.stage_name)) {
          return located(n, Err(absl::StrCat("invalid name for build stage: ",
                                              shell::GoQuote(n.args[2]),
                                              ", name can't start with a number or contain "
                                              "symbols")));
        }
        if (stage_by_name.count(from.stage_name)) {
          return located(n, Err(absl::StrCat("duplicate stage name ",
                                              shell::GoQuote(from.stage_name))));
        }
      }
      if (flags.Has("platform")) {
        absl::StatusOr<std::string> p =
            from_expander.Expand(ctx, global, flags.String("platform"), &cmd.args_used);
        if (!p.ok()) return located(n, p.status());
        absl::StatusOr<Platform> parsed = ParsePlatform(*p);
        if (!parsed.ok()) return located(n, parsed.status());
        from.platform = parsed->ToString();
      }
      // Predefined args used by FROM are inputs too, but are not user build args.
      Stage s;
      s.index = static_cast<int>(df.stages.size());
      s.name = from.stage_name;
      s.base_name = from.base_name;
      s.platform = from.platform;
      s.start_line = n.start_line;
      end_stage();
      stage_scope = Scope();
      std::string lower_base = absl::AsciiStrToLower(from.base_name);
      if (auto prev = stage_by_name.find(lower_base); prev != stage_by_name.end()) {
        s.base_stage = prev->second;
        // The image config (ENV) is inherited, ARGs are not.
        stage_scope.env = df.stages[prev->second].env;
      }
      if (s.base_stage < 0 && options.base_env && lower_base != "scratch") {
        for (const KeyValue& kv : options.base_env(from.base_name)) stage_scope.env[kv.key] = kv.value;
      }
      cmd.expanded = absl::StrCat("FROM", from.platform.empty() ? "" : " --platform=" + from.platform,
                                  " ", from.base_name,
                                  from.stage_name.empty() ? "" : " AS " + from.stage_name);
      cmd.payload = std::move(from);
      size_t n_commands = 1;
      while (node_index + n_commands < ast.children.size() &&
             !is_from[node_index + n_commands]) {
        ++n_commands;
      }
      s.commands.reserve(n_commands);
      s.commands.push_back(std::move(cmd));
      if (!s.name.empty()) stage_by_name.emplace(s.name, s.index);
      df.stages.push_back(std::move(s));
      stage = &df.stages.back();
      continue;
    }
    if (stage == nullptr) {
      if (k != "arg") {
        const auto& known = dockerfile::KnownInstructions();
        if (std::find(known.begin(), known.end(), k) == known.end()) {
          Command ignored;
          return located(n, ConvertCommand(ctx, n, k, &global, &ignored));  // unknown instruction
        }
        return located(n, Err(absl::StrCat(absl::AsciiStrToUpper(k),
                                            ": no build stage in current context (only ARG may "
                                            "come before the first FROM)")));
      }
      Command cmd;
      absl::Status s = ConvertCommand(ctx, n, k, &global, &cmd);
      if (!s.ok()) return located(n, s);
      for (const auto& a : std::get<ArgCmd>(cmd.payload).args) df.global_args.push_back(a);
      continue;
    }
    // A stage-level ARG without a value takes the global default: carry it in just for this line.
    if (k == "arg") {
      for (const std::string& word : n.args) {
        std::string key = word.substr(0, word.find('='));
        if (word.find('=') == std::string::npos && !stage_scope.args.count(key)) {
          auto g = global.args.find(key);
          if (g != global.args.end()) stage_scope.args[key] = g->second;
        }
      }
    }
    // Built in place: a Command is ~400 bytes, and the stage's vector has room (reserved).
    absl::Status s = ConvertCommand(ctx, n, k, &stage_scope, &stage->commands.emplace_back());
    if (!s.ok()) return located(n, s);
  }
  end_stage();
  if (df.stages.empty()) {
    return dockerfile::LocatedError(file, ast.end_line, "no FROM instruction: nothing to build");
  }
  for (const auto& [name, value] : options.build_args) {
    if (!ctx.declared.count(name) && !IsProxyArg(name) && !predefined.count(name)) {
      df.unused_build_args.push_back(name);
    }
  }
  return df;
}

}  // namespace

absl::StatusOr<Dockerfile> Load(const dockerfile::Ast& ast, const LoadOptions& options) {
  return LoadImpl(ast, options, /*steal=*/false);
}

absl::StatusOr<Dockerfile> Load(dockerfile::Ast&& ast, const LoadOptions& options) {
  return LoadImpl(ast, options, /*steal=*/true);
}

}  // namespace builder::instructions
