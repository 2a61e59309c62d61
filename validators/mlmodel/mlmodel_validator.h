// MLmodel validation: checks an MLflow model folder's `MLmodel` file against
// the folder's own file list, with rules loaded from data
// (schemas/mlmodel/rules.yaml; docs/mlmodel-validation.md).
//
// Pure: bytes and a path list in, a report out; no I/O. Thread-safe after
// construction (a validator is immutable).
//
// Checks: the YAML parses to a mapping; required keys are present; every
// file a flavor names (rules' flavor_files), every env file, the input
// example exist in the folder (a file, or a folder = a prefix of some path;
// a null value names nothing); names are relative without `..`; signature
// JSON strings parse. `model_size_bytes` is recorded, never enforced (MLflow
// computes it before writing some files). Every problem is one violation
// with the offending field's path, e.g. "flavors.sklearn.pickled_model".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fairtrace::mlmodel {

struct Violation {
  std::string field;        // e.g. "signature.inputs"
  std::string description;  // one sentence
};

// What the MLmodel says, as stored with a model version.
struct ModelInfo {
  std::vector<std::string> flavors;  // flavor names, in file order
  std::string mlflow_version;
  std::string model_uuid;
  std::string run_id;
  std::string utc_time_created;
  std::optional<int64_t> model_size_bytes;
  nlohmann::json signature;  // inputs/outputs/params parsed; null if absent
  nlohmann::json saved_input_example_info;
  nlohmann::json metadata;
  nlohmann::json flavor_details;  // flavors.* as JSON
  nlohmann::json extensions;      // unknown top-level keys, kept as given
};

struct Report {
  ModelInfo info;
  std::vector<Violation> violations;
  bool ok() const { return violations.empty(); }
};

struct Rules;

class Validator {
 public:
  // The rules compiled in from schemas/mlmodel/rules.yaml.
  static const Validator& Default();
  // Rules from YAML text; INVALID_ARGUMENT when they are malformed.
  static absl::StatusOr<std::unique_ptr<Validator>> FromRules(absl::string_view rules_yaml);
  ~Validator();

  // `paths`: every file path of the model folder ('/'-separated, relative),
  // e.g. the tree manifest's entries.
  Report Validate(absl::string_view mlmodel_yaml, const std::vector<std::string>& paths) const;

 private:
  explicit Validator(std::unique_ptr<Rules> rules);
  std::unique_ptr<Rules> rules_;
};

}  // namespace fairtrace::mlmodel
