#include "builder/instructions/validate.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {

using dockerfile::Instruction;
using dockerfile::Node;

namespace {

// '0'-'9', as ::isdigit in any locale, without its call per byte (nor its undefined behaviour for
// a negative char).
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// True for the usual EXPOSE word, `8080/tcp`: 1-5 ASCII digits up to 65535, a slash, a protocol
// in lower case. It is its own normal form (as the general path finds), without that path's
// searches, number parsing and checks.
bool IsNormalPort(absl::string_view spec) {
  const size_t slash = spec.find('/');
  if (slash == 0 || slash > 5) return false;  // npos too
  int port = 0;
  for (size_t i = 0; i < slash; ++i) {
    if (!IsAsciiDigit(spec[i])) return false;
    port = port * 10 + (spec[i] - '0');
  }
  const absl::string_view proto = spec.substr(slash + 1);
  return port <= 65535 && (proto == "tcp" || proto == "udp" || proto == "sctp");
}

}  // namespace

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

absl::StatusOr<absl::string_view> NormalisePort(absl::string_view spec, base::Arena* arena) {
  if (IsNormalPort(spec)) return spec;
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
    if (range[i].empty() || !std::all_of(range[i].begin(), range[i].end(), IsAsciiDigit) ||
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
    return Err(
        absl::StrCat(dockerfile::InstructionName(k), " isn't allowed as an ONBUILD trigger"));
  }
  if (k == Instruction::kUnknown) return UnknownInstruction(n.sub[0].keyword);
  return absl::OkStatus();
}

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

}  // namespace builder::instructions
