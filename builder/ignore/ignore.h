// `.dockerignore` with Docker's exact semantics (moby/patternmatcher), and the build-context walker
// the builder and the cache-key code share.
//
// Patterns use Go filepath.Match syntax (`*`, `?`, `[a-z]`, `\` escapes) plus `**` (any number of
// path segments); `!` re-includes; later patterns win; patterns are cleaned like Go's filepath.Clean
// (so `./a`, `a/`, `/a` all mean `a`); lines starting with `#` are comments; a pattern that matches a
// directory excludes everything below it. The Dockerfile and its ignore file are always readable by
// the builder (LoadBuildFiles reads them directly), whatever the patterns say.
// `<Dockerfile>.dockerignore` next to the Dockerfile takes precedence over CONTEXT/.dockerignore.
//
// PatternMatcher is immutable after Create and thread-safe.
#ifndef SLIPWAY_BUILDER_IGNORE_IGNORE_H_
#define SLIPWAY_BUILDER_IGNORE_IGNORE_H_

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace builder::ignore {

// Go's filepath.Clean for '/'-separated paths.
std::string CleanPath(absl::string_view path);

// Parses a .dockerignore file's text into patterns (comments, blanks dropped; cleaned; leading '/'
// removed; '!' kept as a prefix).
std::vector<std::string> ReadPatterns(absl::string_view text);

class PatternMatcher {
 public:
  // InvalidArgument for a malformed pattern (e.g. `[a-`, or a lone `!`).
  static absl::StatusOr<PatternMatcher> Create(const std::vector<std::string>& patterns);

  // Whether `path` (relative to the context, '/'-separated) is excluded: it or one of its parent
  // directories matches, honouring `!` exceptions in order.
  bool Excluded(absl::string_view path) const;
  // Whether any `!` exception exists, and whether one could re-include something under `dir`.
  bool HasExceptions() const { return has_exceptions_; }
  bool MayReincludeUnder(absl::string_view dir) const;
  const std::vector<std::string>& patterns() const { return texts_; }

  struct Token;
  struct Pattern {
    std::string text;  // cleaned, without '!'
    bool exclusion = false;
    std::vector<Token> tokens;
  };

 private:
  std::vector<Pattern> patterns_;
  std::vector<std::string> texts_;
  bool has_exceptions_ = false;
};

struct PatternMatcher::Token {
  enum Kind { kLiteral, kAny, kStar, kDoubleStarSlash, kDoubleStarEnd, kClass } kind;
  char32_t rune = 0;
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;
};

// The Dockerfile and the ignore patterns that apply to a build.
struct BuildFiles {
  std::string dockerfile_path;
  std::string dockerfile;          // its bytes
  std::string ignore_file;         // the ignore file used ("" if none)
  std::vector<std::string> patterns;
};
// `dockerfile_path` "" means CONTEXT/Dockerfile. Errors name the path.
absl::StatusOr<BuildFiles> LoadBuildFiles(const std::string& context_dir,
                                          const std::string& dockerfile_path);

struct WalkEntry {
  std::string path;  // relative to the context, '/'-separated, e.g. "src/main.cc"
  struct stat info;  // lstat(2) of the entry
};

// Walks `context_dir` depth-first in sorted (byte) order, calling `fn` for every entry that is not
// excluded. Excluded directories are not entered unless an exception could re-include something
// inside them (then they are entered, but not reported themselves). Symlinks are reported, never
// followed. Stops at and returns the first error of `fn` or of the filesystem (naming the path).
absl::Status WalkContext(const std::string& context_dir, const PatternMatcher& matcher,
                         const std::function<absl::Status(const WalkEntry&)>& fn);

}  // namespace builder::ignore

#endif  // SLIPWAY_BUILDER_IGNORE_IGNORE_H_
