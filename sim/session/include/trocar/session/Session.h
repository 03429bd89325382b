#pragma once
// A Session is one run of a scenario: the World plus the fixed-tick bookkeeping that live
// runs and replays share. Session::step() is the one step both use, so a replay feeding the
// recorded InputFrames reproduces the live run bit for bit.
//
// Scoring, feedback and the recorder plug in as SessionListeners: each sees every tick's
// consumed input, its events, and (at checkpoints) the state hash, in tick order, on the
// sim thread.

#include <trocar/core/Clock.h>
#include <trocar/core/Hash.h>
#include <trocar/physics/World.h>

#include <optional>
#include <span>
#include <vector>

namespace trocar::session {

struct SessionSettings {
  physics::WorldSettings world;
  // A checkpoint (tick, state hash) every this many seconds of sim time; recordings store
  // them and replays compare them (DESIGN.md section 4: at least once a second).
  double checkpointIntervalSeconds = 1.0;
};

struct Checkpoint {
  Tick tick = 0;
  Hash64 stateHash = 0;
  bool operator==(const Checkpoint&) const = default;
};

// What a listener sees after each tick.
struct TickRecord {
  Tick tick = 0;  // the tick just completed (1 after the first step)
  const physics::InputFrame* input = nullptr;
  std::span<const physics::Event> events;
  const physics::World* world = nullptr;
  std::optional<Checkpoint> checkpoint;  // set on checkpoint ticks
};

class SessionListener {
 public:
  virtual ~SessionListener() = default;
  virtual void onTick(const TickRecord& record) = 0;
};

class Session {
 public:
  explicit Session(const SessionSettings& settings);

  // The world, for building the scene before the first step (the scenario loader does it).
  // Told of each phase of a tick, the world's and the session's own (bench); null for none.
  void setProfiler(physics::TickProfiler* profiler) {
    mProfiler = profiler;
    mWorld.setProfiler(profiler);
  }
  physics::World& world() { return mWorld; }
  const physics::World& world() const { return mWorld; }

  // Listeners are not owned and must outlive the session or be removed; called in the
  // order they were added.
  void addListener(SessionListener* listener);
  void removeListener(SessionListener* listener);

  // Advances exactly one tick; returns that tick's events (valid until the next step).
  const std::vector<physics::Event>& step(const physics::InputFrame& input);

  Tick tick() const { return mWorld.tick(); }
  double timeSeconds() const { return mWorld.timeSeconds(); }
  Tick checkpointIntervalTicks() const { return mCheckpointTicks; }
  const std::vector<Checkpoint>& checkpoints() const { return mCheckpoints; }

 private:
  physics::World mWorld;
  physics::TickProfiler* mProfiler = nullptr;
  Tick mCheckpointTicks;
  std::vector<Checkpoint> mCheckpoints;
  std::vector<SessionListener*> mListeners;
};

}  // namespace trocar::session
