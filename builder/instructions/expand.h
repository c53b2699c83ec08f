// Variable expansion while loading: the loading context (options, lexer, arena, scratch space) and
// the expansion of words in a scope, recording the build args they read. Internal to
// builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_EXPAND_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_EXPAND_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/arena.h"
#include "builder/instructions/canonical_text.h"
#include "builder/instructions/instructions.h"
#include "builder/instructions/scope.h"
#include "builder/shell/lex.h"

namespace builder::instructions {

// What converting an instruction needs besides the instruction and its scope.
struct Ctx {
  const LoadOptions& options;
  const std::string& file;
  shell::Lexer lexer;  // with the Dockerfile's escape character
  base::Arena* arena;              // the Dockerfile's storage
  // The `--build-arg` names some ARG declared (the others are unused build args).
  absl::flat_hash_set<absl::string_view> declared;
  // `--build-arg` values, copied into the arena (the options need not outlive the Dockerfile).
  SmallMap<absl::string_view> build_args;
  // Scratch space reused from command to command.
  UsedArgs used;            // the build args the current command depends on
  Text text;                // its canonical text, before it is copied to the arena
  // Set instead of `text` when the canonical text is the line as written (see NameThenWord).
  bool text_is_original = false;
  std::vector<absl::string_view> words;
  std::string scratch;  // Expand's, for a word it unquotes itself
};

// `word` expanded in `scope`: `word` itself when there is nothing to expand (it is a view into
// the Ast's storage), else the expansion, copied into the arena. The ARGs read go to ctx.used.
absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word);

// Expand, also setting `*needs_quotes` to NeedsQuotes of the result (canonical_text.h): for a
// word with nothing to expand, one scan of its bytes answers both.
absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word,
                                         bool* needs_quotes);

// `word` expanded and split into words (views of it, or copies in the arena), appended to `out`.
absl::Status ExpandWords(Ctx& ctx, const Scope& scope, absl::string_view word,
                         std::vector<absl::string_view>* out);

// Expand for FROM lines, which all see the global scope. That scope is complete by the first FROM
// (ARGs after it belong to stages), so each distinct word is expanded once and the result, with
// the build args it read, is replayed for the next FROM that has it (`FROM ${BASE} AS ...` in
// every stage of a big Dockerfile).
class FromExpander {
 public:
  absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& global, absl::string_view word) {
    auto it = cache_.find(word);
    if (it == cache_.end()) {
      // What this expansion reads, apart from what the command read before it.
      UsedArgs before = std::move(ctx.used);
      ctx.used = UsedArgs();
      absl::StatusOr<absl::string_view> r = builder::instructions::Expand(ctx, global, word);
      UsedArgs read = std::move(ctx.used);
      ctx.used = std::move(before);
      if (!r.ok()) return r.status();  // the Load fails: nothing to remember
      it = cache_.emplace(word, Entry{*r, read.entries()}).first;
    }
    for (const auto& kv : it->second.read) ctx.used.Use(kv.first, kv.second);
    return it->second.value;
  }

 private:
  struct Entry {
    absl::string_view value;
    std::vector<std::pair<absl::string_view, absl::string_view>> read;  // build args it read
  };
  absl::flat_hash_map<absl::string_view, Entry> cache_;
};

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_EXPAND_H_
