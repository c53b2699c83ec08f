// Shell-style word expansion for Dockerfiles, with BuildKit's semantics (its `shell.Lex`).
//
// A Lexer expands `$v`, `${v}`, `${v:-w}`, `${v-w}`, `${v:+w}`, `${v+w}`, `${v:?e}`, `${v?e}`,
// `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}` and `${v//p/r}`, removes quotes and processes
// the escape character (`\` or `` ` ``), and can split the result into words the way BuildKit does
// (whitespace that came from an unquoted expansion splits; quoted whitespace does not). It also
// reports which variable names were looked up and found (`matched`) or not (`unmatched`), which the
// graph uses to record the build args a step depends on.
//
// Lexer is immutable after construction and thread-safe; EnvGetter implementations must be safe to
// call from the thread that runs Process.
#ifndef SLIPWAY_BUILDER_SHELL_LEX_H_
#define SLIPWAY_BUILDER_SHELL_LEX_H_

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace builder::shell {

// Looks variables up by exact (case-sensitive) name.
class EnvGetter {
 public:
  virtual ~EnvGetter() = default;
  // Returns true and sets `*value` if `name` is set (possibly to "").
  virtual bool Get(absl::string_view name, std::string* value) const = 0;
};

// An EnvGetter over a map. Later Set calls replace earlier ones.
class MapEnv : public EnvGetter {
 public:
  MapEnv() = default;
  explicit MapEnv(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}
  // From "K=V" strings ("K" alone means K is set and empty), as Go's BuildEnvs.
  static MapEnv FromList(const std::vector<std::string>& list);
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  bool Get(absl::string_view name, std::string* value) const override;
  const std::map<std::string, std::string, std::less<>>& vars() const { return vars_; }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

struct LexOptions {
  // The Dockerfile's escape character: '\\' (default) or '`'.
  char32_t escape = '\\';
  // Keep quote characters in the output (used to detect quoted heredoc names).
  bool raw_quotes = false;
  // Keep escape characters in the output.
  bool raw_escapes = false;
  // Treat quotes as ordinary characters.
  bool skip_process_quotes = false;
  // Leave references to unset variables as written (`$x`, `${x:-y}`) instead of expanding to "".
  bool skip_unset_env = false;
};

struct ProcessResult {
  std::string word;                 // the single-word expansion (ProcessWord)
  std::vector<std::string> words;   // the expansion split into words (ProcessWords)
  std::set<std::string> matched;    // names looked up and found
  std::set<std::string> unmatched;  // names looked up and not set
};

// True if a byte leaves a word plain for a Lexer with escape character `escape`: ASCII (so no BOM
// or invalid UTF-8 to rewrite), not `$`, not a quote and not the escape character. Most
// Dockerfile words are all such bytes.
constexpr bool IsPlainByte(unsigned char b, char32_t escape) {
  return b < 0x80 && b != '$' && b != '\'' && b != '"' && b != escape;
}

class Lexer {
 public:
  explicit Lexer(LexOptions options = {}) : options_(options) {}

  // Expands `word`. InvalidArgument (e.g. "failed to process \"${}\": syntax error: bad
  // substitution") on malformed input or a `${v?msg}` that fires.
  absl::StatusOr<ProcessResult> Process(absl::string_view word, const EnvGetter& env) const;
  // Process without the word splitting: `words` stays empty (cheaper when only `word` and the
  // names looked up are wanted).
  absl::StatusOr<ProcessResult> ProcessUnsplit(absl::string_view word, const EnvGetter& env) const;
  absl::StatusOr<std::string> ProcessWord(absl::string_view word, const EnvGetter& env) const;
  absl::StatusOr<std::vector<std::string>> ProcessWords(absl::string_view word,
                                                        const EnvGetter& env) const;

  const LexOptions& options() const { return options_; }

  // True if expanding `word` cannot change it (every byte IsPlainByte): then Process returns the
  // word itself, split on white space, and looks nothing up.
  bool IsPlain(absl::string_view word) const;
  // What Process makes of a plain word's `words`: the word split on white space (views of it),
  // appended to `out`.
  static void SplitPlain(absl::string_view word, std::vector<absl::string_view>* out);

 private:
  absl::StatusOr<ProcessResult> Process(absl::string_view word, const EnvGetter& env,
                                        bool split) const;

  LexOptions options_;
};

}  // namespace builder::shell

#endif  // SLIPWAY_BUILDER_SHELL_LEX_H_
