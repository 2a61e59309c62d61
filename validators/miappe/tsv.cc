#include "validators/miappe/tsv.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace fairtrace::miappe {
namespace {

Finding Syn(absl::string_view name, int line, Severity sev, std::string message, std::string hint) {
  Finding f;
  f.code = "SYN-01";
  f.severity = sev;
  f.entity_id = std::string(name);
  f.location = line > 0 ? absl::StrCat(name, ":", line) : std::string(name);
  f.message = std::move(message);
  f.hint = std::move(hint);
  return f;
}

}  // namespace

std::string FormatTsvRow(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += '\t';
    const std::string& c = cells[i];
    if (c.find_first_of("\t\r\n\"") == std::string::npos) {
      out += c;
      continue;
    }
    out += '"';
    for (char ch : c) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  out += '\n';
  return out;
}

std::string FormatTsv(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& r : rows) out += FormatTsvRow(r);
  return out;
}

Table ParseTsv(absl::string_view name, absl::string_view data, std::vector<Finding>* findings, bool ragged,
               char delimiter) {
  Table t;
  t.name = std::string(name);
  if (data.substr(0, 3) == "\xEF\xBB\xBF") {
    data.remove_prefix(3);
    findings->push_back(Syn(name, 1, Severity::kInfo, "byte order mark removed", "save as UTF-8 without BOM"));
  }
  // Decode to valid UTF-8 first, so that cells never hold broken text
  // (valid input, the usual case, is read in place).
  std::string repaired;
  const bool valid = text::IsValidUtf8(data);
  if (!valid) repaired.reserve(data.size());
  int line = 1, bad_lines = 0, first_bad = 0;
  for (size_t i = 0; !valid && i < data.size();) {
    size_t n = text::Utf8SequenceLength(data, i);
    if (n == 0) {
      repaired += "\xEF\xBF\xBD";
      if (bad_lines == 0 || first_bad != line) {
        if (bad_lines == 0) first_bad = line;
        ++bad_lines;
      }
      ++i;
      continue;
    }
    if (data[i] == '\n') ++line;
    repaired.append(data.data() + i, n);
    i += n;
  }
  const absl::string_view text = valid ? data : absl::string_view(repaired);
  if (bad_lines > 0) {
    findings->push_back(Syn(name, first_bad, Severity::kError, "the file is not valid UTF-8 (bytes replaced by U+FFFD)",
                            "re-save the sheet as UTF-8 (files from old Excel on a Mac are often Mac Roman)"));
  }
  std::vector<std::string> row;
  std::string cell;
  int row_line = 1;
  line = 1;
  auto end_row = [&] {
    row.push_back(std::move(cell));
    cell.clear();
    bool blank = row.size() == 1 && row[0].empty();
    if (!blank) {
      t.rows.push_back(std::move(row));
      t.lines.push_back(row_line);
    }
    row.clear();
  };
  size_t i = 0;
  bool at_cell_start = true;
  while (i < text.size()) {
    char c = text[i];
    if (at_cell_start && c == '"') {
      // Quoted cell: up to the closing quote; "" is a quote.
      size_t start_line = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        cell.push_back(text[i++]);
      }
      if (!closed) {
        findings->push_back(Syn(name, static_cast<int>(start_line), Severity::kError,
                                "a quoted cell is never closed; it runs to the end of the file",
                                "close the quote, or double the quote characters inside the cell"));
      }
      at_cell_start = false;
      continue;
    }
    if (c == delimiter) {
      row.push_back(std::move(cell));
      cell.clear();
      at_cell_start = true;
      ++i;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      end_row();
      i += c == '\r' ? 2 : 1;
      ++line;
      row_line = line;
      at_cell_start = true;
    } else {
      // The rest of an unquoted cell, at once.
      size_t end = i + 1;
      while (end < text.size() && text[end] != delimiter && text[end] != '\n' && text[end] != '\r') ++end;
      cell.append(text.data() + i, end - i);
      at_cell_start = false;
      i = end;
    }
  }
  if (!cell.empty() || !row.empty()) end_row();
  // Ragged rows: pad or cut to the header's width.
  if (!t.rows.empty() && !ragged) {
    size_t width = t.rows[0].size();
    for (size_t r = 1; r < t.rows.size(); ++r) {
      std::vector<std::string>& cells = t.rows[r];
      if (cells.size() == width) continue;
      bool extra_blank = cells.size() > width && std::all_of(cells.begin() + width, cells.end(),
                                                             [](const std::string& s) { return s.empty(); });
      if (!extra_blank) {
        findings->push_back(Syn(name, t.lines[r], Severity::kError,
                                absl::StrCat("row has ", cells.size(), " cells, the header ", width),
                                cells.size() > width ? "remove the extra cells or add a header for them"
                                                     : "fill the missing cells (empty cells still need their tab)"));
      }
      cells.resize(width);
    }
  }
  return t;
}

}  // namespace fairtrace::miappe
