// The SQLite ExperimentStore (experiment_store.h). Borrows the database.
// Thread-safe.
#pragma once

#include "registry/store/experiment_store.h"
#include "registry/store/sqlite/sqlite_database.h"

namespace fairtrace {

class SqliteExperimentStore final : public ExperimentStore {
 public:
  explicit SqliteExperimentStore(SqliteDatabase* db) : db_(db) {}
  absl::StatusOr<ExperimentRow> InsertExperiment(ExperimentRow row, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<ExperimentRow>> GetExperiment(int64_t experiment_id) override;
  absl::StatusOr<std::optional<ExperimentRow>> GetActiveExperimentByName(const std::string& name) override;
  absl::StatusOr<std::vector<ExperimentRow>> ListExperiments(const ExperimentQuery& query,
                                                             const ProjectScope& scope) override;
  absl::StatusOr<ExperimentRow> UpdateExperiment(const ExperimentRow& row, const AuditEntry& audit) override;

 private:
  SqliteDatabase* db_;
};

}  // namespace fairtrace
