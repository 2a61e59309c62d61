// ExperimentRegistry: the rules of MLflow experiments as fairtrace
// resources, "experiments/{id}" (docs/mlflow-door.md).
//
// An experiment has a display name (any valid UTF-8 text of 1-500 code
// points without control characters, unique among active experiments),
// tags, a lifecycle (active / deleted: a soft delete that frees the name),
// an artifact root "mlflow-artifacts:/{id}" (artifacts go through the
// server into the CAS; another root is refused) and a project (the
// `fairtrace.project` tag given at creation, else "default"; never
// changed). Experiment 0, "Default", is created by EnsureDefault.
//
// Errors: INVALID_ARGUMENT naming the field; NOT_FOUND
// (EXPERIMENT_NOT_FOUND); ALREADY_EXISTS (EXPERIMENT_EXISTS). Every
// change is audited (failures too). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fairtrace/v1/runs.pb.h"
#include "registry/core/call_context.h"
#include "registry/store/experiment_store.h"
#include "registry/store/store.h"

namespace fairtrace {

inline constexpr char kProjectTag[] = "fairtrace.project";

class ExperimentRegistry {
 public:
  ExperimentRegistry(Store* store, ExperimentStore* experiments, std::function<int64_t()> now_micros)
      : store_(store), experiments_(experiments), now_(std::move(now_micros)) {}

  // Creates experiment 0 "Default" unless it exists (an audited write of
  // `ctx`'s principal, once per database).
  absl::Status EnsureDefault(const CallContext& ctx);

  absl::StatusOr<ExperimentRow> Create(const CallContext& ctx, const std::string& name,
                                       const std::string& artifact_location,
                                       const std::map<std::string, std::string>& tags);
  // `id` as MLflow sends it: a decimal number.
  absl::StatusOr<ExperimentRow> Get(const std::string& id);
  absl::StatusOr<ExperimentRow> GetByName(const std::string& name);
  // RunService/GetExperiment: "experiments/{id}" (deleted ones included)
  // as the gRPC API shows it; INVALID_ARGUMENT (field `name`) for another
  // name.
  absl::StatusOr<v1::Experiment> GetExperiment(const v1::GetExperimentRequest& req);
  absl::StatusOr<std::vector<ExperimentRow>> Search(const ExperimentQuery& query, const ProjectScope& scope);
  absl::StatusOr<ExperimentRow> Rename(const CallContext& ctx, const std::string& id, const std::string& new_name);
  // Soft delete (frees the name) and restore (takes it back, ALREADY_EXISTS
  // when another active experiment has it meanwhile). Experiment 0 cannot
  // be deleted (INVALID_ARGUMENT), as in MLflow.
  absl::StatusOr<ExperimentRow> SetLifecycle(const CallContext& ctx, const std::string& id, bool active);
  absl::StatusOr<ExperimentRow> SetTag(const CallContext& ctx, const std::string& id, const std::string& key,
                                       const std::string& value);

  static absl::Status CheckName(const std::string& name, const std::string& field);
  // NOT_FOUND (EXPERIMENT_NOT_FOUND) for an active name.
  static absl::Status NameNotFound(const std::string& name);

 private:
  absl::StatusOr<ExperimentRow> Change(const CallContext& ctx, const std::string& id,
                                       const std::function<absl::Status(ExperimentRow*)>& edit);

  Store* store_;
  ExperimentStore* experiments_;
  std::function<int64_t()> now_;
};

}  // namespace fairtrace
