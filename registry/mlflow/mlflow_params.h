// Reading MLflow request parameters (a JSON body, or GET query parameters
// as strings): errors are INVALID_ARGUMENT naming the field, with MLflow's
// "Missing value for required parameter" wording. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fairtrace::mlflow {

// A string parameter; "" when absent and not required.
absl::StatusOr<std::string> TextParam(const nlohmann::json& params, const std::string& field, bool required);
// An integer given as a JSON number or a decimal string; `fallback` when absent.
absl::StatusOr<int64_t> IntegerParam(const nlohmann::json& params, const std::string& field, int64_t fallback);
// `field`: a list of {key, value}, in its order (duplicates kept).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KeyValuesParam(const nlohmann::json& params,
                                                                                const std::string& field);
// A list of strings (`experiment_ids`, `order_by`): a JSON list, or one
// string (a GET query parameter given once); empty when absent.
absl::StatusOr<std::vector<std::string>> StringListParam(const nlohmann::json& params, const std::string& field);
// One order_by term "<key> [ASC|DESC]" (any case; the key bare or quoted
// with backticks or double quotes), as MLflow splits it: the key and
// whether ascending. INVALID_ARGUMENT (field `order_by`) otherwise.
absl::StatusOr<std::pair<std::string, bool>> OrderTermParam(const std::string& term);
// `tags`: a list of {key, value}; a later key wins.
absl::StatusOr<std::map<std::string, std::string>> TagsParam(const nlohmann::json& params);

}  // namespace fairtrace::mlflow
