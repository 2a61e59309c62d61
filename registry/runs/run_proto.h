// Runs between their stored rows (store/run_store.h) and fairtrace.v1.Run:
// names, enums, the JSON texts of seeds/code/environment, lineage nodes.
// Pure except LoadRun and LoadRunEdges, which read the store.
// Thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fairtrace/v1/run_resources.pb.h"
#include "registry/store/run_store.h"

namespace fairtrace {

// "runs/{32 lowercase hex}" -> the id; INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseRunName(absl::string_view name, absl::string_view field = "name");
std::string RunName(const std::string& run_id);

const char* RunKindName(v1::RunKind kind);        // "TRAINING"...; "" for UNSPECIFIED
const char* RunStatusName(v1::RunStatus status);  // "RUNNING"...; "" for UNSPECIFIED
bool IsTerminal(const std::string& status);

std::string SeedsJson(const v1::Run& run);
std::string CodeJson(const v1::CodeVersion& code);
std::string EnvironmentJson(const v1::Environment& env);

// A lineage node: the resource name, "blobs/{sha256}/{size}" or
// "trees/{sha256}/{size}"; and back.
std::string ArtifactNode(const v1::Artifact& a);
v1::Artifact ArtifactFromNode(const std::string& node);

v1::Metric MetricProto(const MetricRow& m);

// The row's own fields only.
v1::Run RunProto(const RunRow& row);
// RunProto plus params and latest metrics; with `edges`, inputs and outputs.
absl::StatusOr<v1::Run> LoadRun(RunStore* store, const RunRow& row, bool edges);
// Replaces run->inputs and outputs with the run's edges (run->name() set).
absl::Status LoadRunEdges(RunStore* store, v1::Run* run);

}  // namespace fairtrace
