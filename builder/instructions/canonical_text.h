// The canonical text of a command (Command::expanded): how words, flags, JSON arrays and heredocs
// are written into it, so that two instructions that mean the same get the same text and key.
// Internal to builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "builder/dockerfile/parser.h"
#include "builder/instructions/instructions.h"

namespace builder::instructions {

// `s` as a JSON string.
void AppendJsonQuoted(absl::string_view s, std::string* out);
// `["a","b"]`
void AppendJsonArray(Words v, std::string* out);
// True for a byte that makes the canonical text quote the word it is in: space, tab, newline, both
// quotes and backslash.
constexpr bool IsQuotedByte(unsigned char b) {
  return b == ' ' || b == '\t' || b == '\n' || b == '"' || b == '\'' || b == '\\';
}
// True if `s` has a byte that the canonical text must quote (an empty word is quoted too, but as
// a whole word, not as part of one).
bool NeedsQuotes(absl::string_view s);
// Appends `s` to `out`, quoted for the canonical text only when needed.
void AppendWord(absl::string_view s, std::string* out);
// AppendWord when NeedsQuotes(s) is known already (see Expand).
void AppendWordKnown(absl::string_view s, bool needs_quotes, std::string* out);
// ` --a --b=c`, each flag quoted when needed.
void AppendFlags(absl::Span<const absl::string_view> flags, std::string* out);
// Appends ` <name_eq><value>` as one word of the canonical text (quoted when needed), like
// AppendWord on the concatenation.
void AppendFlag(absl::string_view name_eq, absl::string_view value, std::string* out);
// AppendFlag when NeedsQuotes(value) is known already (see Expand).
void AppendFlagKnown(absl::string_view name_eq, absl::string_view value, bool value_needs_quotes,
                     std::string* out);
// `"\n" + content + name` for each heredoc, as the canonical text ends.
void AppendHeredocs(absl::Span<const dockerfile::Heredoc> docs, std::string* out);

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_
