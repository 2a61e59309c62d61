// Reads MIAPPE sheets into a Submission: TSV files (one per sheet, named
// after the section: investigation.tsv, study.tsv, observation_unit.tsv,
// ...) and xlsx workbooks (their sheets named after the sections: Study,
// Observation Unit, ...; xlsx.h). Headers are matched to fields by title, codename or DM id
// (case, spaces, punctuation and `*` ignored); an unknown column is kept as
// an extension (SYN-03, INFO); two columns naming one field are an ERROR
// (SYN-03); the investigation sheet may be a field/value list (v1.1
// template) or one header row and one data row (v1.2). Template rows
// (Definition/Example/Format) are skipped (SYN-04, INFO). A sheet that is
// no MIAPPE section (TTADDA's Sensor sheet) is kept whole, as TSV, in the
// investigation record's extension "sheet:<name>" (SYN-03, INFO), so it is
// stored and exported with the revision. Never fails:
// problems are findings. Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "validators/miappe/report.h"
#include "validators/miappe/schema.h"
#include "validators/miappe/submission.h"

namespace fairtrace::miappe {

// Reads the files named by `paths` (folders: their *.tsv files, sorted).
// A missing or unreadable path, or a file over `max_bytes`, is a SYN-01
// ERROR and is skipped.
inline constexpr char kSheetExtensionPrefix[] = "sheet:";

std::vector<InputFile> ReadSheetFiles(const std::vector<std::string>& paths, std::vector<Finding>* findings,
                                      size_t max_bytes = size_t{64} << 20);

Submission LoadSheets(const std::vector<InputFile>& files, const Schema& schema, std::vector<Finding>* findings);

}  // namespace fairtrace::miappe
