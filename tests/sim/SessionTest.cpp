#include "SimTestUtil.h"

#include <trocar/session/Session.h>

#include <gtest/gtest.h>

namespace trocar::session {
namespace {

using physics::Event;
using physics::EventKind;
using physics::InputFrame;

struct Recorder : SessionListener {
  std::vector<Tick> ticks;
  std::vector<Checkpoint> checkpoints;
  std::vector<EventKind> events;
  void onTick(const TickRecord& r) override {
    ticks.push_back(r.tick);
    if (r.checkpoint) checkpoints.push_back(*r.checkpoint);
    for (const Event& e : r.events) events.push_back(e.kind);
  }
};

SessionSettings settings() {
  SessionSettings s;
  s.world.tickHz = 500;
  return s;
}

// 2.5 s at 500 Hz with 1 s checkpoints: checkpoints at ticks 500 and 1000, each the hash of
// the world right after that tick, and the listener sees every tick in order.
TEST(Session, ChecksPointsOncePerSecondAndFeedsListeners) {
  Session session(settings());
  physics::TissueId id = session.world().addTissue(physics::test::clothAt(0.1f, 8)).value();
  (void)id;
  Recorder recorder;
  session.addListener(&recorder);
  std::vector<Hash64> hashAt;
  for (int t = 0; t < 1250; ++t) {
    session.step(InputFrame{});
    if (session.tick() == 500 || session.tick() == 1000) hashAt.push_back(session.world().stateHash());
  }
  ASSERT_EQ(session.checkpoints().size(), 2u);
  EXPECT_EQ(session.checkpoints()[0].tick, 500u);
  EXPECT_EQ(session.checkpoints()[1].tick, 1000u);
  EXPECT_EQ(session.checkpoints()[0].stateHash, hashAt[0]);
  EXPECT_EQ(session.checkpoints()[1].stateHash, hashAt[1]);
  ASSERT_EQ(recorder.ticks.size(), 1250u);
  EXPECT_EQ(recorder.ticks.front(), 1u);
  EXPECT_EQ(recorder.ticks.back(), 1250u);
  EXPECT_TRUE(recorder.checkpoints == session.checkpoints());
}

// The session step is the world step: same inputs, same hashes as stepping a World directly.
TEST(Session, StepIsTheWorldStep) {
  Session session(settings());
  physics::World world(settings().world);
  session.world().addTissue(physics::test::clothAt(0.1f, 8)).value();
  world.addTissue(physics::test::clothAt(0.1f, 8)).value();
  for (int t = 0; t < 300; ++t) {
    session.step(InputFrame{});
    world.step(InputFrame{});
  }
  EXPECT_EQ(session.world().stateHash(), world.stateHash());
}

TEST(Session, RemovedListenersHearNothing) {
  Session session(settings());
  Recorder recorder;
  session.addListener(&recorder);
  session.step(InputFrame{});
  session.removeListener(&recorder);
  session.step(InputFrame{});
  EXPECT_EQ(recorder.ticks.size(), 1u);
}

// The laparoscope's pose reaches the listeners (the recorder) only when it moved: a rig that
// sends where the scope is every frame leaves a sparse recording.
TEST(Session, AScopePoseIsPassedOnOnlyWhenItMoved) {
  SessionSettings st = settings();
  physics::WorldSettings::Camera cam;
  cam.pose.position = {0.0f, 0.2f, 0.0f};
  st.world.camera = cam;
  Session session(st);
  struct Scopes : SessionListener {
    std::vector<Tick> moved;
    void onTick(const TickRecord& r) override {
      if (r.input && r.input->scope) moved.push_back(r.tick);
    }
  } scopes;
  session.addListener(&scopes);
  InputFrame in;
  in.scope = cam.pose;  // where it is
  for (int t = 0; t < 5; ++t) session.step(in);
  in.scope->position.x = 0.01f;  // moved at tick 6, then held there
  for (int t = 0; t < 5; ++t) session.step(in);
  EXPECT_EQ(scopes.moved, std::vector<Tick>{6});
  EXPECT_EQ(session.world().scopePose()->position.x, 0.01f);
}

}  // namespace
}  // namespace trocar::session
