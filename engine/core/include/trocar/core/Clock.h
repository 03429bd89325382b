#pragma once
// Fixed-step time. Inside sim/ time is tick_index * dt and nothing else: no wall clock.
// The app loop uses FixedStepAccumulator to decide how many ticks a frame owes; the
// leftover stays with the caller (for interpolation), dt never stretches.

#include <cstdint>

namespace trocar {

using Tick = uint64_t;

constexpr uint32_t kMinTickHz = 50;
constexpr uint32_t kMaxTickHz = 1000;
constexpr uint32_t kDefaultTickHz = 500;

class FixedStepClock {
 public:
  // tickHz must lie in [kMinTickHz, kMaxTickHz] (precondition).
  explicit FixedStepClock(uint32_t tickHz = kDefaultTickHz);

  uint32_t tickHz() const { return mTickHz; }
  double dtSeconds() const { return 1.0 / mTickHz; }
  float dt() const { return static_cast<float>(dtSeconds()); }

  // Exact: seconds = tick / tickHz, computed in double without accumulation.
  double secondsAt(Tick tick) const { return static_cast<double>(tick) / mTickHz; }
  // The first tick at or after `seconds` (ceil); negative times map to tick 0.
  Tick tickAtOrAfter(double seconds) const;
  // Ticks that fit in `seconds` (floor); negative times give 0.
  Tick ticksIn(double seconds) const;

 private:
  uint32_t mTickHz;
};

// Real-time pacing for live runs: feed it wall-clock frame time, it says how many
// fixed ticks to run now. If the sim falls more than `maxLagSeconds` behind, the
// excess is dropped and reported through droppedSeconds() instead of being replayed
// in a burst (a live session then runs slower than real time, visibly, never faster).
class FixedStepAccumulator {
 public:
  explicit FixedStepAccumulator(const FixedStepClock& clock, double maxLagSeconds = 0.25);

  // Adds elapsed wall time (seconds, >= 0) and returns the ticks now due.
  uint32_t advance(double elapsedSeconds);
  // Fraction of a tick left over, in [0, 1): the renderer's interpolation factor.
  double alpha() const;
  double droppedSeconds() const { return mDropped; }

 private:
  double mDt;
  double mMaxLag;
  double mAccumulated = 0.0;
  double mDropped = 0.0;
};

}  // namespace trocar
