// The real MIAPPE files of ../shared/miappe-examples (when present): the
// validator must raise the findings MIAPPE.md section 11 lists for them.
// These files are read in place, never copied into the project.
#include <filesystem>
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

namespace fs = std::filesystem;

Report ValidateExample(const std::string& name) {
  fs::path dir = fs::path(FAIRTRACE_SHARED_DIR) / "miappe-examples" / name;
  std::vector<Finding> pre;
  std::vector<InputFile> files = ReadSheetFiles({dir.string()}, &pre);
  Submission sub = LoadSheets(files, Schema::Default(), &pre);
  std::cout << "[ shared   ] validated " << dir << " (" << files.size() << " sheets)\n";
  return Validate(sub, Schema::Default(), {}, std::move(pre));
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
  void SetUp() override {
    if (!fs::exists(fs::path(FAIRTRACE_SHARED_DIR) / "miappe-examples")) {
      GTEST_SKIP() << "../shared/miappe-examples not present";
    }
  }
};

TEST_F(SharedExamples, MaizeDrops) {
  Report r = ValidateExample("maize-drops-v1.1");
  EXPECT_EQ(r.profile, "MIAPPE 1.1");
  EXPECT_FALSE(r.ok());
  EXPECT_GE(Count(r, "FMT-DATE-EXCEL-SERIAL", "studyStartDate"), 19);
  EXPECT_TRUE(Has(r, "SEM-DATE-ORDER", Severity::kError, "studyEndDate", "MTA_ATKMartonvasar2013"));
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "obsUnitDesc"), 19);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "dataFileDesc"), 19);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "dataFileVersion"), 19);  // mandatory in 1.1
  EXPECT_TRUE(Has(r, "SYN-02", Severity::kError) || Has(r, "PRE-SECTION", Severity::kError));  // no Person, no OU
  for (const char* section : {"biological_material", "factor", "observed_variable"}) {
    bool found = false;
    for (const Finding& f : r.findings) found = found || (f.code == "XRF-STUDY-REF" && f.section == section);
    EXPECT_TRUE(found) << section;
  }
  EXPECT_TRUE(Has(r, "FMT-INFRASPECIFIC", Severity::kInfo, "infraspecificName"));
  EXPECT_TRUE(Has(r, "VOC-PRIVATE", Severity::kWarning));
  EXPECT_TRUE(Has(r, "FMT-LICENSE", Severity::kInfo, "license"));
  EXPECT_TRUE(Has(r, "SYN-03", Severity::kInfo));  // Parent1, GeneticGroup... kept as extensions
}

TEST_F(SharedExamples, PoplarPopyomics) {
  Report r = ValidateExample("poplar-popyomics-v1.1");
  EXPECT_EQ(r.profile, "MIAPPE 1.1");
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kInfo, "organism"));       // NCBI: -> NCBITAXON:
  EXPECT_TRUE(Has(r, "FMT-ALTITUDE", Severity::kInfo));                // 110m
  EXPECT_TRUE(Has(r, "VOC-OUTYPE", Severity::kInfo, "obsUnitType"));   // "Study"
  EXPECT_GE(Count(r, "PRE-MANDATORY", "dataFileDesc"), 3);
  EXPECT_GE(Count(r, "PRE-MANDATORY", "dataFileVersion"), 3);
  EXPECT_FALSE(Has(r, "XRF-STUDY-REF", Severity::kError));  // "a; b; c" study lists resolve
}

TEST_F(SharedExamples, PotatoTtadda) {
  Report r = ValidateExample("potato-ttadda-uav-v1.2");
  EXPECT_EQ(r.profile, "MIAPPE 1.2");
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "siteName"), 5);
  EXPECT_EQ(Count(r, "PRE-MANDATORY", "expeDesignDesc"), 5);
  EXPECT_TRUE(Has(r, "SYN-02", Severity::kError) || Has(r, "PRE-SECTION", Severity::kError));  // no Person
  EXPECT_TRUE(Has(r, "FMT-DATE-EXCEL-SERIAL", Severity::kError, "studyStartDate"));
  EXPECT_TRUE(Has(r, "SEM-DATE-ORDER", Severity::kError, "studyEndDate", "TTADDA_WUR_2023"));
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kError, "organism"));             // 4113
  EXPECT_TRUE(Has(r, "FMT-CURIE", Severity::kError, "growthFacilityType"));   // CO_715_0000162
  EXPECT_TRUE(Has(r, "SEM-TAXON-CONSISTENCY", Severity::kWarning, "species"));
  EXPECT_TRUE(Has(r, "FMT-COUNTRY", Severity::kWarning, "locationCountry"));
  EXPECT_TRUE(Has(r, "VOC-OUTYPE", Severity::kInfo, "obsUnitType"));          // field
  // The within-study repeat of the full file lies beyond the 40-row cut;
  // the cut still defines the same materials once per study.
  EXPECT_TRUE(Has(r, "XRF-DUP-ID", Severity::kWarning, "biologicalMaterialId"));
  EXPECT_TRUE(Has(r, "FMT-LICENSE", Severity::kWarning, "license"));          // CC BY-NC
  EXPECT_TRUE(Has(r, "SYN-03", Severity::kInfo));                             // sensor sheet, dataId...
}

}  // namespace
}  // namespace fairtrace::miappe
