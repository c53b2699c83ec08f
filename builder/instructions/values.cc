// Small public helpers of builder/instructions: platforms, durations, proxy args, stage lookup
// and instruction-name suggestions (declared in instructions.h).
#include <sys/utsname.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {
namespace {

const char* const kProxyArgs[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                  "ALL_PROXY",  "all_proxy"};

}  // namespace

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

}  // namespace builder::instructions
