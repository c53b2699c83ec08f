#include "builder/instructions/instructions.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace builder::instructions {
namespace {

using ::base_testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Everything Load produced, as text: two loads are the same if their descriptions are.
std::string Describe(const Dockerfile& df) {
  std::string out;
  for (const ArgCmd::Arg& a : df.global_args) {
    absl::StrAppend(&out, "global ", a.key, "=", a.value.value_or("<none>"), "\n");
  }
  for (const std::string& u : df.unused_build_args) absl::StrAppend(&out, "unused ", u, "\n");
  for (const Stage& s : df.stages) {
    absl::StrAppend(&out, "stage ", s.index, " ", s.name, " ", s.base_name, " ", s.platform, " ",
                    s.base_stage, " ", s.start_line, "\n");
    for (const KeyValue& kv : s.env) absl::StrAppend(&out, "  env ", kv.key, "=", kv.value, "\n");
    for (const Command& c : s.commands) {
      absl::StrAppend(&out, "  ", c.name(), " ", c.start_line, "-", c.end_line, " [", c.original,
                      "] [", c.expanded, "]");
      for (const auto& [k, v] : c.args_used) absl::StrAppend(&out, " ", k, "=", v);
      out += "\n";
    }
  }
  return out;
}

// Loads `text` both ways, Parse then Load and ParseAndLoad, and checks that they agree.
absl::StatusOr<Dockerfile> LoadText(absl::string_view text, LoadOptions opts = {}) {
  absl::StatusOr<Dockerfile> streamed = ParseAndLoad(text, {}, opts);
  absl::StatusOr<dockerfile::Ast> ast = dockerfile::Parse(text);
  absl::StatusOr<Dockerfile> loaded = ast.ok() ? Load(*ast, opts) : ast.status();
  EXPECT_EQ(streamed.status(), loaded.status()) << text;
  if (streamed.ok() && loaded.ok()) EXPECT_EQ(Describe(*streamed), Describe(*loaded)) << text;
  return loaded;
}

// The value the last ENV of the last stage set for `key`.
std::string EnvOf(const Dockerfile& df, absl::string_view key) {
  for (const KeyValue& kv : df.stages.back().env) {
    if (kv.key == key) return std::string(kv.value);
  }
  return "<unset>";
}

// Matches a KeyValue.
::testing::Matcher<const KeyValue&> KV(absl::string_view key, absl::string_view value) {
  return ::testing::AllOf(::testing::Field(&KeyValue::key, key),
                          ::testing::Field(&KeyValue::value, value));
}

// ParseMount with an arena that lives as long as the test binary.
absl::StatusOr<Mount> ParseMount(absl::string_view value) {
  static base::Arena* const arena = new base::Arena();
  return instructions::ParseMount(value, arena);
}

TEST(ArgScopingTest, GlobalArgOnlyInFrom) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("ARG V=3.18\nFROM alpine:$V\nENV X=\"[$V]\"\nRUN echo $V\n"));
  EXPECT_EQ(df.stages[0].base_name, "alpine:3.18");
  EXPECT_EQ(EnvOf(df, "X"), "[]");
  EXPECT_TRUE(df.stages[0].commands[2].args_used.empty());
  EXPECT_THAT(df.stages[0].commands[0].args_used, ElementsAre(Pair("V", "3.18")));
}

TEST(ArgScopingTest, EveryFromRecordsTheGlobalArgsItRead) {
  // The second and third FROM reuse the first one's expansion of the same words.
  LoadOptions opts;
  opts.build_args = {{"P", "linux/arm64"}};
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("ARG B=alpine:3.19\nARG P\nFROM --platform=$P $B AS a\n"
                                "FROM --platform=$P $B AS b\nFROM $B\nFROM ${B}-x\n",
                                opts));
  ASSERT_EQ(df.stages.size(), 4u);
  for (int i : {0, 1}) {
    EXPECT_EQ(df.stages[i].base_name, "alpine:3.19");
    EXPECT_EQ(df.stages[i].platform, "linux/arm64");
    EXPECT_THAT(df.stages[i].commands[0].args_used,
                ElementsAre(Pair("B", "alpine:3.19"), Pair("P", "linux/arm64")));
  }
  EXPECT_THAT(df.stages[2].commands[0].args_used, ElementsAre(Pair("B", "alpine:3.19")));
  EXPECT_EQ(df.stages[3].base_name, "alpine:3.19-x");
  EXPECT_THAT(df.stages[3].commands[0].args_used, ElementsAre(Pair("B", "alpine:3.19")));
}

TEST(CopyHeredocTest, UnquotedDelimiterExpandsVariablesAndKeepsQuotes) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM x\nARG NAME=world\n"
                                "COPY <<EOF <<'RAW' /dst/\nhello \"$NAME\" \\n ${NAME}\nEOF\n"
                                "keep $NAME\nRAW\n"));
  const auto& copy = df.stages[0].commands[2].payload.As<CopyCmd>();
  ASSERT_EQ(copy.source_contents.size(), 2u);
  EXPECT_EQ(copy.source_contents[0].content, "hello \"world\" \\n world\n");
  EXPECT_EQ(copy.source_contents[1].content, "keep $NAME\n");
  EXPECT_THAT(df.stages[0].commands[2].args_used, ElementsAre(Pair("NAME", "world")));
}

TEST(ArgScopingTest, RedeclaredGlobalArgTakesItsDefault) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("ARG V=1\nFROM x\nARG V\nENV X=$V\nRUN make\n"));
  EXPECT_EQ(EnvOf(df, "X"), "1");
  EXPECT_THAT(df.stages[0].commands[3].args_used, ElementsAre(Pair("V", "1")));
}

TEST(ArgScopingTest, BuildArgOverridesDefaults) {
  LoadOptions opts;
  opts.build_args = {{"V", "2"}, {"W", "w"}, {"UNUSED", "u"}, {"HTTP_PROXY", "http://p"}};
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("ARG V=1\nFROM alpine:$V\nARG V\nARG W=dflt\n"
                                               "ENV X=$V Y=$W\n",
                                               opts));
  EXPECT_EQ(df.stages[0].base_name, "alpine:2");
  EXPECT_EQ(EnvOf(df, "X"), "2");
  EXPECT_EQ(EnvOf(df, "Y"), "w");
  EXPECT_THAT(df.unused_build_args, ElementsAre("UNUSED"));
}

TEST(ArgScopingTest, StageArgWithoutValueOrGlobalIsUnset) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nARG NOPE\nENV X=${NOPE:-none}\n"));
  EXPECT_EQ(EnvOf(df, "X"), "none");
}

TEST(ArgScopingTest, EnvWinsOverArg) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nARG A=arg\nENV A=env\nENV B=$A\n"));
  EXPECT_EQ(EnvOf(df, "B"), "env");
  EXPECT_TRUE(df.stages[0].commands[3].args_used.empty());
}

TEST(ArgScopingTest, ArgsDoNotCrossStagesButEnvIsInherited) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x AS a\nARG A=1\nENV E=e\n"
                                               "FROM a\nENV X=\"$A|$E\"\n"));
  EXPECT_EQ(df.stages[1].base_stage, 0);
  EXPECT_EQ(EnvOf(df, "X"), "|e");
}

TEST(ArgScopingTest, StageWithOnlyFromRecordsTheEnvItInherits) {
  // b is nothing but its FROM: it still carries a's ENV, so c (FROM b) sees it.
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x AS a\nENV E=e F=f\n"
                                               "FROM a AS b\n"
                                               "FROM b AS c\nENV X=\"$E|$F\"\n"));
  EXPECT_THAT(df.stages[1].env, ElementsAre(KV("E", "e"), KV("F", "f")));
  EXPECT_EQ(df.stages[2].base_stage, 1);
  EXPECT_EQ(EnvOf(df, "X"), "e|f");
  EXPECT_EQ(df.stages[2].commands[1].expanded, "ENV X=e|f");
}

TEST(ArgScopingTest, StageWithOnlyFromRecordsItsBaseImageEnv) {
  LoadOptions opts;
  opts.base_env = [](absl::string_view base) {
    return std::vector<std::string>{absl::StrCat("PATH=/usr/bin:", base)};
  };
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM img AS a\nFROM a\nENV PATH=$PATH:/x\n", opts));
  EXPECT_THAT(df.stages[0].env, ElementsAre(KV("PATH", "/usr/bin:img")));
  EXPECT_EQ(EnvOf(df, "PATH"), "/usr/bin:img:/x");
}

TEST(ArgScopingTest, PredefinedPlatformArgs) {
  LoadOptions opts;
  opts.target_platform = *ParsePlatform("linux/arm/v7");
  opts.build_platform = *ParsePlatform("linux/amd64");
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM --platform=$BUILDPLATFORM golang AS b\n"
                                "ENV NO=\"$TARGETARCH\"\n"
                                "ARG TARGETARCH\nARG TARGETVARIANT\nARG TARGETPLATFORM\n"
                                "ENV T=$TARGETARCH V=$TARGETVARIANT P=$TARGETPLATFORM\n",
                                opts));
  EXPECT_EQ(df.stages[0].platform, "linux/amd64");
  EXPECT_EQ(EnvOf(df, "NO"), "");
  EXPECT_EQ(EnvOf(df, "T"), "arm");
  EXPECT_EQ(EnvOf(df, "V"), "v7");
  EXPECT_EQ(EnvOf(df, "P"), "linux/arm/v7");
}

TEST(ArgScopingTest, RunDependsOnAllArgsInScopeButNotProxies) {
  LoadOptions opts;
  opts.build_args = {{"https_proxy", "http://p"}};
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nARG A=1\nARG B\nRUN true\n", opts));
  EXPECT_THAT(df.stages[0].commands[3].args_used, ElementsAre(Pair("A", "1")));
  EXPECT_TRUE(df.unused_build_args.empty());
}

TEST(ArgScopingTest, ManyArgsInOneStage) {
  // Scopes switch from a linear search to a hash index past a handful of names: both must agree.
  std::string text = "FROM x\n";
  for (int i = 39; i >= 0; --i) absl::StrAppend(&text, "ARG A", i, "=v", i, "\n");
  absl::StrAppend(&text, "ARG A7=late\nENV A3=env\nRUN echo $A39 $A7\n");
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText(text));
  const Command& run = df.stages[0].commands.back();
  ASSERT_EQ(run.args_used.size(), 39u);  // A3 is shadowed by ENV
  EXPECT_TRUE(std::is_sorted(run.args_used.begin(), run.args_used.end()));
  for (const auto& [name, value] : run.args_used) {
    EXPECT_NE(name, "A3");
    EXPECT_EQ(value, name == "A7" ? "late" : absl::StrCat("v", name.substr(1))) << name;
  }
}

TEST(ArgScopingTest, BaseImageEnvFeedsExpansion) {
  LoadOptions opts;
  opts.base_env = [](absl::string_view base) {
    return std::vector<std::string>{absl::StrCat("PATH=/usr/bin:", base)};
  };
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM img\nENV PATH=$PATH:/x\n", opts));
  EXPECT_EQ(EnvOf(df, "PATH"), "/usr/bin:img:/x");
}

void ExpectOutlivedItsSource(const Dockerfile& df);

TEST(LoadTest, TheDockerfileOutlivesItsAstAndSource) {
  // Commands are views into the Ast's storage and the Dockerfile's own: they must stay valid after
  // the source text and the Ast are gone, and in copies of the Dockerfile.
  std::string text = "ARG B=alpine\nFROM $B AS a\nARG V=1\nENV E=$V\n"
                     "RUN --mount=type=cache,target=/c echo $V \\\n  && true\n"
                     "RUN <<EOF\necho $E\nEOF\nRUN [\"a\", \"b c\"]\nCMD run me\n"
                     "ENTRYPOINT [\"e\"]\nONBUILD RUN x\nCOPY <<F /f\n$E\nF\n"
                     "FROM a\nLABEL l=$E\nWORKDIR /w\n";
  for (int way : {0, 1, 2}) {
    SCOPED_TRACE(way == 0 ? "Parse, then Load" : way == 1 ? "ParseAndLoad" : "ParseAndLoad, owned");
    std::string source = text;
    std::optional<Dockerfile> kept;
    {
      absl::StatusOr<Dockerfile> df;
      if (way == 1) {
        df = ParseAndLoad(source);
      } else if (way == 2) {
        df = ParseAndLoad(std::string(source));
      } else {
        absl::StatusOr<dockerfile::Ast> ast = dockerfile::Parse(source);
        ASSERT_OK(ast.status());
        df = Load(*ast);
      }
      ASSERT_OK(df.status());
      Dockerfile copy = *df;
      kept = std::move(copy);
    }
    std::fill(source.begin(), source.end(), 'X');
    ExpectOutlivedItsSource(*kept);
  }
}

void ExpectOutlivedItsSource(const Dockerfile& df) {
  ASSERT_EQ(df.stages.size(), 2u);
  EXPECT_EQ(df.stages[0].name, "a");
  EXPECT_EQ(df.stages[0].commands[0].original, "FROM $B AS a");
  EXPECT_EQ(df.stages[0].commands[0].expanded, "FROM alpine AS a");
  EXPECT_THAT(df.stages[0].commands[0].args_used, ElementsAre(Pair("B", "alpine")));
  EXPECT_THAT(df.stages[0].env, ElementsAre(KV("E", "1")));
  const auto& run = df.stages[0].commands[3].payload.As<RunCmd>();
  EXPECT_THAT(run.command, ElementsAre("echo $V   && true"));
  ASSERT_EQ(run.mounts.size(), 1u);
  EXPECT_EQ(run.mounts[0].target, "/c");
  EXPECT_EQ(df.stages[0].commands[3].expanded,
            "RUN --mount=type=cache,target=/c echo $V   && true");
  const auto& heredoc_run = df.stages[0].commands[4].payload.As<RunCmd>();
  ASSERT_EQ(heredoc_run.files.size(), 1u);
  EXPECT_EQ(heredoc_run.files[0].content, "echo $E\n");
  EXPECT_THAT(df.stages[0].commands[5].payload.As<RunCmd>().command, ElementsAre("a", "b c"));
  EXPECT_THAT(df.stages[0].commands[6].payload.As<CmdCmd>().command, ElementsAre("run me"));
  EXPECT_THAT(df.stages[0].commands[7].payload.As<EntrypointCmd>().command, ElementsAre("e"));
  EXPECT_EQ(df.stages[0].commands[8].payload.As<OnbuildCmd>().expression, "RUN x");
  const auto& copy = df.stages[0].commands[9].payload.As<CopyCmd>();
  ASSERT_EQ(copy.source_contents.size(), 1u);
  EXPECT_EQ(copy.source_contents[0].content, "1\n");
  EXPECT_EQ(df.stages[1].commands[0].original, "FROM a");
  EXPECT_THAT(df.stages[1].commands[1].payload.As<LabelCmd>().labels, ElementsAre(KV("l", "1")));
}

TEST(ParseAndLoadTest, AParseErrorAnywhereWinsOverALoadError) {
  // Line 2 does not load, line 3 does not parse: BuildKit parses the whole file first.
  EXPECT_THAT(LoadText("FROM x\nCOPPY a b\nRUN <<EOF\necho\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Dockerfile:3: unterminated heredoc `EOF`")));
  EXPECT_THAT(LoadText("FROM x\nCOPPY a b\nRUN ok\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Dockerfile:2: unknown instruction: COPPY")));
  EXPECT_THAT(LoadText("\xEF"),  // found by the fuzzer
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown instruction")));
  EXPECT_THAT(LoadText("# only a comment\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no instructions")));
  EXPECT_THAT(LoadText("ARG A=1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no FROM instruction")));
}

// A Dockerfile of `stages` stages that exercises most of the loader: 400 stages make many of
// ParseAndLoad's batches.
std::string ManyStages(int stages) {
  std::string text = "# escape=`\nARG BASE=alpine\n";
  for (int s = 0; s < stages; ++s) {
    absl::StrAppend(&text, "FROM ${BASE} AS s", s, "\nARG V", s, "=v", s, "\nENV E", s, "=${V", s,
                    "} P=/bin\n", s > 0 ? absl::StrCat("COPY --from=s", s - 1, " /a /b\n") : "",
                    "RUN --mount=type=cache,target=/c", s, " echo `\n  $E", s, "\nRUN <<EOF\necho ",
                    s, "\nEOF\nLABEL l=\"", s, "\"\nEXPOSE 80", s % 10, "\nCMD [\"run\", \"", s,
                    "\"]\n");
  }
  return text;
}

// After an error, whether from a line before the first FROM, a FROM or a line inside a stage,
// Add and Finish return that error, whatever comes next.
TEST(LoaderTest, KeepsTheFirstError) {
  for (const char* text : {"RUN a\nFROM x\nRUN b\n", "FROM x AS 1y\nRUN b\nFROM z\n",
                           "FROM x\nRUN --bad a\nRUN b\nFROM z\n"}) {
    ASSERT_OK_AND_ASSIGN(dockerfile::Ast ast, dockerfile::Parse(text));
    LoadOptions options;
    Loader loader(options, ast.file_name, ast.escape);
    absl::Status first;
    for (const dockerfile::Node& n : ast.children) {
      absl::Status s = loader.Add(n);
      if (first.ok()) {
        first = s;
      } else {
        EXPECT_EQ(s, first) << text;
      }
    }
    EXPECT_THAT(first, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Dockerfile:")))
        << text;
    EXPECT_EQ(loader.Finish(ast).status(), first) << text;
    EXPECT_EQ(Load(ast).status(), first) << text;
  }
}

TEST(ParseAndLoadTest, BigFilesAsParseThenLoad) {
  // LoadText compares ParseAndLoad with Parse then Load.
  std::string big = ManyStages(400);
  ASSERT_GT(big.size(), 64u << 10);
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText(big));
  ASSERT_EQ(df.stages.size(), 400u);
  EXPECT_EQ(df.stages[399].commands[4].expanded,
            "RUN --mount=type=cache,target=/c399 echo   $E399");
  EXPECT_EQ(EnvOf(df, "E399"), "v399");
  // A load error early and a parse error at the very end: the parse error wins.
  EXPECT_THAT(LoadText(absl::StrCat("FROM x\nCOPPY a b\n", big, "RUN <<EOF\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unterminated heredoc")));
  EXPECT_THAT(
      LoadText(absl::StrCat(big, "COPPY a b\n", big)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown instruction: COPPY")));
  EXPECT_THAT(LoadText(absl::StrCat(big, "FROM ${BASE} AS s0\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate stage name")));
  // Nothing but blank lines, more than a batch of them.
  EXPECT_THAT(LoadText(std::string(70 << 10, '\n')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no instructions")));
}

TEST(ParseAndLoadTest, DirectivesAndWarningsAsParse) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("# escape=`\nFROM x\nRUN echo a `\n  b\n"));
  EXPECT_EQ(df.stages[0].commands[1].expanded, "RUN echo a   b");
  std::vector<std::string> warnings = {"kept"};
  ASSERT_OK(ParseAndLoad("FROM x\nRUN a \\\n\n  b\n", {}, {}, &warnings).status());
  EXPECT_THAT(warnings, ElementsAre("kept", HasSubstr("Dockerfile:2: empty continuation line")));
}

TEST(InstructionsTest, UnknownInstructionSuggests) {
  EXPECT_THAT(LoadText("FROM x\nCOPPY a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Dockerfile:2: unknown instruction: COPPY (did you mean COPY?)"));
  EXPECT_THAT(LoadText("FROM x\nfrob a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Dockerfile:2: unknown instruction: frob (did you mean FROM?)"));
  EXPECT_THAT(LoadText("FROM x\nXYZZYQ a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Dockerfile:2: unknown instruction: XYZZYQ"));
}

TEST(InstructionsTest, StageRules) {
  EXPECT_THAT(LoadText("RUN x\nFROM y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no build stage")));
  EXPECT_THAT(LoadText("FROM x AS 1bad\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid name")));
  EXPECT_THAT(LoadText("FROM x AS a\nFROM y AS A\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate stage name")));
  EXPECT_THAT(LoadText("FROM x y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one or three")));
  EXPECT_THAT(LoadText("FROM $NOPE\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("should not be blank")));
  EXPECT_THAT(LoadText("FROM --plat=x y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag: --plat")));
}

TEST(InstructionsTest, Expose) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nARG P=8080\nEXPOSE 80 $P/udp 9000-9010/TCP\n"));
  const auto& e = df.stages[0].commands[2].payload.As<ExposeCmd>();
  EXPECT_THAT(e.ports, ElementsAre("80/tcp", "8080/udp", "9000-9010/tcp"));
  EXPECT_THAT(LoadText("FROM x\nEXPOSE 80/icmp\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid proto")));
  EXPECT_THAT(LoadText("FROM x\nEXPOSE 70000\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid port")));
  ASSERT_OK_AND_ASSIGN(df, LoadText("FROM x\nEXPOSE 8080/tcp 127.0.0.1:80:53/UDP 8000:9000\n"));
  EXPECT_THAT(df.stages[0].commands[1].payload.As<ExposeCmd>().ports,
              ElementsAre("8080/tcp", "53/udp", "9000/tcp"));
  EXPECT_EQ(df.stages[0].commands[1].expanded, "EXPOSE 8080/tcp 53/udp 9000/tcp");
  // Digits are ASCII only (a non-ASCII byte, negative as a char, is not one).
  for (const char* bad : {"1-2-3", "9-8", "-", "80-", "/tcp", "8\xc3\xa90", "\xd9\xa1", "+80"}) {
    EXPECT_THAT(LoadText(absl::StrCat("FROM x\nEXPOSE ", bad, "\n")),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")))
        << bad;
  }
}

// `8080/tcp` (digits, a slash, a protocol in lower case) is taken as it is, without the general
// parse: every spec near that shape must give what the general path gives, port or error.
TEST(InstructionsTest, ExposeNormalPortsAsTheGeneralPath) {
  const std::pair<const char*, const char*> cases[] = {{"8080/tcp", "8080/tcp"},
                                                       {"80/udp", "80/udp"},
                                                       {"53/sctp", "53/sctp"},
                                                       {"0/tcp", "0/tcp"},
                                                       {"080/tcp", "080/tcp"},
                                                       {"65535/udp", "65535/udp"},
                                                       {"00080/tcp", "00080/tcp"},
                                                       {"80", "80/tcp"},
                                                       {"$P/tcp", "8080/tcp"},
                                                       {"${P}/tcp", "8080/tcp"},
                                                       {"8000-8010/tcp", "8000-8010/tcp"},
                                                       {"8080/TCP", "8080/tcp"},
                                                       {"8080/Udp", "8080/udp"},
                                                       {"1:80/tcp", "80/tcp"},
                                                       {"65536/tcp", "invalid port"},
                                                       {"99999/tcp", "invalid port"},
                                                       {"000080/tcp", "000080/tcp"},
                                                       {"/tcp", "invalid port"},
                                                       {"8080/", "invalid proto"},
                                                       {"8080/tc", "invalid proto"},
                                                       {"8080/tcpx", "invalid proto"},
                                                       {"80a/tcp", "invalid port"},
                                                       {"8\xc3\xa9/tcp", "invalid port"},
                                                       {"8080/tcp/tcp", "invalid port"},
                                                       {"+80/tcp", "invalid port"},
                                                       {"-1/tcp", "invalid port"}};
  for (const auto& [spec, want] : cases) {
    absl::StatusOr<Dockerfile> df =
        LoadText(absl::StrCat("FROM x\nARG P=8080\nEXPOSE ", spec, "\n"));
    if (absl::string_view(want).find('/') == absl::string_view::npos) {
      EXPECT_THAT(df, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr(absl::StrCat(want, " in EXPOSE"))))
          << spec;
      continue;
    }
    ASSERT_TRUE(df.ok()) << spec << ": " << df.status();
    EXPECT_THAT(df->stages[0].commands[2].payload.As<ExposeCmd>().ports, ElementsAre(want)) << spec;
    EXPECT_EQ(df->stages[0].commands[2].expanded, absl::StrCat("EXPOSE ", want)) << spec;
  }
}

TEST(InstructionsTest, Healthcheck) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM x\nHEALTHCHECK --interval=1m30s --timeout=5s --retries=3 "
                                "--start-period=2s --start-interval=500ms CMD curl -f x\n"));
  const auto& h = df.stages[0].commands[1].payload.As<HealthcheckCmd>();
  EXPECT_THAT(h.test, ElementsAre("CMD-SHELL", "curl -f x"));
  EXPECT_EQ(h.interval, absl::Seconds(90));
  EXPECT_EQ(h.timeout, absl::Seconds(5));
  EXPECT_EQ(h.start_interval, absl::Milliseconds(500));
  EXPECT_EQ(h.retries, 3);
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK --interval=10us CMD a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("less than 1ms")));
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK --interval=abc CMD a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid duration")));
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK --retries=-1 CMD a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK NONE x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("takes no arguments")));
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK CONNECT TCP 7000\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Unknown type")));
  EXPECT_THAT(LoadText("FROM x\nHEALTHCHECK CMD\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Missing command")));
  ASSERT_OK_AND_ASSIGN(Dockerfile json, LoadText("FROM x\nHEALTHCHECK CMD [\"a\", \"b\"]\n"));
  EXPECT_THAT(json.stages[0].commands[1].payload.As<HealthcheckCmd>().test,
              ElementsAre("CMD", "a", "b"));
}

TEST(InstructionsTest, OnbuildRestrictions) {
  EXPECT_THAT(LoadText("FROM x\nONBUILD ONBUILD RUN a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Chaining ONBUILD")));
  EXPECT_THAT(LoadText("FROM x\nONBUILD FROM y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FROM isn't allowed")));
  EXPECT_THAT(LoadText("FROM x\nONBUILD MAINTAINER y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MAINTAINER isn't allowed")));
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nONBUILD   RUN echo $HOME\n"));
  EXPECT_EQ(df.stages[0].commands[1].payload.As<OnbuildCmd>().expression, "RUN echo $HOME");
}

TEST(InstructionsTest, CopyAndAddFlags) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM x AS b\nFROM y\nARG U=app\nCOPY --from=b --chown=$U:$U "
                                "--chmod=0755 --link --parents --exclude=*.md a* /dst/\n"
                                "ADD --checksum=sha256:abc --keep-git-dir https://e/x.tgz /\n"
                                "COPY <<EOF /etc/conf\nhello\nEOF\n"));
  const auto& c = df.stages[1].commands[2].payload.As<CopyCmd>();
  EXPECT_EQ(c.from, "b");
  EXPECT_EQ(c.chown, "app:app");
  EXPECT_EQ(c.chmod, "0755");
  EXPECT_TRUE(c.link);
  EXPECT_TRUE(c.parents);
  EXPECT_THAT(c.excludes, ElementsAre("*.md"));
  EXPECT_THAT(c.sources, ElementsAre("a*"));
  EXPECT_EQ(c.dest, "/dst/");
  EXPECT_THAT(df.stages[1].commands[2].args_used, ElementsAre(Pair("U", "app")));
  const auto& a = df.stages[1].commands[3].payload.As<CopyCmd>();
  EXPECT_TRUE(a.is_add);
  EXPECT_EQ(a.checksum, "sha256:abc");
  EXPECT_TRUE(a.keep_git_dir);
  const auto& h = df.stages[1].commands[4].payload.As<CopyCmd>();
  EXPECT_TRUE(h.sources.empty());
  ASSERT_EQ(h.source_contents.size(), 1u);
  EXPECT_EQ(h.source_contents[0].content, "hello\n");

  EXPECT_THAT(LoadText("FROM x\nCOPY a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least two arguments")));
  EXPECT_THAT(LoadText("FROM x\nCOPY --chmod=999 a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid chmod")));
  EXPECT_THAT(LoadText("FROM x\nADD --from=y a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag: --from")));
  EXPECT_THAT(LoadText("FROM x\nCOPY --link=maybe a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expecting boolean")));
  EXPECT_THAT(LoadText("FROM x\nCOPY --from=a --from=b a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Duplicate flag")));
  EXPECT_THAT(LoadText("FROM x\nADD --checksum=sha256:0 local.tgz /\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("checksum can't")));
}

TEST(MountTest, AllTypes) {
  ASSERT_OK_AND_ASSIGN(Mount bind, ParseMount("type=bind,source=/src,target=/dst,from=build,rw"));
  EXPECT_EQ(bind.type, Mount::Type::kBind);
  EXPECT_EQ(bind.from, "build");
  EXPECT_FALSE(bind.read_only);
  ASSERT_OK_AND_ASSIGN(Mount bind_default, ParseMount("target=/x"));
  EXPECT_TRUE(bind_default.read_only);
  ASSERT_OK_AND_ASSIGN(Mount cache,
                       ParseMount("type=cache,target=/root/.cache,sharing=locked,mode=0700,uid=1,"
                                  "gid=2"));
  EXPECT_EQ(cache.id, "/root/.cache");
  EXPECT_EQ(cache.sharing, Mount::Sharing::kLocked);
  EXPECT_EQ(*cache.mode, 0700u);
  EXPECT_EQ(*cache.uid, 1u);
  ASSERT_OK_AND_ASSIGN(Mount tmp, ParseMount("type=tmpfs,dst=/tmp,size=64m"));
  EXPECT_EQ(*tmp.size_bytes, 64 << 20);
  ASSERT_OK_AND_ASSIGN(Mount secret, ParseMount("type=secret,id=npmrc,required"));
  EXPECT_EQ(secret.target, "/run/secrets/npmrc");
  EXPECT_TRUE(secret.required);
  EXPECT_EQ(*secret.mode, 0400u);
  ASSERT_OK_AND_ASSIGN(Mount secret_env, ParseMount("type=secret,id=tok,env=TOKEN"));
  EXPECT_EQ(secret_env.env, "TOKEN");
  ASSERT_OK_AND_ASSIGN(Mount ssh, ParseMount("type=ssh"));
  EXPECT_EQ(ssh.id, "default");

  EXPECT_THAT(ParseMount("type=nfs,target=/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported mount type")));
  EXPECT_THAT(ParseMount("type=cache"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requires a target")));
  EXPECT_THAT(ParseMount("type=cache,target=/x,sharing=maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sharing")));
  EXPECT_THAT(ParseMount("type=bind,target=/x,bogus=1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected key 'bogus'")));
  EXPECT_THAT(ParseMount("type=secret"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id or a target")));
  EXPECT_THAT(ParseMount("type=tmpfs,target=/t,from=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'from' is not supported")));
  EXPECT_THAT(ParseMount("type=cache,target=/x,mode=9"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mode")));
}

// What ParseMount makes of `value`: its fields, or its error.
std::string MountOutcome(absl::string_view value) {
  absl::StatusOr<Mount> m = ParseMount(value);
  if (!m.ok()) return std::string(m.status().message());
  return absl::StrCat(
      MountTypeName(m->type), " target=", m->target, " source=", m->source, " from=", m->from,
      " ro=", m->read_only, " id=", m->id, " sharing=", static_cast<int>(m->sharing),
      " mode=", m->mode.value_or(1234), " uid=", m->uid.value_or(99), " gid=", m->gid.value_or(99),
      " size=", m->size_bytes.value_or(-1), " required=", m->required, " env=", m->env);
}

// Fields split by hand and keys compared in any case: the same fields, values and messages as
// splitting with StrSplit and lower-casing every key.
TEST(MountTest, FieldsKeysAndErrors) {
  EXPECT_EQ(MountOutcome("type=cache,target=/root/.cache/0"),
            "cache target=/root/.cache/0 source= from= ro=0 id=/root/.cache/0 sharing=0 mode=493 "
            "uid=99 gid=99 size=-1 required=0 env=");
  EXPECT_EQ(MountOutcome("TYPE=cache,Target=/c,ID=x,Sharing=private,MODE=0700,Uid=1,gID=2"),
            "cache target=/c source= from= ro=0 id=x sharing=1 mode=448 uid=1 gid=2 size=-1 "
            "required=0 env=");
  EXPECT_EQ(MountOutcome("target=/a=b,source=s=t,RO=False"),
            "bind target=/a=b source=s=t from= ro=0 id= sharing=0 mode=1234 uid=99 gid=99 "
            "size=-1 required=0 env=");
  EXPECT_EQ(MountOutcome("type=tmpfs,dst=/t,SIZE=1K"),
            "tmpfs target=/t source= from= ro=0 id= sharing=0 mode=1234 uid=99 gid=99 size=1024 "
            "required=0 env=");
  EXPECT_EQ(MountOutcome("type=secret,id=a,Required,Env=E"),
            "secret target= source= from= ro=0 id=a sharing=0 mode=256 uid=99 gid=99 size=-1 "
            "required=1 env=E");
  EXPECT_EQ(MountOutcome("type=Cache,target=/x"),
            "unsupported mount type \"Cache\": want bind, cache, tmpfs, secret or ssh");
  EXPECT_EQ(MountOutcome("target=/x,type=nfs,type=cache,type=ssh2"),
            "unsupported mount type \"nfs\": want bind, cache, tmpfs, secret or ssh");
  EXPECT_EQ(MountOutcome("type,target=/x"),
            "unsupported mount type \"\": want bind, cache, tmpfs, secret or ssh");
  EXPECT_EQ(MountOutcome("target=/x,,ro"), "unexpected key '' in ''");
  EXPECT_EQ(MountOutcome("target=/x,"), "unexpected key '' in ''");
  EXPECT_EQ(MountOutcome(""), "unexpected key '' in ''");
  EXPECT_EQ(MountOutcome("target=/x,=v"), "unexpected key '' in '=v'");
  EXPECT_EQ(MountOutcome("target=/x,BoGus=V"), "unexpected key 'bogus' in 'bogus=V'");
  EXPECT_EQ(MountOutcome("target=/x,Bogus"), "unexpected key 'bogus' in 'bogus'");
  EXPECT_EQ(MountOutcome("Target"), "invalid field 'target' must be a key=value pair");
  EXPECT_EQ(MountOutcome("target=/x,RO=maybe"), "invalid value for ro: \"maybe\"");
  EXPECT_EQ(MountOutcome("type=cache,target=/x,UID=-1"), "invalid value for uid: \"-1\"");
  EXPECT_EQ(MountOutcome("type=cache,target=/x,Mode=8"), "invalid value for mode: \"8\"");
  EXPECT_EQ(MountOutcome("type=t\xc3\xa9"),
            "unsupported mount type \"t\xc3\xa9\": want bind, cache, tmpfs, secret or ssh");
  EXPECT_EQ(MountOutcome("target=/x,T\xc3\x89=1"), "unexpected key 't\xc3\x89' in 't\xc3\x89=1'");
}

TEST(InstructionsTest, RunFlagsAndExpansionInMounts) {
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("FROM x\nARG C=/cache\nRUN --mount=type=cache,target=$C "
                                "--network=none --security=insecure make\n"));
  const auto& r = df.stages[0].commands[2].payload.As<RunCmd>();
  ASSERT_EQ(r.mounts.size(), 1u);
  EXPECT_EQ(r.mounts[0].target, "/cache");
  EXPECT_EQ(r.network, RunCmd::Network::kNone);
  EXPECT_EQ(r.security, RunCmd::Security::kInsecure);
  EXPECT_EQ(df.stages[0].commands[2].expanded,
            "RUN --mount=type=cache,target=/cache --network=none --security=insecure make");
  EXPECT_THAT(LoadText("FROM x\nRUN --network=bridge a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("network mode")));
  // Explicit defaults mean the defaults, and stay in the canonical text as written.
  ASSERT_OK_AND_ASSIGN(Dockerfile plain,
                       LoadText("FROM x\nRUN --network=default --security=sandbox a\nRUN b\n"));
  for (const Command& c : plain.stages[0].commands.subspan(1)) {
    EXPECT_EQ(c.name(), "RUN");
    ASSERT_TRUE(c.payload.Is<RunCmd>());
    EXPECT_EQ(c.payload.If<CopyCmd>(), nullptr);
    EXPECT_EQ(c.payload.As<RunCmd>().network, RunCmd::Network::kDefault);
    EXPECT_EQ(c.payload.As<RunCmd>().security, RunCmd::Security::kSandbox);
  }
  EXPECT_EQ(plain.stages[0].commands[1].expanded, "RUN --network=default --security=sandbox a");
  EXPECT_EQ(plain.stages[0].commands[2].expanded, "RUN b");
}

TEST(InstructionsTest, OtherValidation) {
  EXPECT_THAT(LoadText("FROM x\nSHELL /bin/sh -c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON form")));
  EXPECT_THAT(LoadText("FROM x\nWORKDIR\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one")));
  EXPECT_THAT(LoadText("FROM x\nSTOPSIGNAL SIGNOPE\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid signal")));
  EXPECT_THAT(LoadText("FROM x\nVOLUME [\"\"]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty string")));
  EXPECT_THAT(LoadText("FROM x\nENV\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one")));
  ASSERT_OK_AND_ASSIGN(Dockerfile df, LoadText("FROM x\nSTOPSIGNAL SIGRTMIN+3\nWORKDIR /a\n"
                                               "ENV a=1 b=$a\n"));
  EXPECT_EQ(EnvOf(df, "b"), "");  // all pairs of one ENV expand with the env before it
}

// The expanded text of the last command of `text`'s last stage.
std::string LastExpanded(absl::string_view text, LoadOptions opts = {}) {
  absl::StatusOr<Dockerfile> df = LoadText(text, opts);
  if (!df.ok()) return df.status().ToString();
  return std::string(df->stages.back().commands.back().expanded);
}

// A line is its own canonical text only when written exactly so (NameThenWord): upper-case
// keyword, one space, no flags, nothing expanded. Anything else is rebuilt.
TEST(CanonicalTextTest, TheLineAsWrittenOnlyWhenCanonical) {
  EXPECT_EQ(LastExpanded("FROM x\nRUN echo a\n"), "RUN echo a");
  EXPECT_EQ(LastExpanded("FROM x\nrun echo a\n"), "RUN echo a");
  EXPECT_EQ(LastExpanded("FROM x\nRun echo a\n"), "RUN echo a");
  EXPECT_EQ(LastExpanded("FROM x\nRUN  echo a\n"), "RUN echo a");
  EXPECT_EQ(LastExpanded("FROM x\nRUN\techo a\n"), "RUN echo a");
  EXPECT_EQ(LastExpanded("FROM x\nRUN echo a \\\n  b\n"), "RUN echo a   b");
  EXPECT_EQ(LastExpanded("FROM x\nRUN [\"a\", \"b\"]\n"), "RUN [\"a\",\"b\"]");
  EXPECT_EQ(LastExpanded("FROM x\nRUN --network=none echo a\n"), "RUN --network=none echo a");
  EXPECT_EQ(LastExpanded("FROM x\nCMD echo a\n"), "CMD echo a");
  EXPECT_EQ(LastExpanded("FROM x\ncmd echo a\n"), "CMD echo a");
  EXPECT_EQ(LastExpanded("FROM x\nENTRYPOINT  e\n"), "ENTRYPOINT e");
  EXPECT_EQ(LastExpanded("FROM x\nWORKDIR /w\n"), "WORKDIR /w");
  EXPECT_EQ(LastExpanded("FROM x\nworkdir /w\n"), "WORKDIR /w");
  EXPECT_EQ(LastExpanded("FROM x\nENV D=/d\nWORKDIR $D\n"), "WORKDIR /d");
  EXPECT_EQ(LastExpanded("FROM x\nWORKDIR \"/a b\"\n"), "WORKDIR /a b");
  EXPECT_EQ(LastExpanded("FROM x\nUSER \u00e9\n"), "USER \u00e9");
  EXPECT_EQ(LastExpanded("# escape=`\nFROM x\nWORKDIR c:\\w\n"), "WORKDIR c:\\w");
  // A mount is quoted as a whole flag when its expansion needs it (Expand answers for RUN).
  EXPECT_EQ(LastExpanded("FROM x\nRUN --mount=type=cache,target=/c echo\n"),
            "RUN --mount=type=cache,target=/c echo");
  EXPECT_EQ(LastExpanded("FROM x\nRUN --mount=type=cache,target=\"/a b\" echo\n"),
            "RUN \"--mount=type=cache,target=/a b\" echo");
  EXPECT_EQ(LastExpanded("FROM x\nARG T=\"/a\\\\b\"\nRUN --mount=type=cache,target=$T echo\n"),
            "RUN \"--mount=type=cache,target=/a\\\\b\" echo");
}

// A RUN written as its canonical text (`RUN make`) takes a fast path; written otherwise (`run
// make`, two spaces) the same command takes the general one. Both must make the same command.
TEST(CanonicalTextTest, PlainRunAsTheGeneralPath) {
  const char* const preambles[] = {"", "ARG A=1\n", "ARG A=1 B\nENV A=env\n",
                                   "ARG B=2\nARG A=1\nENV C=$B\n", "ARG http_proxy=p\n"};
  const char* const commands[] = {"make",          "echo $A ${B}", "a\"b'c", "echo `x` \\y",
                                  "echo a   && b", "[not json",    "\u00e9"};
  for (const char* preamble : preambles) {
    for (const char* command : commands) {
      for (const char* escape : {"", "# escape=`\n"}) {
        const std::string head = absl::StrCat(escape, "ARG G=g\nFROM x\n", preamble);
        absl::StatusOr<Dockerfile> fast = LoadText(absl::StrCat(head, "RUN ", command, "\n"));
        for (const char* other : {"run ", "RUN  "}) {
          absl::StatusOr<Dockerfile> general = LoadText(absl::StrCat(head, other, command, "\n"));
          ASSERT_TRUE(fast.ok() && general.ok()) << head << command;
          const Command& f = fast->stages[0].commands.back();
          const Command& g = general->stages[0].commands.back();
          EXPECT_EQ(f.expanded, g.expanded) << head << command;
          EXPECT_EQ(f.expanded, absl::StrCat("RUN ", command));
          using ArgList = std::vector<std::pair<absl::string_view, absl::string_view>>;
          EXPECT_EQ(ArgList(f.args_used.begin(), f.args_used.end()),
                    ArgList(g.args_used.begin(), g.args_used.end()))
              << head << command;
          const RunCmd& fr = f.payload.As<RunCmd>();
          const RunCmd& gr = g.payload.As<RunCmd>();
          EXPECT_THAT(fr.command, ElementsAre(command));
          EXPECT_THAT(gr.command, ElementsAre(command));
          EXPECT_EQ(fr.prepend_shell, gr.prepend_shell);
          EXPECT_TRUE(fr.files.empty() && gr.files.empty() && fr.mounts.empty() &&
                      gr.mounts.empty());
          EXPECT_EQ(fr.network, gr.network);
          EXPECT_EQ(fr.security, gr.security);
        }
      }
    }
  }
}

// Flags keep values only for the flags given; lookups must still see every given flag, in any
// order, and nothing else.
TEST(FlagsTest, LookupsSeeExactlyTheFlagsGiven) {
  ASSERT_OK_AND_ASSIGN(
      Dockerfile df,
      LoadText("FROM x AS b\nFROM y\nCOPY --parents --exclude=a --chmod=644 --link=false "
               "--exclude=b --from=b --chown=1 s /d\n"
               "ADD --unpack=false --keep-git-dir=true --checksum=sha256:1 --chmod=u+x "
               "https://e/x /d\n"
               "COPY --link s /d\n"
               "RUN --security=insecure --mount=type=tmpfs,target=/t --network=host "
               "--mount=type=cache,target=/c a\n"));
  const auto& c = df.stages[1].commands[1].payload.As<CopyCmd>();
  EXPECT_EQ(c.from, "b");
  EXPECT_EQ(c.chown, "1");
  EXPECT_EQ(c.chmod, "644");
  EXPECT_FALSE(c.link);
  EXPECT_TRUE(c.parents);
  EXPECT_THAT(c.excludes, ElementsAre("a", "b"));
  EXPECT_EQ(c.checksum, "");
  EXPECT_FALSE(c.unpack.has_value());
  EXPECT_EQ(df.stages[1].commands[1].expanded,
            "COPY --from=b --chown=1 --chmod=644 --exclude=a --exclude=b --parents s /d");
  const auto& a = df.stages[1].commands[2].payload.As<CopyCmd>();
  EXPECT_EQ(a.checksum, "sha256:1");
  EXPECT_EQ(a.chmod, "u+x");
  EXPECT_TRUE(a.keep_git_dir);
  ASSERT_TRUE(a.unpack.has_value());
  EXPECT_FALSE(*a.unpack);
  EXPECT_EQ(a.from, "");
  EXPECT_EQ(df.stages[1].commands[2].expanded,
            "ADD --chmod=u+x --checksum=sha256:1 --keep-git-dir --unpack=false https://e/x /d");
  const auto& l = df.stages[1].commands[3].payload.As<CopyCmd>();
  EXPECT_TRUE(l.link);
  EXPECT_FALSE(l.parents);
  const auto& r = df.stages[1].commands[4].payload.As<RunCmd>();
  ASSERT_EQ(r.mounts.size(), 2u);
  EXPECT_EQ(r.mounts[0].type, Mount::Type::kTmpfs);
  EXPECT_EQ(r.mounts[1].target, "/c");
  EXPECT_EQ(r.network, RunCmd::Network::kHost);
  EXPECT_EQ(r.security, RunCmd::Security::kInsecure);

  EXPECT_THAT(
      LoadText("FROM x\nCOPY --link --chown=1 --link a b\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Duplicate flag specified: link")));
  EXPECT_THAT(
      LoadText("FROM x\nCOPY --chown=1 --chmod=1 --chown=2 a b\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Duplicate flag specified: chown")));
  EXPECT_THAT(
      LoadText("FROM x\nCOPY --chown a b\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Missing a value on flag: chown")));
  EXPECT_THAT(LoadText("FROM x\nCOPY --c=1 a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown flag: --c (COPY accepts --chown, --chmod, --link, "
                                 "--exclude, --from, --parents)")));
  EXPECT_THAT(LoadText("FROM x\nCOPY --=1 a b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag: -- (")));
  EXPECT_THAT(LoadText("FROM x\nWORKDIR --x=1 /a\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown flag: --x (WORKDIR accepts no flags)")));
  // Instructions that accept no flags build a Flags only when given one: the same errors, with
  // the line, for each of them.
  for (absl::string_view line :
       {"ARG --x=1 A", "ENV --x=1 A=b", "LABEL --x=1 a=b", "EXPOSE --x=1 80", "VOLUME --x=1 /v",
        "USER --x=1 u", "STOPSIGNAL --x=1 9", "CMD --x=1 c", "ENTRYPOINT --x=1 e",
        "SHELL --x=1 [\"sh\"]", "ONBUILD --x=1 RUN a"}) {
    const absl::string_view name = line.substr(0, line.find(' '));
    EXPECT_THAT(LoadText(absl::StrCat("FROM x\n", line, "\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("Dockerfile:2: unknown flag: --x (", name,
                                                " accepts no flags)"))))
        << line;
    std::string without = std::string(line);
    without.erase(without.find("--x=1 "), 6);
    EXPECT_OK(LoadText(absl::StrCat("FROM x\n", without, "\n"))) << without;
  }
}

// Only a FROM whose base could be a stage name (lower-cased) is looked up among the stages; the
// rest are images, whose ENV comes from base_env ("scratch" in any case has none).
TEST(ArgScopingTest, FromLooksUpStagesOnlyForNamesAStageCouldHave) {
  std::vector<std::string> asked;
  LoadOptions opts;
  opts.base_env = [&asked](absl::string_view base) {
    asked.emplace_back(base);
    return std::vector<std::string>{"E=image"};
  };
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       ParseAndLoad("FROM img AS Build.1\nENV E=stage\nFROM BUILD.1\n"
                                    "FROM build.1:tag\nFROM Scratch\nFROM scratch:1\n"
                                    "FROM 1build\nFROM img2 AS b-1_x\nFROM B-1_X\n",
                                    {}, opts));
  ASSERT_EQ(df.stages.size(), 8u);
  EXPECT_EQ(df.stages[1].base_stage, 0);
  EXPECT_EQ(EnvOf(df, "E"), "image");  // stage 7 inherits stage 6's image ENV
  EXPECT_THAT(asked, ElementsAre("img", "build.1:tag", "scratch:1", "1build", "img2"));
  EXPECT_THAT(df.stages[1].env, ElementsAre(KV("E", "stage")));
  EXPECT_EQ(df.stages[2].base_stage, -1);
  EXPECT_EQ(df.stages[3].base_stage, -1);
  EXPECT_TRUE(df.stages[3].env.empty());
  EXPECT_EQ(df.stages[7].base_stage, 6);
}

// Build args declared by some ARG (global or in a stage, with or without a value) are used; the
// rest are reported, except proxies and the predefined platform args.
TEST(ArgScopingTest, UnusedBuildArgsAreTheUndeclaredOnes) {
  LoadOptions opts;
  opts.build_args = {{"A", "1"},          {"B", "2"},        {"C", "3"}, {"D", "4"},
                     {"HTTP_PROXY", "p"}, {"TARGETOS", "t"}, {"a", "5"}};
  ASSERT_OK_AND_ASSIGN(Dockerfile df,
                       LoadText("ARG A\nFROM x\nARG B=0 E\nFROM y\nARG D=$B\nRUN echo\n", opts));
  EXPECT_THAT(df.unused_build_args, ElementsAre("C", "a"));
  EXPECT_THAT(df.stages[1].commands[1].payload.As<ArgCmd>().args[0].value,
              ::testing::Optional(absl::string_view("4")));
}

TEST(PlatformTest, Parse) {
  ASSERT_OK_AND_ASSIGN(Platform p, ParsePlatform("Linux/ARM64/v8"));
  EXPECT_EQ(p.ToString(), "linux/arm64/v8");
  EXPECT_THAT(ParsePlatform("amd64"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("OS/ARCH")));
}

}  // namespace
}  // namespace builder::instructions
