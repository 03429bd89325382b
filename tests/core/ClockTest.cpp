#include <trocar/core/Clock.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

namespace trocar {
namespace {

TEST(FixedStepClock, TimeIsTickTimesDtWithoutDrift) {
  FixedStepClock clock(500);
  EXPECT_DOUBLE_EQ(clock.dtSeconds(), 0.002);
  // 1,000,000 ticks at 500 Hz is exactly 2000 s: computed, never accumulated.
  EXPECT_EQ(clock.secondsAt(1'000'000), 2000.0);
  EXPECT_EQ(clock.secondsAt(0), 0.0);
}

TEST(FixedStepClock, ConvertsSecondsToTicks) {
  FixedStepClock clock(500);
  EXPECT_EQ(clock.ticksIn(0.1), 50u);  // 0.1 is not representable; still 50
  EXPECT_EQ(clock.tickAtOrAfter(0.1), 50u);
  EXPECT_EQ(clock.tickAtOrAfter(0.1005), 51u);
  EXPECT_EQ(clock.ticksIn(0.1039), 51u);
  EXPECT_EQ(clock.ticksIn(-1.0), 0u);
}

TEST(FixedStepClock, RejectsRatesOutsideTheSupportedRange) {
  test::ThrowingChecks checks;
  EXPECT_THROW(FixedStepClock(1001), test::CheckFailed);
  EXPECT_THROW(FixedStepClock(10), test::CheckFailed);
  EXPECT_NO_THROW(FixedStepClock(1000));
}

TEST(FixedStepAccumulator, KeepsTheRemainderAndNeverStretchesDt) {
  FixedStepClock clock(100);  // 10 ms ticks
  FixedStepAccumulator acc(clock);
  EXPECT_EQ(acc.advance(0.025), 2u);  // 25 ms: two ticks, 5 ms left
  EXPECT_NEAR(acc.alpha(), 0.5, 1e-9);
  EXPECT_EQ(acc.advance(0.006), 1u);  // 11 ms: one tick, 1 ms left
  EXPECT_NEAR(acc.alpha(), 0.1, 1e-9);
  EXPECT_EQ(acc.droppedSeconds(), 0.0);
}

TEST(FixedStepAccumulator, DropsAndReportsLagBeyondTheLimit) {
  FixedStepClock clock(100);
  FixedStepAccumulator acc(clock, 0.05);
  // A 1 s stall: only 50 ms worth (5 ticks) is caught up, 0.95 s is reported dropped.
  EXPECT_EQ(acc.advance(1.0), 5u);
  EXPECT_NEAR(acc.droppedSeconds(), 0.95, 1e-9);
}

}  // namespace
}  // namespace trocar
