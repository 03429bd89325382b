#include <trocar/core/Assert.h>
#include <trocar/session/Session.h>

#include <algorithm>

namespace trocar::session {

Session::Session(const SessionSettings& settings)
    : mWorld(settings.world),
      mCheckpointTicks(std::max<Tick>(
          1, FixedStepClock(settings.world.tickHz).ticksIn(settings.checkpointIntervalSeconds))) {
  TROCAR_PRECONDITION(settings.checkpointIntervalSeconds > 0.0, "checkpoint interval must be positive");
}

void Session::addListener(SessionListener* listener) {
  TROCAR_PRECONDITION(listener != nullptr, "listener must not be null");
  mListeners.push_back(listener);
}

void Session::removeListener(SessionListener* listener) {
  mListeners.erase(std::remove(mListeners.begin(), mListeners.end(), listener), mListeners.end());
}

const std::vector<physics::Event>& Session::step(const physics::InputFrame& given) {
  // A scope pose equal to where the scope is says nothing: dropped, so recordings only carry
  // the moves.
  const physics::InputFrame* in = &given;
  physics::InputFrame sparse;
  if (given.scope) {
    const std::optional<Pose> now = mWorld.scopePose();
    if (!now || (now->position == given.scope->position && now->orientation == given.scope->orientation)) {
      sparse = given;
      sparse.scope.reset();
      in = &sparse;
    }
  }
  const physics::InputFrame& input = *in;
  const auto& events = mWorld.step(input);
  TickRecord record;
  record.tick = mWorld.tick();
  record.input = &input;
  record.events = events;
  record.world = &mWorld;
  if (record.tick % mCheckpointTicks == 0) {
    if (mProfiler) mProfiler->enter(physics::TickPhase::kCheckpoint);
    record.checkpoint = Checkpoint{record.tick, mWorld.stateHash()};
    mCheckpoints.push_back(*record.checkpoint);
  }
  if (mProfiler) mProfiler->enter(physics::TickPhase::kListeners);
  for (SessionListener* listener : mListeners) listener->onTick(record);
  return events;
}

}  // namespace trocar::session
