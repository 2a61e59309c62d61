#include "validators/miappe/validator.h"

#include <cmath>

#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/text/utf8.h"
#include "validators/miappe/formats.h"
#include "validators/miappe/locations.h"

namespace fairtrace::miappe {
namespace {

const char* const kIdField[][2] = {{"investigation", "investigationTitle"},
                                   {"study", "studyId"},
                                   {"person", "personName"},
                                   {"data_file", "dataFileLink"},
                                   {"biological_material", "biologicalMaterialId"},
                                   {"environment", "envParam"},
                                   {"factor", "expeFactorType"},
                                   {"event", "eventType"},
                                   {"observation_unit", "obsUnitId"},
                                   {"sample", "sampleId"},
                                   {"observed_variable", "variableId"}};

}  // namespace

std::string RecordId(const Record& r) {
  for (const auto& [section, field] : kIdField) {
    if (r.section == section) {
      std::string id(absl::StripAsciiWhitespace(r.Get(field)));
      return id.empty() ? r.location : id;
    }
  }
  return r.location;
}

namespace {

bool Blank(const std::string& v) { return absl::StripAsciiWhitespace(v).empty(); }

std::string Key(absl::string_view a, absl::string_view b) { return absl::StrCat(a, "\x1f", b); }

// The day a date cell means, for semantic checks: an ISO date, or an Excel
// serial (already reported by FMT-DATE-EXCEL-SERIAL, read here as the date
// it stands for so that date order is still checked).
std::optional<absl::CivilDay> DayOf(const std::string& value) {
  if (auto d = ParseIsoDay(value)) return d;
  int64_t serial;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &serial) && serial >= 20000 && serial <= 60000) {
    return absl::CivilDay(1899, 12, 30) + serial;
  }
  return std::nullopt;
}

class Checker {
 public:
  Checker(const Submission& sub, const Schema& schema, const ValidateOptions& options, Report* report)
      : sub_(sub), schema_(schema), options_(options), report_(report) {}

  void Run() {
    if (!HasData()) {
      // An untouched template: one clear finding, not one per empty
      // section and field.
      Finding f;
      f.code = "PRE-NODATA";
      f.severity = Severity::kError;
      f.message = absl::StrCat("no data in this ", sub_.input_kind,
                               sub_.template_name.empty() ? "" : absl::StrCat(" (an empty ", sub_.template_name, ")"));
      f.hint =
          "fill in the Investigation, Study, Person, Biological Material, Observation Unit and Observed Variable "
          "sheets";
      report_->findings.push_back(std::move(f));
      return;
    }
    ChooseProfile();
    size_t n = 0;
    for (const Record& r : sub_.records) {
      if (++n % 1024 == 0 && Stop()) return;
      CheckRecord(r);
      // Bounded memory whatever the submission: see Report::kMaxFindings.
      if (report_->findings.size() >= 2 * Report::kMaxFindings) report_->Compact();
    }
    if (Stop()) return;
    CheckSections();
    Index();
    CheckStudies();
    report_->Compact();
    if (Stop()) return;
    CheckLinks();
    report_->Compact();
    if (Stop()) return;
    CheckSemantics();
  }

  // Whether any record holds a value: template rows, banners and reference
  // sheets are not data (the readers drop them).
  bool HasData() const {
    for (const Record& r : sub_.records) {
      for (const auto& [codename, value] : r.values) {
        if (!Blank(value)) return true;
      }
      for (const auto& [header, value] : r.extensions) {
        if (!Blank(value)) return true;
      }
    }
    return !sub_.extension_sheets.empty();
  }

  bool Stop() {
    if (report_->stopped) return true;
    if (options_.should_stop && options_.should_stop()) report_->stopped = true;
    return report_->stopped;
  }

 private:
  Finding& Add(const Record* r, const char* code, Severity sev, const std::string& field, std::string message,
               std::string hint = "", std::string value = "") {
    Finding f;
    f.code = code;
    f.severity = sev;
    if (r != nullptr) {
      f.section = r->section;
      f.entity_id = RecordId(*r);
      f.location = FieldLocation(*r, field);
      if (!field.empty()) {
        if (const FieldRule* rule = schema_.Field(r->section, field)) f.dm = rule->dm;
        if (value.empty()) value = r->Get(field);
      }
    }
    f.field = field;
    f.value = text::ClipText(value, 200);
    f.message = std::move(message);
    f.hint = std::move(hint);
    report_->findings.push_back(std::move(f));
    return report_->findings.back();
  }

  // The records of `section`, in submission order (indexed once: the
  // checks ask for sections many times, and a submission may hold 100,000
  // units).
  const std::vector<const Record*>& Of(const std::string& section) {
    if (!indexed_) {
      for (const Record& r : sub_.records) by_section_[r.section].push_back(&r);
      indexed_ = true;
    }
    static const std::vector<const Record*> kNone;
    auto it = by_section_.find(section);
    return it == by_section_.end() ? kNone : it->second;
  }

  // ---- profile -----------------------------------------------------------

  void ChooseProfile() {
    profile_ = Profile::k1_2;
    const std::vector<const Record*>& inv = Of("investigation");
    std::string version = inv.empty() ? "" : std::string(absl::StripAsciiWhitespace(inv[0]->Get("miappeVersion")));
    if (version.empty()) {
      report_->profile = "";
      return;  // PRE reports the missing version; 1.2 rules apply
    }
    if (version == "1.1" || absl::StartsWith(version, "1.1.")) {
      profile_ = Profile::k1_1;
      report_->profile = "MIAPPE 1.1";
    } else if (version == "1.2" || absl::StartsWith(version, "1.2.")) {
      report_->profile = "MIAPPE 1.2";
    } else if (version == "1.0" || absl::StartsWith(version, "1.0.")) {
      Add(inv[0], "PRE-VERSION", Severity::kError, "miappeVersion", "MIAPPE 1.0 is not supported",
          "convert the submission to MIAPPE 1.1 or 1.2 (1.0 has no Investigation/Study split nor Observation Unit)");
    } else {
      Add(inv[0], "PRE-VERSION", Severity::kError, "miappeVersion", "unknown MIAPPE version",
          "set miappeVersion to 1.1 or 1.2");
    }
  }

  // ---- pass 1: one record ----------------------------------------------

  void CheckRecord(const Record& r) {
    FormatOptions fo{profile_, options_.strictness == Strictness::kLenient};
    auto cached = fields_.find(r.section);
    if (cached == fields_.end()) cached = fields_.emplace(r.section, schema_.Fields(r.section)).first;
    for (const FieldRule* rule : cached->second) {
      const std::string& v = r.Get(rule->codename);
      Level level = rule->LevelIn(profile_);
      if (Blank(v)) {
        if (level == Level::kMandatory) {
          if (rule->format == "study_refs") {
            Add(&r, "XRF-STUDY-REF", Severity::kError, rule->codename, "links to no study",
                "fill the study id(s) this record belongs to, separated by \";\"");
          } else {
            Add(&r, "PRE-MANDATORY", Severity::kError, rule->codename, "mandatory field is empty",
                rule->format == "text_na" ? "fill it; NA or unknown are accepted when nothing applies" : "fill it");
          }
        } else if (level == Level::kRecommended) {
          Add(&r, "PRE-RECOMMENDED", options_.strictness == Strictness::kStrict ? Severity::kError : Severity::kWarning,
              rule->codename, "recommended field is empty", "fill it if the information exists");
        }
        continue;
      }
      size_t before = report_->findings.size();
      CheckFormat(*rule, v, fo, &report_->findings);
      CheckTerm(r, *rule, v);
      for (size_t i = before; i < report_->findings.size(); ++i) {
        report_->findings[i].entity_id = RecordId(r);
        report_->findings[i].location = FieldLocation(r, report_->findings[i].field);
      }
    }
    // Conditional pairs: both or neither.
    static const char* const kPairs[][2] = {{"locationLatitude", "locationLongitude"},
                                            {"biologicalMaterialLatitude", "biologicalMaterialLongitude"},
                                            {"materialSourceLatitude", "materialSourceLongitude"}};
    for (const auto& [lat, lon] : kPairs) {
      if (schema_.Field(r.section, lat) == nullptr) continue;
      bool has_lat = !Blank(r.Get(lat)), has_lon = !Blank(r.Get(lon));
      if (has_lat != has_lon) {
        Add(&r, "PRE-CONDITIONAL", Severity::kError, has_lat ? lon : lat,
            "latitude and longitude come in pairs: one is missing", "give both, or neither");
      }
    }
  }

  // VOC-LABEL-MISMATCH: a label given next to the term (the ISA-Tab reader
  // keeps it as the extension "<column> label", the column naming this
  // field) that is not the ontology's name for it.
  void CheckLabel(const Record& r, const FieldRule& rule, const std::string& id, const OntologyTerm& term) {
    for (const auto& [key, label] : r.extensions) {
      if (label.empty() || !absl::EndsWith(key, " label")) continue;
      const FieldRule* f = schema_.FieldByHeader(r.section, key.substr(0, key.size() - 6));
      if (f == nullptr || f->codename != rule.codename) continue;
      if (NormalizeHeader(label) == NormalizeHeader(term.name)) continue;
      Add(&r, "VOC-LABEL-MISMATCH", Severity::kWarning, rule.codename,
          absl::StrCat("the label \"", label, "\" given with ", id, " is not its name \"", term.name, "\""),
          "check that the id is the term meant, or correct the label", label);
    }
  }

  // Existence, obsolescence and subtree of a term whose ontology is loaded.
  void CheckTerm(const Record& r, const FieldRule& rule, const std::string& value) {
    if (options_.ontologies == nullptr) return;
    static const std::pair<const char*, const char*> kRoots[] = {
        {"co715_design", "CO_715:0000003"}, {"co715_facility", "CO_715:0000005"}, {"co715_event", "CO_715:0000006"},
        {"po_anatomy", "PO:0025131"},       {"dev_stage", "PO:0009012"},          {"curie", nullptr}};
    const char* root = nullptr;
    bool term_field = false;
    for (const auto& [format, r0] : kRoots) {
      if (rule.format == format) {
        term_field = true;
        root = r0;
      }
    }
    if (!term_field) return;
    std::string id(absl::StripAsciiWhitespace(value));
    if (size_t obo = id.find("/obo/"); obo != std::string::npos && id.rfind('_') > obo) {
      id = id.substr(obo + 5);
      id[id.rfind('_')] = ':';
    }
    const Ontology* o = options_.ontologies->ForId(id);
    if (o == nullptr) return;  // not loaded: syntax only
    used_.insert(o->snapshot());
    const OntologyTerm* t = o->Find(id);
    if (t == nullptr) {
      Add(&r, "VOC-UNRESOLVED", Severity::kError, rule.codename,
          absl::StrCat("no term ", id, " in ", o->snapshot().substr(0, o->snapshot().find(' '))),
          "check the id against the ontology");
      return;
    }
    CheckLabel(r, rule, id, *t);
    if (t->obsolete) {
      Add(&r, "VOC-OBSOLETE", Severity::kWarning, rule.codename, absl::StrCat(id, " (", t->name, ") is obsolete"),
          t->replaced_by.empty() ? "use a current term" : absl::StrCat("use ", t->replaced_by[0], " instead"));
    }
    if (root != nullptr && absl::StartsWith(id, std::string(root).substr(0, std::string(root).find(':') + 1)) &&
        !o->IsA(id, root)) {
      const OntologyTerm* rt = o->Find(root);
      Add(&r, "VOC-SUBTREE", Severity::kError, rule.codename,
          absl::StrCat(id, " (", t->name, ") is not under ", root, rt ? absl::StrCat(" (", rt->name, ")") : ""),
          "use a term of the subtree this field requires");
    }
  }

  // ---- pass 2 --------------------------------------------------------------

  void CheckSections() {
    for (const SectionRule& s : schema_.sections()) {
      size_t n = Of(s.section).size();
      if (s.required && !sub_.sheets.contains(s.section) && n == 0) {
        Add(nullptr, "SYN-02", Severity::kError, "", absl::StrCat("the ", s.title, " sheet is missing"),
            absl::StrCat("add the ", s.title, " sheet (", s.section, ".tsv)"))
            .section = s.section;
        continue;
      }
      if (s.count == "per_investigation:1" && n > 1) {
        Add(nullptr, "PRE-SECTION", Severity::kError, "", absl::StrCat(n, " ", s.title, " records; exactly one"),
            "one investigation per submission")
            .section = s.section;
      }
      if ((s.count == "per_investigation:1" || s.count == "per_investigation:1+") && n == 0 &&
          sub_.sheets.contains(s.section)) {
        Add(nullptr, "PRE-SECTION", Severity::kError, "", absl::StrCat("the ", s.title, " section is empty"),
            absl::StrCat("MIAPPE requires at least one ", s.title))
            .section = s.section;
      }
    }
  }

  void Index() {
    for (const Record* s : Of("study")) {
      std::string id(absl::StripAsciiWhitespace(s->Get("studyId")));
      if (id.empty()) continue;
      if (!studies_.emplace(id, s).second) {
        Add(s, "XRF-DUP-ID", Severity::kError, "studyId", "study id used twice", "study ids are unique");
      }
    }
  }

  std::vector<std::string> LinkedStudies(const Record& r) const {
    std::vector<std::string> out;
    if (Blank(r.Get("studyId"))) return out;
    for (std::string& s : SplitList(r.Get("studyId"))) {
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  // Records of `section` per study; reports links to unknown studies.
  std::map<std::string, std::vector<const Record*>> ByStudy(const char* section) {
    std::map<std::string, std::vector<const Record*>> out;
    for (const Record* r : Of(section)) {
      for (const std::string& s : LinkedStudies(*r)) {
        if (!studies_.contains(s)) {
          Add(r, "XRF-STUDY-REF", Severity::kError, "studyId", absl::StrCat("no study \"", s, "\""),
              "use the studyId of a row of the Study sheet", s);
          continue;
        }
        out[s].push_back(r);
      }
    }
    return out;
  }

  void CheckStudies() {
    bm_ = ByStudy("biological_material");
    ou_ = ByStudy("observation_unit");
    ov_ = ByStudy("observed_variable");
    factors_ = ByStudy("factor");
    events_ = ByStudy("event");
    ByStudy("person");
    ByStudy("data_file");
    ByStudy("environment");
    for (const auto& [id, study] : studies_) {
      struct Needed {
        const std::map<std::string, std::vector<const Record*>>* map;
        const char* section;
        const char* title;
      };
      for (const Needed& n : {Needed{&bm_, "biological_material", "Biological Material"},
                              Needed{&ou_, "observation_unit", "Observation Unit"},
                              Needed{&ov_, "observed_variable", "Observed Variable"}}) {
        if (!n.map->contains(id)) {
          // Reported in the section that is missing (where the user has to
          // add rows), naming the study and pointing at its row.
          Finding& f = Add(study, "PRE-SECTION", Severity::kError, "", absl::StrCat("study ", id, " has no ", n.title),
                           absl::StrCat("every study needs at least one ", n.title, " linked to it by studyId"));
          f.section = n.section;
          f.field = "studyId";
          if (const FieldRule* rule = schema_.Field(n.section, "studyId")) f.dm = rule->dm;
          f.value = id;
        }
      }
    }
    // Identity: BM ids unique within a study; one definition across studies.
    absl::flat_hash_map<std::string, const Record*> bm_def;
    for (const auto& [study, list] : bm_) {
      absl::flat_hash_set<std::string> here;
      for (const Record* r : list) {
        std::string id(absl::StripAsciiWhitespace(r->Get("biologicalMaterialId")));
        if (id.empty()) continue;
        if (!here.insert(id).second) {
          Add(r, "XRF-DUP-ID", Severity::kError, "biologicalMaterialId",
              absl::StrCat("biological material \"", id, "\" appears twice in study ", study),
              "one row per material and study; give distinct materials distinct ids");
          continue;
        }
        bm_keys_.insert(Key(study, id));
        auto [it, inserted] = bm_def.emplace(id, r);
        if (!inserted && it->second != r) {
          bool same = SameDefinition(*it->second, *r);
          Add(r, "XRF-DUP-ID", same ? Severity::kWarning : Severity::kError, "biologicalMaterialId",
              absl::StrCat("biological material \"", id, "\" is defined twice", same ? "" : ", differently",
                           " (also at ", it->second->location, ")"),
              "ids are unique in the investigation: one definition, listing every study it is used in "
              "(studyId \"S1; S2\")");
        }
      }
    }
    for (const auto& [study, list] : ou_) {
      for (const Record* r : list) {
        std::string id(absl::StripAsciiWhitespace(r->Get("obsUnitId")));
        if (id.empty()) continue;
        if (!ou_keys_.insert(Key(study, id)).second) {
          Add(r, "XRF-DUP-ID", Severity::kError, "obsUnitId",
              absl::StrCat("observation unit \"", id, "\" appears twice in study ", study), "OU ids are unique");
        }
        ou_any_.insert(id);
      }
    }
    absl::flat_hash_map<std::string, const Record*> ov_def;
    for (const Record* r : Of("observed_variable")) {
      std::string id(absl::StripAsciiWhitespace(r->Get("variableId")));
      if (id.empty()) continue;
      auto [it, inserted] = ov_def.emplace(id, r);
      if (!inserted && !SameDefinition(*it->second, *r)) {
        Add(r, "XRF-DUP-ID", Severity::kError, "variableId",
            absl::StrCat("variable \"", id, "\" is defined twice, differently (also at ", it->second->location, ")"),
            "variable ids are unique in the investigation");
      }
    }
  }

  static bool SameDefinition(const Record& a, const Record& b) {
    for (const auto& [k, v] : a.values) {
      if (k != "studyId" && absl::StripAsciiWhitespace(v) != absl::StripAsciiWhitespace(b.Get(k))) return false;
    }
    for (const auto& [k, v] : b.values) {
      if (k != "studyId" && a.values.find(k) == a.values.end() && !Blank(v)) return false;
    }
    return true;
  }

  void CheckLinks() {
    // OU -> BM of the same study; OU factor values; OU types vs hierarchy.
    // Without any Experimental Factor sheet (the minimal 1.2 template has
    // none) factor values cannot be checked: said once, not per unit.
    const bool factors_declared = sub_.sheets.contains("factor") || !factors_.empty();
    const Record* unchecked_factor_value = nullptr;
    size_t unchecked_factor_values = 0;
    for (const auto& [study, list] : ou_) {
      std::vector<std::set<std::string>> levels;  // declared factor levels, lowercase
      std::set<std::string> factor_types;
      for (const Record* f : factors_[study]) {
        std::set<std::string> values;
        for (const std::string& v : SplitList(f->Get("expeFactorValues"))) values.insert(absl::AsciiStrToLower(v));
        levels.push_back(std::move(values));
        factor_types.insert(absl::AsciiStrToLower(absl::StripAsciiWhitespace(f->Get("expeFactorType"))));
      }
      const Record* st = studies_.at(study);
      std::vector<std::string> hierarchy;
      if (!Blank(st->Get("obsUnitLevelHierarchy"))) {
        for (absl::string_view l : absl::StrSplit(st->Get("obsUnitLevelHierarchy"), '>')) {
          hierarchy.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(l)));
        }
      }
      auto in_hierarchy = [&](const std::string& level) {
        return std::find(hierarchy.begin(), hierarchy.end(), level) != hierarchy.end();
      };
      for (const Record* r : list) {
        if (!Blank(r->Get("biologicalMaterialId"))) {
          for (const std::string& bm : SplitList(r->Get("biologicalMaterialId"))) {
            if (!bm.empty() && !bm_keys_.contains(Key(study, bm))) {
              Add(r, "XRF-OU-BM", Severity::kError, "biologicalMaterialId",
                  absl::StrCat("no biological material \"", bm, "\" in study ", study),
                  "use the id of a Biological Material row linked to the same study", bm);
            }
          }
        }
        if (!Blank(r->Get("obsUnitFactorValue")) && !factors_declared) {
          if (unchecked_factor_values++ == 0) unchecked_factor_value = r;
        } else if (!Blank(r->Get("obsUnitFactorValue"))) {
          for (const auto& [k, v] : SplitPairs(r->Get("obsUnitFactorValue"))) {
            std::string value = absl::AsciiStrToLower(v.empty() ? k : v);
            bool known = false;
            for (const auto& set : levels) known = known || set.contains(value);
            if (!known) {
              Add(r, "XRF-FACTOR-VALUE", Severity::kError, "obsUnitFactorValue",
                  absl::StrCat("\"", v.empty() ? k : v, "\" is not a declared level of a factor of study ", study),
                  "use one of the values listed in the Experimental Factor sheet");
            }
          }
        }
        if (!hierarchy.empty()) {
          std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(r->Get("obsUnitType")));
          if (!type.empty() && !in_hierarchy(type)) {
            Add(r, "XRF-LEVEL", Severity::kError, "obsUnitType",
                absl::StrCat("type \"", type, "\" is not a level of the study's hierarchy ",
                             st->Get("obsUnitLevelHierarchy")),
                "use a level of obsUnitLevelHierarchy, or add it there");
          }
          if (!Blank(r->Get("spatialDistribution"))) {
            static const std::set<std::string> kCoordinates = {"latitude", "longitude", "row", "col", "column",
                                                               "x",        "y",         "xm",  "ym"};
            for (const auto& [k, v] : SplitPairs(r->Get("spatialDistribution"))) {
              std::string key = absl::AsciiStrToLower(k);
              if (!kCoordinates.contains(key) && !in_hierarchy(key)) {
                Add(r, "XRF-LEVEL", Severity::kError, "spatialDistribution",
                    absl::StrCat("level \"", k, "\" is not in the study's hierarchy"),
                    "use hierarchy levels (or coordinates: row, col, X, Y, latitude, longitude)");
              }
            }
          }
        }
      }
    }
    if (unchecked_factor_value != nullptr) {
      Add(unchecked_factor_value, "XRF-FACTOR-VALUE", Severity::kInfo, "obsUnitFactorValue",
          absl::StrCat(unchecked_factor_values, " observation unit(s) name factor values, and the submission has no ",
                       "Experimental Factor sheet: the values were not checked against declared levels"),
          "add an Experimental Factor sheet declaring each factor and its levels");
    }
    // Events -> OUs of their study.
    for (const auto& [study, list] : events_) {
      for (const Record* r : list) {
        if (Blank(r->Get("obsUnitId"))) continue;
        for (const std::string& ou : SplitList(r->Get("obsUnitId"))) {
          if (!ou.empty() && !ou_keys_.contains(Key(study, ou))) {
            Add(r, "XRF-EVENT-OU", Severity::kError, "obsUnitId",
                absl::StrCat("no observation unit \"", ou, "\" in study ", study),
                "an event names OUs of its own study (empty: the whole study)", ou);
          }
        }
      }
    }
    // Samples -> OUs.
    for (const Record* r : Of("sample")) {
      std::string ou(absl::StripAsciiWhitespace(r->Get("obsUnitId")));
      if (!ou.empty() && !ou_any_.contains(ou)) {
        Add(r, "XRF-SAMPLE-OU", Severity::kError, "obsUnitId", absl::StrCat("no observation unit \"", ou, "\""),
            "a sample names the observation unit it was taken from", ou);
      }
    }
  }

  // SEM-COORD-COUNTRY: the site lies in (or near) its declared country.
  void CheckSiteInCountry(const Record& st) {
    if (options_.places == nullptr) return;
    double lat = 0, lon = 0;
    std::string country = CountryAlpha2(st.Get("locationCountry"));
    if (country.empty() || !absl::SimpleAtod(absl::StripAsciiWhitespace(st.Get("locationLatitude")), &lat) ||
        !absl::SimpleAtod(absl::StripAsciiWhitespace(st.Get("locationLongitude")), &lon)) {
      return;  // format findings cover unreadable values
    }
    if (std::abs(lat) > 90 || std::abs(lon) > 180) {
      // FMT-LATLON says out of range; say what the value probably meant.
      std::string hint = CoordinateHint(country, lat, lon);
      if (!hint.empty()) {
        Add(&st, "SEM-COORD-COUNTRY", Severity::kInfo, "locationLatitude",
            absl::StrCat("the site (", st.Get("locationLatitude"), ", ", st.Get("locationLongitude"),
                         ") is out of range"),
            hint, absl::StrCat(st.Get("locationLatitude"), ", ", st.Get("locationLongitude")));
      }
      return;
    }
    std::optional<bool> near = options_.places->Near(country, lat, lon, options_.country_tolerance_deg);
    if (std::string snapshot = options_.places->Snapshot(); !snapshot.empty()) used_.insert(snapshot);
    if (!near) {
      Add(&st, "SEM-COORD-COUNTRY", Severity::kInfo, "locationCountry",
          absl::StrCat("no outline for country ", country, "; the coordinates were not checked"), "",
          st.Get("locationCountry"));
    } else if (!*near) {
      Add(
          &st, "SEM-COORD-COUNTRY", Severity::kWarning, "locationLongitude",
          absl::StrCat("the site (", st.Get("locationLatitude"), ", ", st.Get("locationLongitude"),
                       ") is not in the declared country ", country),
          [&] {
            std::string hint = CoordinateHint(country, lat, lon);
            return hint.empty()
                       ? "check the coordinates (sign, latitude/longitude order, decimal degrees) and the country"
                       : hint;
          }(),
          absl::StrCat(st.Get("locationLatitude"), ", ", st.Get("locationLongitude")));
    }
  }

  // What a site's coordinates probably meant, when that lands in `country`:
  // a misplaced decimal point (a value divided by 10^k, k = 1..6) is tried
  // before a latitude/longitude swap, since 436.1 for 43.61 is the more
  // common slip. "" when neither lands there.
  std::string CoordinateHint(const std::string& country, double lat, double lon) {
    auto lands = [&](double a, double b) {
      return std::abs(a) <= 90 && std::abs(b) <= 180 &&
             options_.places->Near(country, a, b, options_.country_tolerance_deg) == std::optional<bool>(true);
    };
    for (int k = 1; k <= 6; ++k) {
      const double p = std::pow(10.0, k);
      if (lands(lat / p, lon)) {
        return absl::StrCat("a decimal point seems misplaced: latitude ", lat / p, " lies in ", country);
      }
      if (lands(lat, lon / p)) {
        return absl::StrCat("a decimal point seems misplaced: longitude ", lon / p, " lies in ", country);
      }
      if (lands(lat / p, lon / p)) {
        return absl::StrCat("decimal points seem misplaced: (", lat / p, ", ", lon / p, ") lies in ", country);
      }
    }
    if (lands(lon, lat)) {
      return absl::StrCat("latitude and longitude seem swapped: (", lon, ", ", lat, ") lies in ", country);
    }
    return "";
  }

  void CheckSemantics() {
    for (const Record* st : Of("study")) {
      std::string id(absl::StripAsciiWhitespace(st->Get("studyId")));
      auto start = DayOf(st->Get("studyStartDate"));
      auto end = DayOf(st->Get("studyEndDate"));
      if (start && end && *end < *start) {
        Add(st, "SEM-DATE-ORDER", Severity::kError, "studyEndDate",
            absl::StrCat("the study ends (", st->Get("studyEndDate"), ") before it starts (", st->Get("studyStartDate"),
                         ")"),
            "check the years of both dates");
      }
      CheckSiteInCountry(*st);
      if (!start) continue;
      for (const Record* ev : events_[id]) {
        for (const std::string& d : SplitList(ev->Get("eventDate"))) {
          auto day = DayOf(d);
          if (day &&
              (*day < *start - options_.date_tolerance_days || (end && *day > *end + options_.date_tolerance_days))) {
            Add(ev, "SEM-DATE-WINDOW", Severity::kWarning, "eventDate", "the event falls outside its study's period",
                "check the date and the study's start and end", d);
          }
        }
      }
    }
    for (const Record* inv : Of("investigation")) {
      auto sub = DayOf(inv->Get("submissionDate"));
      auto rel = DayOf(inv->Get("publicReleaseDate"));
      if (sub && rel && *rel < *sub) {
        Add(inv, "SEM-RELEASE-ORDER", Severity::kWarning, "publicReleaseDate", "public release before submission",
            "check both dates");
      }
    }
    for (const Record* f : Of("factor")) {
      std::vector<std::string> values = SplitList(f->Get("expeFactorValues"));
      std::set<std::string> distinct;
      for (const std::string& v : values) {
        if (!v.empty()) distinct.insert(absl::AsciiStrToLower(v));
      }
      if (values.size() >= 2 && distinct.size() < 2) {
        Add(f, "SEM-FACTOR-LEVELS", Severity::kError, "expeFactorValues", "a factor needs two distinct levels",
            "list at least two different values");
      }
    }
    for (const Record* bm : Of("biological_material")) {
      std::string genus(absl::StripAsciiWhitespace(bm->Get("genus")));
      std::string species(absl::StripAsciiWhitespace(bm->Get("species")));
      if (!genus.empty() && absl::StartsWithIgnoreCase(species, absl::StrCat(genus, " "))) {
        Finding& f = Add(bm, "SEM-TAXON-CONSISTENCY", Severity::kWarning, "species",
                         "species holds the binomial; MIAPPE wants the specific epithet only",
                         absl::StrCat("write \"", species.substr(genus.size() + 1), "\""));
        if (options_.strictness == Strictness::kLenient) f.fixed = species.substr(genus.size() + 1);
      }
    }
  }

  const Submission& sub_;
  const Schema& schema_;
  const ValidateOptions& options_;
  Report* report_;
  Profile profile_ = Profile::k1_2;
  bool indexed_ = false;
  absl::flat_hash_map<std::string, std::vector<const Record*>> by_section_;
  std::map<std::string, const Record*> studies_;
  std::map<std::string, std::vector<const Record*>> bm_, ou_, ov_, factors_, events_;
  absl::flat_hash_set<std::string> bm_keys_, ou_keys_, ou_any_;
  absl::flat_hash_map<std::string, std::vector<const FieldRule*>> fields_;  // per section
 public:
  std::set<std::string> used_;  // snapshots of the ontologies consulted
};

}  // namespace

Report Validate(const Submission& submission, const Schema& schema, const ValidateOptions& options,
                std::vector<Finding> pre) {
  Report report;
  report.validator_version = kValidatorVersion;
  report.findings = std::move(pre);
  report.Compact();
  Checker checker(submission, schema, options, &report);
  checker.Run();
  report.Compact();
  report.ontologies.assign(checker.used_.begin(), checker.used_.end());
  report.template_name = submission.template_name;
  report.template_version = submission.template_version;
  report.reference_sheets = submission.reference_sheets;
  return report;
}

}  // namespace fairtrace::miappe
