// A MIAPPE submission as read from its sheets: records per section, values
// keyed by v1.2 codename, unknown columns kept as extensions (never
// dropped). Built by the readers (loader.h), checked by the validator.
// Plain data; thread-compatible.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace fairtrace::miappe {

// How the cells of the records read from one sheet or document are
// located (locations.h), shared by those records.
struct CellMap {
  enum class Style { kXlsx, kTsv, kJson };
  Style style = Style::kTsv;
  // xlsx: "book.xlsx#Study!"; TSV: "study.tsv"; JSON: "doc.json#/studies/0".
  std::string prefix;
  absl::flat_hash_map<std::string, int> column;  // codename -> 0-based column (JSON: index into `keys`)
  std::vector<std::string> keys;                 // JSON: the member names as written
  // Field/value sheets (one field per row): codename -> line of its row;
  // the values are in `value_column`.
  absl::flat_hash_map<std::string, int> row;
  int value_column = 1;
};

struct Record {
  std::string section;                                          // "study", ...
  std::string location;                                         // "study.tsv:3", "book.xlsx#Study!3:3"
  int line = 0;                                                 // its line or row in the source (0: none)
  std::shared_ptr<const CellMap> cells;                         // null: findings use `location`
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
  // The official template recognised from the workbook's layout
  // (sheet_layout.h), e.g. "MIAPPE 1.1 training spreadsheet", and the
  // MIAPPE version it is made for; empty when none was.
  std::string template_name, template_version;
  // Sheets recognised as template documentation (README, appendices,
  // definitions): not data, not kept.
  std::vector<std::string> reference_sheets;
  // "workbook" when an xlsx workbook was read, for the reader's messages.
  std::string input_kind = "submission";
};

}  // namespace fairtrace::miappe
