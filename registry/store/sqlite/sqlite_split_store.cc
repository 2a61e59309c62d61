// SqliteStore's SplitStore half. Bound parameters only; a split with its
// assignments (or a report) and its lineage edges are written in one
// transaction with the audit record.
#include "registry/store/sqlite/sqlite_split_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kSplitColumns[] =
    "dataset_id, version, split_id, uid, version_uid, digest, method, params_json, parts_json, created_by, "
    "create_time";
constexpr char kReportColumns[] =
    "split_uid, report_id, uid, split_name, leakage_found, document_digest, document_size, findings_json, "
    "created_by, create_time";

SplitRow SplitFrom(Stmt* q) {
  SplitRow r;
  r.dataset_id = q->Text(0);
  r.version = q->Int(1);
  r.split_id = q->Text(2);
  r.uid = q->Text(3);
  r.version_uid = q->Text(4);
  r.digest = q->Text(5);
  r.method = q->Text(6);
  r.params_json = q->Text(7);
  r.parts_json = q->Text(8);
  r.created_by = q->Text(9);
  r.create_time = q->Int(10);
  return r;
}

LeakageReportRow ReportFrom(Stmt* q) {
  LeakageReportRow r;
  r.split_uid = q->Text(0);
  r.report_id = q->Text(1);
  r.uid = q->Text(2);
  r.split_name = q->Text(3);
  r.leakage_found = q->Int(4) != 0;
  r.document_digest = q->Text(5);
  r.document_size = q->Int(6);
  r.findings_json = q->Text(7);
  r.created_by = q->Text(8);
  r.create_time = q->Int(9);
  return r;
}

std::vector<EdgeRow> Named(std::vector<EdgeRow> edges, const std::string& name) {
  for (EdgeRow& e : edges) {
    if (e.subject.empty()) e.subject = name;
  }
  return edges;
}

}  // namespace

absl::Status SqliteSplitStore::InsertSplit(const SplitRow& row, const std::vector<SplitAssignment>& items,
                                           const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                           const AuditEntry& audit) {
  const std::string name =
      absl::StrCat("datasets/", row.dataset_id, "/versions/", row.version, "/splits/", row.split_id);
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(Stmt * taken,
                        db->Prepare("SELECT 1 FROM splits WHERE dataset_id = ? AND version = ? AND split_id = ?"));
    FT_ASSIGN_OR_RETURN(bool exists, taken->Bind(1, row.dataset_id).Bind(2, row.version).Bind(3, row.split_id).Step());
    taken->Reset();
    if (exists) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists, absl::StrCat(name, " exists"))
          .Reason("SPLIT_EXISTS")
          .Resource("fairtrace.v1.Split", name);
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO splits (", kSplitColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, row.dataset_id)
                           .Bind(2, row.version)
                           .Bind(3, row.split_id)
                           .Bind(4, row.uid)
                           .Bind(5, row.version_uid)
                           .Bind(6, row.digest)
                           .Bind(7, row.method)
                           .Bind(8, row.params_json)
                           .Bind(9, row.parts_json)
                           .Bind(10, row.created_by)
                           .Bind(11, row.create_time)
                           .Run());
    FT_ASSIGN_OR_RETURN(Stmt * item, db->Prepare("INSERT INTO split_items (split_uid, part, path) VALUES (?, ?, ?)"));
    for (const SplitAssignment& s : items)
      FT_RETURN_IF_ERROR(item->Bind(1, row.uid).Bind(2, s.part).Bind(3, s.path).Run());
    return db_->InsertEdgesInTxn(db, Named(edges, name), row.create_time, name);
  });
}

absl::StatusOr<std::optional<SplitRow>> SqliteSplitStore::GetSplit(const std::string& dataset_id, int64_t version,
                                                                   const std::string& split_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kSplitColumns,
                                                         " FROM splits WHERE dataset_id = ? AND version = ? "
                                                         "AND split_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, dataset_id).Bind(2, version).Bind(3, split_id).Step());
  if (!row) return std::nullopt;
  SplitRow out = SplitFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::vector<SplitRow>> SqliteSplitStore::ListSplits(const std::string& dataset_id, int64_t version,
                                                                   const std::string& after_id, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kSplitColumns,
                                                         " FROM splits WHERE dataset_id = ? AND version = ? "
                                                         "AND split_id > ? ORDER BY split_id LIMIT ?")));
  q->Bind(1, dataset_id).Bind(2, version).Bind(3, after_id).Bind(4, int64_t{limit});
  return sqlite::CollectRows<SplitRow>(q, SplitFrom);
}

absl::StatusOr<std::vector<std::string>> SqliteSplitStore::PartPaths(const std::string& split_uid,
                                                                     const std::string& part,
                                                                     const std::string& after_path, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT path FROM split_items WHERE split_uid = ? AND part = ? "
                                            "AND path > ? ORDER BY path LIMIT ?"));
  q->Bind(1, split_uid).Bind(2, part).Bind(3, after_path).Bind(4, int64_t{limit});
  return sqlite::CollectRows<std::string>(q, [](Stmt* r) { return r->Text(0); });
}

absl::StatusOr<std::vector<SplitAssignment>> SqliteSplitStore::Assignments(const std::string& split_uid) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare("SELECT part, path FROM split_items WHERE split_uid = ? ORDER BY part, path"));
  q->Bind(1, split_uid);
  return sqlite::CollectRows<SplitAssignment>(q, [](Stmt* r) { return SplitAssignment{r->Text(0), r->Text(1)}; });
}

absl::Status SqliteSplitStore::InsertReport(const LeakageReportRow& row, const std::string& name,
                                            const std::vector<EdgeRow>& edges, const RequestKey& request_id,
                                            const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    a.resource = name;
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(Stmt * taken,
                        db->Prepare("SELECT 1 FROM leakage_reports WHERE split_uid = ? AND report_id = ?"));
    FT_ASSIGN_OR_RETURN(bool exists, taken->Bind(1, row.split_uid).Bind(2, row.report_id).Step());
    taken->Reset();
    if (exists) {
      return ErrorBuilder(absl::StatusCode::kAlreadyExists, absl::StrCat(name, " exists"))
          .Reason("REPORT_EXISTS")
          .Resource("fairtrace.v1.LeakageReport", name);
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO leakage_reports (", kReportColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, row.split_uid)
                           .Bind(2, row.report_id)
                           .Bind(3, row.uid)
                           .Bind(4, row.split_name)
                           .Bind(5, int64_t{row.leakage_found ? 1 : 0})
                           .Bind(6, row.document_digest)
                           .Bind(7, row.document_size)
                           .Bind(8, row.findings_json)
                           .Bind(9, row.created_by)
                           .Bind(10, row.create_time)
                           .Run());
    return db_->InsertEdgesInTxn(db, Named(edges, name), row.create_time, name);
  });
}

absl::StatusOr<std::optional<LeakageReportRow>> SqliteSplitStore::GetReport(const std::string& split_uid,
                                                                            const std::string& report_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->Prepare(absl::StrCat("SELECT ", kReportColumns,
                                               " FROM leakage_reports WHERE split_uid = ? AND report_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, split_uid).Bind(2, report_id).Step());
  if (!row) return std::nullopt;
  LeakageReportRow out = ReportFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::vector<PerceptualHashRow>> SqliteSplitStore::GetHashes(const std::vector<std::string>& blobs) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT dhash, error FROM perceptual_hashes WHERE blob_digest = ?"));
  std::vector<PerceptualHashRow> out;
  for (const std::string& b : blobs) {
    FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, b).Step());
    if (row) out.push_back({b, q->Text(0), q->Text(1)});
    q->Reset();
  }
  return out;
}

absl::Status SqliteSplitStore::PutHashes(const std::vector<PerceptualHashRow>& rows, const AuditEntry& audit) {
  if (rows.empty()) return absl::OkStatus();
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT OR IGNORE INTO perceptual_hashes (blob_digest, dhash, error) "
                                                "VALUES (?, ?, ?)"));
    for (const PerceptualHashRow& r : rows)
      FT_RETURN_IF_ERROR(ins->Bind(1, r.blob).Bind(2, r.dhash).Bind(3, r.error).Run());
    return absl::OkStatus();
  });
}

}  // namespace fairtrace
