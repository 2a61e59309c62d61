// Reads the sheets of an .xlsx workbook (the MIAPPE spreadsheet template as
// data managers fill it in) into tables, like TSV sheets: libzip for the
// container, expat for the XML parts (workbook, relationships, shared
// strings, styles, worksheets).
//
// Cells: shared and inline strings, numbers as written in the file,
// booleans (TRUE/FALSE), error values (#N/A...: kept, the validator flags
// them), cached formula results. **Dates**: a numeric cell whose style is a
// date format (built-in ids 14-22, 27-36, 45-47, 50-58, or a custom format
// with d/m/y/h/s) holds an Excel serial; it is converted to ISO 8601 and
// every conversion is reported (FMT-DATE-EXCEL-SERIAL, INFO, with the
// serial) — never silently. A serial typed into a text/general cell stays
// as written (the validator reports it in date fields).
//
// Never fails: not a zip, a zip without a workbook, a corrupt or missing
// part, malformed XML, parts over 64 MiB or 256 MiB unpacked in total (zip
// bombs) are SYN-01 ERRORs; the readable sheets are still returned. Table
// locations are "<file>#<sheet>:<row>". Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "validators/miappe/report.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {

// Bounds on what one workbook may make the reader hold (docs/limits.md).
// Zip compression lets a few hundred KiB repeat one shared string millions
// of times, so the cells and the text they expand to are bounded, not only
// the unpacked bytes. The defaults admit a 100,000-observation-unit
// submission (about 1 M cells, 20 MB of text); two such calls at once stay
// under 1 GiB of server memory (bench/hostile_bench.py).
struct XlsxLimits {
  size_t max_part_bytes = size_t{64} << 20;
  size_t max_total_bytes = size_t{256} << 20;
  size_t max_cells = 1'500'000;              // non-empty cells, all sheets
  size_t max_text_bytes = size_t{48} << 20;  // text of those cells
  size_t max_date_findings_per_sheet = 100;  // then one summary finding
};

// (sheet name, table) in workbook order; table.name is "<file>#<sheet>".
std::vector<std::pair<std::string, Table>> ReadXlsx(absl::string_view file_name, absl::string_view data,
                                                    std::vector<Finding>* findings, const XlsxLimits& limits = {});

// Whether `data` starts like a zip file (PK\3\4).
bool LooksLikeZip(absl::string_view data);

}  // namespace fairtrace::miappe
