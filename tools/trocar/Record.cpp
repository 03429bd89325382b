// `trocar record SCENARIO --bot B.yaml --out F.trec`: a recording without a headset, from a
// bot (a scripted timeline or a controller, replay/Bot.h), headless; what tests and the
// reference recordings use.

#include "Commands.h"

#include <trocar/replay/Recorder.h>
#include <trocar/replay/Timeline.h>

#include <cstdio>
#include <memory>

namespace trocar::cli {

Runner addRecordCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("record", "Record a scripted timeline headless to a .trec file");
  struct Options {
    std::string scenario, timeline, out, trainee = "scripted";
    double seconds = 0.0;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("SCENARIO", o->scenario, "Scenario file")->required();
  cmd->add_option("--bot,--timeline", o->timeline,
                  "Bot YAML: a timeline (keyframes of hand poses and triggers) or a controller")
      ->required();
  cmd->add_option("--out", o->out, "Recording to write (.trec)")->required();
  cmd->add_option("--trainee", o->trainee, "Pseudonymous trainee id stored in the recording");
  cmd->add_option("--seconds", o->seconds, "Length (default: the timeline's last keyframe)")
      ->check(CLI::Range(0.0, 36000.0));
  return [o]() -> int {
    auto loaded = scenario::loadScenarioFile(o->scenario);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
      return 2;
    }
    auto bot = replay::loadBot(o->timeline, *loaded.scenario);
    if (!bot.ok()) {
      std::fprintf(stderr, "%s\n", bot.error().toString().c_str());
      return 2;
    }
    auto run = replay::recordBot(*loaded.scenario, *bot.value(), o->out, o->trainee, o->seconds);
    if (!run.ok()) {
      std::fprintf(stderr, "%s\n", run.error().toString().c_str());
      return 2;
    }
    char summary[128];
    std::snprintf(summary, sizeof(summary), "score %.2f, %s", run.value().report.score,
                  run.value().report.passed ? "passed" : "not passed");
    std::printf("recorded %s: %llu ticks, %s\n", o->out.c_str(),
                static_cast<unsigned long long>(run.value().ticks), summary);
    return 0;
  };
}

}  // namespace trocar::cli
