// SqliteStore's InvestigationStore half: investigations, their revisions and
// entities. Bound parameters only; a revision and its entities are written
// in one transaction with the audit record.
#include "registry/store/sqlite/sqlite_investigation_store.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kRevisionColumns[] =
    "investigation_id, revision, digest, profile, validator_version, title, study_count, entity_count, "
    "report_json, create_time";

RevisionRow RevisionFrom(Stmt* q) {
  return RevisionRow{q->Text(0), q->Int(1), q->Text(2), q->Text(3), q->Text(4),
                     q->Text(5), q->Int(6), q->Int(7),  q->Text(8), q->Int(9)};
}

InvestigationRow InvestigationFrom(Stmt* q) {
  return InvestigationRow{q->Text(0), q->Text(1), q->Int(2), q->Int(3), q->Int(4), q->Text(5)};
}

EntityRow EntityFrom(Stmt* q) { return EntityRow{q->Int(0), q->Text(1), q->Text(2), q->Text(3), q->Text(4)}; }

absl::StatusOr<std::optional<InvestigationRow>> ReadInvestigation(Db* db, const std::string& id) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT investigation_id, uid, latest_revision, create_time, "
                                            "update_time, project FROM investigations WHERE investigation_id = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, id).Step());
  if (!row) return std::nullopt;
  InvestigationRow out = InvestigationFrom(q);
  q->Reset();
  return out;
}

}  // namespace

absl::StatusOr<RevisionRow> SqliteInvestigationStore::InsertRevision(
    const RevisionRow& rev, const std::string& new_uid, const std::string& project, int64_t expected_latest,
    const std::vector<EntityRow>& entities, const RequestKey& request_id, const AuditEntry& audit) {
  RevisionRow out = rev;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<InvestigationRow> inv, ReadInvestigation(db, rev.investigation_id));
    int64_t latest = inv ? inv->latest_revision : 0;
    if (inv && inv->project != project) {
      // Says no more than ALREADY_EXISTS would: the id is taken elsewhere.
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("investigations/", rev.investigation_id, " exists in another project than ",
                                       project, "; name its project to add a revision"))
          .Reason("PROJECT_MISMATCH")
          .Build();
    }
    if (expected_latest != 0 && expected_latest != latest) {
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("investigations/", rev.investigation_id, " changed since its etag was read"))
          .Reason("ETAG_MISMATCH");
    }
    out.revision = latest + 1;
    a.resource = absl::StrCat("investigations/", rev.investigation_id, "/revisions/", out.revision);
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    if (!inv) {
      FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO investigations (investigation_id, uid, latest_revision, "
                                                  "create_time, update_time, project) VALUES (?, ?, 1, ?, ?, ?)"));
      FT_RETURN_IF_ERROR(ins->Bind(1, rev.investigation_id)
                             .Bind(2, new_uid)
                             .Bind(3, rev.create_time)
                             .Bind(4, rev.create_time)
                             .Bind(5, project)
                             .Run());
    } else {
      FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE investigations SET latest_revision = ?, update_time = ? "
                                                  "WHERE investigation_id = ?"));
      FT_RETURN_IF_ERROR(upd->Bind(1, out.revision).Bind(2, rev.create_time).Bind(3, rev.investigation_id).Run());
    }
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO investigation_revisions (", kRevisionColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?)")));
    FT_RETURN_IF_ERROR(ins->Bind(1, out.investigation_id)
                           .Bind(2, out.revision)
                           .Bind(3, out.digest)
                           .Bind(4, out.profile)
                           .Bind(5, out.validator_version)
                           .Bind(6, out.title)
                           .Bind(7, out.study_count)
                           .Bind(8, out.entity_count)
                           .Bind(9, out.report_json)
                           .Bind(10, out.create_time)
                           .Run());
    FT_ASSIGN_OR_RETURN(Stmt * ent, db->Prepare("INSERT INTO miappe_entities (investigation_id, revision, seq, "
                                                "section, entity_id, record_json, location) "
                                                "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    for (const EntityRow& e : entities) {
      FT_RETURN_IF_ERROR(ent->Bind(1, out.investigation_id)
                             .Bind(2, out.revision)
                             .Bind(3, e.seq)
                             .Bind(4, e.section)
                             .Bind(5, e.entity_id)
                             .Bind(6, e.record_json)
                             .Bind(7, e.location)
                             .Run());
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<InvestigationRow>> SqliteInvestigationStore::GetInvestigation(const std::string& id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadInvestigation(db.get(), id);
}

absl::StatusOr<std::vector<InvestigationRow>> SqliteInvestigationStore::ListInvestigations(const std::string& after_id,
                                                                                           int limit,
                                                                                           const ProjectScope& scope) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT investigation_id, uid, latest_revision, create_time, update_time, "
                                            "project FROM investigations WHERE investigation_id > ? AND (? OR "
                                            "project IN (SELECT value FROM json_each(?))) "
                                            "ORDER BY investigation_id LIMIT ?"));
  q->Bind(1, after_id).Bind(2, int64_t{scope.all}).Bind(3, scope.ProjectsJson()).Bind(4, int64_t{limit});
  return sqlite::CollectRows<InvestigationRow>(q, InvestigationFrom);
}

absl::StatusOr<std::optional<RevisionRow>> SqliteInvestigationStore::GetRevision(const std::string& id,
                                                                                 int64_t revision) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kRevisionColumns,
                                                         " FROM investigation_revisions WHERE investigation_id = ? "
                                                         "AND revision = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, id).Bind(2, revision).Step());
  if (!row) return std::nullopt;
  RevisionRow out = RevisionFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::optional<EntityRow>> SqliteInvestigationStore::GetEntity(const std::string& id, int64_t revision,
                                                                             const std::string& section,
                                                                             const std::string& entity_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT seq, section, entity_id, record_json, location FROM "
                                            "miappe_entities WHERE investigation_id = ? AND revision = ? AND "
                                            "section = ? AND entity_id = ? ORDER BY seq LIMIT 1"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, id).Bind(2, revision).Bind(3, section).Bind(4, entity_id).Step());
  if (!row) return std::nullopt;
  EntityRow out = EntityFrom(q);
  q->Reset();
  return out;
}

absl::StatusOr<std::vector<EntityRow>> SqliteInvestigationStore::ListEntities(const std::string& id, int64_t revision,
                                                                              const std::string& section,
                                                                              int64_t after_seq, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT seq, section, entity_id, record_json, location FROM "
                                            "miappe_entities WHERE investigation_id = ? AND revision = ? AND "
                                            "section = ? AND seq > ? ORDER BY seq LIMIT ?"));
  q->Bind(1, id).Bind(2, revision).Bind(3, section).Bind(4, after_seq).Bind(5, int64_t{limit});
  return sqlite::CollectRows<EntityRow>(q, EntityFrom);
}

}  // namespace fairtrace
