// libFuzzer target for the Dockerfile front end: parse, dump, then type/expand the instructions.
// Built and run by tools/fuzz/fuzz_parser.sh (clang -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <string>

#include "builder/dockerfile/parser.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/lex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<builder::dockerfile::Ast> ast = builder::dockerfile::Parse(text);
  if (ast.ok()) {
    std::string dump = builder::dockerfile::Dump(*ast);
    builder::instructions::LoadOptions opts;
    opts.build_args = {{"A", "x y"}, {"HTTP_PROXY", "p"}};
    (void)builder::instructions::Load(*ast, opts);
  }
  // The word lexer on the raw input too (it is reachable with any bytes through ENV/ARG).
  builder::shell::MapEnv env;
  env.Set("A", "a b");
  env.Set("EMPTY", "");
  (void)builder::shell::Lexer().Process(text.substr(0, 4096), env);
  return 0;
}
