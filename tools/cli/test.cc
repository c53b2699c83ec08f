// `slipway test IMAGE --spec FILE`: structure tests (runner/structure/spec.proto) against an image.
#include <iostream>

#include "base/env.h"
#include "runner/container/container.h"
#include "runner/structure/structure.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/image_resolver.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway test IMAGE --spec FILE [--junit FILE] [--json]

Runs the structure tests of FILE (protobuf text format, schema runner/structure/spec.proto)
against IMAGE (oci:DIR[:TAG], local:NAME[:TAG], docker-archive:FILE, or a registry reference:
used from the local store when it holds it, else pulled into it first, a digest verified):
command tests each in a fresh container (network none unless the test says host), file
existence and content tests on the image's root filesystem, and a metadata test on its config.
Prints PASS/FAIL per test and a summary; exits 1 when any test fails.

Options:
  --spec FILE    the spec (required)
  --junit FILE   also write JUnit XML there
  --json         print the results as JSON instead of text
  --pull missing|always|never  pull a registry IMAGE when the local store lacks it (default),
                 re-check its tag every time, or never ask a registry
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST when pulling (repeatable)
  --config FILE  slipway config with registry mirrors (default ~/.config/slipway/config.json)
)";

int RunTest(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string spec_path, junit_path;
  bool json = false;
  flags.String("spec", 0, &spec_path);
  flags.String("junit", 0, &junit_path);
  flags.Bool("json", 0, &json);
  ImageResolveOptions resolve;
  AddImageResolveFlags(flags, &resolve);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("test", positional.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (positional->size() != 1) return ReportError("test", UsageError("expected one IMAGE"));
  if (spec_path.empty()) return ReportError("test", UsageError("--spec FILE is required"));
  const std::string& image = (*positional)[0];
  base::Env* env = base::Env::Default();
  absl::StatusOr<std::string> text = env->ReadFile(spec_path);
  if (!text.ok()) return ReportError("test", text.status());
  absl::StatusOr<runner::structure::StructureTestSpec> spec =
      runner::structure::ParseSpec(*text, spec_path);
  if (!spec.ok()) return ReportError("test", spec.status());
  runner::structure::StructureTestOptions options;
  options.image = image;
  absl::StatusOr<std::shared_ptr<const runner::RunImage>> opened = OpenImageForRun(image, resolve);
  if (!opened.ok()) return ReportError("test", opened.status());
  options.opened_image = *opened;
  absl::StatusOr<std::vector<runner::structure::TestResult>> results =
      runner::structure::RunStructureTests(*spec, options);
  if (!results.ok()) {
    int code = ReportError("test", results.status());
    return code == kExitUserError ? kExitInternal : code;
  }
  int failed = 0;
  for (const runner::structure::TestResult& r : *results) failed += r.passed ? 0 : 1;
  if (!junit_path.empty()) {
    absl::Status s = env->WriteFileAtomically(
        junit_path, runner::structure::JunitXml(*results, image), 0644);
    if (!s.ok()) return ReportError("test", s);
  }
  if (json) {
    std::cout << runner::structure::ResultsJson(*results, image);
  } else {
    for (const runner::structure::TestResult& r : *results) {
      std::cout << (r.passed ? "PASS " : "FAIL ") << "[" << r.kind << "] " << r.name << "\n";
      for (const std::string& f : r.failures) std::cout << "     " << f << "\n";
      if (!r.passed && !r.output.empty()) {
        std::string out = r.output.size() > 2000 ? r.output.substr(0, 2000) + "..." : r.output;
        std::cout << "     output: " << out << (out.back() == '\n' ? "" : "\n");
      }
    }
    std::cout << results->size() << " tests: " << results->size() - failed << " passed, "
              << failed << " failed\n";
  }
  return failed > 0 ? kExitUserError : kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(test, "Run structure tests against an image", kUsage, RunTest);

}  // namespace cli
