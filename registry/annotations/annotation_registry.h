// AnnotationRegistry: the rules of AnnotationService (docs/annotations.md,
// docs/agreement.md). An annotation set is one annotator's work on one
// dataset version, parsed from the file their tool exported and checked
// against the version's items and images before anything is stored; the
// set, its parsed annotations, its lineage edges and the audit record are
// stored in one transaction. Agreement reports are computed over two or
// more sets of one version and task, stored as a CAS blob (the report's
// digest) plus a row, with lineage edges to the sets.
//
// Errors: INVALID_ARGUMENT naming the field, or reason ANNOTATIONS_INVALID
// with one violation per problem (the first 1,000); NOT_FOUND
// (VERSION_NOT_FOUND, ANNOTATION_SET_NOT_FOUND, REPORT_NOT_FOUND);
// FAILED_PRECONDITION (SOURCE_MISSING, GUIDELINE_MISSING); ALREADY_EXISTS
// (ANNOTATION_SET_EXISTS, REPORT_EXISTS, REQUEST_ID_USED);
// RESOURCE_EXHAUSTED when a report outgrows its limits.
// Thread-safe; borrows the stores, which must outlive it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "fairtrace/v1/annotations.pb.h"
#include "registry/annotations/annotation_formats.h"
#include "registry/content/content_store.h"
#include "registry/core/call_context.h"
#include "registry/store/annotation_store.h"
#include "registry/store/dataset_store.h"
#include "registry/store/investigation_store.h"
#include "registry/store/model_store.h"
#include "registry/store/store.h"

namespace fairtrace {

struct AnnotationLimits {
  int64_t max_source_bytes = int64_t{256} << 20;  // a COCO file or label CSV
  int64_t max_mask_bytes = int64_t{64} << 20;     // one mask PNG
  int64_t max_image_bytes = int64_t{512} << 20;   // a TIFF read whole for its header
  size_t max_sets_per_report = 20;
  int default_replicates = 1000, max_replicates = 10'000;
  int default_worst_items = 10, max_worst_items = 1000;
  int default_set_page = 50, max_set_page = 1000;
  int default_annotation_page = 100, max_annotation_page = 10'000;
  annotations::FormatLimits format;
};

class AnnotationRegistry {
 public:
  AnnotationRegistry(Store* store, ContentStore* content, ModelStore* request_ids, DatasetStore* datasets,
                     AnnotationStore* annotations, InvestigationStore* investigations, std::string page_token_key,
                     std::function<int64_t()> now_micros, AnnotationLimits limits = {});

  absl::StatusOr<v1::AnnotationSet> CreateAnnotationSet(const CallContext& ctx,
                                                        const v1::CreateAnnotationSetRequest& req);
  absl::StatusOr<v1::AnnotationSet> GetAnnotationSet(const v1::GetAnnotationSetRequest& req);
  absl::StatusOr<v1::ListAnnotationSetsResponse> ListAnnotationSets(const v1::ListAnnotationSetsRequest& req);
  absl::StatusOr<v1::ListAnnotationsResponse> ListAnnotations(const v1::ListAnnotationsRequest& req);
  absl::StatusOr<v1::AgreementReport> ComputeAgreement(const CallContext& ctx, const v1::ComputeAgreementRequest& req);
  absl::StatusOr<v1::AgreementReport> GetAgreementReport(const v1::GetAgreementReportRequest& req);

 private:
  absl::StatusOr<DatasetVersionRow> LoadVersion(const std::string& name, const std::string& field);
  absl::StatusOr<AnnotationSetRow> LoadSet(const std::string& name, const std::string& field);
  // The (factor, level) pairs of each item, through the observation units
  // (and samples' units) its links name in the pinned revision.
  absl::StatusOr<std::map<std::string, std::vector<std::pair<std::string, std::string>>>> FactorLevels(
      const DatasetVersionRow& version);

  Store* store_;
  ContentStore* content_;
  ModelStore* request_ids_;
  DatasetStore* datasets_;
  AnnotationStore* annotations_;
  InvestigationStore* investigations_;
  std::string token_key_;
  std::function<int64_t()> now_;
  AnnotationLimits limits_;
};

// Protos of stored rows (also for tests).
v1::AnnotationSet AnnotationSetProto(const AnnotationSetRow& row);
v1::AgreementReport AgreementReportProto(const AgreementReportRow& row);

}  // namespace fairtrace
