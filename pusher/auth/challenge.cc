#include "pusher/auth/challenge.h"

#include "absl/strings/ascii.h"

namespace pusher {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string("!#$%&'*+-.^_`|~/:").find(c) != std::string::npos;
}

class Lexer {
 public:
  explicit Lexer(absl::string_view s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  std::string Token() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && IsTokenChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::string Quoted() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    if (pos_ < s_.size()) ++pos_;  // closing quote
    return out;
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }

 private:
  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> ParseWwwAuthenticate(absl::string_view header) {
  std::vector<Challenge> out;
  Lexer lex(header);
  while (!lex.AtEnd()) {
    if (lex.Consume(',')) continue;
    std::string scheme = lex.Token();
    if (scheme.empty()) break;  // garbage: stop
    Challenge c;
    c.scheme = absl::AsciiStrToLower(scheme);
    // Parameters: name=value pairs separated by commas, until a token not followed by '='.
    while (!lex.AtEnd()) {
      size_t save = lex.pos();
      lex.Consume(',');
      std::string name = lex.Token();
      if (name.empty() || !lex.Consume('=')) {
        lex.set_pos(save);
        break;
      }
      std::string value = lex.Peek() == '"' ? lex.Quoted() : lex.Token();
      c.params[absl::AsciiStrToLower(name)] = value;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace pusher
