// `fairtrace datasets ...`: dataset versions from the command line
// (docs/datasets.md).
//
//   datasets create DATASET [--description D] [--license L] [--creator NAME]...
//                   [--collection-method M] [--intended-use U] [--request-id R]
//   datasets get DATASET
//   datasets list
//   datasets version DATASET DIR [--items FILE] [--format csv|tsv|jsonl]
//                    [--investigation investigations/{i}[/revisions/{r}]] [--request-id R]
//       pushes DIR (only what the server lacks) and FILE, then registers the
//       next version; DIR may also be the digest of a pushed tree
//   datasets versions DATASET
//   datasets items VERSION [--filter F] [--limit N]
//   datasets diff BASE TARGET
//   datasets export VERSION [--output FILE] [--base-iri IRI]   Croissant 1.0 JSON-LD
//
// DATASET: "leaves" or "datasets/leaves"; VERSION: "datasets/leaves/versions/3".
// --json prints the proto JSON (one line per item or change for lists).
// Exit codes: cli_common.h.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class DatasetsCommand {
 public:
  explicit DatasetsCommand(CLI::App& app);
  bool selected() const { return datasets_->parsed(); }
  int Run(const client::ClientOptions& options, bool json, bool tty);

 private:
  int Create(const client::ClientOptions& options, bool json);
  int Get(const client::ClientOptions& options, bool json);
  int List(const client::ClientOptions& options, bool json);
  int NewVersion(const client::ClientOptions& options, bool json, bool tty);
  int Versions(const client::ClientOptions& options, bool json);
  int Items(const client::ClientOptions& options, bool json);
  int Diff(const client::ClientOptions& options, bool json);
  int Export(const client::ClientOptions& options);

  CLI::App *datasets_, *create_, *get_, *list_, *version_, *versions_, *items_, *diff_, *export_;
  std::string name_, other_, path_, items_file_, format_, investigation_, request_id_, filter_, output_, base_iri_,
      project_;
  std::string description_, license_, collection_method_, intended_use_;
  std::vector<std::string> creators_;
  int64_t limit_ = 1000;
};

}  // namespace fairtrace::cli
