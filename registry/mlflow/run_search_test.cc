// MLflow's run search grammar: what each entity takes, what it refuses
// (with the position), LIKE without backtracking, and the order.
#include "registry/mlflow/run_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace fairtrace::mlflow {
namespace {

RunView MakeRun(std::string id, int64_t start, std::map<std::string, double> metrics = {},
                std::map<std::string, std::string> params = {}, std::map<std::string, std::string> tags = {}) {
  RunView r;
  r.run_id = std::move(id);
  r.run_name = "run-" + r.run_id;
  r.status = "FINISHED";
  r.user_id = "ana";
  r.start_time = start;
  r.metrics = std::move(metrics);
  r.params = std::move(params);
  r.tags = std::move(tags);
  return r;
}

bool Match(const std::string& filter, const RunView& r) {
  auto s = RunSearch::Parse(filter, {});
  EXPECT_TRUE(s.ok()) << filter << ": " << s.status();
  return s.ok() && s->Matches(r);
}

std::string Refusal(const std::string& filter, const std::vector<std::string>& order = {}) {
  auto s = RunSearch::Parse(filter, order);
  EXPECT_FALSE(s.ok()) << filter;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(RunSearchTest, EachEntityComparesAsMlflowDoes) {
  RunView r = MakeRun("a1", 1000, {{"acc", 0.9}, {"val loss", 0.2}}, {{"lr", "0.01"}, {"model", "ResNet-50"}},
                      {{"team", "Phenome"}, {"mlflow.user", "ana"}});
  EXPECT_TRUE(Match("", r));
  EXPECT_TRUE(Match("metrics.acc > 0.5", r));
  EXPECT_FALSE(Match("metrics.acc > 0.95", r));
  EXPECT_TRUE(Match("metric.`val loss` <= 0.2 and metrics.acc >= 0.9 AND metrics.acc != 1e0", r));
  EXPECT_FALSE(Match("metrics.missing < 100", r));  // no value: no match, as MLflow's join
  EXPECT_TRUE(Match("params.lr = '0.01'", r));
  EXPECT_TRUE(Match("parameters.model LIKE 'ResNet%'", r));
  EXPECT_FALSE(Match("params.model LIKE 'resnet%'", r));
  EXPECT_TRUE(Match("params.model ILIKE 'resnet-__'", r));
  EXPECT_TRUE(Match("tags.team != \"INRAE\"", r));
  EXPECT_TRUE(Match("tags.\"mlflow.user\" = 'ana'", r));
  EXPECT_FALSE(Match("tags.absent != 'x'", r));
  EXPECT_TRUE(Match("attributes.status = 'FINISHED' and attr.run_name LIKE 'run-%'", r));
  EXPECT_TRUE(Match("attributes.run_id IN ('zz', 'a1')", r));
  EXPECT_FALSE(Match("run.run_id NOT IN ('a1')", r));
  EXPECT_TRUE(Match("attributes.start_time >= 1000 and attributes.created < 1001", r));
  EXPECT_FALSE(Match("attributes.end_time > 0", r));  // a running run has none
  // LIKE metacharacters of RE2 are literal; only % and _ are wildcards.
  RunView odd = MakeRun("b", 1, {}, {{"p", "a.b*(c)"}});
  EXPECT_TRUE(Match("params.p LIKE 'a.b*(c)'", odd));
  EXPECT_FALSE(Match("params.p LIKE 'aXb*(c)'", odd));
}

// A dataset clause matches when any of the run's inputs does; a run
// without inputs matches none (not even !=).
TEST(RunSearchTest, DatasetClausesMatchAnyInput) {
  RunView r = MakeRun("d1", 1);
  r.datasets = {{"leaf areas", "abc123", "training"}, {"weather", "ff00", "eval"}};
  RunView none = MakeRun("d2", 2);
  auto s = RunSearch::Parse("datasets.name = 'weather'", {});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->uses_datasets());
  EXPECT_FALSE(RunSearch::Parse("params.x = 'y'", {})->uses_datasets());
  EXPECT_TRUE(Match("datasets.name = 'weather'", r));
  EXPECT_TRUE(Match("dataset.context = 'training' AND datasets.digest = 'ff00'", r));  // each clause: any input
  EXPECT_TRUE(Match("datasets.name != 'weather'", r));                                 // 'leaf areas' is not
  EXPECT_FALSE(Match("datasets.name != 'weather'", none));
  EXPECT_TRUE(Match("datasets.digest IN ('x', 'abc123')", r));
  EXPECT_TRUE(Match("datasets.context NOT IN ('training')", r));  // 'eval' is not in it
  EXPECT_FALSE(Match("datasets.context NOT IN ('training', 'eval')", r));
  EXPECT_TRUE(Match("datasets.name LIKE 'leaf%'", r));
  EXPECT_FALSE(Match("datasets.name LIKE 'LEAF%'", r));
  EXPECT_TRUE(Match("datasets.name ILIKE 'LEAF%'", r));
  EXPECT_FALSE(Match("datasets.name LIKE '%'", none));
}

TEST(RunSearchTest, RefusesWhatMlflowRefusesAndSaysWhere) {
  EXPECT_NE(Refusal("metrics.acc > '0.5'").find("expected a number"), std::string::npos);
  EXPECT_NE(Refusal("params.lr = 0.01").find("expected a quoted string"), std::string::npos);
  EXPECT_NE(Refusal("params.lr > '1'").find("not >"), std::string::npos);
  EXPECT_NE(Refusal("metrics.acc LIKE '1'").find("LIKE does not compare numbers"), std::string::npos);
  EXPECT_NE(Refusal("acc > 1").find("expected an identifier"), std::string::npos);
  EXPECT_NE(Refusal("things.name = 'x'").find("not metrics, params"), std::string::npos);
  EXPECT_NE(Refusal("datasets.size = 'x'").find("not a dataset key"), std::string::npos);
  EXPECT_NE(Refusal("datasets.name > 'x'").find("not >"), std::string::npos);
  EXPECT_NE(Refusal("datasets.name = 1").find("expected a quoted string"), std::string::npos);
  EXPECT_NE(Refusal("", {"datasets.name"}).find("not ordered by datasets"), std::string::npos);
  EXPECT_NE(Refusal("attributes.color = 'x'").find("not an attribute"), std::string::npos);
  EXPECT_NE(Refusal("metrics.a > 1 OR metrics.b > 1").find("OR is not supported"), std::string::npos);
  EXPECT_NE(Refusal("params.x = 'unterminated").find("unterminated quote"), std::string::npos);
  EXPECT_NE(Refusal("params.x IN ('a')").find("IN compares attributes.run_id and datasets"), std::string::npos);
  EXPECT_NE(Refusal("tags.x = 'a'; DROP TABLE runs; --'").find("expected AND"), std::string::npos);
  EXPECT_NE(Refusal("metrics.acc > 1", {"metrics.acc SIDEWAYS"}).find("order_by"), std::string::npos);
  EXPECT_NE(Refusal("", {"attributes.color"}).find("not an attribute"), std::string::npos);
  EXPECT_NE(Refusal("metrics.acc > 1 and metrics.acc").find("position 32"), std::string::npos);
  std::string many;
  for (int i = 0; i < 51; ++i) many += (i ? " and " : "") + std::string("metrics.m > 1");
  EXPECT_NE(Refusal(many).find("more than 50 clauses"), std::string::npos);
  EXPECT_NE(Refusal(std::string(10001, ' ')).find("10,000 bytes"), std::string::npos);
  EXPECT_NE(Refusal("tags.x = '\xff'").find("UTF-8"), std::string::npos);
}

TEST(RunSearchTest, AHostileLikePatternIsBounded) {
  // %a%a%…%b against a long run of a's: exponential for a backtracking
  // matcher; RE2 is linear, and the wildcards are bounded so that each
  // comparison stays a short scan. (Correctness here; no timing asserted.)
  std::string pattern;
  for (int i = 0; i < 16; ++i) pattern += "%a";
  RunView r = MakeRun("x", 1, {}, {{"p", std::string(8000, 'a')}});
  EXPECT_FALSE(Match("params.p LIKE '" + pattern + "b'", r));
  EXPECT_TRUE(Match("params.p LIKE '" + pattern + "'", r));
  EXPECT_NE(Refusal("params.p LIKE '" + pattern + "%'").find("more than 16 '%'"), std::string::npos);
}

TEST(RunSearchTest, OrdersAsMlflowWithMissingValuesLast) {
  std::vector<RunView> runs = {MakeRun("c", 30, {{"acc", 0.5}}), MakeRun("a", 10, {{"acc", 0.9}}), MakeRun("b", 20, {}),
                               MakeRun("d", 30, {{"acc", std::nan("")}}), MakeRun("e", 40, {{"acc", 0.5}})};
  auto order = [&](std::vector<std::string> terms) {
    auto s = RunSearch::Parse("", terms);
    EXPECT_TRUE(s.ok()) << s.status();
    std::vector<RunView> sorted = runs;
    std::sort(sorted.begin(), sorted.end(), [&](const RunView& x, const RunView& y) { return s->Before(x, y); });
    std::string ids;
    for (const RunView& r : sorted) ids += r.run_id;
    return ids;
  };
  EXPECT_EQ(order({}), "ecdba");  // start_time DESC, then run_id
  EXPECT_EQ(order({"metrics.acc DESC"}), "aecdb");
  EXPECT_EQ(order({"metrics.acc"}), "ecadb");
  EXPECT_EQ(order({"attributes.start_time ASC", "attributes.run_id DESC"}), "abdce");
}

}  // namespace
}  // namespace fairtrace::mlflow
