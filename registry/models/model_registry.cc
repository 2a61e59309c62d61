#include "registry/models/model_registry.h"

#include <algorithm>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/content/sha256.h"
#include "common/fs/fs_util.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "registry/core/page_token.h"
#include "registry/core/resource_util.h"
#include "registry/models/alias_name.h"
#include "registry/runs/run_proto.h"

namespace fairtrace {
namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

absl::StatusOr<std::string> ParseModelName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 || parts[0] != "models" || !IsValidResourceId(parts[1])) {
    return InvalidField(field, absl::StrCat("expected \"models/{model}\", got \"", text::ClipText(name, 100), "\""));
  }
  return std::string(parts[1]);
}

// "models/{model}/versions/{version or alias}" -> (model, version, alias);
// exactly one of version (> 0) and alias is set.
struct VersionRef {
  std::string model_id;
  int64_t version = 0;
  std::string alias;
};

absl::StatusOr<VersionRef> ParseVersionName(absl::string_view name, absl::string_view field = "name") {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  VersionRef ref;
  bool ok = parts.size() == 4 && parts[0] == "models" && IsValidResourceId(parts[1]) && parts[2] == "versions";
  if (ok && !ParseCanonicalInt(parts[3], &ref.version)) {
    ok = IsAliasInVersionName(parts[3]);
    ref.alias = std::string(parts[3]);
  } else if (ok) {
    ok = ref.version > 0;
  }
  if (!ok) {
    return InvalidField(field, absl::StrCat("expected \"models/{model}/versions/{version or alias}\", got \"",
                                            text::ClipText(name, 100), "\""));
  }
  ref.model_id = std::string(parts[1]);
  return ref;
}

const char* kStageNames[] = {"NONE", "NONE", "STAGING", "PRODUCTION", "ARCHIVED"};

v1::ModelStage StageFromName(const std::string& s) {
  for (int i = 1; i <= 4; ++i) {
    if (s == kStageNames[i]) return static_cast<v1::ModelStage>(i);
  }
  return v1::MODEL_STAGE_NONE;
}

TagLimits TagLimitsOf(const ModelRegistryLimits& l) { return {l.max_tags, l.max_tag_key, l.max_tag_value}; }

const std::vector<FilterField>& VersionFilterFields() {
  static const auto* fields = new std::vector<FilterField>{
      {"version", FilterType::kInt},
      {"stage", FilterType::kEnum, {"NONE", "STAGING", "PRODUCTION", "ARCHIVED"}},
      {"source_run", FilterType::kString},
      {"create_time", FilterType::kTimestamp},
      {"update_time", FilterType::kTimestamp},
      {"mlmodel.flavor", FilterType::kString},
      {"mlmodel.mlflow_version", FilterType::kString},
      {"tags.", FilterType::kDynamic},
  };
  return *fields;
}

v1::RegisteredModel ModelProto(const RegisteredModelRow& r) {
  v1::RegisteredModel p;
  p.set_name(absl::StrCat("models/", r.model_id));
  p.set_uid(r.uid);
  p.set_description(r.description);
  p.set_owner(r.owner);
  p.set_license(r.license);
  TagsFromJson(r.tags_json, p.mutable_tags());
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(r.create_time);
  *p.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(r.update_time);
  if (r.delete_time) *p.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(*r.delete_time);
  p.set_etag(Etag(r.uid, r.revision));
  p.set_version_count(r.version_count);
  p.set_project(r.project);
  return p;
}

std::string MlmodelJson(const mlmodel::ModelInfo& i) {
  json j = {{"flavors", i.flavors},
            {"mlflow_version", i.mlflow_version},
            {"model_uuid", i.model_uuid},
            {"run_id", i.run_id},
            {"utc_time_created", i.utc_time_created},
            {"model_size_bytes", i.model_size_bytes ? json(*i.model_size_bytes) : json()},
            {"signature", i.signature},
            {"saved_input_example_info", i.saved_input_example_info},
            {"metadata", i.metadata},
            {"flavor_details", i.flavor_details},
            {"extensions", i.extensions}};
  return j.dump();
}

v1::MlmodelInfo MlmodelProto(const std::string& text) {
  v1::MlmodelInfo p;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return p;
  for (const auto& f : j.value("flavors", json::array())) p.add_flavors(f.get<std::string>());
  p.set_mlflow_version(j.value("mlflow_version", ""));
  p.set_model_uuid(j.value("model_uuid", ""));
  p.set_run_id(j.value("run_id", ""));
  p.set_utc_time_created(j.value("utc_time_created", ""));
  if (j["model_size_bytes"].is_number_integer()) p.set_model_size_bytes(j["model_size_bytes"].get<int64_t>());
  p.set_signature_json(j["signature"].dump());
  p.set_saved_input_example_info_json(j["saved_input_example_info"].dump());
  p.set_metadata_json(j["metadata"].dump());
  p.set_flavors_json(j["flavor_details"].dump());
  p.set_extensions_json(j["extensions"].dump());
  return p;
}

v1::ModelVersion VersionProto(const ModelVersionRow& r) {
  v1::ModelVersion p;
  p.set_name(absl::StrCat("models/", r.model_id, "/versions/", r.version));
  p.set_uid(r.uid);
  p.set_version(r.version);
  *p.mutable_tree_digest() = DigestToProto(r.tree);
  *p.mutable_mlmodel() = MlmodelProto(r.mlmodel_json);
  p.set_source_run(r.source_run);
  p.set_description(r.description);
  TagsFromJson(r.tags_json, p.mutable_tags());
  *p.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(r.create_time);
  *p.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(r.update_time);
  p.set_etag(Etag(r.uid, r.revision));
  p.set_stage(StageFromName(r.stage));
  if (r.delete_time) *p.mutable_delete_time() = TimeUtil::MicrosecondsToTimestamp(*r.delete_time);
  return p;
}

absl::Status ModelNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no model ", name))
      .Reason("MODEL_NOT_FOUND")
      .Resource("registered_model", name);
}

absl::Status VersionNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no model version ", name))
      .Reason("MODEL_VERSION_NOT_FOUND")
      .Resource("model_version", name);
}

}  // namespace

ModelRegistry::ModelRegistry(Store* store, ModelStore* models, RunStore* runs, ContentStore* cas,
                             const mlmodel::Validator* validator, std::string page_token_key,
                             std::function<int64_t()> now_micros, ModelRegistryLimits limits)
    : store_(store),
      models_(models),
      runs_(runs),
      cas_(cas),
      validator_(validator),
      token_key_(std::move(page_token_key)),
      now_(std::move(now_micros)),
      limits_(limits) {}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::ModelWithAliases(const RegisteredModelRow& row) {
  v1::RegisteredModel p = ModelProto(row);
  FT_ASSIGN_OR_RETURN(auto aliases, models_->ListAliases(row.model_id));
  for (const auto& [alias, version] : aliases) (*p.mutable_aliases())[alias] = version;
  return p;
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::VersionWithAliases(const ModelVersionRow& row) {
  v1::ModelVersion p = VersionProto(row);
  FT_ASSIGN_OR_RETURN(auto aliases, models_->ListAliases(row.model_id));
  for (const auto& [alias, version] : aliases) {
    if (version == row.version) p.add_aliases(alias);
  }
  return p;
}

absl::StatusOr<int> ModelRegistry::PageSize(int requested) const {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  return requested == 0 ? limits_.default_page : std::min(requested, limits_.max_page);
}

// ----------------------------------------------------------- models

absl::StatusOr<v1::RegisteredModel> ModelRegistry::CreateRegisteredModel(const CallContext& ctx,
                                                                         const v1::CreateRegisteredModelRequest& req) {
  std::string resource = absl::StrCat("models/", req.model_id());
  auto out = DoCreateRegisteredModel(ctx, req, &resource);
  if (!out.ok()) AppendStandaloneAudit(store_, ctx, resource, out.status());
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::DoCreateRegisteredModel(const CallContext& ctx,
                                                                           const v1::CreateRegisteredModelRequest& req,
                                                                           std::string* resource) {
  const v1::RegisteredModel& m = req.registered_model();
  if (!IsValidResourceId(req.model_id())) {
    return InvalidField("model_id", "1-63 characters of [a-z0-9-], starting with a letter, not ending with '-'");
  }
  FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FT_RETURN_IF_ERROR(CheckLength(m.description(), limits_.max_description, "registered_model.description"));
  FT_RETURN_IF_ERROR(CheckLength(m.owner(), limits_.max_short_field, "registered_model.owner"));
  FT_RETURN_IF_ERROR(CheckLength(m.license(), limits_.max_short_field, "registered_model.license"));
  FT_RETURN_IF_ERROR(CheckTags(m.tags(), "registered_model.tags", TagLimitsOf(limits_)));
  FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                      EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
  if (earlier) {
    v1::GetRegisteredModelRequest get;
    get.set_name(*earlier);
    get.set_show_deleted(true);
    return GetRegisteredModel(get);
  }
  RegisteredModelRow row;
  row.model_id = req.model_id();
  row.uid = NewUid();
  row.description = m.description();
  row.owner = m.owner();
  row.license = m.license();
  row.tags_json = TagsJson(m.tags());
  FT_ASSIGN_OR_RETURN(row.project, ProjectOfCreate(m.project(), "registered_model.project"));
  row.create_time = row.update_time = now_();
  absl::Status s = models_->InsertRegisteredModel(row, RequestKeyOf(ctx, req.request_id()),
                                                  MakeAuditEntry(ctx, *resource, absl::OkStatus()));
  if (!s.ok()) return s;
  v1::GetRegisteredModelRequest get;
  get.set_name(*resource);
  return GetRegisteredModel(get);
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::GetRegisteredModel(const v1::GetRegisteredModelRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string id, ParseModelName(req.name(), "name"));
  FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> row, models_->GetRegisteredModel(id));
  if (!row || (row->delete_time && !req.show_deleted())) {
    return ModelNotFound(req.name());
  }
  return ModelWithAliases(*row);
}

absl::StatusOr<std::string> ModelRegistry::ModelForMlflowName(const std::string& name) {
  FT_ASSIGN_OR_RETURN(std::optional<std::string> id, models_->FindModelByMlflowName(name));
  if (!id && ParseModelName(absl::StrCat("models/", name), "name").ok()) {
    // A model made without an MLflow name (through gRPC) answers to its id.
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> row, models_->GetRegisteredModel(name));
    google::protobuf::Map<std::string, std::string> tags;
    if (row) TagsFromJson(row->tags_json, &tags);
    if (row && !row->delete_time && !tags.contains("mlflow.name")) id = name;
  }
  if (!id) {
    return ErrorBuilder(absl::StatusCode::kNotFound,
                        absl::StrCat("Registered Model with name=", text::ClipText(name, 200), " not found"))
        .Reason("MODEL_NOT_FOUND")
        .Build();
  }
  return absl::StrCat("models/", *id);
}

absl::StatusOr<v1::ListRegisteredModelsResponse> ModelRegistry::ListRegisteredModels(
    const v1::ListRegisteredModelsRequest& req, const ProjectScope& scope) {
  FT_ASSIGN_OR_RETURN(int page, PageSize(req.page_size()));
  std::string kind = absl::StrCat("models:", req.show_deleted() ? "all" : "live");
  FT_ASSIGN_OR_RETURN(std::string after, DecodePageToken(token_key_, kind, req.page_token()));
  FT_ASSIGN_OR_RETURN(std::vector<RegisteredModelRow> rows,
                      models_->ListRegisteredModels(after, page + 1, req.show_deleted(), scope));
  v1::ListRegisteredModelsResponse out;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    FT_ASSIGN_OR_RETURN(*out.add_registered_models(), ModelWithAliases(rows[i]));
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, rows[page - 1].model_id));
  }
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::DeleteRegisteredModel(const CallContext& ctx,
                                                                         const v1::DeleteRegisteredModelRequest& req) {
  std::string resource = req.name();
  absl::StatusOr<v1::RegisteredModel> out = [&]() -> absl::StatusOr<v1::RegisteredModel> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseModelName(req.name(), "name"));
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> row, models_->GetRegisteredModel(id));
    if (!row || row->delete_time) {
      return ModelNotFound(req.name());
    }
    FT_RETURN_IF_ERROR(CheckEtag(req.etag(), row->uid, row->revision, req.name()));
    FT_ASSIGN_OR_RETURN(RegisteredModelRow after,
                        models_->SoftDeleteRegisteredModel(id, row->revision, req.force(), now_(),
                                                           MakeAuditEntry(ctx, req.name(), absl::OkStatus())));
    return ModelWithAliases(after);
  }();
  if (!out.ok()) AppendStandaloneAudit(store_, ctx, resource, out.status());
  return out;
}

// ----------------------------------------------------------- versions

absl::StatusOr<v1::ModelVersion> ModelRegistry::CreateModelVersion(const CallContext& ctx,
                                                                   const v1::CreateModelVersionRequest& req,
                                                                   std::optional<std::string> manifest) {
  std::string resource = absl::StrCat(req.parent(), "/versions");
  auto out = DoCreateModelVersion(ctx, req, std::move(manifest), &resource);
  if (!out.ok()) AppendStandaloneAudit(store_, ctx, resource, out.status());
  return out;
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::DoCreateModelVersion(const CallContext& ctx,
                                                                     const v1::CreateModelVersionRequest& req,
                                                                     std::optional<std::string> manifest,
                                                                     std::string* resource) {
  FT_RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  FT_ASSIGN_OR_RETURN(std::optional<std::string> earlier,
                      EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
  if (earlier) {
    v1::GetModelVersionRequest get;
    get.set_name(*earlier);
    get.set_show_deleted(true);  // the first result, even if deleted since
    return GetModelVersion(get);
  }
  std::optional<TreeToRegister> tree;
  FT_ASSIGN_OR_RETURN(ModelVersionRow row, PrepareVersionOf(ctx, req, std::move(manifest), &tree));
  absl::StatusOr<ModelVersionRow> inserted =
      models_->InsertModelVersion(row, RequestKeyOf(ctx, req.request_id()),
                                  MakeAuditEntry(ctx, *resource, absl::OkStatus()), tree ? &*tree : nullptr);
  if (!inserted.ok() && absl::IsAlreadyExists(inserted.status()) && !req.request_id().empty()) {
    // A concurrent retry with the same request_id won the race: answer as it did.
    FT_ASSIGN_OR_RETURN(std::optional<std::string> raced,
                        EarlierRequest(models_, RequestKeyOf(ctx, req.request_id()), ctx.method));
    if (raced) {
      v1::GetModelVersionRequest get;
      get.set_name(*raced);
      get.set_show_deleted(true);
      return GetModelVersion(get);
    }
  }
  FT_RETURN_IF_ERROR(inserted.status());
  return VersionResource(*inserted);
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::VersionResource(const ModelVersionRow& row) {
  return VersionWithAliases(row);
}

absl::StatusOr<ModelVersionRow> ModelRegistry::PrepareVersion(const CallContext& ctx,
                                                              const v1::CreateModelVersionRequest& req) {
  return PrepareVersionOf(ctx, req, std::nullopt, nullptr);
}

absl::StatusOr<ModelVersionRow> ModelRegistry::PrepareVersionOf(const CallContext& ctx,
                                                                const v1::CreateModelVersionRequest& req,
                                                                std::optional<std::string> manifest,
                                                                std::optional<TreeToRegister>* to_register) {
  const v1::ModelVersion& v = req.model_version();
  FT_ASSIGN_OR_RETURN(std::string model_id, ParseModelName(req.parent(), "parent"));
  FT_RETURN_IF_ERROR(CheckLength(v.description(), limits_.max_description, "model_version.description"));
  if (!v.source_run().empty() && !ParseRunName(v.source_run()).ok()) {
    return InvalidField("model_version.source_run", "expected \"runs/{run}\" (32 hex characters)");
  }
  FT_RETURN_IF_ERROR(CheckTags(v.tags(), "model_version.tags", TagLimitsOf(limits_)));
  FT_ASSIGN_OR_RETURN(Digest tree, DigestFromProto(v.tree_digest(), "model_version.tree_digest"));
  {  // The parent must be live before any work is done for it.
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, models_->GetRegisteredModel(model_id));
    if (!m || m->delete_time) {
      return ModelNotFound(req.parent());
    }
  }
  std::vector<TreeEntry> entries;
  if (manifest) {
    // Checked like CreateTree; registered with the version when new.
    FT_ASSIGN_OR_RETURN(ContentStore::PreparedTree prepared, cas_->PrepareTree(ctx, *std::move(manifest)));
    if (prepared.tree.digest != tree) return absl::InternalError("the manifest given is not the version's tree");
    entries = prepared.tree.entries;
    if (!prepared.registered) *to_register = std::move(prepared.tree);
  } else {
    FT_ASSIGN_OR_RETURN(entries, RegisteredTreeEntries(ctx, tree));
  }
  return VersionRowOf(req, model_id, tree, entries);
}

absl::StatusOr<std::vector<TreeEntry>> ModelRegistry::RegisteredTreeEntries(const CallContext& ctx,
                                                                            const Digest& tree) {
  // The tree and every blob it names must be stored; registering it is
  // idempotent and lists what is missing otherwise. A tree registered
  // already needs no second commit.
  FT_ASSIGN_OR_RETURN(std::optional<TreeRow> known, store_->GetTree(tree));
  absl::StatusOr<TreeRow> registered = known ? absl::StatusOr<TreeRow>(*known) : cas_->CreateTree(ctx, tree);
  if (absl::IsNotFound(registered.status())) {
    return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("the tree manifest ", tree.ToString(), " is not stored; push the folder first"))
        .Reason("MISSING_BLOBS")
        .Precondition("MISSING_BLOB", BlobResourceName(tree), "tree manifest")
        .Meta("missing_count", "1");
  }
  FT_RETURN_IF_ERROR(registered.status());
  return cas_->TreeEntries(tree);
}

absl::StatusOr<ModelVersionRow> ModelRegistry::VersionRowOf(const v1::CreateModelVersionRequest& req,
                                                            const std::string& model_id, const Digest& tree,
                                                            const std::vector<TreeEntry>& entries) {
  const v1::ModelVersion& v = req.model_version();
  std::vector<std::string> paths;
  const TreeEntry* mlmodel = nullptr;
  for (const TreeEntry& e : entries) {
    paths.push_back(e.path);
    if (e.path == "MLmodel") mlmodel = &e;
  }
  if (mlmodel == nullptr) {
    return InvalidField("model_version.tree_digest", "the tree has no MLmodel file at its root");
  }
  if (mlmodel->digest.size_bytes > limits_.max_mlmodel_bytes) {
    return InvalidField("MLmodel", absl::StrCat("larger than ", limits_.max_mlmodel_bytes, " bytes"));
  }
  const std::string key = MlmodelCache::KeyOf(mlmodel->digest, paths);
  std::optional<std::string> mlmodel_json = validated_.Find(key);
  if (!mlmodel_json) {
    FT_ASSIGN_OR_RETURN(std::string text, cas_->ReadBlob(mlmodel->digest, limits_.max_mlmodel_bytes));
    mlmodel::Report report = validator_->Validate(text, paths);
    FT_RETURN_IF_ERROR(MlmodelStatus(report));
    mlmodel_json = MlmodelJson(report.info);
    validated_.Put(key, *mlmodel_json);
  }
  ModelVersionRow row;
  row.model_id = model_id;
  row.uid = NewUid();
  row.tree = tree;
  row.mlmodel_json = *std::move(mlmodel_json);
  row.source_run = v.source_run();
  row.description = v.description();
  row.tags_json = TagsJson(v.tags());
  row.create_time = row.update_time = now_();
  return row;
}

absl::Status ModelRegistry::MlmodelStatus(const mlmodel::Report& report) {
  if (!report.ok()) {
    ErrorBuilder err(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("the MLmodel file has ", report.violations.size(), " problem(s); first: ",
                                  report.violations[0].field, " ", report.violations[0].description));
    err.Reason("INVALID_MLMODEL").Meta("problem_count", absl::StrCat(report.violations.size()));
    for (const auto& viol : report.violations) err.Field(absl::StrCat("MLmodel.", viol.field), viol.description);
    return err.Build();
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::GetModelVersion(const v1::GetModelVersionRequest& req) {
  FT_ASSIGN_OR_RETURN(VersionRef ref, ParseVersionName(req.name()));
  if (!ref.alias.empty()) {
    FT_ASSIGN_OR_RETURN(auto aliases, models_->ListAliases(ref.model_id));
    for (const auto& [alias, version] : aliases) {
      if (alias == ref.alias) ref.version = version;
    }
    if (ref.version == 0) {
      return ErrorBuilder(absl::StatusCode::kNotFound,
                          absl::StrCat("models/", ref.model_id, " has no alias \"", ref.alias, "\""))
          .Reason("ALIAS_NOT_FOUND");
    }
  }
  FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> row, models_->GetModelVersion(ref.model_id, ref.version));
  if (!row || (row->delete_time && !req.show_deleted())) {
    return VersionNotFound(req.name());
  }
  FT_ASSIGN_OR_RETURN(v1::ModelVersion out, VersionWithAliases(*row));
  if (req.include_source_run() && !row->source_run.empty() && runs_ != nullptr) {
    FT_ASSIGN_OR_RETURN(std::string run_id, ParseRunName(row->source_run));
    FT_ASSIGN_OR_RETURN(std::optional<RunRow> run, runs_->GetRun(run_id));
    if (run) {
      FT_ASSIGN_OR_RETURN(*out.mutable_source_run_detail(), LoadRun(runs_, *run, /*edges=*/true));
    }
  }
  return out;
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::UpdateRegisteredModel(const CallContext& ctx,
                                                                         const v1::UpdateRegisteredModelRequest& req) {
  const v1::RegisteredModel& m = req.registered_model();
  return Audited(store_, ctx, m.name(), [&]() -> absl::StatusOr<v1::RegisteredModel> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseModelName(m.name(), "registered_model.name"));
    FT_ASSIGN_OR_RETURN(
        std::vector<std::string> paths,
        MaskPaths(req.update_mask(), {"description", "owner", "license", "tags"},
                  {"name", "uid", "create_time", "update_time", "delete_time", "etag", "version_count", "aliases"}));
    FT_RETURN_IF_ERROR(CheckLength(m.description(), limits_.max_description, "registered_model.description"));
    FT_RETURN_IF_ERROR(CheckLength(m.owner(), limits_.max_short_field, "registered_model.owner"));
    FT_RETURN_IF_ERROR(CheckLength(m.license(), limits_.max_short_field, "registered_model.license"));
    FT_RETURN_IF_ERROR(CheckTags(m.tags(), "registered_model.tags", TagLimitsOf(limits_)));
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> row, models_->GetRegisteredModel(id));
    if (!row || row->delete_time) {
      return ModelNotFound(m.name());
    }
    FT_RETURN_IF_ERROR(CheckEtag(m.etag(), row->uid, row->revision, m.name()));
    RegisteredModelRow next = *row;
    if (HasPath(paths, "description")) next.description = m.description();
    if (HasPath(paths, "owner")) next.owner = m.owner();
    if (HasPath(paths, "license")) next.license = m.license();
    if (HasPath(paths, "tags")) next.tags_json = TagsJson(m.tags());
    FT_ASSIGN_OR_RETURN(
        RegisteredModelRow after,
        models_->UpdateRegisteredModel(next, row->revision, now_(), MakeAuditEntry(ctx, m.name(), absl::OkStatus())));
    return ModelWithAliases(after);
  });
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::SetModelAlias(const CallContext& ctx,
                                                                 const v1::SetModelAliasRequest& req) {
  return Audited(store_, ctx, req.name(), [&]() -> absl::StatusOr<v1::RegisteredModel> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseModelName(req.name(), "name"));
    FT_RETURN_IF_ERROR(CheckNewAlias(req.alias(), "alias"));
    if (req.version() <= 0) return InvalidField("version", "must be a version number (1, 2, ...)");
    FT_ASSIGN_OR_RETURN(
        RegisteredModelRow after,
        models_->SetAlias(id, req.alias(), req.version(), now_(),
                          MakeAuditEntry(ctx, absl::StrCat(req.name(), "/aliases/", req.alias()), absl::OkStatus())));
    return ModelWithAliases(after);
  });
}

absl::StatusOr<v1::RegisteredModel> ModelRegistry::DeleteModelAlias(const CallContext& ctx,
                                                                    const v1::DeleteModelAliasRequest& req) {
  return Audited(store_, ctx, req.name(), [&]() -> absl::StatusOr<v1::RegisteredModel> {
    FT_ASSIGN_OR_RETURN(std::string id, ParseModelName(req.name(), "name"));
    if (!IsAliasName(req.alias())) return InvalidField("alias", "not an alias name");
    FT_ASSIGN_OR_RETURN(RegisteredModelRow after,
                        models_->DeleteAlias(
                            id, req.alias(), now_(),
                            MakeAuditEntry(ctx, absl::StrCat(req.name(), "/aliases/", req.alias()), absl::OkStatus())));
    return ModelWithAliases(after);
  });
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::UpdateModelVersion(const CallContext& ctx,
                                                                   const v1::UpdateModelVersionRequest& req) {
  const v1::ModelVersion& v = req.model_version();
  return Audited(store_, ctx, v.name(), [&]() -> absl::StatusOr<v1::ModelVersion> {
    FT_ASSIGN_OR_RETURN(VersionRef ref, ParseVersionName(v.name(), "model_version.name"));
    if (!ref.alias.empty()) return InvalidField("model_version.name", "name the version by number to update it");
    FT_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                        MaskPaths(req.update_mask(), {"description", "tags", "stage"},
                                  {"name", "uid", "version", "tree_digest", "mlmodel", "source_run", "create_time",
                                   "update_time", "etag", "aliases", "delete_time"}));
    FT_RETURN_IF_ERROR(CheckLength(v.description(), limits_.max_description, "model_version.description"));
    FT_RETURN_IF_ERROR(CheckTags(v.tags(), "model_version.tags", TagLimitsOf(limits_)));
    if (HasPath(paths, "stage") && (v.stage() < v1::MODEL_STAGE_NONE || v.stage() > v1::MODEL_STAGE_ARCHIVED)) {
      return InvalidField("model_version.stage", "one of NONE, STAGING, PRODUCTION, ARCHIVED");
    }
    FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> row, models_->GetModelVersion(ref.model_id, ref.version));
    if (!row || row->delete_time) {
      return VersionNotFound(v.name());
    }
    FT_RETURN_IF_ERROR(CheckEtag(v.etag(), row->uid, row->revision, v.name()));
    ModelVersionRow next = *row;
    if (HasPath(paths, "description")) next.description = v.description();
    if (HasPath(paths, "tags")) next.tags_json = TagsJson(v.tags());
    if (HasPath(paths, "stage")) next.stage = kStageNames[v.stage()];
    FT_ASSIGN_OR_RETURN(
        ModelVersionRow after,
        models_->UpdateModelVersion(next, row->revision, now_(), MakeAuditEntry(ctx, v.name(), absl::OkStatus())));
    return VersionWithAliases(after);
  });
}

absl::StatusOr<v1::ModelVersion> ModelRegistry::DeleteModelVersion(const CallContext& ctx,
                                                                   const v1::DeleteModelVersionRequest& req) {
  return Audited(store_, ctx, req.name(), [&]() -> absl::StatusOr<v1::ModelVersion> {
    FT_ASSIGN_OR_RETURN(VersionRef ref, ParseVersionName(req.name()));
    if (!ref.alias.empty()) return InvalidField("name", "name the version by number to delete it");
    FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> model, models_->GetRegisteredModel(ref.model_id));
    if (!model || model->delete_time) return ModelNotFound(absl::StrCat("models/", ref.model_id));
    FT_ASSIGN_OR_RETURN(std::optional<ModelVersionRow> row, models_->GetModelVersion(ref.model_id, ref.version));
    if (!row || row->delete_time) return VersionNotFound(req.name());
    FT_RETURN_IF_ERROR(CheckEtag(req.etag(), row->uid, row->revision, req.name()));
    FT_ASSIGN_OR_RETURN(ModelVersionRow after,
                        models_->SoftDeleteModelVersion(ref.model_id, ref.version, row->revision, now_(),
                                                        MakeAuditEntry(ctx, req.name(), absl::OkStatus())));
    return VersionProto(after);  // no alias points at it any more
  });
}

absl::StatusOr<v1::ListModelVersionsResponse> ModelRegistry::ListModelVersions(
    const v1::ListModelVersionsRequest& req) {
  FT_ASSIGN_OR_RETURN(std::string model_id, ParseModelName(req.parent(), "parent"));
  FT_ASSIGN_OR_RETURN(int page, PageSize(req.page_size()));
  FT_ASSIGN_OR_RETURN(ParsedFilter filter, ParseFilter(req.filter(), VersionFilterFields()));
  // A token is bound to its list and filter: reusing it with another
  // filter is INVALID_ARGUMENT rather than a silently wrong page.
  std::string kind =
      absl::StrCat("versions:", model_id, ":", Sha256Hex(req.filter()).substr(0, 16), req.show_deleted() ? ":all" : "");
  FT_ASSIGN_OR_RETURN(std::string after_text, DecodePageToken(token_key_, kind, req.page_token()));
  int64_t after = 0;
  if (!after_text.empty() && !absl::SimpleAtoi(after_text, &after)) {
    return InvalidField("page_token", "not a page token of this list");
  }
  FT_ASSIGN_OR_RETURN(std::optional<RegisteredModelRow> m, models_->GetRegisteredModel(model_id));
  if (!m) {
    return ModelNotFound(req.parent());
  }
  FT_ASSIGN_OR_RETURN(std::vector<ModelVersionRow> rows,
                      models_->ListModelVersions(model_id, filter, after, page + 1, req.show_deleted()));
  v1::ListModelVersionsResponse out;
  FT_ASSIGN_OR_RETURN(auto aliases, models_->ListAliases(model_id));  // once per page
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page; ++i) {
    v1::ModelVersion* v = out.add_model_versions();
    *v = VersionProto(rows[i]);
    for (const auto& [alias, version] : aliases) {
      if (version == rows[i].version) v->add_aliases(alias);
    }
  }
  if (static_cast<int>(rows.size()) > page) {
    out.set_next_page_token(EncodePageToken(token_key_, kind, absl::StrCat(rows[page - 1].version)));
  }
  return out;
}

}  // namespace fairtrace
