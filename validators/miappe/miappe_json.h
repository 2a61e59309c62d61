// The MIAPPE JSON form (docs/miappe-json.md): one JSON document per
// submission, keyed by v1.2 codenames, close to the sheets:
//
//   {"format": "fairtrace-miappe-json/1",
//    "investigation": {"investigationTitle": "...", "miappeVersion": "1.2", ...},
//    "studies": [{"studyId": "S1", ...}], "persons": [...], "dataFiles": [...],
//    "biologicalMaterials": [...], "environmentParameters": [...], "factors": [...],
//    "events": [...], "observationUnits": [...], "samples": [...], "observedVariables": [...]}
//
// Each record may carry "extensions": {"header": "value"} (columns that are
// not MIAPPE fields). Values are strings; numbers and booleans are taken as
// their JSON text, lists of strings are joined with "; ". Unknown keys are
// kept as extensions (SYN-03, INFO). Reading never fails: malformed JSON or
// wrong shapes are SYN-06 findings. Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/submission.h"

namespace fairtrace::miappe {

inline constexpr char kMiappeJsonFormat[] = "fairtrace-miappe-json/1";

// (section, collection key) in document order: ("study", "studies"), ...
// The keys double as the collection segment of entity resource names.
const std::vector<std::pair<std::string, std::string>>& SectionCollections();

// Whether `data` looks like a JSON document (first non-space byte '{').
bool LooksLikeJson(absl::string_view data);

// Appends the records of the document to `sub`.
void ReadMiappeJson(absl::string_view file_name, absl::string_view data, const Schema& schema, Submission* sub,
                    std::vector<Finding>* findings);

// The document of `records` (in the given order within each section;
// empty values left out), pretty-printed with 2 spaces.
std::string WriteMiappeJson(const std::vector<Record>& records);

}  // namespace fairtrace::miappe
