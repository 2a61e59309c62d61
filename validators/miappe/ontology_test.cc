#include "validators/miappe/ontology.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Dir() { return FAIRTRACE_MIAPPE_FIXTURES; }

TEST(OntologyTest, ParsesTermsHierarchyAndObsolescence) {
  Ontology o = Ontology::Parse("mini-co715.obo", Read(Dir() + "/ontology/mini-co715.obo"));
  EXPECT_EQ(o.size(), 8u);
  EXPECT_EQ(o.skipped(), 1);
  EXPECT_TRUE(o.IsA("CO_715:0000145", "CO_715:0000003"));
  EXPECT_FALSE(o.IsA("CO_715:0000162", "CO_715:0000003"));
  ASSERT_NE(o.Find("CO_715:0000999"), nullptr);
  EXPECT_TRUE(o.Find("CO_715:0000999")->obsolete);
  EXPECT_EQ(o.Find("CO_715:0000999")->replaced_by[0], "CO_715:0000145");
  EXPECT_EQ(o.snapshot().substr(0, 32), "co_715 fairtrace-test/2026-11-25");
  EXPECT_EQ(o.prefixes(), std::vector<std::string>{"CO_715"});
  Ontology cyclic = Ontology::Parse("c.obo", "[Term]\nid: X:1\nis_a: X:2\n[Term]\nid: X:2\nis_a: X:1\n");
  EXPECT_FALSE(cyclic.IsA("X:1", "X:3"));  // terminates
  Ontology garbage = Ontology::Parse("g.obo", std::string("\0\xff[Term\nid\n", 12));
  EXPECT_EQ(garbage.size(), 0u);
}

TEST(OntologyTest, LoadedOntologiesCheckExistenceObsolescenceAndSubtree) {
  std::map<std::string, std::string> files;
  for (const char* n : {"investigation", "study", "person", "biological_material", "observation_unit",
                        "observed_variable", "experimental_factor", "event", "sample", "environment", "data_file"}) {
    files[std::string(n) + ".tsv"] = Read(Dir() + "/valid-1.2/" + n + ".tsv");
  }
  std::string& study = files["study.tsv"];
  study.replace(study.find("CO_715:0000189\tWatered by weight\tmap.csv\n"), 14,
                "CO_715:0000145");  // S1 facility: a design
  study.replace(study.find("CO_715:0000145\tblock>pot>plant\tPlants in pots\t"), 14, "CO_715:0000999");  // S2: obsolete
  std::string& event = files["event.tsv"];
  event.replace(event.find("CO_715:0000007"), 14, "CO_715:0000777");  // unknown
  std::vector<InputFile> in;
  for (const auto& [name, data] : files) in.push_back({name, data});
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  OntologySet set;
  set.Add(std::make_shared<Ontology>(Ontology::Parse("mini", Read(Dir() + "/ontology/mini-co715.obo"))));
  ValidateOptions options;
  options.ontologies = &set;
  Report r = Validate(sub, Schema::Default(), options, pre);
  std::map<std::string, int> codes;
  for (const Finding& f : r.findings) ++codes[f.code];
  EXPECT_EQ(codes["VOC-SUBTREE"], 1) << r.ToText();
  EXPECT_EQ(codes["VOC-OBSOLETE"], 1);
  EXPECT_EQ(codes["VOC-UNRESOLVED"], 1);
  ASSERT_EQ(r.ontologies.size(), 1u);
  // Without ontologies the same submission passes the syntax checks.
  Report plain = Validate(sub, Schema::Default(), {}, pre);
  EXPECT_TRUE(plain.ok()) << plain.ToText();
  EXPECT_TRUE(plain.ontologies.empty());
}

// An ISA-Tab term triple whose label is not the term's name.
TEST(OntologyTest, IsaTabLabelsAreComparedWithTheTermNames) {
  std::vector<Finding> f;
  std::vector<InputFile> in = ReadSheetFiles({Dir() + "/isatab-valid"}, &f);
  for (InputFile& file : in) {
    if (file.name.find("i_investigation.txt") == std::string::npos) continue;
    const std::string from = "Study Design Type\tCO_715:0000145\nStudy Design Type Term Accession Number\t\n";
    size_t at = file.data.find(from);
    ASSERT_NE(at, std::string::npos);
    file.data.replace(at, from.size(),
                      "Study Design Type\tincomplete block design\nStudy Design Type Term Accession Number\t"
                      "CO_715:0000145\n");
  }
  std::vector<Finding> pre;
  Submission sub = LoadSheets(in, Schema::Default(), &pre);
  OntologySet set;
  set.Add(std::make_shared<Ontology>(Ontology::Parse("mini", Read(Dir() + "/ontology/mini-co715.obo"))));
  ValidateOptions options;
  options.ontologies = &set;
  Report r = Validate(sub, Schema::Default(), options, pre);
  int mismatches = 0;
  for (const Finding& x : r.findings) {
    if (x.code == "VOC-LABEL-MISMATCH") {
      ++mismatches;
      EXPECT_EQ(x.field, "expeDesignType");
      EXPECT_EQ(x.value, "incomplete block design");
    }
  }
  EXPECT_EQ(mismatches, 1) << r.ToText();
}

}  // namespace
}  // namespace fairtrace::miappe
