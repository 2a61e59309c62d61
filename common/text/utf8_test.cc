#include "common/text/utf8.h"

#include <random>

#include <gtest/gtest.h>

namespace fairtrace::text {
namespace {

TEST(Utf8Test, ValidatesWellFormedSequencesOnly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(
      IsValidUtf8("Orl\xC3\xA9"
                  "ans \xE2\x82\xAC \xF0\x9F\x8C\xB1"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong 2-byte
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xC3"));           // cut sequence
  EXPECT_EQ(FirstInvalidUtf8("ab\xFF"
                             "c"),
            2u);
  EXPECT_EQ(FirstInvalidUtf8("ok"), std::nullopt);
}

TEST(Utf8Test, TruncatesOnCharacterBoundaries) {
  // The audit-log poisoning case: 79 x 'a' + 'é' cut at 80 must keep the é whole.
  std::string id = std::string(79, 'a') + "\xC3\xA9";
  EXPECT_EQ(TruncateCodePoints(id, 80), id);
  EXPECT_EQ(TruncateCodePoints(id, 79), std::string(79, 'a'));
  EXPECT_EQ(TruncateCodePoints("\xF0\x9F\x8C\xB1\xF0\x9F\x8C\xB1", 1), "\xF0\x9F\x8C\xB1");
  EXPECT_EQ(CodePointCount(id), 80u);
}

TEST(Utf8Test, ClipTextIsAlwaysValidAndBounded) {
  EXPECT_EQ(ClipText("abc", 10), "abc");
  EXPECT_EQ(ClipText("abcdef", 3), "abc\u2026");
  EXPECT_EQ(ClipText("a\xFF"
                     "b",
                     10),
            "a\\xffb");
  EXPECT_EQ(ClipText(std::string("a\0b", 3), 10), "a\\x00b");
  EXPECT_EQ(ClipText(std::string(79, 'a') + "\xC3\xA9"
                                            "x",
                     80),
            std::string(79, 'a') + "\xC3\xA9\u2026");
}

TEST(Utf8Test, BoundTextKeepsShortValidTextAsItIs) {
  EXPECT_EQ(BoundText("line\nbreak", 20), "line\nbreak");
  EXPECT_EQ(BoundText("a\xFF", 20), "a\\xff");
  EXPECT_EQ(BoundText("abcdef", 3), "abc\u2026");
}

TEST(Utf8Test, EscapeIsReversibleAndInjective) {
  const std::vector<std::string> cases = {"",
                                          "plain",
                                          "back\\slash",
                                          "\\x41",
                                          "a\xFF",
                                          "\xC3\xA9",
                                          std::string("nul\0", 4),
                                          "\x1b[31m",
                                          "\xE2\x80\xAE"
                                          "rtl"};
  for (const auto& c : cases) {
    std::string e = EscapeText(c);
    EXPECT_TRUE(IsValidUtf8(e)) << e;
    auto back = UnescapeText(e);
    ASSERT_TRUE(back.has_value()) << e;
    EXPECT_EQ(*back, c);
  }
  // A literal "\x41" and the byte 'A' are different inputs with different records.
  EXPECT_NE(EscapeText("\\x41"), EscapeText("A"));
  EXPECT_EQ(EscapeText("a\xFF"), "a\\xff");
  EXPECT_EQ(EscapeText("\\"), "\\\\");
  // Non-canonical escapings are refused.
  EXPECT_EQ(UnescapeText("\\x41"), std::nullopt);
  EXPECT_EQ(UnescapeText("\\q"), std::nullopt);
  EXPECT_EQ(UnescapeText("\\"), std::nullopt);
}

TEST(Utf8Test, RandomBytesRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string e = EscapeText(s);
    ASSERT_TRUE(IsValidUtf8(e));
    ASSERT_EQ(UnescapeText(e), s);
    ASSERT_TRUE(IsValidUtf8(ClipText(s, rng() % 50)));
    ASSERT_LE(TruncateCodePoints(s, 5).size(), s.size());
  }
}

}  // namespace
}  // namespace fairtrace::text
