#pragma once
// A person at the desktop rig, as tests play them: they see where the tool tips and the
// objects are drawn and move the mouse (whole pixels, at most 10 a frame, 60 frames a second: 18 cm/s of tip
// at most) and the wheel (1 mm notches) to bring the active tip where they want it, and press keys. Only
// events go in (DesktopControls, the rig's own mapping); the simulation gets what the rig makes of them
// (inputFromRig), as in a live run.
#include "DesktopControls.h"
#include "LiveSession.h"

#include <trocar/session/Session.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace trocar::app::test {

// A person at the desktop, as this driver plays them: it sees where the tool tips and the pegs
// are drawn, and moves the mouse (whole pixels, at most 10 a frame, 60 frames a second: 18 cm/s of tip at
// most) and the wheel (1 mm notches) to bring the active tip where it wants it.
class Person {
 public:
  Person(const scenario::ScenarioDesc& desc, session::Session& session)
      : mSession(session), mControls(desc), mPicker(desc) {}

  DesktopControls& controls() { return mControls; }
  const std::vector<physics::Event>& events() const { return mEvents; }

  // One frame: the events, then a 60th of a second of simulation with the hands they give.
  void frame(const DesktopEvents& e) {
    mControls.apply(e);
    xr::RigFrame f;
    f.head = mControls.camera();
    f.hands = mControls.hands();
    physics::InputFrame in = inputFromRig(f);
    mPicker.apply(in);  // E: the next instrument of the hand's tray
    ++mSerial;
    for (int i = 0; i < 8; ++i) {  // as the live sim thread takes it: ramped between frames
      const auto& ev = mSession.step(mRamp.next(in, mSerial));
      mEvents.insert(mEvents.end(), ev.begin(), ev.end());
    }
  }
  // The active tool as it is drawn now (its tip frame: the jaws open along its Y axis).
  physics::InstrumentSnapshot tool(int hand) const {
    physics::WorldSnapshot snap;
    mSession.world().snapshot(snap);
    return snap.instruments[static_cast<size_t>(hand)];
  }
  // Rolls the active instrument (Z / X, a frame at a time) until its jaws, as drawn, open along
  // `dir` as nearly as its shaft allows (within 3 degrees; jaws open both ways, so either sense).
  void rollJawsAlong(const Vec3& dir) {
    const int hand = mControls.active();
    for (int n = 0; n < 200; ++n) {
      const Pose tip = tool(hand).tipPose;
      const Vec3 z = tip.transformVector({0.0f, 0.0f, 1.0f});
      const Vec3 y = tip.transformVector({0.0f, 1.0f, 0.0f});
      Vec3 want = dir - z * glm::dot(dir, z);
      if (glm::length(want) < 1e-4f) return;  // along the shaft: any roll will do
      want = glm::normalize(want);
      float angle = std::atan2(glm::dot(glm::cross(y, want), z), glm::dot(y, want));  // about +Z
      if (angle > 0.5f * glm::pi<float>()) angle -= glm::pi<float>();
      if (angle < -0.5f * glm::pi<float>()) angle += glm::pi<float>();
      if (std::abs(angle) < 0.05f) return;
      DesktopEvents e;
      // The roll turns the hand about its -Z: Z (rollLeft) turns the jaws about +Z.
      (angle > 0.0f ? e.rollLeft : e.rollRight) = true;
      frame(e);
    }
    ADD_FAILURE() << "the jaws never came round";
  }
  // One closing of the active tool's jaws with its tip at `tip`, the jaws opening along `jaws`:
  // over it (12 mm up), rolled round, down, squeezed (they close over a third of a second), let go.
  void closeJawsAt(const Vec3& tip, const Vec3& jaws) {
    moveTo(tip + Vec3(0.0f, 0.012f, 0.0f));
    rollJawsAlong(jaws);
    moveTo(tip);
    wait(20, true);
    wait(12);
  }
  void press(bool DesktopEvents::*key, bool button = false) {
    DesktopEvents e;
    e.*key = true;
    e.leftButton = button;
    frame(e);
  }
  void wait(int frames, bool button = false) {
    for (int i = 0; i < frames; ++i) {
      DesktopEvents e;
      e.leftButton = button;
      frame(e);
    }
  }
  // Moves the active tip to `target` (as the person aims it: what they see of the tip is the
  // tool drawn there), at most `pixels` of mouse a frame (pulling on tissue, a person goes
  // slowly: 2 pixels is 3.75 cm/s).
  void moveTo(const Vec3& target, bool button = false, float pixels = 10.0f) {
    const int hand = mControls.active();
    for (int n = 0; n < 2000; ++n) {
      const Vec3 d = target - mControls.tip(hand);
      if (glm::length(d) < 0.0004f) return;
      const Pose cam = mControls.camera();
      const Vec3 right = cam.transformVector({1.0f, 0.0f, 0.0f});
      const Vec3 up = cam.transformVector({0.0f, 1.0f, 0.0f});
      const Vec3 shaft = mControls.shaftDirection(hand);
      const glm::mat3 basis(right, up, shaft);
      const Vec3 want = glm::inverse(basis) * d;  // across, up the view, along the shaft (m)
      DesktopEvents e;
      e.leftButton = button;
      const float px = std::clamp(want.x * DesktopControls::kPixelsPerMetre, -pixels, pixels);
      const float py = std::clamp(-want.y * DesktopControls::kPixelsPerMetre, -pixels, pixels);
      e.mouseDelta = {std::round(px), std::round(py)};
      if (std::abs(want.z) >= 0.5f * DesktopControls::kFineWheelStep) {
        e.wheel = want.z > 0.0f ? 1.0 : -1.0;
        e.shift = true;
      }
      if (e.mouseDelta == Vec2(0.0f) && e.wheel == 0.0) return;  // within a pixel and half a notch
      frame(e);
    }
    ADD_FAILURE() << "the tip never reached its target";
  }

 private:
  session::Session& mSession;
  DesktopControls mControls;
  std::vector<physics::Event> mEvents;
  InstrumentPicker mPicker;
  InputRamp mRamp;
  uint64_t mSerial = 0;
};

}  // namespace trocar::app::test
