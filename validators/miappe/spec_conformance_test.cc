// The rules as data (schemas/miappe/*.tsv) against the machine-readable
// MIAPPE material of ../shared/miappe-examples/spec (when present): the
// checklists, the derived field-level table, the ISA-Tab mappings, the CO_715
// subtrees and the BrAPI annotations. A rule that drifts from the
// specification fails here, naming the field.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/testing/shared.h"
#include "validators/miappe/isatab_map.h"
#include "validators/miappe/loader.h"
#include "validators/miappe/ontology.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/tsv.h"
#include "validators/miappe/validator.h"

namespace fairtrace::miappe {
namespace {

namespace fs = std::filesystem;

fs::path Spec() { return fs::path(FAIRTRACE_SHARED_DIR) / "miappe-examples" / "spec"; }

Table Read(const std::string& name) {
  std::ifstream in(Spec() / name, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Finding> ignored;
  std::cout << "[ spec     ] read " << (Spec() / name).string() << "\n";
  return ParseTsv(name, data, &ignored, /*ragged=*/true);
}

std::string Cell(const std::vector<std::string>& row, size_t i) {
  return i < row.size() ? std::string(absl::StripAsciiWhitespace(row[i])) : "";
}

// "Observed Variable", "OBSERVED VARIABLE" -> "observed_variable".
std::string SectionOf(const std::string& title) {
  static const std::map<std::string, std::string> kSections = {{"investigation", "investigation"},
                                                               {"study", "study"},
                                                               {"person", "person"},
                                                               {"data file", "data_file"},
                                                               {"biological material", "biological_material"},
                                                               {"environment", "environment"},
                                                               {"experimental factor", "factor"},
                                                               {"event", "event"},
                                                               {"observation unit", "observation_unit"},
                                                               {"sample", "sample"},
                                                               {"observed variable", "observed_variable"}};
  auto it = kSections.find(absl::AsciiStrToLower(title));
  return it == kSections.end() ? "" : it->second;
}

class Spec_ : public ::testing::Test {
 protected:
  void SetUp() override { FT_REQUIRE_PATH(Spec()); }
  const Schema& schema_ = Schema::Default();
};

bool MandatoryCardinality(const std::string& card) {
  return card == "1" || card == "1+" || absl::StartsWith(card, "2+") || absl::StartsWith(card, "1 per");
}

// miappe_field_levels.tsv: every field there is ours, with its DM id, and
// its obligation in each version is our level (MIAPPE.md section 2).
TEST_F(Spec_, FieldLevelsMatchTheSchema) {
  Table t = Read("miappe_field_levels.tsv");
  int checked = 0;
  for (size_t r = 1; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    std::string section = SectionOf(Cell(row, 0)), dm = Cell(row, 1), codename = Cell(row, 3);
    if (codename.empty()) continue;  // a section row
    ASSERT_FALSE(section.empty()) << Cell(row, 0);
    const FieldRule* f = schema_.Field(section, codename);
    ASSERT_NE(f, nullptr) << section << "." << codename;
    EXPECT_EQ(f->dm, absl::StartsWith(dm, "DM-") ? dm : "1.2") << codename;
    const std::string template_level = Cell(row, 7);
    for (int v = 0; v < 2; ++v) {
      std::string card = Cell(row, 4 + v);
      Level ours = f->level[v];
      std::string where = absl::StrCat(section, ".", codename, " in ", v == 0 ? "1.1" : "1.2", " (", card, ")");
      if (card == "(absent)") {
        EXPECT_EQ(ours, Level::kAbsent) << where;
      } else if (MandatoryCardinality(card)) {
        EXPECT_EQ(ours, Level::kMandatory) << where;
      } else if (absl::StrContains(card, "(1 if")) {
        EXPECT_EQ(ours, Level::kConditional) << where;
      } else if (codename == "dataFileVersion" && v == 1) {
        EXPECT_EQ(ours, Level::kRecommended) << where;  // MIAPPE.md 4.4: 0-1 in 1.2, the template still red
      } else {
        Level want = template_level == "mandatory"     ? Level::kMandatory
                     : template_level == "recommended" ? Level::kRecommended
                                                       : Level::kOptional;
        EXPECT_EQ(ours, want) << where << ", template " << template_level;
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 90);
  // And no field of ours is missing from the table (links excepted).
  std::set<std::string> listed;
  for (size_t r = 1; r < t.rows.size(); ++r)
    listed.insert(absl::StrCat(SectionOf(Cell(t.rows[r], 0)), ".", Cell(t.rows[r], 3)));
  for (const SectionRule& s : schema_.sections()) {
    for (const FieldRule* f : schema_.Fields(s.section)) {
      if (f->dm == "-") continue;
      EXPECT_TRUE(listed.contains(absl::StrCat(s.section, ".", f->codename))) << s.section << "." << f->codename;
    }
  }
}

// The checklists: each field title (and, in 1.2, its codename) names our field.
TEST_F(Spec_, ChecklistTitlesAndCodenamesNameOurFields) {
  Table v12 = Read("MIAPPE_v1.2_checklist.tsv");
  std::string section;
  int checked = 0;
  for (size_t r = 1; r < v12.rows.size(); ++r) {
    std::string title = Cell(v12.rows[r], 0), codename = Cell(v12.rows[r], 1);
    if (std::string s = SectionOf(title); !s.empty() && codename.empty()) {
      section = s;
      continue;
    }
    if (section.empty() || codename.empty()) continue;
    const FieldRule* by_title = schema_.FieldByHeader(section, title);
    ASSERT_NE(by_title, nullptr) << section << ": \"" << title << "\"";
    EXPECT_EQ(by_title->codename, codename) << title;
    ++checked;
  }
  EXPECT_GE(checked, 90);
  Table v11 = Read("MIAPPE_v1.1_checklist.tsv");
  checked = 0;
  section.clear();
  for (size_t r = 2; r < v11.rows.size(); ++r) {
    std::string dm = Cell(v11.rows[r], 0), title = Cell(v11.rows[r], 1);
    if (!absl::StartsWith(dm, "DM-")) continue;
    if (std::string s = SectionOf(title); !s.empty()) {
      section = s;
      continue;
    }
    const FieldRule* f = schema_.FieldByHeader(section, title);
    if (f == nullptr) f = schema_.FieldByHeader(section, dm);
    ASSERT_NE(f, nullptr) << dm << " \"" << title << "\"";
    EXPECT_EQ(f->dm, dm) << title;
    ++checked;
  }
  EXPECT_GE(checked, 80);
}

// The ISA-Tab mappings of MIAPPE 1.1 and 1.2: each field placed at a plain
// ISA-Tab label is read from there by schemas/miappe/isatab.tsv.
TEST_F(Spec_, IsaTabMappingsMatchTheIsaMap) {
  const IsaMap& map = IsaMap::Default();
  for (const char* name : {"MIAPPE_v1.2_mapping_ISA-Tab_BrAPI.tsv", "MIAPPE_v1.1_mapping_ISA-Tab_BrAPI.tsv"}) {
    Table t = Read(name);
    size_t offset = Cell(t.rows[1], 0) == "line #" ? 1 : 0;  // 1.1 has a DM id column first
    std::string section;
    int checked = 0;
    for (size_t r = 2; r < t.rows.size(); ++r) {
      const auto& row = t.rows[r];
      std::string title = Cell(row, offset), file = Cell(row, offset + 1), part = Cell(row, offset + 2),
                  field = Cell(row, offset + 3);
      if (std::string s = SectionOf(title); !s.empty() && file.empty()) {
        section = s;
        continue;
      }
      if (section.empty() || field.empty() || absl::StrContains(field, "(") || absl::StrContains(field, "/") ||
          absl::StrContains(field, "\n") || absl::EndsWith(field, "[ ]")) {
        continue;  // structure (Source Name, Parameter Value[ ], ...), read by the reader's code
      }
      const FieldRule* f = schema_.FieldByHeader(section, title);
      ASSERT_NE(f, nullptr) << name << ": " << section << " \"" << title << "\"";
      std::string place, label = field;
      bool characteristic = absl::StartsWith(field, "Characteristics[") && absl::EndsWith(field, "]");
      if (characteristic) label = field.substr(16, field.size() - 17);
      if (file == "Investigation") {
        static const std::map<std::string, std::string> kPlaces = {{"INVESTIGATION", "investigation"},
                                                                   {"INVESTIGATION PUBLICATIONS", "publication"},
                                                                   {"STUDY", "study"},
                                                                   {"STUDY DESIGN DESCRIPTORS", "design"},
                                                                   {"STUDY FACTORS", "factor"},
                                                                   {"STUDY PROTOCOLS", "event"}};
        auto it = kPlaces.find(part);
        place = section == "data_file" ? "datafile" : it == kPlaces.end() ? "" : it->second;
      } else if (file == "Study" && characteristic) {
        place = part == "Source" ? "source" : part == "Sample" ? "sample" : "";
      } else if (file == "Assay" && characteristic) {
        place = "extract";
      } else if (file == "Trait Definition File") {
        place = "tdf";
      }
      if (place.empty()) continue;  // files the reader handles by structure (event file, ...)
      const IsaField* at = map.Find(place, label);
      std::string got = at != nullptr ? absl::StrCat(at->section, ".", at->codename) : "";
      if (at == nullptr && (place == "source" || place == "sample" || place == "extract" || place == "tdf")) {
        if (const FieldRule* by_header = schema_.FieldByHeader(section, label)) {
          got = absl::StrCat(section, ".", by_header->codename);
        }
      }
      EXPECT_EQ(got, absl::StrCat(section, ".", f->codename)) << name << ": " << field << " (" << place << ")";
      ++checked;
    }
    EXPECT_GE(checked, 60) << name;
  }
}

// The CO_715 subtrees: as an ontology, every listed term is accepted in its
// field and a term of another field's subtree is VOC-SUBTREE.
TEST_F(Spec_, Co715SubtreesDriveTheSubtreeCheck) {
  Table t = Read("CO_715_subtrees_for_MIAPPE.tsv");
  std::string obo = "format-version: 1.2\ndata-version: spec-subtrees\nontology: co_715\n";
  std::map<std::string, std::vector<std::string>> by_field;  // codename -> terms
  for (size_t r = 1; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    std::string field = Cell(row, 0), id = Cell(row, 2), label = Cell(row, 3), parents = Cell(row, 4);
    absl::StrAppend(&obo, "\n[Term]\nid: ", id, "\nname: ", label, "\n");
    for (absl::string_view p : absl::StrSplit(parents, absl::ByAnyChar(";, "), absl::SkipEmpty())) {
      absl::StrAppend(&obo, "is_a: ", p, "\n");
    }
    by_field[field.substr(0, field.find(' '))].push_back(id);
  }
  ASSERT_EQ(by_field.size(), 3u);
  OntologySet set;
  set.Add(std::make_shared<Ontology>(Ontology::Parse("CO_715_subtrees_for_MIAPPE.tsv", obo)));
  ValidateOptions options;
  options.ontologies = &set;
  std::vector<Finding> f;
  std::vector<InputFile> base = ReadSheetFiles({std::string(FAIRTRACE_MIAPPE_FIXTURES) + "/valid-1.2"}, &f);
  auto subtree_errors = [&](const std::string& design, const std::string& facility) {
    std::vector<InputFile> in = base;
    for (InputFile& file : in) {
      if (!absl::EndsWith(file.name, "/study.tsv")) continue;
      file.data = absl::StrReplaceAll(file.data, {{"CO_715:0000145", design}, {"CO_715:0000189", facility}});
    }
    std::vector<Finding> pre;
    Submission sub = LoadSheets(in, Schema::Default(), &pre);
    Report r = Validate(sub, Schema::Default(), options, pre);
    int n = 0;
    for (const Finding& x : r.findings) n += x.code == "VOC-SUBTREE" || x.code == "VOC-UNRESOLVED";
    return n;
  };
  int checked = 0;
  for (const std::string& design : by_field["expeDesignType"]) {
    EXPECT_EQ(subtree_errors(design, "CO_715:0000189"), 0) << design;
    ++checked;
  }
  for (const std::string& facility : by_field["growthFacilityType"]) {
    if (facility == "CO_715:0000005") continue;  // the root itself is no facility type, but is in the subtree
    EXPECT_EQ(subtree_errors("CO_715:0000145", facility), 0) << facility;
    ++checked;
  }
  EXPECT_GE(checked, 70);
  // A facility term given as the design type (S1 and S2 both use the design).
  EXPECT_EQ(subtree_errors("CO_715:0000162", "CO_715:0000189"), 2);
}

// The BrAPI v2.1 annotations cite MIAPPE DM ids: each is a field of ours.
TEST_F(Spec_, BrapiAnnotationsCiteKnownDmIds) {
  Table t = Read("BrAPI_v2.1_MIAPPE_annotations.tsv");
  std::set<std::string> ours;
  for (const SectionRule& s : schema_.sections()) {
    for (const FieldRule* f : schema_.Fields(s.section)) ours.insert(f->dm);
  }
  std::set<std::string> sections_dm = {"DM-1",  "DM-10", "DM-30", "DM-36", "DM-40", "DM-57",
                                       "DM-60", "DM-64", "DM-69", "DM-75", "DM-82"};
  int checked = 0;
  for (size_t r = 1; r < t.rows.size(); ++r) {
    std::string dm = Cell(t.rows[r], 0);
    if (dm.empty() || sections_dm.contains(dm)) continue;
    EXPECT_TRUE(ours.contains(dm)) << dm << " (" << Cell(t.rows[r], 3) << ")";
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

}  // namespace
}  // namespace fairtrace::miappe
