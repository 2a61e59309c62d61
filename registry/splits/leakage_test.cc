#include "registry/splits/leakage.h"

#include <gtest/gtest.h>

namespace fairtrace::splits {
namespace {

LeakageItem Item(std::string path, std::string part, std::string blob, std::string unit, int64_t t = 0) {
  LeakageItem it;
  it.path = std::move(path);
  it.part = std::move(part);
  it.blob = std::move(blob);
  it.groups["observation_unit"] = std::move(unit);
  it.acquired_micros = t;
  it.has_acquired = t > 0;
  return it;
}

LeakageOptions Options(bool temporal = false) {
  LeakageOptions o;
  o.part_order = {"train", "test"};
  o.group_by = {"observation_unit"};
  o.temporal = temporal;
  return o;
}

TEST(FindLeakage, ExactDuplicatesAndGroupsAcrossParts) {
  std::vector<LeakageItem> items = {Item("a.png", "train", "b1", "P1"), Item("b.png", "test", "b1", "P2"),
                                    Item("c.png", "train", "b2", "P2"), Item("d.png", "train", "b3", ""),
                                    Item("e.png", "train", "b1", "P3")};
  auto found = FindLeakage(items, Options());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].kind, "exact_duplicate");
  EXPECT_EQ(found[0].count, 1);  // b1, counted once though three items hold it
  ASSERT_EQ(found[0].pairs.size(), 1u);
  EXPECT_EQ(found[0].pairs[0].a, "a.png");  // the first train item, then the first test item
  EXPECT_EQ(found[0].pairs[0].b, "b.png");
  EXPECT_EQ(found[1].kind, "group:observation_unit");
  EXPECT_EQ(found[1].count, 1);  // P2
  EXPECT_EQ(found[1].pairs[0].shared, "P2");
  EXPECT_EQ(found[1].unkeyed_items, 1);
}

TEST(FindLeakage, NothingSharedNothingFound) {
  std::vector<LeakageItem> items = {Item("a.png", "train", "b1", "P1"), Item("b.png", "test", "b2", "P2")};
  for (const auto& f : FindLeakage(items, Options(true))) EXPECT_EQ(f.count, 0) << f.kind;
}

TEST(FindLeakage, TemporalTestBeforeTheLatestTraining) {
  std::vector<LeakageItem> items = {Item("a.png", "train", "b1", "P1", 100), Item("b.png", "train", "b2", "P1", 300),
                                    Item("c.png", "test", "b3", "P2", 200), Item("d.png", "test", "b4", "P2", 400)};
  auto found = FindLeakage(items, Options(true));
  ASSERT_EQ(found.back().kind, "temporal");
  EXPECT_EQ(found.back().count, 1);
  EXPECT_EQ(found.back().pairs[0].a, "b.png");  // the latest training item
  EXPECT_EQ(found.back().pairs[0].b, "c.png");  // acquired before it
}

TEST(FindLeakage, PairsAreBounded) {
  std::vector<LeakageItem> items;
  for (int i = 0; i < 50; ++i) {
    items.push_back(Item("tr-" + std::to_string(i), "train", "x" + std::to_string(i), "U" + std::to_string(i)));
    items.push_back(Item("te-" + std::to_string(i), "test", "x" + std::to_string(i), "U" + std::to_string(i)));
  }
  LeakageOptions o = Options();
  o.max_pairs = 5;
  auto found = FindLeakage(items, o);
  EXPECT_EQ(found[0].count, 50);
  EXPECT_EQ(found[0].pairs.size(), 5u);
}

TEST(PartPairCounts, CountsWhatEachTwoPartsShare) {
  std::vector<LeakageItem> items = {Item("a", "train", "b1", "P1"), Item("b", "test", "b1", "P1"),
                                    Item("c", "train", "b2", "P2"), Item("d", "validation", "b3", "P2"),
                                    Item("e", "test", "b4", "P3")};
  auto counts = PartPairCounts(items, {"observation_unit"});
  // Keys in byte order: ("test", "train"), ("train", "validation").
  const std::pair<std::string, std::string> test_train("test", "train"), train_validation("train", "validation");
  EXPECT_EQ(counts[test_train]["exact_duplicate"], 1);
  EXPECT_EQ(counts[test_train]["group:observation_unit"], 1);
  EXPECT_EQ(counts[train_validation]["group:observation_unit"], 1);
  EXPECT_EQ(counts[train_validation].count("exact_duplicate"), 0u);
  EXPECT_EQ(counts.count(std::make_pair(std::string("test"), std::string("validation"))), 0u);
}

}  // namespace
}  // namespace fairtrace::splits
