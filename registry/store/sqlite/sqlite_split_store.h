// The SQLite SplitStore (split_store.h): splits, assignments and leakage
// reports. Borrows the database, which must outlive it. Thread-safe. See
// registry/store/split_store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/split_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteSplitStore final : public SplitStore {
 public:
  explicit SqliteSplitStore(SqliteDatabase* db) : db_(db) {}

  absl::Status InsertSplit(const SplitRow& row, const std::vector<SplitAssignment>& items,
                           const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                           const AuditEntry& audit) override;
  absl::StatusOr<std::optional<SplitRow>> GetSplit(const std::string& dataset_id, int64_t version,
                                                   const std::string& split_id) override;
  absl::StatusOr<std::vector<SplitRow>> ListSplits(const std::string& dataset_id, int64_t version,
                                                   const std::string& after_id, int limit) override;
  absl::StatusOr<std::vector<std::string>> PartPaths(const std::string& split_uid, const std::string& part,
                                                     const std::string& after_path, int limit) override;
  absl::StatusOr<std::vector<SplitAssignment>> Assignments(const std::string& split_uid) override;
  absl::Status InsertReport(const LeakageReportRow& row, const std::string& name, const std::vector<EdgeRow>& edges,
                            const RequestKey& request_id, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<LeakageReportRow>> GetReport(const std::string& split_uid,
                                                            const std::string& report_id) override;
  absl::StatusOr<std::vector<PerceptualHashRow>> GetHashes(const std::vector<std::string>& blobs) override;
  absl::Status PutHashes(const std::vector<PerceptualHashRow>& rows, const AuditEntry& audit) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
