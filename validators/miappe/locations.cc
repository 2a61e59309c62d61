#include "validators/miappe/locations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace fairtrace::miappe {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// "A1", "xfd1048576", "R1C1": names Excel would read as a cell reference.
bool LooksLikeCellReference(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsAsciiLetter(s[i])) ++i;
  if (i == 0 || i == s.size()) return false;
  size_t j = i;
  while (j < s.size() && IsAsciiDigit(s[j])) ++j;
  if (j == s.size()) return true;
  // R1C1 notation.
  return (s[0] == 'R' || s[0] == 'r') && i == 1 && j < s.size() && (s[j] == 'C' || s[j] == 'c');
}

}  // namespace

std::string ExcelColumn(int col0) {
  std::string out;
  for (int c = col0 + 1; c > 0; c = (c - 1) / 26) out.insert(out.begin(), static_cast<char>('A' + (c - 1) % 26));
  return out;
}

std::string QuoteSheetName(absl::string_view sheet) {
  bool plain = !sheet.empty() && !IsAsciiDigit(sheet[0]) && !LooksLikeCellReference(sheet);
  for (char c : sheet) plain = plain && (IsAsciiLetter(c) || IsAsciiDigit(c) || c == '_' || c == '.');
  if (plain) return std::string(sheet);
  return absl::StrCat("'", absl::StrReplaceAll(sheet, {{"'", "''"}}), "'");
}

std::string XlsxSheetLocation(absl::string_view file, absl::string_view sheet) {
  return absl::StrCat(file, "#", QuoteSheetName(sheet));
}

std::string JsonPointerToken(absl::string_view key) { return absl::StrReplaceAll(key, {{"~", "~0"}, {"/", "~1"}}); }

std::string SheetLocation(const Table& table) {
  return table.sheet.empty() ? table.name : XlsxSheetLocation(table.file, table.sheet);
}

std::string RowLocation(const Table& table, size_t r) {
  const int line = r < table.lines.size() ? table.lines[r] : 0;
  if (!table.sheet.empty()) return absl::StrCat(XlsxSheetLocation(table.file, table.sheet), "!", line, ":", line);
  return absl::StrCat(table.name, ":", line);
}

std::string CellLocation(const Table& table, size_t r, size_t c) {
  const int line = r < table.lines.size() ? table.lines[r] : 0;
  if (!table.sheet.empty()) {
    return absl::StrCat(XlsxSheetLocation(table.file, table.sheet), "!", ExcelColumn(static_cast<int>(c)), line);
  }
  return absl::StrCat(table.name, ":", line, ":", c + 1);
}

std::string FieldLocation(const Record& record, absl::string_view codename) {
  const CellMap* cells = record.cells.get();
  if (cells == nullptr || codename.empty()) return record.location;
  const std::string key(codename);
  int line = record.line, col = -1;
  if (auto it = cells->row.find(key); it != cells->row.end()) {
    line = it->second;
    col = cells->value_column;
  } else if (auto c = cells->column.find(key); c != cells->column.end()) {
    col = c->second;
  }
  switch (cells->style) {
    case CellMap::Style::kJson:
      if (col < 0 || static_cast<size_t>(col) >= cells->keys.size()) return record.location;
      return absl::StrCat(cells->prefix, "/", JsonPointerToken(cells->keys[col]));
    case CellMap::Style::kXlsx:
      if (col < 0) return record.location;
      return absl::StrCat(cells->prefix, ExcelColumn(col), line);
    case CellMap::Style::kTsv:
      if (col < 0) return record.location;
      return absl::StrCat(cells->prefix, ":", line, ":", col + 1);
  }
  return record.location;
}

}  // namespace fairtrace::miappe
