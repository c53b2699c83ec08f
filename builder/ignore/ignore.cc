#include "builder/ignore/ignore.h"

#include <dirent.h>
#include <errno.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "builder/shell/unicode.h"

namespace builder::ignore {
namespace {

using Token = PatternMatcher::Token;

absl::StatusOr<std::vector<Token>> Compile(const std::string& pattern) {
  std::vector<Token> out;
  std::vector<char32_t> r = shell::DecodeRunes(pattern);
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("syntax error in pattern ", shell::GoQuote(pattern)));
  };
  for (size_t i = 0; i < r.size(); ++i) {
    char32_t c = r[i];
    if (c == '*') {
      if (i + 1 < r.size() && r[i + 1] == '*') {
        ++i;
        if (i + 1 < r.size() && r[i + 1] == '/') ++i;
        if (i + 1 >= r.size()) {
          out.push_back({Token::kDoubleStarEnd});
        } else {
          out.push_back({Token::kDoubleStarSlash});
        }
      } else {
        out.push_back({Token::kStar});
      }
    } else if (c == '?') {
      out.push_back({Token::kAny});
    } else if (c == '\\') {
      if (i + 1 < r.size()) {
        out.push_back({Token::kLiteral, r[++i]});
      } else {
        out.push_back({Token::kLiteral, '\\'});
      }
    } else if (c == '[') {
      Token t{Token::kClass};
      size_t j = i + 1;
      if (j < r.size() && r[j] == '^') {
        t.negated = true;
        ++j;
      }
      bool first = true;
      bool closed = false;
      while (j < r.size()) {
        char32_t lo = r[j];
        if (lo == ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (lo == '\\') {
          if (++j >= r.size()) return bad();
          lo = r[j];
        }
        char32_t hi = lo;
        if (j + 2 < r.size() && r[j + 1] == '-' && r[j + 2] != ']') {
          j += 2;
          hi = r[j];
          if (hi == '\\') {
            if (++j >= r.size()) return bad();
            hi = r[j];
          }
          if (hi < lo) return bad();
        }
        t.ranges.push_back({lo, hi});
        ++j;
      }
      if (!closed) return bad();
      i = j;
      out.push_back(std::move(t));
    } else if (c == ']') {
      return bad();  // an unmatched ']' is a regexp error in patternmatcher
    } else {
      out.push_back({Token::kLiteral, c});
    }
  }
  return out;
}

bool ClassMatches(const Token& t, char32_t c) {
  bool in = false;
  for (const auto& [lo, hi] : t.ranges) {
    if (c >= lo && c <= hi) in = true;
  }
  return in != t.negated;
}

// Anchored full match with memoised backtracking (O(|tokens| * |path|)).
bool MatchTokens(const std::vector<Token>& toks, const std::vector<char32_t>& s) {
  const size_t n = s.size();
  std::vector<char> failed((toks.size() + 1) * (n + 1), 0);
  std::function<bool(size_t, size_t)> rec = [&](size_t ti, size_t si) -> bool {
    if (ti == toks.size()) return si == n;
    char& memo = failed[ti * (n + 1) + si];
    if (memo) return false;
    const Token& t = toks[ti];
    bool ok = false;
    switch (t.kind) {
      case Token::kLiteral:
        ok = si < n && s[si] == t.rune && rec(ti + 1, si + 1);
        break;
      case Token::kAny:
        ok = si < n && s[si] != '/' && rec(ti + 1, si + 1);
        break;
      case Token::kClass:
        ok = si < n && s[si] != '\n' && ClassMatches(t, s[si]) && rec(ti + 1, si + 1);
        break;
      case Token::kStar:
        for (size_t e = si;; ++e) {
          if (rec(ti + 1, e)) {
            ok = true;
            break;
          }
          if (e >= n || s[e] == '/') break;
        }
        break;
      case Token::kDoubleStarSlash:  // (.*/)?
        if (rec(ti + 1, si)) {
          ok = true;
          break;
        }
        for (size_t e = si; e < n && s[e] != '\n'; ++e) {
          if (s[e] == '/' && rec(ti + 1, e + 1)) {
            ok = true;
            break;
          }
        }
        break;
      case Token::kDoubleStarEnd:  // .*
        ok = true;
        for (size_t e = si; e < n; ++e) {
          if (s[e] == '\n') {
            ok = false;
            break;
          }
        }
        ok = ok && rec(ti + 1, n);
        break;
    }
    if (!ok) memo = 1;
    return ok;
  };
  return rec(0, 0);
}

bool PatternMatches(const PatternMatcher::Pattern& p, absl::string_view path) {
  // patternmatcher's fast paths: a leading `**` pattern without other wildcards is a suffix
  // match, which also matches `foo` for `**/foo`.
  const auto& t = p.tokens;
  if (!t.empty() && t[0].kind == Token::kDoubleStarEnd) return true;  // "**"
  if (!t.empty() && t[0].kind == Token::kDoubleStarSlash) {
    bool plain = std::all_of(t.begin() + 1, t.end(),
                             [](const Token& k) { return k.kind == Token::kLiteral; });
    if (plain) {
      std::string suffix = p.text.substr(2);
      if (absl::EndsWith(path, suffix)) return true;
      return !suffix.empty() && suffix[0] == '/' && path == absl::string_view(suffix).substr(1);
    }
  }
  return MatchTokens(t, shell::DecodeRunes(path));
}

}  // namespace

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  for (absl::string_view seg : absl::StrSplit(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
      continue;
    }
    parts.emplace_back(seg);
  }
  std::string out = (rooted ? "/" : "") + absl::StrJoin(parts, "/");
  return out.empty() ? "." : out;
}

std::vector<std::string> ReadPatterns(absl::string_view text) {
  std::vector<std::string> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line_no++ == 0 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    if (absl::StartsWith(line, "#")) continue;
    std::string pattern(shell::TrimSpace(line));
    if (pattern.empty()) continue;
    bool invert = pattern[0] == '!';
    if (invert) pattern = std::string(shell::TrimSpace(absl::string_view(pattern).substr(1)));
    if (!pattern.empty()) {
      pattern = CleanPath(pattern);
      if (pattern.size() > 1 && pattern[0] == '/') pattern = pattern.substr(1);
    }
    out.push_back(invert ? "!" + pattern : pattern);
  }
  return out;
}

absl::StatusOr<PatternMatcher> PatternMatcher::Create(const std::vector<std::string>& patterns) {
  PatternMatcher pm;
  for (const std::string& raw : patterns) {
    std::string p(shell::TrimSpace(raw));
    if (p.empty()) continue;
    Pattern pat;
    if (p[0] == '!') {
      if (p.size() == 1) return absl::InvalidArgumentError("illegal exclusion pattern: \"!\"");
      pat.exclusion = true;
      pm.has_exceptions_ = true;
      p = p.substr(1);
    }
    pat.text = CleanPath(p);
    absl::StatusOr<std::vector<Token>> toks = Compile(pat.text);
    if (!toks.ok()) return toks.status();
    pat.tokens = std::move(*toks);
    pm.texts_.push_back(raw);
    pm.patterns_.push_back(std::move(pat));
  }
  return pm;
}

bool PatternMatcher::Excluded(absl::string_view path) const {
  std::string file = CleanPath(path);
  size_t slash = file.rfind('/');
  std::string parent = slash == std::string::npos ? "." : file.substr(0, slash);
  std::vector<absl::string_view> parent_dirs = absl::StrSplit(parent, '/');
  bool matched = false;
  for (const Pattern& p : patterns_) {
    if (p.exclusion != matched) continue;
    bool match = PatternMatches(p, file);
    if (!match && parent != ".") {
      std::string prefix;
      for (size_t i = 0; i < parent_dirs.size() && !match; ++i) {
        if (i) prefix += "/";
        prefix.append(parent_dirs[i].data(), parent_dirs[i].size());
        match = PatternMatches(p, prefix);
      }
    }
    if (match) matched = !p.exclusion;
  }
  return matched;
}

bool PatternMatcher::MayReincludeUnder(absl::string_view dir) const {
  std::string dir_slash = absl::StrCat(dir, "/");
  for (const Pattern& p : patterns_) {
    if (!p.exclusion) continue;
    if (absl::StartsWith(p.text + "/", dir_slash)) return true;
    // A wildcard before the directory's depth could match inside it: descend to be safe.
    for (const Token& t : p.tokens) {
      if (t.kind != Token::kLiteral) return true;
    }
  }
  return false;
}

absl::StatusOr<BuildFiles> LoadBuildFiles(const std::string& context_dir,
                                          const std::string& dockerfile_path) {
  BuildFiles bf;
  bf.dockerfile_path = dockerfile_path.empty() ? context_dir + "/Dockerfile" : dockerfile_path;
  auto read = [](const std::string& path, std::string* out) -> absl::Status {
    std::ifstream in(path, std::ios::binary);
    if (!in) return base::ErrnoError(errno, absl::StrCat("reading `", path, "`"));
    std::ostringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    return absl::OkStatus();
  };
  struct stat st;
  if (stat(bf.dockerfile_path.c_str(), &st) != 0) {
    return base::ErrnoError(errno, absl::StrCat("reading Dockerfile `", bf.dockerfile_path, "`"));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Dockerfile `", bf.dockerfile_path, "` is a directory, want a file"));
  }
  RETURN_IF_ERROR(read(bf.dockerfile_path, &bf.dockerfile));
  for (const std::string& candidate :
       {bf.dockerfile_path + ".dockerignore", context_dir + "/.dockerignore"}) {
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      std::string text;
      RETURN_IF_ERROR(read(candidate, &text));
      bf.ignore_file = candidate;
      bf.patterns = ReadPatterns(text);
      break;
    }
  }
  return bf;
}

namespace {

absl::Status WalkDir(const std::string& root, const std::string& rel, const PatternMatcher& pm,
                     const std::function<absl::Status(const WalkEntry&)>& fn) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return base::ErrnoError(errno, absl::StrCat("opening directory `", dir, "`"));
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int read_errno = errno;
  closedir(d);
  if (read_errno != 0) {
    return base::ErrnoError(read_errno, absl::StrCat("reading directory `", dir, "`"));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    WalkEntry entry;
    entry.path = rel.empty() ? name : rel + "/" + name;
    std::string full = root + "/" + entry.path;
    if (lstat(full.c_str(), &entry.info) != 0) {
      return base::ErrnoError(errno, absl::StrCat("lstat `", full, "`"));
    }
    bool excluded = pm.Excluded(entry.path);
    bool is_dir = S_ISDIR(entry.info.st_mode);
    if (excluded) {
      if (is_dir && pm.HasExceptions() && pm.MayReincludeUnder(entry.path)) {
        RETURN_IF_ERROR(WalkDir(root, entry.path, pm, fn));
      }
      continue;
    }
    RETURN_IF_ERROR(fn(entry));
    if (is_dir) RETURN_IF_ERROR(WalkDir(root, entry.path, pm, fn));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WalkContext(const std::string& context_dir, const PatternMatcher& matcher,
                         const std::function<absl::Status(const WalkEntry&)>& fn) {
  return WalkDir(context_dir, "", matcher, fn);
}

}  // namespace builder::ignore
