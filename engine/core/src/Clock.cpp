#include <trocar/core/Assert.h>
#include <trocar/core/Clock.h>

#include <cmath>

namespace trocar {

FixedStepClock::FixedStepClock(uint32_t tickHz) : mTickHz(tickHz) {
  TROCAR_PRECONDITION(tickHz >= kMinTickHz && tickHz <= kMaxTickHz, "tick rate must be within [50, 1000] Hz");
}

Tick FixedStepClock::tickAtOrAfter(double seconds) const {
  if (!(seconds > 0.0)) return 0;
  // Multiply then ceil; the small epsilon keeps exact multiples (0.1 s at 500 Hz = 50)
  // from rounding up because 0.1 is not representable.
  return static_cast<Tick>(std::ceil(seconds * mTickHz - 1e-9));
}

Tick FixedStepClock::ticksIn(double seconds) const {
  if (!(seconds > 0.0)) return 0;
  return static_cast<Tick>(std::floor(seconds * mTickHz + 1e-9));
}

FixedStepAccumulator::FixedStepAccumulator(const FixedStepClock& clock, double maxLagSeconds)
    : mDt(clock.dtSeconds()), mMaxLag(maxLagSeconds) {
  TROCAR_PRECONDITION(maxLagSeconds > 0.0, "maxLagSeconds must be positive");
}

uint32_t FixedStepAccumulator::advance(double elapsedSeconds) {
  TROCAR_PRECONDITION(elapsedSeconds >= 0.0, "elapsed time cannot be negative");
  mAccumulated += elapsedSeconds;
  if (mAccumulated > mMaxLag) {
    mDropped += mAccumulated - mMaxLag;
    mAccumulated = mMaxLag;
  }
  uint32_t ticks = static_cast<uint32_t>(mAccumulated / mDt);
  mAccumulated -= ticks * mDt;
  if (mAccumulated < 0.0) mAccumulated = 0.0;
  return ticks;
}

double FixedStepAccumulator::alpha() const {
  double a = mAccumulated / mDt;
  return a < 1.0 ? a : 0.999999;
}

}  // namespace trocar
