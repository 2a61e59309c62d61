#include "validators/miappe/isatab_reader.h"

#include "common/text/utf8.h"
#include "validators/miappe/isatab_reader_internal.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {
namespace isatab_internal {

void Reader::Run() {
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

void Reader::Add(const std::string& code, Severity sev, const std::string& section, const std::string& where,
                 std::string message, std::string hint, const std::string& entity, const std::string& value) {
  Finding f = ReaderFinding(code, sev, section, where, std::move(message), std::move(hint));
  if (!entity.empty()) f.entity_id = entity;
  f.value = text::ClipText(value, 200);
  findings_->push_back(std::move(f));
}

void Reader::ReadTermSources(const isatab::InvestigationFile& inv) {
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

void Reader::CheckTermSource(const std::string& cell, const std::string& where) {
  for (const std::string& ref : SplitList(cell)) {
    if (term_sources_.contains(Lower(ref))) continue;
    if (!Once(absl::StrCat("termsource|", BaseName(where.substr(0, where.find(':'))), "|", Lower(ref)))) continue;
    Add("XRF-ISA-TERMSOURCE", Severity::kError, "", where,
        absl::StrCat("Term Source REF \"", ref, "\" is not declared in ONTOLOGY SOURCE REFERENCE"),
        "add the ontology (Term Source Name, File, Version) to the investigation file", ref, ref);
  }
}

void Reader::CheckInvestigationTermSources(const isatab::InvestigationFile& inv) {
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

void Reader::SetField(Record* rec, const std::string& codename, const std::string& value, const std::string& where) {
  auto [it, inserted] = rec->values.emplace(codename, value);
  if (inserted) return;
  if (it->second.empty()) {
    it->second = value;
  } else if (!value.empty() && value != it->second) {
    Add("SYN-03", Severity::kError, rec->section, where,
        absl::StrCat(codename, " is given twice (\"", it->second, "\" and \"", value, "\")"), "give each field once",
        RecordId(*rec), value);
  }
}

void Reader::AddExtension(Record* rec, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  for (const auto& [k, v] : rec->extensions) {
    if (k == key) return;  // first one wins (a node repeated over rows)
  }
  rec->extensions.emplace_back(key, value);
}

const FieldRule* Reader::FieldFor(const std::string& place, const std::string& section, const std::string& label) {
  std::string key = absl::StrCat(place, "\x1f", section, "\x1f", label);
  auto it = field_cache_.find(key);
  if (it != field_cache_.end()) return it->second;
  const FieldRule* f = LookUpField(place, section, label);
  field_cache_.emplace(std::move(key), f);
  return f;
}

const FieldRule* Reader::LookUpField(const std::string& place, const std::string& section,
                                     const std::string& label) const {
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

void Reader::Place(Record* rec, const std::string& place, const std::string& name, const isatab::Value& v,
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

void Reader::ReadInvestigation(const isatab::InvestigationFile& inv) {
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

void Reader::ReadSingleRows(const Section& s, const std::string& place, Record* rec) {
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

void Reader::ReadContacts(const Section& s, const std::string& prefix, const std::string& study_id) {
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

void Reader::ReadStudy(const StudyBlock& block, size_t index) {
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

void Reader::AddUnique(std::vector<std::string>* v, const std::string& s) {
  std::string t(absl::StripAsciiWhitespace(s));
  for (const std::string& x : *v) {
    if (x == t) return;
  }
  v->push_back(t);
}

const InputFile* Reader::Need(const std::string& name, const std::string& what, const std::string& where,
                              Severity sev) {
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

void Reader::ReadDataFileComments(const Section& s, StudyState* st) {
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

void Reader::ReadFactors(const Section& s, StudyState* st) {
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

void Reader::ReadProtocols(const Section& s, Record* study, StudyState* st) {
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

const Reader::Protocol* Reader::CheckProtocol(const std::string& name, const StudyState& st, const std::string& file,
                                              int line) {
  auto it = st.protocols.find(Lower(name));
  if (it != st.protocols.end()) return &it->second;
  if (Once(absl::StrCat("protocol|", file, "|", Lower(name)))) {
    Add("XRF-ISA-PROTOCOL", Severity::kError, "", absl::StrCat(file, ":", line),
        absl::StrCat("Protocol REF \"", name, "\" is not declared in the study's STUDY PROTOCOLS"),
        "declare it (Study Protocol Name, Type, Parameters Name) in the investigation file", name, name);
  }
  return nullptr;
}

void Reader::CheckParam(const Protocol* p, const std::string& protocol, const std::string& param,
                        const std::string& file, int line) {
  if (p == nullptr || p->params.contains(Lower(param))) return;
  if (Once(absl::StrCat("param|", file, "|", Lower(protocol), "|", Lower(param)))) {
    Add("XRF-ISA-PARAM", Severity::kError, "", absl::StrCat(file, ":", line),
        absl::StrCat("Parameter Value[", param, "] is not a parameter of protocol \"", protocol, "\""),
        "list it in that protocol's Study Protocol Parameters Name", param, param);
  }
}

void Reader::ReportUnreferenced() {
  for (size_t i = 0; i < files_in_.size(); ++i) {
    std::string base = BaseName(files_in_[i].name);
    if (used_.contains(base)) continue;
    Add("SYN-01", Severity::kWarning, "", base,
        IsIsaInvestigationFile(files_in_[i]) ? "a second investigation file; only the first one is read"
                                             : "the investigation file does not name this file; it was not read",
        "submit one investigation with the files it names");
  }
}

void Reader::Emit() {
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

}  // namespace isatab_internal

using isatab_internal::BaseName;
using isatab_internal::Reader;

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
