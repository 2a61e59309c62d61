// The MIAPPE validator (docs/miappe-validation.md): checks a Submission
// against MIAPPE 1.1 or 1.2 (chosen by the investigation's miappeVersion;
// an unknown or missing version is an ERROR and 1.2 rules apply) in two
// passes: (1) every record alone — presence (PRE), value syntax (FMT, VOC);
// (2) the whole submission — section counts, identity and references (XRF),
// semantics (SEM). Every finding names its rule, entity, field and value,
// with a hint. Strictness per deployment: strict turns recommended-field
// WARNINGs into ERRORs; lenient downgrades automatically fixable format
// errors to WARNINGs and reports the fix.
//
// Ontology terms: syntax always; with loaded ontologies (ontology.h) for a
// term's prefix, also existence, obsolescence and subtree membership; the
// snapshots used are listed in the report. With a CountryLocator
// (places.h), a study's coordinates are checked against its country's
// outline (SEM-COORD-COUNTRY, WARNING); the outline snapshot is listed too.
// Pure; thread-safe.
#pragma once

#include <functional>

#include <vector>

#include "validators/miappe/ontology.h"
#include "validators/miappe/places.h"
#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/submission.h"

namespace fairtrace::miappe {

inline constexpr char kValidatorVersion[] = "fairtrace-miappe/0.1";

enum class Strictness { kDefault, kStrict, kLenient };

struct ValidateOptions {
  Strictness strictness = Strictness::kDefault;
  // Days an event or sample may precede the study start or follow its end.
  int date_tolerance_days = 90;
  // Borrowed; may be null (syntax checks only).
  const OntologySet* ontologies = nullptr;
  // Borrowed; may be null (then SEM-COORD-COUNTRY is not checked).
  const CountryLocator* places = nullptr;
  // How far (degrees) outside its country's outline a site may lie: the
  // outlines are simplified and site coordinates rounded.
  double country_tolerance_deg = 0.1;
  // Polled between records and checks; when it returns true the validation
  // stops early and the report says so (Report::stopped). May be empty.
  std::function<bool()> should_stop;
};

// `pre` are findings of the readers (SYN-); they are kept in the report.
Report Validate(const Submission& submission, const Schema& schema, const ValidateOptions& options,
                std::vector<Finding> pre = {});

}  // namespace fairtrace::miappe
