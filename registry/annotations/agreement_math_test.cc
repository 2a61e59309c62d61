// Coefficients against published worked examples (the sources are named at
// each test); tests/annotations/agreement_reference_test.py checks them
// again against statsmodels and scikit-learn through the server.
#include "registry/annotations/agreement_math.h"

#include <gtest/gtest.h>

namespace fairtrace::agreement {
namespace {

constexpr double kNa = std::numeric_limits<double>::quiet_NaN();

Table FromRows(const std::vector<std::vector<double>>& rows) {
  Table t(rows.size(), static_cast<int>(rows[0].size()));
  for (size_t u = 0; u < rows.size(); ++u) {
    for (size_t r = 0; r < rows[u].size(); ++r) t.set(u, static_cast<int>(r), rows[u][r]);
  }
  return t;
}

// Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the
// example with 4 observers, 12 units and missing values (values 1-5,
// stored here as category indices 0-4).
Table KrippendorffExample() {
  const double A[] = {1, 2, 3, 3, 2, 1, 4, 1, 2, kNa, kNa, kNa};
  const double B[] = {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, kNa, 3};
  const double C[] = {kNa, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, kNa};
  const double D[] = {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, kNa};
  Table t(12, 4);
  for (size_t u = 0; u < 12; ++u) {
    const double row[] = {A[u], B[u], C[u], D[u]};
    for (int r = 0; r < 4; ++r) t.set(u, r, std::isnan(row[r]) ? kNa : row[r] - 1);
  }
  return t;
}

TEST(KrippendorffAlpha, PublishedExample) {
  Table t = KrippendorffExample();
  EXPECT_NEAR(KrippendorffAlpha(t, Metric::kNominal, 5).value, 0.743, 5e-4);
  EXPECT_NEAR(KrippendorffAlpha(t, Metric::kOrdinal, 5).value, 0.815, 5e-4);
  EXPECT_NEAR(KrippendorffAlpha(t, Metric::kInterval, 5).value, 0.849, 5e-4);
}

TEST(KrippendorffAlpha, UndefinedWithoutExpectedDisagreement) {
  Table t = FromRows({{1, 1}, {1, 1}, {1, kNa}});
  Estimate e = KrippendorffAlpha(t, Metric::kNominal, 3);
  EXPECT_FALSE(e.defined);
  EXPECT_NE(e.undefined_reason.find("no expected disagreement"), std::string::npos);
  EXPECT_FALSE(KrippendorffAlpha(t, Metric::kInterval, 3).defined);
}

TEST(KrippendorffAlpha, WeightsCountUnitsSeveralTimes) {
  Table t = KrippendorffExample();
  Table doubled(24, 4);
  for (size_t u = 0; u < 24; ++u) {
    for (int r = 0; r < 4; ++r) doubled.set(u, r, t.at(u % 12, r));
  }
  std::vector<uint32_t> twice(12, 2);
  for (Metric m : {Metric::kNominal, Metric::kOrdinal, Metric::kInterval}) {
    EXPECT_NEAR(KrippendorffAlpha(t, m, 5, twice).value, KrippendorffAlpha(doubled, m, 5).value, 1e-12);
  }
}

// Shrout & Fleiss (1979), Table 2: 6 targets, 4 judges; ICC(2,1) = 0.29.
TEST(Icc21, ShroutFleissExample) {
  Table t = FromRows({{9, 2, 5, 8}, {6, 1, 3, 2}, {8, 4, 6, 8}, {7, 1, 2, 6}, {10, 5, 6, 9}, {6, 2, 4, 7}});
  EXPECT_NEAR(Icc21(t).value, 0.2898, 1e-4);
}

TEST(Icc21, LeavesOutIncompleteUnitsAndCountsThem) {
  Table t =
      FromRows({{9, 2, 5, 8}, {6, 1, 3, 2}, {8, 4, 6, 8}, {7, 1, 2, 6}, {10, 5, 6, 9}, {6, 2, 4, 7}, {1, kNa, 3, 4}});
  size_t left_out = 0;
  EXPECT_NEAR(Icc21(t, {}, &left_out).value, 0.2898, 1e-4);
  EXPECT_EQ(left_out, 1u);
  EXPECT_FALSE(Icc21(FromRows({{3, 3}, {3, 3}})).defined);
}

// Fleiss (1971) as worked on Wikipedia ("Fleiss' kappa"): 10 subjects, 14
// raters, 5 categories; κ = 0.210.
TEST(FleissKappa, WorkedExample) {
  const int counts[10][5] = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
                             {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
  Table t(10, 14);
  for (size_t u = 0; u < 10; ++u) {
    int r = 0;
    for (int c = 0; c < 5; ++c) {
      for (int i = 0; i < counts[u][c]; ++i) t.set(u, r++, c);
    }
  }
  std::vector<Estimate> per_category;
  EXPECT_NEAR(FleissKappa(t, 5, {}, nullptr, &per_category).value, 0.210, 5e-4);
  ASSERT_EQ(per_category.size(), 5u);
  for (const Estimate& e : per_category) EXPECT_TRUE(e.defined);
}

TEST(FleissKappa, ItemsNotRatedByAllAreLeftOutAndCounted) {
  Table t = FromRows({{0, 0, 0}, {1, 1, 0}, {1, kNa, 1}, {0, 1, 1}});
  size_t left_out = 0;
  Estimate with_gap = FleissKappa(t, 2, {}, &left_out);
  EXPECT_EQ(left_out, 1u);
  Estimate complete = FleissKappa(FromRows({{0, 0, 0}, {1, 1, 0}, {0, 1, 1}}), 2);
  EXPECT_DOUBLE_EQ(with_gap.value, complete.value);
}

TEST(FleissKappa, UndefinedWhenEveryRatingIsTheSame) {
  Estimate e = FleissKappa(FromRows({{1, 1, 1}, {1, 1, 1}}), 3);
  EXPECT_FALSE(e.defined);
  EXPECT_NE(e.undefined_reason.find("P_e = 1"), std::string::npos);
}

// Wikipedia ("Cohen's kappa"), 50 proposals: 20 yes/yes, 5 yes/no, 10
// no/yes, 15 no/no; κ = 0.4.
TEST(CohenKappa, WorkedExample) {
  Table t(50, 2);
  size_t u = 0;
  auto add = [&](int n, int a, int b) {
    for (int i = 0; i < n; ++i, ++u) {
      t.set(u, 0, a);
      t.set(u, 1, b);
    }
  };
  add(20, 0, 0);
  add(5, 0, 1);
  add(10, 1, 0);
  add(15, 1, 1);
  EXPECT_NEAR(CohenKappa(t, 2, KappaWeighting::kNone).value, 0.4, 1e-12);
  EXPECT_NEAR(PercentAgreement(t).value, 0.7, 1e-12);
  // With two categories quadratic weights are the unweighted κ.
  EXPECT_NEAR(CohenKappa(t, 2, KappaWeighting::kQuadratic).value, 0.4, 1e-12);
}

TEST(CohenKappa, UndefinedWhenExpectedAgreementIsOne) {
  Table t = FromRows({{2, 2}, {2, 2}, {2, 2}});
  Estimate e = CohenKappa(t, 3, KappaWeighting::kNone);
  EXPECT_FALSE(e.defined);
  EXPECT_NE(e.undefined_reason.find("p_e = 1"), std::string::npos);
  EXPECT_NEAR(PercentAgreement(t).value, 1.0, 1e-12);  // the prevalence paradox: 100 % agreement, κ undefined
  EXPECT_FALSE(CohenKappa(FromRows({{1, 2, 3}}), 4, KappaWeighting::kNone).defined);  // three raters
}

TEST(WeightedKappa, FartherDisagreementsCostMore) {
  // Same observed agreement; the second table's disagreements are two
  // categories apart, so its weighted κ is lower.
  Table near = FromRows({{0, 0}, {1, 1}, {2, 2}, {0, 1}, {1, 2}, {2, 1}});
  Table far = FromRows({{0, 0}, {1, 1}, {2, 2}, {0, 2}, {2, 0}, {0, 2}});
  EXPECT_GT(CohenKappa(near, 3, KappaWeighting::kQuadratic).value,
            CohenKappa(far, 3, KappaWeighting::kQuadratic).value);
}

// Bland & Altman (1986), Lancet: peak expiratory flow, Wright vs mini
// Wright meter (first readings), 17 subjects: mean difference -2.1, sd 38.8.
TEST(BlandAltman, PeakFlowExample) {
  const double wright[] = {494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427};
  const double mini[] = {512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451};
  Table t(17, 2);
  for (size_t u = 0; u < 17; ++u) {
    t.set(u, 0, wright[u]);
    t.set(u, 1, mini[u]);
  }
  BlandAltman ba = BlandAltmanOf(t, 0, 1);
  EXPECT_EQ(ba.n, 17u);
  EXPECT_NEAR(ba.bias.value, -2.1, 0.05);
  EXPECT_NEAR(ba.sd.value, 38.8, 0.05);
  EXPECT_NEAR(ba.lower.value, ba.bias.value - 1.96 * ba.sd.value, 1e-9);
  EXPECT_NEAR(ba.upper.value, ba.bias.value + 1.96 * ba.sd.value, 1e-9);
}

TEST(MatchInstances, FindsTheMatchingGreedyMisses) {
  // a0 overlaps b0 best, but taking it leaves a1 without a match; the
  // optimum pairs a0-b1 and a1-b0.
  const double iou[2][2] = {{0.9, 0.6}, {0.7, 0.0}};
  Matching m = MatchInstances(2, 2, [&](int i, int j) { return iou[i][j]; });
  ASSERT_EQ(m.pairs.size(), 2u);
  EXPECT_EQ(m.pairs[0], std::make_pair(0, 1));
  EXPECT_EQ(m.pairs[1], std::make_pair(1, 0));
}

TEST(MatchInstances, PairsUnderTheThresholdAreNotMatched) {
  Matching m = MatchInstances(2, 3, [](int i, int j) { return i == 0 && j == 2 ? 0.5 : 0.49; });
  ASSERT_EQ(m.pairs.size(), 1u);
  EXPECT_EQ(m.pairs[0], std::make_pair(0, 2));
  EXPECT_TRUE(MatchInstances(0, 3, [](int, int) { return 1.0; }).pairs.empty());
}

TEST(SplitMix64, ReferenceSequence) {
  // The first outputs for seed 0 (Vigna's reference splitmix64.c).
  SplitMix64 g(0);
  EXPECT_EQ(g.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(g.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(g.Next(), 0x06c45d188009454fULL);
  SplitMix64 h(42);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(h.Below(7), 7u);
}

TEST(BootstrapInterval, SeededAndBracketsTheEstimate) {
  Table t = KrippendorffExample();
  auto alpha = [&](Weights w) { return KrippendorffAlpha(t, Metric::kNominal, 5, w); };
  Interval a = BootstrapInterval(12, 500, 7, alpha), b = BootstrapInterval(12, 500, 7, alpha);
  ASSERT_TRUE(a.lower.defined);
  EXPECT_EQ(a.lower.value, b.lower.value);
  EXPECT_EQ(a.upper.value, b.upper.value);
  EXPECT_LT(a.lower.value, 0.743);
  EXPECT_GT(a.upper.value, 0.743);
  Interval c = BootstrapInterval(12, 500, 8, alpha);
  EXPECT_NE(a.lower.value, c.lower.value);
}

TEST(BootstrapInterval, UndefinedWhenMostReplicatesAre) {
  Interval i = BootstrapInterval(10, 100, 1, [](Weights) { return Estimate::Undefined("never"); });
  EXPECT_FALSE(i.lower.defined);
  EXPECT_EQ(i.defined_replicates, 0);
}

}  // namespace
}  // namespace fairtrace::agreement
