// Tab-separated sheets as MIAPPE spreadsheets are exported: RFC 4180-style
// quoting with tabs ("a cell holding a tab, a newline or a quote is wrapped
// in double quotes, a quote doubled"), LF or CRLF line ends, UTF-8.
//
// Never fails: every problem becomes a SYN-01 finding and the reader goes
// on with what it can use — a BOM is dropped (INFO), invalid UTF-8 bytes
// are replaced by U+FFFD (ERROR, with the line), an unterminated quote
// ends the cell at the end of the file (ERROR), a row with more or fewer
// cells than the header is padded or cut (ERROR naming the line). Blank
// lines are skipped. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/text/utf8.h"
#include "validators/miappe/report.h"

namespace fairtrace::miappe {

struct Table {
  std::string name;                            // file name ("<file>#<sheet>" for xlsx)
  std::string file, sheet;                     // xlsx: the workbook's file name and the sheet's name
  std::vector<std::vector<std::string>> rows;  // rows[0] is the header
  std::vector<int> lines;                      // 1-based source line of each row
  // xlsx: merged ranges ("B2:C3") that reach right of column A or merge
  // the header row into data rows (only their top-left cell holds a value).
  std::vector<std::string> merged_ranges;
  // xlsx: the header row's width when some row has filled cells right of
  // it (rows then keep them, so that a sheet kept whole as an extension
  // loses nothing); 0 when every row fits the header. The loader reports
  // and drops those cells for MIAPPE sections (SYN-01).
  size_t header_width = 0;
  // xlsx: the date cells the reader converted and reported
  // (FMT-DATE-EXCEL-SERIAL), by index into the findings it was given, with
  // their cell: the loader names their field, or drops them with the help
  // rows and reference sheets they are in.
  struct ConvertedCell {
    size_t finding;
    int line, col;
  };
  std::vector<ConvertedCell> converted;
};

// `ragged`: rows keep their own width (ISA-Tab investigation files, whose
// rows are label + values); no padding, no finding for the width.
// `delimiter`: ',' or ';' for CSV data files (quoting rules unchanged).
Table ParseTsv(absl::string_view name, absl::string_view data, std::vector<Finding>* findings, bool ragged = false,
               char delimiter = '\t');

// The rows as TSV that ParseTsv reads back unchanged: cells holding a tab,
// a line break or a quote, or starting with a quote, are quoted (quotes
// doubled); each row ends with "\n".
std::string FormatTsvRow(const std::vector<std::string>& cells);
std::string FormatTsv(const std::vector<std::vector<std::string>>& rows);

// UTF-8 validity: common/text/utf8.h (one validator for the whole tree).
using text::IsValidUtf8;

}  // namespace fairtrace::miappe
