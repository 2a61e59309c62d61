// `fairtrace annotations ...`: annotation sets and their agreement from the
// command line (docs/annotations.md, docs/agreement.md).
//
//   annotations add VERSION SOURCE --task labels|measurements|boxes|polygons|masks
//                   [--id ID] [--annotator A] [--protocol NAME] [--protocol-version V]
//                   [--guideline FILE] [--tool NAME] [--tool-version V]
//                   [--category ID=NAME]... [--replaces SET] [--request-id R]
//       pushes SOURCE (a COCO .json, a label .csv/.tsv, or a folder of mask
//       PNGs) and registers it as an annotation set of VERSION
//   annotations list VERSION
//   annotations get SET [--annotations] [--filter F] [--limit N]
//   annotations agreement SET SET... [--scale nominal|ordinal|interval]
//                   [--bootstrap N] [--seed S] [--iou T] [--worst N] [--id R]
//                   [--document]
//       computes and stores the agreement report; --document prints the
//       whole stored report (JSON, docs/agreement.md)
//
// VERSION: "datasets/leaves/versions/3"; SET: "…/annotationSets/ann-1".
// --json prints the proto JSON. Exit codes: cli_common.h.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "clients/cpp/fairtrace/cas_client.h"

namespace fairtrace::cli {

class AnnotationsCommand {
 public:
  explicit AnnotationsCommand(CLI::App& app);
  bool selected() const { return annotations_->parsed(); }
  int Run(const client::ClientOptions& options, bool json);

 private:
  int Add(const client::ClientOptions& options, bool json);
  int List(const client::ClientOptions& options, bool json);
  int Get(const client::ClientOptions& options, bool json);
  int Agreement(const client::ClientOptions& options, bool json);

  CLI::App *annotations_, *add_, *list_, *get_, *agreement_;
  std::string name_, source_, task_, id_, annotator_, protocol_, protocol_version_, guideline_, tool_, tool_version_;
  std::string replaces_, request_id_, scale_, filter_;
  std::vector<std::string> categories_, sets_;
  int bootstrap_ = 0, worst_ = 0;
  uint64_t seed_ = 0;
  double iou_ = 0;
  int64_t limit_ = 1000;
  bool document_ = false, show_annotations_ = false;
};

}  // namespace fairtrace::cli
