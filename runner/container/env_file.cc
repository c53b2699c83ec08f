#include "runner/container/env_file.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace runner {
namespace {

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseEnvFile(absl::string_view name,
                                                      absl::string_view text,
                                                      const EnvLookup& lookup) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  if (absl::EndsWith(text, "\n")) text.remove_suffix(1);  // no empty line after the last one
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", number, ": ", why));
    };
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (!IsUtf8(line)) return bad("the line is not valid UTF-8");
    if (number == 1) absl::ConsumePrefix(&line, "\xEF\xBB\xBF");
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    absl::string_view key = line.substr(0, eq);
    if (key.empty()) return bad(absl::StrCat("no variable name in `", line, "`"));
    if (key.find_first_of(" \t") != absl::string_view::npos)
      return bad(absl::StrCat("variable `", key, "` contains whitespace"));
    if (eq != absl::string_view::npos) {
      out.emplace_back(line);
    } else if (lookup) {
      std::optional<std::string> value = lookup(std::string(key));
      if (value.has_value()) out.push_back(absl::StrCat(key, "=", *value));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadEnvFile(const std::string& path, base::Env* env,
                                                     const EnvLookup& lookup) {
  absl::StatusOr<std::string> text = env->ReadFile(path);
  if (!text.ok()) return base::Annotate(text.status(), "reading the env file");
  EnvLookup getenv_lookup = [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return ParseEnvFile(path, *text, lookup ? lookup : getenv_lookup);
}

}  // namespace runner
