// `trocar bench replay`: replay speed as a real-time factor (simulated seconds per wall
// second), one job, for each scripted bot under scenarios/*/bots/ (recorded first), and the
// speed-up of two parallel jobs over one on the same set.

#include "Commands.h"

#include <trocar/core/File.h>

#include <trocar/replay/Recorder.h>
#include <trocar/replay/Timeline.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "PhaseTimer.h"

namespace trocar::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Item {
  std::string name;
  scenario::ScenarioDesc scenario;
  replay::RecordingContents recording;
};

Result<Item> recordBot(const std::filesystem::path& scenarioFile, const std::filesystem::path& bot,
                       const std::filesystem::path& out) {
  auto loaded = scenario::loadScenarioFile(scenarioFile);
  if (!loaded.ok()) return loaded.errors.front();
  const scenario::ScenarioDesc& s = *loaded.scenario;
  auto player = replay::loadBot(bot, s);
  if (!player.ok()) return player.error();
  auto run = replay::recordBot(s, *player.value(), out, "bench");
  if (!run.ok()) return run.error();
  auto contents = replay::readRecording(out);
  if (!contents.ok()) return contents.error();
  return Item{s.id + "/" + bot.stem().string(), s, std::move(contents).value()};
}

// Replay's ticks for a PhaseTimer: the session tells it the phases; a tick ends when the last
// listener (this one, added last) has been told of it and starts with the next phase after.
class ProfiledTicks : public physics::TickProfiler, public session::SessionListener {
 public:
  explicit ProfiledTicks(PhaseTimer& timer) : mTimer(timer) {}
  void enter(physics::TickPhase phase) override {
    if (phase == physics::TickPhase::kInput && !mInTick) {
      mTimer.tickStarts();
      mInTick = true;
    }
    mTimer.enter(phase);
  }
  void onTick(const session::TickRecord&) override {
    mTimer.tickEnds();
    mInTick = false;
  }

 private:
  PhaseTimer& mTimer;
  bool mInTick = false;
};

// As `trocar replay --jobs` shares them out: the longest first.
double replayAll(const std::vector<Item>& items, unsigned jobs) {
  std::vector<uint64_t> frames(items.size());
  for (size_t i = 0; i < items.size(); ++i) frames[i] = items[i].recording.frames.size();
  const std::vector<size_t> order = longestFirst(frames);
  auto start = Clock::now();
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < order.size(); k = next++) {
      const Item& item = items[order[k]];
      (void)replay::replayRecording(item.recording, item.scenario, item.name);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Runner addBenchReplayCommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("replay", "Replay speed (real-time factor) and the --jobs 2 speed-up");
  struct Options {
    std::string dir = "scenarios";
    std::vector<std::string> bots;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--dir", o->dir, "Folder with */scenario.yaml and */bots/*.yaml (default: scenarios)");
  cmd->add_option("--bot", o->bots, "Only bots with this file name (without .yaml); repeatable");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o]() -> int {
    auto tmpDir = makeTempDirectory("trocar-bench-replay");
    if (!tmpDir.ok()) {
      std::fprintf(stderr, "%s\n", tmpDir.error().toString().c_str());
      return 4;
    }
    const std::filesystem::path tmp = tmpDir.value();
    std::vector<Item> items;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(o->dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const auto& p = it->path();
      if (p.parent_path().filename() != "bots" || p.extension() != ".yaml") continue;
      if (!o->bots.empty() && std::find(o->bots.begin(), o->bots.end(), p.stem().string()) == o->bots.end())
        continue;
      auto scenarioFile = p.parent_path().parent_path() / "scenario.yaml";
      auto item = recordBot(scenarioFile, p, tmp / (std::to_string(items.size()) + ".trec"));
      if (!item.ok()) {
        std::fprintf(stderr, "%s\n", item.error().toString().c_str());
        std::filesystem::remove_all(tmp, ec);
        return 2;
      }
      items.push_back(std::move(item).value());
    }
    std::filesystem::remove_all(tmp, ec);
    if (items.empty()) {
      std::fprintf(stderr,
                   "error: no */bots/*.yaml under '%s'%s (hint: run from the repository or pass --dir)\n",
                   o->dir.c_str(), o->bots.empty() ? "" : " with the --bot names given");
      return 2;
    }
    nlohmann::json out{{"schema", "trocar.bench.replay/1"}, {"recordings", nlohmann::json::array()}};
    for (const auto& item : items) {
      double wall = replayAll({item}, 1);
      double sim = static_cast<double>(item.recording.frames.size()) / item.scenario.tickHz;
      // Once more, profiled: where the time goes (the clock reads cost under 1%).
      PhaseTimer phases;
      ProfiledTicks ticks(phases);
      replay::ReplayOptions options;
      options.profiler = &ticks;
      options.listener = &ticks;
      (void)replay::replayRecording(item.recording, item.scenario, item.name, options);
      out["recordings"].push_back({{"name", item.name},
                                   {"sim_seconds", sim},
                                   {"wall_seconds", wall},
                                   {"realtime_factor", sim / wall},
                                   {"phase_share", phases.shares()}});
    }
    // The speed-up needs at least two recordings to share out: use each twice.
    std::vector<Item> set = items;
    set.insert(set.end(), items.begin(), items.end());
    double one = replayAll(set, 1), two = replayAll(set, 2);
    out["jobs2_speedup"] = one / two;
    if (o->json) {
      std::cout << out.dump(2) << std::endl;
    } else {
      std::printf("%-36s %10s %10s %10s\n", "recording", "sim_s", "wall_s", "realtime");
      for (const auto& r : out["recordings"]) {
        std::printf("%-36s %10.2f %10.3f %9.1fx\n", r["name"].get<std::string>().c_str(),
                    r["sim_seconds"].get<double>(), r["wall_seconds"].get<double>(),
                    r["realtime_factor"].get<double>());
      }
      std::printf("--jobs 2 speed-up: %.2fx\n", out["jobs2_speedup"].get<double>());
      std::printf("\nwhere a tick's time goes:\n");
      for (const auto& r : out["recordings"]) {
        std::printf("%-36s %s\n", r["name"].get<std::string>().c_str(), sharesText(r["phase_share"]).c_str());
      }
    }
    return 0;
  };
}

}  // namespace trocar::cli
