// Where MIAPPE fields live in ISA-Tab: schemas/miappe/isatab.tsv, embedded
// at build time (docs/isa-tab.md). Shared by the ISA-Tab reader and writer
// so that what one writes the other reads.
//
// Thread-safe after construction (read-only).
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace::miappe {

struct IsaField {
  std::string section;   // "study"
  std::string codename;  // "studyStartDate"
  std::string place;     // "study", "source", "tdf", ... (see the data file)
  std::string label;     // "Comment[Study Start Date]"
  bool write = false;    // the label the writer uses
};

class IsaMap {
 public:
  // The embedded map. Aborts if it does not parse (a build error).
  static const IsaMap& Default();
  // INVALID_ARGUMENT naming the line of a malformed row.
  static absl::StatusOr<IsaMap> Parse(absl::string_view tsv);

  // The field `label` names at `place` (labels compared after
  // NormalizeHeader), or nullptr.
  const IsaField* Find(absl::string_view place, absl::string_view label) const;
  // The fields written at `place`, in file order.
  std::vector<const IsaField*> Written(absl::string_view place) const;
  // The written label of (section, codename) at `place`, or nullptr.
  const IsaField* WrittenFor(absl::string_view place, absl::string_view codename) const;

 private:
  std::vector<IsaField> fields_;
  absl::flat_hash_map<std::string, size_t> by_label_;  // "place/normalised label" -> index
};

}  // namespace fairtrace::miappe
