#include "validators/miappe/tsv.h"

#include <gtest/gtest.h>

namespace fairtrace::miappe {
namespace {

Table Parse(const std::string& data, std::vector<Finding>* f) { return ParseTsv("t.tsv", data, f); }

TEST(TsvTest, QuotedCellsHoldTabsNewlinesAndQuotes) {
  std::vector<Finding> f;
  Table t = Parse("a\tb\r\n\"x\ty\"\t\"line1\nline2 \"\"q\"\"\"\n\nlast\tz", &f);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[1][0], "x\ty");
  EXPECT_EQ(t.rows[1][1], "line1\nline2 \"q\"");
  EXPECT_EQ(t.lines[2], 5);  // blank line skipped, line numbers kept
  EXPECT_TRUE(f.empty());
}

TEST(TsvTest, BomIsDroppedWithANote) {
  std::vector<Finding> f;
  Table t = Parse("\xEF\xBB\xBFstudyId\nS1\n", &f);
  EXPECT_EQ(t.rows[0][0], "studyId");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kInfo);
}

TEST(TsvTest, RaggedRowsAreReportedAndPadded) {
  std::vector<Finding> f;
  Table t = Parse("a\tb\tc\n1\t2\n1\t2\t3\t4\n1\t2\t3\t\t\n", &f);
  ASSERT_EQ(t.rows.size(), 4u);
  for (const auto& r : t.rows) EXPECT_EQ(r.size(), 3u);
  ASSERT_EQ(f.size(), 2u);  // trailing empty cells are not an error
  EXPECT_EQ(f[0].location, "t.tsv:2");
  EXPECT_EQ(f[1].location, "t.tsv:3");
}

TEST(TsvTest, BrokenQuotingAndBadUtf8AreErrorsNotCrashes) {
  std::vector<Finding> f;
  Table t = Parse("a\tb\n\"never closed\tx\ny\n", &f);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_NE(f[0].message.find("never closed"), std::string::npos);
  f.clear();
  t = Parse("name\nCaf\xE9\n\xC0\xAF\n", &f);  // Latin-1 and an overlong slash
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location, "t.tsv:2");
  EXPECT_TRUE(IsValidUtf8(t.rows[1][0]));
  EXPECT_EQ(t.rows[1][0], "Caf\xEF\xBF\xBD");
}

TEST(TsvTest, Utf8Validation) {
  EXPECT_TRUE(
      IsValidUtf8("Orl\xC3\xA9"
                  "ans \xE2\x82\xAC \xF0\x9F\x8C\xB1"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace fairtrace::miappe
