// Test helper: finds BuildKit's Dockerfile conformance data (@conformance//:buildkit_dockerfile) in
// a test's runfiles and reads files from it as raw bytes.
#ifndef SLIPWAY_BUILDER_SHELL_TESTING_CONFORMANCE_H_
#define SLIPWAY_BUILDER_SHELL_TESTING_CONFORMANCE_H_

#include <string>

#include "absl/status/statusor.h"

namespace builder::testing {

// The `buildkit-dockerfile` directory, or NotFound naming the places searched.
absl::StatusOr<std::string> BuildkitDockerfileDir();
// The sorted names of the sub-directories of `dir`.
absl::StatusOr<std::vector<std::string>> ListSubdirs(const std::string& dir);
// Reads a whole file as bytes.
absl::StatusOr<std::string> ReadRaw(const std::string& path);

}  // namespace builder::testing

#endif  // SLIPWAY_BUILDER_SHELL_TESTING_CONFORMANCE_H_
