// The reference recordings (scenarios/<id>/recordings/<bot>.trec): replaying each gives the
// report its <bot>.expected.json holds (score, pass, steps, errors, final state), experts
// pass and novices fail, and the stability guard never steps in; and recording each bot again
// reproduces it. A change to the simulation that alters results fails here until
// tools/update-scenario-goldens.sh is run.
#include <trocar/test/TestSupport.h>

#include <trocar/core/File.h>
#include <trocar/scenario/Benchmark.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace trocar {
namespace {

namespace fs = std::filesystem;

std::string trocar(const std::string& args) {
  return "'" + test::trocarExecutable().string() + "' " + args;
}

struct Golden {
  fs::path scenario, bot, recording, expected;
  std::string name;
};

std::vector<Golden> goldens() {
  std::vector<Golden> out;
  for (const auto& dir : fs::directory_iterator(fs::path(TROCAR_SOURCE_DIR) / "scenarios")) {
    const fs::path recordings = dir.path() / "recordings";
    if (!fs::is_directory(recordings)) continue;
    for (const auto& f : fs::directory_iterator(recordings)) {
      if (f.path().extension() != ".trec") continue;
      Golden g;
      g.scenario = dir.path() / "scenario.yaml";
      g.recording = f.path();
      g.name = dir.path().filename().string() + "/" + f.path().stem().string();
      g.bot = dir.path() / "bots" / (f.path().stem().string() + ".yaml");
      g.expected = recordings / (f.path().stem().string() + ".expected.json");
      out.push_back(g);
    }
  }
  std::sort(out.begin(), out.end(), [](const Golden& a, const Golden& b) { return a.name < b.name; });
  return out;
}

nlohmann::json readJson(const fs::path& p) {
  auto text = readFileText(p);
  EXPECT_TRUE(text.ok()) << p;
  return text.ok() ? nlohmann::json::parse(text.value()) : nlohmann::json{};
}

// What must not change: the result and how it came about.
void expectSameResult(const nlohmann::json& got, const nlohmann::json& want, const std::string& what) {
  for (const char* key :
       {"score", "passed", "critical_error", "final_state_hash", "formula", "osats", "benchmark"})
    EXPECT_EQ(got[key], want[key]) << what << ": " << key;
  ASSERT_EQ(got["steps"].size(), want["steps"].size()) << what;
  for (size_t i = 0; i < want["steps"].size(); ++i) {
    EXPECT_EQ(got["steps"][i]["id"], want["steps"][i]["id"]) << what;
    EXPECT_EQ(got["steps"][i]["done_at_s"], want["steps"][i]["done_at_s"]) << what << ": step " << i;
  }
  ASSERT_EQ(got["errors"].size(), want["errors"].size()) << what;
  for (size_t i = 0; i < want["errors"].size(); ++i) {
    EXPECT_EQ(got["errors"][i]["id"], want["errors"][i]["id"]) << what;
    EXPECT_EQ(got["errors"][i]["tick"], want["errors"][i]["tick"]) << what;
  }
}

TEST(ScenarioGoldens, EveryReferenceBotHasARecordingAndExpectations) {
  auto all = goldens();
  ASSERT_FALSE(all.empty());
  for (const auto& g : all) {
    EXPECT_TRUE(fs::exists(g.bot)) << g.name << ": the bot that made it";
    EXPECT_TRUE(fs::exists(g.expected)) << g.name;
    const bool expert = g.recording.stem().string().rfind("expert", 0) == 0;
    const bool novice = g.recording.stem().string().rfind("novice", 0) == 0;
    EXPECT_TRUE(expert || novice) << g.name << ": reference bots are experts or novices";
    auto want = readJson(g.expected);
    EXPECT_EQ(want["passed"].get<bool>(), expert) << g.name << ": experts pass, novices fail";
    if (novice) {
      EXPECT_FALSE(want["errors"].empty() && want["formula"]["penalty"].get<double>() == 0.0)
          << g.name << ": a novice fails with errors or penalties to show for it";
    }
  }
}

TEST(ScenarioGoldens, ReplaysScoreAsExpected) {
  test::TempDir tmp;
  for (const auto& g : goldens()) {
    const fs::path report = tmp.path() / (g.recording.stem().string() + ".json");
    auto r = test::runCommand("TROCAR_LOG_LEVEL=warn " +
                              trocar("replay '" + g.recording.string() + "' --scenario '" +
                                     g.scenario.string() + "' --report '" + report.string() + "'"));
    auto want = readJson(g.expected);
    EXPECT_EQ(r.exitCode, want["passed"].get<bool>() ? 0 : 1) << g.name << "\n" << r.out << r.err;
    // The stability guard never has to step in on a reference run (it warns when it does).
    EXPECT_EQ(r.err.find("became unstable"), std::string::npos) << g.name << "\n" << r.err;
    expectSameResult(readJson(report), want, g.name + " (replay)");
  }
}

TEST(ScenarioGoldens, BotsRecordTheSameRunAgain) {
  test::TempDir tmp;
  for (const auto& g : goldens()) {
    const fs::path rec = tmp.path() / (g.recording.stem().string() + ".trec");
    const fs::path report = tmp.path() / (g.recording.stem().string() + ".json");
    auto r = test::runCommand(trocar("record '" + g.scenario.string() + "' --bot '" + g.bot.string() +
                                     "' --out '" + rec.string() + "'"));
    ASSERT_EQ(r.exitCode, 0) << g.name << "\n" << r.err;
    (void)test::runCommand(trocar("replay '" + rec.string() + "' --scenario '" + g.scenario.string() +
                                  "' --report '" + report.string() + "'"));
    expectSameResult(
        readJson(report), readJson(g.expected),
        g.name + " (recorded again; if the change is meant, run tools/update-scenario-goldens.sh)");
  }
}

// The OSATS-style domains mean something: in every reference scenario the expert scores above
// the novice in each of the four (REPORT.md's table), and the expert meets more of the
// benchmark's metrics than the novice.
TEST(ScenarioGoldens, EachDomainSeparatesTheExpertFromTheNovice) {
  std::map<std::string, std::map<std::string, nlohmann::json>> byScenario;
  for (const auto& g : goldens())
    byScenario[g.scenario.parent_path().filename().string()][g.recording.stem().string()] =
        readJson(g.expected);
  ASSERT_EQ(byScenario.size(), 3u);
  for (auto& [scenario, runs] : byScenario) {
    ASSERT_TRUE(runs.count("expert") && runs.count("novice")) << scenario;
    const nlohmann::json& expert = runs["expert"];
    const nlohmann::json& novice = runs["novice"];
    for (const char* d : {"respect_for_tissue", "time_and_motion", "instrument_handling", "flow"})
      EXPECT_GT(expert["osats"][d].get<double>(), novice["osats"][d].get<double>()) << scenario << ": " << d;
    auto met = [](const nlohmann::json& run) {
      int n = 0;
      for (const auto& m : run["benchmark"]["metrics"]) n += m["met"].get<bool>() ? 1 : 0;
      return n;
    };
    ASSERT_TRUE(expert.contains("benchmark")) << scenario << ": the reference scenarios ship a benchmark";
    EXPECT_GT(met(expert), met(novice)) << scenario;
  }
}

// Each shipped benchmark is what its calibration experts give with this build: the scenario's
// calibration bots recorded again and calibrated as tools/update-benchmarks.sh does give the
// same metrics, n, means, SDs and thresholds (the file holds 9 significant digits).
TEST(ScenarioGoldens, BenchmarksAreWhatTheirCalibrationExpertsGive) {
  test::TempDir tmp;
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(TROCAR_SOURCE_DIR) / "scenarios")) {
    if (!fs::is_directory(dir.path() / "calibration")) continue;
    const std::string id = dir.path().filename().string();
    const fs::path scenario = dir.path() / "scenario.yaml";
    std::string experts = "'" + (dir.path() / "recordings" / "expert.trec").string() + "'";
    std::vector<fs::path> bots;
    for (const auto& f : fs::directory_iterator(dir.path() / "calibration")) bots.push_back(f.path());
    std::sort(bots.begin(), bots.end());
    for (const auto& bot : bots) {
      const fs::path rec = tmp.path() / (id + "-" + bot.stem().string() + ".trec");
      auto r = test::runCommand(trocar("record '" + scenario.string() + "' --bot '" + bot.string() +
                                       "' --out '" + rec.string() + "'"));
      ASSERT_EQ(r.exitCode, 0) << bot << "\n" << r.err;
      experts += " '" + rec.string() + "'";
    }
    const fs::path out = tmp.path() / (id + "-benchmark.yaml");
    auto r = test::runCommand(trocar("calibrate '" + scenario.string() + "' --policy mean_plus_sd --out '" +
                                     out.string() + "' --experts " + experts + " --novices '" +
                                     (dir.path() / "recordings" / "novice.trec").string() + "'"));
    ASSERT_EQ(r.exitCode, 0) << id << "\n" << r.err;
    auto made = scenario::loadBenchmarkFile(out);
    auto shipped = scenario::loadBenchmarkFile(dir.path() / "benchmark.yaml");
    ASSERT_TRUE(made.benchmark && shipped.benchmark) << id;
    ASSERT_EQ(made.benchmark->metrics.size(), shipped.benchmark->metrics.size()) << id;
    EXPECT_EQ(made.benchmark->policy, shipped.benchmark->policy) << id;
    for (size_t i = 0; i < made.benchmark->metrics.size(); ++i) {
      const auto& a = made.benchmark->metrics[i];
      const auto& b = shipped.benchmark->metrics[i];
      const std::string what = id + " " + b.name + " (if meant, run tools/update-benchmarks.sh)";
      EXPECT_EQ(a.name, b.name) << what;
      EXPECT_EQ(a.n, b.n) << what;
      EXPECT_EQ(a.excluded, b.excluded) << what;
      for (auto [x, y] :
           {std::pair{a.mean, b.mean}, std::pair{a.sd, b.sd}, std::pair{a.threshold, b.threshold}})
        EXPECT_NEAR(x, y, 1e-8 * std::max(1.0, std::abs(y))) << what;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// The check, as a trainer would run it: every reference recording at once; the
// exit status is 1 because the novices fail, and each line says which.
TEST(ScenarioGoldens, ReplayAllExitsOneForTheNovicesOnly) {
  std::string files;
  for (const auto& g : goldens()) files += " '" + g.recording.string() + "'";
  auto r = test::runCommand("cd '" TROCAR_SOURCE_DIR "' && " + trocar("replay" + files));
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  for (const auto& g : goldens()) {
    const bool expert = g.recording.stem().string().rfind("expert", 0) == 0;
    const std::string line = g.recording.string() + ": " + (expert ? "passed" : "below pass mark");
    EXPECT_NE((r.out + r.err).find(line), std::string::npos) << line << "\n" << r.out << r.err;
  }
}

}  // namespace
}  // namespace trocar
