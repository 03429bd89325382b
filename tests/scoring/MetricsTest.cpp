// Metrics on synthetic trajectories with hand-computed values, and the score formulas.
#include <trocar/scoring/Formula.h>
#include <trocar/scoring/Metrics.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace trocar::scoring {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Samples x(t) for t = 0, dt, ..., duration at 500 Hz.
MotionMetrics sampled(double duration, const std::function<Vec3(double)>& x, MetricSettings settings = {}) {
  MotionRecorder r(settings);
  const int n = static_cast<int>(std::lround(duration / settings.dt));
  for (int i = 0; i <= n; ++i) r.add({x(i * settings.dt)});
  return r.compute();
}

// 0.1 m/s along X for 1 s: 0.1 m, one movement, no idling, no acceleration. Positions are
// floats near 0.1 m (~1e-8 m resolution), so speeds carry ~1e-5 m/s of rounding.
TEST(Metrics, StraightLineAtConstantSpeed) {
  auto m = sampled(1.0, [](double t) { return Vec3(static_cast<float>(0.1 * t), 1.0f, 0.0f); });
  EXPECT_NEAR(m.durationS, 1.0, 1e-12);
  EXPECT_NEAR(m.pathLengthM, 0.1, 1e-5);
  EXPECT_NEAR(m.meanSpeed, 0.1, 1e-4);
  EXPECT_NEAR(m.peakSpeed, 0.1, 1e-3);
  EXPECT_EQ(m.movements, 1u);
  EXPECT_EQ(m.idleTimeS, 0.0);
  EXPECT_LT(m.meanAcceleration, 0.05);
}

// One turn of a 5 cm circle per second: path 2 pi r = 0.31416 m (500 chords: 0.314157),
// speed w r = 0.31416 m/s, centripetal acceleration w^2 r = 1.9739 m/s^2.
TEST(Metrics, Circle) {
  const double r = 0.05, w = 2.0 * kPi;
  auto m = sampled(1.0, [&](double t) {
    return Vec3(static_cast<float>(r * std::cos(w * t)), 0.0f, static_cast<float>(r * std::sin(w * t)));
  });
  EXPECT_NEAR(m.pathLengthM, 2.0 * kPi * r, 1e-4);
  EXPECT_NEAR(m.meanSpeed, w * r, 1e-3);
  EXPECT_NEAR(m.meanAcceleration, w * w * r, 0.02);
  EXPECT_EQ(m.movements, 1u);
}

// Move 0.5 s at 0.1 m/s, stop 0.5 s, move 0.5 s, stop 0.5 s: two movements, 1 s idle,
// 0.1 m of path.
TEST(Metrics, StopAndGo) {
  auto x = [](double t) {
    double moved = std::min(t, 0.5) + std::clamp(t - 1.0, 0.0, 0.5);
    return Vec3(static_cast<float>(0.1 * moved), 0.0f, 0.0f);
  };
  auto m = sampled(2.0, x);
  EXPECT_EQ(m.movements, 2u);
  EXPECT_NEAR(m.idleTimeS, 1.0, 0.0041);  // within two ticks of the switch-overs
  EXPECT_NEAR(m.pathLengthM, 0.1, 1e-5);
}

// A minimum-jerk reach (x = D(10s^3 - 15s^4 + 6s^5)) has dimensionless jerk 720 / 1.875^2
// = 204.8, so LDLJ = -ln 204.8 = -5.322; a stop-and-go path is far jerkier (lower).
TEST(Metrics, SmoothnessOfAMinimumJerkReach) {
  auto reach = [](double t) {
    double s = t / 1.0;
    return Vec3(static_cast<float>(0.1 * (10 * std::pow(s, 3) - 15 * std::pow(s, 4) + 6 * std::pow(s, 5))),
                0.0f, 0.0f);
  };
  auto smooth = sampled(1.0, reach);
  // Tolerance 0.1: jerk is a third difference of float positions (about 1e-8 m resolution
  // at 0.1 m), which adds ~6% to the jerk integral at 500 Hz, i.e. -ln(1.06) = -0.06.
  EXPECT_NEAR(smooth.logDimensionlessJerk, -std::log(720.0 / (1.875 * 1.875)), 0.1);
  auto jerky = sampled(
      1.0, [](double t) { return Vec3(static_cast<float>(0.1 * std::floor(t * 10) / 10), 0.0f, 0.0f); });
  EXPECT_LT(jerky.logDimensionlessJerk, smooth.logDimensionlessJerk - 5.0);
}

// The issue with one LDLJ over a whole session: a pause between two smooth reaches makes the
// session's jerk integral and duration unrelated to how smoothly each reach was made. Per
// movement segment, two minimum-jerk reaches with a second's pause between score as one
// reach does; the segment boundary (speed below 5 mm/s) trims each reach's slow ends, which
// removes jerk, so the value lies between the whole reach's -5.32 and -4.5. A stepwise path
// with a 2 mm, 10 Hz tremor across it is far jerkier per segment.
TEST(Metrics, SmoothnessPerMovementSegmentIgnoresPausesBetweenMovements) {
  auto minimumJerk = [](double s) { return 10 * std::pow(s, 3) - 15 * std::pow(s, 4) + 6 * std::pow(s, 5); };
  auto one =
      sampled(1.0, [&](double t) { return Vec3(static_cast<float>(0.1 * minimumJerk(t)), 0.0f, 0.0f); });
  auto twoWithPause = sampled(3.0, [&](double t) {
    const double x = t < 1.0 ? minimumJerk(t) : t < 2.0 ? 1.0 : 1.0 - minimumJerk(t - 2.0);
    return Vec3(static_cast<float>(0.1 * x), 0.0f, 0.0f);
  });
  EXPECT_EQ(one.segments, 1u);
  EXPECT_EQ(twoWithPause.segments, 2u);
  EXPECT_GT(one.segmentLdlj, -std::log(720.0 / (1.875 * 1.875)));
  EXPECT_LT(one.segmentLdlj, -4.5);
  EXPECT_NEAR(twoWithPause.segmentLdlj, one.segmentLdlj, 0.05);
  EXPECT_NEAR(twoWithPause.segmentTimeS, 2.0 * one.segmentTimeS, 0.011);
  // One LDLJ over the session says the pause made the motion jerkier.
  EXPECT_LT(twoWithPause.logDimensionlessJerk, one.logDimensionlessJerk - 1.0);
  auto tremor = sampled(1.0, [&](double t) {
    return Vec3(static_cast<float>(0.1 * minimumJerk(t)),
                static_cast<float>(0.002 * std::sin(2 * kPi * 10 * t)), 0.0f);
  });
  EXPECT_GE(tremor.segments, 1u);
  EXPECT_LT(tremor.segmentLdlj, one.segmentLdlj - 2.0);
}

// Force on a touched tissue over its damage threshold: the peak, and the 95th percentile
// over the ticks a tissue is touched (samples touching nothing, ratio < 0, do not count).
TEST(Metrics, TissueForceAgainstItsOwnThreshold) {
  MotionRecorder r;
  for (int i = 1; i <= 100; ++i) r.add({Vec3(0.0f), 1.0f, true, false, static_cast<float>(i) / 100.0f});
  for (int i = 0; i < 50; ++i) r.add({Vec3(0.0f), 9.0f, true, false, -1.0f});
  auto m = r.compute();
  EXPECT_NEAR(m.tissueContactS, 100 * 0.002, 1e-12);
  EXPECT_FLOAT_EQ(static_cast<float>(m.peakTissueForceRatio), 1.0f);
  // 100 values 0.01..1.00: the one at index (100 - 1) * 95 / 100 = 94 of the sorted list is 0.95.
  EXPECT_FLOAT_EQ(static_cast<float>(m.tissueForceRatioP95), 0.95f);
}

TEST(Metrics, ForceAndViewTimes) {
  MetricSettings s;
  s.forceLimitN = 3.0;
  MotionRecorder r(s);
  // 5 samples in contact at 1, 2, 3, 4, 5 N; 3 samples out of view.
  for (int i = 1; i <= 5; ++i) r.add({Vec3(0.0f), static_cast<float>(i), true, false});
  for (int i = 0; i < 3; ++i) r.add({Vec3(0.0f), 9.0f, false, true});
  auto m = r.compute();
  EXPECT_DOUBLE_EQ(m.meanForceN, 3.0);
  EXPECT_DOUBLE_EQ(m.peakForceN, 5.0);
  EXPECT_NEAR(m.timeAboveForceLimitS, 2 * 0.002, 1e-12);  // 4 N and 5 N
  EXPECT_NEAR(m.outOfViewS, 3 * 0.002, 1e-12);
}

// FLS pattern cutting: finished at 98 s with 0% deviation scores 300 - 98 = 202; a 10%
// area deviation subtracts 10; over the cutoff scores 0; normalised to a 250 reference
// 202 becomes 80.8.
TEST(Formula, FlsScores) {
  EXPECT_DOUBLE_EQ(flsScore({98.0, 300.0, 0.0, std::nullopt}), 202.0);
  EXPECT_DOUBLE_EQ(flsScore({98.0, 300.0, 10.0, std::nullopt}), 192.0);
  EXPECT_DOUBLE_EQ(flsScore({301.0, 300.0, 0.0, std::nullopt}), 0.0);
  EXPECT_DOUBLE_EQ(flsScore({290.0, 300.0, 20.0, std::nullopt}), 0.0);
  EXPECT_NEAR(flsScore({98.0, 300.0, 0.0, 250.0}), 80.8, 1e-12);
}

TEST(Formula, ChecklistScores) {
  EXPECT_DOUBLE_EQ(checklistScore({3.0, 4.0, 5.0}), 70.0);
  EXPECT_DOUBLE_EQ(checklistScore({1.0, 4.0, 50.0}), 0.0);
  EXPECT_DOUBLE_EQ(checklistScore({0.0, 0.0, 0.0}), 0.0);
}

}  // namespace
}  // namespace trocar::scoring
