// Data files checked against the metadata that describes them (MIAPPE.md
// section 6.7): every data column is a declared observed variable of the
// file's study (or a date/time column), every row key (first column) is an
// observation unit, sample or assay of that study, and decimals use a point.
// Used by the ISA-Tab reader (its data files) and the sheet loader (files
// that a Data file record's dataFileLink names). Data files are checked, not
// stored. Never fails: problems are findings. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "validators/miappe/report.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {

struct DataFileScope {
  std::string study;                           // named in messages
  absl::flat_hash_set<std::string> variables;  // declared variableIds
  absl::flat_hash_set<std::string> keys;       // valid row keys
};

// A data file as a table: tab-separated, or comma / semicolon separated
// when its first line holds more of those than tabs.
Table ParseDataFile(absl::string_view name, absl::string_view data, std::vector<Finding>* findings);

// XRF-DATAFILE-COLUMNS (ERROR, per column), XRF-DATAFILE-ROWS (ERROR, per
// key; after 100 one summary), FMT-DECIMAL-COMMA (WARNING, per column with
// the count).
void CheckDataTable(const Table& table, const DataFileScope& scope, std::vector<Finding>* findings);

}  // namespace fairtrace::miappe
