#include "builder/instructions/expand.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "builder/instructions/canonical_text.h"
#include "gtest/gtest.h"

namespace builder::instructions {
namespace {

// What Expand gives for `word` (value or error) and the build args it recorded, as text.
std::string Outcome(Ctx& ctx, const Scope& scope, absl::string_view word) {
  absl::StatusOr<absl::string_view> r = Expand(ctx, scope, word);
  std::string out = r.ok() ? absl::StrCat("=", *r) : absl::StrCat("!", r.status().ToString());
  for (const auto& [k, v] : ctx.used.Finish(ctx.arena)) absl::StrAppend(&out, " ", k, "=", v);
  return out;
}

// The same through the lexer, as Expand does for words that are not a lone variable.
std::string LexerOutcome(Ctx& ctx, const Scope& scope, absl::string_view word) {
  absl::StatusOr<shell::ProcessResult> r = ctx.lexer.ProcessUnsplit(word, scope);
  std::string out = r.ok() ? absl::StrCat("=", r->word) : absl::StrCat("!", r.status().ToString());
  if (r.ok()) ctx.used.Note(scope, r->matched);
  for (const auto& [k, v] : ctx.used.Finish(ctx.arena)) absl::StrAppend(&out, " ", k, "=", v);
  return out;
}

// A Ctx for `escape`, with the options, file name and arena it refers to.
struct TestCtx {
  explicit TestCtx(char32_t escape)
      : ctx{options, file, shell::Lexer(shell::LexOptions{escape}), &arena} {}
  LoadOptions options;
  const std::string file = "Dockerfile";
  base::Arena arena;
  Ctx ctx;
};

// Expand and the lexer agree on every word: value or error, and the args recorded.
void ExpectAsTheLexer(Ctx& ctx, const Scope& scope, const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    EXPECT_EQ(Outcome(ctx, scope, w), LexerOutcome(ctx, scope, w)) << w;
  }
}

// `$NAME` and `${NAME}` skip the lexer: on random words over an alphabet of names, braces and
// modifiers, Expand must agree with the lexer on the value, the error and the args recorded.
TEST(ExpandTest, LoneVariablesAsTheLexer) {
  TestCtx t('\\');
  Ctx& ctx = t.ctx;
  Scope scope;
  scope.SetEnv("A", "env-a");
  scope.SetArg("A", "shadowed");  // ENV wins: not a build arg the word depends on
  scope.SetArg("b", "arg-b");
  scope.SetArg("x", std::nullopt);  // declared, no value
  scope.SetArg("_1", "u");
  scope.SetEnv("E", "");
  const std::vector<std::string> must = {"$A",    "${A}",  "$b",   "${b}", "$x",  "${x}",
                                         "$_1",   "${_1}", "$E",   "$nope", "${nope}", "$1",
                                         "${1}",  "$",     "${}",  "${A",  "$A}", "${A:-x}",
                                         "$A$b",  "${b}x", "x$b",  "$-",   "${_}", "$_"};
  std::mt19937 rng(7);
  const std::string alphabet = "${}Ab_1x-:E";
  std::vector<std::string> words = must;
  for (int i = 0; i < 20000; ++i) {
    std::string w = "$";
    for (int n = rng() % 7; n > 0; --n) w.push_back(alphabet[rng() % alphabet.size()]);
    words.push_back(w);
  }
  ExpectAsTheLexer(ctx, scope, words);
  EXPECT_EQ(Outcome(ctx, scope, "${b}"), "=arg-b b=arg-b");
  EXPECT_EQ(Outcome(ctx, scope, "$A"), "=env-a");
  EXPECT_EQ(Outcome(ctx, scope, "$x"), "=");
}

// Words whose only special characters are quotes skip the lexer too: on random words over quotes,
// both escape characters, `$`, spaces and a non-ASCII byte, with either escape directive, Expand
// must agree with the lexer.
TEST(ExpandTest, QuotedWordsAsTheLexer) {
  for (char32_t escape : {U'\\', U'`'}) {
    TestCtx t(escape);
    Ctx& ctx = t.ctx;
    Scope scope;
    scope.SetArg("a", "arg a");
    const std::vector<std::string> must = {
        "\"\"",    "''",     "\"a b\"",  "'a b'",    "a\"b c\"d",    "\"a\"'b'", "\"'\"",
        "'\"'",    "\"a",    "a'",       "\"a\"\"",  "'a'a'",        "\"\\\"\"", "'\\'",
        "\"`\"\"", "'`'",    "\"$a\"",   "'$a'",     "\"\xc3\xa9\"", "\"\xff\"", "\" \"",
        "\"\t\"",  "x\"\"y", "\"\"\"\"", "\"a\"b\"", "'a\"b'"};
    std::mt19937 rng(11);
    const std::string alphabet = "\"'\\`$a \xc3";
    std::vector<std::string> words = must;
    for (int i = 0; i < 20000; ++i) {
      std::string w;
      for (int n = 1 + rng() % 7; n > 0; --n) w.push_back(alphabet[rng() % alphabet.size()]);
      words.push_back(w);
    }
    ExpectAsTheLexer(ctx, scope, words);
    EXPECT_EQ(Outcome(ctx, scope, "\"stage 1\""), "=stage 1");
    EXPECT_EQ(Outcome(ctx, scope, "'a'\"b\"c"), "=abc");
  }
}

// Expand decides itself that a word has nothing to expand: on random words of 0-40 bytes over
// every byte the lexer treats specially or the canonical text quotes (and their neighbours in
// value), with either escape directive, Expand must return the word itself exactly when the lexer
// calls it plain, and agree with the lexer on every other word; the Expand that also answers
// NeedsQuotes must agree with both.
TEST(ExpandTest, PlainWordsAsTheLexer) {
  for (char32_t escape : {U'\\', U'`'}) {
    TestCtx t(escape);
    Ctx& ctx = t.ctx;
    Scope scope;
    scope.SetEnv("a", "env a");
    std::vector<std::string> words = {
        "", "a", "/usr/local/bin:/usr/bin", "/usr/bin$", "value-0\xc3\xa9", "a\\b", "a`b"};
    std::mt19937 rng(12);
    const std::string alphabet = "\"#$%&'()!\\`[]_a0/: \t\n\x7f\x80\xc3\xff\r\x0b";
    for (int i = 0; i < 20000; ++i) {
      std::string w;
      // Mostly plain bytes, so that the special one lands anywhere in a long word.
      for (int n = rng() % 41; n > 0; --n) {
        w.push_back(rng() % 8 == 0 ? alphabet[rng() % alphabet.size()] : 'a' + rng() % 26);
      }
      words.push_back(w);
    }
    for (const std::string& w : words) {
      absl::StatusOr<absl::string_view> r = Expand(ctx, scope, w);
      const bool same_view = r.ok() && r->data() == w.data() && r->size() == w.size();
      EXPECT_EQ(same_view, ctx.lexer.IsPlain(w)) << w;
      ctx.used.Finish(ctx.arena);
      EXPECT_EQ(Outcome(ctx, scope, w), LexerOutcome(ctx, scope, w)) << w;
      // With the quoting question: the same expansion, and NeedsQuotes of it.
      bool needs_quotes = false;
      absl::StatusOr<absl::string_view> q = Expand(ctx, scope, w, &needs_quotes);
      ctx.used.Finish(ctx.arena);
      EXPECT_EQ(q.status(), r.status()) << w;
      if (q.ok() && r.ok()) {
        EXPECT_EQ(*q, *r) << w;
        EXPECT_EQ(needs_quotes, NeedsQuotes(*q)) << w;
      }
    }
  }
}

// Text, the canonical text's buffer, holds what std::string would: random pieces of 0-300 bytes
// (past its first 256 bytes, so that it grows, more than once), single bytes, and assignments
// that start it over with its buffer kept.
TEST(TextTest, AsStdString) {
  std::mt19937 rng(7);
  Text text;
  std::string want;
  for (int i = 0; i < 2000; ++i) {
    const int op = rng() % 8;
    std::string piece(rng() % 4 == 0 ? rng() % 301 : rng() % 9, 'a' + i % 26);
    if (op == 0) {
      text = piece;
      want = piece;
    } else if (op == 1) {
      text.push_back(piece.empty() ? '=' : piece[0]);
      want.push_back(piece.empty() ? '=' : piece[0]);
    } else if (op == 2 && i % 50 == 0) {
      text.clear();
      want.clear();
    } else {
      text.append(piece.data(), piece.size());
      want += piece;
    }
    ASSERT_EQ(text.view(), want) << i;
    ASSERT_EQ(text.empty(), want.empty()) << i;
  }
}

}  // namespace
}  // namespace builder::instructions
