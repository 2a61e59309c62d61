#include "validators/miappe/isatab_reader.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "validators/miappe/data_file_check.h"
#include "validators/miappe/isatab_map.h"
#include "validators/miappe/isatab_parse.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {
namespace {

using isatab::Column;
using isatab::Section;
using isatab::SplitList;
using isatab::StudyBlock;

std::string BaseName(const std::string& name) { return name.substr(name.find_last_of('/') + 1); }

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s)); }

// "Comment[X]" -> "X"; other labels unchanged.
std::string ExtensionKey(const std::string& label) {
  isatab::Header h = isatab::SplitHeader(label);
  return h.kind == "Comment" && !h.name.empty() ? h.name : label;
}

std::string NonEmptyJoined(const std::vector<std::string>& cells, absl::string_view sep) {
  std::vector<std::string> parts;
  for (const std::string& c : cells) {
    if (!c.empty()) parts.push_back(c);
  }
  return absl::StrJoin(parts, sep);
}

bool IsNoFile(absl::string_view cell) {
  std::string l = Lower(cell);
  return l.empty() || l == "na" || l == "n/a" || l == "none";
}

bool IsUrl(absl::string_view s) { return absl::StrContains(s, "://"); }

// The record's content without its study links: records equal by this key
// that were read from different studies are one record linked to both.
std::string MergeKey(const Record& r) {
  std::map<std::string, std::string> values;
  for (const auto& [k, v] : r.values) {
    if (k != "studyId" && !v.empty()) values[k] = v;
  }
  std::string key = r.section;
  for (const auto& [k, v] : values) absl::StrAppend(&key, "\x1f", k, "\x1e", v);
  key += "\x1d";
  for (const auto& [k, v] : r.extensions) {
    if (!v.empty()) absl::StrAppend(&key, "\x1f", k, "\x1e", v);
  }
  return key;
}

class Reader {
 public:
  Reader(const std::vector<InputFile>& files, size_t investigation, const Schema& schema, Submission* sub,
         std::vector<Finding>* findings)
      : files_in_(files), investigation_(investigation), schema_(schema), sub_(sub), findings_(findings) {
    for (const InputFile& f : files) by_name_.emplace(BaseName(f.name), &f);
  }

  void Run() {
    const InputFile& inv_file = files_in_[investigation_];
    inv_name_ = BaseName(inv_file.name);
    used_.insert(inv_name_);
    isatab::InvestigationFile inv = isatab::ParseInvestigationFile(inv_name_, inv_file.data, findings_);
    ReadTermSources(inv);
    CheckInvestigationTermSources(inv);
    ReadInvestigation(inv);
    if (const Section* contacts = inv.Get("INVESTIGATION CONTACTS")) ReadContacts(*contacts, "Investigation ", "");
    for (size_t i = 0; i < inv.studies.size(); ++i) ReadStudy(inv.studies[i], i);
    ReportUnreferenced();
    Emit();
  }

 private:
  // ---- findings -----------------------------------------------------------

  void Add(const std::string& code, Severity sev, const std::string& section, const std::string& where,
           std::string message, std::string hint, const std::string& entity = "", const std::string& value = "") {
    Finding f = ReaderFinding(code, sev, section, where, std::move(message), std::move(hint));
    if (!entity.empty()) f.entity_id = entity;
    f.value = value.substr(0, 200);
    findings_->push_back(std::move(f));
  }

  // Reports a problem once per key (e.g. one undeclared protocol per file).
  bool Once(const std::string& key) { return reported_.insert(key).second; }

  // ---- term sources ---------------------------------------------------------

  void ReadTermSources(const isatab::InvestigationFile& inv) {
    const Section* osr = inv.Get("ONTOLOGY SOURCE REFERENCE");
    if (osr == nullptr) {
      Add("SYN-05", Severity::kWarning, "", inv_name_, "no ONTOLOGY SOURCE REFERENCE section",
          "declare every ontology the files cite (Term Source Name, File, Version, Description)");
      return;
    }
    // Kept with the investigation: which ontology files and versions were cited.
    for (const isatab::Row& r : osr->rows) {
      std::vector<std::string> cells = r.cells;
      cells.resize(osr->Width());
      if (!NonEmptyJoined(cells, "").empty()) ontology_rows_.emplace_back(r.label, absl::StrJoin(cells, " | "));
    }
    const isatab::Row* names = osr->Find("Term Source Name");
    for (size_t c = 0; c < osr->Width(); ++c) {
      std::string name = names != nullptr ? std::string(absl::StripAsciiWhitespace(names->Cell(c))) : "";
      if (!name.empty()) {
        term_sources_.insert(Lower(name));
        continue;
      }
      bool described = false;
      for (const isatab::Row& r : osr->rows) described = described || !r.Cell(c).empty();
      if (described) {
        Add("SYN-05", Severity::kWarning, "", absl::StrCat(inv_name_, ":", osr->line),
            absl::StrCat("ontology source in column ", c + 2, " has no Term Source Name"),
            "name it; files cite ontologies by that name");
      }
    }
  }

  void CheckTermSource(const std::string& cell, const std::string& where) {
    for (const std::string& ref : SplitList(cell)) {
      if (term_sources_.contains(Lower(ref))) continue;
      if (!Once(absl::StrCat("termsource|", BaseName(where.substr(0, where.find(':'))), "|", Lower(ref)))) continue;
      Add("XRF-ISA-TERMSOURCE", Severity::kError, "", where,
          absl::StrCat("Term Source REF \"", ref, "\" is not declared in ONTOLOGY SOURCE REFERENCE"),
          "add the ontology (Term Source Name, File, Version) to the investigation file", ref, ref);
    }
  }

  void CheckInvestigationTermSources(const isatab::InvestigationFile& inv) {
    auto check = [&](const Section& s) {
      for (const isatab::Row& r : s.rows) {
        if (!absl::EndsWithIgnoreCase(r.label, "Term Source REF")) continue;
        for (const std::string& c : r.cells) CheckTermSource(c, absl::StrCat(inv_name_, ":", r.line));
      }
    };
    for (const auto& [k, s] : inv.sections) check(s);
    for (const StudyBlock& b : inv.studies) {
      for (const auto& [k, s] : b.sections) check(s);
    }
  }

  // ---- values ---------------------------------------------------------------

  // Sets `codename` of `rec`, reporting a second value for it.
  void SetField(Record* rec, const std::string& codename, const std::string& value, const std::string& where) {
    auto [it, inserted] = rec->values.emplace(codename, value);
    if (inserted) return;
    if (it->second.empty()) {
      it->second = value;
    } else if (!value.empty() && value != it->second) {
      Add("SYN-03", Severity::kError, rec->section, where,
          absl::StrCat(codename, " is given twice (\"", it->second, "\" and \"", value, "\")"),
          "give each field once", RecordId(*rec), value);
    }
  }

  void AddExtension(Record* rec, const std::string& key, const std::string& value) {
    if (value.empty()) return;
    for (const auto& [k, v] : rec->extensions) {
      if (k == key) return;  // first one wins (a node repeated over rows)
    }
    rec->extensions.emplace_back(key, value);
  }

  // The MIAPPE field of an ISA label at `place` (the map, else a title,
  // codename or DM id of the section), or nullptr.
  const FieldRule* FieldFor(const std::string& place, const std::string& section, const std::string& label) {
    std::string key = absl::StrCat(place, "\x1f", section, "\x1f", label);
    auto it = field_cache_.find(key);
    if (it != field_cache_.end()) return it->second;
    const FieldRule* f = LookUpField(place, section, label);
    field_cache_.emplace(std::move(key), f);
    return f;
  }

  const FieldRule* LookUpField(const std::string& place, const std::string& section, const std::string& label) const {
    if (const IsaField* f = map_.Find(place, label)) return schema_.Field(f->section, f->codename);
    if (place == "source" || place == "sample" || place == "extract" || place == "tdf" || place == "study" ||
        place == "investigation") {
      const FieldRule* f = schema_.FieldByHeader(section, ExtensionKey(label));
      // Links are the tables' structure, never a column of their own.
      if (f != nullptr && (f->format == "study_refs" || f->format == "bm_refs" || f->format == "ou_refs")) return nullptr;
      return f;
    }
    return nullptr;
  }

  // An attribute cell (with its unit and ontology term) into `rec`: the
  // mapped field, or an extension named `name`. With a term accession the
  // field holds the term as a CURIE (or, where the section has a matching
  // "... accession number" field, the label here and the CURIE there) and
  // the label is kept as the extension "<name> label".
  void Place(Record* rec, const std::string& place, const std::string& name, const isatab::Value& v,
             const std::string& where) {
    if (!v.source.empty()) CheckTermSource(v.source, where);
    if (!v.unit_source.empty()) CheckTermSource(v.unit_source, where);
    std::string text = v.text;
    if (!v.unit.empty() && !text.empty()) absl::StrAppend(&text, " ", v.unit);
    AddExtension(rec, absl::StrCat(name, " Unit Term Source REF"), v.unit_source);
    AddExtension(rec, absl::StrCat(name, " Unit Term Accession Number"), v.unit_accession);
    const FieldRule* field = FieldFor(place, rec->section, name);
    if (field == nullptr) {
      AddExtension(rec, name, text);
      AddExtension(rec, absl::StrCat(name, " Term Source REF"), v.source);
      AddExtension(rec, absl::StrCat(name, " Term Accession Number"), v.accession);
      return;
    }
    if (v.accession.empty()) {
      SetField(rec, field->codename, text, where);
      AddExtension(rec, absl::StrCat(name, " Term Source REF"), v.source);
      return;
    }
    std::string curie = isatab::AccessionToCurie(v.accession);
    const FieldRule* acc = FieldFor(place, rec->section, absl::StrCat(name, " Accession Number"));
    if (acc != nullptr && acc != field && rec->Get(acc->codename).empty()) {
      SetField(rec, field->codename, text, where);
      SetField(rec, acc->codename, curie, where);
      return;
    }
    SetField(rec, field->codename, curie, where);
    AddExtension(rec, absl::StrCat(name, " label"), text);
  }

  // ---- investigation ------------------------------------------------------

  void ReadInvestigation(const isatab::InvestigationFile& inv) {
    Record rec;
    rec.section = "investigation";
    const Section* s = inv.Get("INVESTIGATION");
    rec.location = absl::StrCat(inv_name_, ":", s != nullptr ? s->line : 1);
    for (const auto& [label, value] : ontology_rows_) AddExtension(&rec, label, value);
    if (s == nullptr) {
      Add("SYN-05", Severity::kError, "investigation", inv_name_, "no INVESTIGATION section",
          "an investigation file starts with ONTOLOGY SOURCE REFERENCE and INVESTIGATION");
    } else {
      ReadSingleRows(*s, "investigation", &rec);
    }
    if (const Section* pubs = inv.Get("INVESTIGATION PUBLICATIONS")) {
      for (const isatab::Row& r : pubs->rows) {
        const IsaField* f = map_.Find("publication", r.label);
        std::string where = absl::StrCat(inv_name_, ":", r.line);
        if (f != nullptr) {
          SetField(&rec, f->codename, NonEmptyJoined(r.cells, "; "), where);
        } else {
          AddExtension(&rec, ExtensionKey(r.label), NonEmptyJoined(r.cells, " | "));
        }
      }
    }
    Out("investigation", std::move(rec));
  }

  // Rows of a one-column section (INVESTIGATION, STUDY, STUDY DESIGN
  // DESCRIPTORS) into `rec`; returns nothing, reports extra columns.
  void ReadSingleRows(const Section& s, const std::string& place, Record* rec) {
    for (const isatab::Row& r : s.rows) {
      std::string where = absl::StrCat(inv_name_, ":", r.line);
      size_t filled = 0;
      for (const std::string& c : r.cells) filled += !c.empty();
      if (filled > 1) {
        Add("SYN-05", Severity::kWarning, rec->section, where,
            absl::StrCat("\"", r.label, "\" holds ", filled, " values; they are kept joined with \"; \""),
            "a study or investigation row holds one value");
      }
      std::string value = NonEmptyJoined(r.cells, "; ");
      if (place == "study" && (NormalizeHeader(r.label) == "studyfilename" || map_.Find("datafile", r.label) ||
                               absl::StartsWith(ExtensionKey(r.label), "Study Data File "))) {
        continue;  // structure and data files, read elsewhere
      }
      if (place == "design" && absl::EndsWithIgnoreCase(r.label, "Term Source REF")) continue;  // checked
      if (place == "design" && NormalizeHeader(r.label) == "studydesigntypetermaccessionnumber") {
        if (value.empty()) continue;
        std::string label = rec->Get("expeDesignType");
        rec->values["expeDesignType"] = isatab::AccessionToCurie(value);
        AddExtension(rec, "Study Design Type label", label);
        continue;
      }
      const FieldRule* f = FieldFor(place, rec->section, r.label);
      if (f == nullptr && place == "design") f = FieldFor("study", rec->section, r.label);
      if (f != nullptr) {
        SetField(rec, f->codename, value, where);
      } else {
        AddExtension(rec, ExtensionKey(r.label), value);
      }
    }
  }

  // ---- contacts -------------------------------------------------------------

  void ReadContacts(const Section& s, const std::string& prefix, const std::string& study_id) {
    for (size_t c = 0; c < s.Width(); ++c) {
      Record p;
      p.section = "person";
      p.location = absl::StrCat(inv_name_, ":", s.line, " column ", c + 2);
      std::string first, mid, last;
      bool any = false;
      for (const isatab::Row& r : s.rows) {
        const std::string& cell = r.Cell(c);
        if (cell.empty()) continue;
        any = true;
        std::string label = absl::StartsWith(r.label, prefix) ? r.label.substr(prefix.size()) : r.label;
        std::string norm = NormalizeHeader(label);
        if (norm == "personlastname") {
          last = cell;
        } else if (norm == "personfirstname") {
          first = cell;
        } else if (norm == "personmidinitials") {
          mid = cell;
        } else if (const IsaField* f = map_.Find("contact", label)) {
          SetField(&p, f->codename, cell, absl::StrCat(inv_name_, ":", r.line));
        } else {
          AddExtension(&p, ExtensionKey(label), cell);
        }
      }
      if (!any) continue;
      std::vector<std::string> parts;
      for (const std::string* n : {&first, &mid, &last}) {
        if (!n->empty()) parts.push_back(*n);
      }
      p.values["personName"] = absl::StrJoin(parts, " ");
      if (!study_id.empty()) p.values["studyId"] = study_id;
      Out("person", std::move(p));
    }
  }

  // ---- studies --------------------------------------------------------------

  struct Protocol {
    std::string type;
    std::set<std::string> params;  // lowercased
  };

  struct StudyState {
    std::string id;
    std::map<std::string, Protocol> protocols;  // by lowercased name
    std::vector<std::string> factors;           // names as declared
    absl::flat_hash_map<std::string, size_t> ous;  // obsUnitId -> index in out_["observation_unit"]
    absl::flat_hash_set<std::string> samples, assays, variables;
    std::set<std::string> data_links;  // declared data files
  };

  void ReadStudy(const StudyBlock& block, size_t index) {
    const Section* s = block.Get("STUDY");
    Record study;
    study.section = "study";
    study.location = absl::StrCat(inv_name_, ":", block.line);
    if (s == nullptr) {
      Add("SYN-05", Severity::kError, "study", study.location, "study block without its STUDY section",
          "start each study with STUDY and its Study Identifier");
      return;
    }
    ReadSingleRows(*s, "study", &study);
    if (const Section* d = block.Get("STUDY DESIGN DESCRIPTORS")) ReadSingleRows(*d, "design", &study);
    if (const Section* p = block.Get("STUDY PUBLICATIONS")) {
      for (const isatab::Row& r : p->rows) AddExtension(&study, ExtensionKey(r.label), NonEmptyJoined(r.cells, " | "));
    }
    StudyState st;
    st.id = std::string(absl::StripAsciiWhitespace(study.Get("studyId")));
    if (st.id.empty()) {
      st.id = absl::StrCat("study_", index + 1);
      study.values["studyId"] = st.id;
      Add("PRE-MANDATORY", Severity::kWarning, "study", study.location,
          absl::StrCat("the study has no Study Identifier; it is named \"", st.id, "\""),
          "give each study a Study Identifier", st.id);
    }
    ReadDataFileComments(*s, &st);
    if (const Section* f = block.Get("STUDY FACTORS")) ReadFactors(*f, &st);
    if (const Section* p = block.Get("STUDY PROTOCOLS")) ReadProtocols(*p, &study, &st);
    if (const Section* c = block.Get("STUDY CONTACTS")) ReadContacts(*c, "Study ", st.id);

    // The study file: materials, observation units, environment.
    const isatab::Row* file_row = s->Find("Study File Name");
    std::string study_file = file_row != nullptr ? std::string(absl::StripAsciiWhitespace(file_row->Cell(0))) : "";
    if (study_file.empty()) {
      Add("SYN-05", Severity::kError, "study", study.location,
          absl::StrCat("study \"", st.id, "\" names no Study File Name"),
          "name the study file (s_*.txt) that lists its biological materials and observation units", st.id);
    } else if (const InputFile* f = Need(study_file, "study file", study.location, Severity::kError)) {
      ReadStudyTable(*f, &study, &st);
    }
    // Assays: samples, trait definition files, data files.
    std::vector<std::string> tdfs;
    if (const Section* a = block.Get("STUDY ASSAYS")) {
      const isatab::Row* names = a->Find("Study Assay File Name");
      const isatab::Row* tdf = a->Find("Comment[Trait Definition File]");
      const isatab::Row* tech = a->Find("Study Assay Technology Type");
      for (size_t c = 0; c < a->Width(); ++c) {
        if (tdf != nullptr && !IsNoFile(tdf->Cell(c))) AddUnique(&tdfs, tdf->Cell(c));
        std::string name = names != nullptr ? std::string(absl::StripAsciiWhitespace(names->Cell(c))) : "";
        if (name.empty()) continue;
        std::string level;
        if (tech != nullptr && absl::EndsWithIgnoreCase(tech->Cell(c), " level analysis")) {
          level = Lower(tech->Cell(c).substr(0, tech->Cell(c).size() - 15));
        }
        if (const InputFile* f = Need(name, "assay file", absl::StrCat(inv_name_, ":", a->line), Severity::kError)) {
          ReadAssayTable(*f, level, &st, &tdfs);
        }
      }
    }
    for (const std::string& t : tdfs) {
      if (const InputFile* f = Need(t, "trait definition file", study.location, Severity::kError)) ReadTdf(*f, &st);
    }
    for (const auto& [link, where] : pending_data_files_) {
      if (!st.data_links.contains(link)) {
        Record d;
        d.section = "data_file";
        d.location = where;
        d.values["dataFileLink"] = link;
        d.values["studyId"] = st.id;
        Out("data_file", std::move(d));
        st.data_links.insert(link);
      }
      if (IsUrl(link)) continue;
      if (const InputFile* f = Need(link, "data file", where, Severity::kWarning)) CheckDataFile(*f, st);
    }
    pending_data_files_.clear();
    DeriveFactorValues(st);
    Out("study", std::move(study));
  }

  void AddUnique(std::vector<std::string>* v, const std::string& s) {
    std::string t(absl::StripAsciiWhitespace(s));
    for (const std::string& x : *v) {
      if (x == t) return;
    }
    v->push_back(t);
  }

  // The submitted file `name`, or nullptr after XRF-FILE-MISSING.
  const InputFile* Need(const std::string& name, const std::string& what, const std::string& where, Severity sev) {
    auto it = by_name_.find(BaseName(name));
    if (it != by_name_.end() && BaseName(name) == name) {
      used_.insert(name);
      return it->second;
    }
    if (Once(absl::StrCat("missing|", name))) {
      Add("XRF-FILE-MISSING", sev, "", where,
          absl::StrCat("the ", what, " \"", name, "\" is not among the submitted files"),
          sev == Severity::kError ? "submit it with the investigation file, under that name"
                                  : "submit it to have its columns and rows checked",
          name, name);
    }
    return nullptr;
  }

  void ReadDataFileComments(const Section& s, StudyState* st) {
    const isatab::Row* links = s.Find("Comment[Study Data File Link]");
    if (links == nullptr) return;
    for (size_t c = 0; c < links->cells.size(); ++c) {
      Record d;
      d.section = "data_file";
      d.location = absl::StrCat(inv_name_, ":", links->line, " column ", c + 2);
      bool any = false;
      for (const isatab::Row& r : s.rows) {
        const std::string& cell = r.Cell(c);
        if (cell.empty()) continue;
        if (const IsaField* f = map_.Find("datafile", r.label)) {
          SetField(&d, f->codename, cell, d.location);
          any = true;
        } else if (std::string key = ExtensionKey(r.label); absl::StartsWith(key, "Study Data File ")) {
          AddExtension(&d, key.substr(16), cell);
          any = true;
        }
      }
      if (!any) continue;
      d.values["studyId"] = st->id;
      st->data_links.insert(d.Get("dataFileLink"));
      Out("data_file", std::move(d));
    }
  }

  void ReadFactors(const Section& s, StudyState* st) {
    for (size_t c = 0; c < s.Width(); ++c) {
      Record f;
      f.section = "factor";
      f.location = absl::StrCat(inv_name_, ":", s.line, " column ", c + 2);
      bool any = false;
      for (const isatab::Row& r : s.rows) {
        const std::string& cell = r.Cell(c);
        if (cell.empty()) continue;
        any = true;
        if (const IsaField* m = map_.Find("factor", r.label)) {
          SetField(&f, m->codename, cell, f.location);
        } else {
          AddExtension(&f, ExtensionKey(r.label), cell);
        }
      }
      if (!any) continue;
      f.values["studyId"] = st->id;
      st->factors.push_back(std::string(absl::StripAsciiWhitespace(f.Get("expeFactorType"))));
      Out("factor", std::move(f));
    }
  }

  void ReadProtocols(const Section& s, Record* study, StudyState* st) {
    const isatab::Row* names = s.Find("Study Protocol Name");
    const isatab::Row* types = s.Find("Study Protocol Type");
    const isatab::Row* params = s.Find("Study Protocol Parameters Name");
    for (size_t c = 0; c < s.Width(); ++c) {
      std::string name = names != nullptr ? std::string(absl::StripAsciiWhitespace(names->Cell(c))) : "";
      std::string type = types != nullptr ? Lower(types->Cell(c)) : "";
      if (name.empty()) continue;
      std::string where = absl::StrCat(inv_name_, ":", s.line, " column ", c + 2);
      if (type == "event") {
        Record e;
        e.section = "event";
        e.location = where;
        for (const isatab::Row& r : s.rows) {
          const std::string& cell = r.Cell(c);
          if (cell.empty()) continue;
          std::string norm = NormalizeHeader(r.label);
          if (norm == "studyprotocoltype" || absl::EndsWithIgnoreCase(r.label, "Term Source REF")) continue;
          if (const IsaField* m = map_.Find("event", r.label)) {
            SetField(&e, m->codename, cell, where);
          } else {
            AddExtension(&e, ExtensionKey(r.label), cell);
          }
        }
        e.values["studyId"] = st->id;
        Out("event", std::move(e));
        continue;
      }
      Protocol& p = st->protocols[Lower(name)];
      p.type = type;
      if (params != nullptr) {
        for (const std::string& param : SplitList(params->Cell(c))) p.params.insert(Lower(param));
      }
      for (const char* field : {"Description", "URI", "Version"}) {
        const isatab::Row* r = s.Find(absl::StrCat("Study Protocol ", field));
        if (r == nullptr || r->Cell(c).empty()) continue;
        if (std::string(field) == "Description" && (Lower(name) == "growth" || type == "growth") &&
            study->Get("culturalPractice").empty()) {
          study->values["culturalPractice"] = r->Cell(c);  // MIAPPE mapping: the Growth protocol's description
          continue;
        }
        AddExtension(study, absl::StrCat("Protocol ", name, " ", absl::AsciiStrToLower(field)), r->Cell(c));
      }
    }
  }

  const Protocol* CheckProtocol(const std::string& name, const StudyState& st, const std::string& file, int line) {
    auto it = st.protocols.find(Lower(name));
    if (it != st.protocols.end()) return &it->second;
    if (Once(absl::StrCat("protocol|", file, "|", Lower(name)))) {
      Add("XRF-ISA-PROTOCOL", Severity::kError, "", absl::StrCat(file, ":", line),
          absl::StrCat("Protocol REF \"", name, "\" is not declared in the study's STUDY PROTOCOLS"),
          "declare it (Study Protocol Name, Type, Parameters Name) in the investigation file", name, name);
    }
    return nullptr;
  }

  void CheckParam(const Protocol* p, const std::string& protocol, const std::string& param, const std::string& file,
                  int line) {
    if (p == nullptr || p->params.contains(Lower(param))) return;
    if (Once(absl::StrCat("param|", file, "|", Lower(protocol), "|", Lower(param)))) {
      Add("XRF-ISA-PARAM", Severity::kError, "", absl::StrCat(file, ":", line),
          absl::StrCat("Parameter Value[", param, "] is not a parameter of protocol \"", protocol, "\""),
          "list it in that protocol's Study Protocol Parameters Name", param, param);
    }
  }

  isatab::Value ValueAt(const std::vector<Column>& cols, const std::vector<std::string>& row, size_t c) {
    return isatab::ValueAt(cols, row, c);
  }

  // Finds the first node column of `type`, or -1.
  static int NodeColumn(const std::vector<Column>& cols, const std::string& type) {
    for (size_t c = 0; c < cols.size(); ++c) {
      if (cols[c].kind == Column::kNode && cols[c].type == type) return static_cast<int>(c);
    }
    return -1;
  }

  void ReadStudyTable(const InputFile& file, Record* study, StudyState* st) {
    std::string name = BaseName(file.name);
    Table t = ParseTsv(name, file.data, findings_);
    std::vector<Column> cols = isatab::AnalyseColumns(t, findings_);
    int source = NodeColumn(cols, "Source Name"), sample = NodeColumn(cols, "Sample Name");
    if (source != 0) {
      Add("SYN-05", Severity::kError, "", absl::StrCat(name, ":1"), "a study file starts with a Source Name column",
          "list biological materials as Source Name, observation units as Sample Name");
    }
    if (sample < 0) {
      Add("SYN-05", Severity::kError, "observation_unit", absl::StrCat(name, ":1"),
          "the study file has no Sample Name column: no observation units",
          "add a Sample Name column holding each observation unit's id");
    }
    struct Env {
      std::string value, source, accession, where;
      bool reported = false;
    };
    std::map<std::string, Env> env;  // in column order via env_order
    std::vector<std::string> env_order;
    absl::flat_hash_map<std::string, std::vector<size_t>> bms;  // id -> indexes in out_
    // The material's columns: from Source Name to the next node or protocol.
    size_t source_end = cols.size();
    for (size_t c = source >= 0 ? source + 1 : cols.size(); c < cols.size(); ++c) {
      if (cols[c].kind == Column::kNode || cols[c].kind == Column::kProtocolRef) {
        source_end = c;
        break;
      }
    }
    absl::flat_hash_set<std::string> seen_sources;  // those cells, joined: rows of a material already read
    for (size_t r = 1; r < t.rows.size(); ++r) {
      const std::vector<std::string>& row = t.rows[r];
      std::string where = absl::StrCat(name, ":", t.lines[r]);
      std::string bm_id = source >= 0 ? row[source] : "";
      std::string source_cells;
      if (!bm_id.empty()) {
        for (size_t c = source; c < source_end; ++c) absl::StrAppend(&source_cells, row[c], "\x1f");
      }
      if (!bm_id.empty() && seen_sources.insert(source_cells).second) {
        Record bm;
        bm.section = "biological_material";
        bm.location = where;
        bm.values["biologicalMaterialId"] = bm_id;
        for (size_t c = 0; c < cols.size(); ++c) {
          if (cols[c].kind == Column::kAttribute && cols[c].node == source && cols[c].type != "Parameter Value") {
            Place(&bm, "source", cols[c].name.empty() ? cols[c].header : cols[c].name, ValueAt(cols, row, c), where);
          }
        }
        bm.values["studyId"] = st->id;
        std::vector<size_t>& same = bms[bm_id];
        bool known = false;
        for (size_t i : same) known = known || MergeKey(out_["biological_material"][i]) == MergeKey(bm);
        if (!known) {
          same.push_back(out_["biological_material"].size());
          Out("biological_material", std::move(bm));
        }
      }
      // Protocol parameters: the environment (constant over the study).
      for (size_t c = 0; c < cols.size(); ++c) {
        if (cols[c].kind == Column::kProtocolRef && !row[c].empty()) CheckProtocol(row[c], *st, name, t.lines[r]);
        if (cols[c].kind != Column::kAttribute || cols[c].type != "Parameter Value" || cols[c].node < 0) continue;
        const std::string& protocol = row[cols[c].node];
        if (protocol.empty() && row[c].empty()) continue;  // this row does not run the protocol
        CheckParam(CheckProtocol(protocol, *st, name, t.lines[r]), protocol, cols[c].name, name, t.lines[r]);
        isatab::Value v = ValueAt(cols, row, c);
        if (!v.source.empty()) CheckTermSource(v.source, where);
        if (!v.unit_source.empty()) CheckTermSource(v.unit_source, where);
        if (v.source.empty() && v.accession.empty()) {  // a term on the unit stands for the value's
          v.source = v.unit_source;
          v.accession = v.unit_accession;
        }
        std::string text = v.text;
        if (!v.unit.empty() && !text.empty()) absl::StrAppend(&text, " ", v.unit);
        if (const IsaField* legacy = map_.Find("legacy_param", cols[c].name)) {
          if (!text.empty() && study->Get(legacy->codename).empty()) {
            study->values[legacy->codename] = text;
            Add("SYN-03", Severity::kInfo, "study", where,
                absl::StrCat("MIAPPE 1.0 configuration: Parameter Value[", cols[c].name, "] read as ",
                             legacy->codename),
                absl::StrCat("use the MIAPPE 1.1 field (", legacy->label, " -> ", legacy->codename, ")"), st->id, text);
          }
          continue;
        }
        auto [it, fresh] = env.emplace(cols[c].name, Env{text, v.source, v.accession, where});
        if (fresh) {
          env_order.push_back(cols[c].name);
        } else if (it->second.value.empty()) {
          it->second = Env{text, v.source, v.accession, where};
        } else if (!text.empty() && text != it->second.value && !it->second.reported) {
          it->second.reported = true;
          Add("SEM-ENV-CONSTANT", Severity::kError, "environment", where,
              absl::StrCat("environment parameter \"", cols[c].name, "\" is \"", it->second.value, "\" at ",
                           it->second.where, " and \"", text, "\" here"),
              "an environment parameter is constant over the study; if it varies, make it a factor or an observed "
              "variable",
              cols[c].name, text);
        }
      }
      if (sample >= 0 && !row[sample].empty()) ReadObservationUnit(cols, row, source, sample, where, st);
    }
    for (const std::string& p : env_order) {
      const Env& e = env[p];
      Record rec;
      rec.section = "environment";
      rec.location = e.where;
      rec.values["envParam"] = p;
      rec.values["envParamValue"] = e.value;
      rec.values["studyId"] = st->id;
      AddExtension(&rec, "Term Source REF", e.source);
      AddExtension(&rec, "Term Accession Number", e.accession);
      Out("environment", std::move(rec));
    }
  }

  void ReadObservationUnit(const std::vector<Column>& cols, const std::vector<std::string>& row, int source,
                           int sample, const std::string& where, StudyState* st) {
    Record ou;
    ou.section = "observation_unit";
    ou.location = where;
    ou.values["obsUnitId"] = row[sample];
    std::vector<std::pair<std::string, std::string>> factor_values;
    for (size_t c = 0; c < cols.size(); ++c) {
      const Column& col = cols[c];
      if (col.kind != Column::kAttribute || col.type == "Parameter Value") continue;
      if (col.node == sample || (col.node > sample && cols[col.node].kind == Column::kNode)) {
        isatab::Value v = ValueAt(cols, row, c);
        if (col.type == "Factor Value") {
          bool declared = false;
          for (const std::string& f : st->factors) declared = declared || Lower(f) == Lower(col.name);
          if (!declared && Once(absl::StrCat("factor|", where.substr(0, where.find(':')), "|", Lower(col.name)))) {
            Add("XRF-ISA-FACTOR", Severity::kError, "observation_unit", where,
                absl::StrCat("Factor Value[", col.name, "] is not declared in the study's STUDY FACTORS"),
                "declare the factor (Study Factor Name) in the investigation file", col.name, col.name);
          }
          if (!v.source.empty()) CheckTermSource(v.source, where);
          std::string text = v.text;
          if (!v.unit.empty() && !text.empty()) absl::StrAppend(&text, " ", v.unit);
          if (!text.empty()) factor_values.emplace_back(col.name, text);
          continue;
        }
        std::string label = col.name.empty() ? col.header : col.name;
        if (col.node != sample) label = absl::StrCat(cols[col.node].type, " ", label);
        Place(&ou, "sample", label, v, where);
      }
    }
    if (factor_values.size() == 1 && st->factors.size() <= 1) {
      ou.values["obsUnitFactorValue"] = factor_values[0].second;
    } else if (!factor_values.empty()) {
      std::vector<std::string> parts;
      for (const auto& [f, v] : factor_values) parts.push_back(absl::StrCat(f, ":", v));
      ou.values["obsUnitFactorValue"] = absl::StrJoin(parts, "; ");
    }
    ou.values["studyId"] = st->id;
    std::string bm = source >= 0 ? row[source] : "";
    if (!bm.empty()) ou.values["biologicalMaterialId"] = bm;
    // A unit derived from several materials spans rows: one unit, its materials listed.
    auto it = st->ous.find(row[sample]);
    if (it != st->ous.end()) {
      Record& prev = out_["observation_unit"][it->second];
      Record a = prev, b = ou;
      a.values.erase("biologicalMaterialId");
      b.values.erase("biologicalMaterialId");
      if (MergeKey(a) == MergeKey(b)) {
        std::vector<std::string> ids = SplitList(prev.Get("biologicalMaterialId"));
        if (!bm.empty() && std::find(ids.begin(), ids.end(), bm) == ids.end()) {
          ids.push_back(bm);
          prev.values["biologicalMaterialId"] = absl::StrJoin(ids, "; ");
        }
        return;
      }
    }
    st->ous[row[sample]] = out_["observation_unit"].size();
    Out("observation_unit", std::move(ou));
  }

  void ReadAssayTable(const InputFile& file, const std::string& level, StudyState* st, std::vector<std::string>* tdfs) {
    std::string name = BaseName(file.name);
    Table t = ParseTsv(name, file.data, findings_);
    std::vector<Column> cols = isatab::AnalyseColumns(t, findings_);
    int sample = NodeColumn(cols, "Sample Name"), extract = NodeColumn(cols, "Extract Name");
    int assay = NodeColumn(cols, "Assay Name");
    if (sample != 0) {
      Add("SYN-05", Severity::kError, "", absl::StrCat(name, ":1"), "an assay file starts with a Sample Name column",
          "start it with the Sample Name (observation unit id) of the study file");
    }
    for (size_t r = 1; r < t.rows.size(); ++r) {
      const std::vector<std::string>& row = t.rows[r];
      std::string where = absl::StrCat(name, ":", t.lines[r]);
      std::string ou_id = sample >= 0 ? row[sample] : "";
      Record* ou = nullptr;
      if (!ou_id.empty()) {
        auto it = st->ous.find(ou_id);
        if (it != st->ous.end()) {
          ou = &out_["observation_unit"][it->second];
        } else if (Once(absl::StrCat("sample|", name, "|", ou_id))) {
          Add("XRF-ISA-SAMPLE", Severity::kError, "observation_unit", where,
              absl::StrCat("Sample Name \"", ou_id, "\" is not defined in the study file"),
              "every assay row starts from a Sample Name (observation unit) of the study file", ou_id, ou_id);
        }
      }
      if (ou != nullptr && !level.empty() && !ou->Get("obsUnitType").empty() && Lower(ou->Get("obsUnitType")) != level &&
          Once(absl::StrCat("level|", name, "|", ou_id))) {
        Add("XRF-LEVEL", Severity::kWarning, "observation_unit", where,
            absl::StrCat("observation unit of type \"", ou->Get("obsUnitType"), "\" in a \"", level,
                         " level analysis\" assay"),
            "put units of each level in the assay file of that level", ou_id, ou->Get("obsUnitType"));
      }
      Record smp;
      smp.section = "sample";
      smp.location = where;
      bool has_sample = extract >= 0 && !row[extract].empty();
      for (size_t c = 0; c < cols.size(); ++c) {
        const Column& col = cols[c];
        if (col.kind == Column::kProtocolRef && !row[c].empty()) CheckProtocol(row[c], *st, name, t.lines[r]);
        if (col.kind == Column::kNode && !row[c].empty() && absl::EndsWith(col.type, " File") && !IsNoFile(row[c])) {
          pending_data_files_.emplace(row[c], where);
        }
        if (col.kind != Column::kAttribute) continue;
        isatab::Value v = ValueAt(cols, row, c);
        if (col.type == "Parameter Value" && col.node >= 0) {
          const std::string& protocol = row[col.node];
          if (protocol.empty() && row[c].empty()) continue;  // this row does not run the protocol
          CheckParam(CheckProtocol(protocol, *st, name, t.lines[r]), protocol, col.name, name, t.lines[r]);
          if (NormalizeHeader(col.name) == "traitdefinitionfile") {
            if (!IsNoFile(v.text)) AddUnique(tdfs, v.text);
          } else if (has_sample && map_.Find("sampling", col.name) != nullptr) {
            Place(&smp, "sampling", col.name, v, where);
          } else if (ou != nullptr) {
            Place(ou, "", absl::StrCat(protocol, ": ", col.name), v, where);
          }
          continue;
        }
        if (has_sample && col.node == extract) {
          Place(&smp, "extract", col.name.empty() ? col.header : col.name, v, where);
        } else if (ou != nullptr && col.node >= 0) {
          Place(ou, "", absl::StrCat(cols[col.node].type, " ", col.name.empty() ? col.header : col.name), v, where);
        }
      }
      if (assay >= 0 && !row[assay].empty()) {
        st->assays.insert(row[assay]);
        if (ou != nullptr) AddExtension(ou, "Assay Name", row[assay]);
      }
      if (has_sample) {
        smp.values["sampleId"] = row[extract];
        smp.values["obsUnitId"] = ou_id;
        if (st->samples.insert(row[extract]).second) Out("sample", std::move(smp));
      }
    }
  }

  void ReadTdf(const InputFile& file, StudyState* st) {
    std::string name = BaseName(file.name);
    Table t = ParseTsv(name, file.data, findings_);
    std::vector<Column> cols = isatab::AnalyseColumns(t, findings_, /*with_nodes=*/false);
    for (size_t r = 1; r < t.rows.size(); ++r) {
      std::string where = absl::StrCat(name, ":", t.lines[r]);
      Record v;
      v.section = "observed_variable";
      v.location = where;
      for (size_t c = 0; c < cols.size(); ++c) {
        if (cols[c].kind != Column::kAttribute || cols[c].header.empty()) continue;
        Place(&v, "tdf", cols[c].header, isatab::ValueAt(cols, t.rows[r], c), where);
      }
      v.values["studyId"] = st->id;
      st->variables.insert(std::string(absl::StripAsciiWhitespace(v.Get("variableId"))));
      Out("observed_variable", std::move(v));
    }
  }

  void CheckDataFile(const InputFile& file, const StudyState& st) {
    DataFileScope scope;
    scope.study = st.id;
    scope.variables.insert(st.variables.begin(), st.variables.end());
    scope.keys.insert(st.assays.begin(), st.assays.end());
    scope.keys.insert(st.samples.begin(), st.samples.end());
    for (const auto& [id, i] : st.ous) scope.keys.insert(id);
    CheckDataTable(ParseDataFile(BaseName(file.name), file.data, findings_), scope, findings_);
  }

  void DeriveFactorValues(const StudyState& st) {
    std::vector<size_t> ous;  // the study's units, in reading order
    for (const auto& [id, i] : st.ous) ous.push_back(i);
    std::sort(ous.begin(), ous.end());
    for (Record& f : out_["factor"]) {
      if (f.Get("studyId") != st.id || !f.Get("expeFactorValues").empty()) continue;
      std::string type = Lower(f.Get("expeFactorType"));
      std::vector<std::string> values;
      for (size_t i : ous) {
        const Record& ou = out_["observation_unit"][i];
        for (const std::string& part : SplitList(ou.Get("obsUnitFactorValue"))) {
          std::string v = part;
          size_t colon = part.find(':');
          if (st.factors.size() > 1) {
            if (colon == std::string::npos || Lower(part.substr(0, colon)) != type) continue;
            v = part.substr(colon + 1);
          }
          if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
        }
      }
      if (values.empty()) continue;
      f.values["expeFactorValues"] = absl::StrJoin(values, ";");
      Add("SYN-03", Severity::kInfo, "factor", f.location,
          "no Comment[Study Factor Values]: the values were taken from the study file's Factor Value column",
          "declare the factor's values with Comment[Study Factor Values]", f.Get("expeFactorType"),
          f.values["expeFactorValues"]);
    }
  }

  // ---- output ---------------------------------------------------------------

  void Out(const std::string& section, Record r) { out_[section].push_back(std::move(r)); }

  void ReportUnreferenced() {
    for (size_t i = 0; i < files_in_.size(); ++i) {
      std::string base = BaseName(files_in_[i].name);
      if (used_.contains(base)) continue;
      Add("SYN-01", Severity::kWarning, "", base,
          IsIsaInvestigationFile(files_in_[i]) ? "a second investigation file; only the first one is read"
                                               : "the investigation file does not name this file; it was not read",
          "submit one investigation with the files it names");
    }
  }

  // Records equal but for their study are one record linked to all of them
  // (MIAPPE's studyId lists); the rest keep the order they were read in.
  void Emit() {
    for (const SectionRule& section : schema_.sections()) {
      sub_->sheets.insert(section.section);
      std::vector<Record>& recs = out_[section.section];
      absl::flat_hash_map<std::string, size_t> seen;
      std::vector<Record> merged;
      for (Record& r : recs) {
        bool linked = !r.Get("studyId").empty();
        if (linked && section.section != "study" && section.section != "investigation") {
          std::string key = MergeKey(r);
          auto it = seen.find(key);
          if (it != seen.end()) {
            Record& first = merged[it->second];
            std::vector<std::string> ids = SplitList(first.Get("studyId"));
            if (std::find(ids.begin(), ids.end(), r.Get("studyId")) == ids.end()) ids.push_back(r.Get("studyId"));
            first.values["studyId"] = absl::StrJoin(ids, "; ");
            continue;
          }
          seen.emplace(key, merged.size());
        }
        merged.push_back(std::move(r));
      }
      for (Record& r : merged) sub_->records.push_back(std::move(r));
    }
  }

  const std::vector<InputFile>& files_in_;
  const size_t investigation_;
  const Schema& schema_;
  const IsaMap& map_ = IsaMap::Default();
  Submission* sub_;
  std::vector<Finding>* findings_;
  std::string inv_name_;
  absl::flat_hash_map<std::string, const InputFile*> by_name_;
  std::set<std::string> used_;
  std::set<std::string> term_sources_;
  std::vector<std::pair<std::string, std::string>> ontology_rows_;  // ONTOLOGY SOURCE REFERENCE, cells " | "-joined
  std::set<std::string> reported_;
  std::map<std::string, std::string> pending_data_files_;  // data file name -> where first named
  std::map<std::string, std::vector<Record>> out_;         // section -> records, in reading order
  absl::flat_hash_map<std::string, const FieldRule*> field_cache_;  // FieldFor by place, section, label
};

}  // namespace

bool IsIsaInvestigationFile(const InputFile& file) {
  if (isatab::LooksLikeInvestigationFile(file.data)) return true;
  // Named like one and holding its main section, after some junk.
  std::string base = BaseName(file.name);
  return (absl::StartsWithIgnoreCase(base, "i_") && absl::EndsWithIgnoreCase(base, ".txt")) &&
         (absl::StrContains(file.data, "\nINVESTIGATION\t") || absl::StrContains(file.data, "\nINVESTIGATION\n") ||
          absl::StrContains(file.data, "\nINVESTIGATION\r"));
}

void ReadIsaTab(const std::vector<InputFile>& files, size_t investigation, const Schema& schema, Submission* sub,
                std::vector<Finding>* findings) {
  Reader(files, investigation, schema, sub, findings).Run();
}

}  // namespace fairtrace::miappe
