// How a sheet is laid out, detected from its content — never from the file
// or sheet name (docs/miappe-validation.md, "Template layouts"). The three
// official MIAPPE templates and the layouts people make from them:
//
//   kTable        a header row, then one record per row (TSV sheets; the
//                 MIAPPE 1.2 templates, codenames in row 1; extra columns
//                 with a header are extensions).
//   kLabelColumn  the MIAPPE 1.1 training spreadsheet's data sheets: column A
//                 holds row labels ("Field" over the headers, then the help
//                 rows "Definition", "Example", "Format", then the banner
//                 "Values (add rows if necessary)" beside the first data
//                 row); the headers start in column B. Help rows may have
//                 been removed.
//   kFieldValue   one field per row: "Field | Value" headers, optionally
//                 followed by help columns (the 1.1 training spreadsheet's
//                 Investigation sheet: Definition | Example | Format).
//   kReference    template documentation, not data: the 1.2 README grid,
//                 the appendix lists of environment parameters and factor
//                 types, the 1.1 "General Definitions" sheet. Only a sheet
//                 that names no MIAPPE section can be one.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "validators/miappe/schema.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {

enum class SheetLayout { kTable, kLabelColumn, kFieldValue, kReference };

struct SheetShape {
  SheetLayout layout = SheetLayout::kTable;
  // kReference: "README", "appendix" or "definitions".
  std::string reference_kind;
  // kReference README: the MIAPPE version its title names ("1.2"), if any.
  std::string readme_version;
  // kFieldValue: whether the help columns (Definition, Example, Format)
  // follow the value column, as in the 1.1 training spreadsheet.
  bool help_columns = false;
  // Per row of the table: a help row (Definition, Example, Format,
  // Abbreviation in column A of a label-column sheet) that is not data.
  std::vector<bool> help_row;
};

// `section`: the MIAPPE section the sheet's name names, or null.
SheetShape DetectLayout(const Table& table, const SectionRule* section, const Schema& schema);

// Column-A labels of the templates: the help rows' labels and the banner.
bool IsHelpLabel(const std::string& cell);
bool IsValuesBanner(const std::string& cell);

}  // namespace fairtrace::miappe
