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
//                 smoother (about -6 for a minimum-jerk reach, lower for jerky motion).
//                 Over the whole run (one number for everything, which says little), and per
//                 movement segment: on the tip path averaged over 10 ms blocks (so contact
//                 jitter at the tick does not dominate the third difference), a segment is a
//                 run of blocks faster than idleSpeed that reaches movementSpeed and lasts
//                 at least 0.1 s; its LDLJ uses its own duration and peak speed; the
//                 segments' mean is weighted by their durations
//   force         coupling force magnitude while in contact: mean, peak; time above
//                 forceLimitN (s)
//   tissue force  force on the touched tissue over that tissue's own damage_force_n: peak,
//                 and the 95th percentile over the ticks a tissue is touched
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
  // Force over the touched tissue's damage threshold; negative when no tissue is touched.
  float tissueForceRatio = -1.0f;
};

struct MotionMetrics {
  double durationS = 0.0;
  double pathLengthM = 0.0;
  double meanSpeed = 0.0, peakSpeed = 0.0;
  double meanAcceleration = 0.0, peakAcceleration = 0.0;
  uint32_t movements = 0;
  double idleTimeS = 0.0;
  double logDimensionlessJerk = 0.0;
  uint32_t segments = 0;      // movement segments (see smoothness above)
  double segmentLdlj = 0.0;   // their duration-weighted mean LDLJ; 0 when there are none
  double segmentTimeS = 0.0;  // their total duration
  double meanForceN = 0.0, peakForceN = 0.0;
  double timeAboveForceLimitS = 0.0;
  double outOfViewS = 0.0;
  double tissueContactS = 0.0;        // time touching a tissue
  double peakTissueForceRatio = 0.0;  // 0 when no tissue was touched
  double tissueForceRatioP95 = 0.0;   // 95th percentile while touching a tissue
};

class MotionRecorder {
 public:
  explicit MotionRecorder(const MetricSettings& settings = {});
  void add(const MotionSample& sample);
  MotionMetrics compute() const;

 private:
  void segmentSmoothness(MotionMetrics& m) const;
  MetricSettings mSettings;
  std::vector<MotionSample> mSamples;
};

}  // namespace trocar::scoring
