// InvestigationRegistry: MIAPPE investigations validated on the way in and
// stored as immutable revisions (docs/investigations.md). Transport-free;
// api/experiment_service.cc adapts it.
//
// Rules: a submission (xlsx and/or TSV sheets, ISA-Tab files or MIAPPE
// JSON; ≤ 64 files, ≤ 64 MiB) is
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
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fairtrace/v1/experiments.pb.h"
#include "registry/core/call_context.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/store.h"
#include "validators/miappe/ontology.h"
#include "validators/miappe/places.h"
#include "validators/miappe/report.h"
#include "validators/miappe/submission.h"
#include "validators/miappe/validator.h"

namespace fairtrace {

// DEADLINE_EXCEEDED (reason VALIDATION_STOPPED) when `report` was stopped
// before its end (ValidateOptions::should_stop); OK otherwise.
absl::Status ValidationStoppedError(const miappe::Report& report);

class InvestigationRegistry {
 public:
  // `ontologies` (may be null) are the operator's loaded OBO files;
  // `places` (may be null) the country outlines for SEM-COORD-COUNTRY.
  InvestigationRegistry(Store* store, ModelStore* request_ids, InvestigationStore* experiments,
                        std::string page_token_key, std::function<int64_t()> now_micros,
                        const miappe::OntologySet* ontologies = nullptr,
                        const miappe::CountryLocator* places = nullptr);

  // ctx.should_stop is polled; a stopped validation is DEADLINE_EXCEEDED.
  absl::StatusOr<v1::ValidationReport> ValidateInvestigation(const CallContext& ctx,
                                                             const v1::ValidateInvestigationRequest& req);
  absl::StatusOr<v1::Investigation> ImportInvestigation(const CallContext& ctx,
                                                        const v1::ImportInvestigationRequest& req);
  absl::StatusOr<v1::Investigation> GetInvestigation(const v1::GetInvestigationRequest& req);
  // Only investigations in `scope`'s projects.
  absl::StatusOr<v1::ListInvestigationsResponse> ListInvestigations(const v1::ListInvestigationsRequest& req,
                                                                    const ProjectScope& scope = ProjectScope::All());
  absl::StatusOr<v1::MiappeEntity> GetEntity(const v1::GetEntityRequest& req);
  absl::StatusOr<v1::ListEntitiesResponse> ListEntities(const v1::ListEntitiesRequest& req);
  // MIAPPE JSON or ISA-Tab files of a revision.
  absl::StatusOr<v1::ExportInvestigationResponse> ExportInvestigation(const v1::ExportInvestigationRequest& req);

  // One record added, changed or removed (experiment_entities.cc): the
  // latest revision with that change, validated whole under the same rules
  // as an import, becomes the next revision; any ERROR rejects it
  // (INVALID_ARGUMENT, MIAPPE_INVALID, one violation per error) and stores
  // nothing. `etag` (optional) must be the investigation's current one
  // (ABORTED); the change is applied to the revision it was read from, and
  // a concurrent new revision makes it ABORTED too. Unknown fields of the
  // section are INVALID_ARGUMENT; an id shared by several records of the
  // section is FAILED_PRECONDITION (AMBIGUOUS_ENTITY) for update and delete.
  absl::StatusOr<v1::Investigation> CreateEntity(const CallContext& ctx, const v1::CreateEntityRequest& req);
  absl::StatusOr<v1::Investigation> UpdateEntity(const CallContext& ctx, const v1::UpdateEntityRequest& req);
  absl::StatusOr<v1::Investigation> DeleteEntity(const CallContext& ctx, const v1::DeleteEntityRequest& req);

 private:
  absl::StatusOr<v1::Investigation> Load(const std::string& id, int64_t revision);
  // Every record of a revision, in section then sheet order.
  absl::StatusOr<std::vector<miappe::Record>> LoadRecords(const std::string& id, const v1::Investigation& inv);
  // The validator's options for a request: its strictness, the loaded
  // ontologies and country outlines.
  miappe::ValidateOptions ValidateOptionsFor(v1::Strictness strictness, const CallContext& ctx) const;
  // The first result of an earlier call with `request_id`, if any.
  absl::StatusOr<std::optional<v1::Investigation>> Replay(const CallContext& ctx, const std::string& request_id);
  // Refuses a report with errors, else stores the submission as the next
  // revision of `id` (lenient fixes applied) and returns it.
  absl::StatusOr<v1::Investigation> StoreRevision(const CallContext& ctx, const std::string& id,
                                                  const std::string& project, miappe::Submission submission,
                                                  const miappe::Report& report, v1::Strictness strictness,
                                                  const std::string& request_id, int64_t expected_latest);
  // Applies `edit` to the records of the latest revision and stores the
  // result as the next one (the entity calls).
  absl::StatusOr<v1::Investigation> ChangeRecords(
      const CallContext& ctx, const std::string& id, const std::string& etag, const std::string& request_id,
      v1::Strictness strictness, const std::function<absl::Status(std::vector<miappe::Record>*)>& edit);

  Store* store_;
  ModelStore* request_ids_;
  InvestigationStore* experiments_;
  std::string token_key_;
  std::function<int64_t()> now_;
  const miappe::OntologySet* ontologies_;
  const miappe::CountryLocator* places_;
};

}  // namespace fairtrace
