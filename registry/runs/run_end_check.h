// A check a run gets when it ends FINISHED (docs/splits.md, "At run end"):
// the leakage between the inputs it used as train / validation / test (and,
// for a run that evaluates a model, between its test inputs and the model's
// training inputs). Implemented by splits::RunLeakageCheck; RunRegistry
// calls it before the status change and adds the report as an output of
// the run in the same transaction. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/content/digest.h"
#include "registry/core/call_context.h"
#include "registry/store/run_store.h"

namespace fairtrace {

struct RunEndCheckResult {
  bool checked = false;  // the run used inputs with those roles
  bool leakage_found = false;
  Digest report;        // the stored report document (a CAS blob)
  std::string summary;  // "exact_duplicate 1, group:observation_unit 2"
};

class RunEndCheck {
 public:
  virtual ~RunEndCheck() = default;
  // `edges`: the run's edges (EdgesOf). Stores the report document.
  virtual absl::StatusOr<RunEndCheckResult> Check(const CallContext& ctx, const std::string& run_name,
                                                  const std::vector<EdgeRow>& edges) = 0;
};

}  // namespace fairtrace
