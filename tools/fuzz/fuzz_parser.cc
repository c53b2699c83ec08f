// libFuzzer target for the Dockerfile front end: parse, dump, then type/expand the instructions,
// and check that a copy of the typed Dockerfile still reads the same after the source text and
// the AST are gone (its views must keep their storage alive; AddressSanitizer checks every byte).
// Built and run by tools/fuzz/fuzz_parser.sh (clang -fsanitize=fuzzer,address,undefined).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "builder/dockerfile/parser.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/lex.h"

namespace {

// Reads every byte the commands view, so that AddressSanitizer sees any view that outlived its
// storage. Returns a checksum that the caller uses (so nothing is optimised away).
size_t TouchAll(const builder::instructions::Dockerfile& df) {
  size_t sum = 0;
  auto touch = [&sum](absl::string_view s) {
    for (char c : s) sum += static_cast<unsigned char>(c);
  };
  for (const auto& stage : df.stages) {
    touch(stage.name);
    touch(stage.base_name);
    for (const auto& kv : stage.env) {
      touch(kv.key);
      touch(kv.value);
    }
    for (const auto& c : stage.commands) {
      touch(c.name());
      // Every payload lives in the Dockerfile's storage: read its first byte, whatever its kind.
      c.payload.Visit([&](const auto& p) { sum += *reinterpret_cast<const unsigned char*>(&p); });
      touch(c.original);
      touch(c.expanded);
      for (const auto& kv : c.args_used) {
        touch(kv.first);
        touch(kv.second);
      }
      if (const auto* run = c.payload.If<builder::instructions::RunCmd>()) {
        for (absl::string_view w : run->command) touch(w);
        for (const auto& h : run->files) touch(h.content);
        for (const auto& m : run->mounts) touch(m.target);
      } else if (const auto* copy = c.payload.If<builder::instructions::CopyCmd>()) {
        for (absl::string_view w : copy->sources) touch(w);
        for (const auto& h : copy->source_contents) touch(h.content);
        touch(copy->dest);
      }
    }
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<builder::instructions::Dockerfile> kept;
  std::string expanded_before;
  builder::instructions::LoadOptions opts;
  opts.build_args = {{"A", "x y"}, {"HTTP_PROXY", "p"}};
  {
    absl::StatusOr<builder::dockerfile::Ast> ast = builder::dockerfile::Parse(text);
    absl::StatusOr<builder::instructions::Dockerfile> df =
        ast.ok() ? absl::InternalError("not loaded") : ast.status();
    if (ast.ok()) {
      std::string dump = builder::dockerfile::Dump(*ast);
      df = builder::instructions::Load(*ast, opts);
      if (df.ok()) {
        for (const auto& s : df->stages) {
          for (const auto& c : s.commands) expanded_before.append(c.expanded.data(), c.expanded.size());
        }
        kept = *df;  // a copy: it must keep what it views alive on its own
      }
    }
    // Parsing and loading in one pass must give the same result and the same error.
    auto streamed = builder::instructions::ParseAndLoad(text, {}, opts);
    if (streamed.status() != df.status()) __builtin_trap();
    if (streamed.ok()) {
      std::string expanded;
      for (const auto& s : streamed->stages) {
        for (const auto& c : s.commands) expanded.append(c.expanded.data(), c.expanded.size());
      }
      if (expanded != expanded_before) __builtin_trap();
    }
  }
  // The source, the Ast and the first Dockerfile are gone: the copy must still read the same.
  std::fill(text.begin(), text.end(), '\0');
  if (kept.has_value()) {
    std::string expanded_after;
    for (const auto& s : kept->stages) {
      for (const auto& c : s.commands) expanded_after.append(c.expanded.data(), c.expanded.size());
    }
    if (expanded_after != expanded_before || TouchAll(*kept) == static_cast<size_t>(-1)) {
      __builtin_trap();
    }
  }
  // The word lexer on the raw input too (it is reachable with any bytes through ENV/ARG).
  text.assign(reinterpret_cast<const char*>(data), size);
  builder::shell::MapEnv env;
  env.Set("A", "a b");
  env.Set("EMPTY", "");
  (void)builder::shell::Lexer().Process(text.substr(0, 4096), env);
  return 0;
}
