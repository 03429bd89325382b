// The application glue without devices: snapshot interpolation for the display, the desktop
// rig's hand placement (the inverse of the instrument's hand -> tip mapping), the field centre.
#include "DesktopRig.h"
#include "LiveSession.h"

#include <trocar/instruments/Instrument.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace trocar::app {
namespace {

physics::WorldSnapshot twoNodeSnapshot(float x, uint32_t topology) {
  physics::WorldSnapshot s;
  s.tissues.resize(1);
  s.tissues[0].positions = {Vec3(x, 0.0f, 0.0f), Vec3(x, 1.0f, 0.0f)};
  s.tissues[0].topologyVersion = topology;
  s.rigids = {Pose{{x, 0.0f, 0.0f}, Quat(1, 0, 0, 0)}};
  s.instruments[0].present = true;
  s.instruments[0].tipPose.position = Vec3(0.0f, x, 0.0f);
  s.instruments[0].jawAngle = x;
  return s;
}

TEST(Interpolate, BlendsNodesPosesAndJaws) {
  const auto a = twoNodeSnapshot(0.0f, 3);
  const auto b = twoNodeSnapshot(1.0f, 3);
  physics::WorldSnapshot out;
  interpolateSnapshot(a, b, 0.25f, out);
  EXPECT_FLOAT_EQ(out.tissues[0].positions[0].x, 0.25f);
  EXPECT_FLOAT_EQ(out.tissues[0].positions[1].y, 1.0f);
  EXPECT_FLOAT_EQ(out.rigids[0].position.x, 0.25f);
  EXPECT_FLOAT_EQ(out.instruments[0].tipPose.position.y, 0.25f);
  EXPECT_FLOAT_EQ(out.instruments[0].jawAngle, 0.25f);
}

TEST(Interpolate, ACutInBetweenShowsTheNewTopology) {
  const auto a = twoNodeSnapshot(0.0f, 3);
  auto b = twoNodeSnapshot(1.0f, 4);  // a cut happened: nodes no longer correspond
  b.tissues[0].positions.push_back(Vec3(5.0f));
  physics::WorldSnapshot out;
  interpolateSnapshot(a, b, 0.5f, out);
  ASSERT_EQ(out.tissues[0].positions.size(), 3u);
  EXPECT_FLOAT_EQ(out.tissues[0].positions[0].x, 1.0f) << "b as it is";
  EXPECT_FLOAT_EQ(out.rigids[0].position.x, 0.5f) << "rigid poses still blend";
}

// Whatever tip the desktop asks for, the instrument model puts the tip there: through the
// port for laparoscopic hands, free for open ones.
TEST(DesktopHands, HandForTipIsTheInverseOfTipFromHand) {
  auto loaded = scenario::loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                           "scenarios/fls-pattern-cutting/scenario.yaml");
  ASSERT_TRUE(loaded.ok());
  const scenario::ScenarioDesc& s = *loaded.scenario;
  const Vec3 viewer(0.0f, 1.5f, 0.2f);
  for (int hand = 0; hand < 2; ++hand) {
    const auto& setup = s.instruments.at(static_cast<instruments::Hand>(hand));
    const instruments::InstrumentSpec spec = instruments::defaultSpec(setup.kind);
    const instruments::Port* port = nullptr;
    for (const auto& p : s.ports) {
      if (p.id == setup.port) port = &p;
    }
    ASSERT_NE(port, nullptr);
    for (const Vec3 tip :
         {Vec3(0.0f, 1.0f, -0.45f), Vec3(0.03f, 0.98f, -0.42f), Vec3(-0.04f, 1.02f, -0.5f)}) {
      const Pose h = handForTip(s, hand, tip, viewer);
      const Pose reached = instruments::tipTargetFromHand(h, spec, port);
      EXPECT_NEAR(glm::length(reached.position - tip), 0.0f, 1e-4f) << "hand " << hand;
    }
  }
  // Open surgery (no ports): the tool comes from the viewer's side and still lands on the tip.
  scenario::ScenarioDesc open = s;
  open.ports.clear();
  for (auto& [hand, setup] : open.instruments) setup.port.clear();
  const Vec3 tip(0.01f, 0.95f, -0.4f);
  const Pose h = handForTip(open, 1, tip, viewer);
  const Pose reached = instruments::tipTargetFromHand(
      h, instruments::defaultSpec(open.instruments.at(instruments::Hand::kRight).kind), nullptr);
  EXPECT_NEAR(glm::length(reached.position - tip), 0.0f, 1e-4f);
  EXPECT_GT(h.position.y, tip.y) << "the hand is above the field";
}

TEST(DesktopHands, FieldCenterIsTheGauze) {
  auto loaded = scenario::loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                           "scenarios/fls-pattern-cutting/scenario.yaml");
  ASSERT_TRUE(loaded.ok());
  const Vec3 c = fieldCenter(*loaded.scenario);
  EXPECT_NEAR(c.x, 0.0f, 1e-6f);
  EXPECT_NEAR(c.y, 1.0f, 1e-6f);
  EXPECT_NEAR(c.z, -0.45f, 1e-6f);
}

}  // namespace
}  // namespace trocar::app

#include <trocar/replay/Recorder.h>
#include <trocar/test/TestSupport.h>

#include <thread>

namespace trocar::app {
namespace {

// A rig with no display: frames every 10 ms; N at frame 10 ends the first attempt (its
// debrief), N again at frame 12 starts the second; the session ends at frame 30. Its right
// hand holds still above the gauze.
class FakeRig final : public xr::Rig {
 public:
  std::string name() const override { return "fake"; }
  void configureContext(render::ContextSettings&) override {}
  Result<void> start(render::Context&) override { return {}; }
  Result<xr::RigFrame> beginFrame() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    xr::RigFrame f;
    ++frames;
    f.running = frames <= 30 && !exit;
    f.restartRequested = frames == 10 || frames == 12;
    f.shouldRender = false;
    f.hands[1].tracked = true;
    f.hands[1].grip = Pose{{0.15f, 1.3f, -0.27f}, Quat(1, 0, 0, 0)};
    return f;
  }
  render::RenderTarget* target() override { return nullptr; }
  Result<void> endFrame() override { return {}; }
  void applyHaptic(xr::HandSide, const xr::HapticPulse&) override {}
  void requestExit() override { exit = true; }
  void stop() override {}
  int frames = 0;
  bool exit = false;
};

// Each finished attempt gets its extra debrief lines (a curriculum's standing) once, in order.
TEST(LiveSession, EachAttemptsDebriefGetsItsExtraLinesOnce) {
  auto loaded = scenario::loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                           "scenarios/fls-pattern-cutting/scenario.yaml");
  ASSERT_TRUE(loaded.ok());
  LiveSettings settings;
  std::vector<double> ended;  // each attempt's task time, as the hook saw it
  settings.debriefExtra = [&ended](const scoring::ScoreReport& r) {
    ended.push_back(r.taskTimeS);
    return std::vector<std::string>{"attempt " + std::to_string(ended.size())};
  };
  FakeRig rig;
  std::atomic<bool> stop{false};
  auto outcome = runLive(*loaded.scenario, rig, settings, stop);
  ASSERT_TRUE(outcome.ok()) << outcome.error().toString();
  ASSERT_EQ(ended.size(), 2u);  // N ended the first attempt; the session's end the second
  EXPECT_EQ(ended[0], outcome.value().earlier.at(0).report.taskTimeS);
  EXPECT_EQ(ended[1], outcome.value().report.taskTimeS);
}

TEST(LiveSession, RestartFinishesTheAttemptAndRecordsBoth) {
  auto loaded = scenario::loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                           "scenarios/fls-pattern-cutting/scenario.yaml");
  ASSERT_TRUE(loaded.ok());
  test::TempDir dir;
  LiveSettings settings;
  settings.recording = dir / "run.trec";
  FakeRig rig;
  std::atomic<bool> stop{false};
  auto outcome = runLive(*loaded.scenario, rig, settings, stop);
  ASSERT_TRUE(outcome.ok()) << outcome.error().toString();
  ASSERT_EQ(outcome.value().earlier.size(), 1u);
  EXPECT_EQ(outcome.value().earlier[0].recording, dir / "run.trec");
  ASSERT_EQ(outcome.value().recordings.size(), 1u);
  EXPECT_EQ(outcome.value().recordings[0], dir / "run-attempt2.trec");
  EXPECT_GT(outcome.value().ticks, 0u);
  // Both recordings are complete (footer) and replay to their reports.
  for (const auto& file : {dir / "run.trec", dir / "run-attempt2.trec"}) {
    auto rec = replay::readRecording(file);
    ASSERT_TRUE(rec.ok()) << rec.error().toString();
    EXPECT_TRUE(rec.value().complete()) << file;
    auto replayed = replay::replayRecording(rec.value(), *loaded.scenario, file.string());
    EXPECT_NE(replayed.status, replay::ReplayStatus::kDivergence) << file;
    EXPECT_NE(replayed.status, replay::ReplayStatus::kBadInput) << file;
  }
}

// The debrief names what to work on: of the expert benchmark's metrics, how many were met and
// the ones that were not, with the experts' threshold.
TEST(Debrief, SaysWhichBenchmarkMetricsWereNotMet) {
  scoring::ScoreReport r;
  r.taskTimeS = 68.44;
  r.benchmark = {{"task_time_s", 68.44, 44.27, scenario::Better::kLower, false},
                 {"pegs_dropped", 0.0, 0.0, scenario::Better::kLower, true},
                 {"smoothness_ldlj", std::nullopt, -11.6, scenario::Better::kHigher, false}};
  r.benchmarkRequired = true;
  const std::vector<std::string> lines = debriefLines(r, false);
  auto has = [&](const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l == text; });
  };
  EXPECT_TRUE(has("Expert benchmark: 1 of 3 met (all are needed to pass)"));
  EXPECT_TRUE(has("  not met: task time 68.44 s (experts: <= 44.27 s)"));
  EXPECT_TRUE(has("  not met: smoothness (LDLJ), not measured (experts: >= -11.60)"));
}

// A hand that jumps to each display frame's pose would yank its instrument; the ramp takes it
// there in a straight line over the ticks the frame before took (8 at 60 Hz against 500 Hz):
// 1/8 of the way a tick. A jump over 5 cm (tools reset) or an untracked hand goes at once;
// buttons and triggers pass as they come.
TEST(InputRamp, HandsMoveBetweenFramesInAStraightLine) {
  InputRamp ramp;
  physics::InputFrame a;
  a.hands[1].pose.position = Vec3(0.0f);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(ramp.next(a, 1).hands[1].pose.position, Vec3(0.0f));
  physics::InputFrame b = a;
  b.hands[1].pose.position = Vec3(0.008f, 0.0f, 0.0f);
  b.hands[1].trigger = 1.0f;
  for (int i = 1; i <= 8; ++i) {
    const physics::InputFrame out = ramp.next(b, 2);
    EXPECT_NEAR(out.hands[1].pose.position.x, 0.001f * static_cast<float>(i), 1e-7f) << i;
    EXPECT_EQ(out.hands[1].trigger, 1.0f);
  }
  EXPECT_NEAR(ramp.next(b, 2).hands[1].pose.position.x, 0.008f, 1e-7f) << "there it stays";
  physics::InputFrame far = b;
  far.hands[1].pose.position = Vec3(0.1f, 0.0f, 0.0f);
  EXPECT_EQ(ramp.next(far, 3).hands[1].pose.position.x, 0.1f) << "a reset goes at once";
}

}  // namespace
}  // namespace trocar::app
