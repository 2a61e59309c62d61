// SplitRegistry: the rules of SplitService (docs/splits.md). A split is the
// parts "fairtrace-split/1" (docs/split-algorithm.md) gives for a dataset
// version, a method, its parameters and a seed — or an uploaded explicit
// assignment — with a digest per part, so a run names exactly what it
// trained on (run.use(part)). Leakage reports check a split's parts for
// shared bytes, shared groups and time order.
//
// Errors: INVALID_ARGUMENT naming the field (or, for an explicit
// assignment, one violation per line); NOT_FOUND (VERSION_NOT_FOUND,
// SPLIT_NOT_FOUND, ANNOTATION_SET_NOT_FOUND, REPORT_NOT_FOUND);
// FAILED_PRECONDITION (ASSIGNMENT_MISSING); ALREADY_EXISTS (SPLIT_EXISTS,
// REPORT_EXISTS, REQUEST_ID_USED). Thread-safe; borrows the stores.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "fairtrace/v1/splits.pb.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/splits/leakage.h"
#include "registry/store/annotation_store.h"
#include "registry/store/dataset_store.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/split_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct SplitLimits {
  int64_t max_assignment_bytes = int64_t{256} << 20;
  int default_split_page = 50, max_split_page = 1000;
  int default_item_page = 1000, max_item_page = 10'000;
  int default_pairs = 20, max_pairs = 1000;
  size_t max_parts = 100;
  int max_folds = 100;
  int64_t max_image_bytes = int64_t{256} << 20;  // an image read for its perceptual hash
  int64_t max_image_pixels = int64_t{64} << 20;
};

class SplitRegistry {
 public:
  // `runs`: for checks of a run's inputs (CheckLeakage with `run`).
  SplitRegistry(Store* store, ContentStore* content, ModelStore* request_ids, DatasetStore* datasets,
                AnnotationStore* annotations, InvestigationStore* investigations, SplitStore* splits, RunStore* runs,
                std::string page_token_key, std::function<int64_t()> now_micros, SplitLimits limits = {});

  absl::StatusOr<v1::Split> CreateSplit(const CallContext& ctx, const v1::CreateSplitRequest& req);
  absl::StatusOr<v1::Split> GetSplit(const v1::GetSplitRequest& req);
  absl::StatusOr<v1::ListSplitsResponse> ListSplits(const v1::ListSplitsRequest& req);
  absl::StatusOr<v1::ListPartItemsResponse> ListPartItems(const v1::ListPartItemsRequest& req);
  absl::StatusOr<v1::LeakageReport> CheckLeakage(const CallContext& ctx, const v1::CheckLeakageRequest& req);
  absl::StatusOr<v1::LeakageReport> GetLeakageReport(const v1::GetLeakageReportRequest& req);

 private:
  absl::StatusOr<SplitRow> LoadSplit(const std::string& name, const std::string& field);
  // The near_duplicate finding: hashes read from the cache or computed (two
  // workers) and cached; `doc` gets the counts and the refused images.
  // CheckLeakage of a run's inputs.
  absl::StatusOr<v1::LeakageReport> CheckRun(const CallContext& ctx, const v1::CheckLeakageRequest& req,
                                             const std::string& report_id);
  absl::StatusOr<splits::LeakageFindingOut> NearDuplicates(
      const CallContext& ctx, const std::vector<splits::LeakageItem>& items,
      const absl::flat_hash_map<std::string, const ItemRow*>& item_of, const std::vector<std::string>& part_order,
      int max_distance, size_t max_pairs, nlohmann::json* doc);

  Store* store_;
  ContentStore* content_;
  ModelStore* request_ids_;
  DatasetStore* datasets_;
  AnnotationStore* annotations_;
  InvestigationStore* investigations_;
  SplitStore* splits_;
  RunStore* runs_;
  std::string token_key_;
  std::function<int64_t()> now_;
  SplitLimits limits_;
};

v1::Split SplitProto(const SplitRow& row);

}  // namespace fairtrace
