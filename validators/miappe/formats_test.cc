#include "validators/miappe/formats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fairtrace::miappe {
namespace {

std::vector<Finding> Check(const char* section, const char* field, const std::string& value, FormatOptions o = {}) {
  const FieldRule* rule = Schema::Default().Field(section, field);
  EXPECT_NE(rule, nullptr) << field;
  std::vector<Finding> out;
  if (rule != nullptr) CheckFormat(*rule, value, o, &out);
  return out;
}

std::string Codes(const std::vector<Finding>& f) {
  std::string out;
  for (const auto& x : f) out += x.code + "/" + SeverityName(x.severity) + " ";
  return out;
}

TEST(FormatsTest, Dates) {
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "2012-05-14")), "");
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "2012-05-14T08:30:00+02:00")), "");
  auto serial = Check("study", "studyStartDate", "41043");
  EXPECT_EQ(Codes(serial), "FMT-DATE-EXCEL-SERIAL/ERROR ");
  EXPECT_NE(serial[0].message.find("2012-05-14"), std::string::npos);
  auto lenient = Check("study", "studyStartDate", "41043", {Profile::k1_2, true});
  EXPECT_EQ(Codes(lenient), "FMT-DATE-EXCEL-SERIAL/WARNING ");
  EXPECT_EQ(lenient[0].fixed, "2012-05-14");
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "14/05/2012")), "FMT-DATE/ERROR ");
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "2013-02-30")), "FMT-DATE/ERROR ");
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "2012")), "FMT-DATE/WARNING ");
  EXPECT_EQ(Codes(Check("event", "eventDate", "2003-09-02; 2003-09-31")), "FMT-DATE/ERROR ");
  EXPECT_EQ(Codes(Check("study", "studyStartDate", "#N/A")), "FMT-TEXT/ERROR FMT-DATE/ERROR ");
}

TEST(FormatsTest, Places) {
  EXPECT_EQ(Codes(Check("study", "locationCountry", "fr")), "");
  auto name = Check("study", "locationCountry", "Japan");
  EXPECT_EQ(Codes(name), "FMT-COUNTRY/WARNING ");
  EXPECT_EQ(name[0].fixed, "JP");
  EXPECT_EQ(Codes(Check("study", "locationCountry", "NLD")), "FMT-COUNTRY/WARNING ");
  EXPECT_EQ(Codes(Check("study", "locationCountry", "Atlantis")), "FMT-COUNTRY/ERROR ");
  EXPECT_EQ(Codes(Check("study", "locationLatitude", "-8,73")), "FMT-DECIMAL-COMMA/ERROR ");
  EXPECT_EQ(Codes(Check("study", "locationLatitude", "91")), "FMT-LATLON/ERROR ");
  EXPECT_EQ(Codes(Check("study", "locationLongitude", "143.0756943")), "");
  EXPECT_EQ(Codes(Check("study", "locationLatitude", "43.123456789")), "FMT-LATLON/INFO ");
  EXPECT_EQ(Codes(Check("study", "locationLatitude", "43°36'N")), "FMT-LATLON/ERROR ");
  EXPECT_EQ(Codes(Check("study", "locationAltitude", "110m")), "FMT-ALTITUDE/INFO ");
  EXPECT_EQ(Codes(Check("study", "locationAltitude", "97")), "FMT-ALTITUDE/WARNING ");
  EXPECT_EQ(Codes(Check("study", "locationAltitude", "100 m")), "");
  EXPECT_EQ(Codes(Check("study", "locationAltitude", "12000 m")), "FMT-ALTITUDE/WARNING ");
}

TEST(FormatsTest, TermsAndTaxa) {
  EXPECT_EQ(Codes(Check("study", "expeDesignType", "CO_715:0000145")), "");
  auto underscore = Check("study", "growthFacilityType", "CO_715_0000162");
  EXPECT_EQ(Codes(underscore), "FMT-CURIE/ERROR ");
  EXPECT_EQ(Codes(Check("study", "growthFacilityType", "PO:0025034")), "VOC-SUBTREE/ERROR ");
  EXPECT_EQ(Codes(Check("observed_variable", "variableAccNumber", "EIPO:0000001")), "VOC-PRIVATE/WARNING ");
  auto purl = Check("observed_variable", "traitAccNumber", "http://purl.obolibrary.org/obo/TO_0000540");
  EXPECT_EQ(Codes(purl), "FMT-CURIE/INFO ");
  EXPECT_EQ(purl[0].fixed, "TO:0000540");
  EXPECT_EQ(Codes(Check("biological_material", "organism", "NCBITAXON:4577")), "");
  EXPECT_EQ(Codes(Check("biological_material", "organism", "NCBI:3695")), "FMT-CURIE/INFO ");
  EXPECT_EQ(Codes(Check("biological_material", "organism", "4113")), "FMT-CURIE/ERROR ");
  EXPECT_EQ(Codes(Check("biological_material", "organism", "NCBITAXON:4577 ")), "FMT-WHITESPACE/ERROR ");
  EXPECT_EQ(Codes(Check("sample", "developmentStage", "BBCH-17")), "");
}

TEST(FormatsTest, PeopleLicencesAndLists) {
  EXPECT_EQ(Codes(Check("person", "personId", "https://orcid.org/0000-0002-1825-0097")), "");
  EXPECT_EQ(Codes(Check("person", "personId", "https://orcid.org/0000-0002-1825-0098")), "FMT-ORCID/ERROR ");
  // A ';'-separated list (the official template's example holds two).
  EXPECT_EQ(Codes(Check("person", "personId", "https://orcid.org/0000-0002-1825-0097; 0000-0001-5109-3700")), "");
  EXPECT_EQ(
      Codes(Check("person", "personId", "https://orcid.org/0000-0002-1825-0097;https://orcid.org/0000-0002-1825-0098")),
      "FMT-ORCID/ERROR ");
  // What claims to be an ORCID but is malformed is an error, not "not an ORCID".
  EXPECT_EQ(Codes(Check("person", "personId", "https://orcid.org/0000-0002-1825")), "FMT-ORCID/ERROR ");
  EXPECT_EQ(Codes(Check("person", "personId", "ORCID.org/0000-0002-1825-0097/")), "FMT-ORCID/ERROR ");
  EXPECT_EQ(Codes(Check("person", "personId", "orcid 0000-0002-1825-0097")), "FMT-ORCID/ERROR ");
  EXPECT_EQ(Codes(Check("person", "personId", "0000-0002-1825-0098")), "FMT-ORCID/ERROR ");
  EXPECT_EQ(Codes(Check("person", "personId", "inrae:jdoe")), "FMT-ORCID/INFO ");
  EXPECT_EQ(Codes(Check("person", "personId", "inrae:jdoe; https://orcid.org/0000-0002-1825-0097")), "");
  EXPECT_EQ(Codes(Check("person", "personEmail", "not-an-address")), "FMT-EMAIL/ERROR ");
  EXPECT_EQ(Codes(Check("investigation", "license", "CC-BY-4.0")), "");
  auto human = Check("investigation", "license", "CC BY-SA 4.0");
  EXPECT_EQ(Codes(human), "FMT-LICENSE/INFO ");
  EXPECT_EQ(human[0].fixed, "CC-BY-SA-4.0");
  EXPECT_EQ(Codes(Check("investigation", "license", "CC BY-NC")), "FMT-LICENSE/WARNING ");
  EXPECT_EQ(Codes(Check("factor", "expeFactorValues", "watered; drought")), "");
  EXPECT_EQ(Codes(Check("factor", "expeFactorValues", "watered")), "PRE-CARDINALITY/ERROR ");
  EXPECT_EQ(Codes(Check("factor", "expeFactorValues", "watered;;drought")), "FMT-LIST/ERROR ");
  EXPECT_EQ(Codes(Check("study", "obsUnitLevelHierarchy", "block>plot>block")), "FMT-HIERARCHY/ERROR ");
  EXPECT_EQ(Codes(Check("observation_unit", "spatialDistribution", "block:1; plot:4")), "");
  EXPECT_EQ(Codes(Check("observation_unit", "spatialDistribution", "block 1")), "FMT-KV/ERROR ");
}

TEST(FormatsTest, ProfileDependentRules) {
  EXPECT_EQ(Codes(Check("biological_material", "infraspecificName", "11430", {Profile::k1_1, false})),
            "FMT-INFRASPECIFIC/INFO ");
  EXPECT_EQ(Codes(Check("biological_material", "infraspecificName", "Irish Cobbler", {Profile::k1_2, false})),
            "FMT-INFRASPECIFIC/WARNING ");
  EXPECT_EQ(Codes(Check("biological_material", "infraspecificName", "cultivar:Irish Cobbler")), "");
  EXPECT_EQ(Codes(Check("biological_material", "infraspecificName", "subsp. vinifera cv. Pinot Noir")), "");
  EXPECT_EQ(Codes(Check("observation_unit", "obsUnitType", "Study")), "VOC-OUTYPE/INFO ");
  EXPECT_EQ(Codes(Check("observation_unit", "obsUnitType", "leaf")), "SEM-SUBPLANT/ERROR ");
  EXPECT_EQ(Codes(Check("observation_unit", "obsUnitType", "replicate")), "VOC-OUTYPE/WARNING ");
}

}  // namespace
// A long single value is one FMT-TOO-LONG error; long lists are legitimate
// (an event of 100,000 observation units names them all).
TEST(FormatsTest, LongSingleValuesButNotLongLists) {
  EXPECT_THAT(Codes(Check("study", "studyStartDate", std::string(30000, '1'))), ::testing::HasSubstr("FMT-TOO-LONG"));
  std::string refs;
  for (int i = 0; i < 2000; ++i) refs += (i ? "; OU-" : "OU-") + std::to_string(i);
  EXPECT_THAT(Codes(Check("event", "obsUnitId", refs)), ::testing::Not(::testing::HasSubstr("FMT-TOO-LONG")));
}

}  // namespace fairtrace::miappe
