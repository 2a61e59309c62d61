#include "validators/miappe/validator.h"

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {
namespace {

// The valid fixture as name -> contents, to mutate per test.
std::map<std::string, std::string> Fixture() {
  std::vector<Finding> f;
  std::map<std::string, std::string> out;
  for (InputFile& file : ReadSheetFiles({std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/valid-1.2"}, &f)) {
    out[std::filesystem::path(file.name).filename().string()] = std::move(file.data);
  }
  EXPECT_TRUE(f.empty());
  return out;
}

Report ValidateFiles(const std::map<std::string, std::string>& files, ValidateOptions o = {}) {
  std::vector<InputFile> in;
  for (const auto& [name, data] : files) in.push_back({name, data});
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  return Validate(sub, Schema::Default(), o, std::move(pre));
}

int CountCode(const Report& r, const std::string& code, Severity sev = Severity::kError) {
  int n = 0;
  for (const Finding& f : r.findings) n += f.code == code && f.severity == sev;
  return n;
}

void Replace(std::map<std::string, std::string>& files, const std::string& file, const std::string& from,
             const std::string& to) {
  ASSERT_NE(files[file].find(from), std::string::npos) << from;
  files[file] = absl::StrReplaceAll(files[file], {{from, to}});
}

TEST(ValidatorTest, TheValidFixtureHasNoErrorsNorWarnings) {
  Report r = ValidateFiles(Fixture());
  EXPECT_EQ(r.profile, "MIAPPE 1.2");
  EXPECT_EQ(r.Count(Severity::kError), 0) << r.ToText();
  EXPECT_EQ(r.Count(Severity::kWarning), 0) << r.ToText();
  EXPECT_TRUE(r.ok());
}

TEST(ValidatorTest, ReferencesMustResolve) {
  auto files = Fixture();
  Replace(files, "observation_unit.tsv", "S1\tLer\tS1-P2", "S1\tLer-typo\tS1-P2");
  Replace(files, "observation_unit.tsv", "pot:3\tdrought", "pot:3\tflooded");
  Replace(files, "event.tsv", "S1-P1; S1-P2", "S1-P1; S2-P2");
  Replace(files, "sample.tsv", "S1-P1\tS1-P1-leaf6", "S9-P1\tS1-P1-leaf6");
  Replace(files, "experimental_factor.tsv", "S1; S2\t", "S1; S3\t");
  Report r = ValidateFiles(files);
  EXPECT_EQ(CountCode(r, "XRF-OU-BM"), 1) << r.ToText();
  EXPECT_EQ(CountCode(r, "XRF-EVENT-OU"), 1);
  EXPECT_EQ(CountCode(r, "XRF-SAMPLE-OU"), 1);
  EXPECT_EQ(CountCode(r, "XRF-STUDY-REF"), 1);
  // S2's units now have no factor (its link was S3), and S1-P3 uses an undeclared level.
  EXPECT_GE(CountCode(r, "XRF-FACTOR-VALUE"), 1);
  for (const Finding& f : r.findings) {
    if (f.code == "XRF-OU-BM") {
      EXPECT_EQ(f.entity_id, "S1-P2");
      EXPECT_EQ(f.field, "biologicalMaterialId");
      EXPECT_EQ(f.location, "observation_unit.tsv:3:2");  // line 3, field 2
      EXPECT_FALSE(f.hint.empty());
    }
  }
}

TEST(ValidatorTest, PresenceIdentityAndSemantics) {
  auto files = Fixture();
  Replace(files, "study.tsv", "Growth chamber 4", "");                              // siteName (M)
  Replace(files, "study.tsv", "2025-06-01\t2025-08-30", "2025-09-01\t2025-08-30");  // ends before it starts
  Replace(files, "study.tsv", "\nS2\t", "\nS1\t");                                  // duplicate study id
  Replace(files, "biological_material.tsv", "Arabidopsis\tthaliana\tline:Ler",
          "Arabidopsis\tArabidopsis thaliana\tline:Ler");
  files.erase("person.tsv");
  Report r = ValidateFiles(files);
  EXPECT_EQ(CountCode(r, "PRE-MANDATORY"), 1) << r.ToText();
  EXPECT_EQ(CountCode(r, "SEM-DATE-ORDER"), 1);
  EXPECT_EQ(CountCode(r, "XRF-DUP-ID"), 1);
  EXPECT_EQ(CountCode(r, "SYN-02"), 1);
  EXPECT_EQ(CountCode(r, "SEM-TAXON-CONSISTENCY", Severity::kWarning), 1);
}

// A study without observation units is a finding of the Observation Unit
// section (where rows are missing), naming the study, not of the study.
TEST(ValidatorTest, AMissingSectionIsReportedInThatSection) {
  auto files = Fixture();
  std::string& ou = files["observation_unit.tsv"];
  ou = ou.substr(0, ou.find('\n') + 1);  // the header only
  Report r = ValidateFiles(files);
  int found = 0;
  for (const Finding& f : r.findings) {
    if (f.code != "PRE-SECTION") continue;
    ++found;
    EXPECT_EQ(f.section, "observation_unit") << r.ToText();
    EXPECT_EQ(f.field, "studyId");
    EXPECT_NE(f.message.find("has no Observation Unit"), std::string::npos) << f.message;
    EXPECT_TRUE(f.value == "S1" || f.value == "S2") << f.value;
  }
  EXPECT_EQ(found, 2) << r.ToText();  // one per study
}

// Two sheets that name the same section are both read, and said.
TEST(ValidatorTest, TwoSheetsForOneSectionAreReported) {
  auto files = Fixture();
  files["Person.tsv"] = files["person.tsv"];
  Report r = ValidateFiles(files);
  int second = 0;
  for (const Finding& f : r.findings) {
    if (f.code == "SYN-01" && f.message.find("a second sheet for section person") != std::string::npos) ++second;
  }
  EXPECT_EQ(second, 1) << r.ToText();
}

TEST(ValidatorTest, HierarchyLevelsAndCycles) {
  auto files = Fixture();
  Replace(files, "study.tsv", "block>pot>plant\tPlants in pots, one", "block>pot>block\tPlants in pots, one");
  Replace(files, "observation_unit.tsv", "S2\tLer\tS2-P2\tpot\t\tblock:1; pot:2",
          "S2\tLer\tS2-P2\tplot\t\trow:1; bench:2");
  Report r = ValidateFiles(files);
  EXPECT_EQ(CountCode(r, "FMT-HIERARCHY"), 1) << r.ToText();
  EXPECT_EQ(CountCode(r, "XRF-LEVEL"), 2);  // type plot, level key bench (row is a coordinate)
}

TEST(ValidatorTest, VersionSelectsTheProfile) {
  auto files = Fixture();
  Replace(files, "investigation.tsv", "\t1.2\t", "\t1.1\t");
  EXPECT_EQ(ValidateFiles(files).profile, "MIAPPE 1.1");
  Replace(files, "investigation.tsv", "\t1.1\t", "\t1.0\t");
  EXPECT_EQ(CountCode(ValidateFiles(files), "PRE-VERSION"), 1);
  Replace(files, "investigation.tsv", "\t1.0\t", "\t7.3\t");
  EXPECT_EQ(CountCode(ValidateFiles(files), "PRE-VERSION"), 1);
  Replace(files, "investigation.tsv", "\t7.3\t", "\t\t");
  EXPECT_EQ(CountCode(ValidateFiles(files), "PRE-MANDATORY"), 1);
}

TEST(ValidatorTest, UnknownColumnsAreKeptAndDuplicatesAreErrors) {
  auto files = Fixture();
  Replace(files, "observed_variable.tsv", "timeScale\n", "timeScale\tsensorId\n");
  Replace(files, "observed_variable.tsv", "\tDate\n", "\tDate\tcam-3\n");
  Replace(files, "biological_material.tsv", "materialSourceDoi\n", "materialSourceDoi\tInfraspecificName\n");
  Replace(files, "biological_material.tsv", "doi:10.1234/col0\n", "doi:10.1234/col0\tx\n");
  Replace(files, "biological_material.tsv", "doi:10.1234/ler\n", "doi:10.1234/ler\ty\n");
  std::vector<InputFile> in;
  for (const auto& [name, data] : files) in.push_back({name, data});
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  bool kept = false;
  for (const Record& rec : sub.records) {
    for (const auto& [k, v] : rec.extensions) kept = kept || (k == "sensorId" && v == "cam-3");
  }
  EXPECT_TRUE(kept);
  Report r = Validate(sub, Schema::Default(), {}, pre);
  EXPECT_EQ(CountCode(r, "SYN-03"), 1) << r.ToText();  // infraspecificName twice
  for (const Finding& f : r.findings) {
    if (f.code == "SYN-03" && f.severity == Severity::kError) {
      EXPECT_EQ(f.field, "infraspecificName");  // a duplicated header names the field
      EXPECT_EQ(f.section, "biological_material");
      EXPECT_FALSE(f.dm.empty());
    }
  }
  EXPECT_EQ(CountCode(r, "SYN-03", Severity::kInfo), 1);  // sensorId kept
}

TEST(ValidatorTest, StrictAndLenientModes) {
  auto files = Fixture();
  Replace(files, "study.tsv", "Two genotypes, two watering levels", "");       // studyDescription (R)
  Replace(files, "study.tsv", "2025-03-01\t2025-05-30", "45717\t2025-05-30");  // Excel serial
  Report normal = ValidateFiles(files);
  EXPECT_EQ(CountCode(normal, "PRE-RECOMMENDED", Severity::kWarning), 1);
  EXPECT_EQ(CountCode(normal, "FMT-DATE-EXCEL-SERIAL"), 1);
  Report strict = ValidateFiles(files, {Strictness::kStrict});
  EXPECT_EQ(CountCode(strict, "PRE-RECOMMENDED"), 1);
  Report lenient = ValidateFiles(files, {Strictness::kLenient});
  EXPECT_EQ(CountCode(lenient, "FMT-DATE-EXCEL-SERIAL", Severity::kWarning), 1);
  for (const Finding& f : lenient.findings) {
    if (f.code == "FMT-DATE-EXCEL-SERIAL") {
      EXPECT_EQ(f.fixed, "2025-03-01");
    }
  }
}

TEST(ValidatorTest, MiappeJsonBadInputIsReported) {
  for (const auto& [doc, code] : std::vector<std::pair<std::string, std::string>>{
           {"{\"format\": \"fairtrace-miappe-json/1\", // a comment\n}", "SYN-06"},
           {"{\"format\": \"fairtrace-miappe-json/1\", \"studies\": {\"studyId\": \"S1\"}}", "SYN-06"},
           {"{\"format\": \"fairtrace-miappe-json/1\", \"studies\": [{\"studyId\": {\"x\": 1}}]}", "SYN-06"},
           {"{\"format\": \"fairtrace-miappe-json/1\", \"studies\": [{\"colour\": \"red\"}]}", "SYN-03"},
           {"{\"studies\": []}", "SYN-06"},
           // nlohmann::json type errors (issue 8, item 3): findings, not exceptions.
           {"{\"format\": 1}", "SYN-06"},
           {"{\"format\": [\"x\"], \"studies\": []}", "SYN-06"}}) {
    Report r;
    ASSERT_NO_THROW(r = ValidateFiles({{"sub.json", doc}})) << doc;
    bool found = false;
    for (const Finding& f : r.findings) found = found || f.code == code;
    EXPECT_TRUE(found) << doc << "\n" << r.ToText();
  }
}

// Issue 8, item 5: a report keeps at most Report::kMaxFindings findings
// (errors first) and counts the others, whatever the submission.
TEST(ValidatorTest, FindingsAreBoundedAndCounted) {
  auto files = Fixture();
  std::string ou = files["observation_unit.tsv"];
  std::string out = ou.substr(0, ou.find('\n') + 1);
  for (int i = 0; i < 6000; ++i) {
    out += absl::StrCat("S1\tMissing-", i, "\tOU-", i, "\tleaf\t\tblock:1; pot:", i, "\twatered\n");
  }
  files["observation_unit.tsv"] = out;
  Report r = ValidateFiles(files);
  EXPECT_LE(r.findings.size(), Report::kMaxFindings);
  EXPECT_GT(r.omitted_total(), 0);
  EXPECT_GE(r.Count(Severity::kError), 12000);  // two errors per unit, all counted
  for (size_t i = 1; i < r.findings.size(); ++i) {
    EXPECT_GE(static_cast<int>(r.findings[i - 1].severity), static_cast<int>(r.findings[i].severity));
  }
}

TEST(ValidatorTest, GarbageGivesAReportNotACrash) {
  std::map<std::string, std::string> files = {
      {"study.tsv", "\"\t\t\"\"\n\xff\xfe\x00\x01"},
      {"observation_unit.tsv", std::string(1000, '\t')},
      {"investigation.tsv", "field\tvalue\nMIAPPE version\n"},
      {"random.bin", std::string("\0\0\0", 3)},
  };
  Report r = ValidateFiles(files);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.ToText().empty());
  EXPECT_TRUE(r.ToJson().is_object());
}

// A sheet over 10 MB is read and validated like a small one (a report, no
// crash); a file over the reader's limit is a SYN-01 error, not read.
TEST(ValidatorTest, LargeSheetsAndFilesOverTheLimit) {
  auto files = Fixture();
  std::string& ou = files["observation_unit.tsv"];
  std::string rows;
  const std::string pad(110, 'x');
  for (int i = 3; rows.size() < (11u << 20); ++i) {
    absl::StrAppend(&rows, "S1\tCol-0\tS1-B", i, "-", pad, "\tpot\t\tblock:2; pot:", i, "\twatered\n");
  }
  ou += rows;
  Report r = ValidateFiles(files);
  EXPECT_GT(ou.size(), 10u << 20);
  EXPECT_EQ(r.Count(Severity::kError), 0) << r.ToText().substr(0, 2000);

  std::string path = (std::filesystem::temp_directory_path() / "fairtrace-big-study.tsv").string();
  std::ofstream(path) << std::string(2048, 'x');
  std::vector<Finding> f;
  std::vector<InputFile> read = ReadSheetFiles({path}, &f, /*max_bytes=*/1024);
  std::filesystem::remove(path);
  EXPECT_TRUE(read.empty());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].code, "SYN-01");
  EXPECT_EQ(f[0].severity, Severity::kError);
}

// A data file that a Data file record links is checked against its study
// (columns are variables, rows are units or samples), not kept as a sheet.
TEST(ValidatorTest, LinkedDataFilesAreCheckedAgainstTheirStudy) {
  auto files = Fixture();
  files["data_s1.csv"] = "obsUnitId,date,LeafArea_Img_cm2\nS1-P1,2025-04-01,12.5\nS1-P2,2025-04-01,11.0\n";
  Report ok = ValidateFiles(files);
  EXPECT_TRUE(ok.ok()) << ok.ToText();
  EXPECT_EQ(CountCode(ok, "SYN-03", Severity::kInfo), 0) << ok.ToText();  // not taken for an extension sheet
  // data_s2.csv is named but not submitted: said, not checked.
  EXPECT_EQ(CountCode(ok, "XRF-DATAFILE-UNCHECKED", Severity::kInfo), 1) << ok.ToText();
  for (const Finding& f : ok.findings) {
    if (f.code != "XRF-DATAFILE-UNCHECKED") continue;
    EXPECT_EQ(f.value, "data_s2.csv");
    EXPECT_EQ(f.field, "dataFileLink");
    EXPECT_EQ(f.section, "data_file");
  }
  // Control characters in a linked data file are reported once, with the line.
  files["data_s1.csv"] = "obsUnitId,date,LeafArea_Img_cm2\nS1-P1,2025-04-01,12.5\nS1-P2,2025-04-01,1";
  files["data_s1.csv"] += std::string("1.0\0\0\n", 6);
  Report nul = ValidateFiles(files);
  ASSERT_EQ(CountCode(nul, "FMT-TEXT"), 1) << nul.ToText();
  for (const Finding& f : nul.findings) {
    if (f.code == "FMT-TEXT") {
      EXPECT_EQ(f.location, "data_s1.csv:3");
    }
  }

  files["data_s1.csv"] = "obsUnitId;date;LeafArea_Img_cm2;Height\nS1-P1;2025-04-01;12,5;3\nS2-P1;2025-04-01;11,0;4\n";
  files["stray.csv"] = "a,b\n1,2\n";
  Report bad = ValidateFiles(files);
  EXPECT_EQ(CountCode(bad, "XRF-DATAFILE-COLUMNS"), 1) << bad.ToText();  // Height
  EXPECT_EQ(CountCode(bad, "XRF-DATAFILE-ROWS"), 1);                     // S2-P1 is of study S2
  EXPECT_EQ(CountCode(bad, "FMT-DECIMAL-COMMA", Severity::kWarning), 1);
  EXPECT_EQ(CountCode(bad, "SYN-01", Severity::kWarning), 1);  // stray.csv: no record names it
}

// SEM-COORD-COUNTRY asks the locator it is given (a stub here; the real
// outlines are tested in dcw_countries_test.cc and on the shared examples).
class StubLocator : public CountryLocator {
 public:
  explicit StubLocator(std::optional<bool> answer) : answer_(answer) {}
  std::optional<bool> Near(const std::string& code, double lat, double lon, double) const override {
    if (asked_.empty()) asked_ = absl::StrCat(code, " ", lat, " ", lon);  // the site as written (hints ask more)
    return answer_;
  }
  std::string Snapshot() const override { return "stub 1"; }
  mutable std::string asked_;

 private:
  std::optional<bool> answer_;
};

TEST(ValidatorTest, SiteOutsideItsCountryIsAWarning) {
  for (std::optional<bool> answer : {std::optional<bool>(true), std::optional<bool>(false), std::optional<bool>()}) {
    StubLocator places(answer);
    ValidateOptions o;
    o.places = &places;
    Report r = ValidateFiles(Fixture(), o);
    EXPECT_EQ(places.asked_, "FR 43.61 3.87");
    EXPECT_EQ(CountCode(r, "SEM-COORD-COUNTRY", Severity::kWarning), answer == false ? 2 : 0);
    EXPECT_EQ(CountCode(r, "SEM-COORD-COUNTRY", Severity::kInfo), answer.has_value() ? 0 : 2);
    EXPECT_NE(std::find(r.ontologies.begin(), r.ontologies.end(), "stub 1"), r.ontologies.end());
  }
}

// A locator whose country is a box (France, roughly).
class BoxLocator : public CountryLocator {
 public:
  std::optional<bool> Near(const std::string& alpha2, double lat, double lon, double) const override {
    return alpha2 == "FR" && lat > 42 && lat < 51 && lon > -5 && lon < 8;
  }
  std::string Snapshot() const override { return "box"; }
};

// The hint says what the coordinates probably meant: a misplaced decimal
// point first, then a latitude/longitude swap.
TEST(ValidatorTest, CoordinateHintsTryADecimalPointBeforeASwap) {
  BoxLocator places;
  ValidateOptions o;
  o.places = &places;
  auto hint_for = [&](const std::string& lat, const std::string& lon) {
    auto files = Fixture();
    Replace(files, "study.tsv", "43.61\t3.87", lat + "\t" + lon);
    Report r = ValidateFiles(files, o);
    for (const Finding& f : r.findings) {
      if (f.code == "SEM-COORD-COUNTRY") return f.hint;
    }
    return std::string("(none)");
  };
  EXPECT_EQ(hint_for("436.1", "3.87"), "a decimal point seems misplaced: latitude 43.61 lies in FR");
  EXPECT_EQ(hint_for("43.61", "38.7"), "a decimal point seems misplaced: longitude 3.87 lies in FR");
  EXPECT_EQ(hint_for("3.87", "43.61"), "latitude and longitude seem swapped: (43.61, 3.87) lies in FR");
  EXPECT_NE(hint_for("-20.5", "-60.1").find("check the coordinates"), std::string::npos);
  EXPECT_EQ(hint_for("43.61", "3.87"), "(none)");
}

// A sheet that is no MIAPPE section is kept whole with the investigation,
// so that it is stored and exported with the revision.
TEST(ValidatorTest, ExtensionSheetsAreKeptWithTheInvestigation) {
  std::map<std::string, std::string> files = Fixture();
  files["sensor.tsv"] = "sensorId\tmodel\nS-1\tMicaSense \"RedEdge\"\n";
  std::vector<InputFile> in;
  for (const auto& [name, data] : files) in.push_back({name, data});
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  Report r = Validate(sub, Schema::Default(), {}, std::move(pre));
  EXPECT_TRUE(r.ok()) << r.ToText();
  std::string kept;
  for (const Record& rec : sub.records) {
    for (const auto& [k, v] : rec.extensions) {
      if (rec.section == "investigation" && k == "sheet:sensor") kept = v;
    }
  }
  EXPECT_EQ(kept, "sensorId\tmodel\nS-1\t\"MicaSense \"\"RedEdge\"\"\"\n");
  std::vector<Finding> again;
  Table t = ParseTsv("sensor", kept, &again);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[1][1], "MicaSense \"RedEdge\"");
}

}  // namespace
}  // namespace fairtrace::miappe
