#pragma once
// A scenario's benchmark: how good is good, per metric, from expert runs (`trocar calibrate`).
//
// A benchmark file (YAML, format `trocar.benchmark/1`, written beside the scenario and named
// by its `scoring.benchmark`) holds, per metric: which way is better, the experts' n, mean
// and SD after the outlier rule, and the threshold under the chosen policy:
//   expert_mean    the experts' mean (FLS; Gallagher's proficiency-based progression)
//   mean_plus_sd   one SD on the lenient side of the mean (the Hugo robotic benchmarks)
//   best_quartile  the value the best quarter of the whole cohort (experts and novices)
//                  reaches (LAP Mentor)
// A report shows each metric against its threshold (met / not met); with
// `scoring.benchmark_required: true` a run passes only when every metric is met (Mimic
// MScore's rule: no compensation between metrics). Metric names and meanings:
// sim/scoring/REPORT.md.

#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trocar::scenario {

enum class Better : uint8_t { kLower, kHigher };
enum class ThresholdPolicy : uint8_t { kExpertMean, kMeanPlusSd, kBestQuartile };
const char* toString(Better better);           // "lower", "higher"
const char* toString(ThresholdPolicy policy);  // "expert_mean", "mean_plus_sd", "best_quartile"
std::optional<ThresholdPolicy> policyNamed(const std::string& name);

// The metrics a benchmark can hold, in the order reports list them: name, which way is
// better, unit, label, meaning (the values come from a score report: scoring::benchmarkMetrics).
struct MetricInfo {
  const char* name;
  Better better;
  const char* unit;
  const char* label;    // a few words, for a trainee's debrief
  const char* meaning;  // what it measures
};
std::span<const MetricInfo> benchmarkMetricTable();
const MetricInfo* metricInfo(const std::string& name);  // null when unknown

// Values beyond this many robust SDs (1.4826 x the median absolute deviation) from the
// experts' median are left out of the mean and SD, when there are at least kOutlierMinN.
constexpr double kOutlierRobustSds = 3.0;
constexpr uint32_t kOutlierMinN = 4;
const char* outlierRuleText();  // the rule in words, as benchmark files state it

struct MetricBenchmark {
  std::string name;
  Better better = Better::kLower;
  uint32_t n = 0;         // expert values used
  uint32_t excluded = 0;  // expert values left out as outliers
  double mean = 0.0, sd = 0.0;
  double threshold = 0.0;
  // Where novices were given: their n and mean, and whether their mean misses the threshold.
  uint32_t noviceN = 0;
  double noviceMean = 0.0;
  bool separates = false;
  bool met(double value) const { return better == Better::kLower ? value <= threshold : value >= threshold; }
};

struct BenchmarkSource {
  std::string file;    // as given to calibrate
  std::string digest;  // blake2b-256:<hex> of the recording
};

struct Benchmark {
  std::filesystem::path file;  // where it was read from (empty when made in memory)
  std::string scenarioId;
  std::string contentHash;  // hex: the simulation the recordings ran
  std::string createdWith;  // build
  std::string createdAt;    // UTC, ISO 8601
  ThresholdPolicy policy = ThresholdPolicy::kExpertMean;
  std::vector<BenchmarkSource> experts, novices;
  std::vector<MetricBenchmark> metrics;
  const MetricBenchmark* find(const std::string& name) const;
};

// The file's text: a stable layout, one metric per line block, comments saying what it is.
std::string toYaml(const Benchmark& benchmark);

// Reads a benchmark file; errors say file:line:column.
struct BenchmarkLoad {
  std::optional<Benchmark> benchmark;
  std::vector<Error> errors;
};
BenchmarkLoad loadBenchmarkFile(const std::filesystem::path& file);

}  // namespace trocar::scenario
