// Go-compatible UTF-8 and Unicode helpers for the Dockerfile front end.
//
// BuildKit is written in Go, and its parser and word lexer lean on Go's `unicode`, `utf8` and
// `strconv.Quote` behaviour (which runes are spaces or letters, how invalid UTF-8 decodes, how the AST
// dump quotes strings). These functions reproduce that behaviour so that slipway reads a Dockerfile
// byte for byte the way BuildKit does. Classification of non-ASCII letters and printable runes uses
// glibc's C.UTF-8 tables, which match Go's for the scripts Dockerfiles use in practice. All functions
// are pure and thread-safe.
#ifndef SLIPWAY_BUILDER_SHELL_UNICODE_H_
#define SLIPWAY_BUILDER_SHELL_UNICODE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace builder::shell {

inline constexpr char32_t kRuneError = 0xFFFD;

// The non-ASCII halves of DecodeRune, AppendRune and IsSpace below (ASCII is inline: the parser
// and the lexer call these once per byte).
int DecodeMultiByteRune(absl::string_view s, size_t pos, char32_t* rune);
void AppendMultiByteRune(std::string* out, char32_t r);
bool IsNonAsciiSpace(char32_t r);

// Decodes the rune starting at `s[pos]` (pos < s.size()) like Go's utf8.DecodeRuneInString:
// invalid or overlong sequences and surrogates give kRuneError with width 1. Returns the width.
inline int DecodeRune(absl::string_view s, size_t pos, char32_t* rune) {
  unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  return DecodeMultiByteRune(s, pos, rune);
}
// Appends the UTF-8 encoding of `r` (kRuneError for surrogates and out-of-range values).
inline void AppendRune(std::string* out, char32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else {
    AppendMultiByteRune(out, r);
  }
}
// Decodes all of `s` into runes (Go's `[]rune(s)`).
std::vector<char32_t> DecodeRunes(absl::string_view s);
std::string EncodeRunes(const std::vector<char32_t>& runes, size_t begin, size_t end);

// Go's unicode.IsSpace: '\t' '\n' '\v' '\f' '\r' ' ' U+0085 U+00A0 and the Z categories.
inline bool IsSpace(char32_t r) {
  if (r < 0x80) return r == ' ' || (r >= '\t' && r <= '\r');
  return IsNonAsciiSpace(r);
}
// Go's unicode.IsLetter / IsDigit (ASCII exact; other runes by Unicode class).
bool IsLetter(char32_t r);
bool IsDigit(char32_t r);
// Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
bool IsPrint(char32_t r);

// Go's strings.ToLower (Unicode simple case mapping).
std::string ToLower(absl::string_view s);
// The general cases of TrimSpace and TrimLeftSpace below.
absl::string_view TrimSpaceSlow(absl::string_view s);
absl::string_view TrimLeftSpaceSlow(absl::string_view s);
// True if `c` is a byte that is certainly not white space (ASCII, not a space).
inline bool IsAsciiNonSpace(char c) {
  unsigned char b = static_cast<unsigned char>(c);
  // Printable ASCII ('!' to DEL), nearly every byte tested, in one unsigned compare; then the
  // control bytes other than '\t'-'\r'.
  if (static_cast<unsigned char>(b - '!') < 0x80 - '!') return true;
  return b < ' ' && !(b >= '\t' && b <= '\r');
}
// Go's strings.TrimSpace (Unicode whitespace; invalid bytes are not spaces). Inline for the usual
// text that has nothing to trim.
inline absl::string_view TrimSpace(absl::string_view s) {
  if (s.empty() || (IsAsciiNonSpace(s.front()) && IsAsciiNonSpace(s.back()))) return s;
  return TrimSpaceSlow(s);
}
// Go's strings.TrimLeftFunc(s, unicode.IsSpace).
inline absl::string_view TrimLeftSpace(absl::string_view s) {
  if (s.empty() || IsAsciiNonSpace(s.front())) return s;
  return TrimLeftSpaceSlow(s);
}

// Go's strconv.Quote: the form BuildKit's AST dump uses for every argument.
std::string GoQuote(absl::string_view s);

}  // namespace builder::shell

#endif  // SLIPWAY_BUILDER_SHELL_UNICODE_H_
