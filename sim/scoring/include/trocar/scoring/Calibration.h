#pragma once
// Benchmarks from expert runs (`trocar calibrate`) and a run's verdict against one.
//
// The metrics (scenario::benchmarkMetricTable) are read from a score report; a metric the
// scenario has no use for (pegs where there are none) is not measured. Calibration takes
// each metric's expert values, leaves out outliers by the stated rule, and sets the
// threshold by the policy (scenario/Benchmark.h).

#include <trocar/scenario/Benchmark.h>
#include <trocar/scoring/Report.h>

#include <optional>
#include <string>
#include <vector>

namespace trocar::scoring {

struct MetricValue {
  std::string name;
  double value = 0.0;
};
// The benchmark metrics this run measures, in the table's order.
std::vector<MetricValue> benchmarkMetrics(const ScoreReport& report);

struct MetricStats {
  uint32_t n = 0, excluded = 0;
  double mean = 0.0, sd = 0.0;  // sd: sample SD (n - 1); 0 for one value
};
// The experts' statistics after the outlier rule (scenario::kOutlierRobustSds).
MetricStats expertStats(const std::vector<double>& values);
// The q-quantile (0..1) by linear interpolation between order statistics.
double quantile(std::vector<double> values, double q);
// The threshold under `policy`; `cohort` (experts and novices) is used by best_quartile.
double thresholdFor(scenario::ThresholdPolicy policy, scenario::Better better, const MetricStats& experts,
                    const std::vector<double>& cohort);

// A benchmark from expert (and optionally novice) reports of one scenario. Sources, build and
// date are left for the caller to fill in.
scenario::Benchmark calibrate(const std::vector<ScoreReport>& experts,
                              const std::vector<ScoreReport>& novices, scenario::ThresholdPolicy policy);

// Each benchmark metric against this run (ScoreReport::benchmark).
std::vector<BenchmarkVerdict> judge(const scenario::Benchmark& benchmark, const ScoreReport& report);

}  // namespace trocar::scoring
