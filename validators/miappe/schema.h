// The MIAPPE rules as data: schemas/miappe/fields.tsv (one row per field:
// section, codename, DM id, level in 1.1 and 1.2, cardinality, format,
// header aliases) and schemas/miappe/sections.tsv (sheets, whether they are
// required, how many records a submission needs). Both are embedded at
// build time; Parse() reads other copies (tests, deployments that correct a
// rule). Correcting a rule means editing data, not code.
//
// Thread-safe after construction (read-only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace::miappe {

enum class Level { kMandatory, kRecommended, kOptional, kConditional, kAbsent };

// 0: MIAPPE 1.1, 1: MIAPPE 1.2.
enum class Profile { k1_1 = 0, k1_2 = 1 };

// The value syntax of a field (the `format` column of fields.tsv; see
// formats.h), resolved once when the schema is parsed.
enum class FormatKind : uint8_t {
  kText,
  kTextNa,
  kId,
  kIdList,
  kDate,
  kDateList,
  kCountry,
  kLatitude,
  kLongitude,
  kAltitude,
  kUncertainty,
  kCurie,
  kCo715Design,
  kCo715Facility,
  kCo715Event,
  kTaxon,
  kDoi,
  kDoiList,
  kUri,
  kUriOrFile,
  kEmail,
  kPersonId,
  kLicense,
  kVersion,
  kList,
  kKv,
  kHierarchy,
  kInfraspecific,
  kMatSource,
  kOuType,
  kDevStage,
  kPoAnatomy,
  kStudyRefs,
  kBmRefs,
  kOuRefs,
};

struct FieldRule {
  std::string section;
  std::string codename;
  std::string dm;  // "DM-14", "1.2", "-"
  Level level[2] = {Level::kOptional, Level::kOptional};
  std::string card;                     // 1, 0-1, 0+, 1+, 2+
  std::string format;                   // see formats.h
  FormatKind kind = FormatKind::kText;  // `format`, resolved
  std::vector<std::string> aliases;     // normalised header titles
  Level LevelIn(Profile p) const { return level[static_cast<int>(p)]; }
};

struct SectionRule {
  std::string section;
  std::string title;
  bool required = false;
  std::string count;               // "per_investigation:1", "per_study:1+", "none"
  std::vector<std::string> files;  // normalised file stems
};

// Lowercase, only letters and digits: "Start date of study*" -> "startdateofstudy".
std::string NormalizeHeader(absl::string_view header);

class Schema {
 public:
  // The embedded rules. Aborts if they do not parse (a build error).
  static const Schema& Default();
  // INVALID_ARGUMENT naming the line of a malformed row.
  static absl::StatusOr<Schema> Parse(absl::string_view fields_tsv, absl::string_view sections_tsv);

  const std::vector<SectionRule>& sections() const { return sections_; }
  const SectionRule* Section(absl::string_view section) const;
  // The section a file stem ("observation_unit", "Observation Unit") names.
  const SectionRule* SectionForFile(absl::string_view stem) const;
  std::vector<const FieldRule*> Fields(absl::string_view section) const;
  // The field a column header names in `section` (title, codename or DM id).
  const FieldRule* FieldByHeader(absl::string_view section, absl::string_view header) const;
  const FieldRule* Field(absl::string_view section, absl::string_view codename) const;

 private:
  std::vector<SectionRule> sections_;
  std::vector<FieldRule> fields_;
  absl::flat_hash_map<std::string, size_t> by_header_;  // "section/normalised" -> index
  // (section, codename) -> index; looked up with string_views, no copy.
  struct PairHash {
    using is_transparent = void;
    size_t operator()(std::pair<absl::string_view, absl::string_view> p) const {
      return absl::HashOf(p.first, p.second);
    }
  };
  struct PairEq {
    using is_transparent = void;
    bool operator()(std::pair<absl::string_view, absl::string_view> a,
                    std::pair<absl::string_view, absl::string_view> b) const {
      return a == b;
    }
  };
  absl::flat_hash_map<std::pair<std::string, std::string>, size_t, PairHash, PairEq> by_codename_;
};

}  // namespace fairtrace::miappe
