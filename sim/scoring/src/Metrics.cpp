#include <trocar/scoring/Metrics.h>

#include <algorithm>
#include <cmath>

namespace trocar::scoring {

MotionRecorder::MotionRecorder(const MetricSettings& settings) : mSettings(settings) {}

void MotionRecorder::add(const MotionSample& sample) {
  mSamples.push_back(sample);
}

MotionMetrics MotionRecorder::compute() const {
  MotionMetrics m;
  const double dt = mSettings.dt;
  const size_t n = mSamples.size();
  if (n == 0) return m;
  m.durationS = static_cast<double>(n - 1) * dt;
  // Velocities between samples (n - 1 of them), in double.
  std::vector<glm::dvec3> v;
  for (size_t i = 1; i < n; ++i) v.push_back(glm::dvec3(mSamples[i].tip - mSamples[i - 1].tip) / dt);
  bool moving = false;
  double speedSum = 0.0;
  for (const auto& vel : v) {
    double s = glm::length(vel);
    m.pathLengthM += s * dt;
    speedSum += s;
    m.peakSpeed = std::max(m.peakSpeed, s);
    if (s < mSettings.idleSpeed) m.idleTimeS += dt;
    if (!moving && s > mSettings.movementSpeed) {
      moving = true;
      ++m.movements;
    } else if (moving && s < 0.5 * mSettings.movementSpeed) {
      moving = false;
    }
  }
  if (!v.empty()) m.meanSpeed = speedSum / static_cast<double>(v.size());
  std::vector<glm::dvec3> a;
  for (size_t i = 1; i < v.size(); ++i) a.push_back((v[i] - v[i - 1]) / dt);
  double accSum = 0.0;
  for (const auto& acc : a) {
    double x = glm::length(acc);
    accSum += x;
    m.peakAcceleration = std::max(m.peakAcceleration, x);
  }
  if (!a.empty()) m.meanAcceleration = accSum / static_cast<double>(a.size());
  // Jerk = d(acceleration)/dt; integral of its squared magnitude.
  double jerkIntegral = 0.0;
  for (size_t i = 1; i < a.size(); ++i) {
    glm::dvec3 j = (a[i] - a[i - 1]) / dt;
    jerkIntegral += glm::dot(j, j) * dt;
  }
  if (m.peakSpeed > 0.0 && jerkIntegral > 0.0 && m.durationS > 0.0) {
    double dimensionless = std::pow(m.durationS, 3) / (m.peakSpeed * m.peakSpeed) * jerkIntegral;
    m.logDimensionlessJerk = -std::log(dimensionless);
  }
  double forceSum = 0.0;
  uint32_t contactSamples = 0;
  for (const auto& s : mSamples) {
    if (s.outOfView) m.outOfViewS += dt;
    if (!s.inContact) continue;
    ++contactSamples;
    forceSum += static_cast<double>(s.forceN);
    m.peakForceN = std::max(m.peakForceN, static_cast<double>(s.forceN));
    if (static_cast<double>(s.forceN) > mSettings.forceLimitN) m.timeAboveForceLimitS += dt;
  }
  if (contactSamples > 0) m.meanForceN = forceSum / contactSamples;
  return m;
}

}  // namespace trocar::scoring
