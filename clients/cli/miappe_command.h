// `fairtrace miappe ...`: MIAPPE metadata from the command line.
//
//   miappe validate PATH... [--strict | --lenient]
//
// PATH: an .xlsx workbook (the MIAPPE template), a folder of sheets
// exported as TSV (investigation.tsv, study.tsv, ...) or the sheet files
// themselves. Works offline (no server). Prints a
// report grouped by section (or the JSON report with --json); exit 0 when
// there is no ERROR, 1 otherwise.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace fairtrace::cli {

class MiappeCommand {
 public:
  explicit MiappeCommand(CLI::App& app);
  bool selected() const { return miappe_->parsed(); }
  int Run(bool json);

 private:
  CLI::App *miappe_, *validate_;
  std::vector<std::string> paths_;
  bool strict_ = false, lenient_ = false;
};

}  // namespace fairtrace::cli
