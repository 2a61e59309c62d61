// `fairtrace splits ...`: splits of dataset versions and leakage checks
// from the command line (docs/splits.md).
//
//   splits create VERSION [--id ID] [--method holdout|kfold|temporal|explicit]
//                 [--ratio PART=R]... [--k K] [--seed S] [--group KEY]
//                 [--stratify SET] [--assignment FILE] [--request-id R]
//   splits get SPLIT [--items PART] [--limit N]
//   splits list VERSION
//   splits check SPLIT [--group KEY]... [--max-pairs N]
//       exit 0 when nothing leaks, 3 when leakage is found (the report is
//       stored either way)
//
// --json prints proto JSON. Exit codes: cli_common.h (and 3 above).
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class SplitsCommand {
 public:
  explicit SplitsCommand(CLI::App& app);
  bool selected() const { return splits_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  int Create(const client::ClientOptions& options, bool json);
  int Get(const client::ClientOptions& options, bool json);
  int List(const client::ClientOptions& options, bool json);
  int Check(const client::ClientOptions& options, bool json);

  CLI::App *splits_, *create_, *get_, *list_, *check_;
  std::string name_, id_, method_ = "holdout", group_, stratify_, assignment_, request_id_, part_;
  std::vector<std::string> ratios_, groups_;
  int k_ = 0, max_pairs_ = 0;
  uint64_t seed_ = 0;
  int64_t limit_ = 1000;
};

}  // namespace fairtrace::cli
