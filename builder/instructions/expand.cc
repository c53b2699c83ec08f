#include "builder/instructions/expand.h"

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "builder/instructions/canonical_text.h"
#include "builder/shell/lex.h"

namespace builder::instructions {

using dockerfile::Instruction;
using dockerfile::Node;

namespace {

// What a byte means to a word: kLexer if the lexer must see a word with it (not
// shell::IsPlainByte), kQuoted if the canonical text must quote a word with it (IsQuotedByte).
constexpr uint8_t kLexer = 1;
constexpr uint8_t kQuoted = 2;
using ByteClasses = std::array<uint8_t, 256>;
constexpr ByteClasses ClassesWithEscape(unsigned char e) {
  ByteClasses classes{};
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<unsigned char>(b);
    classes[b] = (shell::IsPlainByte(byte, e) ? 0 : kLexer) | (IsQuotedByte(byte) ? kQuoted : 0);
  }
  return classes;
}
constexpr ByteClasses kBackslashClasses = ClassesWithEscape('\\');
constexpr ByteClasses kBacktickClasses = ClassesWithEscape('`');

// The classes for ctx's escape character: made at compile time for the two a Dockerfile can
// choose; null for any other (the lexer is asked then).
const ByteClasses* ClassesFor(const Ctx& ctx) {
  const char32_t escape = ctx.lexer.options().escape;
  if (escape == '\\') return &kBackslashClasses;
  if (escape == '`') return &kBacktickClasses;
  return nullptr;
}

// ctx.lexer.IsPlain(word), inline: the lexer's call and its static table's guard cost ~20
// instructions a word.
bool IsPlain(const Ctx& ctx, absl::string_view word) {
  const ByteClasses* classes = ClassesFor(ctx);
  if (classes == nullptr) return ctx.lexer.IsPlain(word);
  for (char c : word) {
    if ((*classes)[static_cast<unsigned char>(c)] & kLexer) return false;
  }
  return true;
}

// The NAME of a word that is `$NAME` or `${NAME}` and nothing else, NAME being
// [A-Za-z_][A-Za-z0-9_]*; "" for any other word. Such a word expands to the variable's value, or
// to "" when it is unset, with nothing to unquote or split: it needs no lexer.
absl::string_view LoneVariable(absl::string_view word) {
  if (word.size() < 2 || word[0] != '$') return {};
  absl::string_view name = word.substr(1);
  if (name[0] == '{') {
    if (name.size() < 3 || name.back() != '}') return {};
    name = name.substr(1, name.size() - 2);
  }
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return {};
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return {};
  }
  return name;
}

// What the lexer makes of `word` when its only special characters are quotes (`"stage 1"`,
// `'a b'c`): the word without them, in `*buf`. Nothing is looked up, escaped or rewritten then.
// False, for the lexer to decide, if `word` has a `$`, the escape character or a non-ASCII byte
// (the lexer may rewrite invalid UTF-8), or a quote that is not closed (its error).
bool UnquoteOnly(absl::string_view word, char32_t escape, std::string* buf) {
  buf->clear();
  char quote = 0;  // the quote open at this point, if any
  for (char c : word) {
    const bool is_quote = c == '"' || c == '\'';
    if (!is_quote && !shell::IsPlainByte(static_cast<unsigned char>(c), escape)) return false;
    if (quote != 0 ? c == quote : c == '"' || c == '\'') {
      quote = quote != 0 ? 0 : c;  // an opening or closing quote: dropped
    } else {
      buf->push_back(c);
    }
  }
  return quote == 0;
}

// Expand for a word that is not plain (IsPlain is false).
absl::StatusOr<absl::string_view> ExpandNotPlain(Ctx& ctx, const Scope& scope,
                                                 absl::string_view word) {
  // `$NAME`, `${NAME}`: the value as the lexer would look it up (ENV, then a set ARG), recording
  // the ARG it read (UsedArgs::Note and Scope::Value, with one lookup in each map). Values are
  // views into the Dockerfile's storage already: no copy.
  if (absl::string_view name = LoneVariable(word); !name.empty()) {
    if (const absl::string_view* env = scope.env().Find(name)) return *env;
    const Scope::Arg* arg = scope.args().FindEntry(name);
    if (arg == nullptr || !arg->second.has_value()) return absl::string_view();
    ctx.used.Use(arg->first, *arg->second);
    return *arg->second;
  }
  // Quotes and nothing else to process (LABEL t="a b"): no lexer. A word that is one quoted
  // string is its own inside; the lexer's result, like any, would be a copy of it.
  const shell::LexOptions& lex = ctx.lexer.options();
  if (!lex.raw_quotes && !lex.raw_escapes && !lex.skip_process_quotes &&
      UnquoteOnly(word, lex.escape, &ctx.scratch)) {
    if (ctx.scratch.empty()) return absl::string_view();
    // Two quotes dropped, the first and the last byte: `"..."` or `'...'`.
    if (ctx.scratch.size() + 2 == word.size() && (word.front() == '"' || word.front() == '\'') &&
        word.back() == word.front()) {
      return word.substr(1, ctx.scratch.size());
    }
    return ctx.arena->Copy(ctx.scratch);
  }
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.ProcessUnsplit(word, scope);
  if (!r.ok()) return r.status();
  ctx.used.Note(scope, r->matched);
  return ctx.arena->Copy(r->word);
}

}  // namespace

absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word) {
  // Most words have nothing to expand: no lookup, no word splitting, nothing to record.
  if (IsPlain(ctx, word)) return word;
  return ExpandNotPlain(ctx, scope, word);
}

absl::StatusOr<absl::string_view> Expand(Ctx& ctx, const Scope& scope, absl::string_view word,
                                         bool* needs_quotes) {
  // One pass over a word with nothing to expand answers both questions (the usual ENV or LABEL
  // word); any other word is expanded, then its expansion scanned.
  const ByteClasses* classes = ClassesFor(ctx);
  if (classes != nullptr) {
    uint8_t seen = 0;
    for (char c : word) seen |= (*classes)[static_cast<unsigned char>(c)];
    if ((seen & kLexer) == 0) {
      *needs_quotes = (seen & kQuoted) != 0;
      return word;
    }
  }
  // The scan found something to expand: no second IsPlain.
  absl::StatusOr<absl::string_view> v =
      classes != nullptr ? ExpandNotPlain(ctx, scope, word) : Expand(ctx, scope, word);
  if (v.ok()) *needs_quotes = NeedsQuotes(*v);
  return v;
}

absl::Status ExpandWords(Ctx& ctx, const Scope& scope, absl::string_view word,
                         std::vector<absl::string_view>* out) {
  if (IsPlain(ctx, word)) {  // nothing to expand: views of the word itself
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
