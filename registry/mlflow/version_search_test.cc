#include "registry/mlflow/version_search.h"

#include <gtest/gtest.h>

namespace fairtrace::mlflow {
namespace {

using json = nlohmann::json;

json Version(const std::string& name, int version, const std::string& run, int64_t updated,
             const std::map<std::string, std::string>& tags = {}) {
  json v = {{"name", name},
            {"version", std::to_string(version)},
            {"run_id", run},
            {"source", "runs:/" + run + "/model"},
            {"creation_timestamp", 1000 + version},
            {"last_updated_timestamp", updated}};
  json t = json::array();
  for (const auto& [k, val] : tags) t.push_back({{"key", k}, {"value", val}});
  if (!t.empty()) v["tags"] = t;
  return v;
}

std::vector<std::string> Ids(const std::vector<json>& vs) {
  std::vector<std::string> out;
  for (const json& v : vs) out.push_back(v["name"].get<std::string>() + "/" + v["version"].get<std::string>());
  return out;
}

std::vector<json> All() {
  return {Version("leaf", 1, "r1", 30, {{"stage", "pilot"}}), Version("leaf", 2, "r2", 10),
          Version("Leaf-B", 1, "r1", 20, {{"stage", "prod"}, {"team a", "roots"}}), Version("root", 3, "r3", 40)};
}

std::vector<std::string> Search(const std::string& filter, const std::vector<std::string>& order = {}) {
  auto s = VersionSearch::Parse(filter, order);
  EXPECT_TRUE(s.ok()) << filter << ": " << s.status();
  if (!s.ok()) return {};
  std::vector<json> found;
  for (json& v : All()) {
    if (s->Matches(v)) found.push_back(v);
  }
  s->Sort(&found);
  return Ids(found);
}

TEST(VersionSearchTest, FiltersAsMlflowDoes) {
  EXPECT_EQ(Search(""), (std::vector<std::string>{"Leaf-B/1", "leaf/2", "leaf/1", "root/3"}));
  EXPECT_EQ(Search("name = 'leaf'"), (std::vector<std::string>{"leaf/2", "leaf/1"}));
  EXPECT_EQ(VersionSearch::Parse("name='leaf' and run_id = \"r2\"", {})->exact_name(), "leaf");
  EXPECT_EQ(Search("name='leaf' and run_id = \"r2\""), (std::vector<std::string>{"leaf/2"}));
  EXPECT_EQ(Search("name ILIKE 'leaf%'"), (std::vector<std::string>{"Leaf-B/1", "leaf/2", "leaf/1"}));
  EXPECT_EQ(Search("name LIKE 'leaf%'"), (std::vector<std::string>{"leaf/2", "leaf/1"}));
  EXPECT_EQ(Search("run_id IN ('r1', 'r3')"), (std::vector<std::string>{"Leaf-B/1", "leaf/1", "root/3"}));
  EXPECT_EQ(Search("version_number >= 2 AND name != 'root'"), (std::vector<std::string>{"leaf/2"}));
  EXPECT_EQ(Search("tags.stage = 'prod'"), (std::vector<std::string>{"Leaf-B/1"}));
  EXPECT_EQ(Search("tags.`team a` LIKE 'ro%'"), (std::vector<std::string>{"Leaf-B/1"}));
  // A version without the tag does not match, even with !=.
  EXPECT_EQ(Search("tag.stage != 'prod'"), (std::vector<std::string>{"leaf/1"}));
  EXPECT_EQ(Search("source_path = 'runs:/r3/model'"), (std::vector<std::string>{"root/3"}));
  EXPECT_EQ(Search("attributes.name = 'a and b'"), (std::vector<std::string>{}));  // AND inside a value
}

TEST(VersionSearchTest, OrdersAsMlflowDoes) {
  EXPECT_EQ(Search("", {"last_updated_timestamp DESC"}),
            (std::vector<std::string>{"root/3", "leaf/1", "Leaf-B/1", "leaf/2"}));
  EXPECT_EQ(Search("", {"version_number", "name DESC"}),
            (std::vector<std::string>{"leaf/1", "Leaf-B/1", "leaf/2", "root/3"}));
  // Ties (leaf/1 and Leaf-B/1 were created together) by name ascending.
  EXPECT_EQ(Search("", {"attribute.creation_timestamp DESC"}),
            (std::vector<std::string>{"root/3", "leaf/2", "Leaf-B/1", "leaf/1"}));
}

TEST(VersionSearchTest, RefusesWhatItCannotRead) {
  for (const char* bad :
       {"name = leaf", "name = 'a' OR name = 'b'", "version_number > 'x'", "run_id IN ()", "run_id IN ('a' 'b')",
        "stage = 'x'", "name = 'a'; DROP TABLE model_versions", "tags.a ~ 'x'", "name = 'a' AND"}) {
    EXPECT_FALSE(VersionSearch::Parse(bad, {}).ok()) << bad;
  }
  EXPECT_FALSE(VersionSearch::Parse(std::string(10001, ' '), {}).ok());
  EXPECT_FALSE(VersionSearch::Parse("", {"name", "name DESC"}).ok());
  EXPECT_FALSE(VersionSearch::Parse("", {"tags.stage"}).ok());
  EXPECT_FALSE(VersionSearch::Parse("", {"name sideways"}).ok());
  std::string many;
  for (int i = 0; i < 51; ++i) many += (i ? " AND " : "") + std::string("version_number > 0");
  EXPECT_FALSE(VersionSearch::Parse(many, {}).ok());
}

TEST(VersionSearchTest, RegisteredModelsTakeNameAndTagClausesOnly) {
  auto s = VersionSearch::ForModels("name LIKE 'leaf%' AND tags.crop = 'maize'");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->Matches({{"name", "leaf-a"}, {"tags", {{{"key", "crop"}, {"value", "maize"}}}}}));
  EXPECT_FALSE(s->Matches({{"name", "leaf-a"}}));
  for (const char* bad : {"run_id = 'r'", "version_number > 1", "source_path = 'x'"}) {
    EXPECT_FALSE(VersionSearch::ForModels(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace fairtrace::mlflow
