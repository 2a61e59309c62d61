// MLflow's run search (runs/search): its filter and order-by grammar
// (docs/mlflow-door.md, "Run search"), parsed into clauses and evaluated
// over runs in memory.
//
// Filter: clauses joined by AND (any case), each
//   <entity>.<key> <op> <value>
// entity: metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) |
// attr | run | dataset(s); the key bare ([A-Za-z0-9_.-/:]) or quoted with
// backticks or double quotes. Operators, by entity:
//   metrics               = != < <= > >=   against a number
//   params, tags          = != LIKE ILIKE  against a quoted string
//   attributes: run_id    = != IN NOT IN   ('a', 'b', …)
//               status, run_name, user_id, artifact_uri
//                         = != LIKE ILIKE
//               start_time, end_time = != < <= > >= against a number (ms)
//   datasets: name, digest, context
//                         = != LIKE ILIKE IN NOT IN
// A run without the metric, param or tag a clause names does not match
// (as MLflow's SQL join); a dataset clause matches when any of the run's
// dataset inputs does (context: its tag mlflow.data.context). LIKE uses %
// and _, case-sensitive; ILIKE folds case. Patterns are matched by RE2
// (linear time), never by backtracking, and have at most 16 '%'.
//
// Order by: up to 10 terms "<entity>.<key> [ASC|DESC]" (not datasets); runs
// without the value go last in either direction; ties by start_time DESC,
// then run_id.
//
// Errors: INVALID_ARGUMENT naming `filter` or `order_by` and the position,
// for syntax, unknown entities or attributes, operators an entity does not
// take, values of the wrong kind, more than 10,000 bytes or 50 clauses.
// Immutable after Parse; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}

namespace fairtrace::mlflow {

// What search sees of a run.
struct RunView {
  std::string run_id;
  std::string run_name;
  std::string status;  // RUNNING, FINISHED, FAILED, KILLED
  std::string user_id;
  std::string artifact_uri;
  int64_t start_time = 0;  // ms
  std::optional<int64_t> end_time;
  std::map<std::string, double> metrics;  // latest values
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  // The run's MLflow dataset inputs; filled only for a search that
  // uses_datasets() (reading them costs a lookup per run).
  struct DatasetInput {
    std::string name, digest, context;
  };
  std::vector<DatasetInput> datasets;
};

// `a op b` for op one of = != < <= > >= (false for any other).
template <typename T>
bool CompareByOp(const T& a, absl::string_view op, const T& b) {
  if (op == "=") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  return false;
}

// MLflow's LIKE pattern (% any text, _ one character) as an anchored
// RE2; `fold_case` for ILIKE. INVALID_ARGUMENT (field `filter`) past 16 %.
absl::StatusOr<std::shared_ptr<re2::RE2>> MlflowLikePattern(const std::string& pattern, bool fold_case);

class RunSearch {
 public:
  enum class Entity { kMetric, kParam, kTag, kAttribute, kDataset };
  struct Clause {
    Entity entity;
    std::string key;
    std::string op;  // "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"
    double number = 0;
    std::string text;
    std::vector<std::string> list;      // IN, NOT IN
    std::shared_ptr<re2::RE2> pattern;  // LIKE, ILIKE
  };
  struct OrderTerm {
    Entity entity;
    std::string key;
    bool ascending = true;
  };

  static absl::StatusOr<RunSearch> Parse(absl::string_view filter, const std::vector<std::string>& order_by);

  bool Matches(const RunView& run) const;
  // A strict weak order: the order_by terms, then start_time DESC, run_id.
  bool Before(const RunView& a, const RunView& b) const;

  const std::vector<Clause>& clauses() const { return clauses_; }
  // True when a clause compares dataset inputs (RunView::datasets).
  bool uses_datasets() const;

 private:
  std::vector<Clause> clauses_;
  std::vector<OrderTerm> order_;
};

}  // namespace fairtrace::mlflow
