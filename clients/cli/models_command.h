// `fairtrace models ...`: the model registry from the command line.
//
//   models create MODEL [--description D] [--owner O] [--license L] [--tag k=v]... [--request-id R]
//   models get MODEL [--show-deleted]
//   models list [--show-deleted]
//   models delete MODEL [--etag E] [--force]
//   models versions register MODEL PATH|DIGEST [--description D] [--source-run runs/R] [--request-id R]
//   models versions get MODEL VERSION [--show-deleted]
//   models versions list MODEL [--filter F] [--show-deleted]
//   models versions delete MODEL VERSION [--etag E]
//   models versions export MODEL VERSION DEST
//   models alias set MODEL ALIAS VERSION
//   models alias delete MODEL ALIAS
//
// VERSION is a number or an alias ("champion").
//
// MODEL is the id ("leaf-segmenter") or the name ("models/leaf-segmenter").
// `register` pushes PATH first (only missing bytes travel); `export` pulls
// the version's folder byte-identical to what was pushed. --json prints the
// resources as proto JSON.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class ModelsCommand {
 public:
  // Adds the `models` subcommand tree to `app`.
  explicit ModelsCommand(CLI::App& app);
  bool selected() const { return models_->parsed(); }
  // Runs whichever subcommand was parsed; returns the exit code.
  int Run(const client::ClientOptions& options, bool json, bool tty);

 private:
  CLI::App* models_;
  CLI::App *create_, *get_, *list_, *delete_, *versions_, *register_, *vget_, *vlist_, *vexport_, *vdelete_;
  CLI::App *alias_, *alias_set_, *alias_delete_;
  std::string alias_name_;
  int64_t alias_version_ = 0;
  std::string model_, version_, path_, dest_, description_, owner_, license_, request_id_, etag_, source_run_, filter_,
      project_;
  std::vector<std::string> tags_;
  bool show_deleted_ = false, force_ = false;
};

}  // namespace fairtrace::cli
