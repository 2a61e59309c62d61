// ExperimentRegistry: MIAPPE investigations validated on the way in and
// stored as immutable revisions (docs/experiments.md). Transport-free;
// api/experiment_service.cc adapts it.
//
// Rules: a submission (xlsx and/or TSV sheets; ≤ 64 files, ≤ 64 MiB) is
// validated with validators/miappe; any ERROR rejects it whole
// (INVALID_ARGUMENT, reason MIAPPE_INVALID, one BadRequest field violation
// per ERROR finding, the first 1,000); otherwise, with lenient fixes
// applied, it becomes revision n of investigations/{id} with the SHA-256 of
// its canonical JSON, its warnings, the validator version and profile, and
// every entity addressable by name. request_id makes imports idempotent;
// `etag` guards new revisions (ABORTED). Every import leaves an audit
// record naming the revision. Thread-safe; borrows what it is given.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "fairtrace/v1/experiments.pb.h"
#include "registry/core/call_context.h"
#include "registry/store/experiment_store.h"
#include "registry/store/model_store.h"
#include "registry/store/store.h"
#include "validators/miappe/ontology.h"
#include "validators/miappe/submission.h"

namespace fairtrace {

class ExperimentRegistry {
 public:
  // `ontologies` (may be null) are the operator's loaded OBO files.
  ExperimentRegistry(Store* store, ModelStore* request_ids, ExperimentStore* experiments, std::string page_token_key,
                     std::function<int64_t()> now_micros, const miappe::OntologySet* ontologies = nullptr);

  absl::StatusOr<v1::ValidationReport> ValidateInvestigation(const v1::ValidateInvestigationRequest& req);
  absl::StatusOr<v1::Investigation> ImportInvestigation(const CallContext& ctx,
                                                        const v1::ImportInvestigationRequest& req);
  absl::StatusOr<v1::Investigation> GetInvestigation(const v1::GetInvestigationRequest& req);
  absl::StatusOr<v1::ListInvestigationsResponse> ListInvestigations(const v1::ListInvestigationsRequest& req);
  absl::StatusOr<v1::MiappeEntity> GetEntity(const v1::GetEntityRequest& req);
  absl::StatusOr<v1::ListEntitiesResponse> ListEntities(const v1::ListEntitiesRequest& req);
  // MIAPPE JSON of a revision; ISA-Tab is UNIMPLEMENTED.
  absl::StatusOr<v1::ExportInvestigationResponse> ExportInvestigation(const v1::ExportInvestigationRequest& req);

 private:
  absl::StatusOr<v1::Investigation> Load(const std::string& id, int64_t revision);
  // Every record of a revision, in section then sheet order.
  absl::StatusOr<std::vector<miappe::Record>> LoadRecords(const std::string& id, const v1::Investigation& inv);

  Store* store_;
  ModelStore* request_ids_;
  ExperimentStore* experiments_;
  std::string token_key_;
  std::function<int64_t()> now_;
  const miappe::OntologySet* ontologies_;
};

}  // namespace fairtrace
