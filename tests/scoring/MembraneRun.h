#pragma once
// A real, short, scripted session for report tests: the left grasper closes on a pinned
// membrane at 0.2 s and lifts it 2 cm over the next 0.4 s; of the three equal checklist
// steps, grasp is done at 0.2 s and lift at 0.8 s, clip never.
#include <trocar/scoring/Report.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace trocar::scoring {

// Without its scoring section: each test adds the one it needs.
inline const char* kMembraneScenario = R"yaml(trocar: 1
id: report-test
title: Grasp the membrane
tissues:
  - id: membrane
    generate: {cloth: {size: [0.1, 0.1], cells: [16, 16], position: [0, 0.1, 0]}}
    fixed: border
instruments: {left: grasper}
checklist:
  - {id: grasp, title: Grasp the membrane, done_when: "grasped(left, membrane)"}
  - {id: lift, title: Lift it, done_when: "all(grasped(left, membrane), time() > 0.8)", after: grasp}
  - {id: never, title: Clip it, done_when: "clips(membrane) >= 1"}
)yaml";

// Runs `ticks` ticks (500 Hz) of the membrane scenario with `scoring` appended, loaded as
// `file` (which anchors a benchmark file's path). Idle: the tool hovers 5 cm above the
// membrane and never closes.
inline ScoreReport runMembrane(const std::string& scoring, const std::filesystem::path& file, int ticks,
                               bool idle = false, const std::string& recording = {}) {
  auto loaded = scenario::loadScenarioText(std::string(kMembraneScenario) + scoring, file);
  EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  if (!loaded.ok()) return {};
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  Scorer scorer(*loaded.scenario, session->world(), recording);
  session->addListener(&scorer);
  const Quat down = glm::angleAxis(-kPi / 2.0f, Vec3(1, 0, 0));
  for (int t = 0; t < ticks; ++t) {
    physics::InputFrame in;
    const float y = t < 200 ? 0.09f : 0.09f + 0.02f * std::min(1.0f, static_cast<float>(t - 200) / 200.0f);
    const Vec3 tip(-0.02f, idle ? 0.15f : y, 0.0f);
    in.hands[0].pose = {tip + down * Vec3(0.0f, 0.0f, 0.36f), down};
    in.hands[0].trigger = !idle && t >= 100 ? 1.0f : 0.0f;
    session->step(in);
  }
  return scorer.report(session->world());
}

}  // namespace trocar::scoring
