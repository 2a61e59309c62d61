#include "registry/datasets/item_table.h"

#include <gtest/gtest.h>

namespace fairtrace::datasets {
namespace {

TEST(ItemTableTest, CsvColumnsAreRecognisedAndTheRestKeptAsAttributes) {
  ItemTable t = ParseItemTable("items.csv",
                               "path,Observation Unit,acquired_at,camera,view,plot,genotype\n"
                               "img/a.png,S1-P1,2025-04-01T10:20:00Z,RGB-1,top,3,Col-0\n"
                               "img/b.png,\"S1-P1; S1-P2\",2025-04-02,RGB-1,side,4,\n",
                               TableFormat::kDetect);
  ASSERT_TRUE(t.problems.empty()) << t.problems[0].where << " " << t.problems[0].description;
  EXPECT_TRUE(t.has_link_columns);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].path, "img/a.png");
  EXPECT_EQ(t.rows[0].line, 2);
  ASSERT_EQ(t.rows[0].links.size(), 1u);
  EXPECT_EQ(t.rows[0].links[0].section, "observation_unit");
  EXPECT_EQ(t.rows[0].links[0].value, "S1-P1");
  EXPECT_EQ(t.rows[0].sensor, "RGB-1");
  EXPECT_EQ(t.rows[0].view, "top");
  EXPECT_EQ(t.rows[0].attributes,
            (std::vector<std::pair<std::string, std::string>>{{"genotype", "Col-0"}, {"plot", "3"}}));
  EXPECT_EQ(t.rows[1].links.size(), 2u);
  EXPECT_EQ(t.rows[1].attributes.size(), 1u);  // an empty cell is no attribute
}

TEST(ItemTableTest, TsvAndJsonLinesReadTheSame) {
  ItemTable tsv = ParseItemTable("items.tsv", "path\tsample\tsensor\na.png\tS1-P1-leaf6\tNIR\n", TableFormat::kDetect);
  ItemTable jsonl =
      ParseItemTable("items.jsonl", "{\"path\": \"a.png\", \"sampleId\": [\"S1-P1-leaf6\"], \"sensor\": \"NIR\"}\n\n",
                     TableFormat::kDetect);
  for (const ItemTable* t : {&tsv, &jsonl}) {
    ASSERT_TRUE(t->problems.empty());
    ASSERT_EQ(t->rows.size(), 1u);
    EXPECT_EQ(t->rows[0].links.at(0).section, "sample");
    EXPECT_EQ(t->rows[0].links.at(0).value, "S1-P1-leaf6");
    EXPECT_EQ(t->rows[0].sensor, "NIR");
  }
}

TEST(ItemTableTest, EveryProblemIsReportedWithItsLine) {
  ItemTable t = ParseItemTable("items.csv",
                               "path,acquired_at\n"
                               "a.png,2025-02-30\n"
                               ",2025-04-01\n"
                               "c.png,01/04/2025\n",
                               TableFormat::kCsv);
  ASSERT_EQ(t.problems.size(), 3u);
  EXPECT_EQ(t.problems[0].where, "items.csv:2 (acquired_at)");
  EXPECT_EQ(t.problems[1].where, "items.csv:3 (path)");
  EXPECT_EQ(t.problems[2].where, "items.csv:4 (acquired_at)");
  EXPECT_EQ(ParseItemTable("t.csv", "file,view\na.png,top\n", TableFormat::kCsv).problems.at(0).description,
            "no path column: the header must name one (path)");
  EXPECT_FALSE(ParseItemTable("t.csv", "path\n\xff\xfe.png\n", TableFormat::kCsv).problems.empty());  // not UTF-8
  EXPECT_FALSE(ParseItemTable("t.jsonl", "{\"path\": 1\n", TableFormat::kJsonl).problems.empty());    // broken JSON
  EXPECT_FALSE(ParseItemTable("t.csv", "path,obsUnitId,observation_unit\na,b,c\n", TableFormat::kCsv)
                   .problems.empty());  // two columns for one field
  TableLimits small;
  small.max_rows = 2;
  EXPECT_FALSE(ParseItemTable("t.csv", "path\na\nb\nc\n", TableFormat::kCsv, small).problems.empty());
}

TEST(ItemTableTest, Iso8601) {
  for (const char* ok : {"2025-04-01", "2025-04-01T10:20", "2025-04-01T10:20:30", "2025-04-01T10:20:30.125Z",
                         "2025-04-01T10:20:30+02:00", "2024-02-29"}) {
    EXPECT_TRUE(IsIso8601(ok)) << ok;
  }
  for (const char* bad : {"2025-4-1", "2025-02-29", "2025-04-01T25:00", "2025-04-01T10:20:30+2", "20250401", "",
                          "2025-04-01T10:20:30.Z", "2025-04-01Z"}) {
    EXPECT_FALSE(IsIso8601(bad)) << bad;
  }
}

}  // namespace
}  // namespace fairtrace::datasets
