// Structure tests (`slipway test IMAGE --spec FILE`): parses a spec (spec.proto, protobuf text
// format), runs it against an image and reports per-test results, as text, JUnit XML or JSON.
//
//  - Command tests each run in a fresh container (RunContainer with --rm, network none unless the
//    test says host); stdout and stderr are captured together in one memfd (so they interleave as
//    written) and matched with ECMAScript regexes (std::regex; RE2 is not a dependency here).
//  - File existence and content tests read the image's assembled root filesystem without running
//    anything (InspectImageRootfs), resolving every path inside that root (openat2
//    RESOLVE_IN_ROOT), so a symlink in the image cannot make a test read a host file.
//  - The metadata test compares the image config.
// The Check* functions are pure (or read only through the given root fd), for unit tests.
// Thread-compatible; RunStructureTests forks, so call it from a single-threaded process.
#ifndef SLIPWAY_RUNNER_STRUCTURE_STRUCTURE_H_
#define SLIPWAY_RUNNER_STRUCTURE_STRUCTURE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/image_config.h"
#include "runner/container/container.h"
#include "runner/structure/spec.pb.h"

namespace runner {
namespace structure {

struct TestResult {
  std::string kind;  // "command", "file_existence", "file_content", "metadata"
  std::string name;
  bool passed = false;
  std::vector<std::string> failures;  // why it failed, one reason per entry
  std::string output;                 // command tests: the captured stdout+stderr
  double seconds = 0;
};

// Parses and validates a spec: every test needs a name (a default is made from kind and index when
// empty), command tests a command, file tests an absolute path, permissions 10 `ls -l` characters,
// and every regex must compile. InvalidArgument naming the file and the test otherwise.
absl::StatusOr<StructureTestSpec> ParseSpec(const std::string& text, const std::string& filename);

struct StructureTestOptions {
  // The image's display name (for the report) and the opened image. Required.
  std::string image;
  std::shared_ptr<const RunImage> opened_image;
  std::string state_root;  // default: DefaultStateRoot()
  std::string cache_dir;   // default: DefaultLayerCacheDir()
};

// Runs every test of `spec` (command tests in order, then file existence, file content, metadata).
// A failing test is a result, not an error; errors are for set-up that fails for all tests.
absl::StatusOr<std::vector<TestResult>> RunStructureTests(const StructureTestSpec& spec,
                                                          const StructureTestOptions& options);

// Failure reasons for a command's output and exit status (empty: passed).
std::vector<std::string> CheckCommandOutput(const CommandTest& test, const std::string& output,
                                            int exit_code);
// Failure reasons for a file test against the root filesystem open at `root_fd`.
std::vector<std::string> CheckFileExistence(const FileExistenceTest& test, int root_fd);
std::vector<std::string> CheckFileContent(const FileContentTest& test, int root_fd);
// Failure reasons for the metadata test against an image config.
std::vector<std::string> CheckMetadata(const MetadataTest& test, const oci::ContainerConfig& config);

// `ls -l` notation of a st_mode: "-rwxr-xr-x", "drwxrwxrwt", "lrwxrwxrwx", "-rwsr-sr-x"...
std::string PermissionString(mode_t mode);

// JUnit XML: <testsuites><testsuite name=suite><testcase classname="structure.KIND" name=...>
// with a <failure> per failed test and the command output as <system-out>.
std::string JunitXml(const std::vector<TestResult>& results, const std::string& suite);
// {"image":..., "passed":N, "failed":N, "tests":[{"kind","name","passed","failures","output",
// "seconds"}]}
std::string ResultsJson(const std::vector<TestResult>& results, const std::string& image);

}  // namespace structure
}  // namespace runner

#endif  // SLIPWAY_RUNNER_STRUCTURE_STRUCTURE_H_
