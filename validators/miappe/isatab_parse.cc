#include "validators/miappe/isatab_parse.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "validators/miappe/schema.h"

namespace fairtrace::miappe::isatab {
namespace {

constexpr const char* kTopKeywords[] = {"ONTOLOGY SOURCE REFERENCE", "INVESTIGATION", "INVESTIGATION PUBLICATIONS",
                                        "INVESTIGATION CONTACTS"};
constexpr const char* kStudyKeywords[] = {
    "STUDY",        "STUDY DESIGN DESCRIPTORS", "STUDY PUBLICATIONS", "STUDY FACTORS",
    "STUDY ASSAYS", "STUDY PROTOCOLS",          "STUDY CONTACTS"};

bool IsIn(absl::string_view s, const char* const* begin, const char* const* end) {
  return std::any_of(begin, end, [s](const char* k) { return s == k; });
}

bool IsUpperKeyword(absl::string_view s) {
  bool letter = false;
  for (char c : s) {
    if (absl::ascii_islower(static_cast<unsigned char>(c))) return false;
    letter = letter || absl::ascii_isupper(static_cast<unsigned char>(c));
  }
  return letter;
}

Finding Syn05(Severity sev, absl::string_view file, int line, std::string message, std::string hint) {
  return ReaderFinding("SYN-05", sev, "", absl::StrCat(file, ":", line), std::move(message), std::move(hint));
}

}  // namespace

const std::string& Row::Cell(size_t i) const {
  static const std::string kEmpty;
  return i < cells.size() ? cells[i] : kEmpty;
}

const Row* Section::Find(absl::string_view label) const {
  std::string want = NormalizeHeader(label);
  for (const Row& r : rows) {
    if (NormalizeHeader(r.label) == want) return &r;
  }
  return nullptr;
}

size_t Section::Width() const {
  size_t w = 0;
  for (const Row& r : rows) w = std::max(w, r.cells.size());
  return w;
}

const Section* StudyBlock::Get(const std::string& keyword) const {
  auto it = sections.find(keyword);
  return it == sections.end() ? nullptr : &it->second;
}

const Section* InvestigationFile::Get(const std::string& keyword) const {
  auto it = sections.find(keyword);
  return it == sections.end() ? nullptr : &it->second;
}

bool LooksLikeInvestigationFile(absl::string_view data) {
  if (absl::StartsWith(data, "\xEF\xBB\xBF")) data.remove_prefix(3);
  while (!data.empty()) {
    size_t end = data.find('\n');
    absl::string_view line = data.substr(0, end);
    absl::string_view first = absl::StripAsciiWhitespace(line.substr(0, line.find('\t')));
    if (first.size() >= 2 && first.front() == '"' && first.back() == '"') first = first.substr(1, first.size() - 2);
    if (!first.empty() && first[0] != '#') {
      return IsIn(first, std::begin(kTopKeywords), std::end(kTopKeywords)) || first == "STUDY";
    }
    if (end == absl::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  return false;
}

InvestigationFile ParseInvestigationFile(absl::string_view name, absl::string_view data,
                                         std::vector<Finding>* findings) {
  InvestigationFile inv;
  inv.name = std::string(name);
  Table t = ParseTsv(name, data, findings, /*ragged=*/true);
  Section* current = nullptr;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::vector<std::string>& cells = t.rows[r];
    const int line = t.lines[r];
    std::string label(absl::StripAsciiWhitespace(cells[0]));
    if (label.empty() || label[0] == '#') continue;
    while (cells.size() > 1 && cells.back().empty()) cells.pop_back();
    bool top = IsIn(label, std::begin(kTopKeywords), std::end(kTopKeywords));
    bool study = IsIn(label, std::begin(kStudyKeywords), std::end(kStudyKeywords));
    if (top || study) {
      if (cells.size() > 1) {
        findings->push_back(Syn05(Severity::kWarning, name, line,
                                  absl::StrCat("values after the keyword ", label, " are ignored"),
                                  "a section keyword stands alone on its line"));
      }
      std::map<std::string, Section>* into = nullptr;
      if (top) {
        if (!inv.studies.empty()) {
          findings->push_back(Syn05(Severity::kError, name, line, absl::StrCat(label, " after the first STUDY section"),
                                    "investigation sections come before the studies"));
        }
        into = &inv.sections;
      } else {
        if (label == "STUDY") {
          inv.studies.emplace_back();
          inv.studies.back().line = line;
        } else if (inv.studies.empty()) {
          findings->push_back(Syn05(Severity::kError, name, line, absl::StrCat(label, " before any STUDY section"),
                                    "start each study with its STUDY section"));
          inv.studies.emplace_back();
          inv.studies.back().line = line;
        }
        into = &inv.studies.back().sections;
      }
      if (into->contains(label)) {
        findings->push_back(Syn05(Severity::kError, name, line, absl::StrCat(label, " is given twice"),
                                  top ? "give each investigation section once"
                                      : "give each study section once per STUDY; start a new study with STUDY"));
      }
      current = &(*into)[label];
      current->keyword = label;
      current->line = line;
      current->rows.clear();
      continue;
    }
    if (IsUpperKeyword(label) && !absl::StrContains(label, "[")) {
      findings->push_back(Syn05(Severity::kError, name, line, absl::StrCat("unknown section keyword \"", label, "\""),
                                "section keywords are those of the ISA-Tab specification (STUDY PROTOCOLS, ...)"));
      current = nullptr;
      continue;
    }
    if (current == nullptr) {
      findings->push_back(Syn05(Severity::kError, name, line,
                                absl::StrCat("row \"", label, "\" is outside any section; ignored"),
                                "put it under its section keyword (INVESTIGATION, STUDY, ...)"));
      continue;
    }
    Row row;
    row.label = label;
    row.cells.assign(cells.begin() + 1, cells.end());
    row.line = line;
    current->rows.push_back(std::move(row));
  }
  return inv;
}

Header SplitHeader(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  size_t open = header.find('[');
  size_t close = header.rfind(']');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return {std::string(header), ""};
  }
  return {std::string(absl::StripAsciiWhitespace(header.substr(0, open))),
          std::string(absl::StripAsciiWhitespace(header.substr(open + 1, close - open - 1)))};
}

std::vector<Column> AnalyseColumns(const Table& table, std::vector<Finding>* findings, bool with_nodes) {
  std::vector<Column> cols;
  if (table.rows.empty()) return cols;
  const std::vector<std::string>& header = table.rows[0];
  const int line = table.lines.empty() ? 1 : table.lines[0];
  int node = -1, protocol = -1, annotatable = -1;
  auto problem = [&](size_t c, std::string message, std::string hint) {
    findings->push_back(Syn05(Severity::kError, table.name, line,
                              absl::StrCat("column ", c + 1, " (\"", header[c], "\"): ", message), std::move(hint)));
  };
  for (size_t c = 0; c < header.size(); ++c) {
    Column col;
    col.header = header[c];
    Header h = SplitHeader(header[c]);
    col.type = h.kind;
    col.name = h.name;
    const int here = static_cast<int>(c);
    if (with_nodes && h.name.empty() && (absl::EndsWith(h.kind, " Name") || absl::EndsWith(h.kind, " File"))) {
      col.kind = Column::kNode;
      node = here;
      protocol = -1;
      annotatable = -1;
    } else if (with_nodes && h.kind == "Protocol REF") {
      col.kind = Column::kProtocolRef;
      col.node = node;
      protocol = here;
      annotatable = -1;
    } else if (h.kind == "Unit") {
      col.kind = Column::kUnit;
      if (annotatable < 0 || cols[annotatable].kind != Column::kAttribute || cols[annotatable].unit >= 0) {
        problem(c, "a Unit with no value column before it", "put Unit right after the value it qualifies");
      } else {
        cols[annotatable].unit = here;
        annotatable = here;
      }
    } else if (h.kind == "Term Source REF") {
      col.kind = Column::kTermSource;
      if (annotatable < 0 || cols[annotatable].source >= 0) {
        problem(c, "a Term Source REF with no annotated column before it",
                "put Term Source REF right after the value (or Unit) it qualifies");
      } else {
        cols[annotatable].source = here;
      }
      if (c + 1 >= header.size() || SplitHeader(header[c + 1]).kind != "Term Accession Number") {
        problem(c, "Term Source REF not followed by Term Accession Number",
                "ontology annotations are a triple: value, Term Source REF, Term Accession Number");
      }
    } else if (h.kind == "Term Accession Number") {
      col.kind = Column::kTermAccession;
      if (c == 0 || SplitHeader(header[c - 1]).kind != "Term Source REF" || annotatable < 0) {
        problem(c, "Term Accession Number not preceded by Term Source REF",
                "ontology annotations are a triple: value, Term Source REF, Term Accession Number");
      } else {
        cols[annotatable].accession = here;
      }
    } else {
      col.kind = Column::kAttribute;
      col.node = h.kind == "Parameter Value" ? protocol : node;
      if (h.kind == "Parameter Value" && protocol < 0) {
        problem(c, "a Parameter Value with no Protocol REF before it", "put it after the Protocol REF it belongs to");
      }
      annotatable = here;
    }
    cols.push_back(std::move(col));
  }
  return cols;
}

Value ValueAt(const std::vector<Column>& columns, const std::vector<std::string>& row, size_t column) {
  auto cell = [&](int c) -> std::string { return c >= 0 && static_cast<size_t>(c) < row.size() ? row[c] : ""; };
  Value v;
  const Column& col = columns[column];
  v.text = cell(static_cast<int>(column));
  v.source = cell(col.source);
  v.accession = cell(col.accession);
  if (col.unit >= 0) {
    v.unit = cell(col.unit);
    v.unit_source = cell(columns[col.unit].source);
    v.unit_accession = cell(columns[col.unit].accession);
  }
  return v;
}

std::vector<std::string> SplitList(absl::string_view s) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(s, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

std::string AccessionToCurie(absl::string_view accession) {
  absl::string_view a = absl::StripAsciiWhitespace(accession);
  if (!absl::StartsWith(a, "http://") && !absl::StartsWith(a, "https://")) return std::string(accession);
  absl::string_view last = a.substr(a.find_last_of('/') + 1);
  size_t us = last.find('_');
  if (us == absl::string_view::npos || us == 0 || us + 1 >= last.size()) return std::string(accession);
  absl::string_view prefix = last.substr(0, us), local = last.substr(us + 1);
  bool ok = absl::ascii_isalpha(static_cast<unsigned char>(prefix[0]));
  for (char c : prefix) ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
  for (char c : local) ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) return std::string(accession);
  return absl::StrCat(prefix, ":", local);
}

}  // namespace fairtrace::miappe::isatab
