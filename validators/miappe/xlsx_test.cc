#include "validators/miappe/xlsx.h"

#include <fstream>
#include <functional>
#include <map>

#include <gtest/gtest.h>

#include "validators/miappe/loader.h"
#include "validators/miappe/testing/template_copy.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/xlsx/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Report ValidateWorkbook(const std::string& name, const std::string& data) {
  std::vector<Finding> pre;
  Submission sub = LoadSheets({{name, data}}, Schema::Default(), &pre);
  return Validate(sub, Schema::Default(), {}, std::move(pre));
}

TEST(XlsxTest, TheValidWorkbookReadsLikeItsTsvSheets) {
  std::vector<Finding> f;
  auto sheets = ReadXlsx("valid.xlsx", Fixture("valid-1.2.xlsx"), &f);
  ASSERT_EQ(sheets.size(), 11u);
  EXPECT_EQ(sheets[1].first, "Study");
  const Table& study = sheets[1].second;
  EXPECT_EQ(study.rows[0][0], "studyId");
  EXPECT_EQ(study.rows[1][3], "2025-03-01");  // a date cell, converted...
  EXPECT_EQ(study.rows[1][8], "43.61");       // a number, as written
  EXPECT_EQ(study.lines[1], 2);
  int conversions = 0;
  for (const Finding& x : f) {
    if (x.code == "FMT-DATE-EXCEL-SERIAL") {
      ++conversions;
      EXPECT_EQ(x.severity, Severity::kInfo);  // ...and reported, never silently
      EXPECT_FALSE(x.value.empty());
      EXPECT_TRUE(x.field == "studyStartDate" || x.field == "studyEndDate") << x.field;  // names its field
    }
  }
  EXPECT_EQ(conversions, 4);  // start and end of two studies
  Report r = ValidateWorkbook("valid.xlsx", Fixture("valid-1.2.xlsx"));
  EXPECT_EQ(r.profile, "MIAPPE 1.2");
  for (const Finding& x : r.findings) {
    if (x.code == "FMT-DATE-EXCEL-SERIAL") {
      EXPECT_EQ(x.section, "study") << x.location;  // reader findings name their section too
    }
  }
  EXPECT_EQ(r.Count(Severity::kError), 0) << r.ToText();
  EXPECT_EQ(r.Count(Severity::kWarning), 0) << r.ToText();
}

TEST(XlsxTest, NotAZipNotAWorkbookCorruptOrMalformedGiveReports) {
  for (const auto& [name, data] :
       std::vector<std::pair<std::string, std::string>>{{"text.xlsx", "studyId\tstudyTitle\n"},
                                                        {"not-a-workbook.xlsx", Fixture("not-a-workbook.xlsx")},
                                                        {"truncated.xlsx", Fixture("truncated.xlsx")},
                                                        {"empty.xlsx", ""}}) {
    std::vector<Finding> f;
    auto sheets = ReadXlsx(name, data, &f);
    EXPECT_TRUE(sheets.empty()) << name;
    ASSERT_FALSE(f.empty()) << name;
    EXPECT_EQ(f[0].code, "SYN-01");
    EXPECT_EQ(f[0].severity, Severity::kError);
  }
  std::vector<Finding> f;
  auto sheets = ReadXlsx("bad-xml.xlsx", Fixture("bad-xml.xlsx"), &f);
  EXPECT_EQ(sheets.size(), 10u);  // the broken Study sheet is reported, the others read
  bool reported = false;
  for (const Finding& x : f) reported = reported || x.message.find("malformed XML") != std::string::npos;
  EXPECT_TRUE(reported);
  // Through the loader, a broken workbook still yields a full report.
  Report r = ValidateWorkbook("bad-xml.xlsx", Fixture("bad-xml.xlsx"));
  EXPECT_FALSE(r.ok());
}

TEST(XlsxTest, UnpackLimitsStopZipBombs) {
  std::vector<Finding> f;
  XlsxLimits tiny;
  tiny.max_part_bytes = 200;
  auto sheets = ReadXlsx("valid.xlsx", Fixture("valid-1.2.xlsx"), &f, tiny);
  bool limited = false;
  for (const Finding& x : f) limited = limited || x.message.find("limit") != std::string::npos;
  EXPECT_TRUE(limited);
  EXPECT_TRUE(sheets.empty());
}

// An optional part over the limit is an error naming it, not a silent drop
// that makes every text cell look empty (sharedStrings.xml is 8,774 bytes
// in the fixture; every other part is under 2,000).
TEST(XlsxTest, AnOptionalPartOverTheLimitIsAnError) {
  std::vector<Finding> f;
  XlsxLimits limits;
  limits.max_part_bytes = 4000;
  ReadXlsx("valid.xlsx", Fixture("valid-1.2.xlsx"), &f, limits);
  int named = 0;
  for (const Finding& x : f) {
    if (x.severity == Severity::kError && x.location.find("sharedStrings.xml") != std::string::npos) ++named;
  }
  EXPECT_EQ(named, 1);
}

// The fixture workbook with `edit` applied to each named part: how tests
// make the variants people send.
std::string EditedFixture(const std::map<std::string, std::function<void(std::string&)>>& edits) {
  auto book = testing::TemplateCopy::Open(std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/xlsx/valid-1.2.xlsx");
  for (const auto& [part, edit] : edits) book.Edit(part, edit);
  return book.Bytes();
}

// Merged cells that can hide values get a finding; merges only in column A
// (how the official templates draw their banners) do not.
TEST(XlsxTest, MergedCellsRightOfColumnAOrOverTheHeaderAreReported) {
  std::string book =
      EditedFixture({{"xl/worksheets/sheet2.xml", [](std::string& xml) {
                        const std::string merges =
                            "<mergeCells count=\"3\"><mergeCell ref=\"B2:C2\"/><mergeCell "
                            "ref=\"A2:A3\"/><mergeCell ref=\"D1:D2\"/></mergeCells>";
                        xml.insert(xml.find("</sheetData>") + std::string("</sheetData>").size(), merges);
                      }}});
  std::vector<Finding> f;
  auto sheets = ReadXlsx("edited.xlsx", book, &f);
  ASSERT_GE(sheets.size(), 2u);
  EXPECT_EQ(sheets[1].second.merged_ranges, (std::vector<std::string>{"B2:C2", "D1:D2"}));
  Report r = ValidateWorkbook("edited.xlsx", book);
  int merged = 0;
  for (const Finding& x : r.findings) {
    if (x.code == "SYN-01" && x.message.find("merged cells") != std::string::npos) {
      ++merged;
      EXPECT_EQ(x.section, "study");
    }
  }
  EXPECT_EQ(merged, 2) << r.ToText();
}

// A filled cell right of the header is an error on a MIAPPE sheet, and
// kept on a sheet kept whole (the templates' README and appendix sheets
// have text in many columns: 577 to 677 false errors before).
TEST(XlsxTest, CellsRightOfTheHeaderAreErrorsOnlyInMiappeSheets) {
  auto stray_in_row_2 = [](std::string& xml) {
    const size_t row2 = xml.find("<row r=\"2\"");
    ASSERT_NE(row2, std::string::npos);
    xml.insert(xml.find("</row>", row2), "<c r=\"Z2\" t=\"inlineStr\"><is><t>stray</t></is></c>");
  };
  std::string book = EditedFixture({{"xl/worksheets/sheet2.xml", stray_in_row_2},   // Study
                                    {"xl/worksheets/sheet10.xml", stray_in_row_2},  // Sample, renamed:
                                    {"xl/workbook.xml", [](std::string& xml) {
                                       xml.replace(xml.find("name=\"Sample\""), 13, "name=\"Lab notes\"");
                                     }}});
  std::vector<InputFile> in = {{"edited.xlsx", book}};
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  int right_of_header = 0;
  for (const Finding& f : pre) {
    if (f.message == "a filled cell right of the last header column") {
      ++right_of_header;
      EXPECT_EQ(f.section, "study");
      EXPECT_EQ(f.location, "edited.xlsx#Study!Z2");
    }
  }
  EXPECT_EQ(right_of_header, 1);
  ASSERT_TRUE(sub.extension_sheets.contains("Lab notes"));
  const auto& notes = sub.extension_sheets.at("Lab notes");
  ASSERT_GE(notes.size(), 2u);
  EXPECT_EQ(notes[1].back(), "stray");  // kept whole
}

// Old Mac Excel counts days from 1904-01-01: the same serial is 1,462 days
// later than in the 1900 system.
TEST(XlsxTest, The1904DateSystemIsRead) {
  std::vector<Finding> f1900;
  auto plain = ReadXlsx("valid.xlsx", Fixture("valid-1.2.xlsx"), &f1900);
  std::string book = EditedFixture({{"xl/workbook.xml", [](std::string& xml) {
                                       const size_t at = xml.find("<sheets>");
                                       xml.insert(at, "<workbookPr date1904=\"1\"/>");
                                     }}});
  std::vector<Finding> f1904;
  auto mac = ReadXlsx("mac.xlsx", book, &f1904);
  ASSERT_GE(mac.size(), 2u);
  EXPECT_EQ(plain[1].second.rows[1][3], "2025-03-01");
  EXPECT_EQ(mac[1].second.rows[1][3], "2029-03-02");  // + 1,462 days
  bool said = false;
  for (const Finding& x : f1904) said = said || x.message.find("1904 date system") != std::string::npos;
  EXPECT_TRUE(said);
}

// Rows and cells out of document order (hand-written or generated files)
// read as where they are: sorted by row and column, the later of two
// values for one cell winning.
TEST(XlsxTest, RowsAndCellsOutOfOrderAreSorted) {
  std::vector<Finding> f;
  auto plain = ReadXlsx("valid.xlsx", Fixture("valid-1.2.xlsx"), &f);
  std::string book =
      EditedFixture({{"xl/worksheets/sheet2.xml", [](std::string& xml) {
                        // Row 2 moves after row 3; row 3 gets a stray cell A3 at its end.
                        const size_t r2 = xml.find("<row r=\"2\"");
                        const size_t r3 = xml.find("<row r=\"3\"");
                        const size_t r3_end = xml.find("</row>", r3) + 6;
                        std::string row2 = xml.substr(r2, r3 - r2);
                        std::string row3 = xml.substr(r3, r3_end - r3);
                        row3.insert(row3.size() - 6, "<c r=\"A3\" t=\"inlineStr\"><is><t>S9</t></is></c>");
                        xml.replace(r2, r3_end - r2, row3 + row2);
                      }}});
  std::vector<Finding> g;
  auto edited = ReadXlsx("edited.xlsx", book, &g);
  ASSERT_GE(edited.size(), 2u);
  const Table& a = plain[1].second;
  const Table& b = edited[1].second;
  ASSERT_EQ(b.lines, a.lines);
  EXPECT_EQ(b.rows[1], a.rows[1]);  // row 2, intact, back in its place
  EXPECT_EQ(b.rows[2][0], "S9");    // the later A3 won
  for (size_t c = 1; c < a.rows[2].size(); ++c) EXPECT_EQ(b.rows[2][c], a.rows[2][c]);
}

}  // namespace
}  // namespace fairtrace::miappe
