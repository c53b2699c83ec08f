// Resource limits for `slipway run --ulimit NAME=SOFT[:HARD]`, with Docker's names (core, cpu,
// data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending,
// stack) and rules (HARD defaults to SOFT, -1 is unlimited, SOFT <= HARD, a later flag for the
// same name wins). Parsing is pure; ApplyUlimits runs in the container's process before it drops
// its capabilities (raising a hard limit needs CAP_SYS_RESOURCE).
#ifndef SLIPWAY_RUNNER_SANDBOX_ULIMITS_H_
#define SLIPWAY_RUNNER_SANDBOX_ULIMITS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/sandbox/spec.h"

namespace runner {

// Parses one `NAME=SOFT[:HARD]`. InvalidArgument (naming the flag value) for an unknown name, a
// value that is not a whole number or -1, more than two values, or SOFT above HARD.
absl::StatusOr<Ulimit> ParseUlimit(absl::string_view flag);

// Parses every flag in order; a later flag for a name replaces an earlier one (as Docker's).
absl::StatusOr<std::vector<Ulimit>> ParseUlimits(const std::vector<std::string>& flags);

// Sets each limit with setrlimit(2). The error names the limit.
absl::Status ApplyUlimits(const std::vector<Ulimit>& ulimits);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_SANDBOX_ULIMITS_H_
