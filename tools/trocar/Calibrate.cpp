// `trocar calibrate SCENARIO --experts A.trec... [--novices B.trec...] [--policy P] [--out F]`:
// replays expert (and novice) recordings and writes the scenario's benchmark file
// (scenario/Benchmark.h): per metric n, mean, SD, the outlier rule and the threshold.
// Exit code: 0 written, 2 bad input (a recording that cannot be replayed against the
// scenario, an unknown policy, an unwritable file): nothing is written then.

#include "Commands.h"
#include "Paths.h"
#include "Signing.h"

#include <trocar/core/File.h>
#include <trocar/core/Version.h>
#include <trocar/replay/Recorder.h>
#include <trocar/scoring/Calibration.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

namespace trocar::cli {
namespace {

// Replays each recording against the scenario; the first failure, if any, as an error.
Result<std::vector<scoring::ScoreReport>> reportsOf(const std::vector<std::string>& files,
                                                    const scenario::ScenarioDesc& scenario, bool force,
                                                    unsigned jobs) {
  std::vector<replay::ReplayResult> results(files.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      auto contents = replay::readRecording(files[i]);
      if (!contents.ok()) {
        results[i].error = contents.error();
        continue;
      }
      results[i] =
          replay::replayRecording(contents.value(), scenario, files[i], replay::ReplayOptions{force});
      if (!results[i].error && contents.value().header.scenarioId != scenario.id) {
        results[i].report.reset();
        results[i].error =
            makeError(ErrorCode::kInvalidInput,
                      files[i] + " is a recording of '" + contents.value().header.scenarioId + "'", {},
                      "calibrate each scenario with its own recordings");
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < std::min<unsigned>(jobs, static_cast<unsigned>(files.size())); ++j)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  std::vector<scoring::ScoreReport> reports;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& r = results[i];
    if (r.damage) return *r.damage;
    if (r.error) return *r.error;
    if (!r.report) return makeError(ErrorCode::kInvalidInput, files[i] + ": no report came of replaying it");
    reports.push_back(*r.report);
  }
  return reports;
}

Result<std::vector<scenario::BenchmarkSource>> sourcesOf(const std::vector<std::string>& files) {
  std::vector<scenario::BenchmarkSource> out;
  for (const auto& f : files) {
    auto digest = fileDigest(f);
    if (!digest.ok()) return digest.error();
    out.push_back({std::filesystem::path(f).filename().string(), digest.value()});
  }
  return out;
}

}  // namespace

Runner addCalibrateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Write a scenario's benchmark (per metric mean, SD and threshold) from expert recordings");
  struct Options {
    std::string scenario, policy = "expert_mean", out;
    std::vector<std::string> experts, novices;
    unsigned jobs = 0;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("SCENARIO", o->scenario, "Scenario file, or a reference scenario's id")->required();
  cmd->add_option("--experts", o->experts, "Expert recordings (.trec)")->required();
  cmd->add_option("--novices", o->novices,
                  "Novice recordings: the file says whether each metric separates them");
  cmd->add_option("--policy", o->policy,
                  "Threshold: expert_mean (FLS, proficiency-based progression), mean_plus_sd (one SD "
                  "towards the lenient side), best_quartile (the best 25% of experts and novices together)")
      ->check(CLI::IsMember({"expert_mean", "mean_plus_sd", "best_quartile"}));
  cmd->add_option("--out", o->out, "Benchmark file (default: benchmark.yaml beside the scenario)");
  cmd->add_option("--jobs", o->jobs, "Recordings replayed in parallel (default: the cores available)")
      ->check(CLI::Range(1u, 64u));
  cmd->add_flag("--force", o->force, "Use recordings made under another simulation of the scenario");
  return [o]() -> int {
    std::filesystem::path path = o->scenario;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && path.extension().empty()) path = scenarioById(o->scenario);
    // Without its old benchmark (which may not exist yet): the metrics do not depend on it.
    auto loaded = scenario::loadScenarioFile(path, scenario::LoadOptions{false});
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
      return 2;
    }
    const scenario::ScenarioDesc& desc = *loaded.scenario;
    const unsigned jobs = o->jobs ? o->jobs : availableCores();
    auto experts = reportsOf(o->experts, desc, o->force, jobs);
    auto novices = experts.ok() ? reportsOf(o->novices, desc, o->force, jobs)
                                : Result<std::vector<scoring::ScoreReport>>(experts.error());
    auto expertSources = sourcesOf(o->experts);
    auto noviceSources = sourcesOf(o->novices);
    for (const Error* e :
         {experts.ok() ? nullptr : &experts.error(), novices.ok() ? nullptr : &novices.error(),
          expertSources.ok() ? nullptr : &expertSources.error(),
          noviceSources.ok() ? nullptr : &noviceSources.error()}) {
      if (!e) continue;
      std::fprintf(stderr, "%s\n  nothing was written\n", e->toString().c_str());
      return 2;
    }
    scenario::Benchmark b =
        scoring::calibrate(experts.value(), novices.value(), *scenario::policyNamed(o->policy));
    b.scenarioId = desc.id;
    b.contentHash = hashToHex(desc.contentHash);
    b.createdWith = buildId();
    b.createdAt = scoring::isoTime(static_cast<int64_t>(std::time(nullptr)));
    b.experts = expertSources.value();
    b.novices = noviceSources.value();
    const std::filesystem::path out =
        o->out.empty() ? path.parent_path() / "benchmark.yaml" : std::filesystem::path(o->out);
    if (auto written = writeFileAtomic(out, scenario::toYaml(b)); !written.ok()) {
      std::fprintf(stderr, "%s\n", written.error().toString().c_str());
      return 2;
    }
    std::printf("%s: %s thresholds from %zu expert%s%s\n", out.string().c_str(), o->policy.c_str(),
                o->experts.size(), o->experts.size() == 1 ? "" : "s",
                o->novices.empty() ? "" : (" (novices: " + std::to_string(o->novices.size()) + ")").c_str());
    std::printf("  %-24s %7s %12s %10s %12s %12s\n", "metric", "better", "expert mean", "SD", "threshold",
                o->novices.empty() ? "" : "novice mean");
    for (const auto& m : b.metrics) {
      std::printf("  %-24s %7s %12.4g %10.3g %12.4g", m.name.c_str(), scenario::toString(m.better), m.mean,
                  m.sd, m.threshold);
      if (m.noviceN > 0) std::printf(" %12.4g%s", m.noviceMean, m.separates ? "" : "  (does not separate)");
      std::printf("\n");
    }
    const scenario::LoadResult withBenchmark = scenario::loadScenarioFile(path);
    if (!withBenchmark.ok() || !withBenchmark.scenario->scoring.benchmark ||
        withBenchmark.scenario->scoring.benchmark->file.filename() != out.filename()) {
      std::printf("to score against it, add to the scenario's scoring: benchmark: %s\n",
                  out.filename().string().c_str());
    }
    return 0;
  };
}

}  // namespace trocar::cli
