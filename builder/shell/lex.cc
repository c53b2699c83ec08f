#include "builder/shell/lex.h"

#include <algorithm>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "builder/shell/unicode.h"

namespace builder::shell {
namespace {

constexpr char32_t kEof = static_cast<char32_t>(-1);

// Words being built while expanding (BuildKit's wordsStruct).
struct Words {
  std::string word;
  std::vector<std::string> words;
  bool in_word = false;

  void AddChar(char32_t ch) {
    if (IsSpace(ch) && in_word) {
      if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
    } else if (!IsSpace(ch)) {
      AddRawChar(ch);
    }
  }
  void AddRawChar(char32_t ch) {
    AppendRune(&word, ch);
    in_word = true;
  }
  void AddString(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
      char32_t r;
      i += DecodeRune(s, i, &r);
      AddChar(r);
    }
  }
  void AddRawString(const std::string& s) {
    word += s;
    in_word = true;
  }
  std::vector<std::string> Get() {
    if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
      in_word = false;
    }
    return std::move(words);
  }
};

// A glob pattern from `${v#p}` / `${v/p/r}`: `*` any run, `?` one rune, the rest literal. As in
// BuildKit, `*` and `?` never match a newline (they become Go regexp `.`).
struct PatternToken {
  enum Kind { kStar, kAny, kLiteral } kind;
  char32_t rune = 0;
};

absl::StatusOr<std::vector<PatternToken>> CompilePattern(const std::vector<char32_t>& p) {
  std::vector<PatternToken> out;
  for (size_t i = 0; i < p.size(); ++i) {
    char32_t c = p[i];
    if (c == '*') {
      out.push_back({PatternToken::kStar});
    } else if (c == '?') {
      out.push_back({PatternToken::kAny});
    } else if (c == '\\') {
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) continue;
      if (i + 1 >= p.size() || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
        std::string bad;
        if (i + 1 < p.size()) AppendRune(&bad, p[i + 1]);
        return absl::InvalidArgumentError(absl::StrCat("invalid escape '\\", bad, "'"));
      }
      out.push_back({PatternToken::kLiteral, p[++i]});
    } else {
      out.push_back({PatternToken::kLiteral, c});
    }
  }
  return out;
}

// Leftmost-first (Perl/RE2 submatch) matching of `pat` against `s` starting exactly at `start`;
// `greedy` decides whether `*` tries long or short runs first. Returns the end index or -1.
// Failures are memoised, so the cost is O(|pat| * |s|).
long MatchAt(const std::vector<PatternToken>& pat, const std::vector<char32_t>& s, size_t start,
             bool greedy) {
  const size_t n = s.size();
  std::vector<char> failed((pat.size() + 1) * (n + 1), 0);
  std::function<long(size_t, size_t)> rec = [&](size_t pi, size_t si) -> long {
    if (pi == pat.size()) return static_cast<long>(si);
    char& memo = failed[pi * (n + 1) + si];
    if (memo) return -1;
    const PatternToken& t = pat[pi];
    long r = -1;
    if (t.kind == PatternToken::kLiteral) {
      if (si < n && s[si] == t.rune) r = rec(pi + 1, si + 1);
    } else if (t.kind == PatternToken::kAny) {
      if (si < n && s[si] != '\n') r = rec(pi + 1, si + 1);
    } else {
      size_t max = si;
      while (max < n && s[max] != '\n') ++max;
      if (greedy) {
        for (size_t e = max + 1; e-- > si;) {
          r = rec(pi + 1, e);
          if (r >= 0) break;
        }
      } else {
        for (size_t e = si; e <= max; ++e) {
          r = rec(pi + 1, e);
          if (r >= 0) break;
        }
      }
    }
    if (r < 0) memo = 1;
    return r;
  };
  return rec(0, start);
}

// Finds the leftmost match at or after `from`. Returns false if none.
bool FindMatch(const std::vector<PatternToken>& pat, const std::vector<char32_t>& s, size_t from,
               bool greedy, size_t* begin, size_t* end) {
  for (size_t b = from; b <= s.size(); ++b) {
    long e = MatchAt(pat, s, b, greedy);
    if (e >= 0) {
      *begin = b;
      *end = static_cast<size_t>(e);
      return true;
    }
  }
  return false;
}

// Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0`/`${0}` the match, any other
// `$name`/`${name}` empty, and a malformed `$` literal.
std::string ExpandTemplate(const std::string& tmpl, const std::string& match) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t dollar = tmpl.find('$', i);
    if (dollar == std::string::npos) break;
    out.append(tmpl, i, dollar - i);
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    bool brace = i < tmpl.size() && tmpl[i] == '{';
    size_t j = brace ? i + 1 : i;
    size_t name_begin = j;
    while (j < tmpl.size()) {
      char32_t r;
      int w = DecodeRune(tmpl, j, &r);
      if (!IsLetter(r) && !IsDigit(r) && r != '_') break;
      j += w;
    }
    std::string name = tmpl.substr(name_begin, j - name_begin);
    bool ok = !name.empty();
    if (brace) {
      if (ok && j < tmpl.size() && tmpl[j] == '}') {
        ++j;
      } else {
        ok = false;
      }
    }
    if (!ok) {
      out.push_back('$');
      continue;
    }
    i = j;
    bool numeric = true;
    for (char c : name) numeric = numeric && c >= '0' && c <= '9';
    if (numeric) {
      size_t k = 0;
      while (k + 1 < name.size() && name[k] == '0') ++k;
      if (name.substr(k) == "0") out += match;
    }
  }
  if (i < tmpl.size()) out.append(tmpl, i, std::string::npos);
  return out;
}

class Worker {
 public:
  Worker(const LexOptions& options, absl::string_view input, const EnvGetter& env)
      : opt_(options), env_(env), raw_escapes_(options.raw_escapes), input_(input) {
    // Go's text/scanner skips a byte-order mark at the very start.
    if (!input_.empty()) {
      char32_t first;
      int width = DecodeRune(input_, 0, &first);
      if (first == 0xFEFF) pos_ = width;
    }
  }

  // `split`: also fill out->words (the expansion split into words).
  absl::Status Run(ProcessResult* out, bool split) {
    std::string word;
    std::vector<std::string> words;
    absl::Status s = ProcessStopOn(kEof, raw_escapes_, &word, split ? &words : nullptr);
    if (!s.ok()) return s;
    out->word = std::move(word);
    out->words = std::move(words);
    out->matched = std::move(matched_);
    out->unmatched = std::move(unmatched_);
    return absl::OkStatus();
  }

 private:
  // The input is read as runes (Go's []rune(s): an invalid byte is one U+FFFD), decoded as they
  // are reached rather than all up front.
  char32_t Peek() const {
    if (pos_ >= input_.size()) return kEof;
    char32_t r;
    DecodeRune(input_, pos_, &r);
    return r;
  }
  char32_t Next() {
    if (pos_ >= input_.size()) return kEof;
    char32_t r;
    pos_ += DecodeRune(input_, pos_, &r);
    return r;
  }

  bool GetEnv(const std::string& name, std::string* value) {
    if (env_.Get(name, value)) {
      matched_.insert(name);
      return true;
    }
    unmatched_.insert(name);
    value->clear();
    return false;
  }

  absl::Status ProcessStopOn(char32_t stop, bool raw_escapes, std::string* result_out,
                             std::vector<std::string>* words_out) {
    bool saved = raw_escapes_;
    raw_escapes_ = raw_escapes;
    absl::Status s = ProcessStopOnImpl(stop, result_out, words_out);
    raw_escapes_ = saved;
    return s;
  }

  absl::Status ProcessStopOnImpl(char32_t stop, std::string* result_out,
                                 std::vector<std::string>* words_out) {
    std::string result;
    Words words;  // only kept up to date when the caller wants them (words_out)
    const bool split = words_out != nullptr;
    while (Peek() != kEof) {
      char32_t ch = Peek();
      if (stop != kEof && ch == stop) {
        Next();
        *result_out = std::move(result);
        if (words_out) *words_out = words.Get();
        return absl::OkStatus();
      }
      bool special = ch == '$' || (!opt_.skip_process_quotes && (ch == '\'' || ch == '"'));
      if (special) {
        std::string tmp;
        absl::Status s = ch == '$'    ? ProcessDollar(&tmp)
                         : ch == '\'' ? ProcessSingleQuote(&tmp)
                                      : ProcessDoubleQuote(&tmp);
        if (!s.ok()) return s;
        result += tmp;
        if (!split) continue;
        if (ch == '$') {
          words.AddString(tmp);
        } else {
          words.AddRawString(tmp);
        }
        continue;
      }
      ch = Next();
      if (ch == opt_.escape) {
        if (raw_escapes_) {
          if (split) words.AddRawChar(ch);
          AppendRune(&result, ch);
        }
        ch = Next();
        if (ch == kEof) break;
        if (split) words.AddRawChar(ch);
      } else if (split) {
        words.AddChar(ch);
      }
      AppendRune(&result, ch);
    }
    if (stop != kEof) {
      std::string s;
      AppendRune(&s, stop);
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected end of statement while looking for matching ", s));
    }
    *result_out = std::move(result);
    if (words_out) *words_out = words.Get();
    return absl::OkStatus();
  }

  absl::Status ProcessSingleQuote(std::string* out) {
    char32_t ch = Next();
    if (opt_.raw_quotes) AppendRune(out, ch);
    for (;;) {
      ch = Next();
      if (ch == kEof) {
        return absl::InvalidArgumentError(
            "unexpected end of statement while looking for matching single-quote");
      }
      if (ch == '\'') {
        if (opt_.raw_quotes) AppendRune(out, ch);
        return absl::OkStatus();
      }
      AppendRune(out, ch);
    }
  }

  absl::Status ProcessDoubleQuote(std::string* out) {
    char32_t ch = Next();
    if (opt_.raw_quotes) AppendRune(out, ch);
    for (;;) {
      char32_t p = Peek();
      if (p == kEof) {
        return absl::InvalidArgumentError(
            "unexpected end of statement while looking for matching double-quote");
      }
      if (p == '"') {
        ch = Next();
        if (opt_.raw_quotes) AppendRune(out, ch);
        return absl::OkStatus();
      }
      if (p == '$') {
        std::string value;
        absl::Status s = ProcessDollar(&value);
        if (!s.ok()) return s;
        *out += value;
        continue;
      }
      ch = Next();
      if (ch == opt_.escape) {
        if (raw_escapes_) AppendRune(out, ch);
        char32_t q = Peek();
        if (q == kEof) continue;  // a trailing escape is dropped; the loop then reports EOF
        if (q == '"' || q == '$' || q == opt_.escape) ch = Next();
      }
      AppendRune(out, ch);
    }
  }

  std::string ProcessName() {
    std::string name;
    while (Peek() != kEof) {
      char32_t ch = Peek();
      if (name.empty() && IsDigit(ch)) {
        while (Peek() != kEof && IsDigit(Peek())) AppendRune(&name, Next());
        return name;
      }
      if (name.empty() && IsSpecialParam(ch)) {
        AppendRune(&name, Next());
        return name;
      }
      if (!IsLetter(ch) && !IsDigit(ch) && ch != '_') break;
      AppendRune(&name, Next());
    }
    return name;
  }

  static bool IsSpecialParam(char32_t c) {
    switch (c) {
      case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
        return true;
      default:
        return false;
    }
  }

  absl::Status ProcessDollar(std::string* out) {
    Next();  // '$'
    if (Peek() != '{') {
      std::string name = ProcessName();
      if (name.empty()) {
        *out = "$";
        return absl::OkStatus();
      }
      std::string value;
      bool found = GetEnv(name, &value);
      if (!found && opt_.skip_unset_env) {
        *out = "$" + name;
        return absl::OkStatus();
      }
      *out = std::move(value);
      return absl::OkStatus();
    }
    Next();  // '{'
    switch (Peek()) {
      case kEof:
        return absl::InvalidArgumentError("syntax error: missing '}'");
      case '{': case '}': case ':':
        return absl::InvalidArgumentError("syntax error: bad substitution");
      default:
        break;
    }
    std::string name = ProcessName();
    char32_t ch = Next();
    std::string chs;
    if (ch != kEof) AppendRune(&chs, ch);
    bool null_is_unset = false;
    if (ch == '}') {
      std::string value;
      bool set = GetEnv(name, &value);
      if (!set && opt_.skip_unset_env) {
        *out = absl::StrCat("${", name, "}");
        return absl::OkStatus();
      }
      *out = std::move(value);
      return absl::OkStatus();
    }
    if (ch == ':') {
      null_is_unset = true;
      ch = Next();
      if (ch != kEof) AppendRune(&chs, ch);
    }
    if (ch == ':' || ch == '+' || ch == '-' || ch == '?' || ch == '#' || ch == '%' ||
        null_is_unset) {
      bool raw = ch == '#' || ch == '%';
      std::string word;
      absl::Status s = ProcessStopOn('}', raw, &word, nullptr);
      if (!s.ok()) {
        if (Peek() == kEof) return absl::InvalidArgumentError("syntax error: missing '}'");
        return s;
      }
      std::string value;
      bool set = GetEnv(name, &value);
      if (opt_.skip_unset_env && !set) {
        *out = absl::StrCat("${", name, chs, word, "}");
        return absl::OkStatus();
      }
      switch (ch) {
        case '-':
          *out = (!set || (null_is_unset && value.empty())) ? word : value;
          return absl::OkStatus();
        case '+':
          *out = (!set || (null_is_unset && value.empty())) ? std::string() : word;
          return absl::OkStatus();
        case '?':
          if (!set) {
            return absl::InvalidArgumentError(
                absl::StrCat(name, ": ", word.empty() ? "is not allowed to be unset" : word));
          }
          if (null_is_unset && value.empty()) {
            return absl::InvalidArgumentError(
                absl::StrCat(name, ": ", word.empty() ? "is not allowed to be empty" : word));
          }
          *out = std::move(value);
          return absl::OkStatus();
        case '%':
        case '#': {
          bool greedy = false;
          if (!word.empty() && static_cast<unsigned char>(word[0]) == ch) {
            greedy = true;
            word.erase(0, 1);
          }
          return ch == '%' ? TrimSuffix(word, value, greedy, out)
                           : TrimPrefix(word, value, greedy, out);
        }
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("unsupported modifier (", chs, ") in substitution"));
      }
    }
    if (ch == '/') {
      bool replace_all = Peek() == '/';
      if (replace_all) Next();
      std::string pattern, replacement;
      absl::Status s = ProcessStopOn('/', true, &pattern, nullptr);
      if (!s.ok()) {
        if (Peek() == kEof) return absl::InvalidArgumentError("syntax error: missing '/' in ${}");
        return s;
      }
      s = ProcessStopOn('}', true, &replacement, nullptr);
      if (!s.ok()) {
        if (Peek() == kEof) return absl::InvalidArgumentError("syntax error: missing '}'");
        return s;
      }
      std::string value;
      bool set = GetEnv(name, &value);
      if (opt_.skip_unset_env && !set) {
        *out = absl::StrCat("${", name, "/", pattern, "/", replacement, "}");
        return absl::OkStatus();
      }
      auto compiled = CompilePattern(DecodeRunes(pattern));
      if (!compiled.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("invalid pattern (", pattern,
                                                       ") in substitution: ",
                                                       compiled.status().message()));
      }
      std::vector<char32_t> v = DecodeRunes(value);
      if (!replace_all) {
        size_t b, e;
        if (FindMatch(*compiled, v, 0, true, &b, &e)) {
          *out = EncodeRunes(v, 0, b) + replacement + EncodeRunes(v, e, v.size());
        } else {
          *out = std::move(value);
        }
        return absl::OkStatus();
      }
      // Go's Regexp.ReplaceAllString: non-overlapping matches, no empty match right after a match.
      std::string buf;
      size_t search = 0, last_end = 0;
      while (search <= v.size()) {
        size_t b, e;
        if (!FindMatch(*compiled, v, search, true, &b, &e)) break;
        buf += EncodeRunes(v, last_end, b);
        if (e > last_end || b == 0) buf += ExpandTemplate(replacement, EncodeRunes(v, b, e));
        last_end = e;
        if (search + 1 > e) {
          search += 1;
        } else {
          search = e;
        }
      }
      buf += EncodeRunes(v, last_end, v.size());
      *out = std::move(buf);
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported modifier (", chs, ") in substitution"));
  }

  static absl::Status TrimPrefix(const std::string& word, const std::string& value, bool greedy,
                                 std::string* out) {
    auto pat = CompilePattern(DecodeRunes(word));
    if (!pat.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid pattern (", word,
                                                     ") in substitution: ", pat.status().message()));
    }
    std::vector<char32_t> v = DecodeRunes(value);
    long e = MatchAt(*pat, v, 0, greedy);
    *out = e >= 0 ? EncodeRunes(v, static_cast<size_t>(e), v.size()) : value;
    return absl::OkStatus();
  }

  static absl::Status TrimSuffix(const std::string& word, const std::string& value, bool greedy,
                                 std::string* out) {
    // Reverse pattern (keeping `\x` pairs in order) and value, then trim a prefix.
    std::vector<char32_t> p = DecodeRunes(word);
    std::vector<char32_t> rp(p.size());
    size_t last = p.empty() ? 0 : p.size() - 1;
    for (size_t i = 0; i < p.size();) {
      size_t o = last - i;
      if (p[i] == '\\' && i != last) {
        rp[o - 1] = p[i];
        rp[o] = p[i + 1];
        i += 2;
      } else {
        rp[o] = p[i];
        ++i;
      }
    }
    std::vector<char32_t> rv = DecodeRunes(value);
    std::reverse(rv.begin(), rv.end());
    std::string trimmed;
    absl::Status s = TrimPrefix(EncodeRunes(rp, 0, rp.size()), EncodeRunes(rv, 0, rv.size()),
                                greedy, &trimmed);
    if (!s.ok()) return s;
    std::vector<char32_t> t = DecodeRunes(trimmed);
    std::reverse(t.begin(), t.end());
    *out = EncodeRunes(t, 0, t.size());
    return absl::OkStatus();
  }

  const LexOptions& opt_;
  const EnvGetter& env_;
  bool raw_escapes_;
  absl::string_view input_;  // not owned: Process's argument
  size_t pos_ = 0;           // byte offset of the next rune
  std::set<std::string> matched_, unmatched_;
};

}  // namespace

MapEnv MapEnv::FromList(const std::vector<std::string>& list) {
  MapEnv env;
  for (const std::string& e : list) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      env.Set(e, "");
    } else {
      env.Set(e.substr(0, eq), e.substr(eq + 1));
    }
  }
  return env;
}

bool MapEnv::Get(absl::string_view name, std::string* value) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return false;
  *value = it->second;
  return true;
}

namespace {

// Calls fn with each run of non-space characters of a plain word (see Lexer::IsPlain).
template <typename Fn>
void ForEachPlainWord(absl::string_view word, Fn fn) {
  size_t i = 0;
  while (i < word.size()) {
    while (i < word.size() && IsSpace(static_cast<unsigned char>(word[i]))) ++i;
    size_t begin = i;
    while (i < word.size() && !IsSpace(static_cast<unsigned char>(word[i]))) ++i;
    if (i > begin) fn(word.substr(begin, i - begin));
  }
}

// True if expanding `word` cannot change it: every byte IsPlainByte. Most Dockerfile words are
// like this.
bool IsPlainWord(absl::string_view word, char32_t escape) {
  // A byte table per usual escape character, made at compile time: one load per byte instead of
  // five comparisons.
  struct Table {
    bool plain[256] = {};
    constexpr explicit Table(unsigned char escape) {
      for (int b = 0; b < 256; ++b) plain[b] = IsPlainByte(static_cast<unsigned char>(b), escape);
    }
  };
  static constexpr Table kBackslash('\\'), kBacktick('`');
  const bool* plain;
  if (escape == '\\') {
    plain = kBackslash.plain;
  } else if (escape == '`') {
    plain = kBacktick.plain;
  } else {
    for (char c : word) {
      if (!IsPlainByte(static_cast<unsigned char>(c), escape)) return false;
    }
    return true;
  }
  for (char c : word) {
    if (!plain[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace

bool Lexer::IsPlain(absl::string_view word) const { return IsPlainWord(word, options_.escape); }

void Lexer::SplitPlain(absl::string_view word, std::vector<absl::string_view>* out) {
  ForEachPlainWord(word, [out](absl::string_view w) { out->push_back(w); });
}

absl::StatusOr<ProcessResult> Lexer::Process(absl::string_view word, const EnvGetter& env) const {
  return Process(word, env, /*split=*/true);
}

absl::StatusOr<ProcessResult> Lexer::ProcessUnsplit(absl::string_view word,
                                                    const EnvGetter& env) const {
  return Process(word, env, /*split=*/false);
}

absl::StatusOr<ProcessResult> Lexer::Process(absl::string_view word, const EnvGetter& env,
                                             bool split) const {
  ProcessResult result;
  if (IsPlainWord(word, options_.escape)) {
    if (!split) {
      result.word = std::string(word);
      return result;
    }
    // What the worker would produce: the word itself, split on (ASCII) white space.
    result.word = std::string(word);
    ForEachPlainWord(word, [&](absl::string_view w) { result.words.emplace_back(w); });
    return result;
  }
  Worker worker(options_, word, env);
  absl::Status s = worker.Run(&result, split);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("failed to process \"", word, "\": ", s.message()));
  }
  return result;
}

absl::StatusOr<std::string> Lexer::ProcessWord(absl::string_view word, const EnvGetter& env) const {
  absl::StatusOr<ProcessResult> r = Process(word, env, /*split=*/false);
  if (!r.ok()) return r.status();
  return std::move(r->word);
}

absl::StatusOr<std::vector<std::string>> Lexer::ProcessWords(absl::string_view word,
                                                             const EnvGetter& env) const {
  absl::StatusOr<ProcessResult> r = Process(word, env);
  if (!r.ok()) return r.status();
  return std::move(r->words);
}

}  // namespace builder::shell
