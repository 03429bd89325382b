#pragma once
// World::Impl: the state behind World (World.h) and the systems that work on it, one file
// each under src/ (Box2D v3 is the model): World.cpp (bodies, tools, the tick), ContactStage.cpp,
// Grasp.cpp, Cut.cpp, Clip.cpp, Sensing.cpp (contacts, events, rigid objects) and Stability.cpp.
// Internal to sim/physics.

#include <trocar/core/Assert.h>
#include <trocar/core/Log.h>
#include <trocar/physics/Generators.h>
#include <trocar/physics/World.h>

#include "Contact.h"
#include "Embedding.h"
#include "Marking.h"
#include "Material.h"
#include "SoftBodySolver.h"
#include "TissueMesh.h"

#include <BulletCollision/CollisionShapes/btBoxShape.h>
#include <BulletCollision/CollisionShapes/btCapsuleShape.h>
#include <BulletCollision/CollisionShapes/btConvexHullShape.h>
#include <BulletCollision/CollisionShapes/btSphereShape.h>
#include <BulletDynamics/ConstraintSolver/btFixedConstraint.h>
#include <BulletDynamics/ConstraintSolver/btSequentialImpulseConstraintSolver.h>
#include <BulletSoftBody/btSoftBody.h>
#include <BulletSoftBody/btSoftBodyRigidBodyCollisionConfiguration.h>
#include <BulletSoftBody/btSoftRigidDynamicsWorld.h>
#include <btBulletDynamicsCommon.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace trocar::physics {

using detail::TissueMesh;

// Collision filter groups: tools and tissue never meet in Bullet (its soft-rigid contact
// tests nodes, not the drawn surface); they meet in the contact stage (Contact.h).
inline constexpr int kToolGroup = 1 << 6;
inline constexpr int kTissueGroup = 1 << 7;
// A capsule within this distance of a surface counts as touching it (sensing only).
inline constexpr float kSenseMargin = 0.0003f;

// Collision shapes get a 1 mm margin: Bullet's default 4 cm would swallow surgical scales.
inline constexpr float kShapeMargin = 0.001f;
inline constexpr float kSoftMargin = 0.001f;
inline constexpr float kSdfVoxel = 0.0025f;  // m, see Impl()
// How firmly a grasped object is held to the jaws (the grasp constraint's stop CFM and ERP).
constexpr btScalar kGraspCfm = 0.05f;
constexpr btScalar kGraspErp = 0.3f;

// Jaw hysteresis: closes above, opens below (trigger values).
inline constexpr float kJawCloseTrigger = 0.6f;
inline constexpr float kJawOpenTrigger = 0.4f;
// Angular coupling: orientation error is removed over this many ticks (velocity drive).
inline constexpr float kAngularResponseTicks = 4.0f;
inline constexpr float kMaxAngularSpeed = 20.0f;  // rad/s
// A released rigid object is "at rest" after this long below these speeds.
inline constexpr double kRestSeconds = 0.1;
inline constexpr float kClipHalfWidth = 0.0015f;  // m: half the thickness of what a clip takes
inline constexpr float kRestLinearSpeed = 0.02f;  // m/s
inline constexpr float kRestAngularSpeed = 0.5f;  // rad/s

inline btVector3 toBt(const Vec3& v) {
  return {v.x, v.y, v.z};
}
inline Vec3 toVec(const btVector3& v) {
  return {v.x(), v.y(), v.z()};
}
inline btQuaternion toBt(const Quat& q) {
  return {q.x, q.y, q.z, q.w};
}
inline Quat toQuat(const btQuaternion& q) {
  return Quat(q.w(), q.x(), q.y(), q.z());
}
inline btTransform toBt(const Pose& p) {
  return btTransform(toBt(p.orientation), toBt(p.position));
}
inline Pose toPose(const btTransform& t) {
  return {toVec(t.getOrigin()), toQuat(t.getRotation())};
}

inline bool finite(const btVector3& v) {
  return std::isfinite(v.x()) && std::isfinite(v.y()) && std::isfinite(v.z());
}

struct World::Impl {
  struct Tissue {
    std::string name;
    TissueKind kind;
    Material material;
    uint32_t iterations = 4;
    TissueMesh mesh;
    btSoftBody* body = nullptr;  // owned; rebuilt after cuts
    std::vector<std::string> regionNames;
    std::vector<NodeSelector> regionSelectors;
    std::vector<std::vector<uint32_t>> regionNodes;
    std::vector<std::vector<uint8_t>> regionMask;  // per region, per node
    std::vector<RegionForceStats> regionStats;
    std::vector<std::vector<Vec3>> cuts;
    std::vector<float> stress;
    uint32_t topologyVersion = 0;
    // Cloth tearing's per-tick check: each edge once with its limit, (3 x rest length)^2,
    // for the topology they were taken from.
    std::vector<std::array<uint32_t, 2>> tearEdges;
    std::vector<float> tearLimits;
    uint32_t tearEdgesVersion = 0xFFFFFFFFu;
    // The contact stage's: each node's Bullet links (CSR: node i's are linkIndex[linkStart[i]
    // .. linkStart[i + 1]]), for the body, sizes and topology they were taken from; and the
    // per-tick marks (nodes, links) it reuses.
    struct NodeLinks {
      std::vector<uint32_t> linkStart, linkIndex;
      const btSoftBody* body = nullptr;
      int nodeCount = -1, linkCount = -1;
      uint32_t version = 0xFFFFFFFFu;
      std::vector<uint8_t> nodeMark;
      std::vector<uint64_t> linkBits;
    };
    mutable NodeLinks nodeLinks;
    bool hasFixed = false;
    std::vector<uint32_t> reportedDetached;  // smallest node of each piece already reported
    std::vector<btVector3> goodX, goodV;     // last state that passed the stability guard
    uint32_t instabilities = 0;              // times the guard restored it
    std::vector<uint32_t> piece;             // piece per node (updated after cuts)
    uint32_t pieceCount = 1;
    std::optional<detail::Embedding> embedded;  // the detailed surface, through cuts
    detail::ContactSurface surface;             // what instruments touch (Contact.h)
    float yield = 1.0f;                         // how firmly it stops instruments (toolYield)
    bool vessel = false;
    float bleedMlPerS = 0.0f;
    std::vector<detail::LaidMarking> markings;
    // The drawn surface as loaded, near the markings: cut accuracy counts the points cuts made
    // on it (not those inside the tissue).
    std::vector<Vec3> markedRest;
    std::vector<std::array<uint32_t, 3>> markedTriangles;
  };

  // A point of a tissue's surface held between a grasper's jaws, at `local` in the tip frame.
  struct GraspPoint {
    uint32_t tissue = 0;
    detail::SurfacePoint point;
    btVector3 local{0, 0, 0};
  };

  struct Rigid {
    std::string name;
    RigidSettings settings;
    std::unique_ptr<btCollisionShape> shape;
    std::vector<std::unique_ptr<btCollisionShape>> parts;  // a compound shape's children
    std::unique_ptr<btRigidBody> body;
    bool released = false;  // let go by an instrument, not yet at rest
    uint32_t restTicks = 0;
    btTransform good;
  };

  struct Zone {
    TargetZoneSettings settings;
    std::vector<uint32_t> around;  // settings.around as rigid indices
  };

  struct Clip {
    std::unique_ptr<btCollisionShape> shape;
    std::unique_ptr<btRigidBody> body;
    uint32_t tissue;
    std::vector<uint32_t> nodes;
    // Sheets (peritoneum) the clip closed through on its way to the structure: held, not clipped.
    struct Held {
      uint32_t tissue;
      std::vector<uint32_t> nodes;
    };
    std::vector<Held> sheets;
  };

  struct Tool {
    bool present = false;
    InstrumentSettings settings;
    std::unique_ptr<btCollisionShape> shape;
    std::unique_ptr<btRigidBody> body;
    float comOffset = 0.0f;  // along local +Z from the tip to the body's centre
    InstrumentState state;
    Pose target;
    btVector3 prevTargetCom{0, 0, 0};
    bool hasTarget = false;
    bool armed = true;  // false after an exchange until the trigger is let go
    bool jawClosed = false;
    float openAngleAtClose = 0.0f;
    uint32_t graspTissue = kInvalidIndex;
    std::vector<uint32_t> graspNodes;  // the nodes carrying graspPoints, sorted
    std::vector<GraspPoint> graspPoints;
    uint32_t releasedTissue = kInvalidIndex;              // let go of and still between the jaws
    std::vector<detail::Capsule> capsules, prevCapsules;  // as drawn, now and a tick ago
    std::vector<detail::SurfaceContact> contacts;         // this tick's
    detail::SideMemory sides;                             // of the sheets it touched last tick
    uint32_t graspRigid = kInvalidIndex;
    std::unique_ptr<btTypedConstraint> graspConstraint;
    // An object just let go of: it and the tool do not collide until their boxes are apart
    // (the jaws opened round it; colliding where they still overlap would fling it away).
    uint32_t letGoRigid = kInvalidIndex;
    std::vector<uint32_t> touchedTissues;  // sorted, last tick
    uint32_t touchedRigid = kInvalidIndex;
    bool aboveDamage = false;
    bool outOfView = false;
    bool hasBlade = false;
    btVector3 bladeA, bladeB;  // scalpel edge at the previous tick
    // The scalpel's current stroke: one incision is many ticks of short sweeps.
    uint32_t strokeTissue = kInvalidIndex;
    size_t strokePath = 0;  // index into that tissue's cut paths
    Vec3 strokeLast{0.0f};
  };

  WorldSettings settings;
  btSoftBodyRigidBodyCollisionConfiguration collisionConfig;
  btCollisionDispatcher dispatcher{&collisionConfig};
  btDbvtBroadphase broadphase;
  btSequentialImpulseConstraintSolver solver;
  detail::SoftBodySolver softSolver;  // before world, which uses it until it is destroyed
  btSoftRigidDynamicsWorld world{&dispatcher, &broadphase, &solver, &collisionConfig, &softSolver};
  std::unique_ptr<btCollisionShape> groundShape;
  std::unique_ptr<btRigidBody> ground;
  std::unique_ptr<btCollisionShape> tableShape;
  std::unique_ptr<btRigidBody> table;
  std::vector<Tissue> tissues;
  std::vector<Rigid> rigids;
  std::vector<Zone> zones;
  std::vector<Clip> clips;
  // Bleeding (Bleeding.cpp): one source per open end of a cut vessel.
  struct Bleed {
    uint32_t tissue = 0;
    Vec3 position{0.0f};
    Vec3 side{0.0f};  // unit: from the cut towards the open end that bleeds
    float mlPerS = 0.0f;
    bool active = true;
    double ml = 0.0;  // lost from it so far
  };
  std::vector<Bleed> bleeds;
  double bloodLossMl = 0.0;
  std::array<Tool, kHandCount> tools;
  std::vector<detail::SurfaceContact> staticContacts;  // embedded surfaces on the table, this tick
  // Tissue pairs whose surfaces meet (collidesWith), and this tick's contacts between them: a
  // vertex of one inside the other, pushed out through both surfaces' weights.
  struct TissueContact {
    uint32_t a = 0, b = 0;
    detail::SurfacePoint onA, onB;
    btVector3 normal{0, 1, 0};  // B's outward normal at onB
  };
  std::vector<std::array<uint32_t, 2>> tissuePairs;
  std::vector<TissueContact> tissueContacts;
  // This tick's contacts of embedded surfaces (which Bullet does not see) with rigid objects
  // as drawn: a vertex inside the object, pushed out; a dynamic object takes its share.
  struct RigidContact {
    uint32_t tissue = 0, rigid = 0;
    detail::SurfacePoint point;
    btVector3 normal{0, 1, 0}, on{0, 0, 0};  // in the object's frame: outward, its surface
  };
  std::vector<RigidContact> rigidContacts;
  std::array<std::vector<InstrumentSettings>, kHandCount> trays;
  std::array<uint32_t, kHandCount> trayIndex{};
  std::vector<Event> events;
  float dt;
  Tick tick = 0;

  explicit Impl(const WorldSettings& s);

  ~Impl();

  void removeTool(Tool& tool);

  // ---- tissue bodies ----------------------------------------------------------------

  // Builds (or rebuilds) the Bullet body from the mesh. Links get rest lengths from the
  // rest positions; then nodes move to `x`/`v` (the current state) when given.
  void buildBody(Tissue& t, const std::vector<Vec3>* x, const std::vector<Vec3>* v);

  void saveGood(Tissue& t);

  void currentState(const Tissue& t, std::vector<Vec3>& x, std::vector<Vec3>& v) const;

  void computeRegions(Tissue& t);
  // Clears the contact points cached between two bodies (Bullet keeps a pair's points while
  // the pair is not collided, and its solver still uses them).
  void forgetContacts(const btCollisionObject* a, const btCollisionObject* b);
  // Ends Tool::letGoRigid's truce: the tool and that object collide again.
  void rejoin(Tool& tool);
  // Lays the tissue's markings on its drawn surface (TissueSettings::markings).
  Result<void> layMarkings(Tissue& t, const TissueSettings& s);
  // Lays a flat cloth mesh over the drawn surfaces of the tissues ClothGeometry::drapeOver
  // names (World.cpp).
  Result<void> drapeCloth(const std::string& name, const ClothGeometry& g, TissueMesh& mesh);

  // Profiling (bench): the phase the tick is in, told to the profiler when it changes.
  TickProfiler* profiler = nullptr;
  TickPhase phase = TickPhase::kInput;
  void enter(TickPhase p) {
    if (!profiler) return;
    phase = p;
    profiler->enter(p);
  }
  // A nested phase (a cut inside the hands' phase): entered now, left when the scope ends.
  struct PhaseScope {
    Impl& w;
    TickPhase saved;
    PhaseScope(Impl& world, TickPhase p) : w(world), saved(world.phase) { w.enter(p); }
    ~PhaseScope() { w.enter(saved); }
    PhaseScope(const PhaseScope&) = delete;
    PhaseScope& operator=(const PhaseScope&) = delete;
  };
  std::vector<uint32_t> regionsOf(const Tissue& t, const std::vector<uint32_t>& nodes) const;

  // ---- anchors ------------------------------------------------------------------------

  void anchorNodes(Tissue& t, const std::vector<uint32_t>& nodes, btRigidBody* body);

  bool heldByAnyTool(uint32_t rigid) const;

  void releaseGrasp(Tool& tool);

  // ---- per-tick work ----------------------------------------------------------------

  btTransform toolTipTransform(const Tool& tool) const {
    btTransform com = tool.body->getWorldTransform();
    return com * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, -tool.comOffset));
  }

  void drive(Tool& tool, const HandInput& hand);

  Hand handOf(const Tool& tool) const { return &tool == &tools[0] ? Hand::kLeft : Hand::kRight; }

  Event makeEvent(EventKind kind, const Tool* tool) const {
    Event e;
    e.tick = tick;
    e.kind = kind;
    if (tool) e.hand = handOf(*tool);
    return e;
  }

  // The tissue's contact surface, built for its current topology (Contact.h): the embedded
  // detailed surface until a cut changes the tets, else the mesh's own faces.
  detail::ContactSurface& surfaceOf(Tissue& t);

  // Closing jaws take the surface between them: the points of the nearest tissue's contact
  // surface closest to the jaws' footprint (5 x 3 points over their length and width), each
  // within the grasp reach. The nearest tissue wins, so jaws on skin take the
  // skin, not the skull beneath. Returns false when no surface is within reach.
  bool graspSurface(Tool& tool);

  // Jaws closing: a grasper grasps (the surface, else a rigid object), scissors snip, a clip
  // applier closes a clip.
  void onJawClose(Tool& tool);
  // The dynamic rigid object between the jaws, fixed to them; false when there is none.
  bool graspRigidObject(Tool& tool);
  // Scissors closing: the blades cut what lies across the plane they swept.
  void snip(Tool& tool);
  // A clip applier closing: the clip goes on the tissue across its jaws.
  void closeClip(Tool& tool);

  void onJawOpen(Tool& tool);

  void applyClip(Tool& tool, uint32_t ti, const std::vector<uint32_t>& nodes, const btVector3& centre);

  // After the mesh changed: a new Bullet body from it, and what held the tissue (grasps and
  // clips: node indices are stable) attached again.
  void rebuild(uint32_t ti, const std::vector<Vec3>& x, const std::vector<Vec3>& v);

  // A sheet tears where it is stretched past kTearStretch: the faces on such a link go. A
  // thread of gauze left between two cuts cannot carry the cut-out piece hanging from it
  // (springs stretched that far also make the solver blow up).
  void tearOverstretched(uint32_t ti);

  uint32_t cut(uint32_t ti, const std::array<Vec3, 4>& quad, Tool* tool, bool sweep = false);

  // Whether p lies inside the tissue's drawn (embedded) surface, refreshed this tick: the
  // nearest face a ray from p meets faces away from p.
  bool insideDrawn(uint32_t ti, const btVector3& p);

  // Bleeding: a cut vessel starts a source for each side of the cut (plane `normal`, `centre`)
  // that no clip on it closes; a clip closing a side stops its sources; each tick adds what
  // the open sources lose.
  void startBleeding(uint32_t ti, const Vec3& normal, const Vec3& centre, const Vec3& at, const Tool* tool);
  void stopBleeding(uint32_t ti, const btVector3& clipCentre);

  void bleed();

  // A piece is detached when it holds no fixed node while the tissue has some; without
  // fixed nodes, every piece but the largest (ties: the one with the lowest node) is.
  void reportDetached(uint32_t ti, const Tool* tool);

  void scalpelSweep(Tool& tool);

  void senseContacts(Tool& tool);

  // Inside the laparoscope's picture: its frustum, between its near and far planes.
  bool inCameraView(const Vec3& point) const;

  void trackRigids();

  // ---- the contact stage (Contact.h) --------------------------------------------------
  //
  // After Bullet's step: find where each instrument's capsules touch each tissue's contact
  // surface (swept from the last tick); then, for the tissue's solver iterations, push the
  // touched surface points out of the tools and pull grasped points onto the jaws (through
  // the weights that carry them) interleaved with Bullet's own link projection, so the
  // tissue around gives way as a whole. Whatever the tissue could not make room for (it is
  // pinned, taut or lies on the table) moves the tool back instead: the tool stops on the
  // surface while the hand goes on, and the virtual coupling's spring is what the trainee
  // feels. The node velocities take the displacement, as in position-based dynamics.
  void resolveContacts();

  // A vertex of one tissue's surface within kTissueDepth behind the other's closed surface
  // (its nearest face, facing it) is a contact, both ways round.
  void findTissueContacts(std::vector<uint8_t>& refreshed, std::vector<uint8_t>& involved, bool& any);

  // Pushes each tissue contact's vertex out of the other surface, shared by inverse mass.
  void separateTissues();

  // Vertices of embedded surfaces inside rigid objects (see rigidContacts).
  void findRigidContacts(std::vector<uint8_t>& refreshed, std::vector<uint8_t>& involved, bool& any);
  // Pushes them out, shared by inverse mass (a static or held object does not give way); the
  // objects pushed are recorded in `shifts`.
  void separateRigids(std::vector<btVector3>& shifts);

  // The links the contact stage projects: those with a node within kLocalReach of a contact
  // or held point, or carrying one. Tissue further away already had Bullet's projection this
  // tick; only the neighbourhood of a contact needs the extra passes.
  static constexpr float kLocalReach = 0.03f;
  struct Local {
    std::vector<int> nodes;  // moved by the stage (velocity update)
    std::vector<int> links;  // projected by it
  };
  Local localRegion(uint32_t ti) const;

  // Bullet's link projection (btSoftBody::PSolve_Links, stiffness 1) over some links.
  static void projectLinks(btSoftBody& body, const std::vector<int>& links);

  void solveContacts(const std::vector<uint8_t>& involved);

  // NaN / runaway guard: a body that went bad gets its last good state back.
  void guardStability();

  void decayStress();
};

}  // namespace trocar::physics
