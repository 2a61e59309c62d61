// `fairtrace runs ...`: read runs, their metric history and lineage.
//
//   runs get RUN                 one run: status, params, seeds, code, environment, inputs, outputs
//   runs list [--filter F] [--limit N]   newest first; F as in docs/filtering.md
//   runs metrics RUN KEY         the full history of one metric (step, value, time)
//   runs lineage RESOURCE [--downstream] [--depth N]   provenance edges around any resource
//
// RUN is the id or "runs/{id}". --json prints proto JSON (one object per
// line for lists). Exit codes as every command: 0, 1 (user error), 2.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class RunsCommand {
 public:
  explicit RunsCommand(CLI::App& app);
  bool selected() const { return runs_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  CLI::App *runs_, *get_, *list_, *metrics_, *lineage_;
  std::string run_, key_, filter_, resource_;
  int limit_ = 50;
  int depth_ = 0;
  bool downstream_ = false;
};

}  // namespace fairtrace::cli
