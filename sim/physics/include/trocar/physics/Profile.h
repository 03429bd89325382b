#pragma once
// Where a tick's time goes, for `trocar bench`: the simulation says which phase it enters,
// the caller reads the clock (sim/ never reads one, so profiling cannot change a result).
//
//   struct Timer : TickProfiler { void enter(TickPhase p) override { ...clock... } };
//   world.setProfiler(&timer);   // or session.setProfiler(&timer)

#include <cstdint>

namespace trocar::physics {

enum class TickPhase : uint8_t {
  kInput,       // instrument exchange, hands driving the instruments
  kBullet,      // Bullet's step: soft-body and rigid solve
  kContact,     // Trocar's contact stage on the drawn surfaces
  kTools,       // jaws closing and opening: grasp, snip, clip; scalpel sweeps
  kSensing,     // contacts, forces, damage and view events per instrument
  kObjects,     // rigid objects: placed, dropped
  kGuard,       // the stability guard
  kTear,        // overstretched tissue tearing
  kCheckpoint,  // session: the state hash every checkpoint
  kListeners,   // session: scoring, feedback, recording
  kCount
};

const char* toString(TickPhase phase);

class TickProfiler {
 public:
  virtual ~TickProfiler() = default;
  // From now on the tick's time goes to `phase` (until the next call, or the tick's end).
  virtual void enter(TickPhase phase) = 0;
};

}  // namespace trocar::physics
