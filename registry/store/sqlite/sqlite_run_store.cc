// SqliteStore's RunStore half: runs, params, metric history and lineage
// edges. Same rules as sqlite_store.cc: bound parameters only (filters go
// through filter_sql.h), writes in one transaction with their audit record.
#include "registry/store/sqlite/sqlite_run_store.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "registry/store/sqlite/filter_sql.h"
#include "registry/store/sqlite/resource_state.h"

namespace fairtrace {

using sqlite::Db;
using sqlite::Stmt;

namespace {

constexpr char kRunColumns[] =
    "run_id, uid, experiment, kind, status, status_message, start_time, end_time, seeds_json, code_json, "
    "code_commit, environment_json, description, tags_json, create_time, update_time, revision, project";

RunRow RunFrom(Stmt* q) {
  RunRow r;
  r.run_id = q->Text(0);
  r.uid = q->Text(1);
  r.experiment = q->Text(2);
  r.kind = q->Text(3);
  r.status = q->Text(4);
  r.status_message = q->Text(5);
  r.start_time = q->Int(6);
  if (!q->IsNull(7)) r.end_time = q->Int(7);
  r.seeds_json = q->Text(8);
  r.code_json = q->Text(9);
  r.code_commit = q->Text(10);
  r.environment_json = q->Text(11);
  r.description = q->Text(12);
  r.tags_json = q->Text(13);
  r.create_time = q->Int(14);
  r.update_time = q->Int(15);
  r.revision = q->Int(16);
  r.project = q->Text(17);
  return r;
}

MetricRow MetricFrom(Stmt* q) { return MetricRow{q->Text(0), q->Double(1), q->Int(2), q->Int(3), q->Int(4)}; }

absl::StatusOr<std::optional<RunRow>> ReadRun(Db* db, const std::string& run_id) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(absl::StrCat("SELECT ", kRunColumns, " FROM runs WHERE run_id = ?")));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, run_id).Step());
  if (!row) return std::nullopt;
  RunRow out = RunFrom(q);
  q->Reset();
  return out;
}

absl::Status RunNotFound(const std::string& run_id) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no run runs/", run_id))
      .Reason("RUN_NOT_FOUND")
      .Resource("run", absl::StrCat("runs/", run_id));
}

// The run must exist, be RUNNING and not be soft-deleted (its tag
// fairtrace.lifecycle = "deleted", MLflow's delete_run: docs/runs.md) for
// its contents to change. Read in the row read the write makes anyway, so
// the check costs nothing on the hot path of logging.
// With `must_run` false only the deletion is checked (a run's tags change
// after its end).
absl::Status RequireChangeable(Db* db, const std::string& run_id, bool must_run) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT status, instr(tags_json, 'fairtrace.lifecycle') > 0 AND "
                                            "json_extract(tags_json, '$.\"fairtrace.lifecycle\"') = 'deleted' "
                                            "FROM runs WHERE run_id = ?"));
  FT_ASSIGN_OR_RETURN(bool row, q->Bind(1, run_id).Step());
  if (!row) return RunNotFound(run_id);
  std::string status = q->Text(0);
  const bool deleted = q->Int(1) != 0;
  q->Reset();
  if (deleted) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("The run ", run_id,
                                     " must be in the 'active' state. Current state is deleted (restore it first)."))
        .Reason("RUN_DELETED")
        .Precondition("RUN_LIFECYCLE", absl::StrCat("runs/", run_id), "the run must not be deleted");
  }
  if (!must_run) return absl::OkStatus();
  if (status != "RUNNING") {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("runs/", run_id, " is ", status, "; an ended run cannot change"))
        .Reason("RUN_NOT_RUNNING")
        .Precondition("RUN_STATUS", absl::StrCat("runs/", run_id), "the run must be RUNNING");
  }
  return absl::OkStatus();
}

absl::Status RequireRunning(Db* db, const std::string& run_id) { return RequireChangeable(db, run_id, true); }

absl::Status InsertParams(Db* db, const std::string& run_id,
                          const std::vector<std::pair<std::string, std::string>>& params) {
  FT_ASSIGN_OR_RETURN(Stmt * get, db->Prepare("SELECT value FROM run_params WHERE run_id = ? AND key = ?"));
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?)"));
  for (const auto& [key, value] : params) {
    FT_ASSIGN_OR_RETURN(bool row, get->Bind(1, run_id).Bind(2, key).Step());
    if (row) {
      std::string old = get->Text(0);
      get->Reset();
      if (old == value) continue;
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("param \"", key, "\" of runs/", run_id, " is already \"",
                                       text::ClipText(old, 100), "\"; params are write-once"))
          .Reason("PARAM_CHANGED")
          .Field(absl::StrCat("params[", key, "]"), "already logged with another value");
    }
    FT_RETURN_IF_ERROR(ins->Bind(1, run_id).Bind(2, key).Bind(3, value).Run());
  }
  return absl::OkStatus();
}

// Inserts the rows and extends the run's metrics chain over them (the
// chain its state document holds; resource_state.h).
absl::Status InsertMetrics(Db* db, const std::string& run_id, const std::vector<MetricRow>& metrics) {
  if (metrics.empty()) return absl::OkStatus();
  FT_ASSIGN_OR_RETURN(Stmt * get, db->Prepare("SELECT metrics_chain FROM runs WHERE run_id = ?"));
  FT_ASSIGN_OR_RETURN(bool found, get->Bind(1, run_id).Step());
  if (!found) return RunNotFound(run_id);
  std::string chain = get->Text(0);
  get->Reset();
  FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO run_metrics (run_id, key, step, timestamp, value) "
                                              "VALUES (?, ?, ?, ?, ?)"));
  for (const MetricRow& m : metrics) {
    FT_RETURN_IF_ERROR(
        ins->Bind(1, run_id).Bind(2, m.key).Bind(3, m.step).Bind(4, m.timestamp).BindDouble(5, m.value).Run());
    FT_ASSIGN_OR_RETURN(chain, NextMetricsChain(chain, m.key, m.step, m.timestamp, m.value));
  }
  FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE runs SET metrics_chain = ? WHERE run_id = ?"));
  return upd->Bind(1, chain).Bind(2, run_id).Run();
}

}  // namespace

absl::StatusOr<std::optional<ModelVersionRow>> SqliteRunStore::InsertRun(const RunWrite& w,
                                                                         const RequestKey& request_id,
                                                                         const AuditEntry& audit) {
  std::optional<ModelVersionRow> version = w.model_version;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry& a) -> absl::Status {
    const RunRow& r = w.run;
    a.resource = absl::StrCat("runs/", r.run_id);
    FT_RETURN_IF_ERROR(db_->InsertRequestId(db, request_id, a));
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare(absl::StrCat("INSERT INTO runs (", kRunColumns,
                                                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)")));
    ins->Bind(1, r.run_id)
        .Bind(2, r.uid)
        .Bind(3, r.experiment)
        .Bind(4, r.kind)
        .Bind(5, r.status)
        .Bind(6, r.status_message)
        .Bind(7, r.start_time);
    if (r.end_time) {
      ins->Bind(8, *r.end_time);
    } else {
      ins->BindNull(8);
    }
    FT_RETURN_IF_ERROR(ins->Bind(9, r.seeds_json)
                           .Bind(10, r.code_json)
                           .Bind(11, r.code_commit)
                           .Bind(12, r.environment_json)
                           .Bind(13, r.description)
                           .Bind(14, r.tags_json)
                           .Bind(15, r.create_time)
                           .Bind(16, r.update_time)
                           .Bind(17, r.project)
                           .Run());
    FT_RETURN_IF_ERROR(InsertParams(db, r.run_id, w.params));
    FT_RETURN_IF_ERROR(InsertMetrics(db, r.run_id, w.metrics));
    FT_RETURN_IF_ERROR(db_->InsertEdgesInTxn(db, w.edges, r.create_time, a.resource));
    if (version) {
      // The version's own request id is not recorded: the run's covers the
      // whole call. The call's record names the run; the version gets a
      // record of its own (with its state digest) after it.
      AuditEntry version_audit = a;
      FT_RETURN_IF_ERROR(models_->InsertModelVersionInTxn(db, &*version, "", version_audit));
      a.also_changed.push_back(version_audit.resource);
    }
    return absl::OkStatus();
  }));
  return version;
}

absl::StatusOr<std::optional<RunRow>> SqliteRunStore::GetRun(const std::string& run_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  return ReadRun(db.get(), run_id);
}

absl::StatusOr<std::vector<RunRow>> SqliteRunStore::ListRuns(const ParsedFilter& filter, const RunCursor& cursor,
                                                             int limit, const ProjectScope& scope) {
  static const std::vector<sqlite::SqlColumn> kColumns = {
      {"experiment", "experiment"},
      {"kind", "kind"},
      {"status", "status"},
      {"create_time", "create_time"},
      {"start_time", "start_time"},
      {"end_time", "end_time"},
      {"code.commit", "code_commit"},
      {"params.", "p.value", "EXISTS (SELECT 1 FROM run_params p WHERE p.run_id = runs.run_id AND p.key = %K AND %E)"},
      {"tags.", "j.value", "EXISTS (SELECT 1 FROM json_each(runs.tags_json) j WHERE j.key = %K AND %E)"},
  };
  FT_ASSIGN_OR_RETURN(sqlite::SqlFilter where, sqlite::CompileFilter(filter, kColumns));
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q,
                      db->PrepareBounded(absl::StrCat("SELECT ", kRunColumns,
                                                      " FROM runs WHERE (? OR (create_time, run_id) < (?, ?)) "
                                                      "AND (? OR project IN (SELECT value FROM json_each(?))) AND ",
                                                      where.where, " ORDER BY create_time DESC, run_id DESC LIMIT ?")));
  q->Bind(1, int64_t{cursor.run_id.empty()})
      .Bind(2, cursor.create_time)
      .Bind(3, cursor.run_id)
      .Bind(4, int64_t{scope.all})
      .Bind(5, scope.ProjectsJson());
  int next = where.BindTo(q, 6);
  q->Bind(next, int64_t{limit});
  return sqlite::CollectRows<RunRow>(q, RunFrom);
}

absl::StatusOr<RunRow> SqliteRunStore::UpdateRun(const RunRow& r, int64_t expected_revision, int64_t now,
                                                 const AuditEntry& audit, const std::vector<EdgeRow>& edges) {
  RunRow result;
  FT_RETURN_IF_ERROR(db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> cur, ReadRun(db, r.run_id));
    if (!cur) return RunNotFound(r.run_id);
    if (expected_revision != 0 && expected_revision != cur->revision) {
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("runs/", r.run_id, " changed since its etag was read"))
          .Reason("ETAG_MISMATCH");
    }
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE runs SET status = ?, status_message = ?, end_time = ?, "
                                                "description = ?, tags_json = ?, update_time = ?, "
                                                "revision = revision + 1 WHERE run_id = ?"));
    upd->Bind(1, r.status).Bind(2, r.status_message);
    if (r.end_time) {
      upd->Bind(3, *r.end_time);
    } else {
      upd->BindNull(3);
    }
    FT_RETURN_IF_ERROR(upd->Bind(4, r.description).Bind(5, r.tags_json).Bind(6, now).Bind(7, r.run_id).Run());
    if (!edges.empty()) FT_RETURN_IF_ERROR(db_->InsertEdgesInTxn(db, edges, now, absl::StrCat("runs/", r.run_id)));
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> after, ReadRun(db, r.run_id));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::Status SqliteRunStore::LogParams(const std::string& run_id,
                                       const std::vector<std::pair<std::string, std::string>>& params,
                                       const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_RETURN_IF_ERROR(RequireRunning(db, run_id));
    return InsertParams(db, run_id, params);
  });
}

absl::Status SqliteRunStore::LogMetrics(const std::string& run_id, const std::vector<MetricRow>& metrics,
                                        const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_RETURN_IF_ERROR(RequireRunning(db, run_id));
    return InsertMetrics(db, run_id, metrics);
  });
}

absl::Status SqliteRunStore::AddEdges(const std::string& run_id, const std::vector<EdgeRow>& edges,
                                      const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_RETURN_IF_ERROR(RequireRunning(db, run_id));
    return db_->InsertEdgesInTxn(db, edges, db_->now_micros(), absl::StrCat("runs/", run_id));
  });
}

absl::Status SqliteRunStore::RecordArtifacts(const std::string& run_id, const std::vector<ArtifactRow>& changes,
                                             int64_t now, const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    FT_RETURN_IF_ERROR(RequireRunning(db, run_id));
    FT_ASSIGN_OR_RETURN(Stmt * ins, db->Prepare("INSERT INTO run_artifacts (run_id, path, sha256, size_bytes, "
                                                "create_time) VALUES (?, ?, ?, ?, ?)"));
    for (const ArtifactRow& a : changes) {
      ins->Bind(1, run_id).Bind(2, a.path).Bind(5, now);
      if (a.digest) {
        ins->Bind(3, a.digest->sha256).Bind(4, a.digest->size_bytes);
      } else {
        ins->BindNull(3).BindNull(4);
      }
      FT_RETURN_IF_ERROR(ins->Run());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ArtifactRow>> SqliteRunStore::CurrentArtifacts(const std::string& run_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // For each path its newest row (one index walk per path), unless it deletes.
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT a.path, a.sha256, a.size_bytes FROM run_artifacts a "
                                            "WHERE a.run_id = ?1 AND a.sha256 IS NOT NULL AND a.seq = "
                                            "(SELECT MAX(b.seq) FROM run_artifacts b WHERE b.run_id = ?1 "
                                            "AND b.path = a.path) ORDER BY a.path"));
  q->Bind(1, run_id);
  return sqlite::CollectRows<ArtifactRow>(q, [](Stmt* r) {
    return ArtifactRow{r->Text(0), Digest{r->Text(1), r->Int(2)}};
  });
}

absl::StatusOr<std::vector<ArtifactChangeRow>> SqliteRunStore::ArtifactChanges(const std::string& run_id,
                                                                               int64_t after_seq, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT seq, path, sha256, size_bytes, create_time FROM run_artifacts "
                                            "WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"));
  q->Bind(1, run_id).Bind(2, after_seq).Bind(3, int64_t{limit});
  return sqlite::CollectRows<ArtifactChangeRow>(q, [](Stmt* r) {
    ArtifactChangeRow row;
    row.seq = r->Int(0);
    row.artifact.path = r->Text(1);
    if (r->ColumnType(2) != Stmt::Type::kNull) row.artifact.digest = Digest{r->Text(2), r->Int(3)};
    row.create_time = r->Int(4);
    return row;
  });
}

absl::Status SqliteRunStore::LogBatch(const std::string& run_id,
                                      const std::vector<std::pair<std::string, std::string>>& params,
                                      const std::vector<MetricRow>& metrics, const std::optional<TagsWrite>& tags,
                                      int64_t now, const AuditEntry& audit) {
  return db_->WriteWithAudit(audit, [&](Db* db, AuditEntry&) -> absl::Status {
    if (!params.empty() || !metrics.empty()) {
      FT_RETURN_IF_ERROR(RequireRunning(db, run_id));
    } else {
      FT_RETURN_IF_ERROR(RequireChangeable(db, run_id, /*must_run=*/false));
    }
    if (!params.empty()) FT_RETURN_IF_ERROR(InsertParams(db, run_id, params));
    if (!metrics.empty()) FT_RETURN_IF_ERROR(InsertMetrics(db, run_id, metrics));
    if (!tags) return absl::OkStatus();
    FT_ASSIGN_OR_RETURN(Stmt * upd, db->Prepare("UPDATE runs SET tags_json = ?, update_time = ?, "
                                                "revision = revision + 1 WHERE run_id = ? AND revision = ?"));
    FT_RETURN_IF_ERROR(
        upd->Bind(1, tags->tags_json).Bind(2, now).Bind(3, run_id).Bind(4, tags->expected_revision).Run());
    if (db->Changes() == 0) {
      FT_ASSIGN_OR_RETURN(std::optional<RunRow> cur, ReadRun(db, run_id));
      if (!cur) return RunNotFound(run_id);
      return ErrorBuilder(absl::StatusCode::kAborted,
                          absl::StrCat("runs/", run_id, " changed since its tags were read"))
          .Reason("ETAG_MISMATCH");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqliteRunStore::GetParams(const std::string& run_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT key, value FROM run_params WHERE run_id = ? ORDER BY key"));
  q->Bind(1, run_id);
  return sqlite::CollectRows<std::pair<std::string, std::string>>(
      q, [](Stmt* r) { return std::make_pair(r->Text(0), r->Text(1)); });
}

absl::StatusOr<std::vector<MetricRow>> SqliteRunStore::LatestMetrics(const std::string& run_id) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // For each key, the row with the highest (step, timestamp, seq): one
  // index walk per key.
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT k.key, m.value, m.step, m.timestamp, m.seq FROM "
                                            "(SELECT DISTINCT key FROM run_metrics WHERE run_id = ?1) k "
                                            "JOIN run_metrics m ON m.seq = (SELECT seq FROM run_metrics "
                                            "WHERE run_id = ?1 AND key = k.key ORDER BY step DESC, "
                                            "timestamp DESC, seq DESC LIMIT 1) ORDER BY k.key"));
  q->Bind(1, run_id);
  return sqlite::CollectRows<MetricRow>(q, MetricFrom);
}

absl::StatusOr<std::vector<MetricRow>> SqliteRunStore::MetricHistory(const std::string& run_id, const std::string& key,
                                                                     const MetricCursor& after, int limit) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT key, value, step, timestamp, seq FROM run_metrics "
                                            "WHERE run_id = ? AND key = ? AND (step, timestamp, seq) > (?, ?, ?) "
                                            "ORDER BY step, timestamp, seq LIMIT ?"));
  q->Bind(1, run_id)
      .Bind(2, key)
      .Bind(3, after.step)
      .Bind(4, after.timestamp)
      .Bind(5, after.seq)
      .Bind(6, int64_t{limit});
  return sqlite::CollectRows<MetricRow>(q, MetricFrom);
}

absl::StatusOr<std::vector<EdgeRow>> SqliteRunStore::EdgesOf(const std::string& node) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare("SELECT subject, predicate, object, role, origin FROM lineage_edges "
                                            "WHERE subject = ?1 UNION SELECT subject, predicate, object, role, "
                                            "origin FROM lineage_edges WHERE object = ?1 ORDER BY 1, 2, 3, 4"));
  q->Bind(1, node);
  return sqlite::CollectRows<EdgeRow>(
      q, [](Stmt* r) { return EdgeRow{r->Text(0), r->Text(1), r->Text(2), r->Text(3), 1, r->Text(4)}; });
}

absl::StatusOr<std::vector<EdgeRow>> SqliteRunStore::Lineage(const std::string& node, bool upstream, int max_depth,
                                                             int limit, bool* truncated) {
  SqliteDatabase::ReaderLease db = db_->AcquireReader();
  // Breadth-first over nodes: UNION drops repeated (node, depth) pairs and
  // the depth cap ends cycles. Each edge is reported once, at the least
  // depth it was reached.
  const char* kUp =
      "WITH RECURSIVE walk(node, depth) AS (SELECT ?1, 0 UNION SELECT e.object, w.depth + 1 FROM walk w "
      "JOIN lineage_edges e ON e.subject = w.node WHERE w.depth < ?2) "
      "SELECT e.subject, e.predicate, e.object, e.role, MIN(w.depth) + 1, MAX(e.origin) FROM walk w "
      "JOIN lineage_edges e ON e.subject = w.node WHERE w.depth < ?2 GROUP BY 1, 2, 3, 4 ORDER BY 5, 1, 2, 3, 4 LIMIT "
      "?3";
  const char* kDown =
      "WITH RECURSIVE walk(node, depth) AS (SELECT ?1, 0 UNION SELECT e.subject, w.depth + 1 FROM walk w "
      "JOIN lineage_edges e ON e.object = w.node WHERE w.depth < ?2) "
      "SELECT e.subject, e.predicate, e.object, e.role, MIN(w.depth) + 1, MAX(e.origin) FROM walk w "
      "JOIN lineage_edges e ON e.object = w.node WHERE w.depth < ?2 GROUP BY 1, 2, 3, 4 ORDER BY 5, 1, 2, 3, 4 LIMIT "
      "?3";
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(upstream ? kUp : kDown));
  q->Bind(1, node).Bind(2, int64_t{max_depth}).Bind(3, int64_t{limit} + 1);
  FT_ASSIGN_OR_RETURN(std::vector<EdgeRow> out, sqlite::CollectRows<EdgeRow>(q, [](Stmt* r) {
                        return EdgeRow{r->Text(0), r->Text(1), r->Text(2), r->Text(3), static_cast<int>(r->Int(4)),
                                       r->Text(5)};
                      }));
  *truncated = static_cast<int>(out.size()) > limit;
  if (*truncated) out.resize(limit);
  if (!*truncated && !out.empty() && out.back().depth == max_depth) {
    // Edges may continue beyond the cap: check one more hop.
    FT_ASSIGN_OR_RETURN(Stmt * more, db->Prepare(upstream ? "SELECT 1 FROM lineage_edges WHERE subject = ?"
                                                          : "SELECT 1 FROM lineage_edges WHERE object = ?"));
    for (const EdgeRow& e : out) {
      if (e.depth != max_depth) continue;
      FT_ASSIGN_OR_RETURN(bool found, more->Bind(1, upstream ? e.object : e.subject).Step());
      more->Reset();
      if (found) {
        *truncated = true;
        break;
      }
    }
  }
  return out;
}

}  // namespace fairtrace
