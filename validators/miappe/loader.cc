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
#include "validators/miappe/miappe_json.h"
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
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.push_back({f, std::move(data)});
  }
  return out;
}

namespace {

// Adds one sheet's table (named `sheet`, e.g. "study" or "Observation Unit")
// to the submission.
void AddSheet(const std::string& sheet, const Table& whole, const Schema& schema, Submission* sub,
              std::vector<Finding>* findings) {
  const std::string& base = whole.name;
  const SectionRule* section = schema.SectionForFile(sheet);
  // A MIAPPE section is read up to its last header column: filled cells
  // right of it are errors (and dropped); a sheet kept whole keeps them.
  Table trimmed;
  if (section != nullptr && whole.header_width > 0) {
    trimmed = whole;
    for (size_t r = 0; r < trimmed.rows.size(); ++r) {
      auto& row = trimmed.rows[r];
      bool filled = false;
      for (size_t c = whole.header_width; c < row.size(); ++c) filled = filled || !row[c].empty();
      if (filled) {
        findings->push_back(Syn("SYN-01", Severity::kError, section->section, absl::StrCat(base, ":", trimmed.lines[r]),
                                "a filled cell right of the last header column", "add a header for it or move it"));
      }
      row.resize(whole.header_width);
    }
  }
  const Table& table = section != nullptr && whole.header_width > 0 ? trimmed : whole;
  if (section == nullptr) {
    findings->push_back(Syn("SYN-03", Severity::kInfo, "", base,
                            absl::StrCat("\"", sheet, "\" is not a MIAPPE sheet; kept whole with the investigation ",
                                         "as its extension \"", kSheetExtensionPrefix, sheet, "\""),
                            "name MIAPPE sheets after their section: Study, Observation Unit, ..."));
    sub->extension_sheets[sheet] = table.rows;
    return;
  }
  if (!sub->sheets.insert(section->section).second) {
    // Two sheets for one section ("Study" and "study", or a copy of a
    // sheet): both are read, and the user is told.
    findings->push_back(Syn("SYN-01", Severity::kWarning, section->section, base,
                            absl::StrCat("a second sheet for section ", section->section, " (\"", sheet,
                                         "\"); its rows are read as more rows of that section"),
                            "keep one sheet per section"));
  }
  for (size_t i = 0; i < table.merged_ranges.size() && i < 20; ++i) {
    const std::string& ref = table.merged_ranges[i];
    findings->push_back(
        Syn("SYN-01", Severity::kWarning, section->section, absl::StrCat(base, "!", ref),
            absl::StrCat("merged cells ", ref, ": only the first cell holds a value, the others ", "read as empty"),
            "unmerge the cells and fill each one"));
  }
  if (table.rows.empty()) return;
  // v1.1 investigation sheet: "field<TAB>value" pairs, one field per row.
  if (section->section == "investigation" && table.rows[0].size() == 2 &&
      NormalizeHeader(table.rows[0][0]) == "field") {
    Record rec;
    rec.section = "investigation";
    rec.location = absl::StrCat(base, ":", table.lines[0]);
    for (size_t r = 1; r < table.rows.size(); ++r) {
      const auto& row = table.rows[r];
      const FieldRule* f = schema.FieldByHeader("investigation", row[0]);
      if (f == nullptr) {
        rec.extensions.emplace_back(row[0], row[1]);
        findings->push_back(Syn("SYN-03", Severity::kInfo, "investigation", absl::StrCat(base, ":", table.lines[r]),
                                absl::StrCat("unknown field \"", row[0], "\" kept as an extension"), ""));
      } else if (rec.values.contains(f->codename)) {
        findings->push_back(FieldSyn("SYN-03", Severity::kError, "investigation",
                                     absl::StrCat(base, ":", table.lines[r]), *f,
                                     absl::StrCat(f->codename, " is given twice"), "keep one row per field"));
      } else {
        rec.values[f->codename] = row[1];
      }
    }
    sub->records.push_back(std::move(rec));
    return;
  }
  // Tabular sheet: map the header once.
  const std::vector<std::string>& header = table.rows[0];
  std::vector<const FieldRule*> columns(header.size(), nullptr);
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    const FieldRule* f = schema.FieldByHeader(section->section, header[c]);
    std::string where = absl::StrCat(base, ":", table.lines[0], " column ", c + 1);
    if (f == nullptr) {
      if (!header[c].empty()) {
        findings->push_back(Syn("SYN-03", Severity::kInfo, section->section, where,
                                absl::StrCat("unknown column \"", header[c], "\" kept as an extension"),
                                "if it is a MIAPPE field, use its title, codename or DM id as the header"));
      }
      continue;
    }
    if (auto it = seen.find(f->codename); it != seen.end()) {
      findings->push_back(FieldSyn("SYN-03", Severity::kError, section->section, where, *f,
                                   absl::StrCat("columns ", it->second + 1, " and ", c + 1, " both name ", f->codename,
                                                " (\"", header[it->second], "\", \"", header[c], "\")"),
                                   "keep one column per field; the second one is kept as an extension"));
      continue;
    }
    seen.emplace(f->codename, c);
    columns[c] = f;
  }
  for (size_t r = 1; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    if (IsTemplateRow(row)) {
      findings->push_back(Syn("SYN-04", Severity::kInfo, section->section, absl::StrCat(base, ":", table.lines[r]),
                              "template row (definition/example/format) skipped", ""));
      continue;
    }
    Record rec;
    rec.section = section->section;
    rec.location = absl::StrCat(base, ":", table.lines[r]);
    for (size_t c = 0; c < row.size() && c < header.size(); ++c) {
      if (columns[c] != nullptr) {
        rec.values[columns[c]->codename] = row[c];
      } else if (!header[c].empty() || !row[c].empty()) {
        rec.extensions.emplace_back(header[c], row[c]);
      }
    }
    sub->records.push_back(std::move(rec));
  }
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
      const size_t first_reader_finding = findings->size();
      auto sheets = ReadXlsx(base, file.data, findings);
      // Reader findings name their section: the reader knows the sheet
      // ("book.xlsx#Study:2"), the schema knows its section.
      for (size_t i = first_reader_finding; i < findings->size(); ++i) {
        Finding& f = (*findings)[i];
        if (!f.section.empty()) continue;
        for (const auto& [sheet, table] : sheets) {
          const std::string prefix = absl::StrCat(base, "#", sheet);
          if (!absl::StartsWith(f.location, prefix)) continue;
          const absl::string_view rest = absl::string_view(f.location).substr(prefix.size());
          if (!rest.empty() && rest[0] != ':' && rest[0] != '!') continue;
          if (const SectionRule* s = schema.SectionForFile(sheet)) f.section = s->section;
          break;
        }
      }
      for (const auto& [sheet, table] : sheets) AddSheet(sheet, table, schema, &sub, findings);
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
    AddSheet(Stem(file.name), table, schema, &sub, findings);
  }
  std::set<std::string> links;
  for (const Record& r : sub.records) {
    if (r.section == "data_file") links.insert(std::string(absl::StripAsciiWhitespace(r.Get("dataFileLink"))));
  }
  std::vector<const Table*> data_files;
  std::set<std::string> submitted;
  for (const Other& o : others) {
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
      AddSheet(o.stem, o.table, schema, &sub, findings);
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
  KeepExtensionSheets(&sub);
  for (const Table* t : data_files) CheckDataFile(sub, *t, findings);
  return sub;
}

}  // namespace fairtrace::miappe
