#include "registry/annotations/annotation_names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "registry/core/resource_util.h"

namespace fairtrace {

absl::StatusOr<DatasetChildName> ParseDatasetChildName(absl::string_view name, absl::string_view collection,
                                                       absl::string_view field) {
  std::vector<absl::string_view> p = absl::StrSplit(name, '/');
  DatasetChildName out;
  const size_t parts = collection.empty() ? 4 : 6;
  const bool ok = p.size() == parts && p[0] == "datasets" && IsValidResourceId(p[1]) && p[2] == "versions" &&
                  ParseCanonicalInt(p[3], &out.version) && out.version > 0 &&
                  (collection.empty() || (p[4] == collection && IsValidResourceId(p[5])));
  if (!ok) {
    return InvalidField(std::string(field),
                        collection.empty()
                            ? "expected \"datasets/{dataset}/versions/{n}\""
                            : absl::StrCat("expected \"datasets/{dataset}/versions/{n}/", collection, "/{id}\""));
  }
  out.dataset_id = std::string(p[1]);
  out.collection = std::string(collection);
  if (!collection.empty()) out.id = std::string(p[5]);
  return out;
}

std::string DatasetVersionName(const std::string& dataset_id, int64_t version) {
  return absl::StrCat("datasets/", dataset_id, "/versions/", version);
}

absl::StatusOr<DatasetVersionRow> LoadDatasetVersion(DatasetStore* datasets, const std::string& name,
                                                     const std::string& field) {
  FT_ASSIGN_OR_RETURN(DatasetChildName n, ParseDatasetChildName(name, "", field));
  FT_ASSIGN_OR_RETURN(std::optional<DatasetVersionRow> row, datasets->GetVersion(n.dataset_id, n.version));
  if (!row) {
    return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat(name, " does not exist"))
        .Reason("VERSION_NOT_FOUND")
        .Resource("fairtrace.v1.DatasetVersion", name);
  }
  return *row;
}

}  // namespace fairtrace
