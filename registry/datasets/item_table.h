// The item table of a dataset version (docs/datasets.md, "Item table"): one
// row per file of the tree, in CSV, TSV or JSON Lines, as people keep it
// beside their image folders.
//
// Columns (header names compared without case, spaces, '-' and '_'):
//   path                      required; the file's path in the tree
//   observation_unit (obsUnitId), biological_material
//   (biologicalMaterialId), sample (sampleId)
//                             MIAPPE ids of the pinned investigation,
//                             ';'-separated for several
//   links                     full resource names
//                             ("investigations/{i}/observationUnits/{id}")
//   acquired_at               ISO 8601 date or date-time
//   sensor (camera), view, station (imaging_station)
//   anything else             kept as a free attribute
// JSON Lines: one object per line with those keys; a value is a string, a
// number or (for link keys) a list of strings.
//
// Never throws; every problem is reported with its line and column, and a
// table with any problem must not be stored. Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace fairtrace::datasets {

enum class TableFormat { kDetect, kCsv, kTsv, kJsonl };

struct TableLimits {
  size_t max_rows = 2'000'000;
  size_t max_columns = 256;
  size_t max_cell_bytes = 4096;
  size_t max_links_per_item = 64;
  size_t max_problems = 1000;  // then counting stops
};

// A link as written: a MIAPPE section and id ("observation_unit", "S1-P1"),
// or a full resource name (section "").
struct RawLink {
  std::string section;
  std::string value;
};

struct TableRow {
  int line = 0;  // 1-based line of the row in the table
  std::string path;
  std::vector<RawLink> links;
  std::string acquired_at, sensor, view, station;
  std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key, unique
};

struct TableProblem {
  std::string where;  // "items.csv:12 (acquired_at)"
  std::string description;
};

struct ItemTable {
  std::vector<TableRow> rows;
  std::vector<TableProblem> problems;
  size_t problem_count = 0;  // all of them, also past max_problems
  bool has_link_columns = false;
};

ItemTable ParseItemTable(absl::string_view name, absl::string_view data, TableFormat format,
                         const TableLimits& limits = {});

// ISO 8601: YYYY-MM-DD, optionally THH:MM[:SS[.fraction]] and Z or ±HH:MM,
// with a real calendar date.
bool IsIso8601(absl::string_view value);

}  // namespace fairtrace::datasets
