#pragma once
// The physical world of a session: Bullet soft bodies (tissue), rigid objects, the
// instruments and their virtual coupling, grasping, cutting, clips, forces and events.
//
// Threading: a World is used from one thread (the sim thread). Determinism: the same
// settings, the same calls in the same order and the same InputFrames give bit-identical
// state hashes, in any process (single-threaded Bullet, no wall clock, fixed tick).
//
// Usage:
//   World world(settings);
//   TissueId gauze = world.addTissue(clothSettings).value();
//   world.setInstrument(Hand::kRight, scissorsSettings);
//   for (...) { const auto& events = world.step(frame); }

#include <trocar/core/Hash.h>
#include <trocar/core/Result.h>
#include <trocar/physics/Profile.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/physics/Types.h>

#include <memory>
#include <span>
#include <string_view>

namespace trocar::physics {

class World {
 public:
  explicit World(const WorldSettings& settings);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // ---- Building (before the first step; adding later is allowed but changes the hash) ----

  // Fails with kInvalidInput for bad geometry (no nodes, an index out of range, an inverted
  // tet, a region or fixed set that selects no node) naming the tissue and what to fix.
  Result<TissueId> addTissue(const TissueSettings& settings);
  Result<RigidId> addRigid(const RigidSettings& settings);
  // Fails with kInvalidInput where `around` names no static object added before.
  Result<ZoneId> addTargetZone(const TargetZoneSettings& settings);
  // Puts an instrument in a hand (replacing any). Its body starts at the hand's first target.
  void setInstrument(Hand hand, const InstrumentSettings& settings);
  // The instruments a hand can exchange between (the first is put in the hand now). Each
  // tick the hand's input names one by index (HandInput::instrument); when that changes the
  // old one lets go of what it holds and comes out, and the new one goes in at the hand.
  void setInstrumentTray(Hand hand, std::vector<InstrumentSettings> tray);
  // Which of the tray's instruments the hand holds now (0 without a tray).
  uint32_t trayIndex(Hand hand) const;

  // ---- Stepping ---------------------------------------------------------------------

  // Advances exactly one tick of 1/tickHz seconds and returns that tick's events, in a
  // fixed order. The returned reference is valid until the next step().
  const std::vector<Event>& step(const InputFrame& input);

  Tick tick() const { return mTick; }
  double timeSeconds() const { return mClock.secondsAt(mTick); }
  const FixedStepClock& clock() const { return mClock; }

  // ---- Queries ----------------------------------------------------------------------

  // xxHash over every node position and velocity, rigid transform and velocity and
  // instrument state, in creation order. Equal hashes = bit-identical state.
  Hash64 stateHash() const;
  void snapshot(WorldSnapshot& out) const;
  // Where the laparoscope is now (InputFrame::scope moves it); unset without one.
  std::optional<Pose> scopePose() const;

  const InstrumentState& instrument(Hand hand) const;
  size_t tissueCount() const;
  size_t rigidCount() const;
  std::string_view tissueName(TissueId id) const;
  std::string_view rigidName(RigidId id) const;
  std::string_view zoneName(ZoneId id) const;
  std::optional<TissueId> findTissue(std::string_view name) const;
  std::optional<RigidId> findRigid(std::string_view name) const;
  // Region index within a tissue, by name.
  std::optional<uint32_t> findRegion(TissueId tissue, std::string_view name) const;
  std::string_view regionName(TissueId tissue, uint32_t region) const;

  // Tissue state (copied out): current node positions, velocities, rest positions, masses.
  size_t nodeCount(TissueId id) const;
  Vec3 nodePosition(TissueId id, uint32_t node) const;
  Vec3 nodeVelocity(TissueId id, uint32_t node) const;
  float nodeMass(TissueId id, uint32_t node) const;  // 0 for fixed nodes
  float totalMass(TissueId id) const;                // configured mass, fixed nodes included
  std::span<const uint32_t> regionNodes(TissueId id, uint32_t region) const;
  // Polylines of every cut made in this tissue (stage frame at the time of the cut).
  const std::vector<std::vector<Vec3>>& cutPaths(TissueId id) const;
  // Blood lost so far from cut vessels (TissueSettings::vessel), ml.
  double bloodLossMl() const;
  // Number of connected pieces (by shared nodes) and which piece each node belongs to.
  uint32_t pieceCount(TissueId id) const;
  // Rest (material) area in m^2 of the piece holding most of the region's nodes: after a
  // pattern cut, the area actually cut out, for FLS area-deviation scoring.
  double pieceRestArea(TissueId id, uint32_t region) const;
  // The tissue's markings as laid on its drawn surface (TissueSettings::markings), in order.
  std::vector<Marking> markings(TissueId id) const;
  // How the cuts followed a marking, measured at rest on the points the cuts made in the drawn
  // surface as it was loaded (on cloth every node a cut made; in a volume or pack those on its
  // outer surface, not the ones inside it). Points more than 1 cm from the line are approach
  // cuts (FLS lets the trainee cut in from the edge) and are left out. A stretch of the line
  // counts as cut where such a point lies within one mesh pitch of it (the mean edge length of
  // the surface under the line; a cloth's grid cell): a cut crosses an edge at least once a pitch.
  struct MarkingCutAccuracy {
    uint32_t points = 0;       // cut points within 1 cm of the line
    double meanMm = 0.0;       // their mean distance from the line
    double maxMm = 0.0;        // and the largest
    double fractionCut = 0.0;  // of the line's length, 0..1
  };
  MarkingCutAccuracy markingCutAccuracy(TissueId id, uint32_t marking) const;

  // Where a ray first meets what is drawn of the tissues (their contact surfaces: what
  // instruments touch), within `maxDistance` m: for aiming at visible points (bots, the desktop
  // rig, tests) instead of at simulation nodes. `direction` need not be unit length.
  struct SurfaceHit {
    TissueId tissue;
    Vec3 position{0.0f};
    Vec3 normal{0.0f};  // unit, facing the ray's origin
    float distance = 0.0f;
    Vec3 rest{0.0f};  // the same point of the tissue at rest (what selectors and regions test)
  };
  std::optional<SurfaceHit> castRay(const Vec3& origin, const Vec3& direction, float maxDistance = 1.0f,
                                    std::optional<TissueId> only = std::nullopt) const;

  Pose rigidPose(RigidId id) const;
  Vec3 rigidLinearVelocity(RigidId id) const;

  // Per-region force statistics since the start (for scoring).
  struct RegionForceStats {
    float peakForceN = 0.0f;
    double secondsAboveDamage = 0.0;
  };
  RegionForceStats regionForce(TissueId id, uint32_t region) const;

  // ---- Direct actions (tests, tools; the live path is step()) ----------------------

  // Cuts `tissue` with the planar quad (a, b, c, d), in order around its edge. Returns the
  // number of mesh edges split; the cut's events are in lastEvents().
  uint32_t cutWithQuad(TissueId tissue, const std::array<Vec3, 4>& quad);
  // Sets one node's velocity (m/s): perturbations in tools and tests. Takes effect next step.
  void setNodeVelocity(TissueId tissue, uint32_t node, const Vec3& velocity);
  // The events of the last step() or direct action.
  const std::vector<Event>& lastEvents() const;

  // ---- The three phases of step() ------------------------------------------------------
  //
  // step(input) is exactly beginTick(input); advancePhysics(); finishTick(). The phases are
  // public so `trocar bench sim` can time Bullet's share of the very same ticks from outside
  // (sim/ reads no clock). Call them in this order, once each per tick (preconditions).
  // Told of each phase a tick enters (bench); null (the default) for none.
  void setProfiler(TickProfiler* profiler);
  void beginTick(const InputFrame& input);  // instruments: coupling forces, jaw actions
  void advancePhysics();                    // one Bullet step of dt
  const std::vector<Event>& finishTick();   // contacts, forces, cuts, events, stability guard

 private:
  struct Impl;
  std::unique_ptr<Impl> mImpl;
  FixedStepClock mClock;
  Tick mTick = 0;
  bool mPhysicsPending = false;
  bool mSensePending = false;
};

}  // namespace trocar::physics
