// The desktop mapping, driven by the events a person makes (mouse motion in whole pixels,
// wheel notches, buttons, keys), never by hand poses: each hand keeps its place and its grip
// while the other works, the wheel moves a tool along its shaft through its port, and a
// person can pass a peg from one grasper to the other in mid-air in FLS peg transfer.
#include "DesktopControls.h"
#include "LiveSession.h"

#include <trocar/physics/Snapshot.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace trocar::app {
namespace {

const std::filesystem::path kPegTransfer =
    std::filesystem::path(TROCAR_SOURCE_DIR) / "scenarios/fls-peg-transfer/scenario.yaml";

scenario::ScenarioDesc pegTransfer() {
  scenario::LoadResult loaded = scenario::loadScenarioFile(kPegTransfer);
  EXPECT_TRUE(loaded.ok());
  return std::move(*loaded.scenario);
}

DesktopEvents mouse(float dx, float dy) {
  DesktopEvents e;
  e.mouseDelta = {dx, dy};
  return e;
}

// 100 px of mouse moves the active tip 3 cm across the view (0.3 mm a pixel); the other hand
// stays. Space locks the jaws: they stay closed with the button let go and after Tab, while the
// other hand closes its own; Space again opens them. Switching hands with the button held
// keeps that grip too.
TEST(DesktopControls, EachHandKeepsItsPlaceAndItsGrip) {
  const scenario::ScenarioDesc desc = pegTransfer();
  DesktopControls c(desc);
  ASSERT_EQ(c.active(), 1);
  const Vec3 left0 = c.tip(0), right0 = c.tip(1);
  c.apply(mouse(100.0f, 0.0f));
  const Vec3 right = c.camera().transformVector({1.0f, 0.0f, 0.0f});
  EXPECT_NEAR(glm::dot(c.tip(1) - right0, right), 0.03f, 1e-5f);
  EXPECT_NEAR(glm::length(c.tip(1) - right0), 0.03f, 1e-5f);
  EXPECT_EQ(c.tip(0), left0);

  DesktopEvents tab;
  tab.switchHand = true;
  c.apply(tab);
  ASSERT_EQ(c.active(), 0);
  const Vec3 rightKept = c.tip(1);
  c.apply(mouse(-50.0f, 20.0f));
  EXPECT_EQ(c.tip(1), rightKept) << "the hand let go stays where it was";
  EXPECT_NE(c.tip(0), left0);

  DesktopEvents press;
  press.leftButton = true;
  c.apply(press);
  EXPECT_EQ(c.hands()[0].trigger, 1.0f);
  DesktopEvents lock = press;
  lock.ratchet = true;
  c.apply(lock);
  c.apply(DesktopEvents{});  // button let go
  EXPECT_TRUE(c.locked(0));
  EXPECT_EQ(c.hands()[0].trigger, 1.0f) << "the ratchet holds the jaws closed";
  c.apply(tab);
  ASSERT_EQ(c.active(), 1);
  EXPECT_EQ(c.hands()[0].trigger, 1.0f) << "and keeps them closed while the other hand works";
  EXPECT_EQ(c.hands()[1].trigger, 0.0f);
  c.apply(press);
  EXPECT_EQ(c.hands()[0].trigger, 1.0f);
  EXPECT_EQ(c.hands()[1].trigger, 1.0f) << "both hands closed at once";
  DesktopEvents switchHolding = press;
  switchHolding.switchHand = true;
  c.apply(switchHolding);
  c.apply(DesktopEvents{});
  EXPECT_EQ(c.active(), 0);
  EXPECT_TRUE(c.locked(1)) << "switching with the button held keeps that grip";
  EXPECT_EQ(c.hands()[1].trigger, 1.0f);
  DesktopEvents unlock;
  unlock.ratchet = true;
  c.apply(unlock);
  EXPECT_FALSE(c.locked(0));
  EXPECT_EQ(c.hands()[0].trigger, 0.0f) << "released, the jaws open";
  EXPECT_EQ(c.hands()[1].trigger, 1.0f);
}

// A wheel notch moves the tip 3 mm (1 mm with Shift) along the line from its port through the
// tip: the instrument slides in through the port, and its shaft still passes through it.
TEST(DesktopControls, TheWheelSlidesTheToolThroughItsPort) {
  const scenario::ScenarioDesc desc = pegTransfer();
  DesktopControls c(desc);
  const Vec3 port = desc.ports[1].position;  // the right hand's
  const Vec3 before = c.tip(1);
  DesktopEvents in;
  in.wheel = 2.0;
  c.apply(in);
  const Vec3 moved = c.tip(1) - before;
  EXPECT_NEAR(glm::length(moved), 0.006f, 1e-5f);
  EXPECT_GT(glm::dot(glm::normalize(moved), glm::normalize(before - port)), 0.99999f) << "straight in";
  DesktopEvents fine;
  fine.wheel = -1.0;
  fine.shift = true;
  c.apply(fine);
  EXPECT_NEAR(glm::length(c.tip(1) - before), 0.005f, 1e-5f);
  // The shaft (the hand's -Z axis, from the grip to the tip) still runs through the port.
  const Pose grip = c.hands()[1].grip;
  const Vec3 axis = glm::normalize(c.tip(1) - grip.position);
  const Vec3 toPort = port - grip.position;
  EXPECT_LT(glm::length(toPort - glm::dot(toPort, axis) * axis), 1e-4f);
}

// A person at the desktop, as this driver plays them: it sees where the tool tips and the pegs
// are drawn, and moves the mouse (whole pixels, at most 6 a frame, 60 frames a second) and
// the wheel (1 mm notches) to bring the active tip where it wants it.
class Person {
 public:
  Person(const scenario::ScenarioDesc& desc, session::Session& session)
      : mSession(session), mControls(desc) {}

  DesktopControls& controls() { return mControls; }
  const std::vector<physics::Event>& events() const { return mEvents; }

  // One frame: the events, then a 60th of a second of simulation with the hands they give.
  void frame(const DesktopEvents& e) {
    mControls.apply(e);
    xr::RigFrame f;
    f.head = mControls.camera();
    f.hands = mControls.hands();
    const physics::InputFrame in = inputFromRig(f);
    for (int i = 0; i < 8; ++i) {
      const auto& ev = mSession.step(in);
      mEvents.insert(mEvents.end(), ev.begin(), ev.end());
    }
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
  // tool drawn there).
  void moveTo(const Vec3& target, bool button = false) {
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
      const float px = std::clamp(want.x * DesktopControls::kPixelsPerMetre, -6.0f, 6.0f);
      const float py = std::clamp(-want.y * DesktopControls::kPixelsPerMetre, -6.0f, 6.0f);
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
};

Vec3 pegAt(const session::Session& s, const std::string& peg) {
  const auto id = s.world().findRigid(peg).value();
  physics::WorldSnapshot snap;
  s.world().snapshot(snap);
  return snap.rigids[id.index].position;
}

// FLS peg transfer, the step the old desktop mapping made impossible: the left grasper lifts a
// peg (closing the jaws and locking them, Space), Tab hands the mouse to the right grasper,
// which takes the peg from the side in mid-air; back on the left hand, Space releases it. The
// peg is held by the left grasper, then by both, then by the right alone, and never falls.
TEST(DesktopControls, APersonPassesAPegFromHandToHandInMidAir) {
  const scenario::ScenarioDesc desc = pegTransfer();
  auto built = scenario::buildSession(desc);
  ASSERT_TRUE(built.ok()) << built.error().toString();
  session::Session& session = *built.value();
  Person person(desc, session);
  const physics::World& world = session.world();
  const float shaftRadius = instruments::defaultSpec(instruments::InstrumentKind::kGrasper).shaftRadius;

  person.press(&DesktopEvents::switchHand);  // the left hand
  ASSERT_EQ(person.controls().active(), 0);
  const Vec3 peg = pegAt(session, "peg-1");
  const float half = 0.006f;  // the peg's half height
  const Vec3 top = peg + Vec3(0.0f, half + shaftRadius - 0.0005f, 0.0f);
  person.moveTo(top + Vec3(0.0f, 0.02f, 0.0f));
  person.moveTo(top);
  person.wait(10, true);  // close on it
  person.press(&DesktopEvents::ratchet, true);
  person.wait(5);
  ASSERT_TRUE(world.instrument(physics::Hand::kLeft).grasping) << "the left grasper holds the peg";
  const Vec3 carry(-0.004f, top.y + 0.03f, top.z);
  person.moveTo(Vec3(top.x, carry.y, top.z));
  person.moveTo(carry);
  person.wait(20);
  const Vec3 lifted = pegAt(session, "peg-1");
  EXPECT_GT(lifted.y, peg.y + 0.02f) << "lifted with the jaws locked, the button let go";

  person.press(&DesktopEvents::switchHand);  // the right hand takes it from the side
  ASSERT_EQ(person.controls().active(), 1);
  const Vec3 grip = lifted + Vec3(0.004f, -0.003f, -0.002f);
  person.moveTo(grip + Vec3(0.015f, 0.01f, 0.0f));
  person.moveTo(grip);
  person.wait(10, true);
  EXPECT_TRUE(world.instrument(physics::Hand::kLeft).grasping) << "the left hand kept its grip meanwhile";
  EXPECT_TRUE(world.instrument(physics::Hand::kRight).grasping) << "both hold it";
  person.press(&DesktopEvents::switchHand, true);  // switching while squeezing keeps the grip
  ASSERT_EQ(person.controls().active(), 0);
  EXPECT_TRUE(person.controls().locked(1));
  person.press(&DesktopEvents::ratchet);  // the left lets go
  person.wait(10);
  EXPECT_FALSE(world.instrument(physics::Hand::kLeft).grasping);
  person.moveTo(person.controls().tip(0) + Vec3(-0.02f, 0.02f, 0.0f));
  person.wait(30);
  EXPECT_TRUE(world.instrument(physics::Hand::kRight).grasping) << "the right grasper has it alone";
  EXPECT_GT(pegAt(session, "peg-1").y, peg.y + 0.015f) << "still in the air";
  for (const physics::Event& e : person.events()) EXPECT_NE(e.kind, physics::EventKind::kDropped);
}

}  // namespace
}  // namespace trocar::app
