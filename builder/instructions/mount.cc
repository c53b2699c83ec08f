// ParseMount and MountTypeName (declared in instructions.h): RUN --mount values, BuildKit's rules.
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

}  // namespace builder::instructions
