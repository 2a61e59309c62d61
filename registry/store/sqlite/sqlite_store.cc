#include "registry/store/sqlite/sqlite_store.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/migrations.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

SqliteStore::ReaderLease::~ReaderLease() {
  if (!db_) return;
  absl::MutexLock lock(&store_->readers_mu_);
  store_->idle_readers_.push_back(std::move(db_));
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(Options options) {
  if (!options.now_micros) {
    options.now_micros = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(options)));
  FT_RETURN_IF_ERROR(store->Init());
  return store;
}

SqliteStore::~SqliteStore() {
  absl::MutexLock lock(&writer_mu_);
  if (writer_) (void)writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

absl::Status SqliteStore::Init() {
  absl::MutexLock lock(&writer_mu_);
  FT_ASSIGN_OR_RETURN(writer_, Db::Open(options_.path));
  FT_RETURN_IF_ERROR(sqlite::MigrateTo(writer_.get(), sqlite::HeadSchemaVersion()));
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      writer_->Prepare("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  audit_head_ =
      row ? std::make_pair(q->Int(0), q->Text(1)) : std::make_pair(int64_t{0}, std::string(kAuditGenesisHash));
  q->Reset();
  absl::MutexLock rlock(&readers_mu_);
  for (int i = 0; i < options_.reader_connections; ++i) {
    FT_ASSIGN_OR_RETURN(auto reader, Db::Open(options_.path));
    idle_readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

SqliteStore::ReaderLease SqliteStore::AcquireReader() {
  absl::MutexLock lock(&readers_mu_);
  readers_mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<Db>>* v) { return !v->empty(); }, &idle_readers_));
  std::unique_ptr<Db> db = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReaderLease(this, std::move(db));
}

absl::StatusOr<std::vector<bool>> SqliteStore::HasBlobs(absl::Span<const Digest> digests) {
  ReaderLease db = AcquireReader();
  // One read transaction for all lookups: in autocommit mode SQLite would
  // take and drop its file lock (two fcntl calls) around every statement.
  FT_ASSIGN_OR_RETURN(sqlite::ReadTransaction txn, sqlite::ReadTransaction::Begin(db.get()));
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT 1 FROM blobs WHERE sha256 = ? AND size_bytes = ?"));
  std::vector<bool> out;
  out.reserve(digests.size());
  for (const Digest& d : digests) {
    q->Reset();
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, d.sha256).Bind(2, d.size_bytes).Step());
    out.push_back(row);
  }
  q->Reset();
  return out;
}

absl::StatusOr<std::optional<BlobRow>> SqliteStore::GetBlob(const Digest& digest) {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT b.create_time, t.sha256 IS NOT NULL, coalesce(b.pack, ''), "
                                            "coalesce(b.pack_offset, 0) FROM blobs b LEFT JOIN trees t "
                                            "ON t.sha256 = b.sha256 AND t.size_bytes = b.size_bytes "
                                            "WHERE b.sha256 = ? AND b.size_bytes = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Step());
  if (!row) return std::nullopt;
  BlobRow out{digest, q->Int(0), q->Int(1) != 0, BlobLocation{q->Text(2), q->Int(3)}};
  q->Reset();
  return out;
}

absl::Status SqliteStore::AppendAuditInTxn(const AuditEntry& audit, std::pair<int64_t, std::string>* head) {
  // Every new record is version 2: its fields are clipped by code point and
  // escaped into valid UTF-8 here, the one place records are made, so no
  // request byte can make the log unreadable.
  AuditRecord r;
  r.version = kAuditCurrentVersion;
  r.sequence = head->first + 1;
  r.time_micros = options_.now_micros();
  r.entry = EncodeAuditEntryV2(audit);
  r.previous_hash = head->second;
  r.hash = AuditRecordHash(r);
  FT_ASSIGN_OR_RETURN(Stmt * ins,
                      writer_->Prepare("INSERT INTO audit_log (sequence, time_micros, principal, method, resource, "
                                       "request_sha256, result, previous_hash, hash, version, state_digest) "
                                       "VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
  FT_RETURN_IF_ERROR(ins->Bind(1, r.sequence)
                         .Bind(2, r.time_micros)
                         .Bind(3, r.entry.principal)
                         .Bind(4, r.entry.method)
                         .Bind(5, r.entry.resource)
                         .Bind(6, r.entry.request_sha256)
                         .Bind(7, r.entry.result)
                         .Bind(8, r.previous_hash)
                         .Bind(9, r.hash)
                         .Bind(10, int64_t{r.version})
                         .Bind(11, r.state_digest)
                         .Run());
  *head = {r.sequence, r.hash};
  return absl::OkStatus();
}

namespace {

constexpr size_t kMaxGroup = 256;

struct WaitArgs {
  const bool* done;
  const bool* leader_active;
};
bool DoneOrNoLeader(WaitArgs* a) { return *a->done || !*a->leader_active; }

}  // namespace

absl::Status SqliteStore::WriteWithAudit(AuditEntry audit, const std::function<absl::Status(Db*, AuditEntry&)>& fn) {
  PendingWrite me{std::move(audit), &fn};
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&me);
    WaitArgs args{&me.done, &leader_active_};
    queue_mu_.Await(absl::Condition(&DoneOrNoLeader, &args));
    if (me.done) return me.status;
    leader_active_ = true;  // this thread leads until its own write is done
  }
  while (true) {
    std::vector<PendingWrite*> batch;
    {
      absl::MutexLock lock(&queue_mu_);
      while (!queue_.empty() && batch.size() < kMaxGroup) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    {
      absl::MutexLock lock(&writer_mu_);
      RunGroup(batch);
    }
    absl::MutexLock lock(&queue_mu_);
    for (PendingWrite* w : batch) w->done = true;
    if (me.done) {
      leader_active_ = false;  // a waiting writer takes over the queue
      return me.status;
    }
  }
}

namespace {

// One write's function; an exception becomes INTERNAL (the savepoint is then
// rolled back like for any failed write).
absl::Status RunWriteFn(const std::function<absl::Status(Db*, AuditEntry&)>& fn, Db* db, AuditEntry& audit) {
  try {
    return fn(db, audit);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("write failed with an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("write failed with an exception");
  }
}

}  // namespace

void SqliteStore::RunGroup(const std::vector<PendingWrite*>& batch) {
  // Nothing of the group commits: every write of it fails with `s`. (The
  // transaction object rolls back when it goes out of scope.)
  auto fail_all = [&](const absl::Status& s) {
    for (PendingWrite* w : batch) w->status = s;
  };
  try {
    auto txn = sqlite::Transaction::Begin(writer_.get());
    if (!txn.ok()) return fail_all(txn.status());
    std::pair<int64_t, std::string> head = audit_head_;
    for (PendingWrite* w : batch) {
      if (absl::Status sp = writer_->Exec("SAVEPOINT write"); !sp.ok()) return fail_all(sp);
      std::pair<int64_t, std::string> next = head;
      absl::Status s = RunWriteFn(*w->fn, writer_.get(), w->audit);
      if (s.ok()) s = AppendAuditInTxn(w->audit, &next);
      if (s.ok()) {
        if (absl::Status rel = writer_->Exec("RELEASE write"); !rel.ok()) {
          return fail_all(absl::InternalError(absl::StrCat("cannot release a write's savepoint: ", rel.message())));
        }
        head = std::move(next);
      } else {
        // A failed write must leave nothing: when its savepoint cannot be
        // undone, what it did may be in the transaction, so the whole group
        // is abandoned rather than committed with part of a failed write.
        absl::Status undo = writer_->Exec("ROLLBACK TO write");
        if (undo.ok()) undo = writer_->Exec("RELEASE write");
        if (!undo.ok()) {
          return fail_all(absl::InternalError(
              absl::StrCat("cannot roll back a failed write (", s.message(), "): ", undo.message())));
        }
      }
      w->status = s;
    }
    absl::Status committed = txn->Commit();
    if (!committed.ok()) {
      for (PendingWrite* w : batch) {
        if (w->status.ok()) w->status = committed;
      }
      return;
    }
    audit_head_ = std::move(head);
  } catch (...) {
    fail_all(absl::InternalError("the write group failed with an exception; nothing of it was committed"));
  }
}

absl::Status SqliteStore::CommitBlobs(absl::Span<const StoredBlob> blobs, const AuditEntry& audit) {
  int64_t now = options_.now_micros();
  return WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT OR IGNORE INTO blobs (sha256, size_bytes, "
                                                "create_time, pack, pack_offset) "
                                                "VALUES (?, ?, ?, ?, ?)"));
    for (const StoredBlob& b : blobs) {
      ins->Reset();
      ins->Bind(1, b.digest.sha256).Bind(2, b.digest.size_bytes).Bind(3, now);
      if (b.location.packed()) {
        ins->Bind(4, b.location.pack).Bind(5, b.location.pack_offset);
      } else {
        ins->BindNull(4).BindNull(5);
      }
      FT_RETURN_IF_ERROR(ins->Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<TreeRow>> SqliteStore::GetTree(const Digest& digest) {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT entry_count, total_size_bytes, create_time "
                                            "FROM trees WHERE sha256 = ? AND size_bytes = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Step());
  if (!row) return std::nullopt;
  TreeRow out{digest, q->Int(0), q->Int(1), q->Int(2)};
  q->Reset();
  return out;
}

absl::Status SqliteStore::InsertTreeIndex(Db* db, const Digest& tree, absl::Span<const TreeIndexPoint> points) {
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT OR IGNORE INTO tree_page_index (tree_sha256, tree_size, "
                                              "entry, byte_offset) VALUES (?, ?, ?, ?)"));
  for (const TreeIndexPoint& p : points) {
    ins->Reset();
    FT_RETURN_IF_ERROR(
        ins->Bind(1, tree.sha256).Bind(2, tree.size_bytes).Bind(3, p.entry).Bind(4, p.byte_offset).Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::PutTreeIndex(const Digest& tree, absl::Span<const TreeIndexPoint> points) {
  // Derived data (recomputable from the manifest): written without an audit
  // record, in its own transaction on the writer.
  absl::MutexLock lock(&writer_mu_);
  FT_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(writer_.get()));
  FT_RETURN_IF_ERROR(InsertTreeIndex(writer_.get(), tree, points));
  return txn.Commit();
}

absl::StatusOr<std::optional<TreeIndexPoint>> SqliteStore::TreeIndexPointAtOrBefore(const Digest& tree, int64_t entry) {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT entry, byte_offset FROM tree_page_index "
                                            "WHERE tree_sha256 = ? AND tree_size = ? AND entry <= ? "
                                            "ORDER BY entry DESC LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, tree.sha256).Bind(2, tree.size_bytes).Bind(3, entry).Step());
  if (!row) return std::nullopt;
  TreeIndexPoint out{q->Int(0), q->Int(1)};
  q->Reset();
  return out;
}

absl::Status SqliteStore::CommitTree(const Digest& digest, absl::Span<const TreeEntry> entries,
                                     const AuditEntry& audit) {
  int64_t now = options_.now_micros();
  int64_t total = 0;
  for (const TreeEntry& e : entries) total += e.digest.size_bytes;
  return WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * exists, db->Prepare("SELECT 1 FROM trees WHERE sha256 = ? AND size_bytes = ?"));
    FT_ASSIGN_OR_RETURN(bool found, exists->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Step());
    exists->Reset();
    if (found) return absl::OkStatus();
    FT_ASSIGN_OR_RETURN(Stmt * tree, db->Prepare("INSERT INTO trees (sha256, size_bytes, entry_count, "
                                                 "total_size_bytes, create_time) VALUES (?, ?, ?, ?, ?)"));
    absl::Status s = tree->Bind(1, digest.sha256)
                         .Bind(2, digest.size_bytes)
                         .Bind(3, static_cast<int64_t>(entries.size()))
                         .Bind(4, total)
                         .Bind(5, now)
                         .Run();
    if (absl::IsFailedPrecondition(s)) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("tree manifest blob ", digest.ToString(), " is not stored"))
          .Reason("MISSING_BLOBS")
          .Precondition("MISSING_BLOB", BlobResourceName(digest), "the manifest blob is not stored");
    }
    FT_RETURN_IF_ERROR(s);
    FT_RETURN_IF_ERROR(InsertTreeIndex(db, digest, TreeIndexPoints(entries)));
    FT_ASSIGN_OR_RETURN(Stmt * ref, db->Prepare("INSERT OR IGNORE INTO tree_refs (tree_sha256, "
                                                "tree_size, blob_sha256, blob_size) "
                                                "VALUES (?, ?, ?, ?)"));
    for (const TreeEntry& e : entries) {
      ref->Reset();
      absl::Status rs = ref->Bind(1, digest.sha256)
                            .Bind(2, digest.size_bytes)
                            .Bind(3, e.digest.sha256)
                            .Bind(4, e.digest.size_bytes)
                            .Run();
      if (absl::IsFailedPrecondition(rs)) {
        return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("blob ", e.digest.ToString(), " of \"", e.path, "\" is not stored"))
            .Reason("MISSING_BLOBS")
            .Precondition("MISSING_BLOB", BlobResourceName(e.digest), e.path);
      }
      FT_RETURN_IF_ERROR(rs);
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::AppendAudit(const AuditEntry& audit) {
  return WriteWithAudit(audit, [](Db*, AuditEntry&) { return absl::OkStatus(); });
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(int64_t after_sequence, int limit) {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare("SELECT sequence, time_micros, principal, method, resource, "
                                  "request_sha256, result, previous_hash, hash, version, state_digest FROM audit_log "
                                  "WHERE sequence > ? ORDER BY sequence LIMIT ?"));
  q->Bind(1, after_sequence).Bind(2, int64_t{limit});
  return sqlite::CollectRows<AuditRecord>(q, [](Stmt* r) {
    AuditRecord a;
    a.sequence = r->Int(0);
    a.time_micros = r->Int(1);
    a.entry = {r->Text(2), r->Text(3), r->Text(4), r->Text(5), r->Text(6)};
    a.previous_hash = r->Text(7);
    a.hash = r->Text(8);
    a.version = static_cast<int>(r->Int(9));
    a.state_digest = r->Text(10);
    return a;
  });
}

absl::Status SqliteStore::ForEachBlob(const std::function<absl::Status(const BlobRow&)>& fn) {
  // Pages by primary key so that no statement stays open across callbacks.
  Digest after{"", -1};
  while (true) {
    std::vector<BlobRow> page;
    {
      ReaderLease db = AcquireReader();
      FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT b.sha256, b.size_bytes, b.create_time, t.sha256 IS NOT NULL, "
                                                "coalesce(b.pack, ''), coalesce(b.pack_offset, 0) FROM blobs b LEFT "
                                                "JOIN trees t ON t.sha256 = b.sha256 AND "
                                                "t.size_bytes = b.size_bytes WHERE (b.sha256, b.size_bytes) > (?, ?) "
                                                "ORDER BY b.sha256, b.size_bytes LIMIT 1000"));
      q->Bind(1, after.sha256).Bind(2, after.size_bytes);
      while (true) {
        FT_ASSIGN_OR_RETURN(bool row, q->Step());
        if (!row) break;
        page.push_back(
            BlobRow{Digest{q->Text(0), q->Int(1)}, q->Int(2), q->Int(3) != 0, BlobLocation{q->Text(4), q->Int(5)}});
      }
      q->Reset();
    }
    if (page.empty()) return absl::OkStatus();
    for (const BlobRow& b : page) FT_RETURN_IF_ERROR(fn(b));
    after = page.back().digest;
  }
}

absl::StatusOr<int64_t> SqliteStore::CountTreeReferences() {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT count(*) FROM tree_refs"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  int64_t n = row ? q->Int(0) : 0;
  q->Reset();
  return n;
}

absl::StatusOr<std::vector<DanglingReference>> SqliteStore::DanglingTreeReferences(int limit) {
  ReaderLease db = AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT r.tree_sha256, r.tree_size, r.blob_sha256, r.blob_size "
                                            "FROM tree_refs r LEFT JOIN blobs b ON b.sha256 = r.blob_sha256 AND "
                                            "b.size_bytes = r.blob_size WHERE b.sha256 IS NULL LIMIT ?"));
  q->Bind(1, int64_t{limit});
  return sqlite::CollectRows<DanglingReference>(q, [](Stmt* r) {
    return DanglingReference{Digest{r->Text(0), r->Int(1)}, Digest{r->Text(2), r->Int(3)}};
  });
}

}  // namespace fairtrace
