#include "registry/store/sqlite/resource_state.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/audit/state_digest.h"
#include "common/content/sha256.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "re2/re2.h"

namespace fairtrace {

using nlohmann::json;
using sqlite::Db;
using sqlite::Stmt;

namespace {

// A child collection: its rows in chain order, with ?1.. bound from the
// parent's columns named in `bind`.
struct ChildSpec {
  const char* field;
  const char* sql;
  std::vector<const char*> bind;
  // When set, StateRead::kStoredChains reads the chain from this parent
  // column (kept up to date by writes) instead of from the rows.
  const char* stored_column = nullptr;
  // When set, an empty collection is left out of the document, so that
  // documents recorded before the collection existed still match.
  bool omit_when_empty = false;
};

// One kind of resource: its name pattern (full match; the captures bind
// ?1.. of `where`), its row (`select` names the resource in a column
// "name") and its children.
struct KindSpec {
  const char* kind;
  const char* pattern;
  const char* select;
  const char* where;
  std::vector<ChildSpec> children;
  // Columns left out of the document while NULL, so that documents
  // recorded before the column existed still match.
  std::vector<const char*> omit_when_null = {};
  std::string lookup;  // select + where, built once (Kinds())
};

const ChildSpec kLineage{"lineage",
                         "SELECT subject, predicate, object, role FROM lineage_edges WHERE origin = ?1 "
                         "ORDER BY subject, predicate, object, role",
                         {"name"}};

const ChildSpec kMetrics{"metrics",
                         "SELECT key, step, timestamp, value FROM run_metrics WHERE run_id = ?1 ORDER BY seq",
                         {"run_id"},
                         "metrics_chain"};

#define FT_DATASET_VERSION_NAME "'datasets/' || dataset_id || '/versions/' || version"

const std::vector<KindSpec>& Kinds() {
  static const auto* kinds = new std::vector<KindSpec>([] {
    std::vector<KindSpec> out{
        {"registeredModel",
         "models/([^/]+)",
         "SELECT 'models/' || model_id AS name, model_id, uid, description, owner, license, tags_json, create_time, "
         "delete_time, project FROM registered_models",
         " WHERE model_id = ?1",
         {}},
        {"modelVersion",
         "models/([^/]+)/versions/([1-9][0-9]{0,18})",
         "SELECT 'models/' || model_id || '/versions/' || version AS name, model_id, version, uid, tree_sha256, "
         "tree_size, mlmodel_json, source_run, description, tags_json, stage, create_time, update_time, revision, "
         "delete_time FROM model_versions",
         " WHERE model_id = ?1 AND version = ?2",
         {kLineage},
         {"delete_time"}},
        {"modelAlias",
         "models/([^/]+)/aliases/([^/]+)",
         "SELECT 'models/' || model_id || '/aliases/' || alias AS name, model_id, alias, version FROM model_aliases",
         " WHERE model_id = ?1 AND alias = ?2",
         {}},
        {"run",
         "runs/([0-9a-f]{32})",
         "SELECT 'runs/' || run_id AS name, run_id, uid, experiment, kind AS run_kind, status, status_message, "
         "start_time, "
         "end_time, seeds_json, code_json, code_commit, environment_json, description, tags_json, create_time, "
         "update_time, revision, metrics_chain, project FROM runs",
         " WHERE run_id = ?1",
         {{"params", "SELECT key, value FROM run_params WHERE run_id = ?1 ORDER BY key", {"run_id"}},
          kMetrics,
          kLineage,
          {"artifacts",
           "SELECT seq, path, sha256, size_bytes FROM run_artifacts WHERE run_id = ?1 ORDER BY seq",
           {"run_id"},
           nullptr,
           /*omit_when_empty=*/true}}},
        {"investigationRevision",
         "investigations/([^/]+)/revisions/([1-9][0-9]{0,18})",
         "SELECT 'investigations/' || investigation_id || '/revisions/' || revision AS name, investigation_id, "
         "revision, digest, profile, validator_version, title, study_count, entity_count, report_json, create_time, "
         "(SELECT i.project FROM investigations i WHERE i.investigation_id = investigation_revisions.investigation_id) "
         "AS project FROM investigation_revisions",
         " WHERE investigation_id = ?1 AND revision = ?2",
         {{"entities",
           "SELECT seq, section, entity_id, record_json, location FROM miappe_entities "
           "WHERE investigation_id = ?1 AND revision = ?2 ORDER BY seq",
           {"investigation_id", "revision"}},
          kLineage}},
        {"dataset",
         "datasets/([^/]+)",
         "SELECT 'datasets/' || dataset_id AS name, dataset_id, uid, datasheet_json, create_time, project FROM "
         "datasets",
         " WHERE dataset_id = ?1",
         {}},
        {"datasetVersion",
         "datasets/([^/]+)/versions/([1-9][0-9]{0,18})",
         "SELECT " FT_DATASET_VERSION_NAME " AS name, dataset_id, version, uid, digest, tree_digest, tree_size, "
         "item_table_digest, item_table_size, investigation_revision, investigation_digest, item_count, "
         "linked_item_count, total_bytes, observation_unit_count, biological_material_count, sample_count, "
         "create_time FROM dataset_versions",
         " WHERE dataset_id = ?1 AND version = ?2",
         {{"items",
           "SELECT path, blob_digest, blob_size, media_type, acquired_at, sensor, view, station, attributes_json, "
           "links_json, item_digest FROM dataset_items WHERE version_uid = ?1 ORDER BY path",
           {"uid"}},
          {"links", "SELECT link, path FROM dataset_item_links WHERE version_uid = ?1 ORDER BY link, path", {"uid"}},
          kLineage}},
        {"annotationSet",
         "datasets/([^/]+)/versions/([1-9][0-9]{0,18})/annotationSets/([^/]+)",
         "SELECT " FT_DATASET_VERSION_NAME
         " || '/annotationSets/' || set_id AS name, dataset_id, version, set_id, uid, "
         "version_uid, digest, annotator, task, format, source_digest, source_size, meta_json, annotation_count, "
         "item_count, created_by, create_time FROM annotation_sets",
         " WHERE dataset_id = ?1 AND version = ?2 AND set_id = ?3",
         {{"annotations",
           "SELECT seq, path, source_id, category_id, value, bbox_x, bbox_y, bbox_w, bbox_h, geometry_json, "
           "mask_digest FROM annotations WHERE set_uid = ?1 ORDER BY seq",
           {"uid"}},
          kLineage}},
        {"agreementReport",
         "datasets/([^/]+)/versions/([1-9][0-9]{0,18})/agreementReports/([^/]+)",
         "SELECT " FT_DATASET_VERSION_NAME " || '/agreementReports/' || report_id AS name, dataset_id, version, "
         "report_id, uid, task, sets_json, document_digest, document_size, overall_json, created_by, create_time "
         "FROM agreement_reports",
         " WHERE dataset_id = ?1 AND version = ?2 AND report_id = ?3",
         {kLineage}},
        {"split",
         "datasets/([^/]+)/versions/([1-9][0-9]{0,18})/splits/([^/]+)",
         "SELECT " FT_DATASET_VERSION_NAME " || '/splits/' || split_id AS name, dataset_id, version, split_id, uid, "
         "version_uid, digest, method, params_json, parts_json, created_by, create_time FROM splits",
         " WHERE dataset_id = ?1 AND version = ?2 AND split_id = ?3",
         {{"items", "SELECT part, path FROM split_items WHERE split_uid = ?1 ORDER BY part, path", {"uid"}}, kLineage}},
        {"leakageReport",
         "(.+)/leakageReports/([^/]+)",
         "SELECT split_name || '/leakageReports/' || report_id AS name, split_uid, report_id, uid, split_name, "
         "leakage_found, document_digest, document_size, findings_json, created_by, create_time "
         "FROM leakage_reports",
         " WHERE split_name = ?1 AND report_id = ?2",
         {kLineage}},
        {"experiment",
         "experiments/(0|[1-9][0-9]{0,17})",
         "SELECT 'experiments/' || experiment_id AS name, experiment_id, uid, name AS experiment_name, "
         "artifact_location, lifecycle_stage, tags_json, create_time, update_time, project FROM experiments",
         " WHERE experiment_id = ?1",
         {}},
        {"accessToken",
         "tokens/([0-9a-f]{16})",
         "SELECT 'tokens/' || token_id AS name, token_id, principal, secret_sha256, description, create_time, "
         "expire_time, revoke_time FROM access_tokens",
         " WHERE token_id = ?1",
         {}},
        {"accessGrant",
         "grants/(.+)/([^/]+)/([^/]+)",
         "SELECT 'grants/' || principal || '/' || role || '/' || project AS name, principal, role, project, "
         "create_time FROM access_grants",
         " WHERE principal = ?1 AND role = ?2 AND project = ?3",
         {}},
    };
    for (KindSpec& k : out) k.lookup = absl::StrCat(k.select, k.where);
    return out;
  }());
  return *kinds;
}

#undef FT_DATASET_VERSION_NAME

const std::vector<std::unique_ptr<RE2>>& Patterns() {
  static const auto* patterns = [] {
    auto* out = new std::vector<std::unique_ptr<RE2>>;
    for (const KindSpec& k : Kinds()) out->push_back(std::make_unique<RE2>(k.pattern));
    return out;
  }();
  return *patterns;
}

json ColumnValue(const Stmt& q, int col, absl::string_view column_name) {
  switch (q.ColumnType(col)) {
    case Stmt::Type::kInteger:
      return q.Int(col);
    case Stmt::Type::kReal:
      return StateDouble(q.Double(col));
    case Stmt::Type::kBlob:
      return absl::BytesToHexString(q.Blob(col));
    case Stmt::Type::kNull:
      return nullptr;
    case Stmt::Type::kText:
      break;
  }
  std::string text = q.Text(col);
  if (absl::EndsWith(column_name, "_json")) {
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  return text;
}

json RowObject(const Stmt& q) {
  json row = json::object();
  for (int i = 0; i < q.ColumnCount(); ++i) {
    std::string name = q.ColumnName(i);
    row[name] = ColumnValue(q, i, name);
  }
  return row;
}

// The canonical JSON of a string (common/audit/state_digest.h): what
// nlohmann's dump writes with ensure_ascii off, without building a json
// value. INVALID_ARGUMENT for invalid UTF-8.
absl::Status AppendJsonString(absl::string_view s, std::string* out) {
  if (text::FirstInvalidUtf8(s).has_value()) {
    return absl::InvalidArgumentError("a state document holds text that is not valid UTF-8");
  }
  out->push_back('"');
  size_t plain = 0;  // start of the bytes not yet appended
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
      }
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
  return absl::OkStatus();
}

// A child row's canonical JSON written directly (the chains' rows are
// many: building a json object per row costs several times more). Equals
// CanonicalStateJson of the row as a json object of its columns, with
// JSON texts as strings; resource_state_test.cc checks it.
class RowWriter {
 public:
  explicit RowWriter(const Stmt& q) {
    for (int i = 0; i < q.ColumnCount(); ++i) columns_.push_back({q.ColumnName(i), i});
    std::sort(columns_.begin(), columns_.end());
    for (auto& [name, index] : columns_) {
      std::string key;
      (void)AppendJsonString(name, &key);  // column names are ASCII
      keys_.push_back(key + ":");
    }
  }
  absl::Status Append(const Stmt& q, std::string* out) const {
    out->push_back('{');
    for (size_t k = 0; k < columns_.size(); ++k) {
      if (k > 0) out->push_back(',');
      out->append(keys_[k]);
      const auto& [name, col] = columns_[k];
      switch (q.ColumnType(col)) {
        case Stmt::Type::kInteger:
          absl::StrAppend(out, q.Int(col));
          break;
        case Stmt::Type::kNull:
          out->append("null");
          break;
        case Stmt::Type::kReal:
        case Stmt::Type::kBlob: {
          FT_ASSIGN_OR_RETURN(std::string v, CanonicalStateJson(ColumnValue(q, col, name)));
          out->append(v);
          break;
        }
        case Stmt::Type::kText:
          // A child row's JSON texts enter as the text stored (the code
          // that stores them writes them canonically): parsing every
          // item's attributes would double the cost of the chain.
          FT_RETURN_IF_ERROR(AppendJsonString(q.Text(col), out));
          break;
      }
    }
    out->push_back('}');
    return absl::OkStatus();
  }

 private:
  std::vector<std::pair<std::string, int>> columns_;  // by name
  std::vector<std::string> keys_;                     // "\"name\":"
};

absl::Status BindJson(Stmt* q, int index, const json& v) {
  if (v.is_number_integer()) {
    q->Bind(index, v.get<int64_t>());
  } else if (v.is_string()) {
    q->Bind(index, v.get<std::string>());
  } else {
    return absl::InternalError("a state child is bound to a column that is neither text nor integer");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChildChain(Db* db, const ChildSpec& child, const json& parent) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(child.sql));
  for (size_t i = 0; i < child.bind.size(); ++i) {
    absl::Status bound = BindJson(q, static_cast<int>(i + 1), parent.at(child.bind[i]));
    if (!bound.ok()) {
      q->Reset();
      return bound;
    }
  }
  std::string chain;
  std::optional<RowWriter> writer;
  std::string link;
  while (true) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!writer) writer.emplace(*q);
    link = chain;  // c(i) = SHA-256(c(i-1) || canonical(row i))
    if (absl::Status s = writer->Append(*q, &link); !s.ok()) {
      q->Reset();
      return s;
    }
    chain = Sha256Hex(link);
  }
  return chain;
}

// The document of the row `q` is on.
absl::StatusOr<json> DocOfRow(Db* db, const KindSpec& kind, const Stmt& q, StateRead how) {
  json doc = RowObject(q);
  // "kind" names the resource kind; a column of that name is selected
  // under another (a run's kind is "run_kind").
  if (doc.contains("kind")) return absl::InternalError(absl::StrCat(kind.kind, ": a column is named \"kind\""));
  doc["kind"] = kind.kind;
  // A resource's project enters its document unless it is "default", so
  // that documents recorded before projects existed still match.
  if (auto p = doc.find("project"); p != doc.end() && *p == "default") doc.erase(p);
  for (const char* column : kind.omit_when_null) {
    if (auto c = doc.find(column); c != doc.end() && c->is_null()) doc.erase(c);
  }
  for (const ChildSpec& child : kind.children) {
    if (child.stored_column != nullptr && how == StateRead::kStoredChains) {
      doc[child.field] = doc.at(child.stored_column);
    } else {
      FT_ASSIGN_OR_RETURN(std::string chain, ChildChain(db, child, doc));
      if (!chain.empty() || !child.omit_when_empty) doc[child.field] = std::move(chain);
    }
  }
  for (const ChildSpec& child : kind.children) {
    if (child.stored_column != nullptr) doc.erase(child.stored_column);
  }
  return doc;
}

// The kind whose pattern `name` matches, with the captures.
const KindSpec* KindOf(absl::string_view name, std::vector<std::string>* captures) {
  const re2::StringPiece piece(name.data(), name.size());
  for (size_t i = 0; i < Kinds().size(); ++i) {
    const RE2& re = *Patterns()[i];
    if (!RE2::FullMatch(piece, re)) continue;  // no captures: no allocations
    int n = re.NumberOfCapturingGroups();
    std::vector<std::string> out(n);
    std::vector<RE2::Arg> args(n);
    std::vector<const RE2::Arg*> arg_ptrs(n);
    for (int j = 0; j < n; ++j) {
      args[j] = &out[j];
      arg_ptrs[j] = &args[j];
    }
    if (RE2::FullMatchN(piece, re, arg_ptrs.data(), n)) {
      *captures = std::move(out);
      return &Kinds()[i];
    }
  }
  return nullptr;
}

// The document of `name`, whose kind and captures KindOf gave.
absl::StatusOr<std::optional<json>> DocOfKind(Db* db, const KindSpec& kind, const std::vector<std::string>& captures,
                                              absl::string_view name, StateRead how) {
  FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(kind.lookup));
  for (size_t i = 0; i < captures.size(); ++i) q->Bind(static_cast<int>(i + 1), captures[i]);
  FT_ASSIGN_OR_RETURN(bool found, q->Step());
  if (!found) return std::optional<json>();
  absl::StatusOr<json> doc = DocOfRow(db, kind, *q, how);
  q->Reset();
  if (!doc.ok()) return doc.status();
  // A name can match a row under another spelling (SQLite compares
  // version = '01' numerically); only the stored spelling names it.
  if (doc->at("name") != std::string(name)) return std::optional<json>();
  return std::optional<json>(*std::move(doc));
}

}  // namespace

absl::StatusOr<std::optional<json>> ResourceStateDoc(Db* db, absl::string_view name, StateRead how) {
  std::vector<std::string> captures;
  const KindSpec* kind = KindOf(name, &captures);
  if (kind == nullptr) return std::optional<json>();
  return DocOfKind(db, *kind, captures, name, how);
}

absl::StatusOr<std::string> ResourceStateDigest(Db* db, absl::string_view name, StateRead how) {
  std::vector<std::string> captures;
  const KindSpec* kind = KindOf(name, &captures);
  if (kind == nullptr) return std::string();
  FT_ASSIGN_OR_RETURN(std::optional<json> doc, DocOfKind(db, *kind, captures, name, how));
  if (!doc) return DeletedStateDocDigest(name);
  return StateDigestOf(*doc);
}

absl::Status ForEachResourceDocument(Db* db, StateRead how,
                                     const std::function<absl::Status(const std::string&, const std::string&)>& fn) {
  for (const KindSpec& kind : Kinds()) {
    FT_ASSIGN_OR_RETURN(Stmt * q, db->Prepare(kind.select));
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      absl::Status s = [&]() -> absl::Status {
        absl::StatusOr<json> doc = DocOfRow(db, kind, *q, how);
        absl::StatusOr<std::string> canonical =
            doc.ok() ? CanonicalStateJson(*doc) : absl::StatusOr<std::string>(doc.status());
        // Stored text that is not valid UTF-8 (written behind the server's
        // back) makes that one resource unreadable, not the walk.
        if (absl::IsInvalidArgument(canonical.status())) return fn(q->Text(0), std::string());
        if (!canonical.ok()) return canonical.status();
        return fn(doc->at("name").get<std::string>(), *canonical);
      }();
      if (!s.ok()) {
        q->Reset();
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ForEachResourceState(Db* db, StateRead how,
                                  const std::function<absl::Status(const std::string&, const std::string&)>& fn) {
  return ForEachResourceDocument(db, how, [&fn](const std::string& name, const std::string& canonical) {
    return fn(name, canonical.empty() ? std::string(kUnreadableState)
                                      : absl::StrCat(kStateDigestPrefix, Sha256Hex(canonical)));
  });
}

absl::StatusOr<std::string> NextMetricsChain(absl::string_view chain, const std::string& key, int64_t step,
                                             int64_t timestamp, double value) {
  // The row as the chain's RowWriter writes it from the table's columns
  // (key, step, timestamp, value; NaN is stored as NULL).
  std::string link(chain);
  link.append("{\"key\":");
  FT_RETURN_IF_ERROR(AppendJsonString(key, &link));
  absl::StrAppend(&link, ",\"step\":", step, ",\"timestamp\":", timestamp, ",\"value\":");
  if (std::isnan(value)) {
    link.append("null");
  } else {
    FT_ASSIGN_OR_RETURN(std::string v, CanonicalStateJson(StateDouble(value)));
    link.append(v);
  }
  link.push_back('}');
  return Sha256Hex(link);
}

absl::StatusOr<std::string> RecomputeMetricsChain(Db* db, const std::string& run_id) {
  return ChildChain(db, kMetrics, json{{"run_id", run_id}});
}

}  // namespace fairtrace
