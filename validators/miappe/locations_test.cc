#include "validators/miappe/locations.h"

#include <gtest/gtest.h>

#include "validators/miappe/loader.h"
#include "validators/miappe/miappe_json.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

TEST(LocationsTest, ExcelColumnsAndSheetNamesAreWrittenAsExcelDoes) {
  EXPECT_EQ(ExcelColumn(0), "A");
  EXPECT_EQ(ExcelColumn(25), "Z");
  EXPECT_EQ(ExcelColumn(26), "AA");
  EXPECT_EQ(ExcelColumn(701), "ZZ");
  EXPECT_EQ(ExcelColumn(702), "AAA");
  EXPECT_EQ(QuoteSheetName("Study"), "Study");
  EXPECT_EQ(QuoteSheetName("Observation Unit"), "'Observation Unit'");
  EXPECT_EQ(QuoteSheetName("Exp. Factor"), "'Exp. Factor'");
  EXPECT_EQ(QuoteSheetName("Lab's notes"), "'Lab''s notes'");
  EXPECT_EQ(QuoteSheetName("A1"), "'A1'");      // would read as a cell
  EXPECT_EQ(QuoteSheetName("R2C3"), "'R2C3'");  // R1C1 notation too
  EXPECT_EQ(QuoteSheetName("2025"), "'2025'");  // starts with a digit
  EXPECT_EQ(QuoteSheetName("Étude"), "'Étude'");
  EXPECT_EQ(XlsxSheetLocation("book.xlsx", "Observation Unit"), "book.xlsx#'Observation Unit'");
  EXPECT_EQ(JsonPointerToken("a/b~c"), "a~1b~0c");
}

TEST(LocationsTest, TsvFindingsNameLineAndField) {
  std::vector<InputFile> files = {
      {"investigation.tsv", "field\tvalue\ninvestigationId\tI1\ninvestigationTitle\t\nmiappeVersion\t1.2\n"},
      {"study.tsv", "studyId\tstudyTitle\tstudyStartDate\nS1\tT\t03/01/2025\n"}};
  std::vector<Finding> pre;
  Submission sub = LoadSheets(files, Schema::Default(), &pre);
  Report r = Validate(sub, Schema::Default(), {}, pre);
  bool date = false, title = false;
  for (const Finding& f : r.findings) {
    if (f.field == "studyStartDate" && f.code == "FMT-DATE") {
      date = true;
      EXPECT_EQ(f.location, "study.tsv:2:3");
    }
    if (f.field == "investigationTitle" && f.code == "PRE-MANDATORY") {
      title = true;
      EXPECT_EQ(f.location, "investigation.tsv:3:2");  // the field's own row, its value column
    }
  }
  EXPECT_TRUE(date) << r.ToText();
  EXPECT_TRUE(title) << r.ToText();
}

TEST(LocationsTest, JsonFindingsAreJsonPointers) {
  const std::string doc = R"({"format": "fairtrace-miappe-json/1",
    "investigation": {"investigationId": "I1", "miappeVersion": "1.2"},
    "studies": [{"studyId": "S1"}, {"studyId": "S2", "Start date of study": "yesterday"}]})";
  Submission sub;
  std::vector<Finding> pre;
  ReadMiappeJson("sub.json", doc, Schema::Default(), &sub, &pre);
  Report r = Validate(sub, Schema::Default(), {}, pre);
  bool date = false, title = false;
  for (const Finding& f : r.findings) {
    if (f.field == "studyStartDate" && f.code == "FMT-DATE") {
      date = true;
      EXPECT_EQ(f.location, "sub.json#/studies/1/Start date of study");  // the key as written
    }
    if (f.field == "studyTitle" && f.entity_id == "S1" && f.code == "PRE-MANDATORY") {
      title = true;
      EXPECT_EQ(f.location, "sub.json#/studies/0");  // absent: the record
    }
  }
  EXPECT_TRUE(date) << r.ToText();
  EXPECT_TRUE(title) << r.ToText();
}

}  // namespace
}  // namespace fairtrace::miappe
