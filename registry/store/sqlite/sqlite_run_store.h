// The SQLite RunStore (run_store.h): runs, params, metrics, lineage edges.
// Borrows the database, which must outlive it. Thread-safe. See
// registry/store/run_store.h for the contract of each method.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/store/run_store.h"
#include "registry/store/sqlite/sqlite_database.h"
#include "registry/store/sqlite/sqlite_model_store.h"

namespace fairtrace {

class SqliteRunStore final : public RunStore {
 public:
  explicit SqliteRunStore(SqliteDatabase* db, SqliteModelStore* models) : db_(db), models_(models) {}

  absl::StatusOr<std::optional<ModelVersionRow>> InsertRun(const RunWrite& write, const RequestKey& request_id,
                                                           const AuditEntry& audit) override;
  absl::StatusOr<std::optional<RunRow>> GetRun(const std::string& run_id) override;
  absl::StatusOr<std::vector<RunRow>> ListRuns(const ParsedFilter& filter, const RunCursor& cursor, int limit,
                                               const ProjectScope& scope) override;
  absl::StatusOr<RunRow> UpdateRun(const RunRow& row, int64_t expected_revision, int64_t now, const AuditEntry& audit,
                                   const std::vector<EdgeRow>& edges = {}) override;
  absl::Status LogParams(const std::string& run_id, const std::vector<std::pair<std::string, std::string>>& params,
                         const AuditEntry& audit) override;
  absl::Status LogMetrics(const std::string& run_id, const std::vector<MetricRow>& metrics,
                          const AuditEntry& audit) override;
  absl::Status AddEdges(const std::string& run_id, const std::vector<EdgeRow>& edges, const AuditEntry& audit) override;
  absl::Status RecordArtifacts(const std::string& run_id, const std::vector<ArtifactRow>& changes, int64_t now,
                               const AuditEntry& audit) override;
  absl::StatusOr<std::vector<ArtifactRow>> CurrentArtifacts(const std::string& run_id) override;
  absl::StatusOr<std::vector<ArtifactChangeRow>> ArtifactChanges(const std::string& run_id, int64_t after_seq,
                                                                 int limit) override;
  absl::Status LogBatch(const std::string& run_id, const std::vector<std::pair<std::string, std::string>>& params,
                        const std::vector<MetricRow>& metrics, const std::optional<TagsWrite>& tags, int64_t now,
                        const AuditEntry& audit) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetParams(const std::string& run_id) override;
  absl::StatusOr<std::vector<MetricRow>> LatestMetrics(const std::string& run_id) override;
  absl::StatusOr<std::vector<MetricRow>> MetricHistory(const std::string& run_id, const std::string& key,
                                                       const MetricCursor& after, int limit) override;
  absl::StatusOr<std::vector<EdgeRow>> EdgesOf(const std::string& node) override;
  absl::StatusOr<std::vector<EdgeRow>> Lineage(const std::string& node, bool upstream, int max_depth, int limit,
                                               bool* truncated) override;

 private:
  SqliteDatabase* db_;
  SqliteModelStore* models_;  // a run may create its output model version
};

}  // namespace fairtrace
