#include <trocar/scoring/Calibration.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace trocar::scoring {

using scenario::Better;
using scenario::ThresholdPolicy;

std::vector<MetricValue> benchmarkMetrics(const ScoreReport& r) {
  const MotionMetrics& left = r.instruments[0];
  const MotionMetrics& right = r.instruments[1];
  std::vector<MetricValue> out;
  auto add = [&](const char* name, double value) { out.push_back({name, value}); };
  // Time, path and movements say how efficiently the task was done: only a run that did it
  // all measures them (one that stopped early would meet them by doing little).
  const bool complete = std::all_of(r.steps.begin(), r.steps.end(), [](const StepStatus& s) {
    return s.state == StepState::kDone || s.state == StepState::kDoneOutOfOrder;
  });
  if (complete) add("task_time_s", r.taskTimeS);
  add("score", r.score);
  if (complete) {
    add("path_length_m", left.pathLengthM + right.pathLengthM);
    add("movements", static_cast<double>(left.movements + right.movements));
  }
  if (const double t = left.segmentTimeS + right.segmentTimeS; t > 0.0)
    add("smoothness_ldlj",
        (left.segmentLdlj * left.segmentTimeS + right.segmentLdlj * right.segmentTimeS) / t);
  add("hesitation_s", r.hesitationS);
  add("errors", static_cast<double>(r.errors.size()));
  if (r.hasTissues) {
    add("tissue_force_ratio_p95", std::max(left.tissueForceRatioP95, right.tissueForceRatioP95));
    add("damage_events", static_cast<double>(r.damageEvents));
  }
  if (r.objects) add("pegs_dropped", static_cast<double>(r.objects->dropped));
  if (r.formula == scenario::Formula::kFls && r.penaltyKind == scenario::Penalty::kAreaDeviationPercent)
    add("area_deviation_percent", r.penalty);
  if (!r.cutAccuracy.empty()) {
    if (r.cutAccuracy.front().points > 0) add("cut_mean_mm", r.cutAccuracy.front().meanMm);
    add("cut_fraction", r.cutAccuracy.front().fractionCut);
  }
  return out;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double at = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (at - static_cast<double>(below)) * (values[above] - values[below]);
}

MetricStats expertStats(const std::vector<double>& values) {
  MetricStats s;
  std::vector<double> kept = values;
  if (values.size() >= scenario::kOutlierMinN) {
    const double median = quantile(values, 0.5);
    std::vector<double> deviations;
    for (double v : values) deviations.push_back(std::abs(v - median));
    const double robustSd = 1.4826 * quantile(deviations, 0.5);
    if (robustSd > 0.0) {  // with most values equal there is no spread to judge by: keep all
      kept.clear();
      for (double v : values) {
        if (std::abs(v - median) <= scenario::kOutlierRobustSds * robustSd) kept.push_back(v);
      }
    }
  }
  s.n = static_cast<uint32_t>(kept.size());
  s.excluded = static_cast<uint32_t>(values.size() - kept.size());
  if (kept.empty()) return s;
  s.mean = std::accumulate(kept.begin(), kept.end(), 0.0) / static_cast<double>(kept.size());
  if (kept.size() > 1) {
    double squares = 0.0;
    for (double v : kept) squares += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(squares / static_cast<double>(kept.size() - 1));
  }
  return s;
}

double thresholdFor(ThresholdPolicy policy, Better better, const MetricStats& experts,
                    const std::vector<double>& cohort) {
  switch (policy) {
    case ThresholdPolicy::kExpertMean: return experts.mean;
    case ThresholdPolicy::kMeanPlusSd:
      return better == Better::kLower ? experts.mean + experts.sd : experts.mean - experts.sd;
    case ThresholdPolicy::kBestQuartile: return quantile(cohort, better == Better::kLower ? 0.25 : 0.75);
  }
  return experts.mean;
}

scenario::Benchmark calibrate(const std::vector<ScoreReport>& experts,
                              const std::vector<ScoreReport>& novices, ThresholdPolicy policy) {
  scenario::Benchmark b;
  b.policy = policy;
  if (!experts.empty()) {
    b.scenarioId = experts.front().scenarioId;
    b.contentHash = experts.front().contentHash;
  }
  auto valuesOf = [](const std::vector<ScoreReport>& reports, const std::string& name) {
    std::vector<double> values;
    for (const ScoreReport& r : reports) {
      for (const MetricValue& m : benchmarkMetrics(r))
        if (m.name == name) values.push_back(m.value);
    }
    return values;
  };
  for (const scenario::MetricInfo& info : scenario::benchmarkMetricTable()) {
    const std::vector<double> expertValues = valuesOf(experts, info.name);
    if (expertValues.empty()) continue;  // not measured in this scenario
    const std::vector<double> noviceValues = valuesOf(novices, info.name);
    scenario::MetricBenchmark m;
    m.name = info.name;
    m.better = info.better;
    const MetricStats stats = expertStats(expertValues);
    m.n = stats.n;
    m.excluded = stats.excluded;
    m.mean = stats.mean;
    m.sd = stats.sd;
    std::vector<double> cohort = expertValues;
    cohort.insert(cohort.end(), noviceValues.begin(), noviceValues.end());
    m.threshold = thresholdFor(policy, info.better, stats, cohort);
    if (!noviceValues.empty()) {
      m.noviceN = static_cast<uint32_t>(noviceValues.size());
      m.noviceMean = std::accumulate(noviceValues.begin(), noviceValues.end(), 0.0) /
                     static_cast<double>(noviceValues.size());
      m.separates = !m.met(m.noviceMean);
    }
    b.metrics.push_back(std::move(m));
  }
  return b;
}

std::vector<BenchmarkVerdict> judge(const scenario::Benchmark& benchmark, const ScoreReport& report) {
  const std::vector<MetricValue> values = benchmarkMetrics(report);
  std::vector<BenchmarkVerdict> out;
  for (const scenario::MetricBenchmark& m : benchmark.metrics) {
    BenchmarkVerdict v;
    v.name = m.name;
    v.better = m.better;
    v.threshold = m.threshold;
    for (const MetricValue& x : values)
      if (x.name == m.name) v.value = x.value;
    v.met = v.value && m.met(*v.value);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace trocar::scoring
