#include "builder/dockerfile/parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder::dockerfile {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string DumpOf(absl::string_view text) {
  absl::StatusOr<Ast> ast = Parse(text);
  return ast.ok() ? Dump(*ast) : "ERROR: " + std::string(ast.status().message());
}

TEST(ParserTest, HeredocBasics) {
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("FROM busybox\nRUN <<EOF\necho hi\necho there\nEOF\n"
                                      "RUN echo after\n"));
  ASSERT_EQ(ast.children.size(), 3u);
  const Node& run = ast.children[1];
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "echo hi\necho there\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_FALSE(run.heredocs[0].chomp);
  EXPECT_EQ(run.start_line, 2);
  EXPECT_EQ(run.end_line, 5);
  EXPECT_EQ(ast.children[2].start_line, 6);
  EXPECT_THAT(run.args, ElementsAre("<<EOF"));
}

TEST(ParserTest, HeredocQuotedChompFdAndSeveral) {
  ASSERT_OK_AND_ASSIGN(
      Ast ast, Parse("FROM x\nCOPY <<'A' 3<<-\"B\" <<C /dst/\n$x\nA\n\tb\n\tB\nc\r\nC\r\n"));
  const Node& copy = ast.children[1];
  ASSERT_EQ(copy.heredocs.size(), 3u);
  EXPECT_EQ(copy.heredocs[0].name, "A");
  EXPECT_FALSE(copy.heredocs[0].expand);
  EXPECT_EQ(copy.heredocs[0].content, "$x\n");
  EXPECT_EQ(copy.heredocs[1].name, "B");
  EXPECT_TRUE(copy.heredocs[1].chomp);
  EXPECT_FALSE(copy.heredocs[1].expand);
  EXPECT_EQ(copy.heredocs[1].file_descriptor, 3u);
  EXPECT_EQ(copy.heredocs[1].content, "\tb\n");
  EXPECT_EQ(copy.heredocs[2].name, "C");
  EXPECT_TRUE(copy.heredocs[2].expand);
  EXPECT_EQ(copy.heredocs[2].content, "c\r\n");
}

TEST(ParserTest, HeredocNotInJsonFormOrOtherInstructions) {
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("FROM x\nRUN [\"echo\", \"<<EOF\"]\nCMD <<EOF\n"));
  EXPECT_TRUE(ast.children[1].heredocs.empty());
  EXPECT_TRUE(ast.children[2].heredocs.empty());
  EXPECT_EQ(ast.children.size(), 3u);
}

TEST(ParserTest, HeredocInOnbuild) {
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("FROM x\nONBUILD RUN <<EOF\nhi\nEOF\n"));
  ASSERT_EQ(ast.children.size(), 2u);
  ASSERT_EQ(ast.children[1].heredocs.size(), 1u);
  EXPECT_EQ(ast.children[1].heredocs[0].content, "hi\n");
}

TEST(ParserTest, UnterminatedHeredoc) {
  EXPECT_THAT(Parse("FROM x\nRUN <<EOF\necho\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Dockerfile:2: unterminated heredoc")));
}

TEST(ParserTest, DirectivesOnlyAtTop) {
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("# syntax=docker/dockerfile:1\n# check=skip=all\n"
                                      "# escape=`\nFROM x\nRUN a `\n  b\n"));
  ASSERT_EQ(ast.directives.size(), 3u);
  EXPECT_EQ(ast.directives[0].name, "syntax");
  EXPECT_EQ(ast.directives[0].value, "docker/dockerfile:1");
  EXPECT_EQ(ast.directives[1].name, "check");
  EXPECT_EQ(ast.directives[1].value, "skip=all");
  EXPECT_EQ(ast.escape, U'`');
  EXPECT_EQ(Dump(ast), "(from \"x\")\n(run \"a   b\")\n");
  // After a normal comment, a directive is a comment.
  ASSERT_OK_AND_ASSIGN(Ast late, Parse("# hello\n# escape=`\nFROM x\n"));
  EXPECT_TRUE(late.directives.empty());
  EXPECT_EQ(late.escape, U'\\');
}

TEST(ParserTest, DirectiveErrors) {
  EXPECT_THAT(Parse("# escape=x\nFROM x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid escape token")));
  EXPECT_THAT(Parse("# escape=`\n# escape=`\nFROM x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Dockerfile:2: only one escape parser directive")));
}

TEST(ParserTest, CrlfBomAndCase) {
  EXPECT_EQ(DumpOf("\xEF\xBB\xBF" "from x\r\nrUn echo \\\r\n  hi\r\n"),
            "(from \"x\")\n(run \"echo   hi\")\n");
}

TEST(ParserTest, FlagsAreTakenOffTheFront) {
  EXPECT_EQ(DumpOf("COPY --from=build --chmod=0755 --link a b\n"),
            "(copy [\"--from=build\" \"--chmod=0755\" \"--link\"] \"a\" \"b\")\n");
  EXPECT_EQ(DumpOf("RUN --mount=type=cache,target=/root/.cache --network=\"no ne\" echo\n"),
            "(run [\"--mount=type=cache,target=/root/.cache\" \"--network=no ne\"] \"echo\")\n");
  // A word that does not start with `--` ends the flags, even if it is a quoted flag.
  EXPECT_EQ(DumpOf("RUN \"--network=none\" echo\n"), "(run \"\\\"--network=none\\\" echo\")\n");
}

// ExtractFlags takes plain flags (no quotes, escapes or bytes >= 0x80) as views of the line and
// hands the first other flag, and the rest of the line, to BuildKit's state machine. The results
// must not depend on where that switch happens. (Expected dumps recorded from the parser before
// the fast path was split out.)
TEST(ParserTest, FlagsFastPathAgreesWithTheStateMachine) {
  const std::pair<std::string, std::string> cases[] = {
      {"RUN --a=1 --b=\"x y\" --c=2 echo\n", "(run [\"--a=1\" \"--b=x y\" \"--c=2\"] \"echo\")\n"},
      {"RUN --a='q' --plain echo\n", "(run [\"--a=q\" \"--plain\"] \"echo\")\n"},
      {"RUN --a=\\x --b=2 echo\n", "(run [\"--a=x\" \"--b=2\"] \"echo\")\n"},
      // Bytes >= 0x80 are widened as Latin-1; 0xA0 and 0x85 separate flags.
      {"COPY --a=\xC3\xA9 --b=2 a b\n",
       "(copy [\"--a=\xC3\x83\xC2\xA9\" \"--b=2\"] \"a\" \"b\")\n"},
      {"COPY --a=1\xA0--b=2 a b\n", "(copy [\"--a=1\" \"--b=2\"] \"a\" \"b\")\n"},
      {"COPY --a=1\x85--b=2 a b\n", "(copy [\"--a=1\" \"--b=2\"] \"a\" \"b\")\n"},
      {"COPY --a=1\t--b=2\v--c=3 x\n", "(copy [\"--a=1\" \"--b=2\" \"--c=3\"] \"x\")\n"},
      // `--` ends the flags, after a plain flag or an unquoted one, mid-line or at the end.
      {"COPY --a=1 -- --b=2 a\n", "(copy [\"--a=1\"] \"--b=2\" \"a\")\n"},
      {"COPY --a=\"1\" -- --b=2 a\n", "(copy [\"--a=1\"] \"--b=2\" \"a\")\n"},
      {"COPY --a=1 --\n", "(copy [\"--a=1\"])\n"},
      {"COPY --a=\"1\" --\n", "(copy [\"--a=1\"])\n"},
      // An unterminated quote or a final escape at the end of the line.
      {"COPY --a=1 --b=\"2\n", "(copy [\"--a=1\" \"--b=2\"])\n"},
      {"COPY --a=1 --b=2\\\n", "(copy [\"--a=1\" \"--b=2\"])\n"},
      {"COPY --=\"\" x\n", "(copy [\"--=\"] \"x\")\n"},
      {"COPY --a=\"\" --b x\n", "(copy [\"--a=\" \"--b\"] \"x\")\n"},
  };
  for (const auto& [line, want] : cases) {
    EXPECT_EQ(DumpOf("FROM x\n" + line), "(from \"x\")\n" + want) << line;
  }
  // The fast path tests for a separating space with IsAsciiNonSpace first, then IsSpace on the
  // byte: every byte between two flags, and before the first, must be read as the state machine
  // (from a quoted flag on) reads it.
  for (int b = 0; b < 256; ++b) {
    if (b == '\n') continue;
    const std::string sep(1, static_cast<char>(b));
    EXPECT_EQ(DumpOf("FROM x\nCOPY --a=1" + sep + "--b=2 x\n"),
              DumpOf("FROM x\nCOPY --a=\"1\"" + sep + "--b=2 x\n"))
        << b;
    EXPECT_EQ(DumpOf("FROM x\nCOPY --q=1 " + sep + "--a=1 x\n"),
              DumpOf("FROM x\nCOPY --q=\"1\" " + sep + "--a=1 x\n"))
        << b;
  }
}

// Runs of plain bytes are skipped four at a time (SkipPlainRun) by ParseWords' ASCII path, the
// flag fast path and SplitWhitespace; the tail is one byte at a time. Every run length from 0 to 9
// puts each special byte at each offset of a four-byte step and in the tail. ParseWords' and
// ExtractFlags' results must match their general paths (forced by a later non-ASCII word or a
// leading quoted flag), and SplitWhitespace's a plain split on [\t\v\f\r ].
TEST(ParserTest, PlainRunsAgreeWithTheGeneralPaths) {
  const std::string specials[] = {" ",   "\t", "\v",   "\f", "\r", "\"q r\"", "'q r'", "\\x",
                                  "\\ ", "=",  "\"\"", "`",  "#",  "é",       "\\\"",  "'\\'"};
  std::vector<std::string> words;
  for (int before = 0; before <= 9; ++before) {
    for (int after = 0; after <= 9; ++after) {
      for (const std::string& sp : specials) {
        words.push_back(std::string(before, 'a') + sp + std::string(after, 'b'));
      }
    }
  }
  auto args_of = [](const std::string& text) {
    absl::StatusOr<Ast> ast = Parse(text);
    std::vector<std::string> out;
    if (!ast.ok()) return std::vector<std::string>{"ERROR " + ast.status().ToString()};
    for (absl::string_view a : ast->children.back().args) out.emplace_back(a);
    for (absl::string_view f : ast->children.back().flags)
      out.emplace_back("flag " + std::string(f));
    return out;
  };
  for (const std::string& w : words) {
    for (const std::string& escape : {std::string(), std::string("# escape=`\n")}) {
      // ParseWords: the ASCII path, then the general one with a non-ASCII word after.
      std::vector<std::string> fast = args_of(escape + "FROM x\nARG " + w + " z=1\n");
      std::vector<std::string> general = args_of(escape + "FROM x\nARG " + w + " z=1 \xC3\xA9\n");
      // (Unless a quote left open takes the added word in.)
      if (!general.empty() && general.back() == "\xC3\xA9") {
        general.pop_back();
        EXPECT_EQ(fast, general) << escape << w;
      }
      // Flags: the fast path, then the state machine from a quoted first flag on.
      fast = args_of(escape + "FROM x\nCOPY --q=1 --" + w + " --z=2 a b\n");
      general = args_of(escape + "FROM x\nCOPY --q=\"1\" --" + w + " --z=2 a b\n");
      EXPECT_EQ(fast, general) << escape << w;
    }
    // SplitWhitespace (FROM, EXPOSE, COPY's shell form) against a byte-by-byte split.
    const std::string line = "a " + w + "\t b\v" + w + " c";
    std::vector<std::string> want;
    std::string part;
    bool in_space = false;
    for (char c : line) {
      const bool space = c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
      if (space && !in_space) want.push_back(part), part.clear();
      if (!space) part += c;
      in_space = space;
    }
    want.push_back(part);
    EXPECT_EQ(args_of("FROM x\nEXPOSE " + line + "\n"), want) << w;
  }
}

// ParseJson tests for a leading '[' (after Unicode white space) inline before decoding.
TEST(ParserTest, JsonFastCheckAgreesWithTheDecoder) {
  EXPECT_EQ(DumpOf("CMD \xC2\xA0[\"a\"]\n"), "(cmd \"a\")\n");  // U+00A0 before the '['
  EXPECT_EQ(DumpOf("CMD \xE3\x80\x80[\"a\", \"b\"]\n"), "(cmd \"a\" \"b\")\n");  // U+3000
  EXPECT_EQ(DumpOf("CMD \x85[\"a\"]\n"), "(cmd \"a\")\n");  // a lone 0x85 ends the flags scan
  EXPECT_EQ(DumpOf("CMD \t [\"a\"] \n"), "(cmd \"a\")\n");
  EXPECT_EQ(DumpOf("CMD [ \"a\" ]x\n"), "(cmd \"[ \\\"a\\\" ]x\")\n");
  EXPECT_EQ(DumpOf("ENTRYPOINT [\"a\",\n"), "(entrypoint \"[\\\"a\\\",\")\n");
  EXPECT_EQ(DumpOf("SHELL []\n"), "(shell)\n");
  EXPECT_EQ(DumpOf("RUN [1]\n"),
            "ERROR: Dockerfile:1: when using JSON array syntax, arrays must be comprised of "
            "strings only");
}

// HeredocsFromLine looks for "<<" with memchr for '<' before lexing the line.
TEST(ParserTest, HeredocMarkerSearch) {
  struct Case {
    std::string text;
    size_t nodes;
    size_t heredocs;  // on the second node
  };
  const Case cases[] = {
      {"FROM x\nRUN a < b <<EOF\nx\nEOF\n", 2, 1},  // a lone '<' before the marker
      {"FROM x\nRUN a < b\n", 2, 0},
      {"FROM x\nRUN x<\n", 2, 0},  // '<' is the last byte
      {"FROM x\nRUN < <EOF\n", 2, 0},
      {"FROM x\nRUN <x<<EOF\nx\nEOF\n", 4, 0},  // "<<" inside a word that is no heredoc
      {"FROM x\nRUN <<<EOF\nx\nEOF\n", 4, 0},
      {"FROM x\nCOPY a<b <<-X /d\n\tx\n\tX\n", 2, 1},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(Ast ast, Parse(c.text));
    ASSERT_EQ(ast.children.size(), c.nodes) << c.text;
    EXPECT_EQ(ast.children[1].heredocs.size(), c.heredocs) << c.text;
  }
}

// Every heredoc of every node, as "name fd expand chomp content;" (or the error).
std::string HeredocsOf(absl::string_view text) {
  absl::StatusOr<Ast> ast = Parse(text);
  if (!ast.ok()) return "ERROR: " + std::string(ast.status().message());
  std::string out;
  for (const Node& node : ast->children) {
    for (const Heredoc& h : node.heredocs) {
      out += std::string(h.name) + " " + std::to_string(h.file_descriptor) + " " +
             (h.expand ? "1" : "0") + " " + (h.chomp ? "1" : "0") + " " + std::string(h.content) +
             ";";
    }
    out += "|";
  }
  return out;
}

// A heredoc line with nothing to expand or unquote (ASCII, no `$`, quotes or backslash) is split
// and matched as written; any other line is lexed. The heredocs must not depend on the path: each
// line is read as it is (plain) and with a word added that only the lexer can read (general).
TEST(ParserTest, HeredocsOfPlainLinesAgreeWithTheLexer) {
  struct Case {
    std::string head;  // the text before the heredoc line
    std::string line;  // the heredoc line, plain, without its newline
    std::string eol;
    std::string tail;  // the heredoc bodies and what follows
    std::string want;  // HeredocsOf for the plain line
  };
  const Case cases[] = {
      {"FROM x\n", "RUN <<EOF", "\n", "echo\nEOF\n", "|EOF 0 1 0 echo\n;|"},
      {"FROM x\n", "RUN <<-EOF cat", "\n", "\techo\n\tEOF\n", "|EOF 0 1 1 \techo\n;|"},
      {"FROM x\n", "RUN 3<<EOF cat", "\n", "x\nEOF\n", "|EOF 3 1 0 x\n;|"},
      {"FROM x\n", "COPY <<A 4<<-B <<C /dst/", "\n", "a\nA\n\tb\n\tB\nC\n",
       "|A 0 1 0 a\n;B 4 1 1 \tb\n;C 0 1 0 ;|"},
      {"FROM x\n", "RUN\t<<EOF\vcat\f<<E2", "\n", "x\nEOF\ny\nE2\n",
       "|EOF 0 1 0 x\n;E2 0 1 0 y\n;|"},
      {"FROM x\r\n", "RUN <<EOF", "\r\n", "x\r\nEOF\r\nRUN y\r\n", "|EOF 0 1 0 x\r\n;||"},
      {"FROM x\n", "RUN 99999999999999999999999<<EOF", "\n", "EOF\n",
       "|EOF 18446744073709551615 1 0 ;|"},
      // Words that are no heredoc: a '<' in the name, no name, a prefix that is not digits.
      {"FROM x\n", "RUN <<EOF< <<< << x<<EOF <<-", "\n", "", "||"},
      {"FROM x\n", "RUN a<b <<EOF", "\n", "EOF\n", "|EOF 0 1 0 ;|"},
      // The escape character of the file does not matter: heredoc lines are read with `\`.
      {"# escape=`\nFROM x\nRUN echo `\n", "  <<EOF `x` y", "\n", "x\nEOF\n", "|EOF 0 1 0 x\n;|"},
      {"FROM x\n", "ONBUILD RUN <<EOF", "\n", "x\nEOF\n", "|EOF 0 1 0 x\n;|"},
  };
  const std::string general[] = {" $X", " caf\xC3\xA9", " 'q'", " \"q\"", " a\\ b", " ${X}"};
  for (const Case& c : cases) {
    const std::string plain = HeredocsOf(c.head + c.line + c.eol + c.tail);
    EXPECT_EQ(plain, c.want) << c.line;
    for (const std::string& word : general) {
      EXPECT_EQ(HeredocsOf(c.head + c.line + word + c.eol + c.tail), plain) << c.line << word;
    }
  }
  // Quoted names (general path only) are not expanded; an unterminated heredoc is an error.
  EXPECT_EQ(HeredocsOf("FROM x\nRUN <<'A' <<\"B\" 3<<-C\"D\"\na\nA\nb\nB\n\tc\n\tCD\n"),
            "|A 0 0 0 a\n;B 0 0 0 b\n;CD 3 0 1 \tc\n;|");
  EXPECT_EQ(HeredocsOf("FROM x\nRUN <<EOF\nx\n"),
            "ERROR: Dockerfile:2: unterminated heredoc `EOF`");
}

// Everything Parse returns, field by field.
std::string DescribeAll(absl::string_view text) {
  absl::StatusOr<Ast> ast = Parse(text);
  if (!ast.ok()) return "ERROR: " + std::string(ast.status().message());
  std::string out = Dump(*ast) + HeredocsOf(text) + "\n";
  for (const Node& node : ast->children) {
    out += std::string(node.keyword) + "|" + std::string(node.lower) + "|" +
           std::string(node.original) + "|" + std::to_string(node.start_line) + "-" +
           std::to_string(node.end_line) + "|" + (node.json ? "json" : "") + "|";
    for (absl::string_view c : node.comments) out += std::string(c) + ";";
    out += "\n";
  }
  for (const std::string& w : ast->warnings) out += w + "\n";
  return out + std::to_string(ast->start_line) + "-" + std::to_string(ast->end_line);
}

// A physical line that starts with a letter and ends in '\n' after a byte that is no white space
// or escape character is taken as the logical line without the general path's trimming and
// continuation checks. Indenting it, ending it in "\r\n" or at the end of the file sends it down
// the general path, and must change nothing.
TEST(ParserTest, WholeInstructionLinesAgreeWithTheGeneralPath) {
  const std::string lines[] = {
      "RUN echo filler line 14",
      "run\techo\t\"a b\"",
      "ENV A=1 B=\"x y\" C=caf\xC3\xA9",
      "LABEL a=b c d",  // an error
      "COPY --from=build --chmod=0644 src/ /dst/",
      "FROM ${BASE} AS s0",
      "CMD [\"a\", \"b\"]",
      "RUN echo a`",     // '`' is no escape character here
      "RUN echo a\\\\",  // an escaped escape character continues nothing
      "ONBUILD RUN echo x",
      "EXPOSE 80/tcp 443",
      "WORKDIR /caf\xC3\xA9",
      "ARG V0=value-0",
      "HEALTHCHECK CMD [\"x\"]",
      "X",
  };
  for (const std::string& line : lines) {
    const std::string want = DescribeAll("FROM x\n# c\n" + line + "\nRUN y\n");
    EXPECT_EQ(DescribeAll("FROM x\n# c\n \t" + line + "\nRUN y\n"), want) << line;
    EXPECT_EQ(DescribeAll("FROM x\r\n# c\r\n" + line + "\r\nRUN y\r\n"), want) << line;
    EXPECT_EQ(DescribeAll("FROM x\n# c\n" + line + "\n RUN y"), want) << line;
    // As the first line, before the directives are known to be done.
    EXPECT_EQ(DescribeAll(line + "\n"), DescribeAll(" " + line + "\n")) << line;
  }
  // With escape=`, a final '`' continues the line, and a final '\' does not.
  EXPECT_EQ(DescribeAll("# escape=`\nFROM x\nRUN a\\\nRUN b `\nc\n"),
            "(from \"x\")\n(run \"a\\\\\")\n(run \"b c\")\n|||\n"
            "FROM|from|FROM x|2-2||escape=`;\n"
            "RUN|run|RUN a\\|3-3||\n"
            "RUN|run|RUN b c|4-5||\n"
            "2-5");
  EXPECT_EQ(DescribeAll("FROM x\nRUN <<EOF\necho\nEOF\n"),
            DescribeAll("FROM x\n RUN <<EOF\necho\nEOF\n"));
}

// A whole line of a known keyword with no flags (`RUN echo hi`, `FROM x AS y`, `ENV A=1`) skips
// NodeFromLine (NodeFromSimpleLine). Every keyword, in both cases, with rests that it must take or
// leave to the general path (or that are errors), parsed as a whole line and indented (the
// general path), with either escape character.
TEST(ParserTest, SimpleLinesAgreeWithTheGeneralPath) {
  std::vector<std::string> keywords;
  for (const std::string& k : KnownInstructions()) {
    keywords.push_back(k);
    keywords.push_back(absl::AsciiStrToUpper(k));
  }
  keywords.push_back("Nope");
  const std::string rests[] = {"echo filler line 14",
                               "/work",
                               "<<EOF",
                               "a<<EOF b",
                               "[\"a\"]",
                               "[ not json",
                               "--flag=x y",
                               "-x y",
                               "--",
                               "a\tb",
                               "x\x7f",
                               "\x85x",
                               "\xC2\xA0x",
                               "x\xC2\xA0",
                               "caf\xC3\xA9",
                               "\x1cx",
                               "x\x1f",
                               "$A \"q\" 'r'",
                               "a\\\\",
                               "a`",
                               "RUN echo x",
                               "HEALTHCHECK CMD x",
                               "A=1",
                               "A=1 B=\"x y\" C='d e'",
                               "A=1 b",
                               "a b c",
                               "=x",
                               "A=\\\" x",
                               "A=`\" x",
                               "A=caf\xC3\xA9 B"};
  const std::string seps[] = {" ", "\t", " \t\v\f ", "\r"};
  for (const std::string top : {"", "# escape=`\n"}) {
    for (const std::string& k : keywords) {
      for (const std::string& sep : seps) {
        for (const std::string& rest : rests) {
          const std::string line = k + sep + rest;
          EXPECT_EQ(DescribeAll(top + "FROM x\n" + line + "\nEOF\nRUN y\n"),
                    DescribeAll(top + "FROM x\n " + line + "\nEOF\nRUN y\n"))
              << top << line;
        }
      }
      EXPECT_EQ(DescribeAll(top + "FROM x\n" + k + "\n"), DescribeAll(top + "FROM x\n " + k + "\n"))
          << k;
    }
  }
}

// Continuation lines are trimmed on the left once (TrimIndentation) for both the comment and the
// empty-line test: indentation of spaces and tabs, then Unicode white space; the line itself is
// joined untrimmed.
TEST(ParserTest, IndentedContinuationLines) {
  EXPECT_EQ(DescribeAll("FROM x\nRUN a \\\n \t # c\n\t\xC2\xA0 b \\\n \t\n \xC2\xA0\n\xC2\x85\t#d\n"
                        "\xE3\x80\x80"
                        "c\n"),
            "(from \"x\")\n(run \"a \\t\\u00a0 b \\u3000c\")\n||\n"
            "FROM|from|FROM x|1-1||\n"
            "RUN|run|RUN a \t\xC2\xA0 b \xE3\x80\x80"
            "c|2-8||\n"
            "Dockerfile:2: empty continuation line found in: RUN a \t\xC2\xA0 b \xE3\x80\x80"
            "c\n1-8");
}

TEST(ParserTest, UnknownInstructionKeptWithEmptyArg) {
  EXPECT_EQ(DumpOf("FROM x\nCOPPY a b\n"), "(from \"x\")\n(coppy \"\")\n");
}

TEST(ParserTest, Errors) {
  EXPECT_THAT(Parse(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("file with no instructions")));
  EXPECT_THAT(Parse("FROM x\n\nENV PATH\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Dockerfile:3: ENV must have two arguments")));
  EXPECT_THAT(Parse("FROM x\nLABEL a=b c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("can't find = in \"c\"")));
  // The first word without '=' is named, whatever follows.
  EXPECT_THAT(Parse("FROM x\nENV a=1 b c=2 d\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("can't find = in \"b\"")));
  EXPECT_EQ(
      DumpOf("FROM x\nENV a=1 b=\"c d\" e= =f\nENV g h i\n"),
      "(from \"x\")\n"
      "(env \"a\" \"1\" \"=\" \"b\" \"\\\"c d\\\"\" \"=\" \"e\" \"\" \"=\" \"\" \"f\" \"=\")\n"
      "(env \"g\" \"h i\" \"\")\n");
  ParseOptions opts;
  opts.file_name = "build/Dockerfile.dev";
  EXPECT_THAT(Parse("FROM x\nCMD [1]\n", opts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("build/Dockerfile.dev:2: when using JSON array syntax")));
  EXPECT_THAT(Parse(std::string(70000, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max allowed size")));
}

TEST(ParserTest, JsonDetails) {
  EXPECT_EQ(DumpOf("CMD [\"a\"] x\n"), "(cmd \"[\\\"a\\\"] x\")\n");  // trailing data: not JSON
  EXPECT_EQ(DumpOf("CMD [\"\\ud83d\\ude00\", \"\\ud800\"]\n"),
            "(cmd \"\xF0\x9F\x98\x80\" \"\xEF\xBF\xBD\")\n");
  EXPECT_EQ(DumpOf("VOLUME [\"/a\", {\"x\": 1}\n"), "(volume \"[\\\"/a\\\",\" \"{\\\"x\\\":\" \"1}\")\n");
  EXPECT_THAT(Parse("VOLUME [\"/a\", null]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("strings only")));
}

TEST(ParserTest, OnbuildNestingIsBounded) {
  std::string line;
  for (int i = 0; i < 1000; ++i) line += "ONBUILD ";
  line += "RUN x\n";
  EXPECT_THAT(Parse(line), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested")));
}

TEST(ParserTest, EmptyContinuationLineWarns) {
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("FROM x\nRUN a \\\n\n  b\n"));
  EXPECT_EQ(Dump(ast), "(from \"x\")\n(run \"a   b\")\n");
  ASSERT_EQ(ast.warnings.size(), 1u);
  EXPECT_THAT(ast.warnings[0], HasSubstr("Dockerfile:2: empty continuation line"));
}

TEST(ParserTest, KeywordsAreClassifiedCaseInsensitively) {
  for (const std::string& name : KnownInstructions()) {
    Instruction i = ClassifyKeyword(name);
    ASSERT_NE(i, Instruction::kUnknown) << name;
    EXPECT_EQ(InstructionName(i), absl::AsciiStrToUpper(name));
    // Same length, one letter off: never that instruction.
    std::string off = name;
    off.back() = off.back() == 'z' ? 'y' : 'z';
    EXPECT_EQ(ClassifyKeyword(off), Instruction::kUnknown) << off;
  }
  EXPECT_EQ(ClassifyKeyword(""), Instruction::kUnknown);
  EXPECT_EQ(ClassifyKeyword("RUN"), Instruction::kUnknown);  // it takes lower-case text
  ASSERT_OK_AND_ASSIGN(Ast ast, Parse("from x\nRuN a\nwor\xE2\x84\xAA" "dir /w\nCOPPY a b\n"));
  EXPECT_EQ(ast.children[0].instruction, Instruction::kFrom);
  EXPECT_EQ(ast.children[1].instruction, Instruction::kRun);
  EXPECT_EQ(ast.children[1].lower, "run");
  // Go lower-cases the Kelvin sign to `k`, so BuildKit reads this as WORKDIR.
  EXPECT_EQ(ast.children[2].instruction, Instruction::kWorkdir);
  EXPECT_EQ(ast.children[2].lower, "workdir");
  EXPECT_EQ(ast.children[3].instruction, Instruction::kUnknown);
  EXPECT_EQ(ast.children[3].lower, "coppy");
}

// The instruction a keyword names, by the definition: its ASCII lower-case form is a known name.
Instruction ReferenceClassify(const std::string& keyword) {
  for (const std::string& name : KnownInstructions()) {
    if (absl::AsciiStrToLower(keyword) == name) return ClassifyKeyword(name);
  }
  return Instruction::kUnknown;
}

// Keyword lookup packs the keyword's first eight bytes into an integer, folding case by OR-ing each
// with 0x20, and reads them with one load when the line has eight bytes there. It must agree with
// the definition for every case, for near misses (a byte that differs only in bit 0x20, or in bit
// 0x80, a prefix, an extension), for keywords longer than eight bytes, and whether the keyword ends
// the line or not.
TEST(ParserTest, KeywordLookupAgreesWithTheDefinition) {
  std::vector<std::string> keywords = {
      "",           "a",          "ad", "addd", "runrunrun", "healthcheckk", "healthchecj",
      "entrypoinu", "stopsignaL", "x"};
  for (const std::string& name : KnownInstructions()) {
    keywords.push_back(name);
    keywords.push_back(absl::AsciiStrToUpper(name));
    keywords.push_back(name.substr(0, name.size() - 1));
    keywords.push_back(name + "s");
    keywords.push_back("x" + name);
    for (size_t i = 0; i < name.size(); ++i) {
      for (int delta : {0x20, 0x40, 0x60, 0x80, 0xA0, 0x01}) {
        std::string k = name;
        k[i] = static_cast<char>(static_cast<unsigned char>(k[i]) ^ delta);
        if (k[i] == '\n' || k[i] == '\r' || k[i] == ' ' || k[i] == '\t' || k[i] == '\v' ||
            k[i] == '\f' || k[i] == '\0' || k[i] == '#') {
          continue;
        }
        keywords.push_back(k);
      }
    }
  }
  for (const std::string& k : keywords) {
    if (k.empty()) continue;
    for (const std::string& after : {std::string("\n"), std::string(" a b c d e f g h\n")}) {
      absl::StatusOr<Ast> ast = Parse("FROM x\n" + k + after);
      ASSERT_TRUE(ast.ok()) << k << ": " << ast.status();
      ASSERT_EQ(ast->children.size(), 2u) << k;
      const Node& node = ast->children[1];
      const bool ascii = std::all_of(k.begin(), k.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      if (!ascii) {
        EXPECT_EQ(node.instruction, Instruction::kUnknown) << k;
        continue;
      }
      EXPECT_EQ(node.instruction, ReferenceClassify(k)) << k;
      EXPECT_EQ(node.lower, absl::AsciiStrToLower(k)) << k;
    }
  }
  // ClassifyKeyword itself takes lower-case text only.
  for (const std::string& name : KnownInstructions()) {
    EXPECT_NE(ClassifyKeyword(name), Instruction::kUnknown) << name;
    std::string mixed = name;
    mixed.back() = absl::ascii_toupper(mixed.back());
    EXPECT_EQ(ClassifyKeyword(mixed), Instruction::kUnknown) << mixed;
    EXPECT_EQ(ClassifyKeyword(name + '\0'), Instruction::kUnknown) << name;
  }
}

TEST(ParserTest, BigSourcesGetAPageRegionThatTheAstKeepsAlive) {
  EXPECT_EQ(Parser(absl::string_view("FROM x\n")).region(), nullptr);  // small: the heap
  std::string big;
  while (big.size() < (64 << 10)) {
    absl::StrAppend(&big, "FROM x AS s", big.size(), "\nRUN a \\\n b\n");
  }
  std::vector<Node> nodes;
  absl::StatusOr<Ast> ast;
  {
    Parser parser(big);
    ASSERT_NE(parser.region(), nullptr);
    Node node;
    while (parser.Next(&node)) nodes.push_back(node);
    ast = parser.Finish();
  }  // the parser, and its reference to the region, are gone; the Ast's storage keeps it
  ASSERT_TRUE(ast.ok()) << ast.status();
  ASSERT_GT(nodes.size(), 2u);
  EXPECT_EQ(DumpNode(nodes.back()), "run \"a  b\"");
  EXPECT_EQ(nodes.back().original, "RUN a  b");
  ast->children = nodes;
  ASSERT_OK_AND_ASSIGN(Ast whole, Parse(big));
  EXPECT_EQ(Dump(*ast), Dump(whole));
}

}  // namespace
}  // namespace builder::dockerfile
