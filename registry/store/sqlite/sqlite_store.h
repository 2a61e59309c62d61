// The embedded SQLite Store (the default). One writer connection and a pool
// of reader connections, so reads run concurrently with writes under WAL.
//
// Group commit: concurrent writes queue up; one of the writing threads (the
// leader) runs every queued write in one BEGIN IMMEDIATE transaction, each
// inside its own SAVEPOINT (a failing write rolls back alone and gets its own
// error), appends their audit records in order, and commits once: one fsync
// for the group instead of one per write. A write returns only after the
// commit that holds it is durable.
//
// Open() creates the database file if needed and migrates it to the head
// schema. Thread-safe. See store.h for the contract.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/sqlite/db.h"
#include "registry/store/store.h"

namespace fairtrace {

class SqliteStore : public Store, public ModelStore, public RunStore, public InvestigationStore {
 public:
  struct Options {
    std::string path;
    int reader_connections = 4;
    // Clock for create times and audit records; defaults to the system clock.
    std::function<int64_t()> now_micros;
  };

  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(Options options);
  ~SqliteStore() override;

  absl::StatusOr<std::vector<bool>> HasBlobs(absl::Span<const Digest> digests) override;
  absl::StatusOr<std::optional<BlobRow>> GetBlob(const Digest& digest) override;
  absl::Status CommitBlobs(absl::Span<const StoredBlob> blobs, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<TreeRow>> GetTree(const Digest& digest) override;
  absl::Status PutTreeIndex(const Digest& tree, absl::Span<const TreeIndexPoint> points) override;
  absl::StatusOr<std::optional<TreeIndexPoint>> TreeIndexPointAtOrBefore(const Digest& tree, int64_t entry) override;
  absl::Status CommitTree(const Digest& digest, absl::Span<const TreeEntry> entries, const AuditEntry& audit) override;
  absl::Status AppendAudit(const AuditEntry& audit) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) override;
  absl::Status ForEachBlob(const std::function<absl::Status(const BlobRow&)>& fn) override;
  absl::StatusOr<int64_t> CountTreeReferences() override;
  absl::StatusOr<std::vector<DanglingReference>> DanglingTreeReferences(int limit) override;

  // ModelStore (sqlite_model_store.cc)
  absl::StatusOr<std::optional<RequestIdRow>> LookupRequestId(const RequestKey& key) override;
  absl::Status InsertRegisteredModel(const RegisteredModelRow& row, const RequestKey& request_id,
                                     const AuditEntry& audit) override;
  absl::StatusOr<std::optional<RegisteredModelRow>> GetRegisteredModel(const std::string& model_id) override;
  absl::StatusOr<std::vector<RegisteredModelRow>> ListRegisteredModels(const std::string& after_model_id, int limit,
                                                                       bool show_deleted) override;
  absl::StatusOr<RegisteredModelRow> SoftDeleteRegisteredModel(const std::string& model_id, int64_t expected_revision,
                                                               bool force, int64_t now,
                                                               const AuditEntry& audit) override;
  absl::StatusOr<ModelVersionRow> InsertModelVersion(const ModelVersionRow& row, const RequestKey& request_id,
                                                     const AuditEntry& audit) override;
  absl::StatusOr<std::optional<ModelVersionRow>> GetModelVersion(const std::string& model_id, int64_t version) override;
  absl::StatusOr<std::vector<ModelVersionRow>> ListModelVersions(const std::string& model_id,
                                                                 const ParsedFilter& filter, int64_t after_version,
                                                                 int limit) override;
  absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name,
                                                const std::function<std::string()>& make) override;
  absl::StatusOr<RegisteredModelRow> UpdateRegisteredModel(const RegisteredModelRow& row, int64_t expected_revision,
                                                           int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<ModelVersionRow> UpdateModelVersion(const ModelVersionRow& row, int64_t expected_revision, int64_t now,
                                                     const AuditEntry& audit) override;
  absl::StatusOr<RegisteredModelRow> SetAlias(const std::string& model_id, const std::string& alias, int64_t version,
                                              int64_t now, const AuditEntry& audit) override;
  absl::StatusOr<RegisteredModelRow> DeleteAlias(const std::string& model_id, const std::string& alias, int64_t now,
                                                 const AuditEntry& audit) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ListAliases(const std::string& model_id) override;

  // RunStore (sqlite_run_store.cc)
  absl::StatusOr<std::optional<ModelVersionRow>> InsertRun(const RunWrite& write, const RequestKey& request_id,
                                                           const AuditEntry& audit) override;
  absl::StatusOr<std::optional<RunRow>> GetRun(const std::string& run_id) override;
  absl::StatusOr<std::vector<RunRow>> ListRuns(const ParsedFilter& filter, const RunCursor& cursor, int limit) override;
  absl::StatusOr<RunRow> UpdateRun(const RunRow& row, int64_t expected_revision, int64_t now,
                                   const AuditEntry& audit) override;
  absl::Status LogParams(const std::string& run_id, const std::vector<std::pair<std::string, std::string>>& params,
                         const AuditEntry& audit) override;
  absl::Status LogMetrics(const std::string& run_id, const std::vector<MetricRow>& metrics,
                          const AuditEntry& audit) override;
  absl::Status AddEdges(const std::string& run_id, const std::vector<EdgeRow>& edges, const AuditEntry& audit) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> GetParams(const std::string& run_id) override;
  absl::StatusOr<std::vector<MetricRow>> LatestMetrics(const std::string& run_id) override;
  absl::StatusOr<std::vector<MetricRow>> MetricHistory(const std::string& run_id, const std::string& key,
                                                       const MetricCursor& after, int limit) override;
  absl::StatusOr<std::vector<EdgeRow>> EdgesOf(const std::string& node) override;
  absl::StatusOr<std::vector<EdgeRow>> Lineage(const std::string& node, bool upstream, int max_depth, int limit,
                                               bool* truncated) override;

  // InvestigationStore (sqlite_experiment_store.cc)
  absl::StatusOr<RevisionRow> InsertRevision(const RevisionRow& revision, const std::string& new_uid,
                                             int64_t expected_latest, const std::vector<EntityRow>& entities,
                                             const RequestKey& request_id, const AuditEntry& audit) override;
  absl::StatusOr<std::optional<InvestigationRow>> GetInvestigation(const std::string& investigation_id) override;
  absl::StatusOr<std::vector<InvestigationRow>> ListInvestigations(const std::string& after_id, int limit) override;
  absl::StatusOr<std::optional<RevisionRow>> GetRevision(const std::string& investigation_id,
                                                         int64_t revision) override;
  absl::StatusOr<std::optional<EntityRow>> GetEntity(const std::string& investigation_id, int64_t revision,
                                                     const std::string& section, const std::string& entity_id) override;
  absl::StatusOr<std::vector<EntityRow>> ListEntities(const std::string& investigation_id, int64_t revision,
                                                      const std::string& section, int64_t after_seq,
                                                      int limit) override;

  // The group-commit primitive every write goes through (public so that
  // tests can inject faults): runs `fn` inside a savepoint of a shared
  // BEGIN IMMEDIATE ... COMMIT on the writer, then appends the audit record
  // in the same savepoint. `fn` may complete the audit entry (e.g. with a
  // resource name known only inside the transaction). A failed `fn` (error
  // or exception, which becomes INTERNAL) leaves nothing of itself; when the
  // savepoint cannot be rolled back or released, or the commit fails, every
  // write of the group fails and nothing of the group is committed. Never
  // leaves later writers waiting.
  absl::Status WriteWithAudit(AuditEntry audit, const std::function<absl::Status(sqlite::Db*, AuditEntry&)>& fn);

 private:
  // A reader connection borrowed from the pool; returned on destruction.
  class ReaderLease {
   public:
    ReaderLease(SqliteStore* store, std::unique_ptr<sqlite::Db> db) : store_(store), db_(std::move(db)) {}
    ReaderLease(ReaderLease&&) = default;
    ~ReaderLease();
    sqlite::Db* operator->() { return db_.get(); }
    sqlite::Db* get() { return db_.get(); }

   private:
    SqliteStore* store_;
    std::unique_ptr<sqlite::Db> db_;
  };
  explicit SqliteStore(Options options) : options_(std::move(options)) {}
  absl::Status Init();
  ReaderLease AcquireReader();
  // Records a request id inside the writer's open transaction.
  absl::Status InsertRequestId(sqlite::Db* db, const RequestKey& request_id, const AuditEntry& audit);
  // Inserts a model version (next number) with its lineage edges inside
  // the writer's open transaction; fills out->version.
  absl::Status InsertModelVersionInTxn(sqlite::Db* db, ModelVersionRow* out, const RequestKey& request_id,
                                       AuditEntry& audit);
  absl::Status InsertEdgesInTxn(sqlite::Db* db, const std::vector<EdgeRow>& edges, int64_t now);
  static absl::Status InsertTreeIndex(sqlite::Db* db, const Digest& tree, absl::Span<const TreeIndexPoint> points);
  // Appends inside the writer's open transaction; updates the cached head
  // only through `pending_head`, which the caller publishes after commit.
  absl::Status AppendAuditInTxn(const AuditEntry& audit, std::pair<int64_t, std::string>* head);

  Options options_;
  // A write waiting for (or done by) a group commit.
  struct PendingWrite {
    AuditEntry audit;
    const std::function<absl::Status(sqlite::Db*, AuditEntry&)>* fn;
    absl::Status status;
    bool done = false;
  };
  // Runs `batch` in one transaction on the writer (writer_mu_ held).
  void RunGroup(const std::vector<PendingWrite*>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);

  absl::Mutex queue_mu_;
  std::deque<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex writer_mu_;
  std::unique_ptr<sqlite::Db> writer_ ABSL_GUARDED_BY(writer_mu_);
  // Sequence and hash of the last committed audit record.
  std::pair<int64_t, std::string> audit_head_ ABSL_GUARDED_BY(writer_mu_);

  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::Db>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace fairtrace
