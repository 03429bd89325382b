// The cue mapping: the amplitude curve by hand, vibration that follows contact tick by tick,
// distinct event pulses, warnings above the tissue's damage force, and identical cue streams
// for identical inputs (what makes the report's feedback section replayable).
#include <trocar/feedback/Feedback.h>

#include "SimTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trocar::feedback {
namespace {

using physics::Hand;
using physics::InputFrame;

TEST(Vibration, CurveMatchesTheFormula) {
  VibrationCurve c;  // threshold 0.15 N, saturation 4 N, gamma 0.7, gain 1
  EXPECT_EQ(vibrationAmplitude(c, 0.0f), 0.0f);
  EXPECT_EQ(vibrationAmplitude(c, 0.15f), 0.0f) << "at the threshold: nothing yet";
  EXPECT_FLOAT_EQ(vibrationAmplitude(c, 4.0f), 1.0f);
  EXPECT_FLOAT_EQ(vibrationAmplitude(c, 40.0f), 1.0f) << "saturates";
  // Halfway in force: 0.5^0.7 = 0.61557.
  EXPECT_NEAR(vibrationAmplitude(c, 0.15f + 0.5f * 3.85f), 0.61557f, 1e-4f);
  c.gain = 0.6f;
  EXPECT_NEAR(vibrationAmplitude(c, 0.15f + 0.5f * 3.85f), 0.6f * 0.61557f, 1e-4f);
  // Monotonic over a ramp.
  float last = -1.0f;
  for (float f = 0.0f; f < 5.0f; f += 0.05f) {
    const float a = vibrationAmplitude(c, f);
    EXPECT_GE(a, last);
    last = a;
  }
  EXPECT_EQ(vibrationAmplitude(c, std::nanf("")), 0.0f);
}

struct CueRun {
  std::vector<float> amplitude;  // right hand, per tick
  std::vector<bool> contact;
  std::vector<uint64_t> serials;
  std::vector<PulseSpec> events;
  FeedbackSummary summary;
};

// The right tool (an open grasper) comes down onto a cloth, presses for 0.4 s, lifts off; at
// 1.2 s it comes down again and closes (a grasp).
CueRun pressAndGrasp() {
  physics::World world(physics::WorldSettings{});
  physics::TissueSettings cloth = physics::test::clothAt(0.1f, 24);
  cloth.fixed = {physics::NodeSelector::border()};  // a taut membrane: the press meets it
  cloth.material.damageForceN = 3.0f;
  world.addTissue(cloth).value();
  const auto tool = physics::test::openInstrument(instruments::InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, tool);
  FeedbackMapper mapper(FeedbackSettings{}, {3.0f}, 500);
  CueRun run;
  for (Tick t = 0; t < 900; ++t) {
    InputFrame in;
    const double s = static_cast<double>(t) / 500.0;
    float y = 0.13f;                    // 3 cm above
    if (s > 0.2 && s < 0.8) y = 0.08f;  // pressed 1.2 cm into the cloth (it sags to 0.092 m)
    if (s >= 1.2) y = 0.08f;            // down again
    in.hands[1].pose = physics::test::handPointingDown({0.01f, y, 0.0f}, tool.spec);
    in.hands[1].trigger = s >= 1.5 ? 1.0f : 0.0f;  // closes at 1.5 s
    const auto& events = world.step(in);
    mapper.onTick(world, events, t + 1, 0, false);
    const HandCue& cue = mapper.cues().hands[1];
    run.amplitude.push_back(cue.amplitude);
    run.contact.push_back(world.instrument(Hand::kRight).inContact);
    run.serials.push_back(cue.eventSerial);
    if (run.serials.size() > 1 && cue.eventSerial != run.serials[run.serials.size() - 2])
      run.events.push_back(cue.event);
  }
  run.summary = mapper.summary();
  return run;
}

TEST(FeedbackMapper, VibrationFollowsContactTickByTick) {
  const CueRun run = pressAndGrasp();
  size_t contactTicks = 0;
  for (size_t i = 0; i < run.amplitude.size(); ++i) {
    // No contact: no vibration on the very same tick (stops within a frame by construction).
    if (!run.contact[i]) {
      EXPECT_EQ(run.amplitude[i], 0.0f) << "tick " << i;
    }
    if (run.contact[i]) ++contactTicks;
  }
  ASSERT_GT(contactTicks, 50u) << "the press touches the cloth";
  // Every contact tick is felt, at least at the touch amplitude.
  const FeedbackSettings defaults;
  for (size_t i = 0; i < run.amplitude.size(); ++i) {
    if (run.contact[i]) {
      EXPECT_GE(run.amplitude[i], defaults.contact.touch) << "tick " << i;
    }
  }
  // The impact (the tool arriving at 0.2-0.3 s) pushes harder than resting on the membrane.
  float peak = 0.0f;
  for (size_t i = 100; i < 160; ++i) peak = std::max(peak, run.amplitude[i]);
  EXPECT_GT(peak, 0.2f);
  // In the air before the press: nothing.
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(run.amplitude[i], 0.0f);
  EXPECT_GT(run.summary.vibrationSeconds[1], 0.1);
  EXPECT_EQ(run.summary.vibrationSeconds[0], 0.0);
  EXPECT_EQ(run.summary.hapticPulses[0], 0u);
}

TEST(FeedbackMapper, GraspGivesItsOwnDistinctPulse) {
  const CueRun run = pressAndGrasp();
  const FeedbackSettings defaults;
  bool sawGrasp = false;
  for (const PulseSpec& p : run.events) {
    if (p.frequencyHz == defaults.grasp.frequencyHz && p.amplitude == defaults.grasp.amplitude)
      sawGrasp = true;
  }
  EXPECT_TRUE(sawGrasp);
  EXPECT_GE(run.summary.soundCues.at("grasp"), 1u);
  EXPECT_GE(run.summary.soundCues.at("contact"), 1u);
  // Event pulses differ from each other: grasp, cut, clip and warning are told apart.
  EXPECT_NE(defaults.grasp.frequencyHz, defaults.cut.frequencyHz);
  EXPECT_NE(defaults.cut.frequencyHz, defaults.clip.frequencyHz);
  EXPECT_NE(defaults.warning.durationS, defaults.cut.durationS);
}

TEST(FeedbackMapper, SameInputsSameCueStream) {
  const CueRun a = pressAndGrasp();
  const CueRun b = pressAndGrasp();
  EXPECT_EQ(a.amplitude, b.amplitude);
  EXPECT_EQ(a.serials, b.serials);
  EXPECT_EQ(a.summary.hapticPulses, b.summary.hapticPulses);
  EXPECT_EQ(a.summary.soundCues, b.summary.soundCues);
}

// Pressing harder than the tissue's damage force warns: repeated warning pulses (one per
// warning period) and excessive-force time.
TEST(FeedbackMapper, WarnsAboveTheDamageForce) {
  physics::World world(physics::WorldSettings{});
  physics::TissueSettings cloth = physics::test::clothAt(0.1f, 24);
  cloth.fixed = {physics::NodeSelector::border()};
  world.addTissue(cloth).value();
  const auto tool = physics::test::openInstrument(instruments::InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, tool);
  FeedbackMapper mapper(FeedbackSettings{}, {0.2f}, 500);  // a very delicate tissue
  for (Tick t = 0; t < 500; ++t) {
    InputFrame in;
    in.hands[1].pose = physics::test::handPointingDown({0.01f, t < 100 ? 0.13f : 0.085f, 0.0f}, tool.spec);
    const auto& events = world.step(in);
    mapper.onTick(world, events, t + 1, 0, false);
  }
  const FeedbackSummary& s = mapper.summary();
  EXPECT_GT(s.excessiveForceSeconds[1], 0.01);
  ASSERT_TRUE(s.soundCues.count("warning"));
  EXPECT_GE(s.soundCues.at("warning"), 1u);
  // At most one warning per 0.25 s of excessive force (+1 for the first).
  EXPECT_LE(s.soundCues.at("warning"), static_cast<uint32_t>(s.excessiveForceSeconds[1] / 0.25) + 2);
}

TEST(FeedbackMapper, StepsAndCriticalErrorsAreSounded) {
  physics::World world(physics::WorldSettings{});
  FeedbackMapper mapper(FeedbackSettings{}, {}, 500);
  mapper.onTick(world, {}, 1, 2, true);
  EXPECT_EQ(mapper.summary().soundCues.at("step_complete"), 2u);
  EXPECT_EQ(mapper.summary().soundCues.at("critical_error"), 1u);
  ASSERT_EQ(mapper.cues().recentSounds.size(), 3u);
  EXPECT_LT(mapper.cues().recentSounds[0].serial, mapper.cues().recentSounds[2].serial);
}

}  // namespace
}  // namespace trocar::feedback
