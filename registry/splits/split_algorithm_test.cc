#include "registry/splits/split_algorithm.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"

namespace fairtrace::splits {
namespace {

std::vector<SplitItem> Items(int n, int per_group = 1) {
  std::vector<SplitItem> out;
  for (int i = 0; i < n; ++i) {
    SplitItem it;
    it.path = absl::StrCat("img-", i, ".png");
    it.item_digest = GroupHash(99, it.path);  // any 64-hex string
    it.group = absl::StrCat("unit-", i / per_group);
    it.label = i % 3 == 0 ? "sick" : "healthy";
    it.has_acquired = true;
    it.acquired_micros = int64_t{1'000'000} * (1000 - i);
    out.push_back(it);
  }
  return out;
}

SplitParams Holdout(uint64_t seed = 7) {
  SplitParams p;
  p.ratios = {{"train", 0.7}, {"validation", 0.1}, {"test", 0.2}};
  p.seed = seed;
  return p;
}

TEST(LargestRemainder, HandsTheRestToTheLargestFractions) {
  EXPECT_EQ(LargestRemainder(10, {0.7, 0.1, 0.2}), (std::vector<int64_t>{7, 1, 2}));
  EXPECT_EQ(LargestRemainder(7, {0.7, 0.1, 0.2}), (std::vector<int64_t>{5, 1, 1}));  // 4.9, 0.7, 1.4
  EXPECT_EQ(LargestRemainder(2, {0.5, 0.5}), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(LargestRemainder(3, {0.5, 0.5}), (std::vector<int64_t>{2, 1}));  // tie: the earlier part
}

TEST(GroupHash, IsSha256OfSeedZeroKey) {
  // printf '7\0unit-1' | sha256sum
  EXPECT_EQ(GroupHash(7, "unit-1"), "9e4241086d8205485d5b188a1a789f2db2841e1c4a16cf3e8283b6b0a154399e");
}

TEST(Split, HoldoutIsAPartitionAndDependsOnTheSeed) {
  auto items = Items(100);
  auto a = Split(items, Holdout());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].items.size(), 70u);
  EXPECT_EQ((*a)[1].items.size(), 10u);
  EXPECT_EQ((*a)[2].items.size(), 20u);
  std::set<size_t> all;
  for (const Part& p : *a) all.insert(p.items.begin(), p.items.end());
  EXPECT_EQ(all.size(), 100u);
  auto again = Split(items, Holdout());
  EXPECT_EQ((*again)[2].digest, (*a)[2].digest);
  auto other = Split(items, Holdout(8));
  EXPECT_NE((*other)[2].digest, (*a)[2].digest);
}

TEST(Split, GroupsNeverStraddleParts) {
  auto items = Items(90, 3);
  SplitParams p = Holdout();
  p.grouped = true;
  auto parts = Split(items, p);
  ASSERT_TRUE(parts.ok());
  std::map<std::string, std::string> part_of;
  for (const Part& part : *parts) {
    for (size_t i : part.items) {
      auto [it, fresh] = part_of.emplace(items[i].group, part.name);
      EXPECT_TRUE(fresh || it->second == part.name) << items[i].group;
    }
  }
  EXPECT_EQ((*parts)[0].groups, 21);  // 30 groups: 21 / 3 / 6
}

TEST(Split, KFoldNeedsEnoughGroups) {
  SplitParams p;
  p.method = Method::kKFold;
  p.folds = 5;
  p.grouped = true;
  auto parts = Split(Items(12, 3), p);  // 4 groups
  EXPECT_EQ(parts.status().message(), "5 folds need at least 5 groups; there are 4");
  p.folds = 4;
  parts = Split(Items(12, 3), p);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[3].name, "fold-4");
  for (const Part& part : *parts) EXPECT_EQ(part.items.size(), 3u);
}

TEST(Split, StratifiedKeepsTheLabelShares) {
  auto items = Items(300);
  SplitParams p = Holdout();
  p.stratified = true;
  p.label_order = {"healthy", "sick"};
  auto parts = Split(items, p);
  ASSERT_TRUE(parts.ok());
  int sick = 0;
  for (size_t i : (*parts)[2].items) sick += items[i].label == "sick";
  EXPECT_EQ(sick, 20);  // 100 sick x 0.2
  items[5].label = "";
  EXPECT_EQ(Split(items, p).status().message(), "item \"img-5.png\" has no label in the annotation set");
}

TEST(Split, TemporalPutsTheLatestLast) {
  auto items = Items(10);  // item i acquired at 1000 - i seconds
  SplitParams p;
  p.method = Method::kTemporal;
  p.ratios = {{"train", 0.8}, {"test", 0.2}};
  auto parts = Split(items, p);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[1].items, (std::vector<size_t>{0, 1}));  // the two latest
  items[3].has_acquired = false;
  EXPECT_EQ(Split(items, p).status().message(), "item \"img-3.png\" has no acquired_at");
}

TEST(Split, BadParameters) {
  auto items = Items(10);
  SplitParams p = Holdout();
  p.ratios[0].second = 0.6;
  EXPECT_EQ(Split(items, p).status().message(), "the ratios sum to 0.9, not 1");
  p = Holdout();
  p.ratios[1].first = "Valid";
  EXPECT_NE(Split(items, p).status().message().find("1-63 of [a-z0-9_-]"), std::string::npos);
  p = Holdout();
  p.grouped = true;
  items[2].group = "";
  EXPECT_EQ(Split(items, p).status().message(), "item \"img-2.png\" has no group key");
}

TEST(AcquiredMicros, DatesAndTimes) {
  int64_t a = 0, b = 0, c = 0;
  ASSERT_TRUE(AcquiredMicros("2025-04-01", &a));
  ASSERT_TRUE(AcquiredMicros("2025-04-01T02:00:00+02:00", &b));
  ASSERT_TRUE(AcquiredMicros("2025-04-01T00:00:00.5Z", &c));
  EXPECT_EQ(a, b);
  EXPECT_EQ(c - a, 500'000);
  EXPECT_FALSE(AcquiredMicros("yesterday", &a));
}

}  // namespace
}  // namespace fairtrace::splits
