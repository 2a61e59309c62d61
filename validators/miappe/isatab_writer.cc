#include "validators/miappe/isatab_writer.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "validators/miappe/isatab_map.h"
#include "validators/miappe/isatab_parse.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {
namespace {

using isatab::SplitList;

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s)); }

class Text {
 public:
  void Row(const std::vector<std::string>& cells) { text_ += FormatTsvRow(cells); }
  void Row(const std::string& label, const std::vector<std::string>& values) {
    std::vector<std::string> cells = {label};
    cells.insert(cells.end(), values.begin(), values.end());
    Row(cells);
  }
  void Keyword(const std::string& k) { Row(std::vector<std::string>{k}); }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

// Extension keys of `recs`, in first-seen order.
std::vector<std::string> ExtensionKeys(const std::vector<const Record*>& recs) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Record* r : recs) {
    for (const auto& [k, v] : r->extensions) {
      if (!v.empty() && seen.insert(k).second) keys.push_back(k);
    }
  }
  return keys;
}

std::string Ext(const Record& r, const std::string& key) {
  for (const auto& [k, v] : r.extensions) {
    if (k == key) return v;
  }
  return "";
}

// A table built column by column: header cells, then one function per
// column giving the cell of a row.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string Render() const {
    Text t;
    t.Row(header);
    for (const auto& r : rows) t.Row(r);
    return t.Take();
  }
};

class Writer {
 public:
  explicit Writer(const std::vector<Record>& records) {
    for (const Record& r : records) {
      by_section_[r.section].push_back(&r);
      for (const std::string& s : SplitList(r.Get("studyId"))) {
        std::vector<const Record*>& v = by_study_[{r.section, s}];
        if (v.empty() || v.back() != &r) v.push_back(&r);
      }
      if (r.section == "sample") samples_by_ou_[r.Get("obsUnitId")].push_back(&r);
    }
  }

  IsaTabExport Run() {
    IsaTabExport out;
    out.files.push_back({"i_investigation.txt", ""});
    Text inv;
    WriteInvestigation(&inv);
    const auto& studies = Of("study");
    for (size_t i = 0; i < studies.size(); ++i) WriteStudy(*studies[i], i + 1, &inv, &out);
    out.files[0].data = inv.Take();
    for (const Record* s : Of("sample")) {
      if (!written_samples_.contains(s)) {
        notes_.push_back(absl::StrCat("sample \"", s->Get("sampleId"), "\": its observation unit is in no study"));
      }
    }
    out.notes = std::move(notes_);
    return out;
  }

 private:
  const std::vector<const Record*>& Of(const std::string& section) { return by_section_[section]; }

  std::vector<const Record*> LinkedTo(const std::string& section, const std::string& study) {
    auto it = by_study_.find({section, study});
    return it == by_study_.end() ? std::vector<const Record*>{} : it->second;
  }

  static constexpr std::initializer_list<const char*> kSourceRows = {"Term Source Name", "Term Source File",
                                                                     "Term Source Version", "Term Source Description"};

  // Comment rows for the extensions of one-column records (but `skip`).
  void CommentRows(Text* t, const Record& r, std::initializer_list<const char*> skip = {}) {
    for (const auto& [k, v] : r.extensions) {
      bool skipped = false;
      for (const char* s : skip) skipped = skipped || k == s;
      if (!v.empty() && !skipped) t->Row(absl::StrCat("Comment[", k, "]"), {v});
    }
  }

  // Field rows of `place` for one record.
  void FieldRows(Text* t, const Record& r, const std::string& place) {
    for (const IsaField* f : map_.Written(place)) {
      if (f->section == r.section) t->Row(f->label, {r.Get(f->codename)});
    }
  }

  void WriteInvestigation(Text* t) {
    static const Record kEmpty;
    const Record& inv = Of("investigation").empty() ? kEmpty : *Of("investigation")[0];
    // The ontology sources read with the investigation (kept as its
    // extensions), plus those the environment's terms cite.
    t->Keyword("ONTOLOGY SOURCE REFERENCE");
    std::map<std::string, std::vector<std::string>> sources;
    for (const char* row : kSourceRows) {
      std::string cells = Ext(inv, row);
      if (!cells.empty()) sources[row] = absl::StrSplit(cells, " | ");
    }
    std::vector<std::string>& names = sources["Term Source Name"];
    for (const Record* e : Of("environment")) {
      std::string src = Ext(*e, "Term Source REF");
      if (!src.empty() && std::find(names.begin(), names.end(), src) == names.end()) names.push_back(src);
    }
    for (const char* row : kSourceRows) {
      std::vector<std::string>& cells = sources[row];
      if (cells.size() < names.size()) cells.resize(names.size());
      t->Row(row, cells);
    }
    t->Keyword("INVESTIGATION");
    FieldRows(t, inv, "investigation");
    Unplaced(t, inv, {"investigation", "publication"});
    CommentRows(t, inv, kSourceRows);
    t->Keyword("INVESTIGATION PUBLICATIONS");
    t->Row("Investigation PubMed ID", {});
    t->Row("Investigation Publication DOI", SplitList(inv.Get("associatedPublication")));
    for (const char* row :
         {"Author List", "Title", "Status", "Status Term Accession Number", "Status Term Source REF"}) {
      t->Row(absl::StrCat("Investigation Publication ", row), {});
    }
    t->Keyword("INVESTIGATION CONTACTS");
    std::vector<const Record*> persons;
    for (const Record* p : Of("person")) {
      if (SplitList(p->Get("studyId")).empty()) persons.push_back(p);
    }
    Contacts(t, "Investigation ", persons);
  }

  // Values the map does not place: written as Comment[codename], which
  // the reader maps back by codename.
  void Unplaced(Text* t, const Record& r, std::initializer_list<const char*> places) {
    for (const auto& [k, v] : r.values) {
      if (v.empty() || k == "studyId") continue;
      bool placed = false;
      for (const char* p : places) placed = placed || map_.WrittenFor(p, k) != nullptr;
      if (!placed) t->Row(absl::StrCat("Comment[", k, "]"), {v});
    }
  }

  void Contacts(Text* t, const std::string& prefix, const std::vector<const Record*>& persons) {
    std::vector<std::string> first, last;
    for (const Record* p : persons) {
      std::string name = p->Get("personName");
      size_t space = name.rfind(' ');
      std::string f = space == std::string::npos ? "" : name.substr(0, space);
      std::string l = space == std::string::npos ? name : name.substr(space + 1);
      if (f.empty() || l.empty() || absl::StrCat(f, " ", l) != name || absl::StrContains(f, "  ") ||
          f != absl::StripAsciiWhitespace(f)) {
        f.clear();
        l = name;  // not splittable without changing it: the whole name as the last name
      }
      first.push_back(f);
      last.push_back(l);
    }
    auto column = [&](auto get) {
      std::vector<std::string> v;
      for (const Record* p : persons) v.push_back(get(*p));
      return v;
    };
    t->Row(prefix + "Person Last Name", last);
    t->Row(prefix + "Person First Name", first);
    t->Row(prefix + "Person Mid Initials", std::vector<std::string>(persons.size()));
    static const std::set<std::string> kNative = {"Person Phone", "Person Fax", "Person Address",
                                                  "Person Roles Term Accession Number", "Person Roles Term Source REF"};
    for (const char* row :
         {"Person Email", "Person Phone", "Person Fax", "Person Address", "Person Affiliation", "Person Roles",
          "Person Roles Term Accession Number", "Person Roles Term Source REF", "Comment[Person ID]"}) {
      const IsaField* f = map_.Find("contact", row);
      std::string label = absl::StartsWith(row, "Comment[") ? std::string(row) : prefix + row;
      t->Row(label, column([&](const Record& p) { return f != nullptr ? p.Get(f->codename) : Ext(p, row); }));
    }
    for (const std::string& k : ExtensionKeys(persons)) {
      if (kNative.contains(k)) continue;
      t->Row(absl::StrCat("Comment[", k, "]"), column([&](const Record& p) { return Ext(p, k); }));
    }
  }

  void WriteStudy(const Record& study, size_t n, Text* t, IsaTabExport* out) {
    const std::string id = study.Get("studyId");
    const std::string s_file = absl::StrCat("s_study", n, ".txt");
    const std::string a_file = absl::StrCat("a_study", n, ".txt");
    const std::string tdf_file = absl::StrCat("tdf_study", n, ".txt");
    t->Keyword("STUDY");
    FieldRows(t, study, "study");
    t->Row("Study File Name", {s_file});
    Unplaced(t, study, {"study", "design"});
    // Data files: one column each.
    std::vector<const Record*> files = LinkedTo("data_file", id);
    for (const IsaField* f : map_.Written("datafile")) {
      std::vector<std::string> v;
      for (const Record* d : files) v.push_back(d->Get(f->codename));
      t->Row(f->label, v);
    }
    for (const std::string& k : ExtensionKeys(files)) {
      std::vector<std::string> v;
      for (const Record* d : files) v.push_back(Ext(*d, k));
      t->Row(absl::StrCat("Comment[Study Data File ", k, "]"), v);
    }
    CommentRows(t, study);
    t->Keyword("STUDY DESIGN DESCRIPTORS");
    FieldRows(t, study, "design");
    t->Row("Study Design Type Term Accession Number", {});
    t->Row("Study Design Type Term Source REF", {});
    t->Keyword("STUDY PUBLICATIONS");
    for (const char* row :
         {"PubMed ID", "Publication DOI", "Publication Author List", "Publication Title", "Publication Status",
          "Publication Status Term Accession Number", "Publication Status Term Source REF"}) {
      t->Row(absl::StrCat("Study ", row), {});
    }
    std::vector<const Record*> factors = LinkedTo("factor", id);
    t->Keyword("STUDY FACTORS");
    Columns(t, factors, "factor",
            {"Study Factor Type", "Study Factor Type Term Accession Number", "Study Factor Type Term Source REF"});
    std::vector<const Record*> ous = LinkedTo("observation_unit", id);
    std::vector<const Record*> samples;
    std::set<const Record*> taken;
    for (const Record* o : ous) {
      auto it = samples_by_ou_.find(o->Get("obsUnitId"));
      if (it == samples_by_ou_.end()) continue;
      for (const Record* s : it->second) {
        if (!written_samples_.contains(s) && taken.insert(s).second) samples.push_back(s);
      }
    }
    std::set<std::string> types;
    for (const Record* o : ous) types.insert(Lower(o->Get("obsUnitType")));
    t->Keyword("STUDY ASSAYS");
    t->Row("Study Assay File Name", {a_file});
    t->Row("Study Assay Measurement Type", {"phenotyping"});
    t->Row("Study Assay Measurement Type Term Accession Number", {});
    t->Row("Study Assay Measurement Type Term Source REF", {});
    t->Row("Study Assay Technology Type",
           {types.size() == 1 && !types.begin()->empty() ? absl::StrCat(*types.begin(), " level analysis") : ""});
    t->Row("Study Assay Technology Type Term Accession Number", {});
    t->Row("Study Assay Technology Type Term Source REF", {});
    t->Row("Study Assay Technology Platform", {});
    t->Row("Comment[Trait Definition File]", {tdf_file});
    std::vector<const Record*> env = LinkedTo("environment", id);
    WriteProtocols(t, id, env, !samples.empty());
    t->Keyword("STUDY CONTACTS");
    Contacts(t, "Study ", LinkedTo("person", id));

    out->files.push_back({s_file, StudyTable(id, ous, env, factors).Render()});
    out->files.push_back({a_file, AssayTable(ous, samples, tdf_file).Render()});
    out->files.push_back({tdf_file, Tdf(LinkedTo("observed_variable", id)).Render()});
  }

  // Multi-column section rows: the mapped fields of `place`, then the
  // extensions (native ISA labels as themselves, others as Comment[...]).
  void Columns(Text* t, const std::vector<const Record*>& recs, const std::string& place,
               const std::vector<std::string>& native) {
    for (const IsaField* f : map_.Written(place)) {
      std::vector<std::string> v;
      for (const Record* r : recs) v.push_back(r->Get(f->codename));
      t->Row(f->label, v);
    }
    for (const std::string& row : native) {
      std::vector<std::string> v;
      for (const Record* r : recs) v.push_back(Ext(*r, row));
      t->Row(row, v);
    }
    for (const std::string& k : ExtensionKeys(recs)) {
      if (std::find(native.begin(), native.end(), k) != native.end()) continue;
      std::vector<std::string> v;
      for (const Record* r : recs) v.push_back(Ext(*r, k));
      t->Row(absl::StrCat("Comment[", k, "]"), v);
    }
  }

  void WriteProtocols(Text* t, const std::string& study, const std::vector<const Record*>& env, bool sampling) {
    std::vector<std::string> names, types, params;
    if (!env.empty()) {
      std::vector<std::string> p;
      for (const Record* e : env) p.push_back(e->Get("envParam"));
      names.push_back("Growth");
      types.push_back("Growth");
      params.push_back(absl::StrJoin(p, ";"));
    }
    if (sampling) {
      names.push_back("Sampling");
      types.push_back("Sampling");
      params.push_back("Sampling Description;Sampling Date");
    }
    names.push_back("Phenotyping");
    types.push_back("Phenotyping");
    params.push_back("Trait Definition File");
    const size_t fixed = names.size();
    std::vector<const Record*> events = LinkedTo("event", study);
    std::vector<std::string> pad(fixed);
    auto row = [&](const std::string& label, std::vector<std::string> head, auto get) {
      for (const Record* e : events) head.push_back(get(*e));
      t->Row(label, head);
    };
    t->Keyword("STUDY PROTOCOLS");
    row("Study Protocol Name", names, [](const Record& e) { return e.Get("eventType"); });
    row("Study Protocol Type", types, [](const Record&) { return std::string("Event"); });
    row("Study Protocol Type Term Accession Number", pad, [](const Record&) { return std::string(); });
    row("Study Protocol Type Term Source REF", pad, [](const Record&) { return std::string(); });
    row("Study Protocol Description", pad, [](const Record& e) { return e.Get("eventDesc"); });
    row("Study Protocol URI", pad, [](const Record& e) { return e.Get("eventAccNumber"); });
    row("Study Protocol Version", pad, [](const Record&) { return std::string(); });
    row("Study Protocol Parameters Name", params, [](const Record&) { return std::string(); });
    for (const char* label :
         {"Study Protocol Parameters Name Term Accession Number", "Study Protocol Parameters Name Term Source REF",
          "Study Protocol Components Name", "Study Protocol Components Type",
          "Study Protocol Components Type Term Accession Number", "Study Protocol Components Type Term Source REF"}) {
      row(label, pad, [](const Record&) { return std::string(); });
    }
    row("Comment[Event Date]", pad, [](const Record& e) { return e.Get("eventDate"); });
    row("Comment[Event Observation Unit ID]", pad, [](const Record& e) { return e.Get("obsUnitId"); });
    for (const std::string& k : ExtensionKeys(events)) {
      row(absl::StrCat("Comment[", k, "]"), pad, [&](const Record& e) { return Ext(e, k); });
    }
  }

  // The map's written fields of `place` that some record of `recs` holds.
  std::vector<const IsaField*> UsedFields(const std::vector<const Record*>& recs, const std::string& place) {
    std::vector<const IsaField*> out;
    for (const IsaField* f : map_.Written(place)) {
      bool used = false;
      for (const Record* r : recs) used = used || !r->Get(f->codename).empty();
      if (used) out.push_back(f);
    }
    return out;
  }

  Table StudyTable(const std::string& study, const std::vector<const Record*>& ous,
                   const std::vector<const Record*>& env, const std::vector<const Record*>& factors) {
    std::vector<const Record*> bms = LinkedTo("biological_material", study);
    std::vector<const IsaField*> bm_fields = UsedFields(bms, "source"), ou_fields = UsedFields(ous, "sample");
    std::vector<std::string> bm_ext = ExtensionKeys(bms), ou_ext = ExtensionKeys(ous);
    bool env_terms = false;
    for (const Record* e : env) {
      for (const auto& [k, v] : e->extensions) {
        if (k == "Term Source REF" || k == "Term Accession Number") {
          env_terms = env_terms || !v.empty();
        } else if (!v.empty()) {
          notes_.push_back(absl::StrCat("environment parameter \"", e->Get("envParam"), "\" of study \"", study,
                                        "\": extension \"", k, "\" has no place in ISA-Tab"));
        }
      }
    }
    Table t;
    t.header.push_back("Source Name");
    for (const IsaField* f : bm_fields) t.header.push_back(absl::StrCat("Characteristics[", f->label, "]"));
    for (const std::string& k : bm_ext) t.header.push_back(absl::StrCat("Characteristics[", k, "]"));
    if (!env.empty()) t.header.push_back("Protocol REF");
    for (const Record* e : env) {
      t.header.push_back(absl::StrCat("Parameter Value[", e->Get("envParam"), "]"));
      if (env_terms) {
        t.header.push_back("Term Source REF");
        t.header.push_back("Term Accession Number");
      }
    }
    t.header.push_back("Sample Name");
    for (const IsaField* f : ou_fields) t.header.push_back(absl::StrCat("Characteristics[", f->label, "]"));
    for (const std::string& k : ou_ext) t.header.push_back(absl::StrCat("Characteristics[", k, "]"));
    for (const Record* f : factors) t.header.push_back(absl::StrCat("Factor Value[", f->Get("expeFactorType"), "]"));

    std::set<const Record*> used_bms;
    absl::flat_hash_map<std::string, const Record*> bm_by_id;  // the first of each id
    for (const Record* b : bms)
      bm_by_id.emplace(std::string(absl::StripAsciiWhitespace(b->Get("biologicalMaterialId"))), b);
    auto row = [&](const Record* bm, const std::string& bm_id, const Record* ou) {
      std::vector<std::string> r;
      r.push_back(bm_id);
      for (const IsaField* f : bm_fields) r.push_back(bm != nullptr ? bm->Get(f->codename) : "");
      for (const std::string& k : bm_ext) r.push_back(bm != nullptr ? Ext(*bm, k) : "");
      if (!env.empty()) r.push_back("Growth");
      for (const Record* e : env) {
        r.push_back(e->Get("envParamValue"));
        if (env_terms) {
          r.push_back(Ext(*e, "Term Source REF"));
          r.push_back(Ext(*e, "Term Accession Number"));
        }
      }
      r.push_back(ou != nullptr ? ou->Get("obsUnitId") : "");
      for (const IsaField* f : ou_fields) r.push_back(ou != nullptr ? ou->Get(f->codename) : "");
      for (const std::string& k : ou_ext) r.push_back(ou != nullptr ? Ext(*ou, k) : "");
      for (const std::string& v : FactorCells(ou, factors, study)) r.push_back(v);
      t.rows.push_back(std::move(r));
    };
    for (const Record* ou : ous) {
      std::vector<std::string> ids = SplitList(ou->Get("biologicalMaterialId"));
      if (ids.empty()) ids.push_back("");
      for (const std::string& id : ids) {
        auto found = id.empty() ? bm_by_id.end() : bm_by_id.find(id);
        const Record* bm = found == bm_by_id.end() ? nullptr : found->second;
        if (bm != nullptr) used_bms.insert(bm);
        row(bm, bm != nullptr ? bm->Get("biologicalMaterialId") : id, ou);
      }
    }
    for (const Record* bm : bms) {
      if (!used_bms.contains(bm)) row(bm, bm->Get("biologicalMaterialId"), nullptr);
    }
    return t;
  }

  std::vector<std::string> FactorCells(const Record* ou, const std::vector<const Record*>& factors,
                                       const std::string& study) {
    std::vector<std::string> cells(factors.size());
    if (ou == nullptr || factors.empty()) return cells;
    const std::string& value = ou->Get("obsUnitFactorValue");
    if (value.empty()) return cells;
    if (factors.size() == 1) {
      cells[0] = value;
      return cells;
    }
    for (const std::string& part : SplitList(value)) {
      size_t colon = part.find(':');
      bool placed = false;
      for (size_t i = 0; i < factors.size() && colon != std::string::npos; ++i) {
        if (Lower(part.substr(0, colon)) == Lower(factors[i]->Get("expeFactorType"))) {
          cells[i] = part.substr(colon + 1);
          placed = true;
          break;
        }
      }
      if (!placed) {
        notes_.push_back(absl::StrCat("observation unit \"", ou->Get("obsUnitId"), "\" of study \"", study,
                                      "\": factor value \"", part, "\" names no factor; not written"));
      }
    }
    return cells;
  }

  Table AssayTable(const std::vector<const Record*>& ous, const std::vector<const Record*>& samples,
                   const std::string& tdf) {
    std::vector<const IsaField*> fields = UsedFields(samples, "extract");
    std::vector<std::string> ext = ExtensionKeys(samples);
    Table t;
    t.header.push_back("Sample Name");
    if (!samples.empty()) {
      t.header.push_back("Protocol REF");
      t.header.push_back("Parameter Value[Sampling Description]");
      t.header.push_back("Parameter Value[Sampling Date]");
      t.header.push_back("Extract Name");
      for (const IsaField* f : fields) t.header.push_back(absl::StrCat("Characteristics[", f->label, "]"));
      for (const std::string& k : ext) t.header.push_back(absl::StrCat("Characteristics[", k, "]"));
    }
    t.header.push_back("Protocol REF");
    t.header.push_back("Parameter Value[Trait Definition File]");
    for (const Record* ou : ous) {
      bool any = false;
      for (const Record* s : samples) {
        if (s->Get("obsUnitId") != ou->Get("obsUnitId")) continue;
        any = true;
        written_samples_.insert(s);
        std::vector<std::string> r = {ou->Get("obsUnitId"), "Sampling", s->Get("sampleDesc"), s->Get("collectionDate"),
                                      s->Get("sampleId")};
        for (const IsaField* f : fields) r.push_back(s->Get(f->codename));
        for (const std::string& k : ext) r.push_back(Ext(*s, k));
        r.push_back("Phenotyping");
        r.push_back(tdf);
        t.rows.push_back(std::move(r));
      }
      if (any) continue;
      std::vector<std::string> r = {ou->Get("obsUnitId")};
      if (!samples.empty()) r.resize(5 + fields.size() + ext.size());
      r.push_back("Phenotyping");
      r.push_back(tdf);
      t.rows.push_back(std::move(r));
    }
    return t;
  }

  Table Tdf(const std::vector<const Record*>& vars) {
    std::vector<const IsaField*> fields = UsedFields(vars, "tdf");
    std::vector<std::string> ext = ExtensionKeys(vars);
    Table t;
    for (const IsaField* f : fields) t.header.push_back(f->label);
    for (const std::string& k : ext) t.header.push_back(k);
    for (const Record* v : vars) {
      std::vector<std::string> r;
      for (const IsaField* f : fields) r.push_back(v->Get(f->codename));
      for (const std::string& k : ext) r.push_back(Ext(*v, k));
      t.rows.push_back(std::move(r));
    }
    return t;
  }

  const IsaMap& map_ = IsaMap::Default();
  std::map<std::string, std::vector<const Record*>> by_section_;
  std::map<std::pair<std::string, std::string>, std::vector<const Record*>> by_study_;  // (section, study)
  absl::flat_hash_map<std::string, std::vector<const Record*>> samples_by_ou_;
  std::set<const Record*> written_samples_;
  std::vector<std::string> notes_;
};

}  // namespace

IsaTabExport WriteIsaTab(const std::vector<Record>& records) { return Writer(records).Run(); }

}  // namespace fairtrace::miappe
