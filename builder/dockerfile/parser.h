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
// All functions are thread-safe; Ast is a plain value.
#ifndef SLIPWAY_BUILDER_DOCKERFILE_PARSER_H_
#define SLIPWAY_BUILDER_DOCKERFILE_PARSER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace builder::dockerfile {

struct Heredoc {
  std::string name;             // the delimiter word, quotes removed
  uint64_t file_descriptor = 0;  // `3<<EOF` -> 3; 0 when not given
  bool expand = true;           // false when any part of the name was quoted
  bool chomp = false;           // `<<-`: leading tabs are stripped
  std::string content;          // the lines up to the delimiter, newlines included
};

// One instruction (BuildKit's top-level Node plus its Next chain).
struct Node {
  std::string keyword;             // as written ("RUN", "from"); Lower() for dispatch
  std::vector<std::string> flags;  // leading `--name=value` words, quotes removed
  std::vector<std::string> args;   // the argument strings, per instruction (see README)
  std::vector<Node> sub;           // ONBUILD: the nested instruction (zero or one)
  bool json = false;               // the arguments came from a JSON array (exec form)
  std::vector<Heredoc> heredocs;
  std::string original;            // the logical line (continuations joined)
  int start_line = 0;
  int end_line = 0;
  std::vector<std::string> comments;  // comment lines right before the instruction

  std::string Lower() const;  // the keyword, lower-cased
};

struct Directive {
  std::string name;  // lower-case: "syntax", "escape" or "check"
  std::string value;
  int line = 0;
};

struct Ast {
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
