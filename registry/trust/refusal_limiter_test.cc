#include "registry/trust/refusal_limiter.h"

#include <gtest/gtest.h>

namespace fairtrace {
namespace {

class RefusalLimiterTest : public ::testing::Test {
 protected:
  RefusalLimiter::Options Small() {
    RefusalLimiter::Options o;
    o.per_caller_burst = 3;
    o.per_caller_per_second = 1;
    o.total_burst = 5;
    o.total_per_second = 2;
    o.max_callers = 2;
    o.now = [this] { return now_; };
    return o;
  }
  // How many of `n` refusals from `caller` get a record.
  static int Recorded(RefusalLimiter& l, const std::string& caller, int n) {
    int recorded = 0;
    for (int i = 0; i < n; ++i) recorded += l.Admit(caller).record ? 1 : 0;
    return recorded;
  }
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(RefusalLimiterTest, AFloodingCallerGetsItsBurstThenItsRate) {
  RefusalLimiter l(Small());
  EXPECT_EQ(Recorded(l, "ipv4:10.0.0.1", 100), 3);
  now_ += absl::Seconds(2);
  EXPECT_EQ(Recorded(l, "ipv4:10.0.0.1", 100), 2);
}

TEST_F(RefusalLimiterTest, OtherCallersAreStillRecordedUntilTheServerWideBound) {
  RefusalLimiter l(Small());
  EXPECT_EQ(Recorded(l, "a", 100), 3);
  EXPECT_EQ(Recorded(l, "b", 100), 2);  // the server-wide bucket (5) is what is left
  EXPECT_EQ(Recorded(l, "c", 1), 0);
}

TEST_F(RefusalLimiterTest, TheNextRecordedRefusalCarriesTheCountOfTheOnesNotRecorded) {
  RefusalLimiter l(Small());
  EXPECT_EQ(Recorded(l, "a", 10), 3);  // 7 not recorded
  now_ += absl::Seconds(1);
  RefusalLimiter::Decision d = l.Admit("a");
  EXPECT_TRUE(d.record);
  EXPECT_EQ(d.not_recorded, 7);
  EXPECT_EQ(l.Admit("b").not_recorded, 0);  // counted once
}

TEST_F(RefusalLimiterTest, TrackedCallersAreBoundedAndIdleOnesForgotten) {
  RefusalLimiter l(Small());
  EXPECT_EQ(Recorded(l, "a", 3), 3);
  EXPECT_EQ(Recorded(l, "b", 1), 1);
  // Two callers tracked, neither idle: a third shares the server-wide
  // bucket only (1 token left of 5).
  EXPECT_EQ(Recorded(l, "c", 5), 1);
  now_ += absl::Seconds(10);           // everyone idle again, every bucket full
  EXPECT_EQ(Recorded(l, "d", 10), 3);  // tracked again, with its own budget
}

}  // namespace
}  // namespace fairtrace
