#include "builder/shell/unicode.h"

#include <locale.h>
#include <wctype.h>

namespace builder::shell {
namespace {

// glibc's C.UTF-8 locale, created once; null if unavailable (then non-ASCII runes count as letters
// and printable, which is what Go says for nearly every rune a Dockerfile holds).
locale_t Utf8Locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

bool IsFormatOrSpecial(char32_t r) {
  // Cf (format) runes and the non-ASCII spaces, which Go does not consider printable.
  return (r >= 0x80 && r <= 0xA0) || r == 0xAD || r == 0x61C || (r >= 0x200B && r <= 0x200F) ||
         (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x2064) ||
         (r >= 0x2066 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) ||
         r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x3000 || (r >= 0xE000 && r <= 0xF8FF) ||
         r >= 0xF0000 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xE0001 ||
         (r >= 0xE0020 && r <= 0xE007F) || (r >= 0x1BCA0 && r <= 0x1BCA3) ||
         (r >= 0x1D173 && r <= 0x1D17A);
}

}  // namespace

int DecodeMultiByteRune(absl::string_view s, size_t pos, char32_t* rune) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  size_t n = s.size() - pos;
  unsigned char c = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    *rune = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    char32_t r = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (r >= 0x800 && !(r >= 0xD800 && r <= 0xDFFF)) {
      *rune = r;
      return 3;
    }
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    char32_t r = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *rune = r;
      return 4;
    }
  }
  *rune = kRuneError;
  return 1;
}

void AppendMultiByteRune(std::string* out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

std::vector<char32_t> DecodeRunes(absl::string_view s) {
  std::vector<char32_t> runes;
  runes.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t r;
    i += DecodeRune(s, i, &r);
    runes.push_back(r);
  }
  return runes;
}

std::string EncodeRunes(const std::vector<char32_t>& runes, size_t begin, size_t end) {
  std::string out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) AppendRune(&out, runes[i]);
  return out;
}

bool IsNonAsciiSpace(char32_t r) {
  switch (r) {
    case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

bool IsLetter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  if (r == 0xAA || r == 0xB5 || r == 0xBA) return true;
  if (r < 0xC0 || r == 0xD7 || r == 0xF7 || r == kRuneError) return false;
  locale_t loc = Utf8Locale();
  if (loc == static_cast<locale_t>(0)) return !IsFormatOrSpecial(r);
  return iswalpha_l(static_cast<wint_t>(r), loc) != 0 && !IsFormatOrSpecial(r);
}

bool IsDigit(char32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  // Decimal digits of other scripts (Nd). glibc classes them as alpha, so test the common blocks.
  static const char32_t kZeros[] = {0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66,
                                    0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0, 0xF20,
                                    0x1040, 0x1090, 0x17E0, 0x1810, 0xFF10};
  for (char32_t z : kZeros) {
    if (r >= z && r <= z + 9) return true;
  }
  return false;
}

bool IsPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (IsFormatOrSpecial(r) || r > 0x10FFFF) return false;
  locale_t loc = Utf8Locale();
  if (loc == static_cast<locale_t>(0)) return true;
  return iswgraph_l(static_cast<wint_t>(r), loc) != 0;
}

std::string ToLower(absl::string_view s) {
  std::string out(s);
  // ASCII (keywords, nearly always) maps byte for byte.
  size_t i = 0;
  for (; i < out.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(out[i]);
    if (b >= 0x80) break;
    if (b >= 'A' && b <= 'Z') out[i] = static_cast<char>(b + 32);
  }
  if (i == out.size()) return out;
  out.resize(i);
  locale_t loc = Utf8Locale();
  for (; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(b >= 'A' && b <= 'Z' ? static_cast<char>(b + 32) : static_cast<char>(b));
      ++i;
      continue;
    }
    char32_t r;
    int w = DecodeRune(s, i, &r);
    if (r == kRuneError && w == 1) {
      AppendRune(&out, kRuneError);  // strings.Map replaces invalid bytes with U+FFFD
    } else if (loc != static_cast<locale_t>(0)) {
      AppendRune(&out, static_cast<char32_t>(towlower_l(static_cast<wint_t>(r), loc)));
    } else {
      AppendRune(&out, r);
    }
    i += w;
  }
  return out;
}

absl::string_view TrimLeftSpaceSlow(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) {  // ASCII fast path
    if (!IsSpace(static_cast<unsigned char>(s[i]))) return s.substr(i);
    ++i;
  }
  while (i < s.size()) {
    char32_t r;
    int w = DecodeRune(s, i, &r);
    if (!IsSpace(r)) break;
    i += w;
  }
  return s.substr(i);
}

absl::string_view TrimSpaceSlow(absl::string_view s) {
  s = TrimLeftSpace(s);
  // Trim from the right: step back over whole runes (ASCII ones directly).
  size_t end = s.size();
  while (end > 0 && static_cast<unsigned char>(s[end - 1]) < 0x80) {
    if (!IsSpace(static_cast<unsigned char>(s[end - 1]))) return s.substr(0, end);
    --end;
  }
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) {
      --start;
    }
    char32_t r;
    int w = DecodeRune(s, start, &r);
    if (start + static_cast<size_t>(w) != end) {
      // Not a complete rune ending here: the last byte is an invalid one, not a space.
      break;
    }
    if (!IsSpace(r)) break;
    end = start;
  }
  return s.substr(0, end);
}

std::string GoQuote(absl::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    char32_t r;
    int width = DecodeRune(s, i, &r);
    if (width == 1 && r == kRuneError) {
      unsigned char b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
      i += 1;
      continue;
    }
    i += width;
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
      continue;
    }
    if (IsPrint(r)) {
      AppendRune(&out, r);
      continue;
    }
    switch (r) {
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (r < ' ' || r == 0x7F) {
      out += "\\x";
      out.push_back(kHex[(r >> 4) & 0xF]);
      out.push_back(kHex[r & 0xF]);
    } else if (r < 0x10000) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(r >> shift) & 0xF]);
    } else {
      out += "\\U";
      for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kHex[(r >> shift) & 0xF]);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace builder::shell
