#include "registry/store/sqlite/sqlite_experiment_store.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kColumns[] =
    "experiment_id, uid, name, artifact_location, lifecycle_stage, tags_json, create_time, update_time, project";

ExperimentRow ExperimentFrom(Stmt* q) {
  return ExperimentRow{q->Int(0),  q->Text(1), q->Text(2), q->Text(3), q->Text(4),
                       q->Text(5), q->Int(6),  q->Int(7),  q->Text(8)};
}

absl::StatusOr<std::optional<ExperimentRow>> ReadOne(Db* db, const std::string& where, const auto& bind) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kColumns, " FROM experiments WHERE ", where)));
  bind(q);
  FT_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) return std::nullopt;
  ExperimentRow out = ExperimentFrom(q);
  q->Reset();
  return out;
}

absl::Status NameTaken(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                      absl::StrCat("an active experiment is already named '", name, "'"))
      .Reason("EXPERIMENT_EXISTS")
      .Build();
}

// Whether another active experiment has `name`.
absl::StatusOr<bool> ActiveNameTaken(Db* db, const std::string& name, int64_t other_than) {
  FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> same,
                      ReadOne(db, "name = ? AND lifecycle_stage = 'active'", [&](Stmt* q) { q->Bind(1, name); }));
  return same.has_value() && same->experiment_id != other_than;
}

}  // namespace

absl::StatusOr<ExperimentRow> SqliteExperimentStore::InsertExperiment(ExperimentRow row, const AuditEntry& audit) {
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    FT_ASSIGN_OR_RETURN(bool taken, ActiveNameTaken(db, row.name, -1));
    if (taken) return NameTaken(row.name);
    if (row.experiment_id < 0) {
      FT_ASSIGN_OR_RETURN(Stmt * next, db->Prepare("SELECT max(1, coalesce(max(experiment_id), 0) + 1) "
                                                   "FROM experiments"));
      FT_ASSIGN_OR_RETURN(bool got, next->Step());
      if (!got) return absl::InternalError("no next experiment id");
      row.experiment_id = next->Int(0);
      next->Reset();
    } else {
      FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> same,
                          ReadOne(db, "experiment_id = ?", [&](Stmt* q) { q->Bind(1, row.experiment_id); }));
      if (same) {
        return ErrorBuilder(absl::StatusCode::kAlreadyExists,
                            absl::StrCat("experiments/", row.experiment_id, " exists"))
            .Reason("EXPERIMENT_EXISTS")
            .Build();
      }
    }
    if (row.artifact_location.empty()) {
      row.artifact_location = absl::StrCat("mlflow-artifacts:/", row.experiment_id);
    }
    a.resource = absl::StrCat("experiments/", row.experiment_id);
    FT_ASSIGN_OR_RETURN(
        Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO experiments (", kColumns, ") VALUES (?,?,?,?,?,?,?,?,?)")));
    return ins->Bind(1, row.experiment_id)
        .Bind(2, row.uid)
        .Bind(3, row.name)
        .Bind(4, row.artifact_location)
        .Bind(5, row.lifecycle_stage)
        .Bind(6, row.tags_json)
        .Bind(7, row.create_time)
        .Bind(8, row.update_time)
        .Bind(9, row.project)
        .Run();
  }));
  return row;
}

absl::StatusOr<std::optional<ExperimentRow>> SqliteExperimentStore::GetExperiment(int64_t experiment_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadOne(db.get(), "experiment_id = ?", [&](Stmt* q) { q->Bind(1, experiment_id); });
}

absl::StatusOr<std::optional<ExperimentRow>> SqliteExperimentStore::GetActiveExperimentByName(const std::string& name) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadOne(db.get(), "name = ? AND lifecycle_stage = 'active'", [&](Stmt* q) { q->Bind(1, name); });
}

absl::StatusOr<std::vector<ExperimentRow>> SqliteExperimentStore::ListExperiments(const ExperimentQuery& query,
                                                                                  const ProjectScope& scope) {
  // Fixed SQL; every value is bound. Tags are matched through json_each on
  // a JSON array of [key, value] pairs, all of which must hold.
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& [k, v] : query.tags_equal) tags.push_back({k, v});
  const char* stage = query.stage == ExperimentQuery::Stage::kActive    ? "active"
                      : query.stage == ExperimentQuery::Stage::kDeleted ? "deleted"
                                                                        : "";
  // The ORDER BY is built from fixed column names only.
  std::string order;
  bool by_id = false;
  for (const ExperimentQuery::OrderTerm& t : query.order) {
    const char* column = t.key == ExperimentQuery::OrderKey::kName         ? "name"
                         : t.key == ExperimentQuery::OrderKey::kCreateTime ? "create_time"
                         : t.key == ExperimentQuery::OrderKey::kUpdateTime ? "update_time"
                                                                           : "experiment_id";
    by_id = by_id || t.key == ExperimentQuery::OrderKey::kExperimentId;
    absl::StrAppend(&order, order.empty() ? "" : ", ", column, t.ascending ? " ASC" : " DESC");
  }
  if (order.empty()) {
    order = "experiment_id ASC";
  } else if (!by_id) {
    absl::StrAppend(&order, ", experiment_id DESC");
  }
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // The order varies: the statement goes to the bounded cache.
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->PrepareBounded(absl::StrCat(
                          "SELECT ", kColumns,
                          " FROM experiments e WHERE (?2 = '' OR lifecycle_stage = ?2) "
                          "AND (?3 = '' OR (CASE WHEN ?4 THEN lower(name) GLOB lower(?3) ELSE name GLOB ?3 END)) "
                          "AND NOT EXISTS (SELECT 1 FROM json_each(?5) t WHERE json_extract(e.tags_json, '$.\"' || "
                          "json_extract(t.value, '$[0]') || '\"') IS NOT json_extract(t.value, '$[1]')) "
                          "AND (?6 OR project IN (SELECT value FROM json_each(?7))) "
                          "ORDER BY ",
                          order, " LIMIT ?8 OFFSET ?1")));
  q->Bind(1, query.offset)
      .Bind(2, std::string(stage))
      .Bind(3, query.name_glob)
      .Bind(4, int64_t{query.name_glob_case_insensitive})
      .Bind(5, tags.dump())
      .Bind(6, int64_t{scope.all})
      .Bind(7, scope.ProjectsJson())
      .Bind(8, int64_t{query.limit});
  return sqlite::CollectRows<ExperimentRow>(q, ExperimentFrom);
}

absl::StatusOr<ExperimentRow> SqliteExperimentStore::UpdateExperiment(const ExperimentRow& row,
                                                                      const AuditEntry& audit) {
  ExperimentRow out;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> cur,
                        ReadOne(db, "experiment_id = ?", [&](Stmt* q) { q->Bind(1, row.experiment_id); }));
    if (!cur) {
      return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no experiment experiments/", row.experiment_id))
          .Reason("EXPERIMENT_NOT_FOUND")
          .Build();
    }
    if (row.lifecycle_stage == "active") {
      FT_ASSIGN_OR_RETURN(bool taken, ActiveNameTaken(db, row.name, row.experiment_id));
      if (taken) return NameTaken(row.name);
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE experiments SET name = ?, lifecycle_stage = ?, tags_json = ?, "
                                                "update_time = ? WHERE experiment_id = ?"));
    FT_RETURN_IF_ERROR(upd->Bind(1, row.name)
                           .Bind(2, row.lifecycle_stage)
                           .Bind(3, row.tags_json)
                           .Bind(4, row.update_time)
                           .Bind(5, row.experiment_id)
                           .Run());
    out = *cur;
    out.name = row.name;
    out.lifecycle_stage = row.lifecycle_stage;
    out.tags_json = row.tags_json;
    out.update_time = row.update_time;
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace fairtrace
