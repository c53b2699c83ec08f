#include "builder/shell/lex.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder::shell {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MapEnv TestEnv() {
  MapEnv env;
  env.Set("path", "a/b/c");
  env.Set("file", "file.tar.gz");
  env.Set("empty", "");
  env.Set("abc", "abcabc");
  return env;
}

std::string Expand(absl::string_view word) {
  absl::StatusOr<std::string> r = Lexer().ProcessWord(word, TestEnv());
  return r.ok() ? *r : "ERROR: " + r.status().ToString();
}

TEST(LexTest, PrefixAndSuffixRemoval) {
  EXPECT_EQ(Expand("${path#*/}"), "b/c");
  EXPECT_EQ(Expand("${path##*/}"), "c");
  EXPECT_EQ(Expand("${path%/*}"), "a/b");
  EXPECT_EQ(Expand("${path%%/*}"), "a");
  EXPECT_EQ(Expand("${file%.*}"), "file.tar");
  EXPECT_EQ(Expand("${file%%.*}"), "file");
  EXPECT_EQ(Expand("${file#*.}"), "tar.gz");
  EXPECT_EQ(Expand("${file##*.}"), "gz");
  EXPECT_EQ(Expand("${file#nomatch}"), "file.tar.gz");
  EXPECT_EQ(Expand("${file#}"), "file.tar.gz");
  EXPECT_EQ(Expand("${abc#?}"), "bcabc");
  EXPECT_EQ(Expand("${abc%?}"), "abcab");
  EXPECT_EQ(Expand("${unset#x}"), "");
}

TEST(LexTest, PatternEscapes) {
  MapEnv env;
  env.Set("v", "a*b*c");
  Lexer lexer;
  EXPECT_EQ(*lexer.ProcessWord("${v#*\\*}", env), "b*c");
  EXPECT_EQ(*lexer.ProcessWord("${v%\\**}", env), "a*b");
  EXPECT_THAT(lexer.ProcessWord("${v#\\x}", env),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid escape")));
}

TEST(LexTest, Replacement) {
  EXPECT_EQ(Expand("${path/b/X}"), "a/X/c");
  EXPECT_EQ(Expand("${path//\\//_}"), "a_b_c");
  EXPECT_EQ(Expand("${path/\\//_}"), "a_b/c");
  EXPECT_EQ(Expand("${abc//b/}"), "acac");
  EXPECT_EQ(Expand("${abc/b*/X}"), "aX");
  EXPECT_EQ(Expand("${abc/?/X}"), "Xbcabc");
  EXPECT_EQ(Expand("${abc//x/y}"), "abcabc");
  EXPECT_THAT(Lexer().ProcessWord("${abc/b", TestEnv()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing '/'")));
}

TEST(LexTest, DefaultsAndAlternatives) {
  EXPECT_EQ(Expand("${unset:-def}"), "def");
  EXPECT_EQ(Expand("${empty:-def}"), "def");
  EXPECT_EQ(Expand("${empty-def}"), "");
  EXPECT_EQ(Expand("${unset-def}"), "def");
  EXPECT_EQ(Expand("${path:+alt}"), "alt");
  EXPECT_EQ(Expand("${empty:+alt}"), "");
  EXPECT_EQ(Expand("${empty+alt}"), "alt");
  EXPECT_EQ(Expand("${unset+alt}"), "");
  EXPECT_EQ(Expand("${unset:-$path}"), "a/b/c");
  EXPECT_THAT(Lexer().ProcessWord("${unset:?need it}", TestEnv()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unset: need it")));
  EXPECT_THAT(Lexer().ProcessWord("${empty:?}", TestEnv()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not allowed to be empty")));
  EXPECT_EQ(Expand("${empty?}"), "");
  EXPECT_THAT(Lexer().ProcessWord("${path:x}", TestEnv()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported modifier")));
}

TEST(LexTest, ReportsMatchedAndUnmatchedNames) {
  ASSERT_OK_AND_ASSIGN(ProcessResult r,
                       Lexer().Process("$path ${unset:-x} ${file%.gz} $$", TestEnv()));
  EXPECT_THAT(r.matched, ElementsAre("file", "path"));
  EXPECT_THAT(r.unmatched, ElementsAre("$", "unset"));
}

TEST(LexTest, BacktickEscape) {
  LexOptions opts;
  opts.escape = '`';
  Lexer lexer(opts);
  MapEnv env;
  env.Set("x", "1");
  EXPECT_EQ(*lexer.ProcessWord("C:\\dir`$x", env), "C:\\dir$x");
  EXPECT_EQ(*lexer.ProcessWord("\"a`\"b\"", env), "a\"b");
}

TEST(LexTest, SkipUnsetEnvKeepsReferences) {
  LexOptions opts;
  opts.skip_unset_env = true;
  Lexer lexer(opts);
  MapEnv env;
  EXPECT_EQ(*lexer.ProcessWord("$a ${b} ${c:-d}", env), "$a ${b} ${c:-d}");
}

TEST(LexTest, RawQuotesAndEscapes) {
  LexOptions opts;
  opts.raw_quotes = true;
  opts.raw_escapes = true;
  Lexer lexer(opts);
  MapEnv env;
  EXPECT_THAT(*lexer.ProcessWords("<<'EOF' a\\ b", env), ElementsAre("<<'EOF'", "a\\ b"));
}

TEST(LexTest, WordSplitting) {
  MapEnv env;
  env.Set("v", " x  y ");
  Lexer lexer;
  EXPECT_THAT(*lexer.ProcessWords("a$v\"b c\"", env), ElementsAre("a", "x", "y", "b c"));
}

}  // namespace
}  // namespace builder::shell
