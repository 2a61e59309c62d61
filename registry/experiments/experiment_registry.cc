#include "registry/experiments/experiment_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "registry/core/audited.h"
#include "registry/core/resource_util.h"

namespace fairtrace {

namespace {

constexpr size_t kMaxNameCodePoints = 500;
constexpr size_t kMaxTagKey = 250;
constexpr size_t kMaxTagValue = 5000;
constexpr size_t kMaxTags = 100;

absl::Status CheckText(const std::string& text, size_t max_code_points, const std::string& field, bool required) {
  if (required && text.empty()) return InvalidField(field, "is required");
  if (!text::IsValidUtf8(text)) return InvalidField(field, "is not valid UTF-8");
  if (text::CodePointCount(text) > max_code_points) {
    return InvalidField(field, absl::StrCat("is longer than ", max_code_points, " characters"));
  }
  return absl::OkStatus();
}

absl::Status NotFound(const std::string& id) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no experiment with id ", id))
      .Reason("EXPERIMENT_NOT_FOUND")
      .Build();
}

absl::StatusOr<int64_t> ParseId(const std::string& id) {
  int64_t n = 0;
  if (!ParseCanonicalInt(id, &n) || n < 0) return InvalidField("experiment_id", "is a decimal experiment id");
  return n;
}

std::string TagsJsonOf(const std::map<std::string, std::string>& tags) { return nlohmann::json(tags).dump(); }

std::map<std::string, std::string> TagsOf(const std::string& json) {
  std::map<std::string, std::string> out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

absl::Status CheckTag(const std::string& key, const std::string& value) {
  FT_RETURN_IF_ERROR(CheckText(key, kMaxTagKey, "tags.key", true));
  return CheckText(value, kMaxTagValue, absl::StrCat("tags[", text::ClipText(key, 50), "].value"), false);
}

}  // namespace

absl::Status ExperimentRegistry::CheckName(const std::string& name, const std::string& field) {
  FT_RETURN_IF_ERROR(CheckText(name, kMaxNameCodePoints, field, true));
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "holds a control character");
  }
  return absl::OkStatus();
}

absl::Status ExperimentRegistry::EnsureDefault(const CallContext& ctx) {
  FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> existing, experiments_->GetExperiment(0));
  if (existing) return absl::OkStatus();
  ExperimentRow row;
  row.experiment_id = 0;
  row.uid = NewUid();
  row.name = "Default";
  row.create_time = row.update_time = now_();
  absl::StatusOr<ExperimentRow> made = experiments_->InsertExperiment(row, MakeAuditEntry(ctx, "experiments/0", {}));
  // Created meanwhile by another call, or a live "Default" exists already:
  // either way experiment 0 is not needed again.
  if (!made.ok() && made.status().code() != absl::StatusCode::kAlreadyExists) return made.status();
  return absl::OkStatus();
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::Create(const CallContext& ctx, const std::string& name,
                                                         const std::string& artifact_location,
                                                         const std::map<std::string, std::string>& tags) {
  return Audited(store_, ctx, "experiments", [&]() -> absl::StatusOr<ExperimentRow> {
    FT_RETURN_IF_ERROR(CheckName(name, "name"));
    if (!artifact_location.empty()) {
      return InvalidField("artifact_location",
                          "artifacts go through this server into its content store; leave it empty");
    }
    if (tags.size() > kMaxTags) return InvalidField("tags", absl::StrCat("at most ", kMaxTags, " tags"));
    for (const auto& [k, v] : tags) FT_RETURN_IF_ERROR(CheckTag(k, v));
    ExperimentRow row;
    row.uid = NewUid();
    row.name = name;
    row.tags_json = TagsJsonOf(tags);
    auto project = tags.find(kProjectTag);
    FT_ASSIGN_OR_RETURN(row.project, ProjectOfCreate(project == tags.end() ? "" : project->second,
                                                     absl::StrCat("tags[", kProjectTag, "]")));
    row.create_time = row.update_time = now_();
    return experiments_->InsertExperiment(row, MakeAuditEntry(ctx, "experiments", {}));
  });
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::Get(const std::string& id) {
  FT_ASSIGN_OR_RETURN(int64_t n, ParseId(id));
  FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> row, experiments_->GetExperiment(n));
  if (!row) return NotFound(id);
  return *row;
}

absl::StatusOr<v1::Experiment> ExperimentRegistry::GetExperiment(const v1::GetExperimentRequest& req) {
  absl::string_view id = req.name();
  int64_t n = 0;
  if (!absl::ConsumePrefix(&id, "experiments/") || !ParseCanonicalInt(std::string(id), &n) || n < 0) {
    return InvalidField("name", "expected \"experiments/{id}\"");
  }
  FT_ASSIGN_OR_RETURN(ExperimentRow row, Get(std::string(id)));
  v1::Experiment p;
  p.set_name(absl::StrCat("experiments/", row.experiment_id));
  p.set_uid(row.uid);
  p.set_display_name(row.name);
  p.set_artifact_location(row.artifact_location);
  p.set_lifecycle_stage(row.lifecycle_stage);
  TagsFromJson(row.tags_json, p.mutable_tags());
  *p.mutable_create_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(row.create_time);
  *p.mutable_update_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(row.update_time);
  p.set_project(row.project);
  return p;
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::GetByName(const std::string& name) {
  FT_RETURN_IF_ERROR(CheckName(name, "experiment_name"));
  FT_ASSIGN_OR_RETURN(std::optional<ExperimentRow> row, experiments_->GetActiveExperimentByName(name));
  if (!row) return NameNotFound(name);
  return *row;
}

absl::Status ExperimentRegistry::NameNotFound(const std::string& name) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("no active experiment named '", name, "'"))
      .Reason("EXPERIMENT_NOT_FOUND")
      .Build();
}

absl::StatusOr<std::vector<ExperimentRow>> ExperimentRegistry::Search(const ExperimentQuery& query,
                                                                      const ProjectScope& scope) {
  return experiments_->ListExperiments(query, scope);
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::Change(const CallContext& ctx, const std::string& id,
                                                         const std::function<absl::Status(ExperimentRow*)>& edit) {
  return Audited(store_, ctx, absl::StrCat("experiments/", id), [&]() -> absl::StatusOr<ExperimentRow> {
    FT_ASSIGN_OR_RETURN(ExperimentRow row, Get(id));
    FT_RETURN_IF_ERROR(edit(&row));
    row.update_time = now_();
    return experiments_->UpdateExperiment(row,
                                          MakeAuditEntry(ctx, absl::StrCat("experiments/", row.experiment_id), {}));
  });
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::Rename(const CallContext& ctx, const std::string& id,
                                                         const std::string& new_name) {
  return Change(ctx, id, [&](ExperimentRow* row) -> absl::Status {
    FT_RETURN_IF_ERROR(CheckName(new_name, "new_name"));
    if (row->lifecycle_stage != "active") {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition, "a deleted experiment cannot be renamed")
          .Reason("EXPERIMENT_DELETED")
          .Build();
    }
    row->name = new_name;
    return absl::OkStatus();
  });
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::SetLifecycle(const CallContext& ctx, const std::string& id,
                                                               bool active) {
  return Change(ctx, id, [&](ExperimentRow* row) -> absl::Status {
    if (row->experiment_id == 0 && !active) {
      return InvalidField("experiment_id", "the default experiment (0) cannot be deleted");
    }
    if ((row->lifecycle_stage == "active") == active) {
      return ErrorBuilder(absl::StatusCode::kFailedPrecondition,
                          absl::StrCat("experiment ", id, " is already ", row->lifecycle_stage))
          .Reason(active ? "EXPERIMENT_ACTIVE" : "EXPERIMENT_DELETED")
          .Build();
    }
    row->lifecycle_stage = active ? "active" : "deleted";
    return absl::OkStatus();
  });
}

absl::StatusOr<ExperimentRow> ExperimentRegistry::SetTag(const CallContext& ctx, const std::string& id,
                                                         const std::string& key, const std::string& value) {
  return Change(ctx, id, [&](ExperimentRow* row) -> absl::Status {
    FT_RETURN_IF_ERROR(CheckTag(key, value));
    if (key == kProjectTag) return InvalidField("key", "an experiment's project is set when it is created");
    std::map<std::string, std::string> tags = TagsOf(row->tags_json);
    tags[key] = value;
    if (tags.size() > kMaxTags) return InvalidField("tags", absl::StrCat("at most ", kMaxTags, " tags"));
    row->tags_json = TagsJsonOf(tags);
    return absl::OkStatus();
  });
}

}  // namespace fairtrace
