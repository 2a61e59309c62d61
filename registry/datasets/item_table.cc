#include "registry/datasets/item_table.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/text/utf8.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::datasets {
namespace {

enum class Column {
  kPath,
  kObservationUnit,
  kBiologicalMaterial,
  kSample,
  kLinks,
  kAcquiredAt,
  kSensor,
  kView,
  kStation,
  kAttribute
};

std::string Normal(absl::string_view header) {
  std::string out;
  for (char c : header) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Column ColumnOf(absl::string_view header) {
  static const std::map<std::string, Column>* kColumns = new std::map<std::string, Column>{
      {"path", Column::kPath},
      {"observationunit", Column::kObservationUnit},
      {"obsunitid", Column::kObservationUnit},
      {"observationunitid", Column::kObservationUnit},
      {"biologicalmaterial", Column::kBiologicalMaterial},
      {"biologicalmaterialid", Column::kBiologicalMaterial},
      {"sample", Column::kSample},
      {"sampleid", Column::kSample},
      {"links", Column::kLinks},
      {"acquiredat", Column::kAcquiredAt},
      {"sensor", Column::kSensor},
      {"camera", Column::kSensor},
      {"view", Column::kView},
      {"station", Column::kStation},
      {"imagingstation", Column::kStation},
  };
  auto it = kColumns->find(Normal(header));
  return it == kColumns->end() ? Column::kAttribute : it->second;
}

const char* SectionOf(Column c) {
  switch (c) {
    case Column::kObservationUnit:
      return "observation_unit";
    case Column::kBiologicalMaterial:
      return "biological_material";
    case Column::kSample:
      return "sample";
    default:
      return "";
  }
}

bool IsLinkColumn(Column c) {
  return c == Column::kObservationUnit || c == Column::kBiologicalMaterial || c == Column::kSample ||
         c == Column::kLinks;
}

class Builder {
 public:
  Builder(absl::string_view name, const TableLimits& limits, ItemTable* out)
      : name_(name), limits_(limits), out_(out) {}

  void Problem(int line, absl::string_view column, std::string description) {
    ++out_->problem_count;
    if (out_->problems.size() >= limits_.max_problems) return;
    std::string where = absl::StrCat(name_, ":", line);
    if (!column.empty()) absl::StrAppend(&where, " (", column, ")");
    out_->problems.push_back({std::move(where), std::move(description)});
  }

  // One cell of `row` under `header`.
  void Cell(TableRow* row, const std::string& header, Column c, std::string value) {
    if (value.size() > limits_.max_cell_bytes) {
      Problem(row->line, header, absl::StrCat("a value of ", value.size(), " bytes; at most ", limits_.max_cell_bytes));
      return;
    }
    std::string v(absl::StripAsciiWhitespace(value));
    switch (c) {
      case Column::kPath:
        row->path = v;
        break;
      case Column::kObservationUnit:
      case Column::kBiologicalMaterial:
      case Column::kSample:
      case Column::kLinks:
        for (absl::string_view item : absl::StrSplit(v, ';', absl::SkipWhitespace())) {
          if (row->links.size() >= limits_.max_links_per_item) {
            Problem(row->line, header, absl::StrCat("more than ", limits_.max_links_per_item, " links"));
            return;
          }
          row->links.push_back({SectionOf(c), std::string(absl::StripAsciiWhitespace(item))});
        }
        break;
      case Column::kAcquiredAt:
        if (!v.empty() && !IsIso8601(v)) {
          Problem(row->line, header,
                  absl::StrCat("\"", v, "\" is not an ISO 8601 date or date-time (2025-04-01, 2025-04-01T10:20:00Z)"));
        }
        row->acquired_at = v;
        break;
      case Column::kSensor:
        row->sensor = v;
        break;
      case Column::kView:
        row->view = v;
        break;
      case Column::kStation:
        row->station = v;
        break;
      case Column::kAttribute:
        if (!v.empty()) row->attributes.emplace_back(header, v);
        break;
    }
  }

  void Finish(TableRow row) {
    if (row.path.empty()) {
      Problem(row.line, "path", "no path: every row names a file of the tree");
      return;
    }
    std::sort(row.attributes.begin(), row.attributes.end());
    for (size_t i = 1; i < row.attributes.size(); ++i) {
      if (row.attributes[i].first == row.attributes[i - 1].first) {
        Problem(row.line, row.attributes[i].first, "two values for one attribute");
      }
    }
    if (out_->rows.size() >= limits_.max_rows) {
      Problem(row.line, "", absl::StrCat("more than ", limits_.max_rows, " rows"));
      return;
    }
    out_->rows.push_back(std::move(row));
  }

 private:
  std::string name_;
  const TableLimits& limits_;
  ItemTable* out_;
};

void ParseDelimited(absl::string_view name, absl::string_view data, char delimiter, const TableLimits& limits,
                    ItemTable* out) {
  Builder b(name, limits, out);
  std::vector<miappe::Finding> findings;
  miappe::Table t = miappe::ParseTsv(name, data, &findings, /*ragged=*/false, delimiter);
  for (const miappe::Finding& f : findings) {
    if (f.severity != miappe::Severity::kError) continue;
    ++out->problem_count;
    if (out->problems.size() < limits.max_problems) out->problems.push_back({f.location, f.message});
  }
  if (t.rows.empty()) {
    b.Problem(1, "", "the table is empty: a header row with a path column is needed");
    return;
  }
  const std::vector<std::string>& header = t.rows[0];
  if (header.size() > limits.max_columns) {
    b.Problem(t.lines[0], "", absl::StrCat(header.size(), " columns; at most ", limits.max_columns));
    return;
  }
  std::vector<Column> columns;
  bool has_path = false;
  std::map<Column, std::string> seen;
  for (const std::string& h : header) {
    Column c = ColumnOf(h);
    if (c != Column::kAttribute) {
      if (auto [it, fresh] = seen.emplace(c, h); !fresh) {
        b.Problem(t.lines[0], h, absl::StrCat("\"", h, "\" and \"", it->second, "\" name the same column"));
      }
    }
    has_path = has_path || c == Column::kPath;
    out->has_link_columns = out->has_link_columns || IsLinkColumn(c);
    columns.push_back(c);
  }
  if (!has_path) {
    b.Problem(t.lines[0], "path", "no path column: the header must name one (path)");
    return;
  }
  for (size_t r = 1; r < t.rows.size(); ++r) {
    TableRow row;
    row.line = t.lines[r];
    for (size_t c = 0; c < header.size() && c < t.rows[r].size(); ++c) {
      b.Cell(&row, header[c], columns[c], std::move(t.rows[r][c]));
    }
    b.Finish(std::move(row));
  }
}

// A JSON value as cell text: strings as they are, numbers and booleans as
// JSON writes them; lists (of strings) joined with "; ".
bool CellText(const nlohmann::json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return true;
  }
  if (v.is_number() || v.is_boolean()) {
    *out = v.dump();
    return true;
  }
  if (v.is_array()) {
    std::string joined;
    for (const auto& item : v) {
      if (!item.is_string()) return false;
      absl::StrAppend(&joined, joined.empty() ? "" : "; ", item.get<std::string>());
    }
    *out = std::move(joined);
    return true;
  }
  if (v.is_null()) {
    out->clear();
    return true;
  }
  return false;
}

void ParseJsonLines(absl::string_view name, absl::string_view data, const TableLimits& limits, ItemTable* out) {
  Builder b(name, limits, out);
  if (!text::IsValidUtf8(data)) {
    b.Problem(1, "", "the table is not valid UTF-8");
    return;
  }
  int line = 0;
  for (absl::string_view text : absl::StrSplit(data, '\n')) {
    ++line;
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    nlohmann::json obj = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!obj.is_object()) {
      b.Problem(line, "", "not a JSON object");
      continue;
    }
    if (obj.size() > limits.max_columns) {
      b.Problem(line, "", absl::StrCat(obj.size(), " keys; at most ", limits.max_columns));
      continue;
    }
    TableRow row;
    row.line = line;
    for (const auto& [key, value] : obj.items()) {
      std::string cell;
      if (!CellText(value, &cell)) {
        b.Problem(line, key, "a value must be a string, a number or a list of strings");
        continue;
      }
      Column c = ColumnOf(key);
      out->has_link_columns = out->has_link_columns || IsLinkColumn(c);
      b.Cell(&row, key, c, std::move(cell));
    }
    b.Finish(std::move(row));
  }
}

bool Digits(absl::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool IsIso8601(absl::string_view s) {
  int y, mo, d;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return false;
  }
  absl::CivilDay day(y, mo, d);
  if (day.year() != y || day.month() != mo || day.day() != d) return false;
  if (s.size() == 10) return true;
  int h, mi, sec = 0;
  if ((s[10] != 'T' && s[10] != ' ') || !Digits(s, 11, 2, &h) || s.size() < 16 || s[13] != ':' ||
      !Digits(s, 14, 2, &mi) || h > 23 || mi > 59) {
    return false;
  }
  size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!Digits(s, i + 1, 2, &sec) || sec > 60) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j == i + 1) return false;
      i = j;
    }
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z') return i + 1 == s.size();
  int zh, zm;
  return (s[i] == '+' || s[i] == '-') && s.size() == i + 6 && Digits(s, i + 1, 2, &zh) && s[i + 3] == ':' &&
         Digits(s, i + 4, 2, &zm) && zh <= 23 && zm <= 59;
}

ItemTable ParseItemTable(absl::string_view name, absl::string_view data, TableFormat format,
                         const TableLimits& limits) {
  ItemTable out;
  if (format == TableFormat::kDetect) {
    absl::string_view first = data.substr(0, data.find('\n'));
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(data), "{")) {
      format = TableFormat::kJsonl;
    } else {
      format = absl::StrContains(first, '\t') ? TableFormat::kTsv : TableFormat::kCsv;
    }
  }
  switch (format) {
    case TableFormat::kJsonl:
      ParseJsonLines(name, data, limits, &out);
      break;
    case TableFormat::kTsv:
      ParseDelimited(name, data, '\t', limits, &out);
      break;
    default:
      ParseDelimited(name, data, ',', limits, &out);
      break;
  }
  return out;
}

}  // namespace fairtrace::datasets
