// `trocar replay FILE...`: headless re-scoring of recordings, bit-exact on the same build.
// Exit code: 0 all passed, 1 any below its pass mark, 2 bad input, 3 divergence, 4 snapshots
// requested but not drawable (no Vulkan device, unwritable folder); the worst wins.

#include "Commands.h"
#include "Paths.h"
#include "Programme.h"
#include "Signing.h"
#include "Snapshots.h"
#include "WatchSession.h"

#include <trocar/replay/Recorder.h>

#include <nlohmann/json.hpp>

#include <sched.h>
#include <csignal>
#include <unistd.h>
#include <atomic>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

namespace trocar::cli {
namespace {

struct Outcome {
  std::string file;
  replay::ReplayResult result;
  size_t snapshots = 0;
  bool snapshotFailed = false;  // no renderer, or a picture could not be written (exit 4)
};

// The scenario a recording names: --scenario, else scenarios/<id>/scenario.yaml (Paths.h).
Result<scenario::ScenarioDesc> scenarioFor(const replay::RecordingContents& rec,
                                           const std::string& explicitPath) {
  std::filesystem::path path =
      explicitPath.empty() ? scenarioById(rec.header.scenarioId) : std::filesystem::path(explicitPath);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    SourceLocation where;
    where.file = path.string();
    return makeError(ErrorCode::kNotFound, "cannot find scenario '" + rec.header.scenarioId + "'", where,
                     "run from the repository, or pass --scenario PATH");
  }
  auto loaded = scenario::loadScenarioFile(path);
  if (!loaded.ok()) return loaded.errors.front();
  return *loaded.scenario;
}

Outcome replayOne(const std::string& file, const std::string& scenarioPath, bool force,
                  const std::string& snapshots, uint32_t width, uint32_t height) {
  Outcome o;
  o.file = file;
  auto contents = replay::readRecording(file);
  if (!contents.ok()) {
    o.result.error = contents.error();
    return o;
  }
  auto scenario = scenarioFor(contents.value(), scenarioPath);
  if (!scenario.ok()) {
    o.result.error = scenario.error();
    return o;
  }
  std::unique_ptr<app::SnapshotWriter> pictures;
  if (!snapshots.empty()) {
    app::SnapshotSettings ss;
    ss.dir = snapshots;
    ss.prefix = std::filesystem::path(file).stem().string();
    ss.width = width;
    ss.height = height;
    auto writer = app::SnapshotWriter::create(scenario.value(), ss);
    if (!writer.ok()) {
      o.result.error = writer.error();
      o.snapshotFailed = true;
      return o;
    }
    pictures = std::move(writer.value());
  }
  replay::ReplayOptions options{force, pictures.get(), nullptr, nullptr};
  if (pictures) options.atEnd = [&pictures](const physics::World& world) { pictures->finish(world); };
  o.result = replay::replayRecording(contents.value(), scenario.value(), file, options);
  if (pictures) {
    if (pictures->error()) {
      o.result.warnings.push_back("snapshots stopped: " + pictures->error()->toString());
      o.snapshotFailed = true;
    }
    o.snapshots = pictures->written();
  }
  if (!contents.value().complete() && !o.result.damage) {
    o.result.warnings.push_back(
        "the recording has no footer: it was interrupted; replayed what was recorded");
  }
  return o;
}

// "report.json" for one recording; "report.<stem>.json" for each of several.
std::filesystem::path outputFor(const std::string& base, const std::string& recording, size_t count) {
  if (base.empty() || count == 1) return base;
  std::filesystem::path p(base);
  return p.parent_path() / (p.stem().string() + "." + std::filesystem::path(recording).stem().string() +
                            p.extension().string());
}

const char* statusName(const replay::ReplayResult& r) {
  switch (r.status) {
    case replay::ReplayStatus::kPassed: return "passed";
    case replay::ReplayStatus::kBelowPassMark: return "below pass mark";
    case replay::ReplayStatus::kBadInput: return "bad input";
    case replay::ReplayStatus::kDivergence: return "DIVERGED";
  }
  return "?";
}

std::atomic<bool> gWatchStop{false};
void onWatchSignal(int) {
  gWatchStop.store(true);
}

// `--watch`: one recording in a window (WatchSession.h). Exit 0, 2 bad input, 4 no display.
int watchOne(const std::string& file, const std::string& scenarioPath, bool force,
             const std::string& snapshots, double at, const std::string& screenshot) {
  auto contents = replay::readRecording(file);
  if (!contents.ok()) {
    std::fprintf(stderr, "%s\n", contents.error().toString().c_str());
    return 2;
  }
  if (contents.value().damage)
    std::fprintf(stderr, "%s (watching what came before)\n", contents.value().damage->toString().c_str());
  auto scenario = scenarioFor(contents.value(), scenarioPath);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.error().toString().c_str());
    return 2;
  }
  const replay::ScenarioMatch match = replay::matchScenario(contents.value().header, scenario.value());
  if (!match.sameSimulation && !force) {
    SourceLocation where;
    where.file = file;
    std::fprintf(stderr, "%s\n",
                 makeError(ErrorCode::kMismatch, match.mismatch, where,
                           "watch it against the original scenario, or pass --force")
                     .toString()
                     .c_str());
    return 2;
  }
  app::WatchSettings ws;
  ws.snapshotDir = snapshots.empty() ? std::filesystem::path(".") : std::filesystem::path(snapshots);
  ws.prefix = std::filesystem::path(file).stem().string();
  ws.startS = at;
  ws.screenshot = screenshot;
  const char* validation = std::getenv("TROCAR_VK_VALIDATION");  // as --snapshots reads it
  ws.validation = validation && std::string(validation) == "1";
  std::signal(SIGINT, onWatchSignal);
  std::signal(SIGTERM, onWatchSignal);
  auto watched = app::watchRecording(scenario.value(), contents.value(), file, ws, gWatchStop);
  if (!watched) {
    std::fprintf(stderr, "%s\n", watched.error().toString().c_str());
    return watched.error().code == ErrorCode::kUnavailable || watched.error().code == ErrorCode::kUnsupported
               ? 4
               : 2;
  }
  return 0;
}

}  // namespace

// The cores this process may run on (its CPU affinity: a container's or taskset's share).
unsigned availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<size_t> longestFirst(const std::vector<uint64_t>& sizes) {
  std::vector<size_t> order(sizes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&sizes](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  return order;
}

Runner addReplayCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("replay", "Re-score recordings headless (bit-exact on the same build)");
  struct Options {
    std::vector<std::string> files;
    std::string scenario, report, html, junit, snapshots, screenshot, snapshotSize = "1280x720";
    unsigned jobs = 0;  // 0: the cores this process may use
    bool json = false, force = false, watch = false, history = false;
    double at = 0.0;
    std::string db, slurm, merge;
    size_t batch = 1;
    bool submit = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("FILE", o->files, "Recordings (.trec)");
  cmd->add_option("--scenario", o->scenario, "Scenario file (default: scenarios/<id>/scenario.yaml)");
  cmd->add_option("--report", o->report, "Write the JSON report here");
  cmd->add_option("--html", o->html, "Write the HTML report here");
  cmd->add_option("--junit", o->junit, "Write the JUnit XML report here");
  cmd->add_option("--snapshots", o->snapshots,
                  "Write a PNG of what the trainee saw at every checkpoint (1 s) into this folder");
  cmd->add_option("--snapshot-size", o->snapshotSize, "Snapshot size in pixels, WxH (default 1280x720)")
      ->check([](const std::string& v) {
        unsigned w = 0, h = 0;
        char x = 0;
        return std::sscanf(v.c_str(), "%u%c%u", &w, &x, &h) == 3 && (x == 'x' || x == 'X') && w >= 16 &&
                       h >= 16 && w <= 8192 && h <= 8192
                   ? std::string()
                   : std::string("give WxH, 16 to 8192 each: 1280x720");
      });
  cmd->add_option("--jobs", o->jobs,
                  "Recordings replayed in parallel (default: the cores available; 1 with --snapshots)")
      ->check(CLI::Range(1u, 64u));
  cmd->add_flag("--json", o->json, "Print a JSON list of results");
  cmd->add_flag("--force", o->force, "Replay even if the scenario changed since recording");
  cmd->add_flag(
      "--watch", o->watch,
      "Watch one recording in a window: play/pause, speed, a timeline of steps and errors (click to "
      "jump), a free camera; S saves the view into --snapshots DIR (default: here)");
  cmd->add_option("--at", o->at, "With --watch: start paused at this many seconds")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--screenshot", o->screenshot, "With --watch: the window's last frame as PNG, on quitting");
  cmd->add_flag("--history", o->history,
                "Store each re-scored attempt in the history ($TROCAR_DB, else <data>/history.sqlite); a "
                "recording already there is updated, not added again");
  cmd->add_option("--db", o->db, "As --history, into this history: sqlite:PATH or PATH, or postgresql://...");
  cmd->add_option(
      "--slurm", o->slurm,
      "Do not replay here: write a Slurm job array (one task per --batch recordings, results into "
      "the history) and a summary job into this folder (tools/slurm/README.md)");
  cmd->add_option("--batch", o->batch, "With --slurm: recordings per array task (default 1)")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  cmd->add_flag("--submit", o->submit, "With --slurm: submit the array and the summary job with sbatch");
  cmd->add_option(
      "--merge", o->merge,
      "The summary job of --slurm: check every recording listed in this folder was re-scored once and "
      "is in the history once (summary.json); exit 3 if not");
  return [o]() -> int {
    if (!o->merge.empty()) return mergeSlurm(o->merge, o->db);
    if (o->files.empty()) {
      std::fprintf(stderr, "error: no recordings given\n  hint: trocar replay FILE.trec...\n");
      return 2;
    }
    if (!o->slurm.empty()) {
      if (o->watch || !o->snapshots.empty()) {
        std::fprintf(
            stderr, "error: --slurm re-scores into the history; it draws no snapshots and watches nothing\n");
        return 2;
      }
      return emitSlurm({o->files, o->slurm, o->db, o->scenario, o->batch, o->force, o->submit});
    }
    unsigned shotWidth = 1280, shotHeight = 720;
    char x = 0;
    std::sscanf(o->snapshotSize.c_str(), "%u%c%u", &shotWidth, &x, &shotHeight);  // checked when parsed
    if (o->watch) {
      if (o->files.size() != 1) {
        std::fprintf(stderr, "error: --watch plays one recording; %zu were given\n", o->files.size());
        return 2;
      }
      return watchOne(o->files[0], o->scenario, o->force, o->snapshots, o->at, o->screenshot);
    }
    std::vector<Outcome> outcomes(o->files.size());
    std::vector<uint64_t> bytes(o->files.size(), 0);
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::error_code sizeError;
      bytes[i] = std::filesystem::file_size(o->files[i], sizeError);  // 0 when unreadable: it fails fast
    }
    const std::vector<size_t> order = longestFirst(bytes);
    std::atomic<size_t> next{0}, done{0};
    const bool progress = ::isatty(STDERR_FILENO) && !o->json;
    auto worker = [&] {
      for (size_t k = next++; k < order.size(); k = next++) {
        const size_t i = order[k];
        outcomes[i] = replayOne(o->files[i], o->scenario, o->force, o->snapshots, shotWidth, shotHeight);
        size_t d = ++done;
        if (progress) std::fprintf(stderr, "\rreplaying %zu/%zu", d, o->files.size());
      }
    };
    unsigned jobs = o->jobs;
    if (jobs == 0) jobs = o->snapshots.empty() ? availableCores() : 1u;
    jobs = std::min<unsigned>(jobs, static_cast<unsigned>(o->files.size()));
    std::vector<std::thread> pool;
    for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (progress) std::fprintf(stderr, "\r%*s\r", 30, "");

    int exitCode = 0;
    auto worse = [](int a, int b) {
      auto rank = [](int c) { return c == 4 ? 5 : c == 3 ? 4 : c == 2 ? 3 : c == 1 ? 2 : 1; };
      return rank(b) > rank(a) ? b : a;
    };
    nlohmann::json out = nlohmann::json::array();
    for (const Outcome& oc : outcomes) {
      const auto& r = oc.result;
      exitCode = worse(exitCode, r.exitCode());
      if (oc.snapshotFailed) exitCode = worse(exitCode, 4);
      for (const auto& w : r.warnings) std::fprintf(stderr, "%s: warning: %s\n", oc.file.c_str(), w.c_str());
      if (r.damage) std::fprintf(stderr, "%s\n", r.damage->toString().c_str());
      if (r.error) std::fprintf(stderr, "%s\n", r.error->toString().c_str());
      if (r.report) {
        scoring::ScoreReport report = *r.report;
        if (auto digest = fileDigest(oc.file); digest.ok()) report.recordingDigest = digest.value();
        auto written = scoring::writeReports(report, outputFor(o->report, oc.file, outcomes.size()),
                                             outputFor(o->junit, oc.file, outcomes.size()),
                                             outputFor(o->html, oc.file, outcomes.size()));
        if (!written.ok()) {
          std::fprintf(stderr, "%s\n", written.error().toString().c_str());
          exitCode = worse(exitCode, 2);
        }
        const bool scored =
            r.status == replay::ReplayStatus::kPassed || r.status == replay::ReplayStatus::kBelowPassMark;
        if ((o->history || !o->db.empty()) && scored && !storeAttempt(o->db, report, oc.file, "replay", ""))
          exitCode = worse(exitCode, 2);
      }
      nlohmann::json j{
          {"file", oc.file}, {"status", statusName(r)}, {"exit_code", r.exitCode()}, {"ticks", r.ticks}};
      if (r.report) {
        j["score"] = r.report->score;
        j["passed"] = r.report->passed;
        j["final_state_hash"] = r.report->finalStateHash;
        j["rescored"] = r.rescored;  // under scoring rules other than the recorded ones
      }
      if (r.error) j["error"] = r.error->toString();
      if (!o->snapshots.empty()) j["snapshots"] = oc.snapshots;
      if (r.damage) j["damage"] = r.damage->toString();
      out.push_back(j);
      if (!o->json) {
        std::printf("%s: %s", oc.file.c_str(), statusName(r));
        if (r.report)
          std::printf(", score %.1f (pass %.1f), %llu ticks%s", r.report->score, r.report->passScore,
                      static_cast<unsigned long long>(r.ticks), r.rescored ? ", re-scored" : "");
        std::printf("\n");
      }
    }
    if (o->json) {
      std::cout << out.dump(2) << std::endl;
    } else if (outcomes.size() > 1) {
      int width = 40;  // as wide as the longest path, so the columns line up
      for (const auto& j : out)
        width = std::max(width, static_cast<int>(j["file"].get<std::string>().size()));
      std::printf("\n%-*s %-16s %8s\n", width, "recording", "result", "score");
      for (const auto& j : out) {
        std::printf("%-*s %-16s %8s\n", width, j["file"].get<std::string>().c_str(),
                    j["status"].get<std::string>().c_str(),
                    j.contains("score")
                        ? std::to_string(static_cast<int>(std::lround(j["score"].get<double>()))).c_str()
                        : "-");
      }
    }
    return exitCode;
  };
}

}  // namespace trocar::cli
