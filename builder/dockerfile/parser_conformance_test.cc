// BuildKit's parser corpus (../shared/conformance/buildkit-dockerfile/parser, README §1-3), run in
// place from @conformance: every positive case's Dump() must equal its `result` byte for byte, every
// negative case must be refused, and testfile-line must give upstream's line numbers.
#include <iostream>
#include <string>

#include "builder/dockerfile/parser.h"
#include "builder/shell/testing/conformance.h"
#include "gtest/gtest.h"

namespace builder::dockerfile {
namespace {

TEST(ParserConformanceTest, PositiveCasesDumpLikeBuildkit) {
  auto dir = builder::testing::BuildkitDockerfileDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string base = *dir + "/parser/testfiles";
  auto cases = builder::testing::ListSubdirs(base);
  ASSERT_TRUE(cases.ok()) << cases.status();
  int passed = 0, failed = 0, lines = 0;
  for (const std::string& name : *cases) {
    auto input = builder::testing::ReadRaw(base + "/" + name + "/Dockerfile");
    auto expected = builder::testing::ReadRaw(base + "/" + name + "/result");
    ASSERT_TRUE(input.ok() && expected.ok()) << name;
    absl::StatusOr<Ast> ast = Parse(*input);
    if (!ast.ok()) {
      ++failed;
      ADD_FAILURE() << name << ": parse failed: " << ast.status();
      continue;
    }
    std::string got = Dump(*ast);
    if (got == *expected) {
      ++passed;
      lines += static_cast<int>(ast->children.size());
    } else {
      ++failed;
      ADD_FAILURE() << name << ": dump differs\n--- want\n" << *expected << "--- got\n" << got;
    }
  }
  std::cout << "parser testfiles: " << passed << " passed, " << failed << " failed (" << lines
            << " result lines)\n";
  EXPECT_EQ(passed + failed, 33);
  EXPECT_EQ(failed, 0);
}

TEST(ParserConformanceTest, NegativeCasesAreRefused) {
  auto dir = builder::testing::BuildkitDockerfileDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::string base = *dir + "/parser/testfiles-negative";
  auto cases = builder::testing::ListSubdirs(base);
  ASSERT_TRUE(cases.ok()) << cases.status();
  int refused = 0;
  for (const std::string& name : *cases) {
    auto input = builder::testing::ReadRaw(base + "/" + name + "/Dockerfile");
    ASSERT_TRUE(input.ok()) << name;
    absl::StatusOr<Ast> ast = Parse(*input);
    if (ast.ok()) {
      ADD_FAILURE() << name << ": parsed but must fail:\n" << Dump(*ast);
    } else {
      ++refused;
      std::cout << "negative " << name << ": " << ast.status().message() << "\n";
    }
  }
  std::cout << "parser testfiles-negative: " << refused << " of " << cases->size() << " refused\n";
  EXPECT_EQ(cases->size(), 4u);
  EXPECT_EQ(refused, static_cast<int>(cases->size()));
}

TEST(ParserConformanceTest, LineNumbers) {
  auto dir = builder::testing::BuildkitDockerfileDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto input = builder::testing::ReadRaw(*dir + "/parser/testfile-line/Dockerfile");
  ASSERT_TRUE(input.ok());
  absl::StatusOr<Ast> ast = Parse(*input);
  ASSERT_TRUE(ast.ok()) << ast.status();
  // Values from parser/testfile-line/expected-lines.json.
  EXPECT_EQ(ast->start_line, 5);
  EXPECT_EQ(ast->end_line, 31);
  ASSERT_EQ(ast->children.size(), 3u);
  EXPECT_EQ(ast->children[0].lower, "from");
  EXPECT_EQ(ast->children[0].start_line, 5);
  EXPECT_EQ(ast->children[0].end_line, 5);
  EXPECT_EQ(ast->children[1].lower, "env");
  EXPECT_EQ(ast->children[1].start_line, 11);
  EXPECT_EQ(ast->children[1].end_line, 12);
  EXPECT_EQ(ast->children[2].lower, "run");
  EXPECT_EQ(ast->children[2].start_line, 17);
  EXPECT_EQ(ast->children[2].end_line, 31);
}

}  // namespace
}  // namespace builder::dockerfile
