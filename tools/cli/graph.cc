// `slipway graph`: parses a Dockerfile and prints its layer graph (text, json, dot) or its AST in
// BuildKit's parser-test dump format (ast).
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "builder/dockerfile/parser.h"
#include "builder/graph/format.h"
#include "builder/graph/graph.h"
#include "builder/graph/keys.h"
#include "builder/ignore/ignore.h"
#include "builder/instructions/instructions.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway graph [-f FILE] [--target STAGE] [--build-arg K=V]...
                     [--platform OS/ARCH] [--format text|json|dot|ast] CONTEXT

Parses the Dockerfile (default CONTEXT/Dockerfile) and prints the layer graph: the stages the
target needs, their parallelism levels, each node's expanded instruction and cache-key inputs.
--format ast prints the parse tree in BuildKit's parser-test dump format.
)";

int RunGraph(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string file, target, format = "text", platform;
  std::vector<std::string> build_args;
  flags.String("file", 'f', &file);
  flags.String("target", 0, &target);
  flags.String("format", 0, &format);
  flags.String("platform", 0, &platform);
  flags.Repeated("build-arg", 0, &build_args);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("graph", positional.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (positional->size() != 1) {
    return ReportError("graph", UsageError("want exactly one CONTEXT directory"));
  }
  if (format != "text" && format != "json" && format != "dot" && format != "ast") {
    return ReportError("graph", UsageError(absl::StrCat("unknown --format `", format,
                                                        "`: want text, json, dot or ast")));
  }
  const std::string& context = (*positional)[0];
  absl::StatusOr<builder::ignore::BuildFiles> files = builder::ignore::LoadBuildFiles(context, file);
  if (!files.ok()) return ReportError("graph", files.status());

  builder::instructions::LoadOptions load;
  for (const std::string& kv : build_args) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ReportError("graph", UsageError(absl::StrCat("--build-arg `", kv, "`: want K=V")));
    }
    load.build_args[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!platform.empty()) {
    absl::StatusOr<builder::instructions::Platform> p =
        builder::instructions::ParsePlatform(platform);
    if (!p.ok()) return ReportError("graph", UsageError(p.status().message()));
    load.target_platform = *p;
  }

  builder::dockerfile::ParseOptions parse_options;
  parse_options.file_name = file.empty() ? "Dockerfile" : file;
  if (format == "ast") {
    absl::StatusOr<builder::dockerfile::Ast> ast =
        builder::dockerfile::Parse(files->dockerfile, parse_options);
    if (!ast.ok()) return ReportError("graph", ast.status());
    for (const std::string& w : ast->warnings) std::cerr << "warning: " << w << "\n";
    std::cout << builder::dockerfile::Dump(*ast);
    return kExitOk;
  }
  // Each instruction is loaded as it is parsed; the graph refers to the typed instructions.
  std::vector<std::string> warnings;
  absl::StatusOr<builder::instructions::Dockerfile> df = builder::instructions::ParseAndLoad(
      std::move(files->dockerfile), parse_options, load, &warnings);
  for (const std::string& w : warnings) std::cerr << "warning: " << w << "\n";
  if (!df.ok()) return ReportError("graph", df.status());

  builder::graph::GraphOptions graph_options;
  graph_options.target = target;
  graph_options.dockerfile_name = parse_options.file_name;
  absl::StatusOr<builder::graph::Graph> graph = builder::graph::BuildGraph(*df, graph_options);
  if (!graph.ok()) return ReportError("graph", graph.status());
  if (format == "dot") {
    std::cout << builder::graph::FormatDot(*graph);
    return kExitOk;
  }
  // Without a context hasher: the keys cover everything but the context files' contents.
  absl::StatusOr<builder::graph::Keys> keys = builder::graph::ComputeKeys(*graph);
  if (!keys.ok()) return ReportError("graph", keys.status());
  if (format == "json") {
    std::cout << builder::graph::FormatJson(*graph, *keys);
  } else {
    std::cout << builder::graph::FormatText(*graph, *keys);
  }
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(graph, "Print a Dockerfile's layer graph or parse tree", kUsage, RunGraph);

}  // namespace cli
