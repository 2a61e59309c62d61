// Findings of the MIAPPE validator (docs/miappe-validation.md): one per
// (rule, entity, field), with code (SYN-, PRE-, FMT-, XRF-, VOC-, SEM-),
// severity, section, entity id, field (codename and DM id), the offending
// value, a message and a hint telling the user how to fix it. Plain data;
// thread-compatible.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fairtrace::miappe {

enum class Severity { kInfo, kWarning, kError };
const char* SeverityName(Severity s);

struct Finding {
  std::string code;
  Severity severity = Severity::kError;
  std::string section;    // "study", "observation_unit", ... ("" for the submission)
  std::string entity_id;  // the record's id ("BiogemmaGaillac2012"), or "<file>:<line>"
  std::string field;      // codename ("studyStartDate")
  std::string dm;         // "DM-14"
  std::string value;      // the offending value (truncated to 200 bytes)
  std::string message;
  std::string hint;
  std::string fixed;     // lenient mode: the value the fix produced
  std::string location;  // "study.tsv:3"
};

// A reader finding (no field): code, severity, section, where (also the
// entity id shown), message, hint.
Finding ReaderFinding(const std::string& code, Severity severity, const std::string& section, const std::string& where,
                      std::string message, std::string hint = "");

struct Report {
  std::string profile;                  // "MIAPPE 1.1" / "MIAPPE 1.2" ("" when unknown)
  std::string validator_version;        // kValidatorVersion
  std::vector<std::string> ontologies;  // snapshots of the ontologies (and country outlines) used
  // The official template the workbook was recognised as, and its MIAPPE
  // version ("" when none); the sheets read as its documentation.
  std::string template_name, template_version;
  std::vector<std::string> reference_sheets;
  std::vector<Finding> findings;
  // Findings past kMaxFindings are counted here by severity, not kept: a
  // hostile workbook could otherwise make millions (docs/limits.md).
  static constexpr size_t kMaxFindings = 10'000;
  int64_t omitted[3] = {0, 0, 0};  // indexed by Severity
  // The validation was stopped before its end (ValidateOptions::should_stop):
  // the report is incomplete and must not be taken as a verdict.
  bool stopped = false;
  int64_t omitted_total() const { return omitted[0] + omitted[1] + omitted[2]; }
  // When over kMaxFindings: keeps the first ones, errors before warnings
  // before infos (each in their order), and counts the rest in `omitted`.
  void Compact();

  // Kept and omitted findings of severity `s`.
  int Count(Severity s) const;
  bool ok() const { return Count(Severity::kError) == 0; }
  // {"profile", "validator_version", "errors", "warnings", "infos", "findings": [...]}
  nlohmann::json ToJson() const;
  // Human report grouped by section, errors first in each section, with a
  // summary line per (code, field) when a rule fires more than 5 times.
  std::string ToText() const;
};

}  // namespace fairtrace::miappe
