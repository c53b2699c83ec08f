#include "pusher/auth/challenge.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pusher {
namespace {

TEST(ChallengeTest, ParsesBearerWithQuotedParams) {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.example/token");
  EXPECT_EQ(c[0].Param("service"), "registry.example");
  EXPECT_EQ(c[0].Param("scope"), "repository:a/b:pull,push");
}

TEST(ChallengeTest, ParsesBasicAndUnquotedAndEscapes) {
  auto c = ParseWwwAuthenticate(R"(Basic realm="Registry \"R\"", charset=UTF-8)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "Registry \"R\"");
  EXPECT_EQ(c[0].Param("charset"), "UTF-8");
}

TEST(ChallengeTest, ParsesSeveralChallengesInOneHeader) {
  auto c = ParseWwwAuthenticate(R"(Basic realm="a", Bearer realm="https://t",error="insufficient_scope")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].Param("error"), "insufficient_scope");
}

TEST(ChallengeTest, EmptyHeaderGivesNothing) {
  EXPECT_TRUE(ParseWwwAuthenticate("").empty());
  EXPECT_TRUE(ParseWwwAuthenticate("  ,  ").empty());
}

}  // namespace
}  // namespace pusher
