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

#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>

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

Result<Timeline> loadTimeline(const std::filesystem::path& file);
Result<Timeline> parseTimeline(const std::string& text, const std::string& name);

}  // namespace trocar::replay
