// ParseAndLoad (declared in instructions.h): parsing and loading in one pass, a batch of
// instructions at a time.
//
// Tried and left out: parsing on a second thread, handing batches to the loading one through a
// ring of four. On the 5,002-line benchmark it was 0.69-0.81 ms against 0.82-0.86 ms (min of
// 100) in a warm process, but slower in the median and in a fresh process (2.1-2.2 against
// 1.8 ms median): the wake-ups, and every parsed word read on another core's cache.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "builder/instructions/instructions.h"

namespace builder::instructions {
namespace {

using dockerfile::Node;

// Instructions are parsed into a batch that is reused (it stays in the cache), then loaded, so
// the whole file's nodes are never in memory at once, and the parser's and the loader's code each
// stay hot for a batch (alternating them per instruction cost ~8%).
constexpr size_t kBatch = 64;

// Parses up to kBatch instructions into batch[0, n) (the parser fills them in place) and returns
// n: less than kBatch once the file is done or a parse error stopped the parser.
size_t ParseBatch(dockerfile::Parser& parser, std::vector<Node>& batch) {
  size_t n = 0;
  while (n < kBatch && parser.Next(&batch[n])) ++n;
  return n;
}

// After a load error the rest is still parsed: a parse error anywhere in the file wins, as with
// Parse and then Load (BuildKit parses the whole file first). Hence Add's errors are ignored here:
// the Loader keeps the first one and Finish returns it. (The instructions read before a parse
// error are loaded too; the parser's Finish then returns the error.)
void LoadBatch(const std::vector<Node>& batch, size_t n, Loader* loader) {
  for (size_t i = 0; i < n; ++i) loader->Add(batch[i]).IgnoreError();
}

absl::StatusOr<Dockerfile> ParseAndLoadWith(dockerfile::Parser& parser, const LoadOptions& options,
                                            std::vector<std::string>* warnings) {
  std::vector<Node> batch(kBatch);
  size_t n = ParseBatch(parser, batch);
  // Directives come before the first instruction: the escape character is final now.
  Loader loader(options, parser.file_name(), parser.escape(), parser.source_size(),
                parser.region());
  LoadBatch(batch, n, &loader);
  while (n == kBatch) {
    n = ParseBatch(parser, batch);
    LoadBatch(batch, n, &loader);
  }
  ASSIGN_OR_RETURN(dockerfile::Ast ast, parser.Finish());
  if (warnings != nullptr) {
    warnings->insert(warnings->end(), ast.warnings.begin(), ast.warnings.end());
  }
  return loader.Finish(ast);
}

}  // namespace

absl::StatusOr<Dockerfile> ParseAndLoad(absl::string_view source,
                                        const dockerfile::ParseOptions& parse_options,
                                        const LoadOptions& options,
                                        std::vector<std::string>* warnings) {
  dockerfile::Parser parser(source, parse_options);
  return ParseAndLoadWith(parser, options, warnings);
}

absl::StatusOr<Dockerfile> ParseAndLoad(std::string&& source,
                                        const dockerfile::ParseOptions& parse_options,
                                        const LoadOptions& options,
                                        std::vector<std::string>* warnings) {
  dockerfile::Parser parser(std::move(source), parse_options);
  return ParseAndLoadWith(parser, options, warnings);
}

}  // namespace builder::instructions
