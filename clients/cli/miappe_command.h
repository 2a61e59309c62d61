// `fairtrace miappe ...`: MIAPPE metadata from the command line.
//
//   miappe validate PATH... [--strict | --lenient] [--ontology FILE.obo]...
//   miappe import PATH... --id INVESTIGATION [--strict | --lenient] [--etag E] [--request-id R]
//   miappe get INVESTIGATION [--revision N]
//   miappe export INVESTIGATION [--revision N] [--format json] [--output FILE]
//
// PATH: an .xlsx workbook (the MIAPPE template), a folder of sheets
// exported as TSV (investigation.tsv, study.tsv, ...) or the sheet files
// themselves. Works offline (no server). Prints a
// report grouped by section (or the JSON report with --json); exit 0 when
// there is no ERROR, 1 otherwise. `import` sends the files to the server,
// which validates them again and stores a new revision (or refuses the
// whole submission: one line per error on stderr, exit 1).
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class MiappeCommand {
 public:
  explicit MiappeCommand(CLI::App& app);
  bool selected() const { return miappe_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  int Validate(bool json);
  int Import(const client::ClientOptions& options, bool json);
  int Get(const client::ClientOptions& options, bool json);
  int Export(const client::ClientOptions& options);

  CLI::App *miappe_, *validate_, *import_, *get_, *export_;
  std::vector<std::string> paths_, ontology_files_;
  std::string id_, etag_, request_id_, name_, format_ = "json", output_;
  std::string country_outlines_ = "/usr/share/gmt-dcw/dcw-gmt.nc";
  int64_t revision_ = 0;
  bool strict_ = false, lenient_ = false;
};

}  // namespace fairtrace::cli
