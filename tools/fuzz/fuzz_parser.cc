// libFuzzer target for the Dockerfile front end: parse, dump, then type/expand the instructions,
// both from a borrowed AST and from a moved one (which must give the same commands).
// Built and run by tools/fuzz/fuzz_parser.sh (clang -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "builder/dockerfile/parser.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/lex.h"

namespace {

// Load(const Ast&) and Load(Ast&&) must agree on everything the graph is built from.
bool SameCommands(const builder::instructions::Dockerfile& a,
                  const builder::instructions::Dockerfile& b) {
  if (a.stages.size() != b.stages.size()) return false;
  for (size_t s = 0; s < a.stages.size(); ++s) {
    const auto& x = a.stages[s];
    const auto& y = b.stages[s];
    if (x.env != y.env || x.commands.size() != y.commands.size()) return false;
    for (size_t i = 0; i < x.commands.size(); ++i) {
      const auto& c = x.commands[i];
      const auto& d = y.commands[i];
      if (c.name != d.name || c.original != d.original || c.expanded != d.expanded ||
          c.args_used != d.args_used || c.payload.index() != d.payload.index()) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<builder::dockerfile::Ast> ast = builder::dockerfile::Parse(text);
  if (ast.ok()) {
    std::string dump = builder::dockerfile::Dump(*ast);
    builder::instructions::LoadOptions opts;
    opts.build_args = {{"A", "x y"}, {"HTTP_PROXY", "p"}};
    auto borrowed = builder::instructions::Load(*ast, opts);
    auto moved = builder::instructions::Load(std::move(*ast), opts);
    if (borrowed.ok() != moved.ok() ||
        (borrowed.ok() ? !SameCommands(*borrowed, *moved)
                       : borrowed.status() != moved.status())) {
      __builtin_trap();
    }
  }
  // The word lexer on the raw input too (it is reachable with any bytes through ENV/ARG).
  builder::shell::MapEnv env;
  env.Set("A", "a b");
  env.Set("EMPTY", "");
  (void)builder::shell::Lexer().Process(text.substr(0, 4096), env);
  return 0;
}
