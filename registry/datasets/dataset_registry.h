// DatasetRegistry: the rules of DatasetService (docs/datasets.md). A
// dataset holds a mutable datasheet; a version is immutable: a registered
// tree plus an item table whose rows link files to the MIAPPE entities of a
// pinned investigation revision. Everything is checked before anything is
// stored; a version, its items, links and lineage edges are stored in one
// transaction with the audit record.
//
// Errors: INVALID_ARGUMENT naming the field (or, for item table problems,
// one violation per problem with its line), NOT_FOUND (DATASET_NOT_FOUND,
// VERSION_NOT_FOUND, INVESTIGATION_NOT_FOUND), FAILED_PRECONDITION
// (TREE_NOT_REGISTERED, ITEM_TABLE_MISSING, ITEMS_INVALID), ABORTED
// (ETAG_MISMATCH), ALREADY_EXISTS (DATASET_EXISTS, REQUEST_ID_USED).
// Thread-safe; borrows the stores, which must outlive it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "fairtrace/v1/datasets.pb.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/store/dataset_store.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct DatasetLimits {
  int64_t max_item_table_bytes = int64_t{256} << 20;
  size_t max_items = 2'000'000;
  size_t max_datasheet_bytes = 64 << 10;
  int default_item_page = 100, max_item_page = 10'000;
  int default_diff_page = 1'000, max_diff_page = 10'000;
};

class DatasetRegistry {
 public:
  DatasetRegistry(Store* store, ContentStore* content, ModelStore* request_ids, InvestigationStore* investigations,
                  DatasetStore* datasets, std::string page_token_key, std::function<int64_t()> now_micros,
                  DatasetLimits limits = {});

  absl::StatusOr<v1::Dataset> CreateDataset(const CallContext& ctx, const v1::CreateDatasetRequest& req);
  absl::StatusOr<v1::Dataset> GetDataset(const v1::GetDatasetRequest& req);
  // Only datasets in `scope`'s projects.
  absl::StatusOr<v1::ListDatasetsResponse> ListDatasets(const v1::ListDatasetsRequest& req,
                                                        const ProjectScope& scope = ProjectScope::All());
  absl::StatusOr<v1::Dataset> UpdateDataset(const CallContext& ctx, const v1::UpdateDatasetRequest& req);

  absl::StatusOr<v1::DatasetVersion> CreateDatasetVersion(const CallContext& ctx,
                                                          const v1::CreateDatasetVersionRequest& req);
  absl::StatusOr<v1::DatasetVersion> GetDatasetVersion(const v1::GetDatasetVersionRequest& req);
  absl::StatusOr<v1::ListDatasetVersionsResponse> ListDatasetVersions(const v1::ListDatasetVersionsRequest& req);
  absl::StatusOr<v1::ListItemsResponse> ListItems(const v1::ListItemsRequest& req);
  // Sends the diff in pages to `sink` (which returns false to stop: the
  // client went away); the first page carries the counts.
  absl::Status DiffDatasetVersions(const CallContext& ctx, const v1::DiffDatasetVersionsRequest& req,
                                   const std::function<bool(const v1::DiffDatasetVersionsResponse&)>& sink);
  // Sends the Croissant document in chunks of at most 1 MiB to `sink`.
  absl::Status ExportDatasetVersion(const CallContext& ctx, const v1::ExportDatasetVersionRequest& req,
                                    const std::function<bool(const v1::ExportDatasetVersionResponse&)>& sink);

 private:
  struct VersionRef {
    std::string dataset_id;
    int64_t version = 0;
  };
  absl::StatusOr<VersionRef> ParseVersionName(const std::string& name, const std::string& field) const;
  absl::StatusOr<DatasetVersionRow> LoadVersion(const std::string& name, const std::string& field);
  absl::StatusOr<DatasetRow> LoadDataset(const std::string& name, const std::string& field);
  v1::Dataset DatasetProto(const DatasetRow& row) const;

  Store* store_;
  ContentStore* content_;
  ModelStore* request_ids_;
  InvestigationStore* investigations_;
  DatasetStore* datasets_;
  std::string token_key_;
  std::function<int64_t()> now_;
  DatasetLimits limits_;
};

// The proto of a stored version / item (also for tests and the diff).
v1::DatasetVersion DatasetVersionProto(const DatasetVersionRow& row);
v1::Item ItemProto(const ItemRow& row);

}  // namespace fairtrace
