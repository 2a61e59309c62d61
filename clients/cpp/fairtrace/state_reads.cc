#include "clients/cpp/fairtrace/state_reads.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/audit/state_digest.h"
#include "common/content/digest.h"
#include "common/content/sha256.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace fairtrace::client {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

constexpr int kPage = 10'000;            // the largest page every List RPC read here allows
constexpr int kLineageEdgeCap = 10'000;  // GetLineage's edge cap (runs.proto)

json Micros(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMicroseconds(t); }
template <typename M>
json MicrosIf(bool has, const M& t) {
  return has ? Micros(t) : json(nullptr);
}

// An enum value as documents store it: its name without `prefix`, in
// upper or lower case; "" for *_UNSPECIFIED.
std::string EnumText(const std::string& name, absl::string_view prefix, bool lower) {
  std::string s = absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
  if (s == "UNSPECIFIED") return "";
  return lower ? absl::AsciiStrToLower(s) : s;
}

template <typename Map>
json MapObject(const Map& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

// The proto3 JSON of a message, with its field names as declared or in
// lowerCamelCase (how the server stored that message's JSON text).
json MessageObject(const google::protobuf::Message& m, bool declared_names = true) {
  std::string text;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = declared_names;
  if (!google::protobuf::util::MessageToJsonString(m, &text, o).ok()) return nullptr;
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// A chain over rows (docs/audit-log.md, "Canonical form"): "" for none.
std::string Chain(const std::vector<json>& rows) {
  std::string chain;
  for (const json& row : rows) {
    absl::StatusOr<std::string> canonical = CanonicalStateJson(row);
    if (!canonical.ok()) return "(not valid UTF-8)";
    chain = Sha256Hex(absl::StrCat(chain, *canonical));
  }
  return chain;
}

using Edge = std::array<std::string, 4>;  // subject, predicate, object, role

// The lineage chain over `edges`: sorted as the document's rows are (by
// subject, predicate, object, role; bytewise), each once.
std::string EdgeChain(std::vector<Edge> edges) {
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::vector<json> rows;
  for (const Edge& e : edges)
    rows.push_back({{"subject", e[0]}, {"predicate", e[1]}, {"object", e[2]}, {"role", e[3]}});
  return Chain(rows);
}

std::string Shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 200 ? absl::StrCat(s.substr(0, 200), "...") : s;
}

// A JSON text the read returns, as the document embeds it (parsed; the
// text itself when it is not JSON, which then differs).
json ParsedOrText(const std::string& text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json(text) : parsed;
}

// A version's `mlmodel_json` (registry/models: MlmodelJson) from the
// MlmodelInfo the read returns.
json MlmodelObject(const v1::MlmodelInfo& m) {
  return {{"flavors", json(std::vector<std::string>(m.flavors().begin(), m.flavors().end()))},
          {"mlflow_version", m.mlflow_version()},
          {"model_uuid", m.model_uuid()},
          {"run_id", m.run_id()},
          {"utc_time_created", m.utc_time_created()},
          {"model_size_bytes", m.has_model_size_bytes() ? json(m.model_size_bytes()) : json(nullptr)},
          {"signature", ParsedOrText(m.signature_json())},
          {"saved_input_example_info", ParsedOrText(m.saved_input_example_info_json())},
          {"metadata", ParsedOrText(m.metadata_json())},
          {"flavor_details", ParsedOrText(m.flavors_json())},
          {"extensions", ParsedOrText(m.extensions_json())}};
}

// For each element i of the array `field` of `*view`: drops its `key`
// when that is empty and element i of the document's array has no such
// key (documents written before the key existed, or by a writer that
// leaves it out).
void DropEmptyWhereStoredHasNone(const json& doc, const char* field, const char* key, json* view) {
  const json* stored = doc.contains(field) ? &doc.at(field) : nullptr;
  json& read = (*view)[field];
  if (stored == nullptr || !stored->is_array() || !read.is_array()) return;
  for (size_t i = 0; i < read.size() && i < stored->size(); ++i) {
    if ((*stored)[i].is_object() && !(*stored)[i].contains(key) && read[i].contains(key) && read[i][key].empty()) {
      read[i].erase(key);
    }
  }
}

// The revision an etag carries ("<revision>-<hash>", registry/core
// resource_util.h), null when it carries none.
json EtagRevision(const std::string& etag) {
  int64_t revision = 0;
  const size_t dash = etag.find('-');
  if (dash == std::string::npos || !absl::SimpleAtoi(etag.substr(0, dash), &revision)) return nullptr;
  return revision;
}

// The text after the last '/' of a resource name.
std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

}  // namespace

ReadCheck CompareReadView(const json& doc, const json& view, const std::string& rpc) {
  ReadCheck out;
  out.read = true;
  out.rpc = rpc;
  for (const auto& [field, read] : view.items()) {
    ++out.fields;
    json stored = doc.contains(field) ? doc.at(field) : json();
    json got = read;
    if (field == "project") {
      if (stored.is_null()) stored = "default";
      if (got == "") got = "default";
    }
    // A model version's document leaves delete_time out while it is null.
    if (!doc.contains(field) && field != "project" && field != "delete_time") {
      out.differences.push_back(absl::StrCat(field, ": not in the document; ", rpc, " says ", Shown(got)));
    } else if (stored != got) {
      out.differences.push_back(
          absl::StrCat(field, ": the document says ", Shown(stored), ", ", rpc, " says ", Shown(got)));
    }
  }
  return out;
}

json RegisteredModelView(const v1::RegisteredModel& m) {
  return {{"name", m.name()},
          {"uid", m.uid()},
          {"description", m.description()},
          {"owner", m.owner()},
          {"license", m.license()},
          {"tags_json", MapObject(m.tags())},
          {"create_time", Micros(m.create_time())},
          {"delete_time", MicrosIf(m.has_delete_time(), m.delete_time())},
          {"project", m.project()}};
}

json ModelVersionView(const v1::ModelVersion& v) {
  // The edges a version's creation makes (docs/audit-log.md): derived from
  // its tree, generated by its run when it names one; sorted.
  std::vector<Edge> edges = {{v.name(), "wasDerivedFrom",
                              TreeResourceName(Digest{v.tree_digest().sha256(), v.tree_digest().size_bytes()}),
                              "content"}};
  if (!v.source_run().empty()) edges.push_back({v.name(), "wasGeneratedBy", v.source_run(), "model"});
  json view = {{"name", v.name()},
               {"uid", v.uid()},
               {"version", v.version()},
               {"tree_sha256", v.tree_digest().sha256()},
               {"tree_size", v.tree_digest().size_bytes()},
               {"source_run", v.source_run()},
               {"description", v.description()},
               {"tags_json", MapObject(v.tags())},
               {"stage", v.stage() == v1::MODEL_STAGE_UNSPECIFIED
                             ? std::string("NONE")
                             : EnumText(v1::ModelStage_Name(v.stage()), "MODEL_STAGE_", false)},
               {"create_time", Micros(v.create_time())},
               {"update_time", Micros(v.update_time())},
               {"revision", EtagRevision(v.etag())},
               {"mlmodel_json", MlmodelObject(v.mlmodel())},
               {"lineage", EdgeChain(std::move(edges))},
               {"delete_time", MicrosIf(v.has_delete_time(), v.delete_time())}};
  return view;
}

json ModelAliasView(const v1::RegisteredModel& m, const std::string& alias) {
  auto it = m.aliases().find(alias);
  return {{"alias", alias}, {"version", it == m.aliases().end() ? json(nullptr) : json(it->second)}};
}

json ArtifactsChain(const std::vector<v1::ArtifactChange>& changes) {
  std::vector<json> rows;
  for (const v1::ArtifactChange& c : changes) {
    const bool kept = c.has_blob();
    rows.push_back({{"seq", c.seq()},
                    {"path", c.path()},
                    {"sha256", kept ? json(c.blob().sha256()) : json(nullptr)},
                    {"size_bytes", kept ? json(c.blob().size_bytes()) : json(nullptr)}});
  }
  return Chain(rows);
}

json RunView(const v1::Run& r, const std::vector<v1::Metric>& history) {
  // The metrics chain: every point in logging order, NaN as null.
  std::vector<const v1::Metric*> points;
  for (const v1::Metric& m : history) points.push_back(&m);
  std::sort(points.begin(), points.end(),
            [](const v1::Metric* a, const v1::Metric* b) { return a->log_order() < b->log_order(); });
  std::vector<json> metric_rows;
  for (const v1::Metric* m : points) {
    metric_rows.push_back({{"key", m->key()},
                           {"step", m->step()},
                           {"timestamp", TimeUtil::TimestampToMicroseconds(m->timestamp())},
                           {"value", std::isnan(m->value()) ? json(nullptr) : StateDouble(m->value())}});
  }
  json seeds = json::array();
  for (const v1::Seed& s : r.seeds()) seeds.push_back({{"name", s.name()}, {"value", s.value()}});
  const v1::CodeVersion& c = r.code();
  const std::string diff = c.dirty_diff().sha256().empty()
                               ? std::string()
                               : absl::StrCat(c.dirty_diff().sha256(), "/", c.dirty_diff().size_bytes());
  const v1::Environment& e = r.environment();
  std::vector<std::pair<std::string, std::string>> params(r.params().begin(), r.params().end());
  std::sort(params.begin(), params.end());
  std::vector<json> param_rows;
  for (const auto& [k, v] : params) param_rows.push_back({{"key", k}, {"value", v}});
  return {{"name", r.name()},
          {"uid", r.uid()},
          {"experiment", r.experiment()},
          {"run_kind", EnumText(v1::RunKind_Name(r.kind()), "RUN_KIND_", false)},
          {"status", EnumText(v1::RunStatus_Name(r.status()), "RUN_STATUS_", false)},
          {"status_message", r.status_message()},
          {"start_time", Micros(r.start_time())},
          {"end_time", MicrosIf(r.has_end_time(), r.end_time())},
          {"seeds_json", seeds},
          {"code_json",
           {{"repository_url", c.repository_url()},
            {"commit", c.commit()},
            {"branch", c.branch()},
            {"dirty_diff", diff},
            {"entry_point", c.entry_point()}}},
          {"code_commit", c.commit()},
          {"environment_json",
           {{"python_version", e.python_version()},
            {"packages", MapObject(e.packages())},
            {"os", e.os()},
            {"cpu_model", e.cpu_model()},
            {"gpu_model", e.gpu_model()},
            {"gpu_driver", e.gpu_driver()},
            {"cuda_version", e.cuda_version()},
            {"container_image_digest", e.container_image_digest()},
            {"hostname", e.hostname()}}},
          {"description", r.description()},
          {"tags_json", MapObject(r.tags())},
          {"create_time", Micros(r.create_time())},
          {"update_time", Micros(r.update_time())},
          {"revision", EtagRevision(r.etag())},
          {"project", r.project()},
          {"params", Chain(param_rows)},
          {"metrics", Chain(metric_rows)}};
}

json InvestigationRevisionView(const v1::Investigation& i, const std::vector<v1::MiappeEntity>& entities) {
  // The entities chain: rows by sequence, each record as the JSON text the
  // server writes (its values, its extension columns in order, section and
  // location).
  std::vector<const v1::MiappeEntity*> by_seq;
  for (const v1::MiappeEntity& e : entities) by_seq.push_back(&e);
  std::sort(by_seq.begin(), by_seq.end(),
            [](const v1::MiappeEntity* a, const v1::MiappeEntity* b) { return a->seq() < b->seq(); });
  std::vector<json> rows;
  for (const v1::MiappeEntity* e : by_seq) {
    json extensions = json::array();
    for (const v1::ExtensionCell& c : e->extension_cells()) extensions.push_back({c.key(), c.value()});
    const json record = {{"section", e->section()},
                         {"values", MapObject(e->values())},
                         {"extensions", extensions},
                         {"location", e->location()}};
    rows.push_back({{"seq", e->seq()},
                    {"section", e->section()},
                    {"entity_id", e->entity_id()},
                    {"record_json", record.dump()},
                    {"location", e->location()}});
  }
  return {{"name", absl::StrCat(i.name(), "/revisions/", i.revision())},
          {"entities", Chain(rows)},
          {"revision", i.revision()},
          {"digest", i.revision_digest()},
          {"profile", i.profile()},
          {"validator_version", i.validator_version()},
          {"title", i.title()},
          {"study_count", i.study_count()},
          {"entity_count", i.entity_count()},
          {"report_json", MessageObject(i.report(), /*declared_names=*/false)},
          {"create_time", Micros(i.revision_time())},
          {"project", i.project()}};
}

json DatasetView(const v1::Dataset& d) {
  return {{"name", d.name()},
          {"uid", d.uid()},
          {"datasheet_json", MessageObject(d.datasheet())},
          {"create_time", Micros(d.create_time())},
          {"project", d.project()}};
}

json DatasetVersionView(const v1::DatasetVersion& v, const std::vector<v1::Item>& items) {
  // The items chain (by path) and the links chain (by link, path): rows
  // as stored, JSON columns as the texts the server writes (sorted keys,
  // no whitespace: what json's dump() writes).
  std::vector<const v1::Item*> by_path;
  for (const v1::Item& i : items) by_path.push_back(&i);
  std::sort(by_path.begin(), by_path.end(), [](const v1::Item* a, const v1::Item* b) { return a->path() < b->path(); });
  std::vector<json> item_rows;
  std::vector<std::pair<std::string, std::string>> links;
  for (const v1::Item* i : by_path) {
    json attributes = json::object();
    for (const auto& [k, val] : i->attributes()) attributes[k] = val;
    item_rows.push_back({{"path", i->path()},
                         {"blob_digest", i->blob().sha256()},
                         {"blob_size", i->blob().size_bytes()},
                         {"media_type", i->media_type()},
                         {"acquired_at", i->acquired_at()},
                         {"sensor", i->sensor()},
                         {"view", i->view()},
                         {"station", i->station()},
                         {"attributes_json", attributes.dump()},
                         {"links_json", json(std::vector<std::string>(i->links().begin(), i->links().end())).dump()},
                         {"item_digest", i->digest()}});
    for (const std::string& l : i->links()) links.emplace_back(l, i->path());
  }
  std::sort(links.begin(), links.end());
  std::vector<json> link_rows;
  for (const auto& [link, path] : links) link_rows.push_back({{"link", link}, {"path", path}});
  return {{"name", v.name()},
          {"uid", v.uid()},
          {"items", Chain(item_rows)},
          {"links", Chain(link_rows)},
          {"digest", v.digest()},
          {"tree_digest", v.tree().sha256()},
          {"tree_size", v.tree().size_bytes()},
          {"item_table_digest", v.item_table().sha256()},
          {"item_table_size", v.item_table().size_bytes()},
          {"investigation_revision", v.investigation_revision()},
          {"investigation_digest", v.investigation_digest()},
          {"item_count", v.item_count()},
          {"linked_item_count", v.linked_item_count()},
          {"total_bytes", v.total_bytes()},
          {"observation_unit_count", v.observation_unit_count()},
          {"biological_material_count", v.biological_material_count()},
          {"sample_count", v.sample_count()},
          {"create_time", Micros(v.create_time())}};
}

json AnnotationSetView(const v1::AnnotationSet& s, const std::vector<v1::Annotation>& annotations) {
  // The annotations chain: each annotation as stored, by sequence.
  std::vector<const v1::Annotation*> by_seq;
  for (const v1::Annotation& a : annotations) by_seq.push_back(&a);
  std::sort(by_seq.begin(), by_seq.end(),
            [](const v1::Annotation* a, const v1::Annotation* b) { return a->stored().seq() < b->stored().seq(); });
  std::vector<json> rows;
  for (const v1::Annotation* a : by_seq) {
    const v1::StoredAnnotation& st = a->stored();
    json row = {{"seq", st.seq()},
                {"path", a->path()},
                {"source_id", a->source_id()},
                {"category_id", st.category_id()},
                {"value", StateDouble(st.value())},
                {"geometry_json", st.geometry_json()},
                {"mask_digest", st.mask_digest()}};
    static constexpr const char* kBox[] = {"bbox_x", "bbox_y", "bbox_w", "bbox_h"};
    for (int i = 0; i < 4; ++i) row[kBox[i]] = i < st.bbox_size() ? StateDouble(st.bbox(i)) : json(nullptr);
    rows.push_back(std::move(row));
  }
  const v1::Digest& source = s.has_source_tree() ? s.source_tree() : s.source_blob();
  // What the set keeps besides its columns (registry/annotations): the
  // protocol, tool, categories and the set it replaces.
  v1::AnnotationSet meta;
  *meta.mutable_protocol() = s.protocol();
  *meta.mutable_tool() = s.tool();
  *meta.mutable_categories() = s.categories();
  meta.set_replaces(s.replaces());
  return {{"name", s.name()},
          {"uid", s.uid()},
          {"annotator", s.annotator()},
          {"task", EnumText(v1::AnnotationTask_Name(s.task()), "ANNOTATION_TASK_", true)},
          {"format", EnumText(v1::AnnotationFormat_Name(s.format()), "ANNOTATION_FORMAT_", true)},
          {"source_digest", source.sha256()},
          {"source_size", source.size_bytes()},
          {"digest", s.digest()},
          {"meta_json", MessageObject(meta)},
          {"annotations", Chain(rows)},
          {"annotation_count", s.annotation_count()},
          {"item_count", s.annotated_item_count()},
          {"created_by", s.created_by()},
          {"create_time", Micros(s.create_time())}};
}

json AgreementReportView(const v1::AgreementReport& r) {
  json overall = json::array();
  for (const v1::AgreementCoefficient& c : r.overall()) {
    json j = {{"measure", c.measure()}, {"defined", c.defined()}, {"units", c.units()}};
    if (c.defined()) {
      j["value"] = c.value();
    } else {
      j["undefined_reason"] = c.undefined_reason();
    }
    if (c.interval_defined()) {
      j["interval_defined"] = true;
      j["lower"] = c.lower();
      j["upper"] = c.upper();
    }
    overall.push_back(std::move(j));
  }
  return {{"name", r.name()},
          {"uid", r.uid()},
          {"task", EnumText(v1::AnnotationTask_Name(r.task()), "ANNOTATION_TASK_", true)},
          {"sets_json", json(std::vector<std::string>(r.annotation_sets().begin(), r.annotation_sets().end()))},
          {"document_digest", r.document().sha256()},
          {"document_size", r.document().size_bytes()},
          {"overall_json", overall},
          {"created_by", r.created_by()},
          {"create_time", Micros(r.create_time())}};
}

json SplitView(const v1::Split& s, const std::map<std::string, std::vector<std::string>>& part_paths) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& [part, paths] : part_paths) {
    for (const std::string& p : paths) items.emplace_back(part, p);
  }
  std::sort(items.begin(), items.end());
  std::vector<json> rows;
  for (const auto& [part, path] : items) rows.push_back({{"part", part}, {"path", path}});
  // The parameters as given (registry/splits), kept as their proto JSON.
  v1::Split given;
  given.set_method(s.method());
  *given.mutable_ratios() = s.ratios();
  given.set_folds(s.folds());
  given.set_seed(s.seed());
  given.set_group_by(s.group_by());
  given.set_stratify_by(s.stratify_by());
  if (s.has_assignment()) *given.mutable_assignment() = s.assignment();
  // Each part as kept (in the split's order), with what it shares with
  // each other part.
  json parts = json::array();
  for (const v1::SplitPart& p : s.parts()) {
    json shares = json::object();
    for (const auto& [other, counts] : p.shares_with()) shares[other] = MapObject(counts.counts());
    parts.push_back({{"part", p.part()},
                     {"digest", p.digest()},
                     {"item_count", p.item_count()},
                     {"group_count", p.group_count()},
                     {"shares_with", shares}});
  }
  return {{"name", s.name()},
          {"params_json", MessageObject(given)},
          {"parts_json", parts},
          {"uid", s.uid()},
          {"method", EnumText(v1::SplitMethod_Name(s.method()), "SPLIT_METHOD_", true)},
          {"digest", s.digest()},
          {"created_by", s.created_by()},
          {"create_time", Micros(s.create_time())},
          {"items", Chain(rows)}};
}

json LeakageReportView(const v1::LeakageReport& r) {
  json view = {{"name", r.name()},
               {"uid", r.uid()},
               {"split_name", r.split()},
               {"leakage_found", r.leakage_found() ? 1 : 0},
               {"document_digest", r.document().sha256()},
               {"document_size", r.document().size_bytes()},
               {"created_by", r.created_by()},
               {"create_time", Micros(r.create_time())}};
  // Each finding with its pairs, the count as proto JSON writes an int64
  // (a run's report checked from one split's parts lists no pairs: see
  // StateReads::CheckDocument).
  json findings = json::array();
  for (const v1::LeakageFinding& f : r.findings()) {
    json pairs = json::array();
    for (const v1::LeakagePair& p : f.pairs()) {
      pairs.push_back(
          {{"a", p.a()}, {"a_part", p.a_part()}, {"b", p.b()}, {"b_part", p.b_part()}, {"shared", p.shared()}});
    }
    findings.push_back({{"kind", f.kind()}, {"count", std::to_string(f.count())}, {"pairs", pairs}});
  }
  view["findings_json"] = findings;
  return view;
}

json ExperimentView(const v1::Experiment& e) {
  const std::string id = LastSegment(e.name());
  int64_t n = -1;
  return {{"name", e.name()},
          {"experiment_id", absl::SimpleAtoi(id, &n) ? json(n) : json(id)},
          {"uid", e.uid()},
          {"experiment_name", e.display_name()},
          {"artifact_location", e.artifact_location()},
          {"lifecycle_stage", e.lifecycle_stage()},
          {"tags_json", MapObject(e.tags())},
          {"create_time", Micros(e.create_time())},
          {"update_time", Micros(e.update_time())},
          {"project", e.project()}};
}

json TokenView(const v1::Token& t) {
  return {{"name", t.name()},
          {"principal", t.principal()},
          {"description", t.description()},
          {"create_time", Micros(t.create_time())},
          // A token stores 0 for "never" (not null, as other kinds do).
          {"expire_time", t.has_expire_time() ? Micros(t.expire_time()) : json(0)},
          {"revoke_time", t.has_revoke_time() ? Micros(t.revoke_time()) : json(0)}};
}

std::optional<std::string> OwnLineageChain(const std::string& name, const std::vector<v1::LineageEdge>& edges) {
  std::vector<Edge> own;
  for (const v1::LineageEdge& e : edges) {
    if (e.origin() != name) continue;
    if (absl::StartsWith(e.subject(), "redacted/") || absl::StartsWith(e.object(), "redacted/")) return std::nullopt;
    own.push_back({e.subject(), e.predicate(), e.object(), e.role()});
  }
  return EdgeChain(std::move(own));
}

json GrantView(const v1::Grant& g) {
  return {{"name", absl::StrCat("grants/", g.principal(), "/", g.role(), "/", g.project())},
          {"principal", g.principal()},
          {"role", g.role()},
          {"project", g.project()},
          {"create_time", Micros(g.create_time())}};
}

StateReads::StateReads(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)),
      models_(v1::ModelService::NewStub(channel)),
      runs_(v1::RunService::NewStub(channel)),
      investigations_(v1::InvestigationService::NewStub(channel)),
      datasets_(v1::DatasetService::NewStub(channel)),
      annotations_(v1::AnnotationService::NewStub(channel)),
      splits_(v1::SplitService::NewStub(channel)),
      access_(v1::AccessService::NewStub(channel)) {}

template <typename Call>
bool StateReads::Read(ReadCheck* check, const std::string& name, Call call) {
  auto ctx = NewCallContext(options_, options_.rpc_timeout);
  grpc::Status s = call(ctx.get());
  if (s.ok()) return true;
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    check->read = true;
    check->fields = 1;
    check->differences.push_back(
        absl::StrCat("the document says ", name, " exists; ", check->rpc, " answers NOT_FOUND: ", s.error_message()));
  } else {
    check->not_read = absl::StrCat(check->rpc, " failed: ", absl::StatusCodeToString(FromGrpcStatus(s).code()));
  }
  return false;
}

template <typename Stub, typename Request, typename Response>
std::optional<Response> StateReads::GetByName(ReadCheck* check, const std::string& name, const char* rpc, Stub* stub,
                                              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                                           Response*)) {
  Request req;
  req.set_name(name);
  Response resp;
  check->rpc = rpc;
  if (!Read(check, name, [&](grpc::ClientContext* c) { return (stub->*method)(c, req, &resp); })) return std::nullopt;
  return resp;
}

template <typename Row, typename Stub, typename Request, typename Response>
std::optional<std::vector<Row>> StateReads::ListAll(ReadCheck* check, const std::string& name, const char* rpc,
                                                    Request req, Stub* stub,
                                                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                                                 Response*),
                                                    google::protobuf::RepeatedPtrField<Row>* (Response::*rows)()) {
  std::vector<Row> out;
  while (true) {
    Response resp;
    check->rpc = rpc;
    if (!Read(check, name, [&](grpc::ClientContext* c) { return (stub->*method)(c, req, &resp); })) {
      return std::nullopt;
    }
    for (Row& row : *(resp.*rows)()) out.push_back(std::move(row));
    if (resp.next_page_token().empty()) return out;
    req.set_page_token(resp.next_page_token());
  }
}

std::optional<std::map<std::string, std::vector<std::string>>> StateReads::PartPaths(const v1::Split& s,
                                                                                     ReadCheck* check) {
  std::map<std::string, std::vector<std::string>> out;
  for (const v1::SplitPart& part : s.parts()) {
    v1::ListPartItemsRequest req;
    req.set_parent(part.name());
    req.set_page_size(kPage);
    auto items = ListAll(check, part.name(), "ListPartItems", req, splits_.get(),
                         &v1::SplitService::Stub::ListPartItems, &v1::ListPartItemsResponse::mutable_items);
    if (!items) return std::nullopt;
    std::vector<std::string>& paths = out[part.part()];
    for (const v1::PartItem& item : *items) paths.push_back(item.path());
  }
  check->rpc = "GetSplit + ListPartItems";
  return out;
}

std::optional<std::vector<v1::Metric>> StateReads::MetricHistory(const v1::Run& r, ReadCheck* check) {
  std::vector<v1::Metric> out;
  for (const v1::Metric& latest : r.latest_metrics()) {
    v1::ListMetricHistoryRequest req;
    req.set_run(r.name());
    req.set_key(latest.key());
    req.set_page_size(kPage);
    auto points = ListAll(check, r.name(), "ListMetricHistory", req, runs_.get(),
                          &v1::RunService::Stub::ListMetricHistory, &v1::ListMetricHistoryResponse::mutable_metrics);
    if (!points) return std::nullopt;
    for (v1::Metric& m : *points) out.push_back(std::move(m));
  }
  check->rpc = "GetRun + ListMetricHistory";
  return out;
}

std::optional<std::vector<v1::Item>> StateReads::Items(const std::string& version, ReadCheck* check) {
  v1::ListItemsRequest req;
  req.set_parent(version);
  req.set_page_size(kPage);
  auto items = ListAll(check, version, "ListItems", req, datasets_.get(), &v1::DatasetService::Stub::ListItems,
                       &v1::ListItemsResponse::mutable_items);
  check->rpc = "GetDatasetVersion + ListItems";
  return items;
}

std::optional<std::vector<v1::MiappeEntity>> StateReads::Entities(const v1::Investigation& i, ReadCheck* check) {
  static constexpr const char* kSections[] = {"investigation",       "study",       "person",           "data_file",
                                              "biological_material", "environment", "factor",           "event",
                                              "observation_unit",    "sample",      "observed_variable"};
  std::vector<v1::MiappeEntity> out;
  for (const char* section : kSections) {
    v1::ListEntitiesRequest req;
    req.set_parent(i.name());
    req.set_section(section);
    req.set_revision(i.revision());
    req.set_page_size(kPage);
    auto entities = ListAll(check, i.name(), "ListEntities", req, investigations_.get(),
                            &v1::InvestigationService::Stub::ListEntities, &v1::ListEntitiesResponse::mutable_entities);
    if (!entities) return std::nullopt;
    for (v1::MiappeEntity& e : *entities) out.push_back(std::move(e));
  }
  check->rpc = "GetInvestigation + ListEntities";
  return out;
}

std::optional<std::vector<v1::ArtifactChange>> StateReads::ArtifactChanges(const std::string& run, ReadCheck* check) {
  const std::string rpc = check->rpc;
  v1::ListArtifactChangesRequest req;
  req.set_run(run);
  req.set_page_size(kPage);
  auto changes = ListAll(check, run, "ListArtifactChanges", req, runs_.get(),
                         &v1::RunService::Stub::ListArtifactChanges, &v1::ListArtifactChangesResponse::mutable_changes);
  check->rpc = absl::StrCat(rpc, " + ListArtifactChanges");
  return changes;
}

std::optional<std::vector<v1::Annotation>> StateReads::Annotations(const std::string& set, ReadCheck* check) {
  v1::ListAnnotationsRequest req;
  req.set_parent(set);
  req.set_page_size(kPage);
  return ListAll(check, set, "ListAnnotations", req, annotations_.get(), &v1::AnnotationService::Stub::ListAnnotations,
                 &v1::ListAnnotationsResponse::mutable_annotations);
}

std::optional<std::string> StateReads::VersionUid(const std::string& version, ReadCheck* check) {
  auto got =
      GetByName(check, version, "GetDatasetVersion", datasets_.get(), &v1::DatasetService::Stub::GetDatasetVersion);
  if (!got) return std::nullopt;
  return got->uid();
}

bool StateReads::AddLineage(const std::string& name, json* view, ReadCheck* check) {
  const std::string rpc = check->rpc;
  std::vector<v1::LineageEdge> edges;
  bool truncated = false;
  for (auto direction : {v1::GetLineageRequest::UPSTREAM, v1::GetLineageRequest::DOWNSTREAM}) {
    v1::GetLineageRequest req;
    req.set_resource(name);
    req.set_direction(direction);
    req.set_max_depth(1);
    v1::GetLineageResponse resp;
    check->rpc = "GetLineage";
    if (!Read(check, name, [&](grpc::ClientContext* c) { return runs_->GetLineage(c, req, &resp); })) return false;
    // At depth 1 `truncated` also says the graph goes on beyond it; only the
    // edge cap can leave out one of the resource's own edges.
    truncated = truncated || (resp.truncated() && resp.edges_size() >= kLineageEdgeCap);
    for (v1::LineageEdge& e : *resp.mutable_edges()) edges.push_back(std::move(e));
  }
  check->rpc = absl::StrCat(rpc, " + GetLineage");
  std::optional<std::string> chain = truncated ? std::nullopt : OwnLineageChain(name, edges);
  if (chain) {
    (*view)["lineage"] = *chain;
  } else {
    check->not_compared.push_back(truncated ? "lineage (GetLineage cut the edges)"
                                            : "lineage (a node is redacted for the caller)");
  }
  return true;
}

std::optional<json> StateReads::ListedToken(const std::string& name, ReadCheck* check) {
  check->rpc = "ListTokens";
  if (!tokens_) {
    v1::ListTokensRequest req;
    req.set_include_revoked(true);
    v1::ListTokensResponse resp;
    auto ctx = NewCallContext(options_, options_.rpc_timeout);
    absl::Status s = FromGrpcStatus(access_->ListTokens(ctx.get(), req, &resp));
    std::map<std::string, json> views;
    for (const v1::Token& t : resp.tokens()) views[t.name()] = TokenView(t);
    tokens_ = s.ok() ? absl::StatusOr<std::map<std::string, json>>(std::move(views)) : s;
  }
  if (!tokens_->ok()) {
    check->not_read = absl::StrCat("ListTokens failed: ", absl::StatusCodeToString(tokens_->status().code()));
    return std::nullopt;
  }
  auto it = (*tokens_)->find(name);
  if (it == (*tokens_)->end()) return json::object({{"name", nullptr}});
  return it->second;
}

std::optional<json> StateReads::ListedGrant(const std::string& name, ReadCheck* check) {
  check->rpc = "ListGrants";
  if (!grants_) {
    v1::ListGrantsResponse resp;
    auto ctx = NewCallContext(options_, options_.rpc_timeout);
    absl::Status s = FromGrpcStatus(access_->ListGrants(ctx.get(), v1::ListGrantsRequest(), &resp));
    std::map<std::string, json> views;
    for (const v1::Grant& g : resp.grants()) {
      json v = GrantView(g);
      std::string key = v.at("name").get<std::string>();  // before v is moved
      views[key] = std::move(v);
    }
    grants_ = s.ok() ? absl::StatusOr<std::map<std::string, json>>(std::move(views)) : s;
  }
  if (!grants_->ok()) {
    check->not_read = absl::StrCat("ListGrants failed: ", absl::StatusCodeToString(grants_->status().code()));
    return std::nullopt;
  }
  auto it = (*grants_)->find(name);
  if (it == (*grants_)->end()) return json::object({{"name", nullptr}});
  return it->second;
}

ReadCheck StateReads::Check(const json& doc) {
  try {
    return CheckDocument(doc);
  } catch (const json::exception& e) {  // a document field of an unexpected type
    ReadCheck check;
    check.read = true;
    check.fields = 1;
    check.rpc = "the comparison";
    check.differences.push_back(absl::StrCat("the document cannot be compared: ", e.what()));
    return check;
  }
}

ReadCheck StateReads::CheckDocument(const json& doc) {
  ReadCheck check;
  const std::string kind = doc.value("kind", "");
  const std::string name = doc.value("name", "");
  // Compares `view`, with the resource's own lineage chain added when
  // `lineage` (every kind whose document has one and whose read does not
  // return it).
  auto compare = [&](json view, bool lineage = false) {
    if (lineage && !AddLineage(name, &view, &check)) return check;
    ReadCheck out = CompareReadView(doc, view, check.rpc);
    out.not_compared = std::move(check.not_compared);
    return out;
  };
  if (kind == "registeredModel" || kind == "modelAlias") {
    v1::GetRegisteredModelRequest req;
    req.set_name(kind == "modelAlias" ? name.substr(0, name.find("/aliases/")) : name);
    req.set_show_deleted(true);
    v1::RegisteredModel m;
    check.rpc = "GetRegisteredModel";
    if (!Read(&check, name, [&](auto* c) { return models_->GetRegisteredModel(c, req, &m); })) return check;
    return compare(kind == "modelAlias" ? ModelAliasView(m, LastSegment(name)) : RegisteredModelView(m));
  }
  if (kind == "modelVersion") {
    v1::GetModelVersionRequest req;
    req.set_name(name);
    req.set_show_deleted(true);
    v1::ModelVersion v;
    check.rpc = "GetModelVersion";
    if (!Read(&check, name, [&](auto* c) { return models_->GetModelVersion(c, req, &v); })) return check;
    return compare(ModelVersionView(v));
  }
  if (kind == "run") {
    auto r = GetByName(&check, name, "GetRun", runs_.get(), &v1::RunService::Stub::GetRun);
    if (!r) return check;
    std::optional<std::vector<v1::Metric>> history = MetricHistory(*r, &check);
    if (!history) return check;
    std::optional<std::vector<v1::ArtifactChange>> changes = ArtifactChanges(name, &check);
    if (!changes) return check;
    json view = RunView(*r, *history);
    // The artifacts chain is in a run's document only when it has one.
    if (!changes->empty() || doc.contains("artifacts")) view["artifacts"] = ArtifactsChain(*changes);
    return compare(std::move(view), true);
  }
  if (kind == "investigationRevision") {
    v1::GetInvestigationRequest req;
    req.set_name(name.substr(0, name.find("/revisions/")));
    req.set_revision(doc.value("revision", int64_t{0}));
    v1::Investigation i;
    check.rpc = "GetInvestigation";
    if (!Read(&check, name, [&](auto* c) { return investigations_->GetInvestigation(c, req, &i); })) return check;
    std::optional<std::vector<v1::MiappeEntity>> entities = Entities(i, &check);
    return entities ? compare(InvestigationRevisionView(i, *entities), true) : check;
  }
  if (kind == "dataset") {
    auto got = GetByName(&check, name, "GetDataset", datasets_.get(), &v1::DatasetService::Stub::GetDataset);
    return got ? compare(DatasetView(*got)) : check;
  }
  if (kind == "datasetVersion") {
    auto got =
        GetByName(&check, name, "GetDatasetVersion", datasets_.get(), &v1::DatasetService::Stub::GetDatasetVersion);
    if (!got) return check;
    std::optional<std::vector<v1::Item>> items = Items(name, &check);
    return items ? compare(DatasetVersionView(*got, *items), true) : check;
  }
  if (kind == "annotationSet") {
    auto got =
        GetByName(&check, name, "GetAnnotationSet", annotations_.get(), &v1::AnnotationService::Stub::GetAnnotationSet);
    if (!got) return check;
    std::optional<std::string> version_uid = VersionUid(name.substr(0, name.find("/annotationSets/")), &check);
    if (!version_uid) return check;
    std::optional<std::vector<v1::Annotation>> annotations = Annotations(name, &check);
    if (!annotations) return check;
    check.rpc = "GetAnnotationSet + ListAnnotations + GetDatasetVersion";
    json view = AnnotationSetView(*got, *annotations);
    view["version_uid"] = *version_uid;
    return compare(std::move(view), true);
  }
  if (kind == "agreementReport") {
    auto got = GetByName(&check, name, "GetAgreementReport", annotations_.get(),
                         &v1::AnnotationService::Stub::GetAgreementReport);
    return got ? compare(AgreementReportView(*got), true) : check;
  }
  if (kind == "split") {
    auto split = GetByName(&check, name, "GetSplit", splits_.get(), &v1::SplitService::Stub::GetSplit);
    if (!split) return check;
    std::optional<std::map<std::string, std::vector<std::string>>> paths = PartPaths(*split, &check);
    if (!paths) return check;
    std::optional<std::string> version_uid = VersionUid(name.substr(0, name.find("/splits/")), &check);
    if (!version_uid) return check;
    check.rpc = "GetSplit + ListPartItems + GetDatasetVersion";
    json view = SplitView(*split, *paths);
    view["version_uid"] = *version_uid;
    // A split made before parts kept what they share has no shares_with.
    DropEmptyWhereStoredHasNone(doc, "parts_json", "shares_with", &view);
    return compare(std::move(view), true);
  }
  if (kind == "leakageReport") {
    auto got = GetByName(&check, name, "GetLeakageReport", splits_.get(), &v1::SplitService::Stub::GetLeakageReport);
    if (!got) return check;
    json view = LeakageReportView(*got);
    // A finding stored without pairs (a run checked from one split's parts)
    // lists none.
    DropEmptyWhereStoredHasNone(doc, "findings_json", "pairs", &view);
    if (absl::StartsWith(got->split(), "runs/")) {
      view["split_uid"] = got->split();  // a run's reports are keyed by its name
    } else {
      auto split = GetByName(&check, got->split(), "GetSplit", splits_.get(), &v1::SplitService::Stub::GetSplit);
      if (!split) return check;
      check.rpc = "GetLeakageReport + GetSplit";
      view["split_uid"] = split->uid();
    }
    return compare(std::move(view), true);
  }
  if (kind == "accessToken" || kind == "accessGrant") {
    std::optional<json> view = kind == "accessToken" ? ListedToken(name, &check) : ListedGrant(name, &check);
    if (!view) return check;
    if (view->at("name").is_null()) {
      check.read = true;
      check.fields = 1;
      check.differences.push_back(
          absl::StrCat("the document says ", name, " exists; ", check.rpc, " does not list it"));
      return check;
    }
    return compare(*view);
  }
  if (kind == "experiment") {
    auto got = GetByName(&check, name, "GetExperiment", runs_.get(), &v1::RunService::Stub::GetExperiment);
    return got ? compare(ExperimentView(*got)) : check;
  }
  check.not_read = absl::StrCat("no ordinary read is known for kind \"", kind, "\"");
  return check;
}

}  // namespace fairtrace::client
