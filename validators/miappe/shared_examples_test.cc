// The real MIAPPE files of ../shared/miappe-examples (when present): the
// validator must raise the findings MIAPPE.md section 11 lists for them.
// These files are read in place, never copied into the project.
#include <filesystem>
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "tests/testing/shared.h"
#include "validators/miappe/dcw_countries.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

namespace fs = std::filesystem;

// `rename`: strip this from file names (the shared ISA-Tab copies are cut
// to 20 rows and named *.head20.txt; renamed, they stand for the files the
// investigation names).
Report ValidateExample(const std::string& name, const std::string& rename = "") {
  fs::path dir = fs::path(FAIRTRACE_SHARED_DIR) / "miappe-examples" / name;
  std::vector<Finding> pre;
  std::vector<InputFile> files = ReadSheetFiles({dir.string()}, &pre);
  if (!rename.empty()) {
    for (InputFile& f : files) {
      if (size_t at = f.name.find(rename); at != std::string::npos) f.name.erase(at, rename.size());
    }
  }
  Submission sub = LoadSheets(files, Schema::Default(), &pre);
  std::cout << "[ shared   ] validated " << dir << " (" << files.size() << " sheets)\n";
  // The country outlines scripts/setup.sh installs (gmt-dcw).
  static const auto* places = [] {
    auto opened = DcwCountries::Open();
    return opened.ok() ? opened->release() : nullptr;
  }();
  ValidateOptions options;
  options.places = places;
  return Validate(sub, Schema::Default(), options, std::move(pre));
}

bool Has(const Report& r, const std::string& code, Severity sev, const std::string& field = "",
         const std::string& entity = "") {
  for (const Finding& f : r.findings) {
    if (f.code == code && f.severity == sev && (field.empty() || f.field == field) &&
        (entity.empty() || f.entity_id == entity)) {
      return true;
    }
  }
  return false;
}

int Count(const Report& r, const std::string& code, const std::string& field) {
  int n = 0;
  for (const Finding& f : r.findings) n += f.code == code && f.field == field;
  return n;
}

class SharedExamples : public ::testing::Test {
 protected:
  void SetUp() override { FT_REQUIRE_PATH(fs::path(FAIRTRACE_SHARED_DIR) / "miappe-examples"); }
};

TEST_F(SharedExamples, MaizeDrops) {
  Report r = ValidateExample("maize-drops-v1.1");
  EXPECT_EQ(r.profile, "MIAPPE 1.1");
  EXPECT_FALSE(r.ok());
  EXPECT_GE(Count(r, "FMT-DATE-EXCEL-SERIAL", "studyStartDate"), 19);
  EXPECT_TRUE(Has(r, "SEM-DATE-ORDER", Severity::kError, "studyEndDate", "MTA_ATKMartonvasar2013"));
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "obsUnitDesc"), 19);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "dataFileDesc"), 19);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "dataFileVersion"), 19);                                 // mandatory in 1.1
  EXPECT_TRUE(Has(r, "SYN-02", Severity::kError) || Has(r, "PRE-SECTION", Severity::kError));  // no Person, no OU
  for (const char* section : {"biological_material", "factor", "observed_variable"}) {
    bool found = false;
    for (const Finding& f : r.findings) found = found || (f.code == "XRF-STUDY-REF" && f.section == section);
    EXPECT_TRUE(found) << section;
  }
  EXPECT_TRUE(Has(r, "FMT-INFRASPECIFIC", Severity::kInfo, "infraspecificName"));
  EXPECT_TRUE(Has(r, "VOC-PRIVATE", Severity::kWarning));
  EXPECT_TRUE(Has(r, "FMT-LICENSE", Severity::kInfo, "license"));
  EXPECT_TRUE(Has(r, "SYN-03", Severity::kInfo));                 // Parent1, GeneticGroup... kept as extensions
  EXPECT_FALSE(Has(r, "SEM-COORD-COUNTRY", Severity::kWarning));  // 19 sites in FR, DE, IT, HU, RO, CL: all in place
}

TEST_F(SharedExamples, PoplarPopyomics) {
  Report r = ValidateExample("poplar-popyomics-v1.1");
  EXPECT_EQ(r.profile, "MIAPPE 1.1");
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kInfo, "organism"));      // NCBI: -> NCBITAXON:
  EXPECT_TRUE(Has(r, "FMT-ALTITUDE", Severity::kInfo));               // 110m
  EXPECT_TRUE(Has(r, "VOC-OUTYPE", Severity::kInfo, "obsUnitType"));  // "Study"
  EXPECT_GE(Count(r, "PRE-MANDATORY", "dataFileDesc"), 3);
  EXPECT_GE(Count(r, "PRE-MANDATORY", "dataFileVersion"), 3);
  EXPECT_FALSE(Has(r, "XRF-STUDY-REF", Severity::kError));  // "a; b; c" study lists resolve
  EXPECT_TRUE(
      Has(r, "SEM-COORD-COUNTRY", Severity::kWarning, "locationLongitude", "POPYOMICS-POP2-I"));  // lon 1.87 is France
  EXPECT_FALSE(Has(r, "SEM-COORD-COUNTRY", Severity::kWarning, "locationLongitude", "POPYOMICS-POP2-F"));
}

TEST_F(SharedExamples, PotatoTtadda) {
  Report r = ValidateExample("potato-ttadda-uav-v1.2");
  EXPECT_EQ(r.profile, "MIAPPE 1.2");
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "siteName"), 5);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "expeDesignDesc"), 5);
  EXPECT_TRUE(Has(r, "SYN-02", Severity::kError) || Has(r, "PRE-SECTION", Severity::kError));  // no Person
  EXPECT_TRUE(Has(r, "FMT-DATE-EXCEL-SERIAL", Severity::kError, "studyStartDate"));
  EXPECT_TRUE(Has(r, "SEM-DATE-ORDER", Severity::kError, "studyEndDate", "TTADDA_WUR_2023"));
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kError, "organism"));            // 4113
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kError, "growthFacilityType"));  // CO_715_0000162
  EXPECT_TRUE(Has(r, "SEM-TAXON-CONSISTENCY", Severity::kWarning, "species"));
  EXPECT_TRUE(Has(r, "FMT-COUNTRY", Severity::kWarning, "locationCountry"));
  EXPECT_TRUE(Has(r, "VOC-OUTYPE", Severity::kInfo, "obsUnitType"));  // field
  // The within-study repeat of the full file lies beyond the 40-row cut;
  // the cut still defines the same materials once per study.
  EXPECT_TRUE(Has(r, "XRF-DUP-ID", Severity::kWarning, "biologicalMaterialId"));
  EXPECT_TRUE(Has(r, "FMT-LICENSE", Severity::kWarning, "license"));  // CC BY-NC
  EXPECT_TRUE(Has(r, "SYN-03", Severity::kInfo));                     // sensor sheet, dataId...
}

// As shipped: the investigation names s_study1.txt, s_study2.txt, ... but
// the folder holds truncated copies under other names.
TEST_F(SharedExamples, PolapgenIsaTabAsShipped) {
  Report r = ValidateExample("isatab-polapgen-barley-field");
  EXPECT_FALSE(r.ok());
  for (const char* f :
       {"s_study1.txt", "s_study2.txt", "a_study1_phenotyping2012.txt", "a_study1_phenotyping2013.txt"}) {
    EXPECT_TRUE(Has(r, "XRF-FILE-MISSING", Severity::kError, "", f)) << f;
  }
  EXPECT_TRUE(Has(r, "SYN-01", Severity::kWarning, "", "s_study1.head20.txt"));  // not named, not read
  // The older configuration has none of the MIAPPE 1.1 comments.
  EXPECT_TRUE(Has(r, "PRE-MANDATORY", Severity::kError, "miappeVersion"));
  EXPECT_TRUE(Has(r, "PRE-MANDATORY", Severity::kError, "contactInst", "IPGPAS_POLAPGEN_study01"));
  EXPECT_TRUE(Has(r, "PRE-MANDATORY", Severity::kError, "locationCountry", "IPGPAS_POLAPGEN_study02"));
}

// The truncated copies standing for the files they were cut from.
TEST_F(SharedExamples, PolapgenIsaTab) {
  Report r = ValidateExample("isatab-polapgen-barley-field", ".head20");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Has(r, "XRF-FILE-MISSING", Severity::kError, "", "s_study2.txt"));
  EXPECT_TRUE(Has(r, "XRF-FILE-MISSING", Severity::kError, "", "a_study1_phenotyping2013.txt"));
  EXPECT_FALSE(Has(r, "XRF-FILE-MISSING", Severity::kError, "", "s_study1.txt"));
  EXPECT_TRUE(Has(r, "FMT-DECIMAL-COMMA", Severity::kWarning, "", "TGW"));  // 59,07 in the data file
  EXPECT_TRUE(Has(r, "FMT-DATE", Severity::kWarning, "studyStartDate"));    // "2012": reduced precision
  EXPECT_TRUE(Has(r, "XRF-ISA-TERMSOURCE", Severity::kError, "", "TO"));    // cited by the tdf, never declared
  EXPECT_TRUE(Has(r, "PRE-MANDATORY", Severity::kError, "miappeVersion"));
  EXPECT_TRUE(Has(r, "PRE-MANDATORY", Severity::kError, "contactInst"));
  EXPECT_TRUE(Has(r, "FMT-INFRASPECIFIC", Severity::kWarning, "infraspecificName"));  // bare line codes
  EXPECT_FALSE(Has(r, "XRF-ISA-SAMPLE", Severity::kError));        // every assay row's sample is in the study file
  EXPECT_FALSE(Has(r, "XRF-ISA-PROTOCOL", Severity::kError));      // every Protocol REF is declared
  EXPECT_FALSE(Has(r, "XRF-DATAFILE-COLUMNS", Severity::kError));  // the data columns are the tdf's variables
}

TEST_F(SharedExamples, RoCrateDraftIsNotJson) {
  Report r = ValidateExample("rocrate-miappe-draft-drops");
  EXPECT_TRUE(Has(r, "SYN-06", Severity::kError));  // // comments make it invalid JSON
}

TEST_F(SharedExamples, LinkmlYamlIsAnUnsupportedFormat) {
  Report r = ValidateExample("linkml-nested-synthetic");
  EXPECT_TRUE(Has(r, "SYN-01", Severity::kError, "", "Investigation-maize.yaml"));
}

}  // namespace
}  // namespace fairtrace::miappe
