#include "validators/miappe/schema.h"

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fairtrace::miappe {

extern const char kFieldsTsv[];
extern const char kSectionsTsv[];

namespace {

absl::StatusOr<Level> ParseLevel(absl::string_view s, int line) {
  if (s == "M") return Level::kMandatory;
  if (s == "R") return Level::kRecommended;
  if (s == "O") return Level::kOptional;
  if (s == "C") return Level::kConditional;
  if (s == "-") return Level::kAbsent;
  return absl::InvalidArgumentError(absl::StrCat("fields.tsv line ", line, ": unknown level \"", s, "\""));
}

// Data rows of a TSV rules file: comments (#) and the header row skipped.
std::vector<std::pair<int, std::vector<std::string>>> Rows(absl::string_view tsv) {
  std::vector<std::pair<int, std::vector<std::string>>> out;
  int line = 0;
  bool header = true;
  for (absl::string_view l : absl::StrSplit(tsv, '\n')) {
    ++line;
    if (l.empty() || l[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    out.emplace_back(line, absl::StrSplit(l, '\t'));
  }
  return out;
}

}  // namespace

std::string NormalizeHeader(absl::string_view header) {
  std::string out;
  for (char c : header) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

absl::StatusOr<Schema> Schema::Parse(absl::string_view fields_tsv, absl::string_view sections_tsv) {
  Schema s;
  for (auto& [line, cols] : Rows(sections_tsv)) {
    if (cols.size() != 5) {
      return absl::InvalidArgumentError(absl::StrCat("sections.tsv line ", line, ": expected 5 columns"));
    }
    SectionRule r{cols[0], cols[1], cols[2] == "yes", cols[3], {}};
    for (absl::string_view f : absl::StrSplit(cols[4], '|')) r.files.push_back(NormalizeHeader(f));
    s.sections_.push_back(std::move(r));
  }
  for (auto& [line, cols] : Rows(fields_tsv)) {
    if (cols.size() != 8) {
      return absl::InvalidArgumentError(absl::StrCat("fields.tsv line ", line, ": expected 8 columns"));
    }
    if (s.Section(cols[0]) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("fields.tsv line ", line, ": unknown section ", cols[0]));
    }
    FieldRule f;
    f.section = cols[0];
    f.codename = cols[1];
    f.dm = cols[2];
    for (int p = 0; p < 2; ++p) {
      absl::StatusOr<Level> l = ParseLevel(cols[3 + p], line);
      if (!l.ok()) return l.status();
      f.level[p] = *l;
    }
    f.card = cols[5];
    f.format = cols[6];
    static const absl::flat_hash_map<std::string, FormatKind>* kKinds =
        new absl::flat_hash_map<std::string, FormatKind>{
            {"text", FormatKind::kText},
            {"text_na", FormatKind::kTextNa},
            {"id", FormatKind::kId},
            {"id_list", FormatKind::kIdList},
            {"date", FormatKind::kDate},
            {"date_list", FormatKind::kDateList},
            {"country", FormatKind::kCountry},
            {"latitude", FormatKind::kLatitude},
            {"longitude", FormatKind::kLongitude},
            {"altitude", FormatKind::kAltitude},
            {"uncertainty", FormatKind::kUncertainty},
            {"curie", FormatKind::kCurie},
            {"co715_design", FormatKind::kCo715Design},
            {"co715_facility", FormatKind::kCo715Facility},
            {"co715_event", FormatKind::kCo715Event},
            {"taxon", FormatKind::kTaxon},
            {"doi", FormatKind::kDoi},
            {"doi_list", FormatKind::kDoiList},
            {"uri", FormatKind::kUri},
            {"uri_or_file", FormatKind::kUriOrFile},
            {"email", FormatKind::kEmail},
            {"person_id", FormatKind::kPersonId},
            {"license", FormatKind::kLicense},
            {"version", FormatKind::kVersion},
            {"list", FormatKind::kList},
            {"kv", FormatKind::kKv},
            {"hierarchy", FormatKind::kHierarchy},
            {"infraspecific", FormatKind::kInfraspecific},
            {"matsource", FormatKind::kMatSource},
            {"ou_type", FormatKind::kOuType},
            {"dev_stage", FormatKind::kDevStage},
            {"po_anatomy", FormatKind::kPoAnatomy},
            {"study_refs", FormatKind::kStudyRefs},
            {"bm_refs", FormatKind::kBmRefs},
            {"ou_refs", FormatKind::kOuRefs},
        };
    auto kind = kKinds->find(f.format);
    if (kind == kKinds->end()) {
      return absl::InvalidArgumentError(absl::StrCat("fields.tsv line ", line, ": unknown format ", f.format));
    }
    f.kind = kind->second;
    f.aliases.push_back(NormalizeHeader(f.codename));
    if (f.dm.rfind("DM-", 0) == 0) f.aliases.push_back(NormalizeHeader(f.dm));
    for (absl::string_view a : absl::StrSplit(cols[7], '|', absl::SkipEmpty())) f.aliases.push_back(NormalizeHeader(a));
    s.fields_.push_back(std::move(f));
  }
  for (size_t i = 0; i < s.fields_.size(); ++i) {
    s.by_codename_.emplace(std::make_pair(s.fields_[i].section, s.fields_[i].codename), i);
    for (const std::string& a : s.fields_[i].aliases) {
      s.by_header_.emplace(absl::StrCat(s.fields_[i].section, "/", a), i);
    }
  }
  return s;
}

const Schema& Schema::Default() {
  static const Schema* schema = [] {
    absl::StatusOr<Schema> s = Parse(kFieldsTsv, kSectionsTsv);
    if (!s.ok()) {
      std::cerr << "fairtrace: the embedded MIAPPE schema is invalid: " << s.status() << "\n";
      std::abort();
    }
    return new Schema(*std::move(s));
  }();
  return *schema;
}

const SectionRule* Schema::Section(absl::string_view section) const {
  for (const SectionRule& r : sections_) {
    if (r.section == section) return &r;
  }
  return nullptr;
}

const SectionRule* Schema::SectionForFile(absl::string_view stem) const {
  std::string n = NormalizeHeader(stem);
  for (const SectionRule& r : sections_) {
    for (const std::string& f : r.files) {
      if (f == n) return &r;
    }
  }
  return nullptr;
}

std::vector<const FieldRule*> Schema::Fields(absl::string_view section) const {
  std::vector<const FieldRule*> out;
  for (const FieldRule& f : fields_) {
    if (f.section == section) out.push_back(&f);
  }
  return out;
}

const FieldRule* Schema::FieldByHeader(absl::string_view section, absl::string_view header) const {
  auto it = by_header_.find(absl::StrCat(section, "/", NormalizeHeader(header)));
  return it == by_header_.end() ? nullptr : &fields_[it->second];
}

const FieldRule* Schema::Field(absl::string_view section, absl::string_view codename) const {
  auto it = by_codename_.find(std::make_pair(section, codename));
  return it == by_codename_.end() ? nullptr : &fields_[it->second];
}

}  // namespace fairtrace::miappe
