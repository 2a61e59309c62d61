// Test support: a copy of an xlsx workbook (an official MIAPPE template)
// with cells filled in as a data manager fills them — text cells written as
// inline strings (what LibreOffice writes), rows and cells inserted in
// order, everything else left byte for byte. Also raw edits of any part,
// to make the variants people send (renamed or reordered sheets, removed
// help rows, re-saved files). Nothing here is used by the product.
//
// Not thread-safe; errors are test failures (gtest ADD_FAILURE).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace fairtrace::miappe::testing {

class TemplateCopy {
 public:
  // Reads the workbook at `path` (a failure if it cannot).
  static TemplateCopy Open(const std::string& path);

  // The worksheet part of sheet `sheet` ("xl/worksheets/sheet3.xml"), or ""
  // (a failure) when the workbook has no such sheet.
  std::string SheetPart(const std::string& sheet) const;

  // Sets cell `ref` ("B5") of `sheet` to `text` (inline string; the cell's
  // style is kept). Creates the row and the cell when absent.
  TemplateCopy& Set(const std::string& sheet, const std::string& ref, const std::string& text);
  // Sets `values` in row `row` from column `col0` (0-based) to the right.
  TemplateCopy& SetRow(const std::string& sheet, int row, int col0, const std::vector<std::string>& values);
  // Applies `edit` to the bytes of `part` ("xl/workbook.xml").
  TemplateCopy& Edit(const std::string& part, const std::function<void(std::string&)>& edit);
  // Removes rows `first`..`last` of `sheet` (their cells; later rows keep
  // their numbers, as when a user clears them).
  TemplateCopy& ClearRows(const std::string& sheet, int first, int last);

  // The workbook as an xlsx file.
  std::string Bytes() const;

 private:
  std::vector<std::string> order_;            // part names in zip order
  std::map<std::string, std::string> parts_;  // name -> bytes
};

// "B5" from a 0-based column and a row.
std::string CellRef(int col0, int row);

}  // namespace fairtrace::miappe::testing
