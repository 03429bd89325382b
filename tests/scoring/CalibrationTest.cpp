// Benchmarks: the statistics with hand-computed values, the file's round trip and its errors,
// and a run scored against one (met / not met, the no-compensation rule, the scoring hash).
#include <trocar/core/File.h>
#include <trocar/scoring/Calibration.h>
#include <trocar/test/TestSupport.h>

#include "MembraneRun.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace trocar::scoring {
namespace {

using scenario::Better;
using scenario::ThresholdPolicy;

// {10, 12, 14, 11, 13, 40}: median 12.5, absolute deviations {2.5, 0.5, 1.5, 1.5, 0.5, 27.5}
// with median 1.5, robust SD 1.4826 x 1.5 = 2.224; 3 of them is 6.67, so 40 (27.5 away) is
// left out and 10 (2.5 away) kept. The rest: mean 12, sample SD sqrt(10 / 4) = 1.5811.
TEST(Calibration, ExpertStatisticsLeaveOutOutliersByTheStatedRule) {
  const MetricStats s = expertStats({10, 12, 14, 11, 13, 40});
  EXPECT_EQ(s.n, 5u);
  EXPECT_EQ(s.excluded, 1u);
  EXPECT_DOUBLE_EQ(s.mean, 12.0);
  EXPECT_NEAR(s.sd, std::sqrt(2.5), 1e-12);
  // Under 4 values nothing is left out: (10 + 40 + 12) / 3.
  const MetricStats few = expertStats({10, 40, 12});
  EXPECT_EQ(few.excluded, 0u);
  EXPECT_NEAR(few.mean, 62.0 / 3.0, 1e-12);
  // Most values equal (median absolute deviation 0): no spread to judge by, all kept.
  const MetricStats flat = expertStats({0, 0, 0, 1});
  EXPECT_EQ(flat.n, 4u);
  EXPECT_DOUBLE_EQ(flat.mean, 0.25);
  // One value: its SD is 0.
  EXPECT_DOUBLE_EQ(expertStats({7}).sd, 0.0);
}

// The same experts with novices {20, 30}: the cohort sorted is 10 11 12 13 14 20 30 40; its
// 25th percentile sits at 0.25 x 7 = 1.75 between 11 and 12 (11.75), its 75th at 5.25
// between 20 and 30 (22.5).
TEST(Calibration, ThresholdsUnderEachPolicy) {
  const MetricStats s = expertStats({10, 12, 14, 11, 13, 40});
  const std::vector<double> cohort{10, 12, 14, 11, 13, 40, 20, 30};
  EXPECT_DOUBLE_EQ(thresholdFor(ThresholdPolicy::kExpertMean, Better::kLower, s, cohort), 12.0);
  EXPECT_NEAR(thresholdFor(ThresholdPolicy::kMeanPlusSd, Better::kLower, s, cohort), 12.0 + std::sqrt(2.5),
              1e-12);
  EXPECT_NEAR(thresholdFor(ThresholdPolicy::kMeanPlusSd, Better::kHigher, s, cohort), 12.0 - std::sqrt(2.5),
              1e-12);
  EXPECT_NEAR(thresholdFor(ThresholdPolicy::kBestQuartile, Better::kLower, s, cohort), 11.75, 1e-12);
  EXPECT_NEAR(thresholdFor(ThresholdPolicy::kBestQuartile, Better::kHigher, s, cohort), 22.5, 1e-12);
}

scenario::Benchmark sample() {
  scenario::Benchmark b;
  b.scenarioId = "report-test";
  b.contentHash = "0123456789abcdef";
  b.createdWith = "test";
  b.createdAt = "2026-12-05T12:00:00Z";
  b.policy = ThresholdPolicy::kMeanPlusSd;
  b.experts = {{"a.trec", "blake2b-256:00"}, {"b \"quoted\".trec", "blake2b-256:11"}};
  scenario::MetricBenchmark time{"task_time_s", Better::kLower, 2, 0, 40.25, 1.5, 41.75, 1, 68.4, true};
  scenario::MetricBenchmark score{"score", Better::kHigher, 2, 0, 100.0, 2.0, 98.0};
  b.metrics = {time, score};
  return b;
}

TEST(Calibration, ABenchmarkFileReadsBackAsWritten) {
  test::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir / "benchmark.yaml", scenario::toYaml(sample())).ok());
  auto loaded = scenario::loadBenchmarkFile(dir / "benchmark.yaml");
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].toString();
  const scenario::Benchmark& b = *loaded.benchmark;
  EXPECT_EQ(b.scenarioId, "report-test");
  EXPECT_EQ(b.policy, ThresholdPolicy::kMeanPlusSd);
  ASSERT_EQ(b.experts.size(), 2u);
  EXPECT_EQ(b.experts[1].file, "b \"quoted\".trec");
  ASSERT_EQ(b.metrics.size(), 2u);
  EXPECT_EQ(b.metrics[0].name, "task_time_s");
  EXPECT_DOUBLE_EQ(b.metrics[0].threshold, 41.75);
  EXPECT_EQ(b.metrics[0].noviceN, 1u);
  EXPECT_TRUE(b.metrics[0].separates);
  EXPECT_EQ(b.metrics[1].better, Better::kHigher);
  EXPECT_TRUE(b.metrics[1].met(98.0));
  EXPECT_FALSE(b.metrics[1].met(97.9));
  EXPECT_EQ(scenario::toYaml(b), scenario::toYaml(sample()));
}

TEST(Calibration, AMalformedBenchmarkSaysWhereAndWhat) {
  test::TempDir dir;
  std::string text = scenario::toYaml(sample());
  auto expectError = [&](const std::string& broken, const std::string& what, uint32_t line) {
    ASSERT_TRUE(writeFileAtomic(dir / "b.yaml", broken).ok());
    auto loaded = scenario::loadBenchmarkFile(dir / "b.yaml");
    ASSERT_FALSE(loaded.errors.empty()) << broken;
    EXPECT_FALSE(loaded.benchmark);
    EXPECT_NE(loaded.errors[0].message.find(what), std::string::npos) << loaded.errors[0].toString();
    EXPECT_EQ(loaded.errors[0].where.file, (dir / "b.yaml").string());
    if (line > 0) {
      EXPECT_EQ(loaded.errors[0].where.line, line) << loaded.errors[0].toString();
    }
    EXPECT_GT(loaded.errors[0].where.line, 0u);
  };
  auto lineOf = [&](const std::string& needle) {
    const size_t at = text.find(needle);
    return static_cast<uint32_t>(
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1);
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  expectError(replaced("  task_time_s:", "  task_tme_s:"), "unknown metric 'task_tme_s'",
              lineOf("  task_time_s:"));
  expectError(replaced("{better: lower", "{better: higher"), "better is lower", lineOf("  task_time_s:"));
  expectError(replaced("trocar.benchmark/1", "trocar.benchmark/9"), "is not trocar.benchmark/1",
              lineOf("format:"));
  expectError(replaced("policy: mean_plus_sd", "policy: mean_plus_one"), "unknown policy", lineOf("policy:"));
  expectError(replaced("threshold: 41.75", "threshold: fast"), "must be a number", lineOf("  task_time_s:"));
  // Where yaml-cpp finds an unclosed list: further down (any line, as long as one is said).
  expectError(replaced("metrics:", "metrics: [\n"), "not valid YAML", 0);
}

// The membrane run (two of three equal steps done by 0.8 s: 66.7 >= 60) for 3 s, with a
// benchmark of two metrics: the score (>= 50: met) and the task time (<= 0.5 s: not met).
ScoreReport runWith(const std::string& scoring, const std::filesystem::path& file, bool idle = false) {
  return runMembrane(scoring, file, 1500, idle);
}

scenario::Benchmark twoMetrics(double taskTimeThreshold) {
  scenario::Benchmark b = sample();
  b.metrics[0].threshold = taskTimeThreshold;
  b.metrics[1] = {"score", Better::kHigher, 2, 0, 60.0, 5.0, 50.0};
  return b;
}

TEST(Calibration, ARunIsJudgedAgainstEachMetricAndMayHaveToMeetThemAll) {
  test::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir / "benchmark.yaml", scenario::toYaml(twoMetrics(0.5))).ok());
  const auto file = dir / "scenario.yaml";
  ScoreReport shown =
      runWith("scoring: {formula: checklist, pass_score: 60, benchmark: benchmark.yaml}\n", file);
  ASSERT_EQ(shown.benchmark.size(), 2u);
  EXPECT_EQ(shown.benchmark[0].name, "task_time_s");
  // The clip step was never done: a task time says nothing of a task not finished (it would
  // meet the threshold by stopping early), so it is not measured, and not met.
  EXPECT_FALSE(shown.benchmark[0].value);
  EXPECT_FALSE(shown.benchmark[0].met);
  EXPECT_TRUE(shown.benchmark[1].met);  // 66.7 >= 50
  EXPECT_FALSE(shown.benchmarkMet());
  EXPECT_TRUE(shown.passed);  // shown, not required: the pass mark decides
  auto j = nlohmann::json::parse(toJson(shown));
  EXPECT_EQ(j["benchmark"]["file"], "benchmark.yaml");
  EXPECT_EQ(j["benchmark"]["policy"], "mean_plus_sd");
  EXPECT_EQ(j["benchmark"]["all_met"], false);
  EXPECT_EQ(j["benchmark"]["metrics"][0]["met"], false);
  EXPECT_TRUE(j["benchmark"]["metrics"][0]["value"].is_null());
  EXPECT_EQ(j["benchmark"]["metrics"][1]["better"], "higher");
  EXPECT_NE(toHtml(shown).find("1 of 2 metrics met"), std::string::npos);

  // Required (no compensation): the same run, above the pass mark, does not pass.
  ScoreReport required = runWith(
      "scoring: {formula: checklist, pass_score: 60, benchmark: benchmark.yaml, benchmark_required: true}\n",
      file);
  EXPECT_NEAR(required.score, 200.0 / 3.0, 1e-9);
  EXPECT_FALSE(required.passed);
  // Against metrics the run meets (no errors, score >= 50), it passes.
  scenario::Benchmark meetable = twoMetrics(0.5);
  meetable.metrics[0] = {"errors", scenario::Better::kLower, 2, 0, 0.0, 0.0, 0.0};
  ASSERT_TRUE(writeFileAtomic(dir / "benchmark.yaml", scenario::toYaml(meetable)).ok());
  ScoreReport met = runWith(
      "scoring: {formula: checklist, pass_score: 60, benchmark: benchmark.yaml, benchmark_required: true}\n",
      file);
  EXPECT_TRUE(met.benchmarkMet());
  EXPECT_TRUE(met.passed);
}

// A recalibrated threshold changes how runs are scored, not what they simulate; provenance
// (dates, builds) changes neither.
TEST(Calibration, TheBenchmarkCountsInTheScoringHashOnly) {
  test::TempDir dir;
  const std::string yaml = std::string(kMembraneScenario) +
                           "scoring: {formula: checklist, pass_score: 60, benchmark: benchmark.yaml}\n";
  auto hashes = [&](const scenario::Benchmark& b) {
    EXPECT_TRUE(writeFileAtomic(dir / "benchmark.yaml", scenario::toYaml(b)).ok());
    auto loaded = scenario::loadScenarioText(yaml, dir / "scenario.yaml");
    EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    return loaded.ok() ? std::pair{loaded.scenario->contentHash, loaded.scenario->scoringHash}
                       : std::pair<Hash64, Hash64>{};
  };
  const auto first = hashes(twoMetrics(0.5));
  const auto recalibrated = hashes(twoMetrics(0.6));
  EXPECT_EQ(recalibrated.first, first.first);
  EXPECT_NE(recalibrated.second, first.second);
  scenario::Benchmark later = twoMetrics(0.5);
  later.createdAt = "2027-01-01T00:00:00Z";
  later.experts.push_back({"c.trec", "blake2b-256:22"});
  EXPECT_EQ(hashes(later), first);
}

TEST(Calibration, AScenarioSaysWhereItsBenchmarkIsMissingOrWrong) {
  test::TempDir dir;
  auto errorsOf = [&](const std::string& scoring) {
    return scenario::loadScenarioText(std::string(kMembraneScenario) + scoring, dir / "scenario.yaml").errors;
  };
  auto missing = errorsOf("scoring: {formula: checklist, pass_score: 60, benchmark: nowhere.yaml}\n");
  ASSERT_FALSE(missing.empty());
  EXPECT_NE(missing[0].message.find("cannot find the benchmark file"), std::string::npos);
  EXPECT_NE(missing[0].hint.find("trocar calibrate"), std::string::npos);
  EXPECT_EQ(missing[0].where.line, 13u);
  scenario::Benchmark other = sample();
  other.scenarioId = "fls-peg-transfer";
  ASSERT_TRUE(writeFileAtomic(dir / "other.yaml", scenario::toYaml(other)).ok());
  auto wrong = errorsOf("scoring: {formula: checklist, pass_score: 60, benchmark: other.yaml}\n");
  ASSERT_FALSE(wrong.empty());
  EXPECT_NE(wrong[0].message.find("is for scenario 'fls-peg-transfer'"), std::string::npos);
  auto needs = errorsOf("scoring: {formula: checklist, pass_score: 60, benchmark_required: true}\n");
  ASSERT_FALSE(needs.empty());
  EXPECT_NE(needs[0].message.find("benchmark_required needs a benchmark"), std::string::npos);
}

// Domains of a run in which nothing was done: the tool hovers above the membrane for 3 s.
// Nothing was achieved, so time and motion and flow score 1; no movement was made, so
// instrument handling has nothing to credit (1); no tissue was touched (respect 5).
TEST(Calibration, ARunThatDoesNothingScoresLowOnTheDomains) {
  test::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir / "benchmark.yaml", scenario::toYaml(twoMetrics(0.5))).ok());
  ScoreReport r = runWith("scoring: {formula: checklist, pass_score: 60, benchmark: benchmark.yaml}\n",
                          dir / "s.yaml", true);
  EXPECT_DOUBLE_EQ(r.score, 0.0);
  EXPECT_DOUBLE_EQ(r.osats.timeAndMotion, 1.0);
  EXPECT_DOUBLE_EQ(r.osats.flow, 1.0);
  EXPECT_DOUBLE_EQ(r.osats.instrumentHandling, 1.0);
  EXPECT_DOUBLE_EQ(r.osats.respectForTissue, 5.0);
  EXPECT_GE(r.hesitations, 1u);  // 3 s with the tool still, task unfinished
}

}  // namespace
}  // namespace trocar::scoring
