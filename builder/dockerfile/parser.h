// The Dockerfile parser: bytes -> an untyped AST with BuildKit's exact semantics.
//
// Parse handles parser directives (`# syntax=`, `# escape=`, `# check=`, only before anything
// else), the escape character (`\` or `` ` ``), line continuations (with comments and blank lines
// inside them), CRLF, a leading BOM, case-insensitive keywords, flags (`--from=x`), the JSON (exec)
// form with BuildKit's fallback to the shell form for malformed JSON, and heredocs (`<<EOF`,
// `<<-EOF`, quoted names that disable expansion, several per line) on RUN, COPY and ADD. No variable
// expansion happens here; builder/instructions does that.
//
// Dump() prints the AST in the format of BuildKit's parser test `result` files, which is what
// `slipway graph --format ast` shows. Every node keeps its start and end line (1-based, physical).
// Errors are InvalidArgument with the message `<file>:<line>: <reason>`.
// All functions are thread-safe. An Ast's nodes are views into its shared, immutable storage
// (one arena: a node costs no heap allocation of its own).
#ifndef SLIPWAY_BUILDER_DOCKERFILE_PARSER_H_
#define SLIPWAY_BUILDER_DOCKERFILE_PARSER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/arena.h"
#include "base/page_region.h"

namespace builder::dockerfile {

// The instructions BuildKit knows; kUnknown for any other keyword.
enum class Instruction : uint8_t {
  kUnknown,
  kAdd,
  kArg,
  kCmd,
  kCopy,
  kEntrypoint,
  kEnv,
  kExpose,
  kFrom,
  kHealthcheck,
  kLabel,
  kMaintainer,
  kOnbuild,
  kRun,
  kShell,
  kStopsignal,
  kUser,
  kVolume,
  kWorkdir,
};

// The instruction a lower-cased keyword names.
Instruction ClassifyKeyword(absl::string_view lower);
// The keyword of a known instruction, upper-case ("RUN"); "" for kUnknown.
absl::string_view InstructionName(Instruction instruction);

// The words of a node: views into the Ast's storage.
using Words = absl::Span<const absl::string_view>;

struct Heredoc {
  absl::string_view name;        // the delimiter word, quotes removed
  uint64_t file_descriptor = 0;  // `3<<EOF` -> 3; 0 when not given
  bool expand = true;            // false when any part of the name was quoted
  bool chomp = false;            // `<<-`: leading tabs are stripped
  absl::string_view content;     // the lines up to the delimiter, newlines included
};

// One instruction (BuildKit's top-level Node plus its Next chain). Every view and span points into
// the storage of the Ast it belongs to.
struct Node {
  absl::string_view keyword;  // as written ("RUN", "from")
  absl::string_view lower;    // the keyword, lower-cased ("run", "from")
  Instruction instruction = Instruction::kUnknown;  // what `lower` names, for dispatch
  Words flags;                // leading `--name=value` words, quotes removed
  Words args;                 // the argument strings, per instruction (see README)
  absl::Span<const Node> sub;  // ONBUILD: the nested instruction (zero or one)
  bool json = false;          // the arguments came from a JSON array (exec form)
  absl::Span<const Heredoc> heredocs;
  absl::string_view original;  // the logical line (continuations joined)
  int start_line = 0;
  int end_line = 0;
  Words comments;  // comment lines right before the instruction
};

struct Directive {
  std::string name;  // lower-case: "syntax", "escape" or "check"
  std::string value;
  int line = 0;
};

struct Ast {
  // Owns everything the nodes view: a copy of the source text and every string the parser made
  // (joined continuation lines, unquoted flags, decoded JSON). Shared, and never changed after
  // Parse, so copies of an Ast are cheap and what is loaded from it can keep it alive.
  // For a big source its blocks come from a PageRegion (storage->region(), see Parser::region()),
  // which what is loaded from the Ast shares.
  std::shared_ptr<const base::Arena> storage;
  std::vector<Node> children;
  int start_line = 0;
  int end_line = 0;
  char32_t escape = '\\';
  std::vector<Directive> directives;
  std::vector<std::string> warnings;
  std::string file_name;
};

struct ParseOptions {
  // Used in error messages ("Dockerfile:7: ..."). Default: "Dockerfile".
  std::string file_name = "Dockerfile";
};

absl::StatusOr<Ast> Parse(absl::string_view content, const ParseOptions& options = {});

// Parse, one instruction at a time, for a caller that uses each instruction as it is read and
// keeps no AST (instructions::ParseAndLoad). Parse is exactly a loop over Next. Not thread-safe.
class Parser {
 public:
  // Parses a copy of `content`.
  explicit Parser(absl::string_view content, const ParseOptions& options = {});
  // Parses `content` itself, which the Ast's storage takes over (no copy).
  explicit Parser(std::string&& content, const ParseOptions& options = {});
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Reads the next instruction into `*node`, setting every field (what it views stays valid as
  // long as the storage of the Ast that Finish returns). False after the last one, and on an
  // error, which Finish then returns. (The caller's node is filled in place: a batch of nodes
  // costs no copy per instruction.)
  bool Next(Node* node);
  // Once Next returned false: the Ast, without children (its storage, lines, directives and
  // warnings). Else the error that stopped Next (errors as Parse's), or the error Parse gives for
  // a file with no instructions.
  absl::StatusOr<Ast> Finish();

  // The escape character: final once the first instruction was read (directives come first).
  char32_t escape() const;
  const std::string& file_name() const;
  size_t source_size() const;
  // Where the Ast's storage gets its blocks: for a big source, a PageRegion (base/page_region.h)
  // with room for the typed commands too, which a Loader can share; else null (the heap).
  const std::shared_ptr<base::PageRegion>& region() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// BuildKit's `Node.Dump()` for one instruction, without the surrounding parentheses.
std::string DumpNode(const Node& node);
// The whole file: one `(<instr> ...)` line per instruction, each ending in '\n' (== `result`).
std::string Dump(const Ast& ast);

// `<file>:<line>: <message>` as InvalidArgument.
absl::Status LocatedError(absl::string_view file, int line, absl::string_view message);

// The names of all instructions BuildKit knows, lower-case.
const std::vector<std::string>& KnownInstructions();

}  // namespace builder::dockerfile

#endif  // SLIPWAY_BUILDER_DOCKERFILE_PARSER_H_
