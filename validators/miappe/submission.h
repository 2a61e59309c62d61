// A MIAPPE submission as read from its sheets: records per section, values
// keyed by v1.2 codename, unknown columns kept as extensions (never
// dropped). Built by the readers (loader.h), checked by the validator.
// Plain data; thread-compatible.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace fairtrace::miappe {

struct Record {
  std::string section;                                          // "study", ...
  std::string location;                                         // "study.tsv:3"
  absl::flat_hash_map<std::string, std::string> values;         // codename -> cell as written
  std::vector<std::pair<std::string, std::string>> extensions;  // header -> cell, in column order

  // The cell of `codename`, or "" when absent.
  const std::string& Get(const std::string& codename) const {
    static const std::string kEmpty;
    auto it = values.find(codename);
    return it == values.end() ? kEmpty : it->second;
  }
};

// The id findings and entity names use for a record: its MIAPPE id
// (studyId, biologicalMaterialId, obsUnitId, variableId, sampleId; the
// person's name, the event type... for sections without ids), trimmed, or
// its location when blank.
std::string RecordId(const Record& r);

// One submitted file: a TSV sheet (its stem names the section), an xlsx
// workbook, a MIAPPE JSON document or an ISA-Tab file.
struct InputFile {
  std::string name;
  std::string data;
};

struct Submission {
  std::vector<Record> records;
  std::set<std::string> sheets;  // sections whose sheet was present (even empty)
  // Sheets that are not MIAPPE sections (e.g. TTADDA's sensor sheet), kept.
  std::map<std::string, std::vector<std::vector<std::string>>> extension_sheets;
};

}  // namespace fairtrace::miappe
