#include "registry/store/sqlite/sqlite_database.h"

#include <chrono>
#include <iostream>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/audit/state_digest.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/store/migrations.h"
#include "registry/store/sqlite/env_vfs.h"
#include "registry/store/sqlite/resource_state.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

SqliteDatabase::ReaderLease::~ReaderLease() {
  if (!db_) return;
  absl::MutexLock lock(&owner_->readers_mu_);
  owner_->idle_readers_.push_back(std::move(db_));
}

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(Options options) {
  if (!options.now_micros) {
    options.now_micros = [] {
      return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<SqliteDatabase> store(new SqliteDatabase(std::move(options)));
  FT_RETURN_IF_ERROR(store->Init());
  return store;
}

SqliteDatabase::~SqliteDatabase() {
  absl::MutexLock lock(&writer_mu_);
  if (writer_) (void)writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

absl::Status SqliteDatabase::Init() {
  std::string vfs;
  if (options_.env != nullptr) {
    FT_ASSIGN_OR_RETURN(vfs, sqlite::EnvVfsName(options_.env));
  }
  absl::MutexLock lock(&writer_mu_);
  FT_ASSIGN_OR_RETURN(writer_, Db::Open(options_.path, vfs));
  FT_RETURN_IF_ERROR(sqlite::MigrateTo(writer_.get(), sqlite::HeadSchemaVersion()));
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      writer_->Prepare("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  audit_head_.sequence = row ? q->Int(0) : 0;
  audit_head_.hash = row ? q->Text(1) : std::string(kAuditGenesisHash);
  q->Reset();
  FT_RETURN_IF_ERROR(BackfillMerkle());
  FT_RETURN_IF_ERROR(AnchorResourceStates());
  absl::MutexLock rlock(&readers_mu_);
  for (int i = 0; i < options_.reader_connections; ++i) {
    FT_ASSIGN_OR_RETURN(auto reader, Db::Open(options_.path, vfs));
    idle_readers_.push_back(std::move(reader));
  }
  return absl::OkStatus();
}

SqliteDatabase::ReaderLease SqliteDatabase::AcquireReader() {
  absl::MutexLock lock(&readers_mu_);
  readers_mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<Db>>* v) { return !v->empty(); }, &idle_readers_));
  std::unique_ptr<Db> db = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReaderLease(this, std::move(db));
}

absl::StatusOr<std::vector<AuditRecord>> SqliteDatabase::ReadAuditRecords(Db* db, int64_t after_sequence,
                                                                          int64_t limit) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT sequence, time_micros, principal, method, resource, "
                                            "request_sha256, result, previous_hash, hash, version, state_digest "
                                            "FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?"));
  q->Bind(1, after_sequence).Bind(2, limit);
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

absl::Status SqliteDatabase::BackfillMerkle() {
  FT_ASSIGN_OR_RETURN(Stmt * count, writer_->Prepare("SELECT count(*) FROM audit_merkle WHERE level = 0"));
  FT_ASSIGN_OR_RETURN(bool row, count->Step());
  int64_t leaves = row ? count->Int(0) : 0;
  count->Reset();
  Db* writer = writer_.get();  // the lambda runs here, under writer_mu_
  auto nodes = [this, writer](int level, int64_t index) -> absl::StatusOr<MerkleHash> {
    return AuditMerkleNode(writer, level, index);
  };
  FT_ASSIGN_OR_RETURN(MerkleFrontier tree, MerkleFrontier::Load(nodes, leaves));
  AuditHead head{leaves, "", std::move(tree)};
  if (leaves < audit_head_.sequence) {
    FT_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(writer_.get()));
    // In pages: an old log of millions of records is never held in memory.
    while (true) {
      FT_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, ReadAuditRecords(writer_.get(), head.tree.size(), 10'000));
      if (records.empty()) break;
      for (const AuditRecord& a : records) {
        if (a.sequence != head.tree.size() + 1) {
          return ErrorBuilder(absl::StatusCode::kDataLoss,
                              absl::StrCat("audit record ", head.tree.size() + 1,
                                           " is missing; the Merkle tree over the audit log cannot be built (run "
                                           "fairtrace fsck)"))
              .Reason("AUDIT_CHAIN_BROKEN");
        }
        FT_RETURN_IF_ERROR(AppendMerkleLeafInTxn(a, &head));
      }
    }
    FT_RETURN_IF_ERROR(txn.Commit());
  }
  if (head.tree.size() != audit_head_.sequence) {
    return ErrorBuilder(absl::StatusCode::kDataLoss,
                        absl::StrCat("the audit log ends at record ", audit_head_.sequence, " but its Merkle tree has ",
                                     head.tree.size(), " leaves: newer records were removed from the database"))
        .Reason("AUDIT_LOG_TRUNCATED");
  }
  audit_head_.tree = std::move(head.tree);
  PublishHead(audit_head_);
  return absl::OkStatus();
}

absl::Status SqliteDatabase::AnchorResourceStates() {
  FT_ASSIGN_OR_RETURN(Stmt * done, writer_->Prepare("SELECT count(*) FROM state_anchors"));
  FT_ASSIGN_OR_RETURN(bool row, done->Step());
  int64_t anchored = row ? done->Int(0) : 0;
  done->Reset();
  if (anchored > 0) return absl::OkStatus();
  FT_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(writer_.get()));
  Db* db = writer_.get();
  {
    FT_ASSIGN_OR_RETURN(Stmt * runs, db->Prepare("SELECT DISTINCT run_id FROM run_metrics"));
    FT_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        sqlite::CollectRows<std::string>(runs, [](Stmt* r) { return r->Text(0); }));
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE runs SET metrics_chain = ? WHERE run_id = ?"));
    for (const std::string& id : ids) {
      FT_ASSIGN_OR_RETURN(std::string chain, RecomputeMetricsChain(db, id));
      FT_RETURN_IF_ERROR(upd->Bind(1, chain).Bind(2, id).Run());
    }
  }
  std::vector<std::pair<std::string, std::string>> states;  // (name, digest)
  FT_RETURN_IF_ERROR(
      ForEachResourceState(db, StateRead::kStoredChains, [&states](const std::string& name, const std::string& digest) {
        if (digest == kUnreadableState) {
          // fsck reports it (STATE_UNREADABLE); no anchor can vouch for it.
          std::cerr << "fairtrace-server: " << name << " holds text that is not valid UTF-8; not anchored\n";
        } else {
          states.emplace_back(name, digest);
        }
        return absl::OkStatus();
      }));
  AuditHead head = audit_head_;
  const int64_t count = static_cast<int64_t>(states.size());
  for (auto& [name, digest] : states) {
    AuditEntry anchor{"fairtrace-server", kStateAnchorMethod, std::move(name), "", "OK"};
    FT_RETURN_IF_ERROR(AppendAuditInTxn(anchor, std::move(digest), &head));
  }
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO state_anchors (anchored_at_sequence, resource_count, "
                                              "anchor_time) VALUES (?, ?, ?)"));
  FT_RETURN_IF_ERROR(ins->Bind(1, head.sequence).Bind(2, count).Bind(3, options_.now_micros()).Run());
  FT_RETURN_IF_ERROR(txn.Commit());
  PublishHead(std::move(head));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteDatabase::CheckResourceStates(const std::function<void(Store::StateProblem)>& problem) {
  ReaderLease db = AcquireReader();
  // One snapshot: the log and the rows as of the same commit.
  FT_RETURN_IF_ERROR(db->Exec("BEGIN"));
  absl::Cleanup end = [&db] { (void)db->Exec("ROLLBACK"); };
  StateComparison comparison;
  {
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT sequence, resource, state_digest FROM audit_log "
                                              "WHERE state_digest != '' ORDER BY sequence"));
    while (true) {
      FT_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      std::string stored = q->Text(1);
      std::optional<std::string> raw = text::UnescapeText(stored);
      comparison.AddRecord(q->Int(0), raw ? *raw : stored, q->Text(2));
    }
  }
  auto report = [&problem](StateFinding f) {
    problem({std::move(f.kind), std::move(f.resource), std::move(f.detail)});
  };
  int64_t checked = 0;
  FT_RETURN_IF_ERROR(ForEachResourceState(
      db.get(), StateRead::kRecomputeChains, [&](const std::string& name, const std::string& digest) {
        ++checked;
        if (digest == kUnreadableState) {
          report(comparison.Unusable("STATE_UNREADABLE", name,
                                     "its stored text is not valid UTF-8: it was written behind the server's back"));
        } else if (std::optional<StateFinding> f = comparison.CheckStored(name, digest)) {
          report(*std::move(f));
        }
        return absl::OkStatus();
      }));
  for (StateFinding& f : comparison.Vanished()) report(std::move(f));
  // Counters that point at versions are in no state document (other calls
  // move them); they must agree with the versions stored.
  static constexpr const char* kPointers[][2] = {
      {"SELECT 'investigations/' || investigation_id, latest_revision FROM investigations i WHERE latest_revision "
       "!= (SELECT coalesce(max(revision), 0) FROM investigation_revisions r "
       "WHERE r.investigation_id = i.investigation_id)",
       "latest_revision"},
      {"SELECT 'datasets/' || dataset_id, latest_version FROM datasets d WHERE latest_version "
       "!= (SELECT coalesce(max(version), 0) FROM dataset_versions v WHERE v.dataset_id = d.dataset_id)",
       "latest_version"},
      {"SELECT 'models/' || model_id, next_version FROM registered_models m WHERE next_version "
       "<= (SELECT coalesce(max(version), 0) FROM model_versions v WHERE v.model_id = m.model_id)",
       "next_version"},
  };
  for (const auto& [sql, column] : kPointers) {
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(sql));
    while (true) {
      FT_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      problem({"STATE_POINTER_MISMATCH", q->Text(0),
               absl::StrCat(column, " is ", q->Int(1), ", which disagrees with the versions stored")});
    }
  }
  return checked;
}

absl::Status SqliteDatabase::ListResourceStates(
    const std::function<absl::Status(int64_t)>& begin,
    const std::function<absl::Status(const std::string&, const std::string&)>& each) {
  ReaderLease db = AcquireReader();
  FT_RETURN_IF_ERROR(db->Exec("BEGIN"));
  absl::Cleanup end = [&db] { (void)db->Exec("ROLLBACK"); };
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT coalesce(max(sequence), 0) FROM audit_log"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  const int64_t as_of = row ? q->Int(0) : 0;
  q->Reset();
  FT_RETURN_IF_ERROR(begin(as_of));
  return ForEachResourceDocument(db.get(), StateRead::kRecomputeChains, each);
}

absl::StatusOr<MerkleHash> SqliteDatabase::AuditMerkleNode(Db* db, int level, int64_t index) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT hash FROM audit_merkle WHERE level = ? AND idx = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, int64_t{level}).Bind(2, index).Step());
  std::string bytes = row ? q->Blob(0) : "";
  q->Reset();
  MerkleHash h;
  if (bytes.size() != h.size()) {
    return ErrorBuilder(absl::StatusCode::kDataLoss,
                        absl::StrCat("the audit log's Merkle node ", level, "/", index, " is missing or damaged"))
        .Reason("AUDIT_MERKLE_NODE_MISSING");
  }
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::pair<int64_t, MerkleHash> SqliteDatabase::AuditTreeHead() {
  absl::MutexLock lock(&tree_head_mu_);
  return tree_head_;
}

void SqliteDatabase::PublishHead(AuditHead head) {
  audit_head_ = std::move(head);
  std::pair<int64_t, MerkleHash> published{audit_head_.tree.size(), audit_head_.tree.Root()};
  absl::MutexLock lock(&tree_head_mu_);
  tree_head_ = published;
}

absl::Status SqliteDatabase::AppendMerkleLeafInTxn(const AuditRecord& r, AuditHead* head) {
  FT_ASSIGN_OR_RETURN(Stmt * ins, writer_->Prepare("INSERT INTO audit_merkle (level, idx, hash) VALUES (?, ?, ?)"));
  for (const MerkleFrontier::Node& n : head->tree.Append(MerkleLeafHash(AuditCanonicalBytes(r)))) {
    FT_RETURN_IF_ERROR(ins->Bind(1, int64_t{n.level})
                           .Bind(2, n.index)
                           .BindBlob(3, absl::string_view(reinterpret_cast<const char*>(n.hash.data()), n.hash.size()))
                           .Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteDatabase::AppendAuditInTxn(const AuditEntry& audit, std::string state_digest, AuditHead* head) {
  // Every new record is version 2: its fields are clipped by code point and
  // escaped into valid UTF-8 here, the one place records are made, so no
  // request byte can make the log unreadable.
  AuditRecord r;
  r.version = kAuditCurrentVersion;
  r.sequence = head->sequence + 1;
  r.time_micros = options_.now_micros();
  r.entry = EncodeAuditEntryV2(audit);
  r.state_digest = std::move(state_digest);
  r.previous_hash = head->hash;
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
  FT_RETURN_IF_ERROR(AppendMerkleLeafInTxn(r, head));
  head->sequence = r.sequence;
  head->hash = r.hash;
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteDatabase::StateDigestInTxn(const AuditEntry& audit, const std::string& resource) {
  // Only a successful call changed state; a failed one (whose record may
  // name a resource with millions of rows) costs no recomputation.
  if (audit.result != "OK") return std::string();
  // "" for a resource of no stateful kind.
  return ResourceStateDigest(writer_.get(), StateNameOfRecordResource(resource), StateRead::kStoredChains);
}

absl::Status SqliteDatabase::AppendRecordsOfWrite(const AuditEntry& audit, AuditHead* head) {
  FT_ASSIGN_OR_RETURN(std::string digest, StateDigestInTxn(audit, audit.resource));
  FT_RETURN_IF_ERROR(AppendAuditInTxn(audit, std::move(digest), head));
  for (const std::string& other : audit.also_changed) {
    AuditEntry also = audit;
    also.resource = other;
    also.also_changed.clear();
    FT_ASSIGN_OR_RETURN(std::string also_digest, StateDigestInTxn(also, other));
    FT_RETURN_IF_ERROR(AppendAuditInTxn(also, std::move(also_digest), head));
  }
  return absl::OkStatus();
}

namespace {

constexpr size_t kMaxGroup = 256;

// A waiter wakes when its write is done or leadership is handed to it.
struct WaitArgs {
  const bool* done;
  const bool* lead;
};
bool DoneOrLead(WaitArgs* a) { return *a->done || *a->lead; }

}  // namespace

absl::Status SqliteDatabase::WriteWithAudit(AuditEntry audit, const std::function<absl::Status(Db*, AuditEntry&)>& fn) {
  PendingWrite me{std::move(audit), &fn};
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&me);
    if (leader_active_) {
      // Only this writer's own condition wakes it: its write committed by
      // a leader, or leadership handed to it (no herd of waiters woken to
      // compete for it; a context switch is dear on a VM).
      WaitArgs args{&me.done, &me.lead};
      queue_mu_.Await(absl::Condition(&DoneOrLead, &args));
      if (me.done) return me.status;
    } else {
      leader_active_ = true;  // this thread leads until its own write is done
    }
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
      // The oldest waiting writer takes over the queue; none: no leader.
      if (!queue_.empty()) {
        queue_.front()->lead = true;
      } else {
        leader_active_ = false;
      }
      return me.status;
    }
  }
}

namespace {

// A fixed statement (a savepoint's), prepared once per connection:
// Db::Exec would parse it again for every write of every group.
absl::Status RunCached(Db* db, absl::string_view sql) {
  FT_ASSIGN_OR_RETURN(sqlite::Stmt * q, db->Prepare(sql));
  return q->Run();
}

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

void SqliteDatabase::RunGroup(const std::vector<PendingWrite*>& batch) {
  // Nothing of the group commits: every write of it fails with `s`. (The
  // transaction object rolls back when it goes out of scope.)
  auto fail_all = [&](const absl::Status& s) {
    for (PendingWrite* w : batch) w->status = s;
  };
  try {
    auto txn = sqlite::Transaction::Begin(writer_.get());
    if (!txn.ok()) return fail_all(txn.status());
    AuditHead head = audit_head_;
    for (PendingWrite* w : batch) {
      if (absl::Status sp = RunCached(writer_.get(), "SAVEPOINT write"); !sp.ok()) return fail_all(sp);
      AuditHead next = head;
      absl::Status s = RunWriteFn(*w->fn, writer_.get(), w->audit);
      if (s.ok()) s = AppendRecordsOfWrite(w->audit, &next);
      if (s.ok()) {
        if (absl::Status rel = RunCached(writer_.get(), "RELEASE write"); !rel.ok()) {
          return fail_all(absl::InternalError(absl::StrCat("cannot release a write's savepoint: ", rel.message())));
        }
        head = std::move(next);
      } else {
        // A failed write must leave nothing: when its savepoint cannot be
        // undone, what it did may be in the transaction, so the whole group
        // is abandoned rather than committed with part of a failed write.
        absl::Status undo = RunCached(writer_.get(), "ROLLBACK TO write");
        if (undo.ok()) undo = RunCached(writer_.get(), "RELEASE write");
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
    PublishHead(std::move(head));
  } catch (...) {
    fail_all(absl::InternalError("the write group failed with an exception; nothing of it was committed"));
  }
}

absl::Status SqliteDatabase::InsertRequestId(Db* db, const RequestKey& request_id, const AuditEntry& audit) {
  if (request_id.empty()) return absl::OkStatus();
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO request_ids (principal, request_id, method, resource, "
                                              "create_time, body_sha256) VALUES (?, ?, ?, ?, ?, ?)"));
  absl::Status s = ins->Bind(1, request_id.principal)
                       .Bind(2, request_id.id)
                       .Bind(3, audit.method)
                       .Bind(4, audit.resource)
                       .Bind(5, options_.now_micros())
                       .Bind(6, request_id.body_sha256)
                       .Run();
  if (absl::IsFailedPrecondition(s)) {
    return ErrorBuilder(absl::StatusCode::kAlreadyExists, "request_id was used before").Reason("REQUEST_ID_USED");
  }
  return s;
}

absl::StatusOr<std::optional<RequestIdRow>> SqliteDatabase::LookupRequestId(const RequestKey& key) {
  ReaderLease db = AcquireReader();
  // Rows stored before ids were scoped have principal '' and match anyone.
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT method, resource, body_sha256 FROM request_ids "
                                            "WHERE request_id = ? AND principal IN (?, '') "
                                            "ORDER BY principal DESC LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, key.id).Bind(2, key.principal).Step());
  if (!row) return std::nullopt;
  RequestIdRow out{q->Text(0), q->Text(1), q->Text(2)};
  q->Reset();
  return out;
}

absl::StatusOr<std::string> SqliteDatabase::GetOrCreateSecret(const std::string& name,
                                                              const std::function<std::string()>& make) {
  std::string value;
  FT_RETURN_IF_ERROR(WriteUnaudited([&](Db* db) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT value FROM server_secrets WHERE name = ?"));
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, name).Step());
    if (row) {
      value = q->Text(0);
      q->Reset();
      return absl::OkStatus();
    }
    value = make();
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO server_secrets (name, value) VALUES (?, ?)"));
    return ins->Bind(1, name).Bind(2, value).Run();
  }));
  return value;
}

absl::Status SqliteDatabase::InsertEdgesInTxn(Db* db, const std::vector<EdgeRow>& edges, int64_t now,
                                              const std::string& origin) {
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT OR IGNORE INTO lineage_edges (subject, predicate, object, "
                                              "role, create_time, origin) VALUES (?, ?, ?, ?, ?, ?)"));
  for (const EdgeRow& e : edges) {
    FT_RETURN_IF_ERROR(ins->Bind(1, e.subject)
                           .Bind(2, e.predicate)
                           .Bind(3, e.object)
                           .Bind(4, e.role)
                           .Bind(5, now)
                           .Bind(6, origin)
                           .Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteDatabase::WriteUnaudited(const std::function<absl::Status(Db*)>& fn) {
  absl::MutexLock lock(&writer_mu_);
  FT_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(writer_.get()));
  FT_RETURN_IF_ERROR(fn(writer_.get()));
  return txn.Commit();
}

}  // namespace fairtrace
