// The ISA-Tab reader and writer: the project's own fixture
// (tests/fixtures/miappe/isatab-valid), one mutation per check, and round
// trips TSV -> ISA-Tab -> records and ISA-Tab -> ISA-Tab.
#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "validators/miappe/isatab_parse.h"
#include "validators/miappe/isatab_reader.h"
#include "validators/miappe/isatab_writer.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

using Files = std::map<std::string, std::string>;

Files ReadFixture(const std::string& name) {
  std::vector<Finding> f;
  Files out;
  for (InputFile& file : ReadSheetFiles({std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/" + name}, &f)) {
    out[std::filesystem::path(file.name).filename().string()] = std::move(file.data);
  }
  EXPECT_TRUE(f.empty());
  return out;
}

struct Loaded {
  Submission sub;
  Report report;
};

Loaded Load(const Files& files) {
  std::vector<InputFile> in;
  for (const auto& [name, data] : files) in.push_back({name, data});
  std::vector<Finding> pre;
  Loaded l;
  l.sub = LoadSheets(in, Schema::Default(), &pre);
  l.report = Validate(l.sub, Schema::Default(), {}, std::move(pre));
  return l;
}

Files AsFiles(const IsaTabExport& e) {
  Files out;
  for (const InputFile& f : e.files) out[f.name] = f.data;
  return out;
}

bool Has(const Report& r, const std::string& code, Severity sev, const std::string& entity = "") {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
    return f.code == code && f.severity == sev && (entity.empty() || f.entity_id == entity);
  });
}

std::string Dump(const Report& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    if (f.severity == Severity::kError)
      absl::StrAppend(&s, f.code, " ", f.entity_id, " ", f.field, ": ", f.message, "\n");
  }
  return s;
}

std::vector<const Record*> Of(const Submission& s, const std::string& section) {
  std::vector<const Record*> out;
  for (const Record& r : s.records) {
    if (r.section == section) out.push_back(&r);
  }
  return out;
}

std::string Ext(const Record& r, const std::string& key) {
  for (const auto& [k, v] : r.extensions) {
    if (k == key) return v;
  }
  return "<absent>";
}

// A record's content (what the revision digest covers): section, non-empty
// values, non-empty extensions in order.
std::string Content(const Record& r) {
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : r.values) {
    if (!v.empty()) values[k] = v;
  }
  std::string s = r.section;
  for (const auto& [k, v] : values) absl::StrAppend(&s, "|", k, "=", v);
  for (const auto& [k, v] : r.extensions) {
    if (!v.empty()) absl::StrAppend(&s, "|ext:", k, "=", v);
  }
  return s;
}

std::vector<std::string> Contents(const Submission& s, bool sorted) {
  std::vector<std::string> out;
  for (const Record& r : s.records) out.push_back(Content(r));
  if (sorted) std::sort(out.begin(), out.end());
  return out;
}

std::vector<Record> Records(const Submission& s) { return s.records; }

TEST(IsaTab, ValidFixtureIsReadIntoEverySection) {
  Loaded l = Load(ReadFixture("isatab-valid"));
  EXPECT_TRUE(l.report.ok()) << Dump(l.report);
  EXPECT_EQ(l.report.profile, "MIAPPE 1.1");
  const Submission& s = l.sub;
  ASSERT_EQ(Of(s, "investigation").size(), 1u);
  const Record& inv = *Of(s, "investigation")[0];
  EXPECT_EQ(inv.Get("investigationId"), "fairtrace:ISA-1");
  EXPECT_EQ(inv.Get("license"), "CC-BY-4.0");
  EXPECT_EQ(inv.Get("associatedPublication"), "doi:10.1234/isa.1");
  EXPECT_EQ(Ext(inv, "Created with configuration"), "MIAPPE v1.1");
  EXPECT_EQ(Ext(inv, "Investigation Publication Title"), "Grain weight of barley");

  ASSERT_EQ(Of(s, "study").size(), 1u);
  const Record& st = *Of(s, "study")[0];
  EXPECT_EQ(st.Get("studyId"), "N-2025");
  EXPECT_EQ(st.Get("studyStartDate"), "2025-03-10");
  EXPECT_EQ(st.Get("obsUnitLevelHierarchy"), "block>plot");
  EXPECT_EQ(st.Get("expeDesignType"), "CO_715:0000145");
  EXPECT_EQ(st.Get("culturalPractice"), "Sown by machine");  // the Growth protocol's description
  EXPECT_EQ(Ext(st, "Irrigation"), "rain fed");
  EXPECT_EQ(Ext(st, "Study Submission Date"), "2026-02-01");

  std::vector<const Record*> persons = Of(s, "person");
  ASSERT_EQ(persons.size(), 3u);  // two investigation contacts, one study contact
  EXPECT_EQ(persons[0]->Get("personName"), "Ada Example");
  EXPECT_EQ(persons[0]->Get("personId"), "https://orcid.org/0000-0002-1825-0097");
  EXPECT_EQ(Ext(*persons[0], "Person Phone"), "+33 1 23 45 67 89");
  EXPECT_EQ(persons[2]->Get("studyId"), "N-2025");

  std::vector<const Record*> bms = Of(s, "biological_material");
  ASSERT_EQ(bms.size(), 2u);  // six rows each, one material
  EXPECT_EQ(bms[0]->Get("biologicalMaterialId"), "Golden Promise");
  EXPECT_EQ(bms[0]->Get("organism"), "NCBITaxon:4513");  // the term, from its accession
  EXPECT_EQ(Ext(*bms[0], "Organism label"), "Hordeum vulgare");
  EXPECT_EQ(Ext(*bms[0], "Seed lot"), "lot-7");
  EXPECT_EQ(bms[0]->Get("studyId"), "N-2025");

  std::vector<const Record*> ous = Of(s, "observation_unit");
  ASSERT_EQ(ous.size(), 12u);
  EXPECT_EQ(ous[0]->Get("obsUnitId"), "plot-1");
  EXPECT_EQ(ous[0]->Get("obsUnitType"), "plot");
  EXPECT_EQ(ous[0]->Get("biologicalMaterialId"), "Golden Promise");
  EXPECT_EQ(ous[0]->Get("obsUnitFactorValue"), "low");
  EXPECT_EQ(ous[0]->Get("spatialDistribution"), "block:1; plot:1");
  EXPECT_EQ(Ext(*ous[0], "Assay Name"), "assay-1");

  std::vector<const Record*> env = Of(s, "environment");
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[1]->Get("envParam"), "Sowing density");
  EXPECT_EQ(env[1]->Get("envParamValue"), "300 seeds per square metre");
  EXPECT_EQ(Ext(*env[1], "Term Source REF"), "UO");

  ASSERT_EQ(Of(s, "factor").size(), 1u);
  EXPECT_EQ(Of(s, "factor")[0]->Get("expeFactorValues"), "low;high");
  EXPECT_EQ(Ext(*Of(s, "factor")[0], "Study Factor Type"), "fertilizer exposure");
  ASSERT_EQ(Of(s, "event").size(), 1u);
  EXPECT_EQ(Of(s, "event")[0]->Get("eventType"), "Sowing");
  EXPECT_EQ(Of(s, "event")[0]->Get("eventDate"), "2025-03-10");
  EXPECT_EQ(Of(s, "event")[0]->Get("eventAccNumber"), "CO_715:0000007");

  std::vector<const Record*> vars = Of(s, "observed_variable");
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0]->Get("variableId"), "TGW");
  EXPECT_EQ(vars[0]->Get("traitName"), "1000-grain weight");
  EXPECT_EQ(vars[0]->Get("traitAccNumber"), "TO:0000382");
  EXPECT_EQ(vars[0]->Get("scaleAccNumber"), "UO:0000021");
  ASSERT_EQ(Of(s, "data_file").size(), 1u);
  EXPECT_EQ(Of(s, "data_file")[0]->Get("dataFileLink"), "d_study1.txt");
}

// Each check of the reader, raised by one change to the valid fixture.
struct Mutation {
  const char* name;
  const char* file;
  const char* from;
  const char* to;
  const char* code;
  Severity severity;
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

class IsaTabBadInput : public ::testing::TestWithParam<Mutation> {};

TEST_P(IsaTabBadInput, RaisesItsFinding) {
  const Mutation& m = GetParam();
  Files files = ReadFixture("isatab-valid");
  if (std::string(m.to) == "<delete>") {
    ASSERT_EQ(files.erase(m.file), 1u);
  } else {
    std::string& data = files[m.file];
    ASSERT_NE(data.find(m.from), std::string::npos) << m.from;
    data = absl::StrReplaceAll(data, {{m.from, m.to}});
  }
  Loaded l = Load(files);
  EXPECT_TRUE(Has(l.report, m.code, m.severity)) << m.name << "\n" << l.report.ToText();
}

INSTANTIATE_TEST_SUITE_P(
    Checks, IsaTabBadInput,
    ::testing::Values(
        Mutation{"UndeclaredTermSource", "i_investigation.txt", "Term Source Name\tNCBITaxon", "Term Source Name\tNCBI",
                 "XRF-ISA-TERMSOURCE", Severity::kError},
        Mutation{"UndeclaredProtocol", "s_study1.txt", "\tGrowth\t", "\tGrowing\t", "XRF-ISA-PROTOCOL",
                 Severity::kError},
        Mutation{"UndeclaredParameter", "s_study1.txt", "Parameter Value[pH]", "Parameter Value[soil pH]",
                 "XRF-ISA-PARAM", Severity::kError},
        Mutation{"UndeclaredFactor", "s_study1.txt", "Factor Value[nitrogen]", "Factor Value[water]", "XRF-ISA-FACTOR",
                 Severity::kError},
        Mutation{"UnknownAssaySample", "a_study1.txt", "plot-3\t", "plot-99\t", "XRF-ISA-SAMPLE", Severity::kError},
        Mutation{"MissingStudyFile", "s_study1.txt", "", "<delete>", "XRF-FILE-MISSING", Severity::kError},
        Mutation{"MissingAssayFile", "a_study1.txt", "", "<delete>", "XRF-FILE-MISSING", Severity::kError},
        Mutation{"MissingTraitDefinitionFile", "tdf.txt", "", "<delete>", "XRF-FILE-MISSING", Severity::kError},
        Mutation{"MissingDataFile", "d_study1.txt", "", "<delete>", "XRF-FILE-MISSING", Severity::kWarning},
        Mutation{"EnvironmentNotConstant", "s_study1.txt",
                 "Growth\t6.5\t300\tseeds per square metre\tUO\t"
                 "http://purl.obolibrary.org/obo/UO_0000000\tplot-2\t",
                 "Growth\t5.5\t300\tseeds per square metre\tUO\thttp://purl.obolibrary.org/obo/UO_0000000\tplot-2\t",
                 "SEM-ENV-CONSTANT", Severity::kError},
        Mutation{"DataColumnNotAVariable", "d_study1.txt", "\tHD\n", "\tHDX\n", "XRF-DATAFILE-COLUMNS",
                 Severity::kError},
        Mutation{"DataRowNotAnAssay", "d_study1.txt", "assay-4\t", "assay-x\t", "XRF-DATAFILE-ROWS", Severity::kError},
        Mutation{"DecimalComma", "d_study1.txt", "41.1", "41,1", "FMT-DECIMAL-COMMA", Severity::kWarning},
        Mutation{"UnbalancedTermTriple", "tdf.txt", "Trait\tTerm Source REF\tTerm Accession Number\t",
                 "Trait\tTerm Source REF\t", "SYN-05", Severity::kError},
        Mutation{"UnitWithoutValue", "s_study1.txt", "Sample Name\t", "Sample Name\tUnit\t", "SYN-05",
                 Severity::kError},
        Mutation{"UnknownSectionKeyword", "i_investigation.txt", "STUDY PUBLICATIONS\n", "STUDY PUBLICATION\n",
                 "SYN-05", Severity::kError},
        Mutation{"SectionTwice", "i_investigation.txt", "STUDY PUBLICATIONS\n", "STUDY FACTORS\n", "SYN-05",
                 Severity::kError},
        Mutation{"RowBeforeAnySection", "i_investigation.txt", "ONTOLOGY SOURCE REFERENCE\n",
                 "Stray row\tvalue\nONTOLOGY SOURCE REFERENCE\n", "SYN-05", Severity::kError},
        Mutation{"StudyFileWithoutSourceName", "s_study1.txt", "Source Name\t", "Material\t", "SYN-05",
                 Severity::kError},
        Mutation{"AssayLevelDiffers", "i_investigation.txt", "plot level analysis", "plant level analysis", "XRF-LEVEL",
                 Severity::kWarning},
        Mutation{"NotUtf8", "s_study1.txt", "Morex", "Mor\xe9x", "SYN-01", Severity::kError},
        Mutation{"RaggedRow", "tdf.txt", "\t\n", "\n", "SYN-01", Severity::kError},
        Mutation{"MandatoryCommentMissing", "i_investigation.txt", "Comment[Study Country]\tPL",
                 "Comment[Study Country]\t", "PRE-MANDATORY", Severity::kError}),
    [](const ::testing::TestParamInfo<Mutation>& info) { return std::string(info.param.name); });

TEST(IsaTab, UnreferencedFilesAreReportedNotRead) {
  Files files = ReadFixture("isatab-valid");
  files["extra.tsv"] = "a\tb\n1\t2\n";
  Loaded l = Load(files);
  EXPECT_TRUE(Has(l.report, "SYN-01", Severity::kWarning, "extra.tsv"));
}

TEST(IsaTab, BomAndCrlfAreAccepted) {
  Files files = ReadFixture("isatab-valid");
  std::string& inv = files["i_investigation.txt"];
  inv = "\xEF\xBB\xBF" + absl::StrReplaceAll(inv, {{"\n", "\r\n"}});
  Loaded l = Load(files);
  EXPECT_TRUE(l.report.ok()) << Dump(l.report);
  EXPECT_EQ(Of(l.sub, "study").size(), 1u);
}

TEST(IsaTab, AccessionsBecomeCuries) {
  EXPECT_EQ(isatab::AccessionToCurie("http://purl.obolibrary.org/obo/PO_0000003"), "PO:0000003");
  EXPECT_EQ(isatab::AccessionToCurie("http://www.ebi.ac.uk/efo/EFO_0001796"), "EFO:0001796");
  EXPECT_EQ(isatab::AccessionToCurie("CO_715:0000145"), "CO_715:0000145");
  EXPECT_EQ(isatab::AccessionToCurie("https://example.org/terms/42"), "https://example.org/terms/42");
}

// TSV sheets -> stored records -> ISA-Tab -> records: the same content.
TEST(IsaTab, RoundTripFromTsvKeepsEveryRecord) {
  Loaded tsv = Load(ReadFixture("valid-1.2"));
  ASSERT_TRUE(tsv.report.ok()) << Dump(tsv.report);
  IsaTabExport out = WriteIsaTab(Records(tsv.sub));
  EXPECT_TRUE(out.notes.empty()) << out.notes[0];
  EXPECT_EQ(out.files[0].name, "i_investigation.txt");
  Loaded back = Load(AsFiles(out));
  EXPECT_TRUE(back.report.ok()) << Dump(back.report) << out.files[0].data;
  EXPECT_EQ(Contents(back.sub, true), Contents(tsv.sub, true));
}

// ISA-Tab -> records -> ISA-Tab -> records: the same records in the same
// order, and writing them again gives the same bytes.
TEST(IsaTab, RoundTripFromIsaTabIsAFixedPoint) {
  Loaded first = Load(ReadFixture("isatab-valid"));
  IsaTabExport a = WriteIsaTab(Records(first.sub));
  Loaded second = Load(AsFiles(a));
  EXPECT_TRUE(second.report.ok()) << Dump(second.report);
  EXPECT_EQ(Contents(second.sub, false), Contents(first.sub, false));
  IsaTabExport b = WriteIsaTab(Records(second.sub));
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) EXPECT_EQ(a.files[i].data, b.files[i].data) << a.files[i].name;
}

TEST(IsaTab, CellsWithTabsQuotesAndLineBreaksRoundTrip) {
  Loaded tsv = Load(ReadFixture("valid-1.2"));
  std::vector<Record> records = Records(tsv.sub);
  for (Record& r : records) {
    if (r.section == "study") r.values["studyDescription"] = "two\tlines\nwith \"quotes\"";
    if (r.section == "biological_material") r.extensions.emplace_back("Seed lot", "lot\t\"7\"");
  }
  Loaded back = Load(AsFiles(WriteIsaTab(records)));
  for (const Record* s : Of(back.sub, "study")) EXPECT_EQ(s->Get("studyDescription"), "two\tlines\nwith \"quotes\"");
  for (const Record* b : Of(back.sub, "biological_material")) EXPECT_EQ(Ext(*b, "Seed lot"), "lot\t\"7\"");
}

TEST(IsaTab, WhatIsaTabCannotHoldIsListed) {
  Loaded tsv = Load(ReadFixture("valid-1.2"));
  std::vector<Record> records = Records(tsv.sub);
  for (Record& r : records) {
    if (r.section == "environment") r.extensions.emplace_back("sensor", "T-17");
  }
  IsaTabExport out = WriteIsaTab(records);
  ASSERT_FALSE(out.notes.empty());
  EXPECT_NE(out.notes[0].find("sensor"), std::string::npos) << out.notes[0];
}

}  // namespace
}  // namespace fairtrace::miappe
