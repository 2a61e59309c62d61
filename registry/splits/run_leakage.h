// RunLeakageCheck: the leakage check a run gets when it ends FINISHED
// (registry/runs/run_end_check.h, docs/splits.md "At run end"). The run's
// inputs with roles train, validation and test — dataset versions or split
// parts — and, for each model version it used, the train / validation
// inputs of the run that made the model (found through lineage: L1.1, an
// evaluation that overlaps the model's training data) are compared for
// exact duplicates (the same blob) and shared observation units. When every
// input is a part of one split, the counts kept with the split (what each
// two parts share) answer without reading items. The report document is
// stored as a CAS blob. Thread-safe; borrows the stores.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/content/content_store.h"
#include "registry/runs/run_end_check.h"
#include "registry/store/dataset_store.h"
#include "registry/store/investigation_store.h"
#include "registry/store/run_store.h"
#include "registry/store/split_store.h"

namespace fairtrace::splits {

class RunLeakageCheck final : public RunEndCheck {
 public:
  RunLeakageCheck(ContentStore* content, DatasetStore* datasets, SplitStore* splits, InvestigationStore* investigations,
                  RunStore* runs)
      : content_(content), datasets_(datasets), splits_(splits), investigations_(investigations), runs_(runs) {}

  absl::StatusOr<RunEndCheckResult> Check(const CallContext& ctx, const std::string& run_name,
                                          const std::vector<EdgeRow>& edges) override;

 private:
  // Stores the report document and completes the result.
  absl::StatusOr<RunEndCheckResult> Store(const CallContext& ctx, const nlohmann::json& doc,
                                          std::vector<std::string> summary, RunEndCheckResult result);

  ContentStore* content_;
  DatasetStore* datasets_;
  SplitStore* splits_;
  InvestigationStore* investigations_;
  RunStore* runs_;
};

}  // namespace fairtrace::splits
