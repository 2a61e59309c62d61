// Writes a MIAPPE submission (a stored revision's records) as ISA-Tab in
// the MIAPPE configuration (docs/isa-tab.md): i_investigation.txt, and per
// study s_study<N>.txt (biological materials as Source Name, observation
// units as Sample Name, the environment as Growth-protocol parameters,
// factor values), a_study<N>.txt (samples as Extract Name, the trait
// definition file as a Phenotyping parameter) and tdf_study<N>.txt (the
// observed variables). Field places come from schemas/miappe/isatab.tsv,
// the same map the reader uses, and extension columns are written as
// Comment[...] rows or Characteristics[...] columns, so that reading the
// files back gives the same records (records read from several studies
// come back as one record listing them; lists come back "; "-separated).
//
// What ISA-Tab cannot hold is not dropped silently: it is listed in
// `notes` (e.g. an extension column of an environment parameter). Pure;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "validators/miappe/submission.h"

namespace fairtrace::miappe {

struct IsaTabExport {
  std::vector<InputFile> files;    // investigation file first
  std::vector<std::string> notes;  // what could not be written
};

IsaTabExport WriteIsaTab(const std::vector<Record>& records);

}  // namespace fairtrace::miappe
