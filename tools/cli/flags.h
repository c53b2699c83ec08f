// A small command-line flag parser for the subcommands: `--name=value`, `--name value`, short
// aliases (`-t`), boolean flags (`--rm`, `--rm=false`) that may be grouped (`-it` = `-i -t`),
// repeated flags, `--` ending the flags, and positional arguments. `-h` means --help unless a flag
// has it as its short name. Flags stop at the first positional argument when `stop_at_positional` is set
// (for `run IMAGE CMD...`, where the command's own flags must not be read as ours).
//
// Usage:
//   cli::FlagSet flags;
//   std::string file = "Dockerfile"; std::vector<std::string> tags; bool no_cache = false;
//   flags.String("file", 'f', &file);  flags.Repeated("tag", 't', &tags);
//   flags.Bool("no-cache", 0, &no_cache);
//   ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
// Unknown flags and missing values are usage errors (cli::UsageError).
#ifndef SLIPWAY_TOOLS_CLI_FLAGS_H_
#define SLIPWAY_TOOLS_CLI_FLAGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cli {

class FlagSet {
 public:
  // `short_name` 0 means none.
  void String(const std::string& name, char short_name, std::string* out);
  void Repeated(const std::string& name, char short_name, std::vector<std::string>* out);
  void Bool(const std::string& name, char short_name, bool* out);
  void Int(const std::string& name, char short_name, int64_t* out);
  // Calls `fn` with each value (for flags that need custom parsing).
  void Custom(const std::string& name, char short_name,
              std::function<absl::Status(absl::string_view)> fn);

  // Stops reading flags at the first positional argument; the rest are all positional.
  void StopAtPositional() { stop_at_positional_ = true; }

  // Parses `args`; returns the positional arguments. `--help`/`-h` sets help_requested().
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_; }

  // The start of most verbs: Parse, then HelpRequested() (command.h) if `--help` was given, then
  // UsageError(`want`) unless there are between `min` and `max` positional arguments.
  absl::StatusOr<std::vector<std::string>> ParsePositional(const std::vector<std::string>& args,
                                                           size_t min, size_t max,
                                                           absl::string_view want);

 private:
  struct Flag {
    std::string name;
    char short_name = 0;
    bool is_bool = false;
    std::function<absl::Status(absl::string_view)> set;
  };
  const Flag* Find(absl::string_view name) const;
  const Flag* FindShort(char c) const;

  std::vector<Flag> flags_;
  bool stop_at_positional_ = false;
  bool help_ = false;
};

}  // namespace cli

#endif  // SLIPWAY_TOOLS_CLI_FLAGS_H_
