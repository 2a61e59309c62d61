#include "validators/miappe/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "validators/miappe/data_file_check.h"
#include "validators/miappe/isatab_parse.h"
#include "validators/miappe/isatab_reader.h"
#include "validators/miappe/locations.h"
#include "validators/miappe/miappe_json.h"
#include "validators/miappe/sheet_layout.h"
#include "validators/miappe/tsv.h"
#include "validators/miappe/xlsx.h"

namespace fairtrace::miappe {
namespace {

std::string Stem(const std::string& name) {
  std::string base = name.substr(name.find_last_of('/') + 1);
  return base.substr(0, base.find('.'));
}

Finding Syn(const std::string& code, Severity sev, const std::string& section, const std::string& where,
            std::string message, std::string hint = "") {
  return ReaderFinding(code, sev, section, where, std::move(message), std::move(hint));
}

// A reader finding about one field: it names the field (codename, DM id).
Finding FieldSyn(const std::string& code, Severity sev, const std::string& section, const std::string& where,
                 const FieldRule& field, std::string message, std::string hint) {
  Finding f = Syn(code, sev, section, where, std::move(message), std::move(hint));
  f.field = field.codename;
  f.dm = field.dm;
  return f;
}

bool IsUnsupportedFormat(const std::string& base) {
  for (const char* ext : {".yaml", ".yml", ".ods", ".xls"}) {
    if (absl::EndsWithIgnoreCase(base, ext)) return true;
  }
  return false;
}

bool IsTemplateRow(const std::vector<std::string>& row) {
  if (row.empty()) return false;
  std::string first = NormalizeHeader(row[0]);
  return first == "definition" || first == "example" || first == "format" || first == "definitions" ||
         first == "examples";
}

}  // namespace

std::vector<InputFile> ReadSheetFiles(const std::vector<std::string>& paths, std::vector<Finding>* findings,
                                      size_t max_bytes) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        std::string ext = e.path().extension().string();
        if (e.is_regular_file(ec) &&
            (ext == ".tsv" || ext == ".txt" || ext == ".xlsx" || ext == ".json" || ext == ".csv" || ext == ".yaml" ||
             ext == ".yml" || ext == ".ods" || ext == ".xls")) {
          here.push_back(e.path().string());
        }
      }
      std::sort(here.begin(), here.end());
      files.insert(files.end(), here.begin(), here.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<InputFile> out;
  for (const std::string& f : files) {
    std::error_code ec;
    auto size = fs::file_size(f, ec);
    if (ec || !fs::is_regular_file(f, ec)) {
      findings->push_back(Syn("SYN-01", Severity::kError, "", f, "cannot read the file (missing or not a file)", ""));
      continue;
    }
    if (size > max_bytes) {
      findings->push_back(Syn("SYN-01", Severity::kError, "", f,
                              absl::StrCat("file of ", size, " bytes is over the limit of ", max_bytes),
                              "split the sheet, or raise the deployment's limit"));
      continue;
    }
    std::ifstream in(f, std::ios::binary);
    std::string data(size, '\0');  // one read of the known size (a stream iterator is ~10x slower)
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));
    out.push_back({f, std::move(data)});
  }
  return out;
}

namespace {

// The findings the reader made that a sheet's layout turns out to make
// moot (date cells in help rows and reference sheets), by index.
using DroppedFindings = std::set<size_t>;

// Names the field of each date cell the reader converted in `table`, or
// drops the finding when the cell is no data. `field_of(r, c)` is the
// field of the cell at row index r and column c, or null.
template <typename FieldOf>
void NameConvertedCells(const Table& table, const SheetShape& shape, const FieldOf& field_of,
                        std::vector<Finding>* findings, DroppedFindings* dropped) {
  for (const Table::ConvertedCell& cell : table.converted) {
    if (cell.finding >= findings->size()) continue;
    auto it = std::lower_bound(table.lines.begin(), table.lines.end(), cell.line);
    const size_t r = static_cast<size_t>(it - table.lines.begin());
    const bool help_column = shape.layout == SheetLayout::kFieldValue && shape.help_columns && cell.col >= 2;
    if (it == table.lines.end() || *it != cell.line || r == 0 || shape.layout == SheetLayout::kReference ||
        shape.help_row[r] || help_column) {
      dropped->insert(cell.finding);
      continue;
    }
    Finding& f = (*findings)[cell.finding];
    if (const FieldRule* rule = field_of(r, cell.col)) {
      f.field = rule->codename;
      f.dm = rule->dm;
    }
  }
}

// How the cells of the records read from `table` are located: Excel
// style for a workbook sheet, file:line:field for TSV.
std::shared_ptr<CellMap> NewCellMap(const Table& table) {
  auto cells = std::make_shared<CellMap>();
  cells->style = table.sheet.empty() ? CellMap::Style::kTsv : CellMap::Style::kXlsx;
  cells->prefix = table.sheet.empty() ? table.name : absl::StrCat(SheetLocation(table), "!");
  return cells;
}

// A field/value sheet (v1.1 Investigation): one field per row, the value
// in column B; help columns (Definition, Example, Format) are not read.
void ReadFieldValueSheet(const SectionRule& section, const Table& table, const SheetShape& shape, const Schema& schema,
                         Submission* sub, std::vector<Finding>* findings, DroppedFindings* dropped) {
  auto cells = NewCellMap(table);
  cells->value_column = 1;
  Record rec;
  rec.section = section.section;
  rec.location = RowLocation(table, 0);
  rec.line = table.lines[0];
  std::vector<const FieldRule*> row_field(table.rows.size(), nullptr);
  for (size_t r = 1; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string name = row.empty() ? "" : row[0];
    const std::string value = row.size() > 1 ? row[1] : "";
    if (name.empty() && value.empty()) continue;
    const FieldRule* f = schema.FieldByHeader(section.section, name);
    if (f == nullptr) {
      rec.extensions.emplace_back(name, value);
      findings->push_back(Syn("SYN-03", Severity::kInfo, section.section, CellLocation(table, r, 0),
                              absl::StrCat("unknown field \"", name, "\" kept as an extension"),
                              "if it is a MIAPPE field, use its title, codename or DM id"));
    } else if (rec.values.contains(f->codename)) {
      findings->push_back(FieldSyn("SYN-03", Severity::kError, section.section, CellLocation(table, r, 0), *f,
                                   absl::StrCat(f->codename, " is given twice"), "keep one row per field"));
    } else {
      rec.values[f->codename] = value;
      cells->row[f->codename] = table.lines[r];
      row_field[r] = f;
    }
  }
  NameConvertedCells(
      table, shape, [&](size_t r, int c) { return c == 1 ? row_field[r] : nullptr; }, findings, dropped);
  rec.cells = std::move(cells);
  sub->records.push_back(std::move(rec));
}

// A tabular sheet: a header row, then one record per row. In a label-column
// sheet (v1.1 template) column A holds labels, not data: help rows are
// skipped silently, the "Values (add rows if necessary)" banner is no
// value, anything else typed there is kept as an extension.
void ReadTableSheet(const SectionRule& section, Table& table, const SheetShape& shape, const Schema& schema,
                    Submission* sub, std::vector<Finding>* findings, DroppedFindings* dropped) {
  const bool label_column = shape.layout == SheetLayout::kLabelColumn;
  const std::vector<std::string>& header = table.rows[0];
  std::vector<const FieldRule*> columns(header.size(), nullptr);
  absl::flat_hash_map<std::string, size_t> seen;
  auto cells = NewCellMap(table);
  for (size_t c = label_column ? 1 : 0; c < header.size(); ++c) {
    const FieldRule* f = schema.FieldByHeader(section.section, header[c]);
    const std::string where = CellLocation(table, 0, c);
    if (f == nullptr) {
      if (!header[c].empty()) {
        findings->push_back(Syn("SYN-03", Severity::kInfo, section.section, where,
                                absl::StrCat("unknown column \"", header[c], "\" kept as an extension"),
                                "if it is a MIAPPE field, use its title, codename or DM id as the header"));
      }
      continue;
    }
    if (auto it = seen.find(f->codename); it != seen.end()) {
      findings->push_back(FieldSyn(
          "SYN-03", Severity::kError, section.section, where, *f,
          absl::StrCat("columns ", ExcelColumn(static_cast<int>(it->second)), " and ", ExcelColumn(static_cast<int>(c)),
                       " both name ", f->codename, " (\"", header[it->second], "\", \"", header[c], "\")"),
          "keep one column per field; the second one is kept as an extension"));
      continue;
    }
    seen.emplace(f->codename, c);
    columns[c] = f;
    cells->column[f->codename] = static_cast<int>(c);
  }
  NameConvertedCells(
      table, shape,
      [&](size_t, int c) { return c >= 0 && static_cast<size_t>(c) < columns.size() ? columns[c] : nullptr; }, findings,
      dropped);
  std::shared_ptr<const CellMap> shared_cells = std::move(cells);
  for (size_t r = 1; r < table.rows.size(); ++r) {
    auto& row = table.rows[r];
    if (shape.help_row[r]) continue;  // the template's own help: expected
    if (!label_column && IsTemplateRow(row)) {
      findings->push_back(Syn("SYN-04", Severity::kInfo, section.section, RowLocation(table, r),
                              "template row (definition/example/format) skipped", ""));
      continue;
    }
    Record rec;
    rec.section = section.section;
    rec.location = RowLocation(table, r);
    rec.line = table.lines[r];
    rec.cells = shared_cells;
    rec.values.reserve(seen.size());
    bool filled = false;
    if (label_column && !row.empty() && !row[0].empty() && !IsValuesBanner(row[0])) {
      rec.extensions.emplace_back(header[0], row[0]);
      filled = true;
    }
    for (size_t c = label_column ? 1 : 0; c < row.size() && c < header.size(); ++c) {
      filled = filled || !row[c].empty();
      if (columns[c] != nullptr) {
        rec.values[columns[c]->codename] = std::move(row[c]);  // the table is done with
      } else if (!header[c].empty() || !row[c].empty()) {
        rec.extensions.emplace_back(header[c], std::move(row[c]));
      }
    }
    if (filled) sub->records.push_back(std::move(rec));  // a row of empty cells is no record
  }
}

// Adds one sheet's table (named `sheet`, e.g. "study" or "Observation Unit")
// to the submission, read as its layout says. Consumes the table's cells.
SheetShape AddSheet(const std::string& sheet, Table table, const Schema& schema, Submission* sub,
                    std::vector<Finding>* findings, DroppedFindings* dropped) {
  const SectionRule* section = schema.SectionForFile(sheet);
  SheetShape shape = DetectLayout(table, section, schema);
  if (shape.layout == SheetLayout::kReference) {
    sub->reference_sheets.push_back(sheet);
    NameConvertedCells(
        table, shape, [](size_t, int) { return nullptr; }, findings, dropped);
    return shape;
  }
  // A MIAPPE section is read up to its last header column: filled cells
  // right of it are errors (and dropped); a sheet kept whole keeps them.
  if (section != nullptr && table.header_width > 0) {
    for (size_t r = 0; r < table.rows.size(); ++r) {
      auto& row = table.rows[r];
      size_t first_filled = 0;
      for (size_t c = table.header_width; c < row.size() && first_filled == 0; ++c) {
        if (!row[c].empty()) first_filled = c;
      }
      if (first_filled > 0) {
        findings->push_back(Syn("SYN-01", Severity::kError, section->section, CellLocation(table, r, first_filled),
                                "a filled cell right of the last header column", "add a header for it or move it"));
      }
      row.resize(table.header_width);
    }
  }
  if (section == nullptr) {
    findings->push_back(Syn("SYN-03", Severity::kInfo, "", SheetLocation(table),
                            absl::StrCat("\"", sheet, "\" is not a MIAPPE sheet; kept whole with the investigation ",
                                         "as its extension \"", kSheetExtensionPrefix, sheet, "\""),
                            "name MIAPPE sheets after their section: Study, Observation Unit, ..."));
    sub->extension_sheets[sheet] = std::move(table.rows);
    return shape;
  }
  if (!sub->sheets.insert(section->section).second) {
    // Two sheets for one section ("Study" and "study", or a copy of a
    // sheet): both are read, and the user is told.
    findings->push_back(Syn("SYN-01", Severity::kWarning, section->section, SheetLocation(table),
                            absl::StrCat("a second sheet for section ", section->section, " (\"", sheet,
                                         "\"); its rows are read as more rows of that section"),
                            "keep one sheet per section"));
  }
  for (size_t i = 0; i < table.merged_ranges.size() && i < 20; ++i) {
    const std::string& ref = table.merged_ranges[i];
    findings->push_back(
        Syn("SYN-01", Severity::kWarning, section->section, absl::StrCat(SheetLocation(table), "!", ref),
            absl::StrCat("merged cells ", ref, ": only the first cell holds a value, the others ", "read as empty"),
            "unmerge the cells and fill each one"));
  }
  if (table.rows.empty()) return shape;
  if (shape.layout == SheetLayout::kFieldValue) {
    ReadFieldValueSheet(*section, table, shape, schema, sub, findings, dropped);
  } else {
    ReadTableSheet(*section, table, shape, schema, sub, findings, dropped);
  }
  return shape;
}

// Which official template a workbook is, from its sheets' layouts: a
// README declaring "MIAPPE Version 1.2" (the minimal template has no Event,
// Sample, Environment or Experimental Factor sheet), or a field/value
// Investigation sheet with help columns beside label-column data sheets
// (the 1.1 training spreadsheet).
void RecogniseTemplate(const std::vector<std::pair<const SectionRule*, SheetShape>>& shapes, Submission* sub) {
  std::string readme_version;
  bool field_value_help = false, full = false;
  int label_sheets = 0;
  for (const auto& [section, shape] : shapes) {
    if (shape.reference_kind == "README" && !shape.readme_version.empty()) readme_version = shape.readme_version;
    if (shape.layout == SheetLayout::kFieldValue && shape.help_columns) field_value_help = true;
    if (shape.layout == SheetLayout::kLabelColumn) ++label_sheets;
    if (section != nullptr && (section->section == "event" || section->section == "sample" ||
                               section->section == "environment" || section->section == "factor")) {
      full = true;
    }
  }
  if (!readme_version.empty()) {
    sub->template_name = absl::StrCat("MIAPPE ", readme_version, full ? "" : " minimal", " spreadsheet template");
    sub->template_version = readme_version;
  } else if (field_value_help && label_sheets > 0) {
    sub->template_name = "MIAPPE 1.1 training spreadsheet";
    sub->template_version = "1.1";
  }
}

// Reads an xlsx workbook: every sheet by its layout; the reader's
// findings name their section; those about cells that are no data (help
// rows, reference sheets) are dropped.
void ReadWorkbook(const std::string& base, absl::string_view data, const Schema& schema, Submission* sub,
                  std::vector<Finding>* findings) {
  sub->input_kind = "workbook";
  const size_t first_reader_finding = findings->size();
  auto sheets = ReadXlsx(base, data, findings);
  // Reader findings name their section: the reader knows the sheet
  // ("book.xlsx#Study!E5"), the schema knows its section.
  for (size_t i = first_reader_finding; i < findings->size(); ++i) {
    Finding& f = (*findings)[i];
    if (!f.section.empty()) continue;
    for (const auto& [sheet, table] : sheets) {
      const std::string prefix = SheetLocation(table);
      if (!absl::StartsWith(f.location, prefix)) continue;
      const absl::string_view rest = absl::string_view(f.location).substr(prefix.size());
      if (!rest.empty() && rest[0] != '!') continue;
      if (const SectionRule* s = schema.SectionForFile(sheet)) f.section = s->section;
      break;
    }
  }
  DroppedFindings dropped;
  std::vector<std::pair<const SectionRule*, SheetShape>> shapes;
  for (auto& [sheet, table] : sheets) {
    shapes.emplace_back(schema.SectionForFile(sheet),
                        AddSheet(sheet, std::move(table), schema, sub, findings, &dropped));
  }
  RecogniseTemplate(shapes, sub);
  if (dropped.empty()) return;
  std::vector<Finding> kept;
  kept.reserve(findings->size() - dropped.size());
  for (size_t i = 0; i < findings->size(); ++i) {
    if (!dropped.contains(i)) kept.push_back(std::move((*findings)[i]));
  }
  *findings = std::move(kept);
}

// The minimal 1.2 template's Observation Unit sheet has no studyId column:
// a unit belongs to the only study, or to the one study of its biological
// material. The value is filled and said once (INFO); a unit whose study
// cannot be told is left without one (XRF-STUDY-REF says so).
void InferUnitStudies(Submission* sub, std::vector<Finding>* findings) {
  std::vector<std::string> studies;
  absl::flat_hash_map<std::string, std::vector<std::string>> bm_studies;
  for (const Record& r : sub->records) {
    if (r.section == "study") studies.emplace_back(absl::StripAsciiWhitespace(r.Get("studyId")));
    if (r.section == "biological_material") {
      auto& list = bm_studies[std::string(absl::StripAsciiWhitespace(r.Get("biologicalMaterialId")))];
      for (const std::string& s : isatab::SplitList(r.Get("studyId"))) list.push_back(s);
    }
  }
  size_t inferred = 0, unknown = 0;
  std::string first_location;
  for (Record& r : sub->records) {
    if (r.section != "observation_unit" || r.values.contains("studyId") || r.cells == nullptr) continue;
    if (first_location.empty()) first_location = r.location;
    std::string study;
    if (studies.size() == 1) {
      study = studies[0];
    } else if (auto it = bm_studies.find(std::string(absl::StripAsciiWhitespace(r.Get("biologicalMaterialId"))));
               it != bm_studies.end() && it->second.size() == 1) {
      study = it->second[0];
    }
    if (study.empty()) {
      ++unknown;
      continue;
    }
    r.values["studyId"] = study;
    ++inferred;
  }
  if (inferred + unknown == 0) return;
  findings->push_back(
      Syn("SYN-03", Severity::kInfo, "observation_unit", first_location,
          absl::StrCat("the Observation Unit sheet has no studyId column (the minimal template's layout): ", inferred,
                       " unit(s) take the study of the submission or of their biological material",
                       unknown > 0 ? absl::StrCat(", ", unknown, " cannot be told (several studies)") : ""),
          unknown > 0 ? "add a studyId column to the Observation Unit sheet" : ""));
}

// Sheets that are no MIAPPE section go with the investigation record, as
// TSV, so that they are stored, digested and exported with the revision.
void KeepExtensionSheets(Submission* sub) {
  for (Record& r : sub->records) {
    if (r.section != "investigation") continue;
    for (const auto& [name, rows] : sub->extension_sheets) {
      r.extensions.emplace_back(absl::StrCat(kSheetExtensionPrefix, name), FormatTsv(rows));
    }
    return;
  }
}

// A submitted data file checked against the studies whose Data file
// records link it: their observed variables and their units and samples.
void CheckDataFile(const Submission& sub, const Table& table, std::vector<Finding>* findings) {
  std::set<std::string> studies;
  for (const Record& r : sub.records) {
    if (r.section != "data_file" || absl::StripAsciiWhitespace(r.Get("dataFileLink")) != table.name) continue;
    for (const std::string& s : isatab::SplitList(r.Get("studyId"))) studies.insert(s);
  }
  auto linked = [&](const Record& r) {
    for (const std::string& s : isatab::SplitList(r.Get("studyId"))) {
      if (studies.contains(s)) return true;
    }
    return false;
  };
  DataFileScope scope;
  scope.study = absl::StrJoin(studies, "; ");
  for (const Record& r : sub.records) {
    if (r.section == "observed_variable" && linked(r)) {
      scope.variables.insert(std::string(absl::StripAsciiWhitespace(r.Get("variableId"))));
    } else if (r.section == "observation_unit" && linked(r)) {
      scope.keys.insert(std::string(absl::StripAsciiWhitespace(r.Get("obsUnitId"))));
    }
  }
  for (const Record& r : sub.records) {
    if (r.section == "sample" && scope.keys.contains(std::string(absl::StripAsciiWhitespace(r.Get("obsUnitId"))))) {
      scope.keys.insert(std::string(absl::StripAsciiWhitespace(r.Get("sampleId"))));
    }
  }
  CheckDataTable(table, scope, findings);
}

}  // namespace

Submission LoadSheets(const std::vector<InputFile>& files, const Schema& schema, std::vector<Finding>* findings) {
  Submission sub;
  // An ISA-Tab investigation file makes the whole submission ISA-Tab: the
  // files it names are its study, assay and trait definition files.
  for (size_t i = 0; i < files.size(); ++i) {
    if (IsIsaInvestigationFile(files[i])) {
      ReadIsaTab(files, i, schema, &sub, findings);
      return sub;
    }
  }
  struct Other {
    std::string base, stem;
    bool csv;
    Table table;
    absl::string_view data;  // the submitted bytes (files outlive this call)
  };
  std::vector<Other> others;
  for (const InputFile& file : files) {
    std::string base = file.name.substr(file.name.find_last_of('/') + 1);
    if (IsUnsupportedFormat(base)) {
      findings->push_back(Syn("SYN-01", Severity::kError, "", base,
                              "this file format is not read (LinkML YAML, ODS and XLS are not supported)",
                              "submit an xlsx workbook, TSV sheets, ISA-Tab files or MIAPPE JSON"));
      continue;
    }
    if (absl::EndsWithIgnoreCase(base, ".json") || LooksLikeJson(file.data)) {
      ReadMiappeJson(base, file.data, schema, &sub, findings);
      continue;
    }
    if (LooksLikeZip(file.data) || absl::EndsWithIgnoreCase(base, ".xlsx")) {
      ReadWorkbook(base, file.data, schema, &sub, findings);
      continue;
    }
    // A file that names no section is an extension sheet, or the data file
    // a Data file record links: that is known once every sheet is read.
    bool csv = absl::EndsWithIgnoreCase(base, ".csv");
    if (schema.SectionForFile(Stem(file.name)) == nullptr || csv) {
      others.push_back({base, Stem(file.name), csv,
                        csv ? ParseDataFile(base, file.data, findings) : ParseTsv(base, file.data, findings),
                        file.data});
      continue;
    }
    Table table = ParseTsv(base, file.data, findings);
    DroppedFindings none;
    AddSheet(Stem(file.name), std::move(table), schema, &sub, findings, &none);
  }
  std::set<std::string> links;
  for (const Record& r : sub.records) {
    if (r.section == "data_file") links.insert(std::string(absl::StripAsciiWhitespace(r.Get("dataFileLink"))));
  }
  std::vector<const Table*> data_files;
  std::set<std::string> submitted;
  for (Other& o : others) {
    if (links.contains(o.base)) {
      submitted.insert(o.base);
      data_files.push_back(&o.table);
      // Control characters (NUL, ...) are not data: say so once per file.
      size_t controls = 0, first_line = 0, line = 1;
      for (char c : o.data) {
        const auto u = static_cast<unsigned char>(c);
        if (u == '\n') ++line;
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
          if (controls++ == 0) first_line = line;
        }
      }
      if (controls > 0) {
        findings->push_back(Syn("FMT-TEXT", Severity::kError, "data_file", absl::StrCat(o.base, ":", first_line),
                                absl::StrCat(controls, " control character(s) (NUL, ...) in the data file, the first",
                                             " on line ", first_line),
                                "export the data again as plain text"));
      }
    } else if (o.csv) {
      findings->push_back(Syn("SYN-01", Severity::kWarning, "", o.base,
                              "a CSV file that no Data file record names; not read",
                              "MIAPPE sheets are TSV; name a data file in the Data file sheet's dataFileLink"));
    } else {
      DroppedFindings none;
      AddSheet(o.stem, std::move(o.table), schema, &sub, findings, &none);
    }
  }
  // A data file a record names but that was not submitted: not checked.
  for (const Record& r : sub.records) {
    if (r.section != "data_file") continue;
    std::string link(absl::StripAsciiWhitespace(r.Get("dataFileLink")));
    if (link.empty() || submitted.contains(link)) continue;
    Finding f = Syn("XRF-DATAFILE-UNCHECKED", Severity::kInfo, "data_file", r.location,
                    absl::StrCat("the data file \"", link, "\" was not submitted; it was not checked"),
                    "submit the file beside the sheets to check it against the metadata");
    f.entity_id = RecordId(r);
    f.field = "dataFileLink";
    if (const FieldRule* rule = schema.Field("data_file", "dataFileLink")) f.dm = rule->dm;
    f.value = link;
    findings->push_back(std::move(f));
  }
  InferUnitStudies(&sub, findings);
  KeepExtensionSheets(&sub);
  for (const Table* t : data_files) CheckDataFile(sub, *t, findings);
  return sub;
}

}  // namespace fairtrace::miappe
