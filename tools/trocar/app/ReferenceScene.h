#pragma once
// The render reference scene (assets/scenes/reference.yaml) brought to a fixed, posed state:
// both instruments held over the field for a fixed number of ticks. Golden-image tests and
// `trocar bench render` draw exactly this, so their numbers and pictures agree.

#include <trocar/core/Result.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <filesystem>
#include <memory>

namespace trocar::app {

struct PosedScene {
  scenario::ScenarioDesc desc;
  std::unique_ptr<session::Session> session;
  physics::WorldSnapshot snapshot;
  Pose camera;  // where a mono camera (or the head, for stereo) looks from
};

// Loads `file`, runs `ticks` ticks with the reference hand poses, and snapshots the result.
// Deterministic: the same build gives the same snapshot every time.
Result<PosedScene> poseScene(const std::filesystem::path& file, uint32_t ticks = 150);

// The reference hand input (grasper left, scissors right, jaws open) for the reference scene.
physics::InputFrame referenceInput(const scenario::ScenarioDesc& desc);

}  // namespace trocar::app
