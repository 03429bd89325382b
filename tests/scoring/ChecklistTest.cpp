// The checklist engine on hand-made event streams: ordering, unordered steps, within,
// count, critical and penalty errors, out-of-order completion, object patterns; bleeding.
#include <trocar/scoring/Checklist.h>

#include <gtest/gtest.h>

#include <cmath>

namespace trocar::scoring {
namespace {

using physics::Event;
using physics::EventKind;
using physics::Hand;

const char* kScenario = R"yaml(trocar: 1
id: checklist-test
title: Checklist test
instruments: {left: grasper, right: grasper}
tissues:
  - id: duct
    generate: {tube: {radius: 0.003, length: 0.06, segments: [8, 12], position: [0, 1, 0]}}
    fixed: {box: {center: [-0.03, 1, 0], size: [0.004, 0.02, 0.02]}}
  - id: pad
    generate: {box: {size: [0.04, 0.01, 0.04], cells: [4, 1, 4], position: [0.3, 1, 0]}}
    material: {mass_kg: 0.05, stretch: 0.6, volume: 0.5}
    fixed: {box: {center: [0.3, 0.995, 0], size: [0.05, 0.002, 0.05]}}
regions:
  - {id: proximal, tissue: duct, box: {center: [-0.01, 1, 0], size: [0.012, 0.02, 0.02]}}
objects:
  - {id: peg-1, shape: box, size: [0.01, 0.01, 0.01], mass_kg: 0.002, position: [0.1, 0.005, 0]}
  - {id: peg-2, shape: box, size: [0.01, 0.01, 0.01], mass_kg: 0.002, position: [0.12, 0.005, 0]}
  - {id: ring, shape: box, size: [0.01, 0.01, 0.01], mass_kg: 0.002, position: [0.14, 0.005, 0]}
zones:
  - {id: target, center: [0.2, 0.01, 0], size: [0.05, 0.05, 0.05]}
checklist:
  - {id: grasp, title: Grasp the duct, done_when: "grasped(left, duct)"}
  - {id: clip, title: Clip twice, prompt: Clip the duct twice proximally, done_when: "clips(proximal) >= 2", after: grasp}
  - {id: divide, title: Divide, done_when: "cut(duct)", after: clip}
  - {id: quick, title: Grasp within a second, done_when: "within(1, grasped(left, duct))"}
  - {id: regrasp, title: Grasp twice, done_when: "count(grasped(left, duct)) >= 2"}
  - {id: pegs, title: Two pegs on target, done_when: "placed(peg-*, target) >= 2"}
  - {id: hold, title: Hold the duct for a second, done_when: "held(1, grasped(left, duct))"}
  - {id: press, title: Press on the pad, done_when: "force(pad) > 0.5"}
  - {id: press-duct, title: Press on the duct, done_when: "force(duct) > 0.05"}
errors:
  - {id: rough, title: Damaged the duct, when: damage(duct), penalty: 5}
  - {id: early-cut, title: Cut before clipping, when: "all(cut(duct), not(done(clip)))", critical: true}
scoring: {formula: checklist, pass_score: 1}
)yaml";

struct Fixture {
  scenario::ScenarioDesc desc;
  std::unique_ptr<session::Session> session;
  std::unique_ptr<ChecklistEngine> engine;
  physics::InputFrame input;
  Tick tick = 0;

  Fixture() {
    auto loaded = scenario::loadScenarioText(kScenario, "checklist-test.yaml");
    EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    desc = *loaded.scenario;
    session = std::move(scenario::buildSession(desc)).value();
    engine = std::make_unique<ChecklistEngine>(desc, session->world());
  }

  // Feeds one tick at `seconds` (500 Hz) with these events.
  void at(double seconds, std::vector<Event> events) {
    tick = static_cast<Tick>(std::llround(seconds * 500.0));
    for (Event& e : events) e.tick = tick;
    session::TickRecord r;
    r.tick = tick;
    r.input = &input;
    r.events = events;
    r.world = &session->world();
    engine->onTick(r);
  }

  const StepStatus& step(const std::string& id) const {
    for (const auto& s : engine->steps()) {
      if (s.id == id) return s;
    }
    throw std::runtime_error("no step " + id);
  }
};

Event grasp(Hand hand, uint32_t tissue) {
  Event e;
  e.kind = EventKind::kGrasp;
  e.hand = hand;
  e.tissue = {tissue};
  return e;
}
Event release(Hand hand) {
  Event e;
  e.kind = EventKind::kRelease;
  e.hand = hand;
  return e;
}
Event onTissue(EventKind kind, std::vector<uint32_t> regions = {}) {
  Event e;
  e.kind = kind;
  e.tissue = {0};
  e.regions = std::move(regions);
  return e;
}
Event placed(uint32_t rigid, uint32_t zone) {
  Event e;
  e.kind = EventKind::kPlaced;
  e.rigid = {rigid};
  e.zone = {zone};
  return e;
}

TEST(Checklist, OrderedStepsActivateAndCompleteInTurn) {
  Fixture f;
  f.at(0.002, {});
  EXPECT_EQ(f.step("grasp").state, StepState::kActive);
  EXPECT_EQ(f.step("clip").state, StepState::kPending);
  f.at(0.5, {grasp(Hand::kLeft, 0)});
  EXPECT_EQ(f.step("grasp").state, StepState::kDone);
  EXPECT_DOUBLE_EQ(*f.step("grasp").doneAtS, 0.5);
  f.at(0.6, {});
  EXPECT_EQ(f.step("clip").state, StepState::kActive);
  EXPECT_EQ(f.engine->prompt(), "Clip the duct twice proximally");
  f.at(1.0, {onTissue(EventKind::kClipApplied, {0})});
  EXPECT_EQ(f.step("clip").state, StepState::kActive) << "one clip is not two";
  f.at(1.5, {onTissue(EventKind::kClipApplied, {0})});
  EXPECT_EQ(f.step("clip").state, StepState::kDone);
  f.at(1.6, {});
  f.at(2.0, {onTissue(EventKind::kCut)});
  EXPECT_EQ(f.step("divide").state, StepState::kDone);
  EXPECT_FALSE(f.engine->failed());
  EXPECT_TRUE(f.engine->errors().empty());
}

// A step whose prerequisite is done in the same tick, and is itself done then, is in
// order: the grasp and both clips arrive together.
TEST(Checklist, StepDoneInTheTickItsPrerequisiteIsIsInOrder) {
  Fixture f;
  f.at(0.002, {});
  f.at(0.5, {grasp(Hand::kLeft, 0), onTissue(EventKind::kClipApplied, {0}),
             onTissue(EventKind::kClipApplied, {0})});
  EXPECT_EQ(f.step("grasp").state, StepState::kDone);
  EXPECT_EQ(f.step("clip").state, StepState::kDone);
  EXPECT_DOUBLE_EQ(*f.step("clip").activeSinceS, 0.5);
  EXPECT_EQ(f.step("divide").state, StepState::kActive) << "its prerequisite is done: waiting for its cut";
}

TEST(Checklist, CuttingBeforeClippingIsOutOfOrderAndCritical) {
  Fixture f;
  f.at(0.002, {});
  f.at(0.5, {onTissue(EventKind::kCut)});
  EXPECT_EQ(f.step("divide").state, StepState::kDoneOutOfOrder);
  EXPECT_TRUE(f.engine->failed());
  ASSERT_EQ(f.engine->errors().size(), 1u);
  EXPECT_EQ(f.engine->errors()[0].id, "early-cut");
  EXPECT_TRUE(f.engine->errors()[0].critical);
  EXPECT_DOUBLE_EQ(f.engine->errors()[0].timeS, 0.5);
}

TEST(Checklist, EveryDamageEventIsAPenalty) {
  Fixture f;
  f.at(0.1, {onTissue(EventKind::kDamage)});
  f.at(0.2, {onTissue(EventKind::kDamage), onTissue(EventKind::kDamage)});
  ASSERT_EQ(f.engine->errors().size(), 3u);
  double total = 0;
  for (const auto& e : f.engine->errors()) total += e.penalty;
  EXPECT_DOUBLE_EQ(total, 15.0);
  EXPECT_FALSE(f.engine->failed());
}

TEST(Checklist, WithinCountsFromActivation) {
  Fixture late;
  late.at(0.002, {});
  late.at(1.5, {grasp(Hand::kLeft, 0)});
  EXPECT_NE(late.step("quick").state, StepState::kDone) << "grasped 1.5 s after the step became active";
  Fixture early;
  early.at(0.002, {});
  early.at(0.8, {grasp(Hand::kLeft, 0)});
  EXPECT_EQ(early.step("quick").state, StepState::kDone);
}

TEST(Checklist, CountCountsRisingEdges) {
  Fixture f;
  f.at(0.1, {grasp(Hand::kLeft, 0)});
  f.at(0.2, {});
  EXPECT_NE(f.step("regrasp").state, StepState::kDone);
  f.at(0.3, {release(Hand::kLeft)});
  f.at(0.4, {grasp(Hand::kLeft, 0)});
  EXPECT_EQ(f.step("regrasp").state, StepState::kDone);
  EXPECT_EQ(f.step("grasp").state, StepState::kDone) << "unordered steps complete in any order";
}

TEST(Checklist, HeldNeedsTheConditionWithoutABreak) {
  Fixture f;
  f.at(0.1, {grasp(Hand::kLeft, 0)});
  f.at(0.9, {});
  f.at(1.0, {release(Hand::kLeft)});  // 0.9 s: not long enough
  f.at(1.2, {grasp(Hand::kLeft, 0)});
  f.at(2.1, {});
  EXPECT_NE(f.step("hold").state, StepState::kDone) << "0.9 s since the grasp began again";
  f.at(2.2, {});
  EXPECT_EQ(f.step("hold").state, StepState::kDone);
}

// force(target) reads the instruments as the world has them: nothing touches the pad at
// first; the left grasper pushed 8 mm into its top (open surgery: the tip is the shaft's length
// along the hand's -Z, here straight down) presses on it with over 0.5 N (ContactTest: 1 to
// 3.2 N for such a press), and on the duct, which it does not touch, with none.
TEST(Checklist, ForceIsWhatATouchingInstrumentPushesWith) {
  Fixture f;
  const float shaft = instruments::defaultSpec(instruments::InstrumentKind::kGrasper).shaftLength;
  const Quat down = glm::angleAxis(-glm::half_pi<float>(), Vec3(1, 0, 0));
  f.input.hands[0].pose = {Vec3(0.3f, 1.03f + shaft, 0.0f), down};
  f.input.hands[1].pose = {Vec3(0.5f, 1.3f, 0.2f), down};
  Tick t = 0;
  auto run = [&](double seconds) {
    for (; static_cast<double>(t) < seconds * 500.0; ++t) {
      f.session->step(f.input);
      f.at(static_cast<double>(t + 1) / 500.0, {});
    }
  };
  run(0.4);
  EXPECT_NE(f.step("press").state, StepState::kDone) << "the tool is 2.5 cm above the pad";
  for (int i = 1; i <= 100; ++i) {  // down to 8 mm below the top in 0.2 s
    f.input.hands[0].pose.position.y = 1.03f + shaft - 0.033f * static_cast<float>(i) / 100.0f;
    run(0.4 + 0.002 * i);
  }
  run(1.2);
  EXPECT_EQ(f.step("press").state, StepState::kDone);
  EXPECT_NE(f.step("press-duct").state, StepState::kDone);
}

TEST(Checklist, ObjectPatternsCountEveryMatch) {
  Fixture f;
  f.at(0.1, {placed(0, 0)});
  f.at(0.2, {placed(2, 0)});  // 'ring' is not a peg
  EXPECT_NE(f.step("pegs").state, StepState::kDone);
  f.at(0.3, {placed(1, 0)});
  EXPECT_EQ(f.step("pegs").state, StepState::kDone);
}

TEST(Checklist, StepTimeLimitFails) {
  std::string text = kScenario;
  text.replace(text.find("done_when: \"grasped(left, duct)\"}"), 33,
               "done_when: \"grasped(left, duct)\", time_limit_s: 2}");
  auto loaded = scenario::loadScenarioText(text, "t.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  ChecklistEngine engine(*loaded.scenario, session->world());
  physics::InputFrame input;
  for (Tick t : {Tick{1}, Tick{1001}, Tick{1002}}) {
    session::TickRecord r;
    r.tick = t;
    r.input = &input;
    r.world = &session->world();
    engine.onTick(r);
  }
  EXPECT_EQ(engine.steps()[0].state, StepState::kFailed);
  // Active from tick 1 (0.002 s); 2 s later is tick 1001, still within; tick 1002 is past.
  EXPECT_NEAR(*engine.steps()[0].failedAtS, 2.004, 1e-9);
}

}  // namespace
}  // namespace trocar::scoring

namespace trocar::scoring {
namespace {

// A vessel in a scenario: `vessel: true` and its rate parse, `bleeding(artery)` counts the
// bleeding events of a real cut, and `blood_loss()` reads what the world has lost (ml).
TEST(Checklist, BleedingAndBloodLossComeFromTheWorld) {
  auto loaded = scenario::loadScenarioText(R"yaml(trocar: 1
id: vessel-test
title: Vessel test
tissues:
  - id: artery
    generate: {tube: {radius: 0.0015, length: 0.04, segments: [8, 8], position: [0, 1, 0]}}
    fixed: [{box: {center: [-0.02, 1, 0], size: [0.004, 0.02, 0.02]}}, {box: {center: [0.02, 1, 0], size: [0.004, 0.02, 0.02]}}]
    vessel: true
    bleed_ml_per_s: 3
checklist:
  - {id: divide, title: Divide the artery, done_when: "cut(artery)"}
errors:
  - {id: bleed, title: Cut an unclipped artery, when: "bleeding(artery)", penalty: 10}
  - {id: heavy, title: Lost over 5 ml of blood, when: "blood_loss() > 5", critical: true}
scoring: {formula: checklist, pass_score: 1}
)yaml",
                                           "vessel-test.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  physics::World& world = session->world();
  ChecklistEngine engine(*loaded.scenario, world);
  physics::InputFrame input;
  auto feed = [&](std::vector<Event> events) {
    session::TickRecord r;
    r.tick = world.tick();
    r.input = &input;
    r.events = events;
    r.world = &world;
    engine.onTick(r);
  };
  const physics::TissueId artery = world.findTissue("artery").value();
  ASSERT_GT(world.cutWithQuad(artery, {Vec3(0.0031f, 0.98f, -0.01f), Vec3(0.0031f, 0.98f, 0.01f),
                                       Vec3(0.0031f, 1.02f, 0.01f), Vec3(0.0031f, 1.02f, -0.01f)}),
            0u);
  feed(world.lastEvents());
  ASSERT_EQ(engine.errors().size(), 1u);
  EXPECT_EQ(engine.errors()[0].id, "bleed");
  EXPECT_FALSE(engine.failed());
  // Both ends open, 3 ml/s each: over 5 ml after 0.84 s (420 ticks), not at 0.8 s (400).
  for (int t = 0; t < 400; ++t) world.step(input);
  feed({});
  EXPECT_FALSE(engine.failed()) << world.bloodLossMl() << " ml";
  for (int t = 0; t < 20; ++t) world.step(input);
  feed({});
  EXPECT_TRUE(engine.failed()) << world.bloodLossMl() << " ml";
  ASSERT_EQ(engine.errors().size(), 2u);
  EXPECT_EQ(engine.errors()[1].id, "heavy");
}

}  // namespace
}  // namespace trocar::scoring
