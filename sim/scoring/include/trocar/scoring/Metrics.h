#pragma once
// Motion and force metrics of one instrument tip, from samples at the fixed tick.
//
//   path length   sum of |p[i] - p[i-1]|                                            (m)
//   speed         |p[i] - p[i-1]| / dt; mean over the run, peak                     (m/s)
//   acceleration  |v[i] - v[i-1]| / dt on velocity vectors; mean, peak              (m/s^2)
//   movements     times the speed rises above movementSpeed after having fallen below
//                 half of it (hysteresis, so noise around the threshold is not counted)
//   idle time     time with speed below idleSpeed                                    (s)
//   smoothness    log dimensionless jerk (Balasubramanian et al. 2012):
//                 LDLJ = -ln( T^3 / v_peak^2 * integral |d^2 v/dt^2|^2 dt ), higher is
//                 smoother (about -6 for a minimum-jerk reach, lower for jerky motion)
//   force         coupling force magnitude while in contact: mean, peak; time above
//                 forceLimitN (s)
//   out of view   time out of the laparoscope's view (s)

#include <trocar/core/Math.h>

#include <cstdint>
#include <vector>

namespace trocar::scoring {

struct MetricSettings {
  double dt = 0.002;            // s, the sim tick
  double movementSpeed = 0.05;  // m/s: above this a movement is under way
  double idleSpeed = 0.005;     // m/s: below this the tool is idle
  double forceLimitN = 3.0;     // N
};

struct MotionSample {
  Vec3 tip{0.0f};       // m
  float forceN = 0.0f;  // coupling force magnitude
  bool inContact = false;
  bool outOfView = false;
};

struct MotionMetrics {
  double durationS = 0.0;
  double pathLengthM = 0.0;
  double meanSpeed = 0.0, peakSpeed = 0.0;
  double meanAcceleration = 0.0, peakAcceleration = 0.0;
  uint32_t movements = 0;
  double idleTimeS = 0.0;
  double logDimensionlessJerk = 0.0;
  double meanForceN = 0.0, peakForceN = 0.0;
  double timeAboveForceLimitS = 0.0;
  double outOfViewS = 0.0;
};

class MotionRecorder {
 public:
  explicit MotionRecorder(const MetricSettings& settings = {});
  void add(const MotionSample& sample);
  MotionMetrics compute() const;

 private:
  MetricSettings mSettings;
  std::vector<MotionSample> mSamples;
};

}  // namespace trocar::scoring
