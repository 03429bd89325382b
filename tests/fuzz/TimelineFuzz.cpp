// libFuzzer target for the timeline and bot readers (`trocar record --timeline`, `--bot`):
// any bytes give a timeline, a bot or an error with file:line:col, never a crash. The first
// byte picks the reader: a timeline, or a bot for one of the three reference scenarios (so
// each controller's checks against its scenario run too). See ScenarioFuzz.cpp for how to run.
#include "FuzzInput.h"

#include <trocar/core/Log.h>
#include <trocar/replay/Bot.h>
#include <trocar/replay/Timeline.h>
#include <trocar/scenario/Scenario.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

const trocar::scenario::ScenarioDesc& reference(size_t which) {
  static const std::vector<trocar::scenario::ScenarioDesc> scenarios = [] {
    trocar::setLogLevel(trocar::LogLevel::kError);
    std::vector<trocar::scenario::ScenarioDesc> out;
    for (const char* id : {"fls-pattern-cutting", "fls-peg-transfer", "lap-cholecystectomy"}) {
      auto loaded = trocar::scenario::loadScenarioFile(std::string(TROCAR_SOURCE_DIR) + "/scenarios/" + id +
                                                       "/scenario.yaml");
      if (!loaded.scenario) std::abort();  // the fuzz target is built wrong, not a finding
      out.push_back(std::move(*loaded.scenario));
    }
    return out;
  }();
  return scenarios[which % scenarios.size()];
}

}  // namespace

// The reference scenarios load before fuzzing starts, not inside the first input's time limit:
// the cholecystectomy imports its patient's liver and gallbladder on a cold cache (seconds; far
// more under the fuzzer's instrumentation).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  (void)reference(0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Seeds start with the digit of their reader: "0", "1", ...
  const unsigned pick = static_cast<uint8_t>(data[0] - '0') % 4u;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (pick == 0) {
    auto timeline = trocar::replay::parseTimeline(text, "fuzz.yaml");
    trocar::fuzz::say(timeline);
    if (timeline.ok()) (void)timeline.value().sample(timeline.value().duration() * 0.5);
  } else {
    auto bot = trocar::replay::parseBot(text, "fuzz.yaml", reference(pick - 1u));
    trocar::fuzz::say(bot);
    if (bot.ok()) (void)bot.value()->duration();
  }
  return 0;
}
