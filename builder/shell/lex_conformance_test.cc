// Runs BuildKit's shell-lexer corpora (envVarTest: single-word expansion; wordsTest: expansion plus
// word splitting) through builder::shell::Lexer, in the formats described in
// ../shared/conformance/buildkit-dockerfile/README.md §4-5. Prints the pass counts.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "builder/shell/lex.h"
#include "builder/shell/testing/conformance.h"
#include "gtest/gtest.h"

namespace builder::shell {
namespace {

// Go's strings.TrimSpace for the ASCII whitespace the corpora use.
absl::string_view TrimSpace(absl::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
                                   c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

TEST(LexConformanceTest, EnvVarTest) {
  auto dir = builder::testing::BuildkitDockerfileDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto data = builder::testing::ReadRaw(*dir + "/shell/envVarTest");
  ASSERT_TRUE(data.ok()) << data.status();

  MapEnv env;
  env.Set("PWD", "/home");
  env.Set("SHELL", "bash");
  env.Set("KOREAN", "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
  env.Set("NULL", "");
  Lexer lexer;

  int passed = 0, failed = 0, windows_only = 0, errors_expected = 0;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(*data, '\n')) {
    ++line_no;
    if (!raw.empty() && raw[0] == '#') continue;
    absl::string_view line = TrimSpace(raw);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, '|');
    ASSERT_EQ(fields.size(), 3u) << "envVarTest:" << line_no << ": want 3 fields: " << line;
    absl::string_view platform = TrimSpace(fields[0]);
    std::string input(TrimSpace(fields[1]));
    std::string expected(TrimSpace(fields[2]));
    ASSERT_TRUE(platform == "A" || platform == "U" || platform == "W")
        << "envVarTest:" << line_no << ": bad platform " << platform;
    if (platform == "W") {
      // Windows-only: there, variable names are case-insensitive ($pwd is $PWD). slipway builds
      // Linux images only, so these lines do not apply.
      ++windows_only;
      std::cout << "skipped (Windows-only, case-insensitive env names): envVarTest:" << line_no
                << ": " << line << "\n";
      continue;
    }
    absl::StatusOr<std::string> got = lexer.ProcessWord(input, env);
    bool ok;
    if (expected == "error") {
      ++errors_expected;
      ok = !got.ok();
    } else {
      ok = got.ok() && *got == expected;
    }
    if (ok) {
      ++passed;
    } else {
      ++failed;
      ADD_FAILURE() << "envVarTest:" << line_no << ": input [" << input << "] want [" << expected
                    << "] got " << (got.ok() ? "[" + *got + "]" : got.status().ToString());
    }
  }
  std::cout << "envVarTest: " << passed << " passed, " << failed << " failed, " << windows_only
            << " Windows-only skipped (" << errors_expected << " expected errors)\n";
  EXPECT_EQ(passed + failed + windows_only, 230);
  EXPECT_EQ(failed, 0);
}

TEST(LexConformanceTest, WordsTest) {
  auto dir = builder::testing::BuildkitDockerfileDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto data = builder::testing::ReadRaw(*dir + "/shell/wordsTest");
  ASSERT_TRUE(data.ok()) << data.status();

  MapEnv env;
  Lexer lexer;
  int passed = 0, failed = 0, env_lines = 0;
  std::vector<absl::string_view> lines = absl::StrSplit(*data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    int line_no = static_cast<int>(i) + 1;
    if (!line.empty() && line[0] == '#') continue;
    if (absl::StartsWith(line, "ENV ")) {
      absl::string_view def = line.substr(4);
      while (!def.empty() && def.front() == ' ') def.remove_prefix(1);
      size_t eq = def.find('=');
      ASSERT_NE(eq, absl::string_view::npos) << "wordsTest:" << line_no;
      env.Set(std::string(def.substr(0, eq)), std::string(def.substr(eq + 1)));
      ++env_lines;
      continue;
    }
    std::vector<absl::string_view> parts = absl::StrSplit(line, '|');
    ASSERT_EQ(parts.size(), 2u) << "wordsTest:" << line_no << ": want one '|': " << line;
    std::string input(TrimSpace(parts[0]));
    absl::string_view right = parts[1];
    while (!right.empty() && right.front() == ' ') right.remove_prefix(1);
    std::vector<std::string> expected = absl::StrSplit(right, ',');
    absl::StatusOr<std::vector<std::string>> got = lexer.ProcessWords(input, env);
    std::vector<std::string> words = got.ok() ? *got : std::vector<std::string>{"error"};
    if (words == expected) {
      ++passed;
    } else {
      ++failed;
      ADD_FAILURE() << "wordsTest:" << line_no << ": input [" << input << "] want ["
                    << absl::StrJoin(expected, "|") << "] got [" << absl::StrJoin(words, "|")
                    << "]";
    }
  }
  std::cout << "wordsTest: " << passed << " passed, " << failed << " failed (" << env_lines
            << " ENV lines)\n";
  EXPECT_EQ(passed + failed, 24);
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace builder::shell
