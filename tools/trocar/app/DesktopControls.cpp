#include "DesktopControls.h"

#include "DesktopRig.h"
#include "ScenePresenter.h"

#include <trocar/instruments/Instrument.h>
#include <trocar/physics/Generators.h>

#include <algorithm>
#include <cmath>

namespace trocar::app {

OrbitCamera OrbitCamera::lookingFrom(const Vec3& center, const Vec3& eye) {
  OrbitCamera c;
  c.center = center;
  const Vec3 offset = eye - center;
  const float d = glm::length(offset);
  if (d > 0.05f) {
    c.distance = std::clamp(d, 0.15f, 1.5f);
    c.pitch = std::clamp(std::asin(offset.y / d), 0.1f, 1.45f);
    c.yaw = std::atan2(offset.x, offset.z);
  }
  return c;
}

Pose OrbitCamera::pose() const {
  const Vec3 offset(distance * std::cos(pitch) * std::sin(yaw), distance * std::sin(pitch),
                    distance * std::cos(pitch) * std::cos(yaw));
  return lookAt(center + offset, center);
}

DesktopControls::DesktopControls(const scenario::ScenarioDesc& scenario) : mScenario(&scenario) {
  mCenter = fieldCenter(scenario);
  for (const scenario::TissueDesc& t : scenario.tissues) {
    RestShape shape;
    const physics::TissueSettings& ts = t.settings;
    if (ts.kind == physics::TissueKind::kCloth) {  // a sheet: its plane, a millimetre thick
      const Pose& pose = ts.cloth.pose;
      for (float sx : {-0.5f, 0.5f}) {
        for (float sz : {-0.5f, 0.5f})
          shape.vertices.push_back(
              pose.transformPoint(Vec3(sx * ts.cloth.size.x, 0.0f, sz * ts.cloth.size.y)));
      }
    } else {  // what it draws at rest
      physics::SurfaceMesh drawn = physics::restSurface(ts);
      shape.vertices = std::move(drawn.vertices);
      shape.triangles = std::move(drawn.triangles);
    }
    if (shape.vertices.empty()) continue;
    shape.lo = Vec3(1e30f);
    shape.hi = Vec3(-1e30f);
    for (const Vec3& p : shape.vertices) {
      shape.lo = glm::min(shape.lo, p);
      shape.hi = glm::max(shape.hi, p);
    }
    shape.lo -= Vec3(0.001f);
    shape.hi += Vec3(0.001f);
    mTissueShapes.push_back(std::move(shape));
  }
  // Open views start where the scenario puts the trainee's head, looking at the field.
  mOrbit = OrbitCamera::lookingFrom(mCenter, scenario.head.position);
  mLaparoscopic = scenario.view == scenario::ViewKind::kLaparoscopic && scenario.camera.has_value();
  if (mLaparoscopic) {
    // The shaft is the view tilted back by the lens angle about the picture's horizontal.
    mScope0 = scenario.camera->pose;
    const float lens = scenario.camera->lensAngleRad;
    mShaft0 = glm::normalize(mScope0.transformVector({0.0f, std::sin(lens), -std::cos(lens)}));
    mScopePort = mScope0.position - mShaft0 * kScopePortDistance;
  }
  reset();
}

void DesktopControls::resetScope() {
  mScopeYaw = mScopePitch = mScopeAdvance = mScopeRoll = 0.0f;
}

std::optional<Pose> DesktopControls::scope() const {
  if (!mLaparoscopic) return std::nullopt;
  // Pivot about the port: yaw about the vertical, pitch about the horizontal across the shaft.
  const Vec3 up(0.0f, 1.0f, 0.0f);
  Vec3 across = glm::cross(mShaft0, up);
  across = glm::length(across) > 1e-4f ? glm::normalize(across) : Vec3(1.0f, 0.0f, 0.0f);
  const Quat pivot = glm::angleAxis(mScopeYaw, up) * glm::angleAxis(mScopePitch, across);
  const Vec3 shaft = glm::normalize(pivot * mShaft0);
  Pose p;
  p.position = mScopePort + shaft * (kScopePortDistance + mScopeAdvance);
  p.orientation = glm::normalize(glm::angleAxis(mScopeRoll, shaft) * pivot * mScope0.orientation);
  return p;
}

namespace {
constexpr float kStartClearance = 0.015f;  // m: an open jaw's length, so they rest on nothing
}  // namespace

void DesktopControls::reset() {
  mTips[0] = mCenter + Vec3(-0.03f, 0.02f, 0.0f);
  mTips[1] = mCenter + Vec3(0.03f, 0.02f, 0.0f);
  // Never inside what can be touched: a tip that would start inside a tissue at rest (a head
  // 20 cm across round the field's middle, a liver round the gallbladder), or closer to its
  // surface than the jaws are long, starts 2 cm above the top of that surface straight over
  // the tip.
  for (Vec3& tip : mTips) {
    for (int tries = 0; tries < 8; ++tries) {
      bool moved = false;
      for (const RestShape& s : mTissueShapes) {
        if (!glm::all(glm::greaterThanEqual(tip, s.lo)) || !glm::all(glm::lessThanEqual(tip, s.hi))) continue;
        if (s.triangles.empty()) {  // a sheet's box
          tip.y = s.hi.y + 0.02f;
          moved = true;
          continue;
        }
        // The vertical through the tip: where it crosses the surface, above, nearest and in all.
        int above = 0;
        float top = -1e30f, nearest = 1e30f;
        for (const auto& tri : s.triangles) {
          const Vec3 &a = s.vertices[tri[0]], &b = s.vertices[tri[1]], &c = s.vertices[tri[2]];
          const float d = (b.x - a.x) * (c.z - a.z) - (c.x - a.x) * (b.z - a.z);
          if (std::abs(d) < 1e-12f) continue;
          const float u = ((tip.x - a.x) * (c.z - a.z) - (c.x - a.x) * (tip.z - a.z)) / d;
          const float v = ((b.x - a.x) * (tip.z - a.z) - (tip.x - a.x) * (b.z - a.z)) / d;
          if (u < 0.0f || v < 0.0f || u + v > 1.0f) continue;
          const float y = a.y + u * (b.y - a.y) + v * (c.y - a.y);
          top = std::max(top, y);
          nearest = std::min(nearest, std::abs(y - tip.y));
          above += y > tip.y ? 1 : 0;
        }
        if (above % 2 == 1 || nearest < kStartClearance) {  // inside, or jaws that would rest on it
          tip.y = top + 0.02f;
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  mLocked = {};
  mButton = {};
  mRoll = {};
  mTrigger = {};
  mActive = 1;
}

Pose DesktopControls::camera() const {
  if (const std::optional<Pose> s = scope()) return *s;
  return mOrbit.pose();
}

Vec3 DesktopControls::shaftDirection(int hand) const {
  const Vec3& tip = mTips[static_cast<size_t>(hand)];
  const Pose grip = handForTip(*mScenario, hand, tip, camera().position);
  const Vec3 in = tip - grip.position;  // from the hand down the shaft to the tip
  const float length = glm::length(in);
  return length > 0.0f ? in / length : Vec3(0.0f, 0.0f, -1.0f);
}

bool DesktopControls::jawsClosed(int hand) const {
  const size_t h = static_cast<size_t>(hand);
  return mLocked[h] || mButton[h];
}

void DesktopControls::apply(const DesktopEvents& e) {
  if (e.reset) reset();
  if (e.help) mHelp = !mHelp;
  // Held keys act at a rate per second: the steps below are a 60 Hz frame's, scaled to this one's.
  const float k = std::clamp(static_cast<float>(e.frameS * 60.0), 0.0f, 6.0f);
  const size_t a = static_cast<size_t>(mActive);
  if (e.switchHand) {
    // Switching while squeezing keeps that grip: the jaws stay locked closed.
    if (e.leftButton || mButton[a]) mLocked[a] = true;
    mButton[a] = false;
    mSqueeze[a] = false;
    mExchange[a] = false;
    mActive = 1 - mActive;
  }
  const size_t h = static_cast<size_t>(mActive);
  if (e.ratchet) {
    mLocked[h] = !mLocked[h];
    // Unlocking while the button is not held opens the jaws; held, they stay closed until let go.
  }
  mButton[h] = e.leftButton;
  mSqueeze[h] = e.rightButton;
  for (int hand = 0; hand < 2; ++hand) {
    float& t = mTrigger[static_cast<size_t>(hand)];
    const float want = jawsClosed(hand) ? 1.0f : 0.0f;
    t = want > t ? std::min(want, t + kTriggerRate * k) : std::max(want, t - kTriggerRate * k);
  }
  mExchange[h] = e.exchange;
  if (e.rollLeft) mRoll[h] -= kRollStep * k;
  if (e.rollRight) mRoll[h] += kRollStep * k;

  if (mLaparoscopic) {  // the keys move the laparoscope
    if (e.orbitLeft) mScopeYaw = std::min(kScopeMaxPivot, mScopeYaw + kScopePivotStep * k);
    if (e.orbitRight) mScopeYaw = std::max(-kScopeMaxPivot, mScopeYaw - kScopePivotStep * k);
    if (e.orbitUp) mScopePitch = std::min(kScopeMaxPivot, mScopePitch + kScopePivotStep * k);
    if (e.orbitDown) mScopePitch = std::max(-kScopeMaxPivot, mScopePitch - kScopePivotStep * k);
    if (e.zoomIn) mScopeAdvance = std::min(kScopeMaxAdvance, mScopeAdvance + kScopeAdvanceStep * k);
    if (e.zoomOut) mScopeAdvance = std::max(-kScopeMaxAdvance, mScopeAdvance - kScopeAdvanceStep * k);
    if (e.scopeRollLeft) mScopeRoll -= kScopeRollStep * k;
    if (e.scopeRollRight) mScopeRoll += kScopeRollStep * k;
  }
  const float orbit = mLaparoscopic ? 0.0f : 0.02f * k;
  if (e.orbitLeft) mOrbit.yaw -= orbit;
  if (e.orbitRight) mOrbit.yaw += orbit;
  if (e.orbitUp) mOrbit.pitch = std::min(1.45f, mOrbit.pitch + orbit);
  if (e.orbitDown) mOrbit.pitch = std::max(0.1f, mOrbit.pitch - orbit);
  if (e.zoomIn && !mLaparoscopic) mOrbit.distance = std::max(0.15f, mOrbit.distance * std::pow(0.98f, k));
  if (e.zoomOut && !mLaparoscopic) mOrbit.distance = std::min(1.5f, mOrbit.distance / std::pow(0.98f, k));

  const Pose cam = camera();
  const Vec3 right = cam.transformVector({1.0f, 0.0f, 0.0f});
  const Vec3 up = cam.transformVector({0.0f, 1.0f, 0.0f});
  Vec3& tip = mTips[h];
  tip += (right * e.mouseDelta.x - up * e.mouseDelta.y) / kPixelsPerMetre;
  if (e.wheel != 0.0) {
    const float step = e.shift ? kFineWheelStep : kWheelStep;
    tip += shaftDirection(mActive) * (static_cast<float>(e.wheel) * step);
  }
}

std::array<xr::HandState, 2> DesktopControls::hands() const {
  std::array<xr::HandState, 2> out{};
  const Vec3 viewer = camera().position;
  for (int hand = 0; hand < 2; ++hand) {
    const size_t h = static_cast<size_t>(hand);
    xr::HandState& s = out[h];
    s.tracked = true;
    s.grip = handForTip(*mScenario, hand, mTips[h], viewer);
    s.grip.orientation = s.grip.orientation * glm::angleAxis(mRoll[h], Vec3(0.0f, 0.0f, -1.0f));
    s.aim = s.grip;
    s.trigger = mTrigger[h];
    s.squeeze = mSqueeze[h] ? 1.0f : 0.0f;
    s.secondary = mExchange[h];
  }
  return out;
}

std::vector<std::string> DesktopControls::helpLines() {
  return {"Mouse: move the active tool's tip across the view",
          "Wheel: along the shaft (in through the port); Shift + wheel: 1 mm steps",
          "Left button: close the jaws while held",
          "Space: lock the jaws closed (ratchet) / release",
          "Tab: switch hands (the other keeps its place and grip)",
          "Z / X: roll the instrument   Right button: squeeze   E: exchange it",
          "R: tools back to the start",
          "Arrows: orbit (laparoscope: pivot it)   + / -: closer / further (advance / withdraw)",
          "[ / ]: roll the laparoscope (a 30-degree scope looks around)",
          "P: pause   H: this help   Esc or N: end the attempt and see how it went",
          "Then N: a new attempt, Esc: quit"};
}

}  // namespace trocar::app
