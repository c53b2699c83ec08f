// `slipway run --env-file FILE`: Docker's env-file format. Each line is `KEY=VALUE` (the value
// taken verbatim: no quotes removed, no trimming, no expansion), or `KEY` alone, which copies KEY
// from the caller's environment and is dropped when KEY is unset there. Blank lines and lines
// starting with `#` (after leading whitespace) are skipped; a UTF-8 byte order mark on the first
// line and the `\r` of CRLF line ends are ignored. A key containing spaces or tabs, an empty key
// and bytes that are not UTF-8 are errors naming the file and line. Pure apart from ReadEnvFile.
#ifndef SLIPWAY_RUNNER_CONTAINER_ENV_FILE_H_
#define SLIPWAY_RUNNER_CONTAINER_ENV_FILE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"

namespace runner {

// Looks a variable up in the caller's environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& key)>;

// Parses the contents `text` of the env file `name` (used in messages) into "KEY=VALUE" entries,
// in file order. InvalidArgument `NAME:LINE: ...` for a bad line.
absl::StatusOr<std::vector<std::string>> ParseEnvFile(absl::string_view name,
                                                      absl::string_view text,
                                                      const EnvLookup& lookup);

// Reads `path` through `env` and parses it. `lookup` defaults to getenv.
absl::StatusOr<std::vector<std::string>> ReadEnvFile(const std::string& path,
                                                     base::Env* env = base::Env::Default(),
                                                     const EnvLookup& lookup = nullptr);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_CONTAINER_ENV_FILE_H_
