// Reads an ISA-Tab submission (investigation file, study files, assay
// files, trait definition files and, when given, data files) in the MIAPPE
// ISA-Tab configuration into a Submission, so that the same validator checks
// it (docs/isa-tab.md). Where each MIAPPE field is read from is data:
// schemas/miappe/isatab.tsv (isatab_map.h).
//
// Besides the syntax findings of isatab_parse.h, the reader raises the
// ISA-Tab cross-reference checks of MIAPPE.md section 6.8:
//   XRF-ISA-TERMSOURCE  a Term Source REF not declared in ONTOLOGY SOURCE REFERENCE (ERROR)
//   XRF-ISA-FACTOR      a Factor Value[x] column whose x is not a STUDY FACTORS name (ERROR)
//   XRF-ISA-PROTOCOL    a Protocol REF value not declared in STUDY PROTOCOLS (ERROR)
//   XRF-ISA-PARAM       a Parameter Value[x] that is not a parameter of its protocol (ERROR)
//   XRF-ISA-SAMPLE      an assay Sample Name that the study file does not define (ERROR)
//   XRF-FILE-MISSING    a study, assay or trait definition file that was not submitted (ERROR);
//                       a data file that was not submitted (WARNING: its contents are not checked)
//   SEM-ENV-CONSTANT    a Growth-protocol parameter whose value differs between rows (ERROR)
//   XRF-LEVEL           an observation unit whose type differs from its assay's "<type> level analysis" (WARNING)
// and, on submitted data files, XRF-DATAFILE-COLUMNS (a column that is no
// observed variable), XRF-DATAFILE-ROWS (a row key that is no assay,
// observation unit or sample of the study) and FMT-DECIMAL-COMMA.
//
// Never fails: problems are findings. Pure; thread-safe.
#pragma once

#include <vector>

#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/submission.h"

namespace fairtrace::miappe {

// Whether `file` is an ISA-Tab investigation file (by its content).
bool IsIsaInvestigationFile(const InputFile& file);

// Reads the investigation file `files[investigation]` and the files it
// names, found among `files` by base name, into `sub`. Files it does not
// name are reported (SYN-01 WARNING) and not read.
void ReadIsaTab(const std::vector<InputFile>& files, size_t investigation, const Schema& schema, Submission* sub,
                std::vector<Finding>* findings);

}  // namespace fairtrace::miappe
