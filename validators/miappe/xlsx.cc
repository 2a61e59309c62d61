#include "validators/miappe/xlsx.h"

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "validators/miappe/locations.h"

namespace fairtrace::miappe {
namespace {

Finding Syn(absl::string_view where, Severity sev, std::string message, std::string hint = "") {
  Finding f;
  f.code = "SYN-01";
  f.severity = sev;
  f.entity_id = std::string(where);
  f.location = std::string(where);
  f.message = std::move(message);
  f.hint = std::move(hint);
  return f;
}

// ---- the zip container -------------------------------------------------

class Zip {
 public:
  Zip(absl::string_view data, std::string* error) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(data.data(), data.size(), 0, &err);
    if (src != nullptr) {
      archive_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
      if (archive_ == nullptr) zip_source_free(src);
    }
    if (archive_ == nullptr) *error = zip_error_strerror(&err);
    zip_error_fini(&err);
  }
  ~Zip() {
    if (archive_ != nullptr) zip_discard(archive_);
  }
  bool ok() const { return archive_ != nullptr; }
  // Whether the archive holds a part of that name.
  bool Has(const std::string& name) {
    zip_stat_t st;
    zip_stat_init(&st);
    return zip_stat(archive_, name.c_str(), 0, &st) == 0;
  }
  // The part's bytes; nullopt with `error` set when absent, corrupt or too big.
  std::optional<std::string> Read(const std::string& name, const XlsxLimits& limits, size_t* total,
                                  std::string* error) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(archive_, name.c_str(), 0, &st) != 0) {
      *error = absl::StrCat(name, " is missing");
      return std::nullopt;
    }
    if (!(st.valid & ZIP_STAT_SIZE) || st.size > limits.max_part_bytes || *total + st.size > limits.max_total_bytes) {
      *error = absl::StrCat(name, " unpacks to more than the limit (", limits.max_part_bytes, " bytes per part, ",
                            limits.max_total_bytes, " in total)");
      return std::nullopt;
    }
    zip_file_t* f = zip_fopen(archive_, name.c_str(), 0);
    if (f == nullptr) {
      *error = absl::StrCat(name, ": ", zip_strerror(archive_));
      return std::nullopt;
    }
    std::string out(st.size, '\0');
    zip_int64_t n = zip_fread(f, out.data(), st.size);
    int closed = zip_fclose(f);  // always: it owns the decompression state
    bool good = n == static_cast<zip_int64_t>(st.size) && closed == 0;
    if (!good) {
      *error = absl::StrCat(name, " is corrupt (CRC or length mismatch)");
      return std::nullopt;
    }
    *total += st.size;
    return out;
  }

 private:
  zip_t* archive_ = nullptr;
};

// ---- XML: a tiny event adapter over expat -------------------------------

struct XmlHandler {
  std::function<void(absl::string_view name, const char** attrs)> start;
  std::function<void(absl::string_view name)> end;
  std::function<void(absl::string_view text)> text;
};

// The element name without its namespace prefix ("x:row" -> "row").
absl::string_view Local(const char* name) {
  const char* colon = std::strrchr(name, ':');
  return colon ? colon + 1 : name;
}

const char* Attr(const char** attrs, absl::string_view local) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (Local(attrs[i]) == local) return attrs[i + 1];
  }
  return nullptr;
}

// Parses `xml`; returns the expat error (with line) or "".
struct XmlContext {
  XmlHandler* handler;
  XML_Parser parser;
};

std::string ParseXml(const std::string& xml, XmlHandler* h) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> p(XML_ParserCreate("UTF-8"), XML_ParserFree);
  XmlContext ctx{h, p.get()};
  XML_SetUserData(p.get(), &ctx);
  XML_SetElementHandler(
      p.get(),
      [](void* ud, const XML_Char* name, const XML_Char** attrs) {
        XmlHandler* hh = static_cast<XmlContext*>(ud)->handler;
        if (hh->start) hh->start(Local(name), attrs);
      },
      [](void* ud, const XML_Char* name) {
        XmlHandler* hh = static_cast<XmlContext*>(ud)->handler;
        if (hh->end) hh->end(Local(name));
      });
  XML_SetCharacterDataHandler(p.get(), [](void* ud, const XML_Char* s, int len) {
    XmlHandler* hh = static_cast<XmlContext*>(ud)->handler;
    if (hh->text) hh->text(absl::string_view(s, static_cast<size_t>(len)));
  });
  // OOXML has no DTDs: any entity declaration stops the parse (no entity
  // expansion attacks).
  XML_SetEntityDeclHandler(p.get(), [](void* ud, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                                       const XML_Char*, const XML_Char*, const XML_Char*) {
    XML_StopParser(static_cast<XmlContext*>(ud)->parser, XML_FALSE);
  });
  if (XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_ERROR) {
    return absl::StrCat(XML_ErrorString(XML_GetErrorCode(p.get())), " at line ", XML_GetCurrentLineNumber(p.get()));
  }
  return "";
}

// ---- cells ----------------------------------------------------------------

// The filled cells of one sheet. Rows and cells come sorted in files that
// Excel, LibreOffice and Google Sheets write, so they are appended as read
// (a map node per cell cost a third of the reading time); Finish() sorts and
// merges them when a file has them out of order, a later value for the
// same cell winning.
struct Grid {
  struct Row {
    int line;
    std::vector<std::pair<int, std::string>> cells;  // (0-based column, text)
  };
  std::vector<Row> rows;

  void Put(int line, int col, std::string text) {
    if (rows.empty() || rows.back().line != line) rows.push_back({line, {}});
    rows.back().cells.emplace_back(col, std::move(text));
  }

  void Finish() {
    auto by_line = [](const Row& a, const Row& b) { return a.line < b.line; };
    if (!std::is_sorted(rows.begin(), rows.end(), by_line) ||
        std::adjacent_find(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.line == b.line; }) !=
            rows.end()) {
      std::stable_sort(rows.begin(), rows.end(), by_line);
      std::vector<Row> merged;
      for (Row& r : rows) {
        if (!merged.empty() && merged.back().line == r.line) {
          for (auto& cell : r.cells) merged.back().cells.push_back(std::move(cell));
        } else {
          merged.push_back(std::move(r));
        }
      }
      rows = std::move(merged);
    }
    for (Row& r : rows) {
      auto strictly = [](const auto& a, const auto& b) { return a.first < b.first; };
      if (std::adjacent_find(r.cells.begin(), r.cells.end(),
                             [](const auto& a, const auto& b) { return a.first >= b.first; }) == r.cells.end()) {
        continue;
      }
      std::stable_sort(r.cells.begin(), r.cells.end(), strictly);
      std::vector<std::pair<int, std::string>> unique;
      for (auto& cell : r.cells) {
        if (!unique.empty() && unique.back().first == cell.first) {
          unique.back().second = std::move(cell.second);
        } else {
          unique.push_back(std::move(cell));
        }
      }
      r.cells = std::move(unique);
    }
  }
};

// "BC12" -> row 12; 0 when malformed.
int RowOf(absl::string_view ref) {
  size_t i = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') ++i;
  int row = 0;
  return absl::SimpleAtoi(ref.substr(i), &row) ? row : 0;
}

// "BC12" -> column index 54 (0-based); -1 when malformed.
int ColumnOf(absl::string_view ref) {
  int col = 0, letters = 0;
  for (char c : ref) {
    if (c >= 'A' && c <= 'Z') {
      col = col * 26 + (c - 'A' + 1);
      if (++letters > 3) return -1;
    } else {
      break;
    }
  }
  return letters == 0 ? -1 : col - 1;
}

bool IsDateFormatCode(absl::string_view code) {
  if (code == "General" || code.empty()) return false;
  bool quoted = false, bracket = false;
  for (char c : code) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '[') bracket = true;
    if (c == ']') bracket = false;
    if (bracket) continue;
    char l = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (l == 'd' || l == 'm' || l == 'y' || l == 'h' || l == 's') return true;
  }
  return false;
}

bool IsBuiltinDate(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

// Excel serial to ISO 8601: in the 1900 system (Windows Excel, LibreOffice,
// Google Sheets) day 0 is 1899-12-30 (Lotus' leap-year bug folded in); in
// the 1904 system (workbookPr date1904, old Mac Excel) day 0 is 1904-01-01.
std::string SerialToIso(double serial, bool date1904) {
  double days = std::floor(serial);
  absl::CivilDay d =
      (date1904 ? absl::CivilDay(1904, 1, 1) : absl::CivilDay(1899, 12, 30)) + static_cast<int64_t>(days);
  std::string out = absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  int64_t secs = std::llround((serial - days) * 86400);
  if (secs > 0 && secs < 86400) {
    absl::StrAppendFormat(&out, "T%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
  }
  return out;
}

}  // namespace

bool LooksLikeZip(absl::string_view data) { return data.size() >= 4 && data.substr(0, 4) == "PK\x03\x04"; }

std::vector<std::pair<std::string, Table>> ReadXlsx(absl::string_view file_name, absl::string_view data,
                                                    std::vector<Finding>* findings, const XlsxLimits& limits) {
  std::vector<std::pair<std::string, Table>> out;
  std::string file(file_name);
  if (!LooksLikeZip(data)) {
    findings->push_back(Syn(file, Severity::kError, "not an xlsx workbook (not a zip file)",
                            "save the workbook as Excel .xlsx, or export its sheets as TSV"));
    return out;
  }
  std::string error;
  Zip zip(data, &error);
  if (!zip.ok()) {
    findings->push_back(Syn(file, Severity::kError, absl::StrCat("corrupt zip: ", error), "re-save the workbook"));
    return out;
  }
  size_t total = 0;
  auto read = [&](const std::string& part, bool required) -> std::optional<std::string> {
    std::string err;
    std::optional<std::string> bytes = zip.Read(part, limits, &total, &err);
    if (!bytes && required) {
      findings->push_back(Syn(file, Severity::kError, absl::StrCat("not a readable xlsx workbook: ", err),
                              "save the workbook as Excel .xlsx (a zip that is not a workbook, or a damaged one)"));
    } else if (!bytes && !absl::EndsWith(err, " is missing")) {
      // An optional part that is there but over the limit or corrupt is an
      // error, never silently dropped (the cells it holds would look empty).
      findings->push_back(Syn(absl::StrCat(file, "/", part), Severity::kError,
                              absl::StrCat("part of the workbook not read: ", err),
                              "split the workbook, or submit the large sheets as TSV"));
    }
    return bytes;
  };
  auto parse = [&](const std::string& part, const std::string& xml, XmlHandler* h) {
    std::string err = ParseXml(xml, h);
    if (!err.empty()) {
      findings->push_back(Syn(absl::StrCat(file, "/", part), Severity::kError, absl::StrCat("malformed XML: ", err),
                              "re-save the workbook"));
      return false;
    }
    return true;
  };

  // Workbook: sheet names and relationship ids, in order.
  std::optional<std::string> workbook = read("xl/workbook.xml", true);
  if (!workbook) return out;
  std::vector<std::pair<std::string, std::string>> sheets;  // name, rId
  bool date1904 = false;
  XmlHandler wb{[&](absl::string_view n, const char** a) {
                  if (n == "sheet" && Attr(a, "name") && Attr(a, "id"))
                    sheets.emplace_back(Attr(a, "name"), Attr(a, "id"));
                  if (n == "workbookPr" && Attr(a, "date1904")) {
                    const std::string v = Attr(a, "date1904");
                    date1904 = v == "1" || v == "true";
                  }
                },
                nullptr, nullptr};
  if (!parse("xl/workbook.xml", *workbook, &wb)) return out;
  absl::flat_hash_map<std::string, std::string> targets;  // rId -> part
  if (auto rels = read("xl/_rels/workbook.xml.rels", true)) {
    XmlHandler rh{[&](absl::string_view n, const char** a) {
                    if (n == "Relationship" && Attr(a, "Id") && Attr(a, "Target")) {
                      std::string t = Attr(a, "Target");
                      targets[Attr(a, "Id")] = t[0] == '/' ? t.substr(1) : absl::StrCat("xl/", t);
                    }
                  },
                  nullptr, nullptr};
    parse("xl/_rels/workbook.xml.rels", *rels, &rh);
  }
  // Shared strings (rich text runs concatenated; phonetic runs skipped).
  std::vector<std::string> shared;
  if (auto sst = read("xl/sharedStrings.xml", false)) {
    bool in_t = false, in_ph = false;
    std::string cur;
    XmlHandler sh{[&](absl::string_view n, const char**) {
                    if (n == "si") cur.clear();
                    if (n == "rPh") in_ph = true;
                    if (n == "t" && !in_ph) in_t = true;
                  },
                  [&](absl::string_view n) {
                    if (n == "t") in_t = false;
                    if (n == "rPh") in_ph = false;
                    if (n == "si") shared.push_back(cur);
                  },
                  [&](absl::string_view s) {
                    if (in_t) cur.append(s.data(), s.size());
                  }};
    parse("xl/sharedStrings.xml", *sst, &sh);
  }
  // Styles: which cell formats (xf index) are dates.
  std::vector<bool> xf_is_date;
  if (auto styles = read("xl/styles.xml", false)) {
    absl::flat_hash_map<int, bool> custom;  // numFmtId -> date?
    bool in_cell_xfs = false;
    std::vector<int> xf_fmt;
    XmlHandler st{[&](absl::string_view n, const char** a) {
                    if (n == "numFmt" && Attr(a, "numFmtId") && Attr(a, "formatCode")) {
                      int id = 0;
                      if (absl::SimpleAtoi(Attr(a, "numFmtId"), &id))
                        custom[id] = IsDateFormatCode(Attr(a, "formatCode"));
                    }
                    if (n == "cellXfs") in_cell_xfs = true;
                    if (n == "xf" && in_cell_xfs) {
                      int id = 0;
                      if (!Attr(a, "numFmtId") || !absl::SimpleAtoi(Attr(a, "numFmtId"), &id)) id = 0;
                      xf_fmt.push_back(id);
                    }
                  },
                  [&](absl::string_view n) {
                    if (n == "cellXfs") in_cell_xfs = false;
                  },
                  nullptr};
    if (parse("xl/styles.xml", *styles, &st)) {
      for (int id : xf_fmt) {
        auto it = custom.find(id);
        xf_is_date.push_back(it != custom.end() ? it->second : IsBuiltinDate(id));
      }
    }
  }
  // Worksheets.
  size_t cells = 0, text_bytes = 0;
  for (const auto& [sheet_name, rid] : sheets) {
    auto target = targets.find(rid);
    const std::string where = XlsxSheetLocation(file, sheet_name);
    if (target == targets.end()) {
      findings->push_back(Syn(where, Severity::kError, "the sheet has no worksheet part", "re-save the workbook"));
      continue;
    }
    std::optional<std::string> xml = read(target->second, false);
    if (!xml) {
      if (!zip.Has(target->second)) {  // too big or corrupt: read() said so
        findings->push_back(
            Syn(where, Severity::kError, absl::StrCat("cannot read ", target->second), "re-save the workbook"));
      }
      continue;
    }
    Grid grid;
    int row = 0, col = -1, next_col = 0, style = 0;
    std::string type, value, inline_text;
    bool in_v = false, in_is_t = false, in_is = false, too_many = false;
    size_t date_cells = 0;
    // Date conversions found in this sheet, to name their field once the
    // header row is known.
    std::vector<Table::ConvertedCell> date_findings;
    std::vector<std::string> merges;  // "B2:C3", at most kMaxMerges kept
    constexpr size_t kMaxMerges = 1000;
    XmlHandler ws{[&](absl::string_view n, const char** a) {
                    if (n == "row") {
                      int r = 0;
                      row = Attr(a, "r") && absl::SimpleAtoi(Attr(a, "r"), &r) ? r : row + 1;
                      next_col = 0;
                    } else if (n == "c") {
                      // One pass over the attributes (a cell is the most
                      // frequent element of a workbook).
                      const char *ref = nullptr, *t = nullptr, *s = nullptr;
                      for (int i = 0; a[i] != nullptr; i += 2) {
                        const absl::string_view name = Local(a[i]);
                        if (name == "r") ref = a[i + 1];
                        if (name == "t") t = a[i + 1];
                        if (name == "s") s = a[i + 1];
                      }
                      col = ref != nullptr ? ColumnOf(ref) : next_col;
                      if (col < 0) col = next_col;
                      next_col = col + 1;
                      type = t != nullptr ? t : "n";
                      if (s == nullptr || !absl::SimpleAtoi(s, &style)) style = 0;
                      value.clear();
                      inline_text.clear();
                    } else if (n == "mergeCell" && Attr(a, "ref") && merges.size() < kMaxMerges) {
                      merges.emplace_back(Attr(a, "ref"));
                    } else if (n == "v") {
                      in_v = true;
                    } else if (n == "is") {
                      in_is = true;
                    } else if (n == "t" && in_is) {
                      in_is_t = true;
                    }
                  },
                  [&](absl::string_view n) {
                    if (n == "v") in_v = false;
                    if (n == "t") in_is_t = false;
                    if (n == "is") in_is = false;
                    if (n != "c" || col < 0 || too_many) return;
                    std::string text;
                    if (type == "s") {
                      size_t i = 0;
                      if (absl::SimpleAtoi(value, &i) && i < shared.size()) text = shared[i];
                    } else if (type == "inlineStr") {
                      text = inline_text;
                    } else if (type == "b") {
                      text = value == "1" ? "TRUE" : "FALSE";
                    } else if (type == "n" && !value.empty() && style >= 0 &&
                               static_cast<size_t>(style) < xf_is_date.size() && xf_is_date[style]) {
                      double serial = 0;
                      if (absl::SimpleAtod(value, &serial) && serial >= 0 && serial < 2958466) {
                        text = SerialToIso(serial, date1904);
                        if (++date_cells > limits.max_date_findings_per_sheet) goto store;
                        Finding f = Syn(absl::StrCat(where, "!", ExcelColumn(col), row), Severity::kInfo,
                                        absl::StrCat("date cell (Excel serial ", value,
                                                     date1904 ? ", 1904 date system" : "", ") read as ", text),
                                        "dates typed as text (YYYY-MM-DD) avoid any conversion");
                        f.code = "FMT-DATE-EXCEL-SERIAL";
                        f.value = value;
                        f.fixed = text;
                        date_findings.push_back({findings->size(), row, col});
                        findings->push_back(std::move(f));
                      } else {
                        text = value;
                      }
                    } else {
                      text = value;  // numbers as written, errors (#N/A), cached formula strings
                    }
                  store:
                    if (text.empty()) return;
                    text_bytes += text.size();
                    if (++cells > limits.max_cells || text_bytes > limits.max_text_bytes) {
                      too_many = true;
                      return;
                    }
                    grid.Put(row, col, std::move(text));
                  },
                  [&](absl::string_view s) {
                    if (in_v) value.append(s.data(), s.size());
                    if (in_is_t) inline_text.append(s.data(), s.size());
                  }};
    if (!parse(target->second, *xml, &ws)) continue;
    if (too_many) {
      findings->push_back(Syn(where, Severity::kError,
                              absl::StrCat("the workbook holds more than ", limits.max_cells, " filled cells or ",
                                           limits.max_text_bytes >> 20, " MiB of cell text; reading stopped here"),
                              "split the workbook, or submit the large sheets as TSV"));
    }
    if (date_cells > limits.max_date_findings_per_sheet) {
      Finding f = Syn(where, Severity::kInfo,
                      absl::StrCat(date_cells - limits.max_date_findings_per_sheet,
                                   " more date cells (Excel serials) were read as ISO dates"),
                      "dates typed as text (YYYY-MM-DD) avoid any conversion");
      f.code = "FMT-DATE-EXCEL-SERIAL";
      findings->push_back(std::move(f));
    }
    Table t;
    t.name = absl::StrCat(file, "#", sheet_name);
    t.file = file;
    t.sheet = sheet_name;
    t.converted = std::move(date_findings);
    grid.Finish();
    if (!grid.rows.empty()) {
      const auto& header_row = grid.rows.front().cells;
      const int header_line = grid.rows.front().line;
      // Every finding names its field: a converted date cell is in the
      // column its header names (the first row; the cell's own row when it
      // is the header itself, which has no field). The loader, which knows
      // the sheet's layout, names it by codename and DM id.
      for (const Table::ConvertedCell& cell : t.converted) {
        for (const auto& [c, v] : header_row) {
          if (c == cell.col && cell.line != header_line) (*findings)[cell.finding].field = v;
        }
      }
      const int header_width = header_row.empty() ? 0 : header_row.back().first + 1;
      int width = header_width;
      for (const Grid::Row& r : grid.rows) {
        if (!r.cells.empty()) width = std::max(width, r.cells.back().first + 1);
      }
      // Cells right of the header are kept; whether they are an error
      // depends on the sheet (a MIAPPE section or a sheet kept whole), which
      // the loader knows.
      if (width > header_width) t.header_width = static_cast<size_t>(header_width);
      t.rows.reserve(grid.rows.size());
      t.lines.reserve(grid.rows.size());
      for (Grid::Row& r : grid.rows) {
        std::vector<std::string> cells_of_row(width);
        for (auto& [c, v] : r.cells) cells_of_row[c] = std::move(v);
        t.rows.push_back(std::move(cells_of_row));
        t.lines.push_back(r.line);
      }
    }
    // Merged ranges that can hide values: right of column A (the templates
    // merge only their column-A banners and titles), or a header merged
    // down into the data rows.
    const int header_line = t.lines.empty() ? 1 : t.lines.front();
    for (const std::string& ref : merges) {
      std::vector<std::string> ends = absl::StrSplit(ref, ':');
      if (ends.size() != 2) continue;
      const int c2 = ColumnOf(ends[1]), r1 = RowOf(ends[0]), r2 = RowOf(ends[1]);
      if (c2 > 0 || (r1 <= header_line && r2 > header_line)) t.merged_ranges.push_back(ref);
    }
    out.emplace_back(sheet_name, std::move(t));
  }
  if (sheets.empty()) {
    findings->push_back(Syn(file, Severity::kError, "the workbook has no sheets", ""));
  }
  return out;
}

}  // namespace fairtrace::miappe
