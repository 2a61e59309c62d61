// The SQLite database every SQLite store shares (sqlite_store.h,
// sqlite_model_store.h, sqlite_run_store.h, sqlite_investigation_store.h):
// one writer connection and a pool of reader connections, so reads run
// concurrently with writes under WAL.
//
// Group commit: concurrent writes queue up; one of the writing threads (the
// leader) runs every queued write in one BEGIN IMMEDIATE transaction, each
// inside its own SAVEPOINT (a failing write rolls back alone and gets its own
// error), appends their audit records in order, and commits once: one fsync
// for the group instead of one per write. A write returns only after the
// commit that holds it is durable. A leader whose own write is done hands
// the queue to the oldest waiting writer, waking that one thread only.
//
// Open() creates the database file if needed and migrates it to the head
// schema. Thread-safe. Errors: UNAVAILABLE when the file cannot be opened,
// FAILED_PRECONDITION for a schema newer than the binary, INTERNAL for
// database failures.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_record.h"
#include "common/audit/merkle.h"
#include "common/fs/env.h"
#include "registry/store/model_store.h"
#include "registry/store/run_store.h"
#include "registry/store/sqlite/db.h"
#include "registry/store/store.h"

namespace fairtrace {

// The method named by the anchor records of AnchorResourceStates.
inline constexpr char kStateAnchorMethod[] = "fairtrace-server/AnchorState";

class SqliteDatabase {
 public:
  struct Options {
    std::string path;
    int reader_connections = 4;
    // Clock for create times and audit records; defaults to the system clock.
    std::function<int64_t()> now_micros;
    // When set, every write and sync of the database goes through this
    // Env's hook (env_vfs.h), for fault-injection tests; it must live as
    // long as the process.
    fs::Env* env = nullptr;
  };

  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(Options options);
  ~SqliteDatabase();

  int64_t now_micros() const { return options_.now_micros(); }

  // A reader connection borrowed from the pool; returned on destruction.
  class ReaderLease {
   public:
    ReaderLease(SqliteDatabase* owner, std::unique_ptr<sqlite::Db> db) : owner_(owner), db_(std::move(db)) {}
    ReaderLease(ReaderLease&&) = default;
    ~ReaderLease();
    sqlite::Db* operator->() { return db_.get(); }
    sqlite::Db* get() { return db_.get(); }

   private:
    SqliteDatabase* owner_;
    std::unique_ptr<sqlite::Db> db_;
  };
  // Blocks until a reader is idle.
  ReaderLease AcquireReader();

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

  // Runs `fn` in a transaction of its own on the writer, without an audit
  // record: only for derived data that can be recomputed (a tree's page
  // index) and server configuration (secrets). Committed when `fn`
  // succeeds, rolled back otherwise.
  absl::Status WriteUnaudited(const std::function<absl::Status(sqlite::Db*)>& fn);

  // Request ids (ModelStore::LookupRequestId, shared by every capability).
  absl::StatusOr<std::optional<RequestIdRow>> LookupRequestId(const RequestKey& key);
  // Records a request id inside the writer's open transaction (in a
  // WriteWithAudit function); ALREADY_EXISTS (REQUEST_ID_USED) when taken.
  absl::Status InsertRequestId(sqlite::Db* db, const RequestKey& request_id, const AuditEntry& audit);
  // Lineage edges inside the writer's open transaction (duplicates ignored:
  // an edge keeps its first origin). `origin` names the resource whose call
  // made them; the edges enter its state document (resource_state.h).
  absl::Status InsertEdgesInTxn(sqlite::Db* db, const std::vector<EdgeRow>& edges, int64_t now,
                                const std::string& origin);
  // ModelStore::GetOrCreateSecret: not audited (server configuration).
  absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name, const std::function<std::string()>& make);

  // Audit records with sequence > after_sequence, ascending, at most
  // `limit`, read on `db` (a reader, or the writer inside a write).
  static absl::StatusOr<std::vector<AuditRecord>> ReadAuditRecords(sqlite::Db* db, int64_t after_sequence,
                                                                   int64_t limit);

  // Store::CheckResourceStates.
  absl::StatusOr<int64_t> CheckResourceStates(const std::function<void(Store::StateProblem)>& problem);
  // Store::ListResourceStates.
  absl::Status ListResourceStates(const std::function<absl::Status(int64_t)>& begin,
                                  const std::function<absl::Status(const std::string&, const std::string&)>& each);

  // The Merkle tree over the audit log (Store::AuditTreeHead and the
  // proofs): the size and root of the last committed tree, and the root of
  // a stored perfect subtree (DATA_LOSS when it is missing).
  std::pair<int64_t, MerkleHash> AuditTreeHead();
  absl::StatusOr<MerkleHash> AuditMerkleNode(sqlite::Db* db, int level, int64_t index);

 private:
  explicit SqliteDatabase(Options options) : options_(std::move(options)) {}
  absl::Status Init();
  // Appends inside the writer's open transaction; updates the cached head
  // only through `head`, which the caller publishes after commit.
  struct AuditHead {
    int64_t sequence = 0;
    std::string hash;
    MerkleFrontier tree;  // the Merkle tree's right edge, tree.size() == sequence
  };
  absl::Status AppendAuditInTxn(const AuditEntry& audit, std::string state_digest, AuditHead* head)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // A write's records: one for `audit.resource` and one per
  // `audit.also_changed`, each with its resource's state digest.
  absl::Status AppendRecordsOfWrite(const AuditEntry& audit, AuditHead* head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::StatusOr<std::string> StateDigestInTxn(const AuditEntry& audit, const std::string& resource)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Adds the record's leaf to `head->tree` and stores every node it completes.
  absl::Status AppendMerkleLeafInTxn(const AuditRecord& r, AuditHead* head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Once per database: fills the metrics chains of runs logged before
  // state digests existed and appends one anchor record (principal
  // "fairtrace-server", method kStateAnchorMethod) carrying the state digest
  // of every resource stored then. Edits made before the anchors cannot be
  // detected; every later one can.
  absl::Status AnchorResourceStates() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Hashes records appended before the Merkle table existed into it.
  absl::Status BackfillMerkle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  void PublishHead(AuditHead head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);

  Options options_;
  // A write waiting for (or done by) a group commit.
  struct PendingWrite {
    AuditEntry audit;
    const std::function<absl::Status(sqlite::Db*, AuditEntry&)>* fn;
    absl::Status status;
    bool done = false;
    bool lead = false;  // handed leadership of the queue by the last leader
  };
  // Runs `batch` in one transaction on the writer (writer_mu_ held).
  void RunGroup(const std::vector<PendingWrite*>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);

  absl::Mutex queue_mu_;
  std::deque<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  // A thread leads (or has been handed leadership); false: the next
  // writer to arrive leads.
  bool leader_active_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex writer_mu_;
  std::unique_ptr<sqlite::Db> writer_ ABSL_GUARDED_BY(writer_mu_);
  // Sequence, hash and Merkle frontier of the last committed audit record.
  AuditHead audit_head_ ABSL_GUARDED_BY(writer_mu_);
  // The tree head readers see, published after each commit (a separate
  // lock, so a reader never waits for a commit's fsync).
  absl::Mutex tree_head_mu_;
  std::pair<int64_t, MerkleHash> tree_head_ ABSL_GUARDED_BY(tree_head_mu_);

  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::Db>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace fairtrace
