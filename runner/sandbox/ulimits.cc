#include "runner/sandbox/ulimits.h"

#include <errno.h>
#include <sys/resource.h>

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace runner {
namespace {

struct Name {
  const char* name;
  int resource;
};
// Docker's table (go-units ulimit.go).
constexpr Name kNames[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK}};

// A limit value: a whole number >= 0, or -1 for unlimited.
bool ParseValue(absl::string_view text, uint64_t* out) {
  if (text == "-1") {
    *out = RLIM_INFINITY;
    return true;
  }
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  return absl::SimpleAtoi(text, out) && *out != RLIM_INFINITY;
}

std::string Show(uint64_t v) { return v == RLIM_INFINITY ? "-1 (unlimited)" : absl::StrCat(v); }

}  // namespace

absl::StatusOr<Ulimit> ParseUlimit(absl::string_view flag) {
  auto bad = [flag](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--ulimit `", flag, "`: ", why));
  };
  size_t eq = flag.find('=');
  if (eq == absl::string_view::npos) return bad("expected NAME=SOFT[:HARD]");
  Ulimit u;
  u.name = std::string(flag.substr(0, eq));
  bool known = false;
  for (const Name& n : kNames) {
    if (u.name == n.name) {
      u.resource = n.resource;
      known = true;
    }
  }
  if (!known) {
    std::vector<std::string> names;
    for (const Name& n : kNames) names.push_back(n.name);
    return bad(absl::StrCat("unknown limit `", u.name, "` (one of ", absl::StrJoin(names, ", "),
                            ")"));
  }
  std::vector<absl::string_view> values = absl::StrSplit(flag.substr(eq + 1), ':');
  if (values.size() > 2) return bad("too many values: expected SOFT or SOFT:HARD");
  if (!ParseValue(values[0], &u.soft))
    return bad(absl::StrCat("soft limit `", values[0], "` is not a whole number or -1"));
  u.hard = u.soft;
  if (values.size() == 2 && !ParseValue(values[1], &u.hard))
    return bad(absl::StrCat("hard limit `", values[1], "` is not a whole number or -1"));
  // RLIM_INFINITY is the largest value, so this also rejects soft -1 with a finite hard limit.
  if (u.soft > u.hard)
    return bad(absl::StrCat("the soft limit must not exceed the hard limit: ", Show(u.soft),
                            " > ", Show(u.hard)));
  return u;
}

absl::StatusOr<std::vector<Ulimit>> ParseUlimits(const std::vector<std::string>& flags) {
  std::vector<Ulimit> out;
  for (const std::string& f : flags) {
    ASSIGN_OR_RETURN(Ulimit u, ParseUlimit(f));
    bool replaced = false;
    for (Ulimit& existing : out) {
      if (existing.name == u.name) {
        existing = u;
        replaced = true;
      }
    }
    if (!replaced) out.push_back(std::move(u));
  }
  return out;
}

absl::Status ApplyUlimits(const std::vector<Ulimit>& ulimits) {
  for (const Ulimit& u : ulimits) {
    struct rlimit limit = {static_cast<rlim_t>(u.soft), static_cast<rlim_t>(u.hard)};
    if (setrlimit(u.resource, &limit) < 0)
      return base::ErrnoError(errno, absl::StrCat("setrlimit for --ulimit ", u.name, " (soft ",
                                                  Show(u.soft), ", hard ", Show(u.hard), ")"));
  }
  return absl::OkStatus();
}

}  // namespace runner
