// The official MIAPPE spreadsheet templates (../shared/miappe-examples/
// templates, CC BY-SA 4.0) read exactly as they are laid out: empty, filled
// in test code with the valid fixture submission, with one defect at a
// time, and in the layouts people make from them.
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/sheet_layout.h"
#include "validators/miappe/testing/template_copy.h"
#include "validators/miappe/validator.h"
#include "validators/miappe/xlsx.h"

namespace fairtrace::miappe {
namespace {

using testing::CellRef;
using testing::TemplateCopy;

const char kV11[] = "MIAPPEv1.1_training_spreadsheet.xlsx";
const char kV12[] = "MIAPPE_Spreadsheet_Template-v1.2.xlsx";
const char kV12Minimal[] = "MIAPPE_Minimal_Spreadsheet_Template-v1.2.xlsx";

std::string TemplatePath(const std::string& name) {
  return absl::StrCat(FAIRTRACE_SHARED_DIR, "/miappe-examples/templates/", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Report ValidateBook(const std::string& name, const std::string& bytes) {
  std::vector<Finding> pre;
  Submission sub = LoadSheets({{name, bytes}}, Schema::Default(), &pre);
  return Validate(sub, Schema::Default(), {}, std::move(pre));
}

Table FixtureSheet(const std::string& section) {
  const std::string stem = section == "factor" ? "experimental_factor" : section;
  const std::string path = absl::StrCat(FAIRTRACE_MIAPPE_FIXTURES, "/valid-1.2/", stem, ".tsv");
  std::vector<Finding> ignored;
  return ParseTsv(stem, ReadFile(path), &ignored);
}

// Only the rows of study S1 of a fixture sheet, study lists cut to "S1":
// the minimal template links units to studies through their material.
Table OnlyStudyS1(Table t) {
  size_t col = t.rows[0].size();
  for (size_t c = 0; c < t.rows[0].size(); ++c) {
    if (t.rows[0][c] == "studyId") col = c;
  }
  if (col == t.rows[0].size()) return t;
  Table out;
  out.rows.push_back(t.rows[0]);
  for (size_t r = 1; r < t.rows.size(); ++r) {
    if (t.rows[r][col].find("S1") == std::string::npos) continue;
    out.rows.push_back(t.rows[r]);
    out.rows.back()[col] = "S1";
  }
  return out;
}

// A copy of the template `name` filled with the valid fixture submission
// (tests/fixtures/miappe/valid-1.2), miappeVersion set to `version`: every
// section the template has a sheet for, every field it has a column or row
// for, from the template's first data row on — as a data manager fills it.
// `one_study`: study S1 only.
TemplateCopy FillTemplate(const std::string& name, const std::string& version, bool one_study = false) {
  TemplateCopy book = TemplateCopy::Open(TemplatePath(name));
  std::vector<Finding> ignored;
  const Schema& schema = Schema::Default();
  for (const auto& [sheet, table] : ReadXlsx(name, ReadFile(TemplatePath(name)), &ignored)) {
    const SectionRule* section = schema.SectionForFile(sheet);
    if (section == nullptr || table.rows.empty()) continue;
    const SheetShape shape = DetectLayout(table, section, schema);
    const Table data = one_study ? OnlyStudyS1(FixtureSheet(section->section)) : FixtureSheet(section->section);
    auto value_of = [&](size_t row, const FieldRule& f) -> std::string {
      if (f.codename == "miappeVersion") return version;
      for (size_t c = 0; c < data.rows[0].size(); ++c) {
        if (data.rows[0][c] == f.codename) return data.rows[row][c];
      }
      return "";
    };
    if (shape.layout == SheetLayout::kFieldValue) {
      for (size_t r = 1; r < table.rows.size(); ++r) {
        if (const FieldRule* f = schema.FieldByHeader(section->section, table.rows[r][0])) {
          book.Set(sheet, CellRef(1, table.lines[r]), value_of(1, *f));
        }
      }
      continue;
    }
    int first = table.lines[0] + 1;
    for (size_t r = 1; r < table.rows.size() && shape.help_row[r] && table.lines[r] == first; ++r) ++first;
    for (size_t i = 1; i < data.rows.size(); ++i) {
      for (size_t c = 0; c < table.rows[0].size(); ++c) {
        const FieldRule* f = schema.FieldByHeader(section->section, table.rows[0][c]);
        if (f == nullptr) continue;
        const std::string v = value_of(i, *f);
        if (!v.empty()) book.Set(sheet, CellRef(static_cast<int>(c), first + static_cast<int>(i) - 1), v);
      }
    }
  }
  return book;
}

std::string Summary(const Report& r) { return r.ToText(); }

const Finding* FindCode(const Report& r, const std::string& code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

TEST(TemplateTest, AnUntouchedTemplateIsOneErrorNamingTheTemplate) {
  struct Case {
    const char* file;
    const char* name;
    const char* version;
    std::vector<std::string> reference;
  };
  for (const Case& c :
       std::vector<Case>{{kV11,
                          "MIAPPE 1.1 training spreadsheet",
                          "1.1",
                          {"General Definitions", "Appendix I - Environment", "Appendix II - Exp. Factors"}},
                         {kV12,
                          "MIAPPE 1.2 spreadsheet template",
                          "1.2",
                          {"README", "Appendix1 Environment", "Appendix2 Experimental Factor"}},
                         {kV12Minimal,
                          "MIAPPE 1.2 minimal spreadsheet template",
                          "1.2",
                          {"README", "Appendix1 Environment", "Appendix2 Experimental Factor"}}}) {
    Report r = ValidateBook(c.file, ReadFile(TemplatePath(c.file)));
    ASSERT_EQ(r.findings.size(), 1u) << c.file << "\n" << Summary(r);  // was 361, 687 and 587
    EXPECT_EQ(r.findings[0].code, "PRE-NODATA");
    EXPECT_EQ(r.findings[0].severity, Severity::kError);
    EXPECT_NE(r.findings[0].message.find("no data in this workbook"), std::string::npos) << r.findings[0].message;
    EXPECT_EQ(r.template_name, c.name);
    EXPECT_EQ(r.template_version, c.version);
    EXPECT_EQ(r.reference_sheets, c.reference) << c.file;
    EXPECT_EQ(r.ToJson()["template"]["name"], c.name);
  }
}

TEST(TemplateTest, FilledOfficialTemplatesValidateCleanLikeTheirTsvSheets) {
  for (const auto& [file, version] :
       std::vector<std::pair<std::string, std::string>>{{kV11, "1.1"}, {kV12, "1.2"}, {kV12Minimal, "1.2"}}) {
    const bool minimal = file == kV12Minimal;  // one study: its units have no studyId column
    std::vector<Finding> pre;
    Submission sub = LoadSheets({{file, FillTemplate(file, version, minimal).Bytes()}}, Schema::Default(), &pre);
    Report r = Validate(sub, Schema::Default(), {}, pre);
    EXPECT_EQ(r.Count(Severity::kError), 0) << file << "\n" << Summary(r);
    EXPECT_EQ(r.Count(Severity::kWarning), 0) << file << "\n" << Summary(r);
    EXPECT_EQ(r.profile, absl::StrCat("MIAPPE ", version));
    EXPECT_FALSE(r.template_name.empty());
    // Every fixture row is one record; no help row, banner or example is.
    std::map<std::string, int> records;
    for (const Record& rec : sub.records) ++records[rec.section];
    for (const std::string section :
         {"study", "person", "biological_material", "observation_unit", "observed_variable"}) {
      const Table fixture = minimal ? OnlyStudyS1(FixtureSheet(section)) : FixtureSheet(section);
      EXPECT_EQ(records[section], static_cast<int>(fixture.rows.size()) - 1) << file << " " << section;
    }
    EXPECT_EQ(records["investigation"], 1) << file;
    if (minimal) {
      // No Experimental Factor sheet: the units' factor values are said to
      // be unchecked, once; their study comes from the only study.
      const Finding* f = FindCode(r, "XRF-FACTOR-VALUE");
      ASSERT_NE(f, nullptr);
      EXPECT_EQ(f->severity, Severity::kInfo);
      for (const Record& rec : sub.records) {
        if (rec.section == "observation_unit") {
          EXPECT_EQ(rec.Get("studyId"), "S1");
        }
      }
    }
    for (const Record& rec : sub.records) {
      for (const auto& [codename, value] : rec.values) {
        EXPECT_NE(value, "study_1") << file << " " << rec.location;  // the Example row is help, not data
      }
    }
  }
}

// One defect at a time, each found at the cell a person opens.
TEST(TemplateTest, OneDefectAtATimeIsReportedAtItsCell) {
  {  // v1.1: a study start date in day/month/year, in the first data row
    TemplateCopy book = FillTemplate(kV11, "1.1");
    book.Set("Study", "E5", "01/03/2025");
    Report r = ValidateBook(kV11, book.Bytes());
    EXPECT_EQ(r.Count(Severity::kError), 1) << Summary(r);
    const Finding* f = FindCode(r, "FMT-DATE");
    ASSERT_NE(f, nullptr) << Summary(r);
    EXPECT_EQ(f->location, absl::StrCat(kV11, "#Study!E5"));
    EXPECT_EQ(f->field, "studyStartDate");
    EXPECT_EQ(f->dm, "DM-14");
    EXPECT_EQ(f->entity_id, "S1");
  }
  {  // v1.1: the investigation title (a field/value row) left empty
    TemplateCopy book = FillTemplate(kV11, "1.1");
    book.Set("Investigation", "B3", "");
    Report r = ValidateBook(kV11, book.Bytes());
    EXPECT_EQ(r.Count(Severity::kError), 1) << Summary(r);
    const Finding* f = FindCode(r, "PRE-MANDATORY");
    ASSERT_NE(f, nullptr) << Summary(r);
    EXPECT_EQ(f->field, "investigationTitle");
    EXPECT_EQ(f->location, absl::StrCat(kV11, "#Investigation!B3"));  // the field's own row
  }
  {  // v1.2: an observation unit naming a biological material that is not there
    TemplateCopy book = FillTemplate(kV12, "1.2");
    book.Set("Observation Unit", "B3", "Col-9");
    Report r = ValidateBook(kV12, book.Bytes());
    const Finding* f = FindCode(r, "XRF-OU-BM");
    ASSERT_NE(f, nullptr) << Summary(r);
    EXPECT_EQ(f->location, absl::StrCat(kV12, "#'Observation Unit'!B3"));
    EXPECT_EQ(f->section, "observation_unit");
    EXPECT_EQ(f->entity_id, "S1-P2");
  }
  {  // v1.2 minimal: a malformed ORCID in the person sheet
    TemplateCopy book = FillTemplate(kV12Minimal, "1.2", true);
    book.Set("Person", "D2", "https://orcid.org/0000-0002-1825-0098");
    Report r = ValidateBook(kV12Minimal, book.Bytes());
    const Finding* f = FindCode(r, "FMT-ORCID");
    ASSERT_NE(f, nullptr) << Summary(r);
    EXPECT_EQ(f->severity, Severity::kError);
    EXPECT_EQ(f->location, absl::StrCat(kV12Minimal, "#Person!D2"));
  }
}

// What people make from the templates still reads the same.
TEST(TemplateTest, LayoutsPeopleMakeFromTheTemplatesReadTheSame) {
  auto errors_and_warnings = [](const std::string& name, const TemplateCopy& book) {
    Report r = ValidateBook(name, book.Bytes());
    return std::make_pair(r.Count(Severity::kError) + r.Count(Severity::kWarning), r.ToText());
  };
  {  // help rows deleted (v1.1)
    TemplateCopy book = FillTemplate(kV11, "1.1");
    book.ClearRows("Study", 2, 4);
    auto [n, text] = errors_and_warnings(kV11, book);
    EXPECT_EQ(n, 0) << text;
  }
  {  // sheets renamed with spelling variants, and reordered
    TemplateCopy book = FillTemplate(kV12, "1.2");
    book.Edit("xl/workbook.xml", [](std::string& xml) {
      xml = absl::StrReplaceAll(xml, {{"name=\"Observed Variable\"", "name=\"Observed variables\""},
                                      {"name=\"Experimental Factor\"", "name=\"Experimental Factors\""},
                                      {"name=\"Biological Material\"", "name=\"Biological materials\""}});
      // The Study sheet moves to the end.
      const size_t study = xml.find("<sheet name=\"Study\"");
      const size_t end = xml.find("/>", study) + 2;
      const std::string element = xml.substr(study, end - study);
      xml.erase(study, end - study);
      xml.insert(xml.find("</sheets>"), element);
    });
    auto [n, text] = errors_and_warnings(kV12, book);
    EXPECT_EQ(n, 0) << text;
  }
  {  // an extra column with a header is an extension, kept
    TemplateCopy book = FillTemplate(kV12, "1.2");
    book.Set("Observation Unit", "H1", "greenhouse compartment");
    book.Set("Observation Unit", "H2", "C3");
    std::vector<Finding> pre;
    Submission sub = LoadSheets({{kV12, book.Bytes()}}, Schema::Default(), &pre);
    bool kept = false;
    for (const Record& rec : sub.records) {
      for (const auto& [header, value] : rec.extensions)
        kept = kept || (header == "greenhouse compartment" && value == "C3");
    }
    EXPECT_TRUE(kept);
    Report r = Validate(sub, Schema::Default(), {}, pre);
    EXPECT_EQ(r.Count(Severity::kError), 0) << r.ToText();
    const Finding* f = FindCode(r, "SYN-03");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->location, absl::StrCat(kV12, "#'Observation Unit'!H1"));
  }
  {  // re-saved by another program: no dimension, a cached formula string (t="str")
    TemplateCopy book = FillTemplate(kV12, "1.2");
    const std::string study = book.SheetPart("Study");
    book.Edit(study, [](std::string& xml) {
      const size_t dim = xml.find("<dimension");
      xml.erase(dim, xml.find("/>", dim) + 2 - dim);
      const size_t b2 = xml.find("<c r=\"B2\"");
      xml.replace(b2, xml.find("</c>", b2) + 4 - b2,
                  "<c r=\"B2\" t=\"str\"><f>CONCATENATE(\"Drought on \",\"Col-0 and Ler\")</f>"
                  "<v>Drought on Col-0 and Ler</v></c>");
    });
    std::vector<Finding> pre;
    Submission sub = LoadSheets({{kV12, book.Bytes()}}, Schema::Default(), &pre);
    bool formula_read = false;
    for (const Record& rec : sub.records)
      formula_read = formula_read || rec.Get("studyTitle") == "Drought on Col-0 and Ler";
    EXPECT_TRUE(formula_read);
    Report r = Validate(sub, Schema::Default(), {}, pre);
    EXPECT_EQ(r.Count(Severity::kError) + r.Count(Severity::kWarning), 0) << r.ToText();
  }
}

}  // namespace
}  // namespace fairtrace::miappe
