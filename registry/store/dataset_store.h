// DatasetStore: datasets (a mutable datasheet) and their immutable versions
// with items and links (docs/datasets.md). Implemented by SqliteDatasetStore
// (sqlite/sqlite_dataset_store.h).
//
// Contract: InsertVersion writes the version, its items, their links, the
// lineage edges, the request id and the audit record in one transaction,
// or nothing. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/audit_record.h"
#include "common/query/filter.h"
#include "registry/store/model_store.h"
#include "registry/store/project_scope.h"
#include "registry/store/run_store.h"

namespace fairtrace {

struct DatasetRow {
  std::string dataset_id, uid;
  std::string datasheet_json;
  int64_t latest_version = 0;
  int64_t revision = 1;  // bumped by every datasheet change and version (etags)
  int64_t create_time = 0, update_time = 0;
  std::string project = "default";  // set at creation, never changed
};

struct DatasetVersionRow {
  std::string dataset_id;
  int64_t version = 0;  // assigned on insert
  std::string uid;
  std::string digest;
  std::string tree_digest;
  int64_t tree_size = 0;
  std::string item_table_digest;  // "" when none
  int64_t item_table_size = 0;
  std::string investigation_revision, investigation_digest;
  int64_t item_count = 0, linked_item_count = 0, total_bytes = 0;
  int64_t observation_unit_count = 0, biological_material_count = 0, sample_count = 0;
  int64_t create_time = 0;
};

struct ItemRow {
  std::string path, blob_digest;
  int64_t blob_size = 0;
  std::string media_type, acquired_at, sensor, view, station;
  std::string attributes_json = "{}";
  std::string links_json = "[]";
  std::string item_digest;
};

struct ItemLinkRow {
  std::string link, path;
};

class DatasetStore {
 public:
  virtual ~DatasetStore() = default;

  // ALREADY_EXISTS (DATASET_EXISTS, or REQUEST_ID_USED).
  virtual absl::StatusOr<DatasetRow> InsertDataset(const DatasetRow& row, const RequestKey& request_id,
                                                   const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<DatasetRow>> GetDataset(const std::string& dataset_id) = 0;
  // Ordered by id, after `after_id`, in `scope`'s projects.
  virtual absl::StatusOr<std::vector<DatasetRow>> ListDatasets(const std::string& after_id, int limit,
                                                               const ProjectScope& scope) = 0;
  // Replaces the datasheet; ABORTED (ETAG_MISMATCH) when `expected_revision`
  // is not the current one; NOT_FOUND when the dataset is gone.
  virtual absl::StatusOr<DatasetRow> UpdateDatasheet(const std::string& dataset_id, const std::string& datasheet_json,
                                                     int64_t expected_revision, int64_t now,
                                                     const AuditEntry& audit) = 0;

  // Appends version latest + 1 of the dataset (NOT_FOUND when it is gone)
  // with its items and links, and `edges` whose subject "" stands for the
  // new version's name. ALREADY_EXISTS (REQUEST_ID_USED). Returns the row
  // with its number.
  virtual absl::StatusOr<DatasetVersionRow> InsertVersion(const DatasetVersionRow& row,
                                                          const std::vector<ItemRow>& items,
                                                          const std::vector<ItemLinkRow>& links,
                                                          const std::vector<EdgeRow>& edges,
                                                          const RequestKey& request_id, const AuditEntry& audit) = 0;
  virtual absl::StatusOr<std::optional<DatasetVersionRow>> GetVersion(const std::string& dataset_id,
                                                                      int64_t version) = 0;
  // Newest first, versions below `before` (0: from the newest).
  virtual absl::StatusOr<std::vector<DatasetVersionRow>> ListVersions(const std::string& dataset_id, int64_t before,
                                                                      int limit) = 0;
  // Items of the version (by uid) after `after_path`, by path, matching
  // `filter` (fields of docs/datasets.md).
  virtual absl::StatusOr<std::vector<ItemRow>> ListItems(const std::string& version_uid, const ParsedFilter& filter,
                                                         const std::string& after_path, int limit) = 0;
  // Every item of the version, by path, with what a diff needs: path, blob
  // and item digest (the other fields are left empty).
  virtual absl::StatusOr<std::vector<ItemRow>> AllItems(const std::string& version_uid) = 0;
  // One item, whole.
  virtual absl::StatusOr<std::optional<ItemRow>> GetItem(const std::string& version_uid, const std::string& path) = 0;
};

}  // namespace fairtrace
