#include "builder/dockerfile/go_json.h"

#include "builder/shell/unicode.h"

namespace builder::dockerfile {
namespace {

using shell::AppendRune;
using shell::DecodeRune;
using shell::kRuneError;

constexpr int kMaxDepth = 10000;

class JsonReader {
 public:
  explicit JsonReader(absl::string_view s) : s_(s) {}

  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool AtEnd() const { return i_ >= s_.size(); }

  // Parses any value. If `str` is non-null and the value is a string, stores it there and sets
  // *is_string.
  bool Value(int depth, std::string* str, bool* is_string) {
    if (depth > kMaxDepth) return false;
    SkipWs();
    if (AtEnd()) return false;
    if (is_string) *is_string = false;
    char c = s_[i_];
    if (c == '"') {
      if (is_string) *is_string = true;
      std::string tmp;
      return String(str ? str : &tmp);
    }
    if (c == '[') return Array(depth + 1, nullptr, nullptr);
    if (c == '{') return Object(depth + 1);
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

  // Parses an array; collects strings into `items` and notes non-strings in `*all_strings`.
  bool Array(int depth, std::vector<std::string>* items, bool* all_strings) {
    if (depth > kMaxDepth) return false;
    ++i_;  // '['
    SkipWs();
    if (!AtEnd() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    for (;;) {
      std::string item;
      bool is_string = false;
      if (!Value(depth, items ? &item : nullptr, &is_string)) return false;
      if (items) {
        if (is_string) {
          items->push_back(std::move(item));
        } else if (all_strings) {
          *all_strings = false;
        }
      }
      SkipWs();
      if (AtEnd()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        return true;
      }
      return false;
    }
  }

 private:
  bool Object(int depth) {
    if (depth > kMaxDepth) return false;
    ++i_;  // '{'
    SkipWs();
    if (!AtEnd() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    for (;;) {
      SkipWs();
      if (AtEnd() || s_[i_] != '"') return false;
      std::string key;
      if (!String(&key)) return false;
      SkipWs();
      if (AtEnd() || s_[i_] != ':') return false;
      ++i_;
      if (!Value(depth, nullptr, nullptr)) return false;
      SkipWs();
      if (AtEnd()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        return true;
      }
      return false;
    }
  }

  bool Literal(absl::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool Digits() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  bool Number() {
    if (s_[i_] == '-') ++i_;
    if (AtEnd()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      Digits();
    } else {
      return false;
    }
    if (!AtEnd() && s_[i_] == '.') {
      ++i_;
      if (!Digits()) return false;
    }
    if (!AtEnd() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (!AtEnd() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!Digits()) return false;
    }
    return true;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(size_t at, char32_t* out) {
    if (at + 4 > s_.size()) return false;
    char32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int h = Hex(s_[at + k]);
      if (h < 0) return false;
      v = v * 16 + static_cast<char32_t>(h);
    }
    *out = v;
    return true;
  }

  bool String(std::string* out) {
    ++i_;  // '"'
    for (;;) {
      if (AtEnd()) return false;
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        char e = s_[i_ + 1];
        i_ += 2;
        switch (e) {
          case '"': out->push_back('"'); break;
          case '\\': out->push_back('\\'); break;
          case '/': out->push_back('/'); break;
          case 'b': out->push_back('\b'); break;
          case 'f': out->push_back('\f'); break;
          case 'n': out->push_back('\n'); break;
          case 'r': out->push_back('\r'); break;
          case 't': out->push_back('\t'); break;
          case 'u': {
            char32_t r;
            if (!Hex4(i_, &r)) return false;
            i_ += 4;
            if (r >= 0xD800 && r < 0xDC00) {
              char32_t r2;
              if (i_ + 6 <= s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u' && Hex4(i_ + 2, &r2) &&
                  r2 >= 0xDC00 && r2 < 0xE000) {
                i_ += 6;
                r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
              } else {
                r = kRuneError;
              }
            } else if (r >= 0xDC00 && r < 0xE000) {
              r = kRuneError;
            }
            AppendRune(out, r);
            break;
          }
          default:
            return false;
        }
        continue;
      }
      if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      char32_t r;
      int w = DecodeRune(s_, i_, &r);
      AppendRune(out, r);  // invalid bytes become U+FFFD
      i_ += w;
    }
  }

  absl::string_view s_;
  size_t i_ = 0;
};

}  // namespace

JsonArrayResult DecodeJsonStringArray(absl::string_view text, std::vector<std::string>* out) {
  out->clear();
  JsonReader r(text);
  r.SkipWs();
  // Go validates the whole input before decoding, so syntax errors win over type errors.
  if (r.AtEnd() || text[text.find_first_not_of(" \t\r\n")] != '[') {
    // Still must be valid JSON of another type to be a type error; Dockerfile callers only pass
    // text starting with '[', so anything else is simply invalid here.
    return JsonArrayResult::kInvalid;
  }
  bool all_strings = true;
  if (!r.Array(1, out, &all_strings)) {
    out->clear();
    return JsonArrayResult::kInvalid;
  }
  r.SkipWs();
  if (!r.AtEnd()) {
    out->clear();
    return JsonArrayResult::kInvalid;
  }
  if (!all_strings) {
    out->clear();
    return JsonArrayResult::kNotStrings;
  }
  return JsonArrayResult::kStrings;
}

}  // namespace builder::dockerfile
