// `fairtrace investigations ...`: MIAPPE investigations from the command
// line. `fairtrace miappe ...` is the deprecated spelling of the same
// command, accepted until v0.3.
//
//   investigations validate PATH... [--strict | --lenient] [--ontology FILE.obo]...
//   investigations import PATH... --id INVESTIGATION [--strict | --lenient] [--etag E] [--request-id R]
//   investigations get INVESTIGATION [--revision N]
//   investigations export INVESTIGATION [--revision N] [--format json|isa-tab] [--output FILE|FOLDER]
//   investigations set ENTITY codename=value... [--ext header=value]... [--etag E] [--request-id R]
//   investigations add INVESTIGATION SECTION codename=value... [--ext header=value]... [--etag E] [--request-id R]
//   investigations delete ENTITY [--etag E] [--request-id R]
//
// set / add / delete change one record of the latest revision (ENTITY:
// investigations/{i}/{collection}/{id}, or investigations/{i} for the
// investigation record); an empty value clears the field. The server
// validates the whole result and stores it as the next revision, or refuses
// it (one line per error on stderr, exit 1).
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

class InvestigationsCommand {
 public:
  explicit InvestigationsCommand(CLI::App& app);
  bool selected() const { return miappe_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  int Validate(bool json);
  int Import(const client::ClientOptions& options, bool json);
  int Get(const client::ClientOptions& options, bool json);
  int Export(const client::ClientOptions& options);
  int ChangeEntity(const client::ClientOptions& options, bool json);

  CLI::App *miappe_, *validate_, *import_, *get_, *export_, *set_, *add_, *delete_;
  std::vector<std::string> paths_, ontology_files_, assignments_, extensions_;
  std::string section_;
  std::string id_, etag_, request_id_, name_, format_ = "json", output_, project_;
  std::string country_outlines_ = "/usr/share/gmt-dcw/dcw-gmt.nc";
  int64_t revision_ = 0;
  bool strict_ = false, lenient_ = false;
};

}  // namespace fairtrace::cli
