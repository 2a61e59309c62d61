// Internal to the ISA-Tab reader (isatab_reader.h): the Reader class and
// its helpers, shared by isatab_reader.cc (investigation file, studies,
// output) and isatab_tables.cc (study, assay, trait definition and data
// tables). Not part of any public interface.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "validators/miappe/isatab_map.h"
#include "validators/miappe/isatab_parse.h"
#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/submission.h"

namespace fairtrace::miappe::isatab_internal {

using isatab::Column;
using isatab::Section;
using isatab::SplitList;
using isatab::StudyBlock;

inline std::string BaseName(const std::string& name) { return name.substr(name.find_last_of('/') + 1); }

inline std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s)); }

// "Comment[X]" -> "X"; other labels unchanged.
inline std::string ExtensionKey(const std::string& label) {
  isatab::Header h = isatab::SplitHeader(label);
  return h.kind == "Comment" && !h.name.empty() ? h.name : label;
}

inline std::string NonEmptyJoined(const std::vector<std::string>& cells, absl::string_view sep) {
  std::vector<std::string> parts;
  for (const std::string& c : cells) {
    if (!c.empty()) parts.push_back(c);
  }
  return absl::StrJoin(parts, sep);
}

inline bool IsNoFile(absl::string_view cell) {
  std::string l = Lower(cell);
  return l.empty() || l == "na" || l == "n/a" || l == "none";
}

inline bool IsUrl(absl::string_view s) { return absl::StrContains(s, "://"); }

// The record's content without its study links: records equal by this key
// that were read from different studies are one record linked to both.
inline std::string MergeKey(const Record& r) {
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

  void Run();

 private:
  // ---- findings -----------------------------------------------------------

  void Add(const std::string& code, Severity sev, const std::string& section, const std::string& where,
           std::string message, std::string hint, const std::string& entity = "", const std::string& value = "");

  // Reports a problem once per key (e.g. one undeclared protocol per file).
  bool Once(const std::string& key) { return reported_.insert(key).second; }

  // ---- term sources ---------------------------------------------------------

  void ReadTermSources(const isatab::InvestigationFile& inv);

  void CheckTermSource(const std::string& cell, const std::string& where);

  void CheckInvestigationTermSources(const isatab::InvestigationFile& inv);

  // ---- values ---------------------------------------------------------------

  // Sets `codename` of `rec`, reporting a second value for it.
  void SetField(Record* rec, const std::string& codename, const std::string& value, const std::string& where);

  void AddExtension(Record* rec, const std::string& key, const std::string& value);

  // The MIAPPE field of an ISA label at `place` (the map, else a title,
  // codename or DM id of the section), or nullptr.
  const FieldRule* FieldFor(const std::string& place, const std::string& section, const std::string& label);

  const FieldRule* LookUpField(const std::string& place, const std::string& section, const std::string& label) const;

  // An attribute cell (with its unit and ontology term) into `rec`: the
  // mapped field, or an extension named `name`. With a term accession the
  // field holds the term as a CURIE (or, where the section has a matching
  // "... accession number" field, the label here and the CURIE there) and
  // the label is kept as the extension "<name> label".
  void Place(Record* rec, const std::string& place, const std::string& name, const isatab::Value& v,
             const std::string& where);

  // ---- investigation ------------------------------------------------------

  void ReadInvestigation(const isatab::InvestigationFile& inv);

  // Rows of a one-column section (INVESTIGATION, STUDY, STUDY DESIGN
  // DESCRIPTORS) into `rec`; returns nothing, reports extra columns.
  void ReadSingleRows(const Section& s, const std::string& place, Record* rec);

  // ---- contacts -------------------------------------------------------------

  void ReadContacts(const Section& s, const std::string& prefix, const std::string& study_id);

  // ---- studies --------------------------------------------------------------

  struct Protocol {
    std::string type;
    std::set<std::string> params;  // lowercased
  };

  struct StudyState {
    std::string id;
    std::map<std::string, Protocol> protocols;     // by lowercased name
    std::vector<std::string> factors;              // names as declared
    absl::flat_hash_map<std::string, size_t> ous;  // obsUnitId -> index in out_["observation_unit"]
    absl::flat_hash_set<std::string> samples, assays, variables;
    std::set<std::string> data_links;  // declared data files
  };

  void ReadStudy(const StudyBlock& block, size_t index);

  void AddUnique(std::vector<std::string>* v, const std::string& s);

  // The submitted file `name`, or nullptr after XRF-FILE-MISSING.
  const InputFile* Need(const std::string& name, const std::string& what, const std::string& where, Severity sev);

  void ReadDataFileComments(const Section& s, StudyState* st);

  void ReadFactors(const Section& s, StudyState* st);

  void ReadProtocols(const Section& s, Record* study, StudyState* st);

  const Protocol* CheckProtocol(const std::string& name, const StudyState& st, const std::string& file, int line);

  void CheckParam(const Protocol* p, const std::string& protocol, const std::string& param, const std::string& file,
                  int line);

  // Finds the first node column of `type`, or -1.
  static int NodeColumn(const std::vector<Column>& cols, const std::string& type);

  void ReadStudyTable(const InputFile& file, Record* study, StudyState* st);

  void ReadObservationUnit(const std::vector<Column>& cols, const std::vector<std::string>& row, int source, int sample,
                           const std::string& where, StudyState* st);

  void ReadAssayTable(const InputFile& file, const std::string& level, StudyState* st, std::vector<std::string>* tdfs);

  void ReadTdf(const InputFile& file, StudyState* st);

  void CheckDataFile(const InputFile& file, const StudyState& st);

  void DeriveFactorValues(const StudyState& st);

  // ---- output ---------------------------------------------------------------

  void Out(const std::string& section, Record r) { out_[section].push_back(std::move(r)); }

  void ReportUnreferenced();

  // Records equal but for their study are one record linked to all of them
  // (MIAPPE's studyId lists); the rest keep the order they were read in.
  void Emit();

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
  std::map<std::string, std::string> pending_data_files_;           // data file name -> where first named
  std::map<std::string, std::vector<Record>> out_;                  // section -> records, in reading order
  absl::flat_hash_map<std::string, const FieldRule*> field_cache_;  // FieldFor by place, section, label
};

}  // namespace fairtrace::miappe::isatab_internal
