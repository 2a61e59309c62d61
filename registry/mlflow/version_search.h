// MLflow's model-versions/search (docs/mlflow-door.md, "Model registry"):
// its filter and order-by grammar, parsed into clauses and applied in
// memory to versions as the door shows them (their MLflow JSON).
//
// Filter: clauses joined by AND (any case), each one of
//   [attribute.]name | run_id | source_path  = != LIKE ILIKE  'text'
//   [attribute.]run_id IN ('a', 'b', ...)
//   [attribute.]version_number  = != < <= > >=  <integer>
//   tag(s).<key>  = != LIKE ILIKE  'text'   (key bare or quoted with
//                                            backticks or double quotes)
// Values may be quoted with ' or ". A version without the tag a clause
// names does not match (as MLflow's SQL join). LIKE uses % and _ and is
// case-sensitive, ILIKE folds case; both are RE2 (linear time).
//
// Order by: terms "[attribute.]<key> [ASC|DESC]" over name,
// version_number, creation_timestamp, last_updated_timestamp, each field
// once; then name ascending and version descending unless named (MLflow's
// natural order).
//
// Errors: INVALID_ARGUMENT naming `filter` or `order_by` and the clause,
// for syntax, unknown fields, more than 10,000 bytes or 50 clauses.
// Immutable after Parse; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace re2 {
class RE2;
}

namespace fairtrace::mlflow {

class VersionSearch {
 public:
  static absl::StatusOr<VersionSearch> Parse(const std::string& filter, const std::vector<std::string>& order_by);
  // The same filter grammar for registered-models/search, which MLflow
  // limits to name and tags.<key> clauses (Matches then takes a model's
  // MLflow JSON); the order is registered-models/search's own.
  static absl::StatusOr<VersionSearch> ForModels(const std::string& filter);

  // The model name an `name = '…'` clause pins (so that only its versions
  // need reading), if any.
  const std::optional<std::string>& exact_name() const { return exact_name_; }
  // Whether `version` (a model version's MLflow JSON) matches every clause.
  bool Matches(const nlohmann::json& version) const;
  // Sorts MLflow JSON versions by the order.
  void Sort(std::vector<nlohmann::json>* versions) const;

 private:
  enum class Field { kName, kRunId, kSourcePath, kVersion, kTag };
  struct Clause {
    Field field = Field::kName;
    std::string tag;  // kTag
    std::string op;   // "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN"
    std::string text;
    std::vector<std::string> list;  // IN
    int64_t number = 0;             // kVersion
    std::shared_ptr<re2::RE2> pattern;
  };
  enum class OrderKey { kName, kVersion, kCreated, kUpdated };
  struct OrderTerm {
    OrderKey key = OrderKey::kName;
    bool ascending = true;
  };

  std::vector<Clause> clauses_;
  std::vector<OrderTerm> order_;
  std::optional<std::string> exact_name_;
};

}  // namespace fairtrace::mlflow
