// The `slipway` subcommand registry. Each subcommand lives in its own file in tools/cli/ and
// registers itself with SLIPWAY_COMMAND, so adding a verb means adding one file (and its deps in
// tools/BUILD.bazel). Registration happens during static initialisation; the registry is read-only
// once main() starts.
#ifndef SLIPWAY_TOOLS_CLI_COMMAND_H_
#define SLIPWAY_TOOLS_CLI_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cli {

// Exit statuses (../shared/DESIGN.md): 0 success, 1 the user's error, 2 usage error, 125 slipway's
// own failure. `run` returns the container's status instead.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUserError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 125;

struct Command {
  const char* name;
  const char* summary;  // one line for `slipway --help`
  const char* usage;    // full text for `slipway VERB --help`
  // Receives the arguments after the verb. Returns the process exit status.
  int (*run)(const std::vector<std::string>& args);
};

// Adds a command; called by SLIPWAY_COMMAND.
bool RegisterCommand(const Command& command);
// All commands, sorted by name.
std::vector<Command> AllCommands();
const Command* FindCommand(absl::string_view name);

// Prints "slipway VERB: MESSAGE" to stderr and returns the exit status for `status`: OK -> 0;
// HelpRequested() -> the verb's usage on stdout, 0; usage errors
// (kInvalidArgument carrying the usage payload, see UsageError) -> 2; user errors (invalid input,
// not found, failed precondition, permission/auth, already exists) -> 1; anything else -> 125.
int ReportError(absl::string_view verb, const absl::Status& status);

// An InvalidArgument status marked as a usage error (exit 2).
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// What a verb returns when `--help` came with other arguments (FlagSet::ParsePositional):
// ReportError prints the verb's usage on standard output and returns kExitOk.
absl::Status HelpRequested();
bool IsHelpRequest(const absl::Status& status);

}  // namespace cli

#define SLIPWAY_COMMAND_CONCAT_INNER_(a, b) a##b
#define SLIPWAY_COMMAND_CONCAT_(a, b) SLIPWAY_COMMAND_CONCAT_INNER_(a, b)
// SLIPWAY_COMMAND(inspect, "Show an image's manifest and config", kUsage, RunInspect);
#define SLIPWAY_COMMAND(name, summary, usage, fn)                                      \
  static const bool SLIPWAY_COMMAND_CONCAT_(slipway_command_registered_, __LINE__) = \
      ::cli::RegisterCommand(::cli::Command{#name, summary, usage, fn})

#endif  // SLIPWAY_TOOLS_CLI_COMMAND_H_
