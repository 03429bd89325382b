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
  segmentSmoothness(m);
  double forceSum = 0.0;
  uint32_t contactSamples = 0;
  std::vector<double> ratios;
  for (const auto& s : mSamples) {
    if (s.tissueForceRatio >= 0.0f) {
      ratios.push_back(static_cast<double>(s.tissueForceRatio));
      m.tissueContactS += dt;
    }
    if (s.outOfView) m.outOfViewS += dt;
    if (!s.inContact) continue;
    ++contactSamples;
    forceSum += static_cast<double>(s.forceN);
    m.peakForceN = std::max(m.peakForceN, static_cast<double>(s.forceN));
    if (static_cast<double>(s.forceN) > mSettings.forceLimitN) m.timeAboveForceLimitS += dt;
  }
  if (contactSamples > 0) m.meanForceN = forceSum / contactSamples;
  if (!ratios.empty()) {
    m.peakTissueForceRatio = *std::max_element(ratios.begin(), ratios.end());
    auto at = ratios.begin() + static_cast<std::ptrdiff_t>((ratios.size() - 1) * 95 / 100);
    std::nth_element(ratios.begin(), at, ratios.end());
    m.tissueForceRatioP95 = *at;
  }
  return m;
}

void MotionRecorder::segmentSmoothness(MotionMetrics& m) const {
  // The path averaged over 10 ms blocks, then velocities between blocks.
  const size_t block = std::max<size_t>(1, static_cast<size_t>(std::lround(0.01 / mSettings.dt)));
  const double step = static_cast<double>(block) * mSettings.dt;
  std::vector<glm::dvec3> path;
  for (size_t start = 0; start + block <= mSamples.size(); start += block) {
    glm::dvec3 sum(0.0);
    for (size_t i = start; i < start + block; ++i) sum += glm::dvec3(mSamples[i].tip);
    path.push_back(sum / static_cast<double>(block));
  }
  std::vector<glm::dvec3> v;
  for (size_t i = 1; i < path.size(); ++i) v.push_back((path[i] - path[i - 1]) / step);
  double weighted = 0.0, total = 0.0;
  size_t i = 0;
  while (i < v.size()) {
    if (glm::length(v[i]) < mSettings.idleSpeed) {
      ++i;
      continue;
    }
    size_t end = i;
    double peak = 0.0;
    while (end < v.size() && glm::length(v[end]) >= mSettings.idleSpeed)
      peak = std::max(peak, glm::length(v[end++]));
    const double duration = static_cast<double>(end - i) * step;
    if (peak >= mSettings.movementSpeed && duration >= 0.1) {
      // Jerk from the third difference of the path inside the segment.
      double jerk = 0.0;
      for (size_t k = i + 2; k < end; ++k) {
        const glm::dvec3 j = (v[k] - 2.0 * v[k - 1] + v[k - 2]) / (step * step);
        jerk += glm::dot(j, j) * step;
      }
      if (jerk > 0.0) {
        const double ldlj = -std::log(std::pow(duration, 3) / (peak * peak) * jerk);
        weighted += ldlj * duration;
        total += duration;
        ++m.segments;
      }
    }
    i = end;
  }
  m.segmentTimeS = total;
  if (total > 0.0) m.segmentLdlj = weighted / total;
}

}  // namespace trocar::scoring
