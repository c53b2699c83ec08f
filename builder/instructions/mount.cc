// ParseMount and MountTypeName (declared in instructions.h): RUN --mount values, BuildKit's rules.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "builder/instructions/instructions.h"
#include "builder/instructions/validate.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {

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

namespace {

// One `key[=value]` field of a --mount value. Keys are case-insensitive: compared with KeyIs, and
// lower-cased only for an error message.
struct Field {
  absl::string_view key;  // as written
  std::optional<absl::string_view> value;
};

// The comma-separated fields of `value`, as absl::StrSplit would cut it ("" is one empty field).
void SplitFields(absl::string_view value, absl::InlinedVector<Field, 6>* fields) {
  // memchr, not string_view::find (an out-of-line call around memchr).
  auto find = [](absl::string_view s, char c) {
    const void* p = s.empty() ? nullptr : std::memchr(s.data(), c, s.size());
    return p == nullptr ? s.size() : static_cast<size_t>(static_cast<const char*>(p) - s.data());
  };
  for (;;) {
    const size_t comma = find(value, ',');
    const absl::string_view field = value.substr(0, comma);
    const size_t eq = find(field, '=');
    if (eq == field.size()) {
      fields->push_back({field, std::nullopt});
    } else {
      fields->push_back({field.substr(0, eq), field.substr(eq + 1)});
    }
    if (comma == value.size()) return;
    value.remove_prefix(comma + 1);
  }
}

// True if `key` is `lower` (a lower-case literal) in any case; the size rules most keys out.
bool KeyIs(absl::string_view key, absl::string_view lower) {
  return key.size() == lower.size() && absl::EqualsIgnoreCase(key, lower);
}

}  // namespace

absl::StatusOr<Mount> ParseMount(absl::string_view value, base::Arena* arena) {
  Mount m;
  absl::InlinedVector<Field, 6> fields;
  SplitFields(value, &fields);
  // The type decides defaults, so find it first.
  for (const Field& f : fields) {
    if (!KeyIs(f.key, "type")) continue;
    absl::string_view t = f.value.value_or(absl::string_view());
    if (t == "bind") m.type = Mount::Type::kBind;
    else if (t == "cache") m.type = Mount::Type::kCache;
    else if (t == "tmpfs") m.type = Mount::Type::kTmpfs;
    else if (t == "secret") m.type = Mount::Type::kSecret;
    else if (t == "ssh") m.type = Mount::Type::kSsh;
    else return Err(absl::StrCat("unsupported mount type ", shell::GoQuote(t),
                                 ": want bind, cache, tmpfs, secret or ssh"));
  }
  if (m.type == Mount::Type::kBind) m.read_only = true;
  // `key` as written: lower-cased for the message.
  auto parse_bool = [](const std::optional<absl::string_view>& v, absl::string_view key,
                       bool* out) -> absl::Status {
    if (!v.has_value()) {
      *out = true;
      return absl::OkStatus();
    }
    std::string s = absl::AsciiStrToLower(*v);
    if (s == "true" || s == "1")
      *out = true;
    else if (s == "false" || s == "0")
      *out = false;
    else
      return Err(
          absl::StrCat("invalid value for ", absl::AsciiStrToLower(key), ": ", shell::GoQuote(*v)));
    return absl::OkStatus();
  };
  auto parse_u32 = [](absl::string_view view, int base, absl::string_view key,
                      std::optional<uint32_t>* out) -> absl::Status {
    const std::string v(view);  // strtoul wants a terminated string
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(v.c_str(), &end, base);
    if (v.empty() || *end != '\0' || errno != 0 || n > 0xFFFFFFFFul || v[0] == '-') {
      return Err(
          absl::StrCat("invalid value for ", absl::AsciiStrToLower(key), ": ", shell::GoQuote(v)));
    }
    *out = static_cast<uint32_t>(n);
    return absl::OkStatus();
  };
  for (const Field& field : fields) {
    const absl::string_view raw_key = field.key;
    const std::optional<absl::string_view>& val = field.value;
    const absl::string_view v = val.value_or(absl::string_view());
    auto key = [raw_key] { return absl::AsciiStrToLower(raw_key); };  // for messages
    auto need_value = [&]() -> absl::Status {
      if (!val.has_value()) {
        return Err(absl::StrCat("invalid field '", key(), "' must be a key=value pair"));
      }
      return absl::OkStatus();
    };
    auto is = [raw_key](absl::string_view lower) { return KeyIs(raw_key, lower); };
    absl::Status s;
    if (is("type")) {
      continue;
    } else if (is("target") || is("dst") || is("destination")) {
      s = need_value();
      m.target = v;
    } else if (is("source") || is("src")) {
      s = need_value();
      m.source = v;
    } else if (is("from")) {
      s = need_value();
      m.from = v;
    } else if (is("readonly") || is("ro")) {
      s = parse_bool(val, raw_key, &m.read_only);
    } else if (is("readwrite") || is("rw")) {
      bool rw = false;
      s = parse_bool(val, raw_key, &rw);
      m.read_only = !rw;
    } else if (is("required")) {
      s = parse_bool(val, raw_key, &m.required);
    } else if (is("id")) {
      s = need_value();
      m.id = v;
    } else if (is("sharing")) {
      s = need_value();
      if (v == "shared") m.sharing = Mount::Sharing::kShared;
      else if (v == "private") m.sharing = Mount::Sharing::kPrivate;
      else if (v == "locked") m.sharing = Mount::Sharing::kLocked;
      else s = Err(absl::StrCat("unsupported sharing value ", shell::GoQuote(v),
                                ": want shared, private or locked"));
    } else if (is("mode")) {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 8, raw_key, &m.mode);
    } else if (is("uid")) {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 10, raw_key, &m.uid);
    } else if (is("gid")) {
      s = need_value();
      if (s.ok()) s = parse_u32(v, 10, raw_key, &m.gid);
    } else if (is("size")) {
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
    } else if (is("env")) {
      s = need_value();
      m.env = v;
    } else {
      s = Err(absl::StrCat("unexpected key '", key(), "' in '", key(),
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

}  // namespace builder::instructions
