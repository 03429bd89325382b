#include "ReferenceScene.h"

#include "ScenePresenter.h"

#include <trocar/instruments/Instrument.h>

namespace trocar::app {
namespace {

// A hand holding a tool whose tip should be at `tip`, the shaft coming from `from` (unit).
Pose handFor(const Vec3& tip, const Vec3& from, float shaftLength) {
  const Vec3 hand = tip + glm::normalize(from) * shaftLength;
  return lookAt(hand, tip);  // the tool points along the hand's -Z
}

}  // namespace

physics::InputFrame referenceInput(const scenario::ScenarioDesc& desc) {
  physics::InputFrame in;
  in.head = desc.head;
  const float length = instruments::defaultSpec(instruments::InstrumentKind::kGrasper).shaftLength;
  // Grasper over the gauze's front-left corner, scissors between gauze and liver.
  in.hands[0].pose = handFor({-0.10f, 0.985f, -0.41f}, {-0.55f, 0.60f, 0.60f}, length);
  in.hands[1].pose = handFor({0.015f, 0.96f, -0.415f}, {0.55f, 0.60f, 0.60f}, length);
  in.hands[0].trigger = 0.0f;
  in.hands[1].trigger = 0.0f;
  return in;
}

Result<PosedScene> poseScene(const std::filesystem::path& file, uint32_t ticks) {
  scenario::LoadResult loaded = scenario::loadScenarioFile(file);
  if (!loaded.ok()) {
    return loaded.errors.empty() ? makeError(ErrorCode::kInvalidInput, "cannot load " + file.string())
                                 : loaded.errors.front();
  }
  PosedScene out;
  out.desc = *loaded.scenario;
  auto session = scenario::buildSession(out.desc);
  if (!session) return session.error();
  out.session = std::move(session.value());
  const physics::InputFrame input = referenceInput(out.desc);
  for (uint32_t i = 0; i < ticks; ++i) out.session->step(input);
  out.session->world().snapshot(out.snapshot);
  out.camera = lookAt(out.desc.head.position, {-0.01f, 0.93f, -0.46f});
  return out;
}

}  // namespace trocar::app
