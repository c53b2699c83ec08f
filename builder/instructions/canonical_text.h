// The canonical text of a command (Command::expanded): how words, flags, JSON arrays and heredocs
// are written into it, so that two instructions that mean the same get the same text and key.
// Internal to builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "builder/dockerfile/parser.h"
#include "builder/instructions/instructions.h"

namespace builder::instructions {

// A canonical text being built. Its appends are inline: a text is many small pieces (a keyword,
// a space, a word, `=`, ...), and std::string's append is an out-of-line call (_M_append, ~35
// instructions a piece). Reused from command to command, so it rarely grows.
class Text {
 public:
  void clear() { size_ = 0; }
  bool empty() const { return size_ == 0; }
  absl::string_view view() const { return absl::string_view(buf_.get(), size_); }
  void append(absl::string_view s) {
    if (s.size() > cap_ - size_) Grow(s.size());
    if (!s.empty()) std::memcpy(buf_.get() + size_, s.data(), s.size());
    size_ += s.size();
  }
  void append(const char* p, size_t n) { append(absl::string_view(p, n)); }
  void push_back(char c) {
    if (size_ == cap_) Grow(1);
    buf_[size_++] = c;
  }
  Text& operator=(absl::string_view s) {
    clear();
    append(s);
    return *this;
  }

 private:
  void Grow(size_t more);  // room for `more` bytes past size_
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

// `s` as a JSON string.
void AppendJsonQuoted(absl::string_view s, Text* out);
// `["a","b"]`
void AppendJsonArray(Words v, Text* out);
// True for a byte that makes the canonical text quote the word it is in: space, tab, newline, both
// quotes and backslash.
constexpr bool IsQuotedByte(unsigned char b) {
  return b == ' ' || b == '\t' || b == '\n' || b == '"' || b == '\'' || b == '\\';
}
namespace canonical_text_internal {
// IsQuotedByte as a table: one load per byte.
constexpr std::array<bool, 256> QuotedBytes() {
  std::array<bool, 256> quoted{};
  for (int b = 0; b < 256; ++b) quoted[b] = IsQuotedByte(static_cast<unsigned char>(b));
  return quoted;
}
inline constexpr std::array<bool, 256> kQuotedBytes = QuotedBytes();
}  // namespace canonical_text_internal
// True if `s` has a byte that the canonical text must quote (an empty word is quoted too, but as
// a whole word, not as part of one).
inline bool NeedsQuotes(absl::string_view s) {
  for (char c : s) {
    if (canonical_text_internal::kQuotedBytes[static_cast<unsigned char>(c)]) return true;
  }
  return false;
}
// AppendWordKnown for a word that is empty or needs quotes.
void AppendQuotedWord(absl::string_view s, Text* out);
// AppendWord when NeedsQuotes(s) is known already (see Expand). Inline: most words are appended
// as they are, and there are several in most lines.
inline void AppendWordKnown(absl::string_view s, bool needs_quotes, Text* out) {
  if (needs_quotes || s.empty()) {
    AppendQuotedWord(s, out);
  } else {
    out->append(s);
  }
}
// Appends `s` to `out`, quoted for the canonical text only when needed.
inline void AppendWord(absl::string_view s, Text* out) { AppendWordKnown(s, NeedsQuotes(s), out); }
// ` --a --b=c`, each flag quoted when needed.
void AppendFlags(absl::Span<const absl::string_view> flags, Text* out);
// Appends ` <name_eq><value>` as one word of the canonical text (quoted when needed), like
// AppendWord on the concatenation.
void AppendFlag(absl::string_view name_eq, absl::string_view value, Text* out);
// AppendFlag when NeedsQuotes(value) is known already (see Expand).
void AppendFlagKnown(absl::string_view name_eq, absl::string_view value, bool value_needs_quotes,
                     Text* out);
// `"\n" + content + name` for each heredoc, as the canonical text ends.
void AppendHeredocs(absl::Span<const dockerfile::Heredoc> docs, Text* out);

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_CANONICAL_TEXT_H_
