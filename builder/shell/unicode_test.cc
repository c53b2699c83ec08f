#include "builder/shell/unicode.h"

#include "gtest/gtest.h"

namespace builder::shell {
namespace {

TEST(UnicodeTest, GoQuoteMatchesStrconvQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote(std::string("\t\n\r\a\b\f\v", 7)), "\"\\t\\n\\r\\a\\b\\f\\v\"");
  EXPECT_EQ(GoQuote(std::string("\0\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(GoQuote("\xe2\x99\xa5"), "\"\xe2\x99\xa5\"");      // ♥ stays literal
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");                     // invalid UTF-8
  EXPECT_EQ(GoQuote("\xc2\xa0"), "\"\\u00a0\"");               // NBSP is not printable
  EXPECT_EQ(GoQuote("\xef\xbb\xbf"), "\"\\ufeff\"");           // BOM
  EXPECT_EQ(GoQuote("\xf3\xa0\x80\x81"), "\"\\U000e0001\"");   // a format rune above the BMP
}

TEST(UnicodeTest, DecodeRejectsInvalidSequences) {
  char32_t r;
  EXPECT_EQ(DecodeRune("\xc0\x80", 0, &r), 1);  // overlong
  EXPECT_EQ(r, kRuneError);
  EXPECT_EQ(DecodeRune("\xed\xa0\x80", 0, &r), 1);  // surrogate
  EXPECT_EQ(r, kRuneError);
  EXPECT_EQ(DecodeRune("\xed\x95\x9c", 0, &r), 3);
  EXPECT_EQ(r, 0xD55Cu);
}

TEST(UnicodeTest, Classes) {
  EXPECT_TRUE(IsSpace(0xA0));
  EXPECT_TRUE(IsSpace(0x85));
  EXPECT_FALSE(IsSpace(0x200B));
  EXPECT_TRUE(IsLetter(0xD55C));  // Hangul
  EXPECT_FALSE(IsLetter('1'));
  EXPECT_TRUE(IsDigit(0x0663));
}

// IsAsciiNonSpace tests printable ASCII with one range compare, then the control bytes: it must
// hold exactly for the ASCII bytes that are not white space, and for no byte >= 0x80 (0x85 and
// 0xA0 may start or end a space; other high bytes are left to TrimSpaceSlow), for all 256 bytes.
TEST(UnicodeTest, AsciiNonSpaceAgreesWithIsSpace) {
  for (int b = 0; b < 256; ++b) {
    const bool expected = b < 0x80 && !IsSpace(static_cast<char32_t>(b));
    EXPECT_EQ(IsAsciiNonSpace(static_cast<char>(b)), expected) << b;
  }
  EXPECT_EQ(TrimSpace("\x7f a \x01"), "\x7f a \x01");
  EXPECT_EQ(TrimSpace(" \ta\r\n"), "a");
  EXPECT_EQ(TrimSpace("\xc2\xa0"
                      "a"
                      "\xc2\x85"),
            "a");
  EXPECT_EQ(TrimLeftSpace("!x "), "!x ");
  EXPECT_EQ(TrimLeftSpace("\va"), "a");
}

}  // namespace
}  // namespace builder::shell
