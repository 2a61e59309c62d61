// Locations a person can open, for every finding (docs/miappe-validation.md,
// "Locations"):
//   xlsx       book.xlsx#'Observation Unit'!E5   (file, sheet quoted as Excel
//              does, cell); a whole row: book.xlsx#Study!5:5
//   TSV        study.tsv:3:5                     (line, 1-based field); a row:
//              study.tsv:3
//   MIAPPE JSON doc.json#/studies/0/studyTitle    (RFC 6901 JSON Pointer)
//   ISA-Tab    i_investigation.txt:12            (file and line)
// Pure; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "validators/miappe/submission.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {

// 0 -> "A", 25 -> "Z", 26 -> "AA".
std::string ExcelColumn(int col0);

// The sheet as Excel writes it in a reference: bare when it is a plain name
// (letters, digits, '_' and '.', not starting with a digit, not a cell
// reference such as "A1"), else in single quotes with quotes doubled.
std::string QuoteSheetName(absl::string_view sheet);

// "book.xlsx#'Observation Unit'" — the prefix of every location in a sheet.
std::string XlsxSheetLocation(absl::string_view file, absl::string_view sheet);

// One RFC 6901 reference token: "~" -> "~0", "/" -> "~1".
std::string JsonPointerToken(absl::string_view key);

// The location of row `r` (an index into table.rows) of a sheet, and of
// its cell in column `c` (0-based): Excel style for a workbook sheet
// (table.sheet set), file:line[:field] for TSV.
std::string SheetLocation(const Table& table);
std::string RowLocation(const Table& table, size_t r);
std::string CellLocation(const Table& table, size_t r, size_t c);

// Where the value of `codename` is in the record's source: its cell (its
// own row for a field/value sheet), or the record's location when the
// source has no such cell (a column that is not there) or the record no
// cell map.
std::string FieldLocation(const Record& record, absl::string_view codename);

}  // namespace fairtrace::miappe
