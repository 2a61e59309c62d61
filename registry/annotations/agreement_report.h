// The agreement report between annotation sets of one dataset version
// (docs/agreement.md): which coefficients a task gets, over which units,
// per category and per MIAPPE factor level, with bootstrap intervals and
// the worst-agreeing items, as a JSON document whose bytes are the report's
// content (the same input gives the same bytes).
//
// Errors: INVALID_ARGUMENT for options out of range; RESOURCE_EXHAUSTED
// when an item's instances need more raster than the limit; errors of
// `load_mask` as they are. Pure apart from `load_mask`; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "registry/annotations/agreement_math.h"
#include "registry/annotations/annotation_formats.h"
#include "registry/store/annotation_store.h"

namespace fairtrace::annotations {

enum class Scale { kNominal, kOrdinal, kInterval };

struct SetData {
  std::string name, digest, annotator;
  std::vector<Category> categories;
  std::vector<AnnotationRow> annotations;
};

struct AgreementInput {
  std::string dataset_version;
  TaskType task = TaskType::kLabels;
  std::vector<SetData> sets;  // two or more
  // Item path -> its (factor, level) pairs, from the observation units it
  // shows; empty when the version links no units.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> factor_levels;
  // Mask folders: the decoded PNG of a "sha256/size" digest.
  std::function<absl::StatusOr<Mask>(const std::string& digest)> load_mask;
  std::function<bool()> should_stop;
};

struct AgreementOptions {
  Scale scale = Scale::kNominal;
  int replicates = 1000;  // 0: no intervals
  uint64_t seed = 0;
  double iou_threshold = 0.5;
  int worst_items = 10;
  int64_t max_raster_pixels_per_item = int64_t{256} << 20;
};

// One coefficient as the report and the API carry it.
struct Coefficient {
  std::string measure;
  agreement::Estimate estimate;
  agreement::Interval interval;
  bool has_interval = false;
  int64_t units = 0;
};

struct AgreementResult {
  nlohmann::json document;
  std::vector<Coefficient> overall;
};

absl::StatusOr<AgreementResult> ComputeAgreementReport(const AgreementInput& input, const AgreementOptions& options);

// The document's bytes: compact JSON, keys sorted, one trailing newline.
std::string ReportBytes(const nlohmann::json& document);

}  // namespace fairtrace::annotations
