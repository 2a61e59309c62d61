// Names under a dataset version: "datasets/{d}/versions/{v}" and its
// children "…/annotationSets/{a}" and "…/agreementReports/{r}"
// (docs/annotations.md), and loading the version a name names.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/store/dataset_store.h"

namespace fairtrace {

struct DatasetChildName {
  std::string dataset_id;
  int64_t version = 0;
  std::string collection;  // "" for the version itself, "annotationSets", "agreementReports"
  std::string id;
};

// INVALID_ARGUMENT naming `field` unless `name` is a version (collection
// "") or a child in `collection`.
absl::StatusOr<DatasetChildName> ParseDatasetChildName(absl::string_view name, absl::string_view collection,
                                                       absl::string_view field);

std::string DatasetVersionName(const std::string& dataset_id, int64_t version);

// The stored version `name` names: INVALID_ARGUMENT on `field` for another
// shape, NOT_FOUND (VERSION_NOT_FOUND) when it does not exist.
absl::StatusOr<DatasetVersionRow> LoadDatasetVersion(DatasetStore* datasets, const std::string& name,
                                                     const std::string& field);

}  // namespace fairtrace
