// Watching a recording back (WatchSession.h), without a window: the playback reaches any tick
// in the same state the recorded run had there, forwards or back, and the timeline's marks
// come from the scored run in tick order.
#include "WatchSession.h"

#include <trocar/replay/Recorder.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace trocar::app {
namespace {

struct Peg {
  scenario::ScenarioDesc scenario;
  replay::RecordingContents recording;
};

Peg pegNovice() {
  const std::filesystem::path dir = std::filesystem::path(TROCAR_SOURCE_DIR) / "scenarios/fls-peg-transfer";
  auto loaded = scenario::loadScenarioFile(dir / "scenario.yaml");
  EXPECT_TRUE(loaded.ok());
  auto rec = replay::readRecording(dir / "recordings/novice.trec");
  EXPECT_TRUE(rec.ok());
  return {*loaded.scenario, rec.value()};
}

TEST(Playback, SeeksForwardAndBackToTheRecordedStates) {
  const Peg peg = pegNovice();
  ASSERT_GE(peg.recording.checkpoints.size(), 3u);
  auto made = Playback::create(peg.scenario, peg.recording, "novice.trec");
  ASSERT_TRUE(made.ok()) << made.error().toString();
  Playback& p = *made.value();
  EXPECT_EQ(p.lastTick(), peg.recording.frames.size());
  const session::Checkpoint& second = peg.recording.checkpoints[1];
  const session::Checkpoint& third = peg.recording.checkpoints[2];
  // Forward in slices (as the window does): it stops after each slice, then arrives.
  auto step = p.stepTowards(third.tick, 100);
  ASSERT_TRUE(step.ok());
  EXPECT_FALSE(step.value());
  EXPECT_EQ(p.tick(), 100u);
  while (!p.stepTowards(third.tick, 100).value()) {
  }
  EXPECT_EQ(p.tick(), third.tick);
  EXPECT_EQ(p.world().stateHash(), third.stateHash);
  // Back: the world is rebuilt and replayed to the earlier tick, in the recorded state.
  ASSERT_TRUE(p.stepTowards(second.tick).value());
  EXPECT_EQ(p.tick(), second.tick);
  EXPECT_EQ(p.world().stateHash(), second.stateHash);
  EXPECT_FALSE(p.divergedAt().has_value());
  // The trainee's view there: the head of the frame consumed at that tick.
  EXPECT_EQ(p.head().position, peg.recording.frames[second.tick - 1].head.position);
  // Past the end: the end.
  ASSERT_TRUE(p.stepTowards(p.lastTick() + 1000, 1).ok());
  EXPECT_EQ(p.tick(), second.tick + 1);
}

TEST(Playback, AnAlteredRecordingSaysWhereItDiverges) {
  Peg peg = pegNovice();
  ASSERT_GE(peg.recording.checkpoints.size(), 2u);
  peg.recording.checkpoints[1].stateHash ^= 1u;  // as if another build had recorded it
  auto made = Playback::create(peg.scenario, peg.recording, "novice.trec");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(made.value()->stepTowards(peg.recording.checkpoints[1].tick + 10).value());
  ASSERT_TRUE(made.value()->divergedAt().has_value());
  EXPECT_EQ(*made.value()->divergedAt(), peg.recording.checkpoints[1].tick);
}

TEST(Timeline, MarksEachStepDoneAndEachErrorInTickOrder) {
  scoring::ScoreReport r;
  scoring::StepStatus a;
  a.title = "Lift";
  a.doneAtS = 2.0;
  scoring::StepStatus b;
  b.title = "Place";
  b.failedAtS = 3.5;
  scoring::StepStatus c;
  c.title = "Never";
  r.steps = {a, b, c};
  scoring::ErrorOccurrence e;
  e.title = "Dropped a peg";
  e.tick = 500;
  e.timeS = 1.0;
  r.errors = {e};
  const auto marks = timelineMarks(r, 500);
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_EQ(marks[0].tick, 500u);
  EXPECT_EQ(marks[0].kind, TimelineMark::Kind::kError);
  EXPECT_EQ(marks[0].label, "Error: Dropped a peg");
  EXPECT_EQ(marks[1].tick, 1000u);
  EXPECT_EQ(marks[1].label, "Done: Lift");
  EXPECT_EQ(marks[2].tick, 1750u);
  EXPECT_EQ(marks[2].kind, TimelineMark::Kind::kFailed);
}

}  // namespace
}  // namespace trocar::app
