// The ISA-Tab reader's tables (isatab_reader_internal.h): the study file
// (materials, observation units, environment), assay files (samples, trait
// definition files, data files), trait definition files and data files.
#include "validators/miappe/data_file_check.h"
#include "validators/miappe/isatab_reader_internal.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe::isatab_internal {

int Reader::NodeColumn(const std::vector<Column>& cols, const std::string& type) {
  for (size_t c = 0; c < cols.size(); ++c) {
    if (cols[c].kind == Column::kNode && cols[c].type == type) return static_cast<int>(c);
  }
  return -1;
}

void Reader::ReadStudyTable(const InputFile& file, Record* study, StudyState* st) {
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
          Place(&bm, "source", cols[c].name.empty() ? cols[c].header : cols[c].name, isatab::ValueAt(cols, row, c),
                where);
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
      isatab::Value v = isatab::ValueAt(cols, row, c);
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
              absl::StrCat("MIAPPE 1.0 configuration: Parameter Value[", cols[c].name, "] read as ", legacy->codename),
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

void Reader::ReadObservationUnit(const std::vector<Column>& cols, const std::vector<std::string>& row, int source,
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
      isatab::Value v = isatab::ValueAt(cols, row, c);
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

void Reader::ReadAssayTable(const InputFile& file, const std::string& level, StudyState* st,
                            std::vector<std::string>* tdfs) {
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
      isatab::Value v = isatab::ValueAt(cols, row, c);
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

void Reader::ReadTdf(const InputFile& file, StudyState* st) {
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

void Reader::CheckDataFile(const InputFile& file, const StudyState& st) {
  DataFileScope scope;
  scope.study = st.id;
  scope.variables.insert(st.variables.begin(), st.variables.end());
  scope.keys.insert(st.assays.begin(), st.assays.end());
  scope.keys.insert(st.samples.begin(), st.samples.end());
  for (const auto& [id, i] : st.ous) scope.keys.insert(id);
  CheckDataTable(ParseDataFile(BaseName(file.name), file.data, findings_), scope, findings_);
}

void Reader::DeriveFactorValues(const StudyState& st) {
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

}  // namespace fairtrace::miappe::isatab_internal
