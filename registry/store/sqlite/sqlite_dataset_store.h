// The SQLite DatasetStore (dataset_store.h): datasets, versions, items and
// their links. Borrows the database, which must outlive it. Thread-safe.
// See registry/store/dataset_store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/dataset_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteDatasetStore final : public DatasetStore {
 public:
  explicit SqliteDatasetStore(SqliteDatabase* db) : db_(db) {}

  absl::StatusOr<DatasetRow> InsertDataset(const DatasetRow& row, const RequestKey& request_id,
                                           const AuditEntry& audit) override;
  absl::StatusOr<std::optional<DatasetRow>> GetDataset(const std::string& dataset_id) override;
  absl::StatusOr<std::vector<DatasetRow>> ListDatasets(const std::string& after_id, int limit,
                                                       const ProjectScope& scope) override;
  absl::StatusOr<DatasetRow> UpdateDatasheet(const std::string& dataset_id, const std::string& datasheet_json,
                                             int64_t expected_revision, int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<DatasetVersionRow> InsertVersion(const DatasetVersionRow& row, const std::vector<ItemRow>& items,
                                                  const std::vector<ItemLinkRow>& links,
                                                  const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                                  const AuditEntry& audit) override;
  absl::StatusOr<std::optional<DatasetVersionRow>> GetVersion(const std::string& dataset_id, int64_t version) override;
  absl::StatusOr<std::vector<DatasetVersionRow>> ListVersions(const std::string& dataset_id, int64_t before,
                                                              int limit) override;
  absl::StatusOr<std::vector<ItemRow>> ListItems(const std::string& version_uid, const ParsedFilter& filter,
                                                 const std::string& after_path, int limit) override;
  absl::StatusOr<std::vector<ItemRow>> AllItems(const std::string& version_uid) override;
  absl::StatusOr<std::optional<ItemRow>> GetItem(const std::string& version_uid, const std::string& path) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
