// `trocar record SCENARIO --timeline T.yaml --out F.trec`: a recording without a headset,
// from a scripted timeline, headless; what tests and the reference bots use.

#include "Commands.h"

#include <trocar/core/Version.h>
#include <trocar/replay/Recorder.h>
#include <trocar/replay/Timeline.h>

#include <chrono>
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
  cmd->add_option("--timeline", o->timeline, "Timeline YAML (keyframes of hand poses and triggers)")
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
    auto timeline = replay::loadTimeline(o->timeline);
    if (!timeline.ok()) {
      std::fprintf(stderr, "%s\n", timeline.error().toString().c_str());
      return 2;
    }
    const scenario::ScenarioDesc& s = *loaded.scenario;
    auto session = std::move(scenario::buildSession(s)).value();
    replay::RecordingHeader h;
    h.buildId = buildId();
    h.scenarioId = s.id;
    h.scenarioHash = s.contentHash;
    h.tickHz = s.tickHz;
    h.traineeId = o->trainee;
    h.startTimeUnix =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto recorder = replay::Recorder::create(o->out, h);
    if (!recorder.ok()) {
      std::fprintf(stderr, "%s\n", recorder.error().toString().c_str());
      return 2;
    }
    scoring::Scorer scorer(s, session->world(), o->out);
    session->addListener(recorder.value().get());
    session->addListener(&scorer);
    const double seconds = o->seconds > 0.0 ? o->seconds : timeline.value().duration();
    const Tick ticks = session->world().clock().ticksIn(seconds);
    for (Tick t = 0; t < ticks; ++t)
      session->step(timeline.value().sample(session->world().clock().secondsAt(t)));
    auto report = scorer.report(session->world());
    char summary[128];
    std::snprintf(summary, sizeof(summary), "score %.2f, %s", report.score,
                  report.passed ? "passed" : "not passed");
    auto finished = recorder.value()->finish({session->tick(), session->world().stateHash(), summary});
    if (!finished.ok()) {
      std::fprintf(stderr, "%s\n", finished.error().toString().c_str());
      return 2;
    }
    std::printf("recorded %s: %llu ticks, %s\n", o->out.c_str(),
                static_cast<unsigned long long>(session->tick()), summary);
    return 0;
  };
}

}  // namespace trocar::cli
