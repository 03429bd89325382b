#pragma once
// A scripted timeline of hand poses and triggers (YAML), interpolated deterministically into
// InputFrames: how tests and bots make recordings without a headset (`trocar record`).
//
//   keyframes:
//     - {t: 0,   left: {position: [x, y, z], rotation_deg: [x, y, z], trigger: 0}}
//     - {t: 1.5, left: {position: [...], trigger: 1}, right: {position: [...]}}
//
// Between keyframes positions and triggers are linear, rotations spherical; after the last
// keyframe everything holds. A hand absent from a keyframe keeps its previous values; a
// hand absent from every keyframe is untracked. Times must increase. `instrument: N` picks
// the hand's N-th instrument (scenario `exchange:`) from that keyframe on.
//
// Instead of the hand's pose, a hand may say where its tool tip goes (the hand pose follows
// from the instrument's shaft length and the hand's port, as the scenario sets them up):
//     - {t: 2, right: {tip: [0.01, 1.0, -0.47], trigger: 0}}
//     - {t: 3, left: {aim: {region: fundus, offset_mm: [0, 2, 0]}, trigger: 1}}
// `aim` puts the tip on the region's drawn surface: where the tool, coming in as it does (down
// in open surgery, from its port through a laparoscope's), first meets the tissue on its way
// to the middle of the region's nodes as they lie once the scenario has settled for a second
// with no hands (as the trainee first sees it), moved by offset_mm.

#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>
#include <trocar/scenario/Scenario.h>

#include <array>
#include <filesystem>
#include <optional>
#include <vector>

namespace trocar::replay {

struct Timeline {
  struct Key {
    double t = 0.0;
    std::array<std::optional<physics::HandInput>, physics::kHandCount> hands;
  };
  std::vector<Key> keys;  // resolved: every key has both hands filled where the hand is used
  std::array<bool, physics::kHandCount> used{};

  double duration() const { return keys.empty() ? 0.0 : keys.back().t; }
  physics::InputFrame sample(double t) const;
};

// With the scenario the timeline is played in, a hand may give where its tool tip goes
// instead of the hand's pose (`tip`, `aim`); without it, those are errors.
Result<Timeline> loadTimeline(const std::filesystem::path& file,
                              const scenario::ScenarioDesc* scenario = nullptr);
Result<Timeline> parseTimeline(const std::string& text, const std::string& name,
                               const scenario::ScenarioDesc* scenario = nullptr);

}  // namespace trocar::replay
