#include "builder/instructions/expand.h"

namespace builder::instructions {

using dockerfile::Instruction;
using dockerfile::Node;

absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word) {
  // Most words have nothing to expand: no lookup, no word splitting, nothing to record.
  if (ctx.lexer.IsPlain(word)) return word;
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.ProcessUnsplit(word, scope);
  if (!r.ok()) return r.status();
  ctx.used.Note(scope, r->matched);
  return ctx.arena->Copy(r->word);
}

absl::Status ExpandWords(Ctx& ctx, const Scope& scope, absl::string_view word,
                         std::vector<absl::string_view>* out) {
  if (ctx.lexer.IsPlain(word)) {  // nothing to expand: views of the word itself
    shell::Lexer::SplitPlain(word, out);
    return absl::OkStatus();
  }
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.Process(word, scope);
  if (!r.ok()) return r.status();
  ctx.used.Note(scope, r->matched);
  for (const std::string& w : r->words) out->push_back(ctx.arena->Copy(w));
  return absl::OkStatus();
}

}  // namespace builder::instructions
