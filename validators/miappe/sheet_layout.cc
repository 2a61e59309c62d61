#include "validators/miappe/sheet_layout.h"

#include "absl/strings/match.h"

namespace fairtrace::miappe {
namespace {

const std::string& CellOf(const Table& t, size_t r, size_t c) {
  static const std::string kEmpty;
  return r < t.rows.size() && c < t.rows[r].size() ? t.rows[r][c] : kEmpty;
}

std::string Norm(const Table& t, size_t r, size_t c) { return NormalizeHeader(CellOf(t, r, c)); }

bool IsFieldValueHeader(const Table& t, bool* help_columns) {
  if (t.rows.empty() || Norm(t, 0, 0) != "field" || Norm(t, 0, 1) != "value") return false;
  bool help = t.rows[0].size() > 2;
  for (size_t c = 2; c < t.rows[0].size(); ++c) {
    const std::string h = Norm(t, 0, c);
    help = help && (h.empty() || h == "definition" || h == "example" || h == "format");
  }
  *help_columns = help;
  return true;
}

// The 1.2 README: "README" in A1 (its B1 names the version), or a grid of
// "Field" rows followed by "Abbreviation" rows (codenames).
bool IsReadme(const Table& t, std::string* version) {
  if (t.rows.empty()) return false;
  bool readme = Norm(t, 0, 0) == "readme";
  for (size_t r = 0; !readme && r + 1 < t.rows.size() && r < 40; ++r) {
    readme = Norm(t, r, 0) == "field" && Norm(t, r + 1, 0) == "abbreviation";
  }
  if (!readme) return false;
  const std::string title = Norm(t, 0, 1);  // "MIAPPE Version 1.2" -> "miappeversion12"
  if (absl::StartsWith(title, "miappeversion") && title.size() > 13) {
    const std::string digits = title.substr(13);
    *version = digits.size() == 2 ? std::string{digits[0], '.', digits[1]} : digits;
  }
  return true;
}

// The appendix lists: a title, then a header "<name> | Definition | Example
// ... | Format" within the first rows.
bool IsAppendix(const Table& t) {
  for (size_t r = 0; r < t.rows.size() && r < 6; ++r) {
    if (Norm(t, r, 1) != "definition") continue;
    for (size_t c = 2; c < t.rows[r].size(); ++c) {
      if (Norm(t, r, c) == "format") return true;
    }
  }
  return false;
}

// "General Definitions": most rows are a section title (with or without
// '*') and its definition, in two columns.
bool IsDefinitions(const Table& t, const Schema& schema) {
  size_t titled = 0, rows = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    size_t filled = 0;
    for (const std::string& c : t.rows[r]) filled += c.empty() ? 0 : 1;
    if (filled == 0) continue;
    ++rows;
    if (filled > 2 || CellOf(t, r, 1).empty()) continue;
    const std::string a = Norm(t, r, 0);
    for (const SectionRule& s : schema.sections()) {
      if (NormalizeHeader(s.title) == a || (a == "datafile" && s.section == "data_file")) {
        ++titled;
        break;
      }
    }
  }
  return titled >= 3 && titled * 2 >= rows;
}

}  // namespace

bool IsHelpLabel(const std::string& cell) {
  const std::string n = NormalizeHeader(cell);
  return n == "definition" || n == "definitions" || n == "example" || n == "examples" || n == "format" ||
         n == "abbreviation";
}

bool IsValuesBanner(const std::string& cell) { return absl::StartsWith(NormalizeHeader(cell), "values"); }

SheetShape DetectLayout(const Table& table, const SectionRule* section, const Schema& schema) {
  SheetShape shape;
  shape.help_row.assign(table.rows.size(), false);
  if (table.rows.empty()) return shape;
  if (section == nullptr) {
    if (IsReadme(table, &shape.readme_version)) {
      shape.layout = SheetLayout::kReference;
      shape.reference_kind = "README";
    } else if (IsAppendix(table)) {
      shape.layout = SheetLayout::kReference;
      shape.reference_kind = "appendix";
    } else if (IsDefinitions(table, schema)) {
      shape.layout = SheetLayout::kReference;
      shape.reference_kind = "definitions";
    }
    if (shape.layout == SheetLayout::kReference) return shape;
  }
  if (IsFieldValueHeader(table, &shape.help_columns)) {
    shape.layout = SheetLayout::kFieldValue;
    return shape;
  }
  // A label column: "Field" over column A, which names no field of the
  // section, with the headers to its right.
  if (Norm(table, 0, 0) == "field" && table.rows[0].size() > 1 &&
      (section == nullptr || schema.FieldByHeader(section->section, "Field") == nullptr)) {
    shape.layout = SheetLayout::kLabelColumn;
    for (size_t r = 1; r < table.rows.size(); ++r) shape.help_row[r] = IsHelpLabel(CellOf(table, r, 0));
  }
  return shape;
}

}  // namespace fairtrace::miappe
