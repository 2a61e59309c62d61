#include "registry/store/sqlite/sqlite_store.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/store/migrations.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

// A blob's location from the columns pack, pack_offset, inline_bytes at
// `col`, `col` + 1, `col` + 2 of the current row.
BlobLocation LocationOfRow(Stmt* q, int col) {
  if (!q->IsNull(col + 2)) return BlobLocation::InDatabase(q->Blob(col + 2));
  return BlobLocation{q->Text(col), q->Int(col + 1)};
}

}  // namespace

absl::StatusOr<std::vector<bool>> SqliteStore::HasBlobs(absl::Span<const Digest> digests) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
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
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT b.create_time, t.sha256 IS NOT NULL, coalesce(b.pack, ''), "
                                            "coalesce(b.pack_offset, 0), b.inline_bytes FROM blobs b LEFT JOIN trees t "
                                            "ON t.sha256 = b.sha256 AND t.size_bytes = b.size_bytes "
                                            "WHERE b.sha256 = ? AND b.size_bytes = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Step());
  if (!row) return std::nullopt;
  BlobRow out{digest, q->Int(0), q->Int(1) != 0, LocationOfRow(q, 2)};
  q->Reset();
  return out;
}

absl::Status SqliteStore::CommitBlobs(absl::Span<const StoredBlob> blobs, const AuditEntry& audit) {
  int64_t now = db_->now_micros();
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
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
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
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
  return db_->WriteUnaudited([&](Db* db) { return InsertTreeIndex(db, tree, points); });
}

absl::StatusOr<std::optional<TreeIndexPoint>> SqliteStore::TreeIndexPointAtOrBefore(const Digest& tree, int64_t entry) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT entry, byte_offset FROM tree_page_index "
                                            "WHERE tree_sha256 = ? AND tree_size = ? AND entry <= ? "
                                            "ORDER BY entry DESC LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, tree.sha256).Bind(2, tree.size_bytes).Bind(3, entry).Step());
  if (!row) return std::nullopt;
  TreeIndexPoint out{q->Int(0), q->Int(1)};
  q->Reset();
  return out;
}

absl::Status SqliteStore::CommitTree(const Digest& digest, absl::Span<const TreeEntry> entries, const AuditEntry& audit,
                                     const std::string* keep_manifest) {
  const int64_t now = db_->now_micros();
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    return CommitTreeInTxn(db, digest, entries, keep_manifest, now).status();
  });
}

absl::StatusOr<bool> SqliteStore::CommitTreeInTxn(Db* db, const Digest& digest, absl::Span<const TreeEntry> entries,
                                                  const std::string* keep_manifest, int64_t now) {
  FT_ASSIGN_OR_RETURN(Stmt * exists, db->Prepare("SELECT 1 FROM trees WHERE sha256 = ? AND size_bytes = ?"));
  FT_ASSIGN_OR_RETURN(bool found, exists->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Step());
  exists->Reset();
  if (found) return false;
  if (keep_manifest != nullptr) {
    if (static_cast<int64_t>(keep_manifest->size()) != digest.size_bytes) {
      return absl::InternalError(
          absl::StrCat("the manifest kept for ", digest.ToString(), " has ", keep_manifest->size(), " bytes"));
    }
    // A manifest stored before (in a file) keeps its row and location.
    FT_ASSIGN_OR_RETURN(Stmt * blob, db->Prepare("INSERT OR IGNORE INTO blobs (sha256, size_bytes, create_time, "
                                                 "inline_bytes) VALUES (?, ?, ?, ?)"));
    FT_RETURN_IF_ERROR(
        blob->Bind(1, digest.sha256).Bind(2, digest.size_bytes).Bind(3, now).BindBlob(4, *keep_manifest).Run());
  }
  int64_t total = 0;
  for (const TreeEntry& e : entries) total += e.digest.size_bytes;
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
  return true;
}

absl::Status SqliteStore::AppendAudit(const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [](Db*, AuditEntry&) { return absl::OkStatus(); });
}

absl::StatusOr<std::optional<std::string>> SqliteStore::ResourceProject(absl::string_view collection,
                                                                        const std::string& id) {
  // The statements are fixed texts chosen by collection; `id` is bound.
  static constexpr std::pair<absl::string_view, const char*> kLookups[] = {
      {"models", "SELECT project FROM registered_models WHERE model_id = ?"},
      {"runs", "SELECT project FROM runs WHERE run_id = ?"},
      {"datasets", "SELECT project FROM datasets WHERE dataset_id = ?"},
      {"investigations", "SELECT project FROM investigations WHERE investigation_id = ?"},
      {"experiments", "SELECT project FROM experiments WHERE experiment_id = ?"},
  };
  for (const auto& [name, sql] : kLookups) {
    if (name != collection) continue;
    SqliteDatabase::ReaderLease db = db_->AcquireReader();
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(sql));
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, id).Step());
    if (!row) return std::nullopt;
    std::string project = q->Text(0);
    q->Reset();
    return project;
  }
  return absl::InvalidArgumentError(absl::StrCat("'", collection, "' is not a collection with projects"));
}

absl::StatusOr<int64_t> SqliteStore::CheckResourceStates(const std::function<void(StateProblem)>& problem) {
  return db_->CheckResourceStates(problem);
}

absl::Status SqliteStore::ListResourceStates(
    const std::function<absl::Status(int64_t)>& begin,
    const std::function<absl::Status(const std::string&, const std::string&)>& each) {
  return db_->ListResourceStates(begin, each);
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(int64_t after_sequence, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return SqliteDatabase::ReadAuditRecords(db.get(), after_sequence, limit);
}

Store::AuditTreeHead SqliteStore::GetAuditTreeHead() {
  auto [size, root] = db_->AuditTreeHead();
  return AuditTreeHead{size, root};
}

namespace {

absl::Status CheckTreeSize(int64_t tree_size, int64_t committed) {
  if (tree_size < 0 || tree_size > committed) {
    return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("tree_size ", tree_size, " is not between 0 and the log's size, ", committed))
        .Field("tree_size", "past the log's size")
        .Reason("TREE_SIZE_OUT_OF_RANGE");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<MerkleHash>> SqliteStore::AuditInclusionProof(int64_t leaf_index, int64_t tree_size) {
  FT_RETURN_IF_ERROR(CheckTreeSize(tree_size, db_->AuditTreeHead().first));
  if (leaf_index < 0 || leaf_index >= tree_size) {
    return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("record ", leaf_index + 1, " is not in a log of ", tree_size, " records"))
        .Field("sequence", "past the tree size")
        .Reason("RECORD_OUT_OF_RANGE")
        .Build();
  }
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  auto nodes = [&](int level, int64_t index) { return db_->AuditMerkleNode(db.get(), level, index); };
  return MerkleInclusionProof(nodes, leaf_index, tree_size);
}

absl::StatusOr<std::vector<MerkleHash>> SqliteStore::AuditConsistencyProof(int64_t old_size, int64_t new_size) {
  FT_RETURN_IF_ERROR(CheckTreeSize(new_size, db_->AuditTreeHead().first));
  if (old_size < 0 || old_size > new_size) {
    return ErrorBuilder(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("old size ", old_size, " is not between 0 and the new size ", new_size))
        .Field("old_size", "larger than the new size")
        .Reason("TREE_SIZE_OUT_OF_RANGE")
        .Build();
  }
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  auto nodes = [&](int level, int64_t index) { return db_->AuditMerkleNode(db.get(), level, index); };
  return MerkleConsistencyProof(nodes, old_size, new_size);
}

absl::StatusOr<MerkleHash> SqliteStore::AuditTreeRoot(int64_t tree_size) {
  FT_RETURN_IF_ERROR(CheckTreeSize(tree_size, db_->AuditTreeHead().first));
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  auto nodes = [&](int level, int64_t index) { return db_->AuditMerkleNode(db.get(), level, index); };
  return MerkleRoot(nodes, tree_size);
}

absl::StatusOr<MerkleHash> SqliteStore::AuditMerkleNode(int level, int64_t index) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return db_->AuditMerkleNode(db.get(), level, index);
}

absl::Status SqliteStore::AddCheckpointCosignatures(int64_t tree_size, absl::Span<const NoteSignature> signatures,
                                                    const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_RETURN_IF_ERROR(CheckTreeSize(tree_size, db_->AuditTreeHead().first));
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT OR REPLACE INTO checkpoint_cosignatures (tree_size, key_name, "
                                                "key_id, signature, create_time) VALUES (?, ?, ?, ?, ?)"));
    for (const NoteSignature& s : signatures) {
      FT_RETURN_IF_ERROR(ins->Bind(1, tree_size)
                             .Bind(2, s.key_name)
                             .Bind(3, int64_t{s.key_id})
                             .BindBlob(4, s.signature)
                             .Bind(5, db_->now_micros())
                             .Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<NoteSignature>> SqliteStore::CheckpointCosignatures(int64_t tree_size) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT key_name, key_id, signature FROM checkpoint_cosignatures "
                                            "WHERE tree_size = ? ORDER BY key_name, key_id"));
  q->Bind(1, tree_size);
  return sqlite::CollectRows<NoteSignature>(q, [](Stmt* r) {
    return NoteSignature{r->Text(0), static_cast<uint32_t>(r->Int(1)), r->Blob(2)};
  });
}

absl::Status SqliteStore::ForEachBlob(const std::function<absl::Status(const BlobRow&)>& fn) {
  // Pages by primary key so that no statement stays open across callbacks.
  Digest after{"", -1};
  while (true) {
    std::vector<BlobRow> page;
    {
      SqliteDatabase::ReaderLease db = db_->AcquireReader();
      FT_ASSIGN_OR_RETURN(
          Stmt * q, db->Prepare("SELECT b.sha256, b.size_bytes, b.create_time, t.sha256 IS NOT NULL, "
                                "coalesce(b.pack, ''), coalesce(b.pack_offset, 0), b.inline_bytes FROM blobs b LEFT "
                                "JOIN trees t ON t.sha256 = b.sha256 AND "
                                "t.size_bytes = b.size_bytes WHERE (b.sha256, b.size_bytes) > (?, ?) "
                                "ORDER BY b.sha256, b.size_bytes LIMIT 1000"));
      q->Bind(1, after.sha256).Bind(2, after.size_bytes);
      while (true) {
        FT_ASSIGN_OR_RETURN(bool row, q->Step());
        if (!row) break;
        page.push_back(BlobRow{Digest{q->Text(0), q->Int(1)}, q->Int(2), q->Int(3) != 0, LocationOfRow(q, 4)});
      }
      q->Reset();
    }
    if (page.empty()) return absl::OkStatus();
    for (const BlobRow& b : page) FT_RETURN_IF_ERROR(fn(b));
    after = page.back().digest;
  }
}

absl::StatusOr<int64_t> SqliteStore::CountTreeReferences() {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT count(*) FROM tree_refs"));
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  int64_t n = row ? q->Int(0) : 0;
  q->Reset();
  return n;
}

absl::StatusOr<std::vector<DanglingReference>> SqliteStore::DanglingTreeReferences(int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT r.tree_sha256, r.tree_size, r.blob_sha256, r.blob_size "
                                            "FROM tree_refs r LEFT JOIN blobs b ON b.sha256 = r.blob_sha256 AND "
                                            "b.size_bytes = r.blob_size WHERE b.sha256 IS NULL LIMIT ?"));
  q->Bind(1, int64_t{limit});
  return sqlite::CollectRows<DanglingReference>(q, [](Stmt* r) {
    return DanglingReference{Digest{r->Text(0), r->Int(1)}, Digest{r->Text(2), r->Int(3)}};
  });
}

}  // namespace fairtrace
