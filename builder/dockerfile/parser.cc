#include "builder/dockerfile/parser.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "builder/dockerfile/go_json.h"
#include "builder/shell/lex.h"
#include "builder/shell/unicode.h"

namespace builder::dockerfile {
namespace {

using shell::AppendRune;
using shell::DecodeRune;
using shell::IsSpace;

// bufio.Scanner's default limit: a physical line longer than this is refused, as BuildKit does.
constexpr size_t kMaxLine = 64 * 1024;
// `ONBUILD ONBUILD ...` nests; BuildKit refuses the chain later anyway. Bound the recursion.
constexpr int kMaxOnbuildDepth = 64;

// Parser state that directives change.
struct Directives {
  char32_t escape = '\\';
  bool done = false;
  std::vector<Directive> parsed;
};

bool IsReWhitespace(char c) {  // BuildKit's reWhitespace class [\t\v\f\r ]
  // One shift and test of a bit set instead of five comparisons (keywords are scanned with it).
  constexpr uint64_t kSet = uint64_t{1} << '\t' | uint64_t{1} << '\v' | uint64_t{1} << '\f' |
                            uint64_t{1} << '\r' | uint64_t{1} << ' ';
  const unsigned char b = static_cast<unsigned char>(c);
  return b <= ' ' && ((kSet >> b) & 1) != 0;
}
bool IsReSpace(char c) {  // RE2's \s: [\t\n\f\r ]
  return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

// The end of the run of bytes from s[pos] on (pos <= n) whose class in `table` is 0, at most n.
// Words are mostly such runs: four bytes a step (one test of their OR-ed classes) while four
// remain, then one at a time.
inline size_t SkipPlainRun(const char* s, size_t pos, size_t n, const uint8_t* table) {
  auto class_of = [s, table](size_t i) { return table[static_cast<unsigned char>(s[i])]; };
  while (n - pos >= 4 &&
         (class_of(pos) | class_of(pos + 1) | class_of(pos + 2) | class_of(pos + 3)) == 0) {
    pos += 4;
  }
  while (pos < n && class_of(pos) == 0) ++pos;
  return pos;
}

// IsReWhitespace as a SkipPlainRun table: 1 for [\t\v\f\r ], else 0.
struct ReWhitespaceBytes {
  uint8_t of[256] = {};
  constexpr ReWhitespaceBytes() {
    of[static_cast<unsigned char>('\t')] = of[static_cast<unsigned char>('\v')] = 1;
    of[static_cast<unsigned char>('\f')] = of[static_cast<unsigned char>('\r')] = 1;
    of[static_cast<unsigned char>(' ')] = 1;
  }
};
constexpr ReWhitespaceBytes kReWhitespaceBytes;

// Splits on runs of [\t\v\f\r ], at most `n` parts (n <= 0: all), like Go's Regexp.Split; the
// parts (views of `s`) are appended to `out`.
void SplitWhitespace(absl::string_view s, int n, std::vector<absl::string_view>* out) {
  if (n == 0) return;
  const size_t first = out->size();
  size_t begin = 0;
  size_t i = SkipPlainRun(s.data(), 0, s.size(), kReWhitespaceBytes.of);
  while (i < s.size()) {  // s[i] is white space
    if (n > 0 && static_cast<int>(out->size() - first) == n - 1) break;
    size_t j = i + 1;
    while (j < s.size() && IsReWhitespace(s[j])) ++j;
    out->push_back(s.substr(begin, i - begin));
    begin = j;
    i = SkipPlainRun(s.data(), j, s.size(), kReWhitespaceBytes.of);
  }
  out->push_back(s.substr(begin));
}

// Inline and index-based: it runs on every physical line.
inline absl::string_view TrimNewline(absl::string_view s) {
  size_t n = s.size();
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) --n;
  return absl::string_view(s.data(), n);
}

// `token` is a line without its newline and leading white space.
bool IsCommentToken(absl::string_view token) { return !token.empty() && token[0] == '#'; }

// shell::TrimLeftSpace, with the usual indentation (spaces and tabs, which it strips too) skipped
// inline first: continuation lines are mostly indented, and TrimLeftSpaceSlow decodes rune by rune.
inline absl::string_view TrimIndentation(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return shell::TrimLeftSpace(s.substr(i));
}

// Matches BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
bool MatchDirective(absl::string_view line, std::string* key, std::string* value) {
  size_t i = 0;
  if (line.empty() || line[0] != '#') return false;
  ++i;
  while (i < line.size() && IsReSpace(line[i])) ++i;
  size_t kb = i;
  if (i >= line.size() || !absl::ascii_isalpha(static_cast<unsigned char>(line[i]))) return false;
  while (i < line.size() && absl::ascii_isalnum(static_cast<unsigned char>(line[i]))) ++i;
  *key = std::string(line.substr(kb, i - kb));
  while (i < line.size() && IsReSpace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  absl::string_view rest = line.substr(i);
  if (rest.empty()) return false;
  size_t k = 0;
  while (k < rest.size() && IsReSpace(rest[k])) ++k;
  if (k == rest.size()) {
    *value = std::string(rest.substr(rest.size() - 1));  // (.+?) takes one space back
    return true;
  }
  absl::string_view v = rest.substr(k);
  while (!v.empty() && IsReSpace(v.back())) v.remove_suffix(1);
  *value = std::string(v);
  return true;
}

absl::Status ParseDirective(Directives* d, absl::string_view line, int line_no);

// Every line goes through here, but directives can only come first: once they are done the check
// is one inline test (the parsing below is out of line).
inline absl::Status PossibleDirective(Directives* d, absl::string_view line, int line_no) {
  if (d->done) return absl::OkStatus();
  return ParseDirective(d, line, line_no);
}

absl::Status ParseDirective(Directives* d, absl::string_view line, int line_no) {
  std::string key, value;
  if (!MatchDirective(line, &key, &value)) {
    d->done = true;
    return absl::OkStatus();
  }
  key = absl::AsciiStrToLower(key);
  if (key != "syntax" && key != "escape" && key != "check") {
    d->done = true;
    return absl::OkStatus();
  }
  for (const Directive& p : d->parsed) {
    if (p.name == key) {
      return absl::InvalidArgumentError(
          absl::StrCat("only one ", key, " parser directive can be used"));
    }
  }
  if (key == "escape") {
    if (value != "`" && value != "\\") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid escape token '", value, "' does not match ` or \\"));
    }
    d->escape = static_cast<char32_t>(value[0]);
  }
  d->parsed.push_back(Directive{key, value, line_no});
  return absl::OkStatus();
}

// The escape char at the end of a line (optionally followed by spaces/tabs) continues it, unless
// another escape char precedes it. Returns false (and strips it) for a continuation.
inline bool TrimContinuation(absl::string_view* line, char32_t escape) {
  size_t end = line->size();
  while (end > 0 && ((*line)[end - 1] == ' ' || (*line)[end - 1] == '\t')) --end;
  if (end == 0 || static_cast<char32_t>(static_cast<unsigned char>((*line)[end - 1])) != escape) {
    return true;
  }
  size_t esc = end - 1;
  if (esc > 0 && static_cast<char32_t>(static_cast<unsigned char>((*line)[esc - 1])) == escape) {
    return true;
  }
  line->remove_suffix(line->size() - esc);
  return false;
}

// A byte that a flag can hold as written: ASCII, not white space, quote or escape. As a
// SkipPlainRun table: 0 for those bytes, 1 for the others. Flags such as
// `--mount=type=cache,target=...` are long.
struct FlagStopBytes {
  uint8_t of[256] = {};
  constexpr FlagStopBytes() {
    for (int b = 0; b < 256; ++b) {
      const bool plain =
          b < 0x80 && !(b == ' ' || (b >= '\t' && b <= '\r')) && b != '\'' && b != '"' && b != '\\';
      of[b] = plain ? 0 : 1;
    }
  }
};
constexpr FlagStopBytes kFlagStopBytes;

// The general case of ExtractFlags (below): BuildKit's byte-by-byte state machine (unquoting,
// escapes, bytes >= 0x80 widened as Latin-1); every flag is a copy in `arena`. Out of line: it is
// rare, and inlined it would weigh on the frame of every NodeFromLine call.
ABSL_ATTRIBUTE_NOINLINE absl::string_view ExtractFlagsGeneral(
    absl::string_view line, base::Arena* arena, std::vector<absl::string_view>* flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  char32_t quote = 0;
  bool blank_ok = false;
  char32_t ch = 0;
  auto space = [](char32_t c) { return IsSpace(c); };
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    if (pos != line.size()) ch = static_cast<unsigned char>(line[pos]);
    if (phase == kSpaces) {
      if (pos == line.size()) break;
      if (space(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        return line.substr(pos);
      }
      phase = kWord;
    }
    if ((phase == kWord || phase == kQuote) && pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags->push_back(arena->Copy(word));
      break;
    }
    if (phase == kWord) {
      if (space(ch)) {
        phase = kSpaces;
        if (word == "--") return line.substr(pos);
        if (blank_ok || !word.empty()) flags->push_back(arena->Copy(word));
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ++pos;
        ch = static_cast<unsigned char>(line[pos]);
      }
      AppendRune(&word, ch);
      continue;
    }
    if (phase == kQuote) {
      if (ch == quote) {
        phase = kWord;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) {
          phase = kWord;
          continue;
        }
        ++pos;
        ch = static_cast<unsigned char>(line[pos]);
      }
      AppendRune(&word, ch);
    }
  }
  return "";
}

// BuildKit's extractBuilderFlags: takes `--flag` words off the front. Works on bytes, as upstream
// does (so bytes 0x85/0xA0 count as spaces and bytes >= 0x80 are widened as Latin-1).
// Returns the rest of `line` after the flags (a view into it); the flags, unquoted, are appended
// to `flags` (views of `line` where nothing was unquoted, else copies in `arena`).
// Fast path: most flags have no quotes, escapes or non-ASCII bytes, so a flag is the word as
// written, a view of the line, with no state machine. From the first flag that is not like that
// on, ExtractFlagsGeneral does the rest.
absl::string_view ExtractFlags(absl::string_view line, base::Arena* arena,
                               std::vector<absl::string_view>* flags) {
  // IsAsciiNonSpace first: one compare settles the usual printable byte.
  auto space = [](char c) {
    return !shell::IsAsciiNonSpace(c) && IsSpace(static_cast<unsigned char>(c));
  };
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && space(line[pos])) ++pos;
    if (pos == line.size()) return "";
    if (line[pos] != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
    const size_t end = SkipPlainRun(line.data(), pos, line.size(), kFlagStopBytes.of);
    if (end != line.size() && !space(line[end])) {
      return ExtractFlagsGeneral(line.substr(pos), arena, flags);
    }
    absl::string_view plain = line.substr(pos, end - pos);
    if (plain == "--") return line.substr(end);
    flags->push_back(plain);
    pos = end;
  }
}

// ParseWords (below) for ASCII text. Quotes and escapes are kept, so each word is a slice of
// `rest` (only a final escape character is dropped, and only at the very end): no rune decoding or
// per-byte appends. Returns false, leaving `words` as it was, if `rest` has a non-ASCII byte
// (which ParseWords may rewrite: invalid UTF-8 becomes U+FFFD).
bool ParseWordsAscii(absl::string_view rest, char32_t escape,
                     std::vector<absl::string_view>* words) {
  // What stops a run of ordinary characters: white space, quotes, the escape character and any
  // byte >= 0x80 (then the caller takes the general path).
  enum : uint8_t { kPlain = 0, kSpaceByte = 1, kQuoteByte = 2, kEscapeByte = 4, kHighByte = 8 };
  struct Classes {
    uint8_t of[256];
    explicit Classes(char escape) {
      for (int c = 0; c < 256; ++c) {
        of[c] = c >= 0x80 ? kHighByte : IsSpace(static_cast<char32_t>(c)) ? kSpaceByte : kPlain;
      }
      of[static_cast<unsigned char>('\'')] = of[static_cast<unsigned char>('"')] = kQuoteByte;
      of[static_cast<unsigned char>(escape)] = kEscapeByte;
    }
  };
  static const Classes kBackslash('\\'), kBacktick('`');
  if (escape != '\\' && escape != '`') return false;
  const uint8_t* cls = (escape == '\\' ? kBackslash : kBacktick).of;
  auto class_of = [cls](char c) { return cls[static_cast<unsigned char>(c)]; };

  const size_t first = words->size();
  const char* s = rest.data();
  const size_t n = rest.size();
  size_t pos = 0;
  while (true) {
    while (pos < n && class_of(s[pos]) == kSpaceByte) ++pos;
    if (pos == n) return true;
    // A word: rest[begin, end), quotes and escapes kept.
    const size_t begin = pos;
    size_t end = pos;
    bool blank_ok = false;
    char quote = 0;  // inside quotes when not 0
    while (pos < n) {
      uint8_t c = class_of(s[pos]);
      if (c == kHighByte) {
        words->resize(first);
        return false;
      }
      if (quote == 0) {
        if (c == kPlain) {
          pos = SkipPlainRun(s, pos + 1, n, cls);
          end = pos;
          continue;
        }
        if (c == kSpaceByte) break;
        if (c == kQuoteByte) {
          quote = s[pos];
          blank_ok = true;
        } else if (pos + 1 == n) {  // an escape character at the very end is dropped
          ++pos;
          continue;
        } else {
          ++pos;  // the escaped character is kept with its escape
          if (class_of(s[pos]) == kHighByte) {
            words->resize(first);
            return false;
          }
        }
        end = ++pos;
        continue;
      }
      // Inside quotes: up to the closing quote; escapes count except in single quotes.
      if (s[pos] == quote) {
        quote = 0;
      } else if (c == kEscapeByte && quote != '\'') {
        if (pos + 1 == n) {  // a final escape inside quotes is dropped too
          ++pos;
          quote = 0;
          continue;
        }
        ++pos;
        if (class_of(s[pos]) == kHighByte) {
          words->resize(first);
          return false;
        }
      }
      end = ++pos;
    }
    if (blank_ok || end > begin) words->push_back(rest.substr(begin, end - begin));
  }
}

// BuildKit's parseWords for ENV, LABEL and ARG: split on whitespace outside quotes, keeping quotes
// and escapes. The words are appended to `out`: views of `rest` for ASCII text, else copies in
// `arena`.
void ParseWords(absl::string_view rest, char32_t escape, base::Arena* arena,
                std::vector<absl::string_view>* out) {
  if (ParseWordsAscii(rest, escape, out)) return;
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0;
  bool blank_ok = false;
  char32_t ch = 0;
  int width = 0;
  for (size_t pos = 0; pos <= rest.size(); pos += width) {
    if (pos != rest.size()) width = DecodeRune(rest, pos, &ch);
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      if (IsSpace(ch)) continue;
      phase = kWord;
    }
    if ((phase == kWord || phase == kQuote) && pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == kWord) {
      if (IsSpace(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
      }
      if (ch == escape) {
        if (pos + width == rest.size()) continue;
        AppendRune(&word, ch);
        pos += width;
        width = DecodeRune(rest, pos, &ch);
      }
      AppendRune(&word, ch);
      continue;
    }
    if (phase == kQuote) {
      if (ch == quote) phase = kWord;
      if (ch == escape && quote != '\'') {
        if (pos + width == rest.size()) {
          phase = kWord;
          continue;
        }
        pos += width;
        AppendRune(&word, ch);
        width = DecodeRune(rest, pos, &ch);
      }
      AppendRune(&word, ch);
    }
  }
  for (const std::string& w : words) out->push_back(arena->Copy(w));
}

// The node being parsed: its arguments collect in `args` (views of the line, or copies in
// `arena`) and are copied to the arena once the node is done.
struct LineResult {
  base::Arena* arena;
  std::vector<absl::string_view>& args;
  absl::Span<const Node> sub;
  bool json = false;
};

// The position of the first '=' in `word`, or npos (string_view::find, without its call).
inline size_t FindEquals(absl::string_view word) {
  if (word.empty()) return absl::string_view::npos;
  const void* eq = std::memchr(word.data(), '=', word.size());
  return eq == nullptr ? absl::string_view::npos : static_cast<const char*>(eq) - word.data();
}

absl::Status ParseNameVal(absl::string_view rest, const char* key, char32_t escape,
                          LineResult* out) {
  std::vector<absl::string_view>& args = out->args;
  const size_t first = args.size();
  ParseWords(rest, escape, out->arena, &args);
  const size_t n = args.size() - first;  // the words, args[first, first + n)
  if (n == 0) return absl::OkStatus();
  const size_t first_eq = FindEquals(args[first]);  // reused for the first triple below
  if (first_eq == absl::string_view::npos) {
    args.resize(first);
    SplitWhitespace(rest, 2, &args);
    if (args.size() - first < 2) {
      return absl::InvalidArgumentError(absl::StrCat(key, " must have two arguments"));
    }
    args.push_back("");
    return absl::OkStatus();
  }
  // Each word becomes a name, value, "=" triple, written after the words, which are then dropped
  // (no copy of the words elsewhere first).
  args.resize(first + 4 * n);
  absl::string_view* words = &args[first];
  absl::string_view* triple = words + n;
  for (size_t i = 0; i < n; ++i, triple += 3) {
    const absl::string_view w = words[i];
    const size_t eq = i == 0 ? first_eq : FindEquals(w);
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("Syntax error - can't find = in ",
                                                     shell::GoQuote(w),
                                                     ". Must be of the form: name=value"));
    }
    triple[0] = absl::string_view(w.data(), eq);
    triple[1] = absl::string_view(w.data() + eq + 1, w.size() - eq - 1);
    triple[2] = "=";
  }
  args.erase(args.begin() + first, args.begin() + first + n);
  return absl::OkStatus();
}

constexpr char kNotStringArray[] =
    "when using JSON array syntax, arrays must be comprised of strings only";

int DecodeJson(absl::string_view t, LineResult* out);

// Returns 1 parsed, 0 not JSON, -1 JSON with non-strings. Most arguments are the shell form: the
// test for a leading '[' is inline, the decoding (and its vector of strings) out of line.
inline int ParseJson(absl::string_view rest, LineResult* out) {
  absl::string_view t = shell::TrimLeftSpace(rest);
  if (t.empty() || t[0] != '[') return 0;
  return DecodeJson(t, out);
}

ABSL_ATTRIBUTE_NOINLINE int DecodeJson(absl::string_view t, LineResult* out) {
  std::vector<std::string> items;
  switch (DecodeJsonStringArray(t, &items)) {
    case JsonArrayResult::kStrings:
      for (const std::string& item : items) out->args.push_back(out->arena->Copy(item));
      out->json = true;
      return 1;
    case JsonArrayResult::kNotStrings:
      return -1;
    case JsonArrayResult::kInvalid:
      return 0;
  }
  return 0;
}

// ParseMaybeJson and ParseMaybeJsonToList are inline (into Dispatch): every RUN, CMD, COPY, ADD
// and VOLUME comes here, and a call with a Status to return cost more than the shell-form test.
// The decoding stays out of line.
inline absl::Status ParseMaybeJson(absl::string_view rest, LineResult* out) {
  if (rest.empty()) return absl::OkStatus();
  int r = ParseJson(rest, out);
  if (r == 1) return absl::OkStatus();
  if (r < 0) return absl::InvalidArgumentError(kNotStringArray);
  out->args.push_back(rest);
  return absl::OkStatus();
}

inline absl::Status ParseMaybeJsonToList(absl::string_view rest, LineResult* out) {
  int r = ParseJson(rest, out);
  if (r == 1) return absl::OkStatus();
  if (r < 0) return absl::InvalidArgumentError(kNotStringArray);
  if (!rest.empty()) SplitWhitespace(rest, -1, &out->args);
  return absl::OkStatus();
}

// Scratch space the parser reuses from node to node, so that collecting a node's words allocates
// nothing once the vectors have grown.
struct Scratch {
  std::vector<absl::string_view> flags;
  std::vector<absl::string_view> args;
};

// Parses one logical line (a view that outlives the Ast: the source text or the arena) into
// `node`: sets every field but heredocs, start_line, end_line and comments.
absl::Status NodeFromLine(absl::string_view line, const Directives& d, int depth,
                          base::Arena* arena, Scratch* scratch, Node* node);

struct InstructionNames {
  absl::string_view lower;
  absl::string_view upper;
};
// Indexed by Instruction.
constexpr InstructionNames kInstructionNames[] = {
    {"", ""},
    {"add", "ADD"},
    {"arg", "ARG"},
    {"cmd", "CMD"},
    {"copy", "COPY"},
    {"entrypoint", "ENTRYPOINT"},
    {"env", "ENV"},
    {"expose", "EXPOSE"},
    {"from", "FROM"},
    {"healthcheck", "HEALTHCHECK"},
    {"label", "LABEL"},
    {"maintainer", "MAINTAINER"},
    {"onbuild", "ONBUILD"},
    {"run", "RUN"},
    {"shell", "SHELL"},
    {"stopsignal", "STOPSIGNAL"},
    {"user", "USER"},
    {"volume", "VOLUME"},
    {"workdir", "WORKDIR"},
};

// Keyword lookup without a table walk: a keyword's first (up to) eight bytes, packed little-endian
// into an integer, select the one instruction it can name (a switch over constants); its length and
// any bytes past the eighth are then checked. Each byte is OR-ed with `fold`: 0x20 matches any
// ASCII case, since OR-ing 0x20 maps exactly 'A'-'Z' and 'a'-'z' onto 'a'-'z' (the names hold only
// those letters), so no other byte, and no byte >= 0x80, can match by accident; 0 matches exactly.
constexpr uint64_t PackPrefix(absl::string_view s, unsigned char fold) {
  uint64_t packed = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) {
    packed |= uint64_t{static_cast<unsigned char>(s[i] | fold)} << (8 * i);
  }
  return packed;
}
constexpr uint64_t PackName(Instruction i) {
  return PackPrefix(kInstructionNames[static_cast<int>(i)].lower, 0);
}
// Eight bytes from `p`, the first in the lowest bits (PackPrefix's order).
inline uint64_t LoadLittleEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// PackPrefix(keyword, fold), where `readable` bytes may be read from keyword.data() on (at least
// the keyword: then also what follows it on the line). With eight of them, one load and a mask.
uint64_t PackKeyword(absl::string_view keyword, unsigned char fold, size_t readable) {
  if (readable < 8) return PackPrefix(keyword, fold);
  const uint64_t mask =
      keyword.size() >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * keyword.size())) - 1;
  return (LoadLittleEndian64(keyword.data()) | (fold * 0x0101010101010101u)) & mask;
}

Instruction LookupKeyword(absl::string_view keyword, unsigned char fold, size_t readable) {
  Instruction guess;
  switch (PackKeyword(keyword, fold, readable)) {
#define SLIPWAY_KEYWORD_CASE(i)  \
  case PackName(Instruction::i): \
    guess = Instruction::i;      \
    break;
    SLIPWAY_KEYWORD_CASE(kAdd)
    SLIPWAY_KEYWORD_CASE(kArg)
    SLIPWAY_KEYWORD_CASE(kCmd)
    SLIPWAY_KEYWORD_CASE(kCopy)
    SLIPWAY_KEYWORD_CASE(kEntrypoint)
    SLIPWAY_KEYWORD_CASE(kEnv)
    SLIPWAY_KEYWORD_CASE(kExpose)
    SLIPWAY_KEYWORD_CASE(kFrom)
    SLIPWAY_KEYWORD_CASE(kHealthcheck)
    SLIPWAY_KEYWORD_CASE(kLabel)
    SLIPWAY_KEYWORD_CASE(kMaintainer)
    SLIPWAY_KEYWORD_CASE(kOnbuild)
    SLIPWAY_KEYWORD_CASE(kRun)
    SLIPWAY_KEYWORD_CASE(kShell)
    SLIPWAY_KEYWORD_CASE(kStopsignal)
    SLIPWAY_KEYWORD_CASE(kUser)
    SLIPWAY_KEYWORD_CASE(kVolume)
    SLIPWAY_KEYWORD_CASE(kWorkdir)
#undef SLIPWAY_KEYWORD_CASE
    default:
      return Instruction::kUnknown;
  }
  const absl::string_view name = kInstructionNames[static_cast<int>(guess)].lower;
  if (keyword.size() != name.size()) return Instruction::kUnknown;
  for (size_t i = 8; i < name.size(); ++i) {
    if (static_cast<unsigned char>(keyword[i] | fold) != static_cast<unsigned char>(name[i])) {
      return Instruction::kUnknown;
    }
  }
  return guess;
}

// Sets node->lower and node->instruction from node->keyword. Known keywords written in ASCII (in
// any case) get the lower-case literal (no copy); anything else is lower-cased with Go's Unicode
// rules, as BuildKit does (so the Kelvin sign in `WOR\u212ADIR` still names WORKDIR).
// `readable` is as for PackKeyword.
void ClassifyNode(base::Arena* arena, size_t readable, Node* node) {
  node->instruction = LookupKeyword(node->keyword, 0x20, readable);
  if (node->instruction != Instruction::kUnknown) {
    node->lower = kInstructionNames[static_cast<int>(node->instruction)].lower;
    return;
  }
  node->lower = arena->Copy(shell::ToLower(node->keyword));
  node->instruction = ClassifyKeyword(node->lower);
}

absl::Status ParseHealthcheck(absl::string_view rest, LineResult* out) {
  size_t sep = 0;
  while (sep < rest.size() && !IsSpace(static_cast<unsigned char>(rest[sep]))) ++sep;
  size_t next = sep;
  while (next < rest.size() && IsSpace(static_cast<unsigned char>(rest[next]))) ++next;
  if (sep == 0) return absl::OkStatus();
  const size_t first = out->args.size();
  out->args.push_back(rest.substr(0, sep));
  absl::Status s = ParseMaybeJson(rest.substr(next), out);
  if (!s.ok()) out->args.resize(first);
  return s;
}

absl::Status ParseOnbuild(absl::string_view rest, const Directives& d, int depth,
                          LineResult* out) {
  if (rest.empty()) return absl::OkStatus();
  if (depth >= kMaxOnbuildDepth) {
    return absl::InvalidArgumentError("ONBUILD nested too deeply");
  }
  // The nested node has words of its own: parse it with fresh scratch space (rare).
  Scratch nested;
  absl::Span<Node> sub = out->arena->NewArray<Node>(1);
  RETURN_IF_ERROR(NodeFromLine(rest, d, depth + 1, out->arena, &nested, &sub[0]));
  out->sub = sub;
  return absl::OkStatus();
}

absl::Status Dispatch(Instruction cmd, absl::string_view rest, const Directives& d, int depth,
                      LineResult* out) {
  switch (cmd) {
    case Instruction::kAdd:
    case Instruction::kCopy:
    case Instruction::kVolume:
      return ParseMaybeJsonToList(rest, out);
    case Instruction::kCmd:
    case Instruction::kEntrypoint:
    case Instruction::kRun:
    case Instruction::kShell:
      return ParseMaybeJson(rest, out);
    case Instruction::kArg:
      ParseWords(rest, d.escape, out->arena, &out->args);
      return absl::OkStatus();
    case Instruction::kEnv:
      return ParseNameVal(rest, "ENV", d.escape, out);
    case Instruction::kLabel:
      return ParseNameVal(rest, "LABEL", d.escape, out);
    case Instruction::kExpose:
    case Instruction::kFrom:
      if (!rest.empty()) SplitWhitespace(rest, -1, &out->args);
      return absl::OkStatus();
    case Instruction::kMaintainer:
    case Instruction::kStopsignal:
    case Instruction::kUser:
    case Instruction::kWorkdir:
      if (!rest.empty()) out->args.push_back(rest);
      return absl::OkStatus();
    case Instruction::kHealthcheck:
      return ParseHealthcheck(rest, out);
    case Instruction::kOnbuild:
      return ParseOnbuild(rest, d, depth, out);
    case Instruction::kUnknown:
      break;
  }
  // Unknown instruction: BuildKit's parser keeps it with one empty argument; the instruction layer
  // reports it (with a suggestion).
  out->args.push_back("");
  return absl::OkStatus();
}

// The end of the keyword of a trimmed line `t` (its first [\t\v\f\r ] byte, or its end), and where
// the rest starts after the white space that follows: SplitWhitespace(t, 2) without the copies.
inline size_t KeywordEnd(absl::string_view t) {
  size_t ws = 0;
  while (ws < t.size() && !IsReWhitespace(t[ws])) ++ws;
  return ws;
}
inline size_t RestStart(absl::string_view t, size_t keyword_end) {
  size_t after = keyword_end;
  while (after < t.size() && IsReWhitespace(t[after])) ++after;
  return after;
}

absl::Status NodeFromLine(absl::string_view line, const Directives& d, int depth,
                          base::Arena* arena, Scratch* scratch, Node* node) {
  absl::string_view t = shell::TrimSpace(line);
  const size_t ws = KeywordEnd(t);
  node->keyword = t.substr(0, ws);
  ClassifyNode(arena, t.size(), node);
  absl::string_view rest;
  scratch->flags.clear();
  if (ws < t.size()) rest = ExtractFlags(t.substr(RestStart(t, ws)), arena, &scratch->flags);
  node->flags = arena->CopyArray(Words(scratch->flags));
  scratch->args.clear();
  LineResult r{arena, scratch->args};
  RETURN_IF_ERROR(Dispatch(node->instruction, shell::TrimSpace(rest), d, depth, &r));
  node->args = arena->CopyArray(Words(scratch->args));
  node->sub = r.sub;
  node->json = r.json;
  node->original = line;
  return absl::OkStatus();
}

// What Dispatch makes of a rest that is not empty, trimmed, not a JSON array (no leading '[') and
// has no flags: the one argument (the shell form of RUN, CMD, ENTRYPOINT and SHELL; MAINTAINER,
// STOPSIGNAL, USER, WORKDIR), its words split on white space (FROM, EXPOSE; the shell form of ADD,
// COPY and VOLUME), BuildKit's parseWords (ARG) or ParseNameVal (ENV, LABEL). kNone: anything
// else (HEALTHCHECK, ONBUILD, unknown instructions).
enum class SimpleRest { kNone, kOneArg, kSplit, kParseWords, kNameVal };
constexpr SimpleRest SimpleRestOf(Instruction i) {
  switch (i) {
    case Instruction::kCmd:
    case Instruction::kEntrypoint:
    case Instruction::kRun:
    case Instruction::kShell:
    case Instruction::kMaintainer:
    case Instruction::kStopsignal:
    case Instruction::kUser:
    case Instruction::kWorkdir:
      return SimpleRest::kOneArg;
    case Instruction::kAdd:
    case Instruction::kCopy:
    case Instruction::kVolume:
    case Instruction::kExpose:
    case Instruction::kFrom:
      return SimpleRest::kSplit;
    case Instruction::kArg:
      return SimpleRest::kParseWords;
    case Instruction::kEnv:
    case Instruction::kLabel:
      return SimpleRest::kNameVal;
    default:
      return SimpleRest::kNone;
  }
}

// NodeFromLine for the commonest lines, `RUN echo hi`, `FROM x AS y`, `ENV A=1`: a known keyword
// in ASCII and a rest with no flags that SimpleRestOf its instruction takes. Fills `node` (every
// field NodeFromLine sets) and returns true, with what NodeFromLine would return in `*status`;
// returns false, with `node` untouched, for any other line. `line` is trimmed on the left and not
// empty (IsWholeInstruction). NodeFromLine does the same through TrimSpace, ExtractFlags and
// Dispatch, which change nothing here: the rest starts with a byte that is no white space to any of
// them, nor '[' (JSON), nor "--" (a flag), and the line ends in one that TrimSpace keeps.
bool NodeFromSimpleLine(absl::string_view line, char32_t escape, base::Arena* arena,
                        Scratch* scratch, Node* node, absl::Status* status) {
  if (!shell::IsAsciiNonSpace(line.back())) return false;
  const size_t ws = KeywordEnd(line);
  if (ws == line.size()) return false;
  const absl::string_view keyword = line.substr(0, ws);
  const Instruction instruction = LookupKeyword(keyword, 0x20, line.size());
  const SimpleRest form = SimpleRestOf(instruction);
  if (form == SimpleRest::kNone) return false;
  const absl::string_view rest = line.substr(RestStart(line, ws));  // not empty: line.back()
  if (!shell::IsAsciiNonSpace(rest[0]) || rest[0] == '[' || absl::StartsWith(rest, "--")) {
    return false;
  }
  if (form == SimpleRest::kOneArg) {
    node->args = arena->CopyArray(Words(&rest, 1));
  } else {
    scratch->args.clear();
    if (form == SimpleRest::kSplit) {
      SplitWhitespace(rest, -1, &scratch->args);
    } else if (form == SimpleRest::kParseWords) {
      ParseWords(rest, escape, arena, &scratch->args);
    } else {
      LineResult r{arena, scratch->args};
      *status = ParseNameVal(rest, instruction == Instruction::kEnv ? "ENV" : "LABEL", escape, &r);
      if (!status->ok()) return true;
    }
    node->args = arena->CopyArray(Words(scratch->args));
  }
  node->keyword = keyword;
  node->lower = kInstructionNames[static_cast<int>(instruction)].lower;
  node->instruction = instruction;
  node->flags = {};
  node->sub = {};
  node->json = false;
  node->original = line;
  return true;
}

bool CanContainHeredoc(const Node& node) {
  const Node* n = &node;
  if (n->instruction == Instruction::kOnbuild && !n->sub.empty()) n = &n->sub[0];
  if (n->instruction != Instruction::kAdd && n->instruction != Instruction::kCopy &&
      n->instruction != Instruction::kRun) {
    return false;
  }
  return !n->json;
}

// BuildKit's `^(\d*)<<(-?)([^<]*)$` on one word: on a match, sets the file descriptor and chomp of
// `out` and returns true, with the name as written (non-empty, maybe quoted) in `*name`.
bool MatchHeredocWord(absl::string_view word, absl::string_view* name, Heredoc* out) {
  size_t i = 0;
  while (i < word.size() && absl::ascii_isdigit(static_cast<unsigned char>(word[i]))) ++i;
  if (word.substr(i, 2) != "<<") return false;
  absl::string_view digits = word.substr(0, i);
  i += 2;
  bool chomp = false;
  if (i < word.size() && word[i] == '-') {
    chomp = true;
    ++i;
  }
  absl::string_view rest = word.substr(i);
  if (rest.find('<') != absl::string_view::npos) return false;
  if (rest.empty()) return false;
  uint64_t fd = 0;
  for (char c : digits) {
    if (fd > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      fd = std::numeric_limits<uint64_t>::max();
      break;
    }
    fd = fd * 10 + static_cast<uint64_t>(c - '0');
  }
  out->chomp = chomp;
  out->file_descriptor = fd;
  *name = rest;
  return true;
}

// The lexer BuildKit reads heredoc lines with: the default escape character whatever the file's,
// quotes and escapes kept (a quoted name disables expansion), unset variables left as written.
shell::Lexer HeredocLexer() {
  shell::LexOptions opts;
  opts.raw_quotes = true;
  opts.raw_escapes = true;
  opts.skip_unset_env = true;
  return shell::Lexer(opts);
}

// MatchHeredocWord, then BuildKit's quote detection on the name. The name is copied to `arena`.
absl::StatusOr<bool> ParseHeredocWord(absl::string_view word, base::Arena* arena, Heredoc* out) {
  absl::string_view rest;
  if (!MatchHeredocWord(word, &rest, out)) return false;
  shell::LexOptions opts;
  opts.skip_unset_env = true;
  if (shell::Lexer(opts).IsPlain(rest)) {
    // Nothing to expand or unquote (one word: `rest` came from a split): the name as written.
    out->name = arena->Copy(rest);
    out->expand = true;
    return true;
  }
  shell::MapEnv empty;
  absl::StatusOr<std::vector<std::string>> words = shell::Lexer(opts).ProcessWords(rest, empty);
  if (!words.ok()) return words.status();
  if (words->size() != 1) return false;
  opts.raw_quotes = true;
  absl::StatusOr<std::vector<std::string>> raw = shell::Lexer(opts).ProcessWords(rest, empty);
  if (!raw.ok()) return raw.status();
  if (raw->size() != words->size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("internal lexing of heredoc produced inconsistent results: ", rest));
  }
  auto quotes = [](const std::string& s) {
    return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"');
  };
  out->name = arena->Copy((*words)[0]);
  out->expand = quotes((*words)[0]) == quotes((*raw)[0]);
  return true;
}

// True if `line` holds "<<". Nearly every RUN, COPY and ADD line is checked and few have a '<' at
// all: memchr for '<' and a look at the next byte beat a general substring search.
bool HasDoubleLess(absl::string_view line) {
  const char* p = line.data();
  const char* const end = p + line.size();
  while (p != end) {
    p = static_cast<const char*>(std::memchr(p, '<', end - p));
    if (p == nullptr || p + 1 == end) return false;
    if (p[1] == '<') return true;
    ++p;
  }
  return false;
}

// HeredocsFromLine (below) for a line with something to expand or unquote: the line is lexed into
// words, and each name too (ParseHeredocWord).
ABSL_ATTRIBUTE_NOINLINE absl::Status HeredocsFromLexedWords(absl::string_view line,
                                                            base::Arena* arena,
                                                            std::vector<Heredoc>* docs) {
  shell::MapEnv empty;
  absl::StatusOr<std::vector<std::string>> words = HeredocLexer().ProcessWords(line, empty);
  if (!words.ok()) return absl::OkStatus();
  for (const std::string& w : *words) {
    Heredoc h;
    absl::StatusOr<bool> is = ParseHeredocWord(w, arena, &h);
    if (!is.ok()) return is.status();
    if (*is) docs->push_back(h);
  }
  return absl::OkStatus();
}

// The heredocs `line` starts, appended to `docs` (their names views of `line`, which outlives the
// Ast, or copies in `arena`).
// Fast path: most heredoc lines (`RUN <<EOF`) are plain (Lexer::IsPlain: ASCII, no `$`, quote or
// escape character). The lexer would return such a line's runs of non-space bytes unchanged, and
// a name in one of them is plain too: so each word is matched as written, and its name is used as
// written (expanded, since unquoted), with no lexing and no copy. Other lines take
// HeredocsFromLexedWords.
absl::Status HeredocsFromLine(absl::string_view line, base::Arena* arena,
                              std::vector<Heredoc>* docs) {
  if (!HeredocLexer().IsPlain(line)) return HeredocsFromLexedWords(line, arena, docs);
  auto space = [](char c) { return IsSpace(static_cast<unsigned char>(c)); };
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    const size_t begin = i;
    while (i < line.size() && !space(line[i])) ++i;
    Heredoc h;
    absl::string_view name;
    if (i > begin && MatchHeredocWord(line.substr(begin, i - begin), &name, &h)) {
      h.name = name;
      h.expand = true;
      docs->push_back(h);
    }
  }
  return absl::OkStatus();
}

void DumpInto(const Node& node, std::string* out) {
  std::string s = shell::ToLower(node.keyword);
  if (!node.flags.empty()) {
    s += " [";
    for (size_t i = 0; i < node.flags.size(); ++i) {
      if (i) s += " ";
      s += shell::GoQuote(node.flags[i]);
    }
    s += "]";
  }
  for (absl::string_view a : node.args) {
    s += " ";
    s += shell::GoQuote(a);
  }
  for (const Node& sub : node.sub) {
    s += " (";
    DumpInto(sub, &s);
    s += ")";
  }
  *out += std::string(shell::TrimSpace(s));
}

}  // namespace

absl::Status LocatedError(absl::string_view file, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", message));
}

Instruction ClassifyKeyword(absl::string_view lower) {
  return LookupKeyword(lower, 0, lower.size());
}

absl::string_view InstructionName(Instruction instruction) {
  return kInstructionNames[static_cast<int>(instruction)].upper;
}

const std::vector<std::string>& KnownInstructions() {
  static const std::vector<std::string>* kNames = [] {
    auto* names = new std::vector<std::string>;
    for (size_t i = 1; i < std::size(kInstructionNames); ++i) {
      names->emplace_back(kInstructionNames[i].lower);
    }
    return names;
  }();
  return *kNames;
}

std::string DumpNode(const Node& node) {
  std::string s;
  DumpInto(node, &s);
  return s;
}

std::string Dump(const Ast& ast) {
  std::string out;
  for (const Node& child : ast.children) {
    out += "(";
    DumpInto(child, &out);
    out += ")\n";
  }
  return out;
}

namespace {

// Reads `content` one physical line at a time, each with its '\n' (the last may lack one).
class PhysicalLines {
 public:
  explicit PhysicalLines(absl::string_view content) : content_(content) {}
  bool Next(absl::string_view* line) {
    if (pos_ >= content_.size()) return false;
    const void* nl = std::memchr(content_.data() + pos_, '\n', content_.size() - pos_);
    size_t end = nl == nullptr ? content_.size()
                               : static_cast<const char*>(nl) - content_.data() + 1;
    *line = content_.substr(pos_, end - pos_);
    pos_ = end;
    return true;
  }
  // Where the next line starts.
  const char* rest() const { return content_.data() + pos_; }

 private:
  absl::string_view content_;
  size_t pos_ = 0;
};

// From this size on, a source's AST and typed commands (~8 times its size: ~130 fresh pages or
// more) are built in a PageRegion: one huge page costs less than faulting in that many small pages.
// Measured in fresh processes (parse+load, median of 21): 63 KB of source 557 us in a region
// against 614 us on the heap, 37 KB 453 against 395 us; the 128 KB benchmark ~830 against ~1,110.
constexpr size_t kRegionFromSource = 64 << 10;

std::shared_ptr<base::PageRegion> RegionFor(size_t source_size) {
  if (source_size < kRegionFromSource) return nullptr;
  // Room for the AST and the commands with some to spare (what is never touched costs only
  // address space; what does not fit goes to the heap).
  return base::PageRegion::Map(source_size * 12);
}

}  // namespace

// Everything a Parser keeps between instructions.
struct Parser::State {
  // Everything the nodes view lives in one arena: the source (so the lines below are views into
  // it), then what the parser makes, about half the source's size.
  State(std::string&& source, const ParseOptions& options)
      : file(options.file_name),
        region(RegionFor(source.size())),
        storage(std::make_shared<base::Arena>(source.size() / 2 + 4096, region)),
        content(storage->Adopt(std::move(source))),
        lines(content) {}

  absl::Status LineTooLong(int line) const {
    return LocatedError(
        file, line,
        absl::StrCat("dockerfile line greater than max allowed size of ", kMaxLine - 1));
  }
  absl::Status ReadHeredocs(absl::string_view line, int start_line, Node* node);
  // Reads the next instruction into `node`; false at the end of the file or on an error (Fail).
  bool Next(Node* node);
  // Keeps what stopped Next (Finish returns it); false.
  bool Fail(absl::Status status) {
    error = std::move(status);
    return false;
  }

  const std::string file;
  const std::shared_ptr<base::PageRegion> region;  // null for a small source
  std::shared_ptr<base::Arena> storage;
  const absl::string_view content;  // the source, in the arena
  PhysicalLines lines;
  absl::Status error;  // what stopped Next, if anything
  int current_line = 0;
  int start_line = -1;  // of the first instruction
  int end_line = 0;     // of the last one
  Directives d;
  std::vector<std::string> warnings;
  // Scratch space reused from instruction to instruction.
  Scratch scratch;
  std::vector<absl::string_view> comments;
  std::vector<Heredoc> heredocs;
  std::string joined;  // for lines with continuations
};

// The contents of the heredocs `line` starts: the physical lines after it, up to each delimiter.
absl::Status Parser::State::ReadHeredocs(absl::string_view line, int start_line, Node* node) {
  heredocs.clear();
  absl::Status hs = HeredocsFromLine(line, storage.get(), &heredocs);
  if (!hs.ok()) return LocatedError(file, start_line, hs.message());
  for (Heredoc& h : heredocs) {
    bool terminated = false;
    // The content is the physical lines up to the delimiter: one view of the source.
    const char* content_begin = lines.rest();
    const char* content_end = content_begin;
    absl::string_view hraw;
    while (lines.Next(&hraw)) {
      if (hraw.size() > kMaxLine) return LineTooLong(current_line + 1);
      ++current_line;
      absl::string_view candidate = TrimNewline(hraw);
      if (h.chomp) {
        while (!candidate.empty() && candidate.front() == '\t') candidate.remove_prefix(1);
      }
      if (candidate == h.name) {
        terminated = true;
        break;
      }
      content_end = hraw.data() + hraw.size();
    }
    if (!terminated) {
      return LocatedError(file, start_line, absl::StrCat("unterminated heredoc `", h.name, "`"));
    }
    h.content = absl::string_view(content_begin, content_end - content_begin);
  }
  node->heredocs = storage->CopyArray(absl::Span<const Heredoc>(heredocs));
  return absl::OkStatus();
}

// True for a physical line that is a whole instruction as written, as most are: directives are
// done, it starts with an ASCII letter (no indentation, comment, BOM or blank line) and it ends in
// '\n' after a byte that is neither white space, '\r' nor the escape character (so there is no
// continuation and nothing to trim). The general path in State::Next makes such a line, without
// its '\n', the logical line too.
inline bool IsWholeInstruction(absl::string_view raw, const Directives& d) {
  const size_t n = raw.size();
  if (!d.done || n < 2 || raw[n - 1] != '\n') return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(raw[0]))) return false;
  const unsigned char last = static_cast<unsigned char>(raw[n - 2]);
  return last > ' ' && static_cast<char32_t>(last) != d.escape;
}

bool Parser::State::Next(Node* node) {
  base::Arena* arena = storage.get();
  absl::string_view raw;
  while (lines.Next(&raw)) {
    if (raw.size() > kMaxLine) return Fail(LineTooLong(current_line + 1));
    absl::string_view line;  // the logical line
    int first_line;
    bool filled = false;  // by NodeFromSimpleLine, which then set `ns`
    absl::Status ns;
    if (IsWholeInstruction(raw, d)) {
      line = raw.substr(0, raw.size() - 1);
      first_line = ++current_line;
      filled = NodeFromSimpleLine(line, d.escape, arena, &scratch, node, &ns);
    } else {
      if (current_line == 0 && absl::StartsWith(raw, "\xEF\xBB\xBF")) raw.remove_prefix(3);
      absl::string_view token = shell::TrimLeftSpace(TrimNewline(raw));
      if (IsCommentToken(token)) comments.push_back(shell::TrimSpace(raw.substr(1)));
      absl::Status ds = PossibleDirective(&d, token, current_line + 1);
      if (!ds.ok()) return Fail(LocatedError(file, current_line + 1, ds.message()));
      absl::string_view first = (!token.empty() && token[0] == '#') ? absl::string_view() : token;
      first_line = ++current_line;
      bool eol = TrimContinuation(&first, d.escape);
      if (eol && first.empty()) continue;

      // A view of the physical line unless continuations are joined (then a copy in the arena).
      line = first;
      bool has_empty_continuation = false;
      if (!eol) {
        joined.assign(first.data(), first.size());
        absl::string_view craw;
        while (!eol && lines.Next(&craw)) {
          if (craw.size() > kMaxLine) return Fail(LineTooLong(current_line + 1));
          absl::string_view ctoken = TrimNewline(craw);
          ds = PossibleDirective(&d, ctoken, current_line + 1);
          if (!ds.ok()) return Fail(LocatedError(file, current_line + 1, ds.message()));
          ++current_line;
          // One trim for both tests: a comment line is skipped, and any other line that starts
          // with '#' is a comment, so the line is what remains as it is.
          const absl::string_view lead = TrimIndentation(ctoken);
          if (IsCommentToken(lead)) continue;
          if (lead.empty()) {
            has_empty_continuation = true;
            continue;
          }
          absl::string_view cprocessed = ctoken;
          eol = TrimContinuation(&cprocessed, d.escape);
          joined.append(cprocessed.data(), cprocessed.size());
        }
        line = arena->Copy(joined);
      }
      if (has_empty_continuation) {
        warnings.push_back(
            absl::StrCat(file, ":", first_line, ": empty continuation line found in: ", line));
      }
    }

    // NodeFromLine sets every field of `node` but heredocs (below), lines and comments. (Not
    // `*node = Node()`: building a temporary and copying it stalls on store forwarding, ~15% of
    // parsing.)
    node->heredocs = {};
    if (!filled) ns = NodeFromLine(line, d, 0, arena, &scratch, node);
    if (!ns.ok()) return Fail(LocatedError(file, first_line, ns.message()));
    // Few lines have a "<<": the test is inline, the reading out of line.
    if (CanContainHeredoc(*node) && HasDoubleLess(line)) {
      absl::Status hs = ReadHeredocs(line, first_line, node);
      if (!hs.ok()) return Fail(std::move(hs));
    }
    node->start_line = first_line;
    node->end_line = current_line;
    node->comments = arena->CopyArray(Words(comments));
    comments.clear();
    if (start_line < 0) start_line = first_line;
    end_line = current_line;
    return true;
  }
  return false;
}

Parser::Parser(absl::string_view source, const ParseOptions& options)
    : state_(std::make_unique<State>(std::string(source), options)) {}

Parser::Parser(std::string&& source, const ParseOptions& options)
    : state_(std::make_unique<State>(std::move(source), options)) {}

Parser::~Parser() = default;

bool Parser::Next(Node* node) { return state_->error.ok() && state_->Next(node); }

char32_t Parser::escape() const { return state_->d.escape; }

const std::string& Parser::file_name() const { return state_->file; }

size_t Parser::source_size() const { return state_->content.size(); }

const std::shared_ptr<base::PageRegion>& Parser::region() const { return state_->region; }

absl::StatusOr<Ast> Parser::Finish() {
  State& st = *state_;
  if (!st.error.ok()) return st.error;
  if (st.start_line < 0) {
    return LocatedError(st.file, std::max(st.current_line, 1), "file with no instructions");
  }
  Ast ast;
  ast.file_name = st.file;
  ast.start_line = st.start_line;
  ast.end_line = st.end_line;
  ast.escape = st.d.escape;
  ast.directives = std::move(st.d.parsed);
  ast.warnings = std::move(st.warnings);
  ast.storage = std::move(st.storage);
  return ast;
}

absl::StatusOr<Ast> Parse(absl::string_view source, const ParseOptions& options) {
  Parser parser(source, options);
  std::vector<Node> children;
  // An instruction takes at least four bytes ("RUN\n" or a shorter unknown keyword on its own
  // line): room for one per four bytes is never outgrown in practice, and costs only address
  // space (pages are touched as nodes are written), where outgrowing the vector would touch the
  // old and the new one.
  children.reserve(source.size() / 4 + 8);
  // One node is read into, then copied in: reading into an element appended empty would cost its
  // value-initialisation, a `rep stos` slower than the copy.
  Node node;
  while (parser.Next(&node)) children.push_back(node);
  ASSIGN_OR_RETURN(Ast ast, parser.Finish());
  ast.children = std::move(children);
  return ast;
}

}  // namespace builder::dockerfile
