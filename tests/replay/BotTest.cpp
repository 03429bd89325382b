// Bots: a timeline file is a timeline bot; controller files are checked key by key; the
// pattern-cutting controller is deterministic, takes the time its parameters say, and its
// first snip cuts on the marked line.
#include <trocar/instruments/Instrument.h>
#include <trocar/replay/Bot.h>

#include <gtest/gtest.h>

#include <cmath>

namespace trocar::replay {
namespace {

// The default scenario's set-up, in small: a 10 cm gauze, a 2 cm circle, two ports.
constexpr const char* kPatternCutting = R"yaml(trocar: 1
id: cut
title: Cut
tick_hz: 500
view: laparoscopic
camera: {position: [0, 1.2, -0.3], look_at: [0, 1.0, -0.45], fov_deg: 70}
ports:
  - {id: left, position: [-0.08, 1.15, -0.35]}
  - {id: right, position: [0.08, 1.15, -0.35]}
instruments:
  left: {kind: grasper, port: left}
  right: {kind: scissors, port: right}
tissues:
  - id: gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [28, 28], position: [0, 1.0, -0.45]}}
    material: {stretch: 0.9, bend: 0.0, damping: 0.02, mass_kg: 0.004}
    iterations: 2
    fixed: corners
    markings:
      - {id: circle, circle: {center: [0, 0], radius: 0.02}}
regions:
  - {id: inside-circle, tissue: gauze, marking: circle}
checklist:
  - {id: cut, title: Cut, done_when: "detached(gauze, inside-circle)"}
scoring: {formula: fls, cutoff_s: 300, penalty: area_deviation_percent, pass_score: 120}
)yaml";

scenario::ScenarioDesc patternCutting() {
  return *scenario::loadScenarioText(kPatternCutting, "cut.yaml").scenario;
}

TEST(Bot, KeyframesMakeATimelineBot) {
  auto desc = patternCutting();
  auto bot =
      parseBot("keyframes:\n  - {t: 0, right: {position: [0, 1.3, -0.3]}}\n  - {t: 2, right: {trigger: 1}}\n",
               "b.yaml", desc);
  ASSERT_TRUE(bot.ok()) << bot.error().toString();
  EXPECT_DOUBLE_EQ(bot.value()->duration(), 2.0);
  auto session = std::move(scenario::buildSession(desc)).value();
  for (int i = 0; i < 500; ++i) session->step(bot.value()->next(*session));  // 1 s: half way
  physics::InputFrame f = bot.value()->next(*session);
  EXPECT_FALSE(f.hands[0].tracked);
  EXPECT_TRUE(f.hands[1].tracked);
  EXPECT_NEAR(f.hands[1].trigger, 0.5f, 1e-6f);
}

TEST(Bot, ControllerErrorsSayWhereAndWhat) {
  auto desc = patternCutting();
  auto unknown = parseBot("controller: knot-tying\n", "b.yaml", desc);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().where.line, 1u);
  EXPECT_NE(unknown.error().toString().find("knot-tying"), std::string::npos);
  EXPECT_NE(unknown.error().toString().find("pattern-cutting"), std::string::npos) << "lists the controllers";

  auto typo = parseBot("controller: pattern-cutting\nsnips: 16\nsnip_second: 2\n", "b.yaml", desc);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().where.line, 3u);
  EXPECT_NE(typo.error().toString().find("snip_second"), std::string::npos);

  auto range = parseBot("controller: pattern-cutting\nsnips: 3\n", "b.yaml", desc);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.error().where.line, 2u);
  EXPECT_EQ(range.error().where.column, 8u);
}

TEST(Bot, ControllerNeedsItsInstrumentsAndTissue) {
  std::string text = kPatternCutting;
  text.replace(text.find("kind: scissors"), 14, "kind: grasper");
  auto noScissors = *scenario::loadScenarioText(text, "cut.yaml").scenario;
  auto bot = parseBot("controller: pattern-cutting\n", "b.yaml", noScissors);
  ASSERT_FALSE(bot.ok());
  EXPECT_NE(bot.error().toString().find("scissors in the right hand"), std::string::npos)
      << bot.error().toString();

  auto wrongTissue = parseBot("controller: pattern-cutting\ntissue: liver\n", "b.yaml", patternCutting());
  ASSERT_FALSE(wrongTissue.ok());
  EXPECT_NE(wrongTissue.error().toString().find("liver"), std::string::npos);
}

// The cholecystectomy bot needs a clip applier the right hand can exchange for, then the
// regions it works on.
TEST(Bot, CholecystectomyNeedsItsTrayAndRegions) {
  auto noClipper = parseBot("controller: cholecystectomy\n", "b.yaml", patternCutting());
  ASSERT_FALSE(noClipper.ok());
  EXPECT_NE(noClipper.error().toString().find("clip_applier in the right hand"), std::string::npos)
      << noClipper.error().toString();
  std::string text = kPatternCutting;
  text.replace(text.find("kind: scissors"), 14, "kind: scissors, exchange: [clip_applier]");
  auto tray = *scenario::loadScenarioText(text, "cut.yaml").scenario;
  auto noRegions = parseBot("controller: cholecystectomy\n", "b.yaml", tray);
  ASSERT_FALSE(noRegions.ok());
  EXPECT_NE(noRegions.error().toString().find("no region 'fundus' on 'gallbladder'"), std::string::npos)
      << noRegions.error().toString();
}

// 0.4 s at rest, 1.4 s to grasp, 8 snips of 1 s, 0.5 s to withdraw.
TEST(Bot, PatternCuttingTakesTheTimeItsParametersSay) {
  // Reach 0.4 s, grasp 1.4 s, 8 snips and 6 clean-up snips of 1 s, withdraw 0.5 s.
  auto bot = parseBot("controller: pattern-cutting\nsnips: 8\nsnip_seconds: 1\n", "b.yaml", patternCutting());
  ASSERT_TRUE(bot.ok()) << bot.error().toString();
  EXPECT_NEAR(bot.value()->duration(), 0.4 + 1.4 + 8.0 + 6.0 + 0.5, 1e-9);
  // A rough start adds 0.7 s to the grasp; no clean-up snips.
  bot = parseBot("controller: pattern-cutting\nsnips: 8\nsnip_seconds: 2\nyank_m: 0.03\ncleanup_snips: 0\n",
                 "b.yaml", patternCutting());
  ASSERT_TRUE(bot.ok()) << bot.error().toString();
  EXPECT_NEAR(bot.value()->duration(), 0.4 + 2.1 + 16.0 + 0.5, 1e-9);
}

struct Played {
  std::vector<physics::InputFrame> frames;
  std::vector<physics::Event> cuts;
  Hash64 hash = 0;
};

Played play(const std::string& botText, double seconds) {
  auto desc = patternCutting();
  auto bot = std::move(parseBot(botText, "b.yaml", desc)).value();
  auto session = std::move(scenario::buildSession(desc)).value();
  Played out;
  const Tick ticks = session->world().clock().ticksIn(seconds);
  for (Tick t = 0; t < ticks; ++t) {
    out.frames.push_back(bot->next(*session));
    for (const auto& e : session->step(out.frames.back()))
      if (e.kind == physics::EventKind::kCut) out.cuts.push_back(e);
  }
  out.hash = session->world().stateHash();
  return out;
}

// The first snip (from the top of the circle, counter-clockwise: chord from 90 to 112.5
// degrees) is planned from where the line is and cuts within 2 mm of it; two runs give the
// same frames and the same state, bit for bit.
TEST(Bot, PatternCuttingCutsOnTheLineAndIsDeterministic) {
  const std::string text = "controller: pattern-cutting\nsnips: 16\nsnip_seconds: 1\n";
  Played a = play(text, 0.4 + 1.4 + 1.0);
  ASSERT_EQ(a.cuts.size(), 1u);
  const Vec3 p = a.cuts[0].position;
  const float r = std::hypot(p.x, p.z + 0.45f);
  EXPECT_NEAR(r, 0.02f, 0.002f);
  const float angle = std::atan2(p.z + 0.45f, p.x) * 180.0f / 3.14159265f;
  EXPECT_GT(angle, 85.0f);
  EXPECT_LT(angle, 118.0f);

  Played b = play(text, 0.4 + 1.4 + 1.0);
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    for (size_t h = 0; h < physics::kHandCount; ++h) {
      ASSERT_EQ(a.frames[i].hands[h].pose.position, b.frames[i].hands[h].pose.position) << "tick " << i;
      ASSERT_EQ(a.frames[i].hands[h].trigger, b.frames[i].hands[h].trigger) << "tick " << i;
    }
  }
  EXPECT_EQ(a.hash, b.hash);
}

// A keyframe may say where the tool tip goes: the hand pose follows from the instrument and
// its port, so the simulator's own hand-to-tip mapping puts the tip exactly there.
TEST(Bot, KeyframesGiveWhereTheToolTipGoes) {
  auto desc = patternCutting();
  const Vec3 tip(0.01f, 1.02f, -0.46f);
  auto bot = parseBot("keyframes:\n  - {t: 0, left: {tip: [0.01, 1.02, -0.46]}}\n", "tip.yaml", desc);
  ASSERT_TRUE(bot.ok()) << bot.error().toString();
  auto session = std::move(scenario::buildSession(desc)).value();
  const physics::InputFrame f = bot.value()->next(*session);
  const instruments::Port port{"left", Vec3(-0.08f, 1.15f, -0.35f)};
  const Pose reached = instruments::tipTargetFromHand(
      f.hands[0].pose, instruments::defaultSpec(instruments::InstrumentKind::kGrasper), &port);
  EXPECT_NEAR(glm::length(reached.position - tip), 0.0f, 1e-5f);
  // Without a scenario there is no instrument to work it out from; tip and position together
  // say two things.
  auto alone = parseTimeline("keyframes:\n  - {t: 0, left: {tip: [0, 1, 0]}}\n", "alone.yaml");
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.error().message.find("needs the scenario"), std::string::npos);
  EXPECT_EQ(alone.error().where.line, 2u);
  auto both =
      parseBot("keyframes:\n  - {t: 0, left: {tip: [0, 1, 0], position: [0, 1, 0]}}\n", "both.yaml", desc);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("leave out position"), std::string::npos);
  auto nowhere = parseBot("keyframes:\n  - {t: 0, left: {aim: {region: liver}}}\n", "nowhere.yaml", desc);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.error().message.find("no region 'liver'"), std::string::npos);
}

// Aimed at a region, the grasper holds it on the first try: held above the gauze while it
// settles (aim positions are those of the settled scene), it comes down over the circle's
// middle where the sagging gauze's drawn surface is (1 cm above it, then 1 mm into the sheet,
// as BOTS.md says to grasp a sheet), closes, and is grasping the gauze.
TEST(Bot, AGrasperAimedAtARegionGraspsItFirstTime) {
  auto desc = patternCutting();
  auto bot = parseBot(R"(keyframes:
  - {t: 0, left: {tip: [0, 1.05, -0.45], trigger: 0}}
  - {t: 1, left: {tip: [0, 1.05, -0.45], trigger: 0}}
  - {t: 1.5, left: {aim: {region: inside-circle, offset_mm: [0, 10, 0]}, trigger: 0}}
  - {t: 2.5, left: {aim: {region: inside-circle, offset_mm: [0, -1, 0]}, trigger: 0}}
  - {t: 3, left: {trigger: 1}}
)",
                      "aim.yaml", desc);
  ASSERT_TRUE(bot.ok()) << bot.error().toString();
  auto session = std::move(scenario::buildSession(desc)).value();
  bool grasped = false;
  for (int i = 0; i < 1750; ++i) {
    session->step(bot.value()->next(*session));
    grasped = grasped || session->world().instrument(physics::Hand::kLeft).grasping;
  }
  EXPECT_TRUE(grasped);
  EXPECT_TRUE(session->world().instrument(physics::Hand::kLeft).grasping);
}

}  // namespace
}  // namespace trocar::replay
