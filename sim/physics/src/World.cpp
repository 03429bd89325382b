#include <trocar/core/Assert.h>
#include <trocar/core/Log.h>
#include <trocar/physics/World.h>

#include "Contact.h"
#include "Material.h"
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
#include <map>
#include <cmath>

namespace trocar::physics {
namespace {

using detail::TissueMesh;

// Collision filter groups: tools and tissue never meet in Bullet (its soft-rigid contact
// tests nodes, not the drawn surface); they meet in the contact stage (Contact.h).
constexpr int kToolGroup = 1 << 6;
constexpr int kTissueGroup = 1 << 7;
// A capsule within this distance of a surface counts as touching it (sensing only).
constexpr float kSenseMargin = 0.0003f;

// Collision shapes get a 1 mm margin: Bullet's default 4 cm would swallow surgical scales.
constexpr float kShapeMargin = 0.001f;
constexpr float kSoftMargin = 0.001f;
constexpr float kSdfVoxel = 0.0025f;  // m, see Impl()
// Jaw hysteresis: closes above, opens below (trigger values).
constexpr float kJawCloseTrigger = 0.6f;
constexpr float kJawOpenTrigger = 0.4f;
// Angular coupling: orientation error is removed over this many ticks (velocity drive).
constexpr float kAngularResponseTicks = 4.0f;
constexpr float kMaxAngularSpeed = 20.0f;  // rad/s
// A released rigid object is "at rest" after this long below these speeds.
constexpr double kRestSeconds = 0.1;
constexpr float kClipHalfWidth = 0.0015f;  // m: half the thickness of what a clip takes
constexpr float kRestLinearSpeed = 0.02f;  // m/s
constexpr float kRestAngularSpeed = 0.5f;  // rad/s

btVector3 toBt(const Vec3& v) {
  return {v.x, v.y, v.z};
}
Vec3 toVec(const btVector3& v) {
  return {v.x(), v.y(), v.z()};
}
btQuaternion toBt(const Quat& q) {
  return {q.x, q.y, q.z, q.w};
}
Quat toQuat(const btQuaternion& q) {
  return Quat(q.w(), q.x(), q.y(), q.z());
}
btTransform toBt(const Pose& p) {
  return btTransform(toBt(p.orientation), toBt(p.position));
}
Pose toPose(const btTransform& t) {
  return {toVec(t.getOrigin()), toQuat(t.getRotation())};
}

bool finite(const btVector3& v) {
  return std::isfinite(v.x()) && std::isfinite(v.y()) && std::isfinite(v.z());
}

}  // namespace

const char* toString(EventKind kind) {
  switch (kind) {
    case EventKind::kContactBegin: return "contact_begin";
    case EventKind::kContactEnd: return "contact_end";
    case EventKind::kGrasp: return "grasp";
    case EventKind::kRelease: return "release";
    case EventKind::kCut: return "cut";
    case EventKind::kDetached: return "detached";
    case EventKind::kClipApplied: return "clip_applied";
    case EventKind::kDropped: return "dropped";
    case EventKind::kPlaced: return "placed";
    case EventKind::kDamage: return "damage";
    case EventKind::kOutOfViewBegin: return "out_of_view_begin";
    case EventKind::kOutOfViewEnd: return "out_of_view_end";
    case EventKind::kInstability: return "instability";
  }
  return "?";
}

NodeSelector NodeSelector::sphere(Vec3 c, float r) {
  NodeSelector s;
  s.kind = Kind::kSphere;
  s.center = c;
  s.radius = r;
  return s;
}
NodeSelector NodeSelector::box(Vec3 c, Vec3 h) {
  NodeSelector s;
  s.kind = Kind::kBox;
  s.center = c;
  s.halfExtents = h;
  return s;
}
NodeSelector NodeSelector::circle(Vec2 c, float r) {
  NodeSelector s;
  s.kind = Kind::kMarkingCircle;
  s.center2d = c;
  s.radius = r;
  return s;
}
NodeSelector NodeSelector::nodes(std::vector<uint32_t> indices) {
  NodeSelector s;
  s.kind = Kind::kIndices;
  s.indices = std::move(indices);
  return s;
}
NodeSelector NodeSelector::corners() {
  NodeSelector s;
  s.kind = Kind::kCorners;
  return s;
}
NodeSelector NodeSelector::border() {
  NodeSelector s;
  s.kind = Kind::kBorder;
  return s;
}

// ---------------------------------------------------------------------------------------

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
    bool hasFixed = false;
    std::vector<uint32_t> reportedDetached;  // smallest node of each piece already reported
    std::vector<btVector3> goodX, goodV;     // last state that passed the stability guard
    uint32_t instabilities = 0;              // times the guard restored it
    std::vector<uint32_t> piece;             // piece per node (updated after cuts)
    uint32_t pieceCount = 1;
    std::optional<EmbeddedSurface> embedded;  // the detailed surface, until a cut
    detail::ContactSurface surface;           // what instruments touch (Contact.h)
    float yield = 1.0f;                       // how firmly it stops instruments (toolYield)
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
    std::unique_ptr<btRigidBody> body;
    bool released = false;  // let go by an instrument, not yet at rest
    uint32_t restTicks = 0;
    btTransform good;
  };

  struct Zone {
    TargetZoneSettings settings;
  };

  struct Clip {
    std::unique_ptr<btCollisionShape> shape;
    std::unique_ptr<btRigidBody> body;
    uint32_t tissue;
    std::vector<uint32_t> nodes;
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
    uint32_t releasedTissue = kInvalidIndex;  // let go of and still between the jaws
    std::vector<detail::Capsule> capsules, prevCapsules;  // as drawn, now and a tick ago
    std::vector<detail::SurfaceContact> contacts;         // this tick's
    detail::SideMemory sides;                             // of the sheets it touched last tick
    uint32_t graspRigid = kInvalidIndex;
    std::unique_ptr<btTypedConstraint> graspConstraint;
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
  btSoftRigidDynamicsWorld world{&dispatcher, &broadphase, &solver, &collisionConfig};
  std::unique_ptr<btCollisionShape> groundShape;
  std::unique_ptr<btRigidBody> ground;
  std::unique_ptr<btCollisionShape> tableShape;
  std::unique_ptr<btRigidBody> table;
  std::vector<Tissue> tissues;
  std::vector<Rigid> rigids;
  std::vector<Zone> zones;
  std::vector<Clip> clips;
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
  std::array<std::vector<InstrumentSettings>, kHandCount> trays;
  std::array<uint32_t, kHandCount> trayIndex{};
  std::vector<Event> events;
  float dt;
  Tick tick = 0;

  explicit Impl(const WorldSettings& s) : settings(s), dt(static_cast<float>(1.0 / s.tickHz)) {
    world.setGravity(toBt(s.gravity));
    btSoftBodyWorldInfo& info = world.getWorldInfo();
    info.m_gravity = toBt(s.gravity);
    info.air_density = 0;
    info.water_density = 0;
    info.m_broadphase = &broadphase;
    info.m_dispatcher = &dispatcher;
    info.m_sparsesdf.Initialize();
    // Soft-rigid contacts sample each rigid shape's signed distance on a sparse voxel grid.
    // Bullet's default voxel (0.25 m) cannot see a 2.5 mm instrument shaft at all. 2.5 mm
    // sees it (contacts begin within ~1 mm of the surface) at a tenth of the cost of 1 mm
    // voxels (measured: 20k-tick cloth soak 4.7 s vs 50 s).
    info.m_sparsesdf.setDefaultVoxelsz(kSdfVoxel);
    info.m_sparsesdf.Reset();
    // Ground: a big static box (a static plane lets soft bodies fall through; STACK.md).
    groundShape = std::make_unique<btBoxShape>(btVector3(2.0f, 0.05f, 2.0f));
    groundShape->setMargin(kShapeMargin);
    btRigidBody::btRigidBodyConstructionInfo ci(0.0f, nullptr, groundShape.get());
    ci.m_startWorldTransform.setOrigin(btVector3(0, s.groundHeight - 0.05f, 0));
    ci.m_friction = 0.8f;
    ground = std::make_unique<btRigidBody>(ci);
    world.addRigidBody(ground.get());
    if (s.table) {
      tableShape = std::make_unique<btBoxShape>(toBt(s.table->halfExtents));
      tableShape->setMargin(kShapeMargin);
      btRigidBody::btRigidBodyConstructionInfo tci(0.0f, nullptr, tableShape.get());
      tci.m_startWorldTransform.setOrigin(toBt(s.table->center));
      tci.m_friction = 0.8f;
      table = std::make_unique<btRigidBody>(tci);
      world.addRigidBody(table.get());
    }
  }

  ~Impl() {
    for (auto& tool : tools) removeTool(tool);
    for (auto& clip : clips) world.removeRigidBody(clip.body.get());
    for (auto& t : tissues) {
      world.removeSoftBody(t.body);
      delete t.body;
    }
    for (auto& r : rigids) world.removeRigidBody(r.body.get());
    world.removeRigidBody(ground.get());
    if (table) world.removeRigidBody(table.get());
  }

  void removeTool(Tool& tool) {
    if (!tool.present) return;
    releaseGrasp(tool);
    world.removeRigidBody(tool.body.get());
    // The soft-body SDF cache is keyed by shape address: forget this shape, or a new shape
    // allocated at the same address would be served its stale distances (and whether that
    // happens depends on the heap, which broke cross-process determinism).
    world.getWorldInfo().m_sparsesdf.RemoveReferences(tool.shape.get());
    tool = Tool{};
  }

  // ---- tissue bodies ----------------------------------------------------------------

  // Builds (or rebuilds) the Bullet body from the mesh. Links get rest lengths from the
  // rest positions; then nodes move to `x`/`v` (the current state) when given.
  void buildBody(Tissue& t, const std::vector<Vec3>* x, const std::vector<Vec3>* v) {
    if (t.body) {
      world.removeSoftBody(t.body);
      delete t.body;
      t.body = nullptr;
    }
    const TissueMesh& mesh = t.mesh;
    std::vector<btVector3> rest(mesh.nodeCount());
    for (size_t i = 0; i < rest.size(); ++i) rest[i] = toBt(mesh.rest[i]);
    std::vector<float> masses = mesh.nodeMasses(t.material.massKg);
    std::vector<btScalar> m(masses.begin(), masses.end());
    auto* body = new btSoftBody(&world.getWorldInfo(), static_cast<int>(rest.size()), rest.data(), m.data());
    detail::applyMaterial(*body, t.material, t.kind, t.iterations);
    for (const auto& e : mesh.edges()) body->appendLink(static_cast<int>(e[0]), static_cast<int>(e[1]));
    for (const auto& f : mesh.triangles) {
      body->appendFace(static_cast<int>(f[0]), static_cast<int>(f[1]), static_cast<int>(f[2]));
    }
    for (const auto& tet : mesh.tets) {
      body->appendTetra(static_cast<int>(tet[0]), static_cast<int>(tet[1]), static_cast<int>(tet[2]),
                        static_cast<int>(tet[3]));
    }
    if (t.kind != TissueKind::kVolumetric && t.material.bend > 0.0f) {
      btSoftBody::Material* bend = body->appendMaterial();
      bend->m_kLST = std::clamp(t.material.bend, 0.0f, 1.0f);
      bend->m_kAST = bend->m_kLST;
      bend->m_kVST = 0.0f;
      body->generateBendingConstraints(2, bend);
    }
    if (t.kind != TissueKind::kCloth) body->setPose(true, false);  // rest volume for kVC
    body->getCollisionShape()->setMargin(kSoftMargin);
    // Rest lengths/volumes from the rest positions, now; clear the flag so Bullet does not
    // recompute them from the deformed state on the first step.
    body->updateConstants();
    body->m_bUpdateRtCst = false;
    if (x && v) {
      for (size_t i = 0; i < rest.size(); ++i) {
        btSoftBody::Node& n = body->m_nodes[static_cast<int>(i)];
        n.m_x = toBt((*x)[i]);
        n.m_q = n.m_x;
        n.m_v = toBt((*v)[i]);
      }
    }
    body->updateNormals();
    body->updateBounds();
    // Tissue meets tools in the contact stage, not in Bullet; an embedded surface meets the
    // table there too (its nodes lie outside the surface it carries).
    world.addSoftBody(body, kTissueGroup,
                      t.embedded && t.topologyVersion == 0 ? 0 : btBroadphaseProxy::AllFilter & ~kToolGroup);
    t.body = body;
    t.goodX.resize(rest.size());
    t.goodV.resize(rest.size());
    saveGood(t);
    t.stress.resize(rest.size(), 0.0f);
    t.piece = mesh.pieces(&t.pieceCount);
  }

  void saveGood(Tissue& t) {
    const int n = t.body->m_nodes.size();
    for (int i = 0; i < n; ++i) {
      t.goodX[static_cast<size_t>(i)] = t.body->m_nodes[i].m_x;
      t.goodV[static_cast<size_t>(i)] = t.body->m_nodes[i].m_v;
    }
  }

  void currentState(const Tissue& t, std::vector<Vec3>& x, std::vector<Vec3>& v) const {
    const int n = t.body->m_nodes.size();
    x.resize(static_cast<size_t>(n));
    v.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      x[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_x);
      v[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_v);
    }
  }

  void computeRegions(Tissue& t) {
    t.regionNodes.clear();
    t.regionMask.clear();
    for (const auto& sel : t.regionSelectors) {
      t.regionNodes.push_back(detail::selectNodes(sel, t.mesh));
      std::vector<uint8_t> mask(t.mesh.nodeCount(), 0);
      for (uint32_t n : t.regionNodes.back()) mask[n] = 1;
      t.regionMask.push_back(std::move(mask));
    }
  }

  std::vector<uint32_t> regionsOf(const Tissue& t, const std::vector<uint32_t>& nodes) const {
    std::vector<uint32_t> out;
    for (uint32_t r = 0; r < t.regionMask.size(); ++r) {
      for (uint32_t n : nodes) {
        if (n < t.regionMask[r].size() && t.regionMask[r][n]) {
          out.push_back(r);
          break;
        }
      }
    }
    return out;
  }

  // ---- anchors ------------------------------------------------------------------------

  void anchorNodes(Tissue& t, const std::vector<uint32_t>& nodes, btRigidBody* body) {
    for (uint32_t n : nodes) {
      btSoftBody::Node& node = t.body->m_nodes[static_cast<int>(n)];
      btVector3 local = body->getWorldTransform().inverse() * node.m_x;
      t.body->appendAnchor(static_cast<int>(n), body, local, false, 1.0f);
    }
  }

  bool heldByAnyTool(uint32_t rigid) const {
    return std::any_of(tools.begin(), tools.end(),
                       [&](const Tool& t) { return t.present && t.graspRigid == rigid; });
  }

  void releaseGrasp(Tool& tool) {
    if (tool.graspTissue != kInvalidIndex) {
      tool.releasedTissue = tool.graspTissue;
      tool.graspTissue = kInvalidIndex;
      tool.graspNodes.clear();
      tool.graspPoints.clear();
    }
    if (tool.graspConstraint) {
      world.removeConstraint(tool.graspConstraint.get());
      tool.graspConstraint.reset();
      // Let go: it comes to rest as placed or dropped, unless the other hand holds it
      // (a hand-off in the air).
      const uint32_t held = tool.graspRigid;
      tool.graspRigid = kInvalidIndex;
      if (held != kInvalidIndex && !heldByAnyTool(held)) {
        rigids[held].released = true;
        rigids[held].restTicks = 0;
      }
    }
  }

  // ---- per-tick work ----------------------------------------------------------------

  btTransform toolTipTransform(const Tool& tool) const {
    btTransform com = tool.body->getWorldTransform();
    return com * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, -tool.comOffset));
  }

  void drive(Tool& tool, const HandInput& hand) {
    const instruments::Port* port = tool.settings.port ? &*tool.settings.port : nullptr;
    if (hand.tracked) tool.target = instruments::tipTargetFromHand(hand.pose, tool.settings.spec, port);
    btTransform target =
        toBt(tool.target) * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, tool.comOffset));
    btVector3 targetCom = target.getOrigin();
    if (!tool.hasTarget) {
      tool.prevTargetCom = targetCom;
      tool.hasTarget = true;
    }
    btVector3 targetVel = (targetCom - tool.prevTargetCom) / dt;
    tool.prevTargetCom = targetCom;
    btRigidBody& body = *tool.body;
    const InstrumentSettings& s = tool.settings;
    // Linear virtual coupling: spring-damper toward the hand's target. This is the force
    // the trainee "feels" (feedback) and the force the tool pushes tissue with.
    btVector3 force = s.linearStiffness * (targetCom - body.getCenterOfMassPosition()) +
                      s.linearDamping * (targetVel - body.getLinearVelocity());
    float magnitude = force.length();
    if (magnitude > s.maxForceN) force *= s.maxForceN / magnitude;
    body.applyCentralForce(force);
    tool.state.couplingForce = toVec(force);
    // Angular: velocity drive toward the target orientation (a stiff angular spring on the
    // thin tool would need a far smaller tick to stay stable).
    btQuaternion error = target.getRotation() * body.getWorldTransform().getRotation().inverse();
    if (error.w() < 0) error = -error;
    btScalar angle = error.getAngle();
    btVector3 axis = angle > 1e-6f ? error.getAxis() : btVector3(0, 0, 0);
    btVector3 omega = axis * (angle / (kAngularResponseTicks * dt));
    if (omega.length() > kMaxAngularSpeed) omega *= kMaxAngularSpeed / omega.length();
    body.setAngularVelocity(omega);
    body.activate(true);

    // A tool just passed into the hand keeps its jaws open until the trigger is let go.
    if (!tool.armed && hand.trigger <= kJawOpenTrigger) tool.armed = true;
    const float trigger = tool.armed ? hand.trigger : 0.0f;
    float jaw = instruments::jawAngleFromTrigger(trigger, s.spec);
    bool wasClosed = tool.jawClosed;
    if (!tool.jawClosed && trigger >= kJawCloseTrigger) tool.jawClosed = true;
    if (tool.jawClosed && trigger <= kJawOpenTrigger) tool.jawClosed = false;
    // The widest opening since the jaws last opened: what a closing stroke takes between its
    // blades (the jaws have all but closed by the tick the closure registers).
    if (wasClosed && !tool.jawClosed) tool.openAngleAtClose = jaw;
    if (!tool.jawClosed) tool.openAngleAtClose = std::max(tool.openAngleAtClose, jaw);
    tool.state.jawAngle = jaw;
    if (tool.jawClosed && !wasClosed) onJawClose(tool);
    if (!tool.jawClosed && wasClosed) onJawOpen(tool);
  }

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
  detail::ContactSurface& surfaceOf(Tissue& t) {
    if (t.surface.topologyVersion != t.topologyVersion) {
      t.surface = t.embedded && t.topologyVersion == 0 ? detail::surfaceOfEmbedding(*t.embedded)
                                                       : detail::surfaceOfMesh(t.mesh);
      t.surface.topologyVersion = t.topologyVersion;
    }
    return t.surface;
  }

  // Closing jaws take the surface between them: the points of the nearest tissue's contact
  // surface closest to the jaws' footprint (5 x 3 points over their length and width), each
  // within the grasp reach. The nearest tissue wins, so jaws on skin take the
  // skin, not the skull beneath. Returns false when no surface is within reach.
  bool graspSurface(Tool& tool) {
    const auto& spec = tool.settings.spec;
    const btTransform tip = toolTipTransform(tool);
    // The jaws' footprint: five points along them, across their width (1.6 shaft radii),
    // each reaching as far as the closing jaws swept there (their widest opening since they
    // last opened) plus a jaw's half thickness and 1 mm: what lay between them, never what
    // lies beyond them.
    std::vector<btVector3> samples;
    std::vector<float> reaches;
    const float opening = std::sin(0.5f * tool.openAngleAtClose);
    for (float along : {0.1f, 0.3f, 0.5f, 0.7f, 0.9f}) {
      for (float across : {-0.6f, 0.0f, 0.6f}) {
        samples.emplace_back(across * spec.shaftRadius, 0.0f, along * spec.jawLength);
        reaches.push_back((1.0f - along) * spec.jawLength * opening + 0.5f * spec.shaftRadius + 0.001f);
      }
    }
    const float reach = *std::max_element(reaches.begin(), reaches.end());
    uint32_t best = kInvalidIndex;
    float bestDistance = reach;
    btVector3 bestAt(0, 0, 0);
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      Tissue& t = tissues[ti];
      detail::ContactSurface& surface = surfaceOf(t);
      detail::refresh(surface, *t.body);
      for (size_t k = 0; k < samples.size(); ++k) {
        detail::SurfacePoint point;
        btVector3 at;
        float distance = 0.0f;
        if (detail::closestSurfacePoint(surface, tip * samples[k], reaches[k], &point, &at, &distance) &&
            distance < bestDistance) {
          best = ti;
          bestDistance = distance;
          bestAt = at;
        }
      }
    }
    if (best == kInvalidIndex) return false;
    Tissue& t = tissues[best];
    tool.graspTissue = best;
    tool.graspPoints.clear();
    tool.graspNodes.clear();
    for (size_t k = 0; k < samples.size(); ++k) {
      detail::SurfacePoint point;
      btVector3 at;
      float distance = 0.0f;
      if (!detail::closestSurfacePoint(t.surface, tip * samples[k], reaches[k], &point, &at, &distance)) continue;
      // Held where the jaws closed on it (in the jaws' frame): no jump into the jaws.
      tool.graspPoints.push_back({best, point, tip.inverse() * at});
      for (uint32_t j = 0; j < point.count; ++j) tool.graspNodes.push_back(point.nodes[j]);
    }
    std::sort(tool.graspNodes.begin(), tool.graspNodes.end());
    tool.graspNodes.erase(std::unique(tool.graspNodes.begin(), tool.graspNodes.end()), tool.graspNodes.end());
    Event e = makeEvent(EventKind::kGrasp, &tool);
    e.tissue = {best};
    e.regions = regionsOf(t, tool.graspNodes);
    e.position = toVec(bestAt);
    events.push_back(std::move(e));
    return true;
  }

  void onJawClose(Tool& tool) {
    const auto& spec = tool.settings.spec;
    if (spec.grasps()) {
      if (graspSurface(tool)) return;
      // Rigid objects: the dynamic one whose box (in its own frame, grown by the grasp radius
      // and the shaft's) holds the jaw centre, nearest first. (Bullet's world AABBs of small hulls are loose
      // by centimetres: not a test for what lies between 5 mm jaws.)
      btTransform tip = toolTipTransform(tool);
      const btVector3 centre = tip * btVector3(0, 0, spec.jawLength * 0.25f);
      uint32_t nearest = kInvalidIndex;
      btScalar nearestDistance = 0;
      for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
        Rigid& r = rigids[ri];
        if (r.settings.massKg <= 0.0f) continue;
        const btVector3 local = r.body->getWorldTransform().inverse() * centre;
        const Vec3& h = r.settings.halfExtents;
        const float pad = spec.graspRadius + spec.shaftRadius;  // the jaws open outside the shaft
        if (std::abs(local.x()) > h.x + pad || std::abs(local.y()) > h.y + pad || std::abs(local.z()) > h.z + pad)
          continue;
        const btScalar d = local.length();
        if (nearest == kInvalidIndex || d < nearestDistance) {
          nearest = ri;
          nearestDistance = d;
        }
      }
      if (nearest != kInvalidIndex) {
        const uint32_t ri = nearest;
        Rigid& r = rigids[ri];
        btTransform frameInTool = tool.body->getWorldTransform().inverse() * r.body->getWorldTransform();
        tool.graspConstraint =
            std::make_unique<btFixedConstraint>(*tool.body, *r.body, frameInTool, btTransform::getIdentity());
        world.addConstraint(tool.graspConstraint.get(), true);
        tool.graspRigid = ri;
        r.released = false;
        r.body->activate(true);
        Event e = makeEvent(EventKind::kGrasp, &tool);
        e.rigid = {ri};
        e.position = toVec(centre);
        events.push_back(std::move(e));
        return;
      }
    } else if (spec.cutsOnClose()) {
      // The blades sweep the tool's local Y-Z plane between the tip and the hinge.
      btTransform tip = toolTipTransform(tool);
      float half = spec.jawLength * std::sin(std::max(tool.openAngleAtClose, 0.2f) * 0.5f);
      std::array<Vec3, 4> quad = {toVec(tip * btVector3(0, -half, 0)), toVec(tip * btVector3(0, half, 0)),
                                  toVec(tip * btVector3(0, half, spec.jawLength)),
                                  toVec(tip * btVector3(0, -half, spec.jawLength))};
      for (uint32_t ti = 0; ti < tissues.size(); ++ti) cut(ti, quad, &tool);
    } else if (spec.clips()) {
      // A clip closes on what lies across its jaws: nodes in the jaws' plane (3 mm thick),
      // between the open jaws in the half of their length nearest the tip (where a clip
      // closes), or pressed just beyond the tip (the grasp radius). The tissue with the most
      // such nodes is clipped.
      const btTransform tip = toolTipTransform(tool);
      const btTransform toTool = tip.inverse();
      const float half = spec.jawLength * std::sin(std::max(tool.openAngleAtClose, 0.2f) * 0.5f);
      uint32_t best = kInvalidIndex;
      std::vector<uint32_t> bestNodes;
      for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
        std::vector<uint32_t> in;
        const btSoftBody& body = *tissues[ti].body;
        for (int i = 0; i < body.m_nodes.size(); ++i) {
          const btVector3 p = toTool * body.m_nodes[i].m_x;
          if (std::abs(p.x()) <= kClipHalfWidth && std::abs(p.y()) <= half && p.z() >= -spec.graspRadius &&
              p.z() <= 0.5f * spec.jawLength) {
            in.push_back(static_cast<uint32_t>(i));
          }
        }
        if (in.size() > bestNodes.size()) {
          best = ti;
          bestNodes = std::move(in);
        }
      }
      if (best != kInvalidIndex) {
        btVector3 centre(0, 0, 0);
        for (uint32_t n : bestNodes) centre += tissues[best].body->m_nodes[static_cast<int>(n)].m_x;
        applyClip(tool, best, bestNodes, centre / static_cast<btScalar>(bestNodes.size()));
      }
    }
  }

  void onJawOpen(Tool& tool) {
    if (tool.graspTissue == kInvalidIndex && !tool.graspConstraint) return;
    Event e = makeEvent(EventKind::kRelease, &tool);
    if (tool.graspTissue != kInvalidIndex) {
      e.tissue = {tool.graspTissue};
      e.regions = regionsOf(tissues[tool.graspTissue], tool.graspNodes);
    }
    if (tool.graspRigid != kInvalidIndex) e.rigid = {tool.graspRigid};
    e.position = toVec(toolTipTransform(tool).getOrigin());
    releaseGrasp(tool);
    events.push_back(std::move(e));
  }

  void applyClip(Tool& tool, uint32_t ti, const std::vector<uint32_t>& nodes, const btVector3& centre) {
    Tissue& t = tissues[ti];
    Clip clip;
    clip.tissue = ti;
    clip.nodes = nodes;
    // A titanium ligation clip: about 2 x 3 x 9 mm, 0.05 g; it rides on the tissue only.
    clip.shape = std::make_unique<btBoxShape>(btVector3(0.001f, 0.0015f, 0.0045f));
    clip.shape->setMargin(0.0002f);
    btVector3 inertia;
    clip.shape->calculateLocalInertia(0.00005f, inertia);
    btRigidBody::btRigidBodyConstructionInfo ci(0.00005f, nullptr, clip.shape.get(), inertia);
    ci.m_startWorldTransform = btTransform(toolTipTransform(tool).getRotation(), centre);
    clip.body = std::make_unique<btRigidBody>(ci);
    clip.body->setCollisionFlags(clip.body->getCollisionFlags() | btCollisionObject::CF_NO_CONTACT_RESPONSE);
    clip.body->setActivationState(DISABLE_DEACTIVATION);
    world.addRigidBody(clip.body.get());
    anchorNodes(t, nodes, clip.body.get());
    // Position along the structure: the clipped nodes' mean rest position projected on the
    // tissue's longest rest-bounds axis, as a fraction [0, 1] from its low end.
    Vec3 lo(1e9f), hi(-1e9f);
    for (const Vec3& p : t.mesh.rest) {
      lo = glm::min(lo, p);
      hi = glm::max(hi, p);
    }
    Vec3 extent = hi - lo;
    int axis = extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2);
    Vec3 mean(0.0f);
    for (uint32_t n : nodes) mean += t.mesh.rest[n];
    mean /= static_cast<float>(nodes.size());
    float along = extent[axis] > 0.0f ? (mean[axis] - lo[axis]) / extent[axis] : 0.0f;
    Event e = makeEvent(EventKind::kClipApplied, &tool);
    e.tissue = {ti};
    e.regions = regionsOf(t, nodes);
    e.value = along;
    e.position = toVec(centre);
    events.push_back(std::move(e));
    clips.push_back(std::move(clip));
  }

  // After the mesh changed: a new Bullet body from it, and what held the tissue (grasps and
  // clips: node indices are stable) attached again.
  void rebuild(uint32_t ti, const std::vector<Vec3>& x, const std::vector<Vec3>& v) {
    Tissue& t = tissues[ti];
    t.topologyVersion++;
    buildBody(t, &x, &v);
    for (auto& tool : tools) tool.sides.sides.clear();  // its triangles are numbered anew
    for (auto& clip : clips) {
      if (clip.tissue == ti) anchorNodes(t, clip.nodes, clip.body.get());
    }
  }

  // A sheet tears where it is stretched past kTearStretch: the faces on such a link go. A
  // thread of gauze left between two cuts cannot carry the cut-out piece hanging from it
  // (springs stretched that far also make the solver blow up).
  void tearOverstretched(uint32_t ti) {
    Tissue& t = tissues[ti];
    if (t.mesh.kind != TissueKind::kCloth) return;
    constexpr float kTearStretch = 3.0f;
    auto stretched = [&](uint32_t a, uint32_t b) {  // squared lengths: this runs every tick
      const Vec3 r = t.mesh.rest[a] - t.mesh.rest[b];
      const btVector3 d = t.body->m_nodes[static_cast<int>(a)].m_x - t.body->m_nodes[static_cast<int>(b)].m_x;
      return d.length2() > kTearStretch * kTearStretch * glm::dot(r, r);
    };
    std::vector<std::array<uint32_t, 3>> kept;
    kept.reserve(t.mesh.triangles.size());
    for (const auto& f : t.mesh.triangles) {
      if (!stretched(f[0], f[1]) && !stretched(f[1], f[2]) && !stretched(f[2], f[0])) kept.push_back(f);
    }
    if (kept.size() == t.mesh.triangles.size()) return;
    TROCAR_LOG_DEBUG("tissue '%s' tore at tick %llu: %zu faces", t.name.c_str(),
                     static_cast<unsigned long long>(tick), t.mesh.triangles.size() - kept.size());
    std::vector<Vec3> x, v;
    currentState(t, x, v);
    t.mesh.triangles = std::move(kept);
    std::map<std::array<uint32_t, 2>, bool> whole;
    for (const auto& e : t.mesh.edges()) whole[e] = true;
    std::erase_if(t.mesh.pending, [&](const auto& c) { return !whole.count(c.edge); });
    rebuild(ti, x, v);
    reportDetached(ti, nullptr);
  }

  uint32_t cut(uint32_t ti, const std::array<Vec3, 4>& quad, Tool* tool, bool sweep = false) {
    Tissue& t = tissues[ti];
    std::vector<Vec3> x, v;
    currentState(t, x, v);
    const uint32_t before = static_cast<uint32_t>(t.mesh.nodeCount());
    detail::CutResult result = detail::cutMesh(t.mesh, {&x, &v}, quad);
    if (result.splitEdges == 0) return 0;
    // Regions and fixed flags for the new nodes.
    for (size_t r = 0; r < t.regionSelectors.size(); ++r) {
      t.regionMask[r].resize(t.mesh.nodeCount(), 0);
      for (uint32_t i = before; i < t.mesh.nodeCount(); ++i) {
        const auto& parents = result.newNodeParents[i - before];
        bool in = detail::selectsCutNode(t.regionSelectors[r], t.mesh, i, t.regionMask[r][parents[0]] != 0,
                                         t.regionMask[r][parents[1]] != 0);
        t.regionMask[r][i] = in ? 1 : 0;
        if (in) t.regionNodes[r].push_back(i);
      }
    }
    rebuild(ti, x, v);
    // A scalpel stroke continues its incision (within 5 mm of where the last sweep cut):
    // one path, and the event's length is how far the incision grew.
    Tool* stroke = sweep ? tool : nullptr;
    constexpr float kStrokeGap = 0.005f;
    if (stroke && stroke->strokeTissue == ti &&
        glm::length(result.path.front() - stroke->strokeLast) < kStrokeGap) {
      result.length += glm::length(result.path.front() - stroke->strokeLast);
      auto& path = t.cuts[stroke->strokePath];
      path.insert(path.end(), result.path.begin(), result.path.end());
    } else {
      t.cuts.push_back(result.path);
      if (stroke) {
        stroke->strokeTissue = ti;
        stroke->strokePath = t.cuts.size() - 1;
      }
    }
    if (stroke) stroke->strokeLast = result.path.back();
    Event e = makeEvent(EventKind::kCut, tool);
    e.tissue = {ti};
    std::vector<uint32_t> newNodes;
    for (uint32_t i = before; i < t.mesh.nodeCount(); ++i) newNodes.push_back(i);
    e.regions = regionsOf(t, newNodes);
    e.value = result.length;
    e.position = result.path.empty() ? Vec3(0.0f) : result.path[result.path.size() / 2];
    events.push_back(std::move(e));
    reportDetached(ti, tool);
    return result.splitEdges;
  }

  // A piece is detached when it holds no fixed node while the tissue has some; without
  // fixed nodes, every piece but the largest (ties: the one with the lowest node) is.
  void reportDetached(uint32_t ti, const Tool* tool) {
    Tissue& t = tissues[ti];
    if (t.pieceCount < 2) return;
    std::vector<uint32_t> size(t.pieceCount, 0), minNode(t.pieceCount, kInvalidIndex);
    std::vector<uint8_t> anchored(t.pieceCount, 0);
    for (uint32_t n = 0; n < t.piece.size(); ++n) {
      uint32_t p = t.piece[n];
      size[p]++;
      minNode[p] = std::min(minNode[p], n);
      if (t.mesh.fixed[n]) anchored[p] = 1;
    }
    uint32_t largest = 0;
    for (uint32_t p = 1; p < t.pieceCount; ++p) {
      if (size[p] > size[largest]) largest = p;
    }
    for (uint32_t p = 0; p < t.pieceCount; ++p) {
      bool detached = t.hasFixed ? !anchored[p] : p != largest;
      if (!detached) continue;
      if (std::find(t.reportedDetached.begin(), t.reportedDetached.end(), minNode[p]) !=
          t.reportedDetached.end()) {
        continue;
      }
      t.reportedDetached.push_back(minNode[p]);
      Event e = makeEvent(EventKind::kDetached, tool);
      e.tissue = {ti};
      // Regions the piece holds: over half of the region's nodes lie in it (a cut made of
      // overlapping snips leaves slivers along the line that take a few of them).
      Vec3 centroid(0.0f);
      for (uint32_t r = 0; r < t.regionNodes.size(); ++r) {
        const auto& nodes = t.regionNodes[r];
        if (nodes.empty()) continue;
        size_t in = static_cast<size_t>(
            std::count_if(nodes.begin(), nodes.end(), [&](uint32_t n) { return t.piece[n] == p; }));
        if (2 * in > nodes.size()) e.regions.push_back(r);
      }
      for (uint32_t n = 0; n < t.piece.size(); ++n) {
        if (t.piece[n] == p) centroid += toVec(t.body->m_nodes[static_cast<int>(n)].m_x);
      }
      e.position = centroid / static_cast<float>(size[p]);
      e.value = static_cast<float>(size[p]);
      events.push_back(std::move(e));
    }
  }

  void scalpelSweep(Tool& tool) {
    btTransform tip = toolTipTransform(tool);
    btVector3 a = tip.getOrigin();
    btVector3 b = tip * btVector3(0, 0, tool.settings.spec.jawLength);
    if (tool.hasBlade && ((a - tool.bladeA).length() > 1e-4f || (b - tool.bladeB).length() > 1e-4f)) {
      std::array<Vec3, 4> quad = {toVec(tool.bladeA), toVec(a), toVec(b), toVec(tool.bladeB)};
      for (uint32_t ti = 0; ti < tissues.size(); ++ti) cut(ti, quad, &tool, /*sweep=*/true);
    }
    tool.bladeA = a;
    tool.bladeB = b;
    tool.hasBlade = true;
  }

  void senseContacts(Tool& tool) {
    // Tissues: this tick's surface contacts (the contact stage), in tissue order.
    std::vector<uint32_t> touched;
    std::vector<uint32_t> touchedNodes;  // of the first touched tissue
    for (const auto& c : tool.contacts) {
      if (std::find(touched.begin(), touched.end(), c.tissue) == touched.end()) touched.push_back(c.tissue);
    }
    std::sort(touched.begin(), touched.end());
    for (const auto& c : tool.contacts) {
      if (!touched.empty() && c.tissue == touched.front()) touchedNodes.push_back(c.point.heaviestNode());
    }
    std::sort(touchedNodes.begin(), touchedNodes.end());
    touchedNodes.erase(std::unique(touchedNodes.begin(), touchedNodes.end()), touchedNodes.end());
    if (tool.graspTissue != kInvalidIndex &&
        std::find(touched.begin(), touched.end(), tool.graspTissue) == touched.end()) {
      touched.push_back(tool.graspTissue);
      std::sort(touched.begin(), touched.end());
      if (touchedNodes.empty()) touchedNodes = tool.graspNodes;
    }
    // Contact begin/end per tissue, in tissue order.
    for (uint32_t ti : touched) {
      if (!std::binary_search(tool.touchedTissues.begin(), tool.touchedTissues.end(), ti)) {
        Event e = makeEvent(EventKind::kContactBegin, &tool);
        e.tissue = {ti};
        e.regions = ti == touched.front() ? regionsOf(tissues[ti], touchedNodes) : std::vector<uint32_t>{};
        e.position = toVec(toolTipTransform(tool).getOrigin());
        events.push_back(std::move(e));
      }
    }
    for (uint32_t ti : tool.touchedTissues) {
      if (!std::binary_search(touched.begin(), touched.end(), ti)) {
        Event e = makeEvent(EventKind::kContactEnd, &tool);
        e.tissue = {ti};
        e.position = toVec(toolTipTransform(tool).getOrigin());
        events.push_back(std::move(e));
      }
    }
    tool.touchedTissues = touched;
    // Rigid objects (not the ground, not other tools): from the contact manifolds.
    uint32_t rigidHit = kInvalidIndex;
    int manifolds = dispatcher.getNumManifolds();
    for (int i = 0; i < manifolds && rigidHit == kInvalidIndex; ++i) {
      btPersistentManifold* m = dispatcher.getManifoldByIndexInternal(i);
      if (m->getNumContacts() == 0) continue;
      const btCollisionObject* other = nullptr;
      if (m->getBody0() == tool.body.get())
        other = m->getBody1();
      else if (m->getBody1() == tool.body.get())
        other = m->getBody0();
      if (!other) continue;
      for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
        if (rigids[ri].body.get() == other) {
          rigidHit = ri;
          break;
        }
      }
    }
    if (rigidHit != tool.touchedRigid) {
      if (tool.touchedRigid != kInvalidIndex) {
        Event e = makeEvent(EventKind::kContactEnd, &tool);
        e.rigid = {tool.touchedRigid};
        events.push_back(std::move(e));
      }
      if (rigidHit != kInvalidIndex) {
        Event e = makeEvent(EventKind::kContactBegin, &tool);
        e.rigid = {rigidHit};
        e.position = toVec(toolTipTransform(tool).getOrigin());
        events.push_back(std::move(e));
      }
      tool.touchedRigid = rigidHit;
    }

    InstrumentState& s = tool.state;
    s.present = true;
    s.tipPose = toPose(toolTipTransform(tool));
    s.targetPose = tool.target;
    s.inContact = !touched.empty() || rigidHit != kInvalidIndex;
    s.touchedTissue = touched.empty() ? TissueId{} : TissueId{touched.front()};
    s.touchedRegions =
        touched.empty() ? std::vector<uint32_t>{} : regionsOf(tissues[touched.front()], touchedNodes);
    s.touchedRigid = RigidId{rigidHit};
    s.grasping = tool.graspTissue != kInvalidIndex || tool.graspConstraint != nullptr;

    // Forces on tissue: the coupling force while touching or holding it.
    float force = glm::length(s.couplingForce);
    if (!touched.empty()) {
      Tissue& t = tissues[touched.front()];
      for (uint32_t r : s.touchedRegions) {
        auto& stats = t.regionStats[r];
        stats.peakForceN = std::max(stats.peakForceN, force);
        if (force > t.material.damageForceN) stats.secondsAboveDamage += static_cast<double>(dt);
      }
      float level = std::min(1.0f, force / std::max(t.material.damageForceN, 1e-3f));
      for (uint32_t n : touchedNodes) t.stress[n] = std::max(t.stress[n], level);
      bool above = force > t.material.damageForceN;
      if (above && !tool.aboveDamage) {
        Event e = makeEvent(EventKind::kDamage, &tool);
        e.tissue = s.touchedTissue;
        e.regions = s.touchedRegions;
        e.value = force;
        e.position = toVec(toolTipTransform(tool).getOrigin());
        events.push_back(std::move(e));
      }
      tool.aboveDamage = above;
      // Grasp tear-out: the tissue cannot hold the grasp against this pull.
      if (tool.graspTissue != kInvalidIndex && force > tissues[tool.graspTissue].material.tearForceN) {
        Event d = makeEvent(EventKind::kDamage, &tool);
        d.tissue = {tool.graspTissue};
        d.regions = regionsOf(tissues[tool.graspTissue], tool.graspNodes);
        d.value = force;
        d.torn = true;
        d.position = toVec(toolTipTransform(tool).getOrigin());
        Event r = d;
        r.kind = EventKind::kRelease;
        releaseGrasp(tool);
        s.grasping = false;
        events.push_back(std::move(d));
        events.push_back(std::move(r));
      }
    } else {
      tool.aboveDamage = false;
    }

    // Out of the laparoscope's view.
    if (settings.camera) {
      const bool inView = inCameraView(s.tipPose.position);
      if (!inView != tool.outOfView) {
        tool.outOfView = !inView;
        Event e = makeEvent(tool.outOfView ? EventKind::kOutOfViewBegin : EventKind::kOutOfViewEnd, &tool);
        e.position = s.tipPose.position;
        events.push_back(std::move(e));
      }
    }
  }

  // Inside the laparoscope's picture: its frustum, between its near and far planes.
  bool inCameraView(const Vec3& point) const {
    const auto& cam = *settings.camera;
    const Vec3 p = cam.pose.inverse().transformPoint(point);
    const float depth = -p.z;
    const float tanHalf = std::tan(cam.verticalFovRad * 0.5f);
    return depth >= cam.nearM && depth <= cam.farM && std::abs(p.y) <= depth * tanHalf &&
           std::abs(p.x) <= depth * tanHalf * cam.aspect;
  }

  void trackRigids() {
    const Tick restTicks = FixedStepClock(settings.tickHz).ticksIn(kRestSeconds);
    for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
      Rigid& r = rigids[ri];
      if (!r.released) continue;
      if (heldByAnyTool(ri)) {  // picked up again before it came to rest
        r.released = false;
        continue;
      }
      bool resting = r.body->getLinearVelocity().length() < kRestLinearSpeed &&
                     r.body->getAngularVelocity().length() < kRestAngularSpeed;
      r.restTicks = resting ? r.restTicks + 1 : 0;
      if (r.restTicks < restTicks) continue;
      r.released = false;
      Vec3 p = toVec(r.body->getCenterOfMassPosition());
      uint32_t zone = kInvalidIndex;
      for (uint32_t zi = 0; zi < zones.size(); ++zi) {
        Vec3 d = glm::abs(p - zones[zi].settings.center);
        const Vec3& h = zones[zi].settings.halfExtents;
        if (d.x <= h.x && d.y <= h.y && d.z <= h.z) {
          zone = zi;
          break;
        }
      }
      Event e = makeEvent(zone == kInvalidIndex ? EventKind::kDropped : EventKind::kPlaced, nullptr);
      e.rigid = {ri};
      e.zone = {zone};
      e.position = p;
      // A drop is lost (FLS: "dropped out of the field of view") when it lands outside the
      // laparoscope's picture; with no laparoscope, every drop is.
      if (zone == kInvalidIndex) e.value = settings.camera && inCameraView(p) ? 0.0f : 1.0f;
      events.push_back(std::move(e));
    }
  }

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
  void resolveContacts() {
    std::vector<uint8_t> refreshed(tissues.size(), 0), involved(tissues.size(), 0);
    bool any = false;
    for (Tool& tool : tools) {
      tool.contacts.clear();
      if (!tool.present) continue;
      detail::instrumentCapsules(tool.settings.spec, tool.state.jawAngle, toolTipTransform(tool), tool.capsules);
      if (tool.prevCapsules.size() != tool.capsules.size()) tool.prevCapsules = tool.capsules;
      btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
      for (size_t c = 0; c < tool.capsules.size(); ++c) {
        for (const btVector3& p : {tool.capsules[c].a, tool.capsules[c].b, tool.prevCapsules[c].a,
                                   tool.prevCapsules[c].b}) {
          lo.setMin(p);
          hi.setMax(p);
        }
      }
      const btVector3 pad(0.005f, 0.005f, 0.005f);
      lo -= pad;
      hi += pad;
      for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
        Tissue& t = tissues[ti];
        if (!TestAabbAgainstAabb2(lo, hi, t.body->m_bounds[0], t.body->m_bounds[1])) continue;
        detail::ContactSurface& surface = surfaceOf(t);
        if (!refreshed[ti]) {
          detail::refresh(surface, *t.body);
          refreshed[ti] = 1;
        }
        detail::findContacts(surface, ti, tool.capsules, tool.prevCapsules, kSenseMargin, tool.sides, tool.contacts);
      }
      // What a grasper holds lies between its jaws and wraps round them: the tool holds it,
      // it does not push it away; once let go of, it slips out from between the jaws (it is
      // not pushed through one).
      bool releasedInJaws = false;
      for (auto& c : tool.contacts) {
        if (c.tissue == tool.graspTissue) c.resolve = false;
        if (c.capsule > 0 && c.tissue == tool.releasedTissue) {
          releasedInJaws = true;
          c.resolve = false;
        }
        if (c.resolve) {
          involved[c.tissue] = 1;
          any = true;
        }
      }
      if (!releasedInJaws) tool.releasedTissue = kInvalidIndex;
      if (tool.graspTissue != kInvalidIndex && !tool.graspPoints.empty()) {
        involved[tool.graspTissue] = 1;
        any = true;
      }
    }
    // An embedded surface rests on the table and the floor itself (its nodes, outside it, do
    // not meet them in Bullet): each vertex below a top is held on it.
    staticContacts.clear();
    const float highestTop = settings.table ? std::max(settings.groundHeight,
                                                       settings.table->center.y + settings.table->halfExtents.y)
                                            : settings.groundHeight;
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      Tissue& t = tissues[ti];
      if (!t.embedded || t.topologyVersion != 0) continue;
      // The surface lies inside its tets: nodes all above every top, nothing to do.
      if (t.body->m_bounds[0].y() > highestTop) continue;
      detail::ContactSurface& surface = surfaceOf(t);
      if (!refreshed[ti]) {
        detail::refresh(surface, *t.body);
        refreshed[ti] = 1;
      }
      for (uint32_t v = 0; v < surface.vertexCount(); ++v) {
        const btVector3& p = surface.x[v];
        float top = settings.groundHeight;
        if (settings.table) {
          const Vec3 c = settings.table->center, h = settings.table->halfExtents;
          const bool over = std::abs(p.x() - c.x) <= h.x && std::abs(p.z() - c.z) <= h.z;
          if (over && p.y() > c.y - h.y - 0.01f) top = c.y + h.y;
        }
        if (p.y() >= top) continue;
        detail::SurfaceContact c;
        c.tissue = ti;
        c.point = detail::vertexPoint(surface, v);
        c.q = btVector3(p.x(), top, p.z());
        c.normal = btVector3(0, -1, 0);  // from the surface toward what it rests on
        staticContacts.push_back(c);
        involved[ti] = 1;
        any = true;
      }
    }
    findTissueContacts(refreshed, involved, any);
    if (any) solveContacts(involved);
    for (Tool& tool : tools) {
      if (!tool.present) continue;
      tool.sides.sides.clear();
      for (const auto& c : tool.contacts) {
        if (surfaceOf(tissues[c.tissue]).twoSided)
          tool.sides.sides.push_back({detail::SideMemory::key(c.tissue, c.capsule, c.triangle), c.side});
      }
      std::sort(tool.sides.sides.begin(), tool.sides.sides.end());
      detail::instrumentCapsules(tool.settings.spec, tool.state.jawAngle, toolTipTransform(tool), tool.prevCapsules);
    }
  }

  // A vertex of one tissue's surface within kTissueDepth behind the other's closed surface
  // (its nearest face, facing it) is a contact, both ways round.
  void findTissueContacts(std::vector<uint8_t>& refreshed, std::vector<uint8_t>& involved, bool& any) {
    constexpr float kTissueDepth = 0.005f;
    tissueContacts.clear();
    for (const auto& pair : tissuePairs) {
      Tissue& ta = tissues[pair[0]];
      Tissue& tb = tissues[pair[1]];
      if (!TestAabbAgainstAabb2(ta.body->m_bounds[0], ta.body->m_bounds[1], tb.body->m_bounds[0],
                                tb.body->m_bounds[1])) {
        continue;
      }
      for (int dir = 0; dir < 2; ++dir) {
        const uint32_t ia = pair[static_cast<size_t>(dir)], ib = pair[static_cast<size_t>(1 - dir)];
        detail::ContactSurface& sa = surfaceOf(tissues[ia]);
        detail::ContactSurface& sb = surfaceOf(tissues[ib]);
        for (uint32_t i : {ia, ib}) {
          if (!refreshed[i]) {
            detail::refresh(surfaceOf(tissues[i]), *tissues[i].body);
            refreshed[i] = 1;
          }
        }
        if (sb.twoSided) continue;  // a sheet has no inside to be pushed out of
        const btVector3 pad(kTissueDepth, kTissueDepth, kTissueDepth);
        // Only where the two meet: B's faces within reach of A's bounds (with their boxes),
        // then A's vertices within reach of B's.
        std::vector<uint32_t> faces;
        std::vector<std::pair<btVector3, btVector3>> boxes;
        for (uint32_t f = 0; f < sb.triangles.size(); ++f) {
          const auto& tri = sb.triangles[f];
          const btVector3 &p0 = sb.x[tri[0]], &p1 = sb.x[tri[1]], &p2 = sb.x[tri[2]];
          btVector3 lo = p0, hi = p0;
          lo.setMin(p1);
          lo.setMin(p2);
          hi.setMax(p1);
          hi.setMax(p2);
          if (!TestAabbAgainstAabb2(sa.lo - pad, sa.hi + pad, lo, hi)) continue;
          faces.push_back(f);
          boxes.emplace_back(lo, hi);
        }
        if (faces.empty()) continue;
        for (uint32_t v = 0; v < sa.vertexCount(); ++v) {
          const btVector3& x = sa.x[v];
          if (!TestAabbAgainstAabb2(x - pad, x + pad, sb.lo, sb.hi)) continue;
          float bestD2 = kTissueDepth * kTissueDepth;
          int bestTri = -1;
          btVector3 bestBary, bestOn;
          for (size_t k = 0; k < faces.size(); ++k) {
            const uint32_t f = faces[k];
            const auto& tri = sb.triangles[f];
            const btVector3 &p0 = sb.x[tri[0]], &p1 = sb.x[tri[1]], &p2 = sb.x[tri[2]];
            if (!TestAabbAgainstAabb2(x - pad, x + pad, boxes[k].first, boxes[k].second)) continue;
            btVector3 bary;
            const btVector3 on = detail::closestPointOnTriangle(x, p0, p1, p2, &bary);
            const float d2 = static_cast<float>((x - on).length2());
            if (d2 < bestD2) {
              bestD2 = d2;
              bestTri = static_cast<int>(f);
              bestBary = bary;
              bestOn = on;
            }
          }
          if (bestTri < 0) continue;
          const auto& tri = sb.triangles[static_cast<size_t>(bestTri)];
          btVector3 n = (sb.x[tri[1]] - sb.x[tri[0]]).cross(sb.x[tri[2]] - sb.x[tri[0]]);
          if (n.length2() <= 1e-20f) continue;
          n.normalize();
          if ((x - bestOn).dot(n) >= 0) continue;  // outside
          TissueContact c;
          c.a = ia;
          c.b = ib;
          c.onA = detail::vertexPoint(sa, v);
          c.onB = detail::surfacePoint(sb, static_cast<uint32_t>(bestTri), bestBary);
          c.normal = n;
          tissueContacts.push_back(c);
          involved[ia] = involved[ib] = 1;
          any = true;
        }
      }
    }
  }

  // Pushes each tissue contact's vertex out of the other surface, shared by inverse mass.
  void separateTissues() {
    for (const auto& c : tissueContacts) {
      btSoftBody& a = *tissues[c.a].body;
      btSoftBody& b = *tissues[c.b].body;
      const btScalar depth = (c.onA.position(a) - c.onB.position(b)).dot(c.normal);
      if (depth >= 0) continue;
      btScalar wa = 0, wb = 0;
      for (uint32_t k = 0; k < c.onA.count; ++k) wa += c.onA.weights[k] * c.onA.weights[k] * a.m_nodes[static_cast<int>(c.onA.nodes[k])].m_im;
      for (uint32_t k = 0; k < c.onB.count; ++k) wb += c.onB.weights[k] * c.onB.weights[k] * b.m_nodes[static_cast<int>(c.onB.nodes[k])].m_im;
      if (wa + wb <= 0) continue;
      c.onA.move(a, c.normal * (-depth * wa / (wa + wb)));
      c.onB.move(b, c.normal * (depth * wb / (wa + wb)));
    }
  }

  // The links the contact stage projects: those with a node within kLocalReach of a contact
  // or held point, or carrying one. Tissue further away already had Bullet's projection this
  // tick; only the neighbourhood of a contact needs the extra passes.
  static constexpr float kLocalReach = 0.03f;
  struct Local {
    std::vector<int> nodes;  // moved by the stage (velocity update)
    std::vector<int> links;  // projected by it
  };
  Local localRegion(uint32_t ti) const {
    const btSoftBody& body = *tissues[ti].body;
    btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
    std::vector<uint8_t> mark(static_cast<size_t>(body.m_nodes.size()), 0);
    auto add = [&](const detail::SurfacePoint& p) {
      const btVector3 x = p.position(body);
      lo.setMin(x);
      hi.setMax(x);
      for (uint32_t k = 0; k < p.count; ++k) mark[p.nodes[k]] = 1;
    };
    for (const Tool& tool : tools) {
      for (const auto& c : tool.contacts) {
        if (c.tissue == ti && c.resolve) add(c.point);
      }
      for (const auto& g : tool.graspPoints) {
        if (g.tissue == ti) add(g.point);
      }
    }
    for (const auto& c : staticContacts) {
      if (c.tissue == ti) add(c.point);
    }
    for (const auto& c : tissueContacts) {
      if (c.a == ti) add(c.onA);
      if (c.b == ti) add(c.onB);
    }
    const btVector3 pad(kLocalReach, kLocalReach, kLocalReach);
    lo -= pad;
    hi += pad;
    Local out;
    for (int i = 0; i < body.m_nodes.size(); ++i) {
      const btVector3& x = body.m_nodes[i].m_x;
      if (mark[static_cast<size_t>(i)] || (x.x() >= lo.x() && x.y() >= lo.y() && x.z() >= lo.z() &&
                                           x.x() <= hi.x() && x.y() <= hi.y() && x.z() <= hi.z())) {
        mark[static_cast<size_t>(i)] = 1;
        out.nodes.push_back(i);
      }
    }
    const btSoftBody::Node* first = &body.m_nodes[0];
    for (int i = 0; i < body.m_links.size(); ++i) {
      const btSoftBody::Link& l = body.m_links[i];
      if (mark[static_cast<size_t>(l.m_n[0] - first)] || mark[static_cast<size_t>(l.m_n[1] - first)]) out.links.push_back(i);
    }
    return out;
  }

  // Bullet's link projection (btSoftBody::PSolve_Links, stiffness 1) over some links.
  static void projectLinks(btSoftBody& body, const std::vector<int>& links) {
    for (int i : links) {
      btSoftBody::Link& l = body.m_links[i];
      if (l.m_c0 <= 0) continue;
      btSoftBody::Node& a = *l.m_n[0];
      btSoftBody::Node& b = *l.m_n[1];
      const btVector3 del = b.m_x - a.m_x;
      const btScalar len = del.length2();
      if (l.m_c1 + len <= SIMD_EPSILON) continue;
      const btScalar k = (l.m_c1 - len) / (l.m_c0 * (l.m_c1 + len));
      a.m_x -= del * (k * a.m_im);
      b.m_x += del * (k * b.m_im);
    }
  }

  void solveContacts(const std::vector<uint8_t>& involved) {
    std::vector<std::vector<btVector3>> before(tissues.size());
    std::vector<Local> local(tissues.size());
    int iterations = 1;
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      if (!involved[ti]) continue;
      const btSoftBody& body = *tissues[ti].body;
      local[ti] = localRegion(ti);
      before[ti].resize(local[ti].nodes.size());
      for (size_t k = 0; k < local[ti].nodes.size(); ++k) before[ti][k] = body.m_nodes[local[ti].nodes[k]].m_x;
      iterations = std::max(iterations, static_cast<int>(tissues[ti].iterations));
    }
    auto pushOut = [&](const Tool& tool) {
      for (const auto& c : tool.contacts) {
        if (c.resolve) c.pushOut(*tissues[c.tissue].body);
      }
    };
    auto pullIn = [&](Tool& tool) {
      const btTransform tip = toolTipTransform(tool);
      for (const auto& g : tool.graspPoints) {
        btSoftBody& body = *tissues[g.tissue].body;
        g.point.move(body, tip * g.local - g.point.position(body));
      }
    };
    auto rest = [&] {
      for (const auto& c : staticContacts) c.pushOut(*tissues[c.tissue].body);
    };
    for (int it = 0; it < iterations; ++it) {
      for (Tool& tool : tools) {
        if (!tool.present) continue;
        pullIn(tool);
        pushOut(tool);
      }
      rest();
      separateTissues();
      for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
        if (involved[ti]) projectLinks(*tissues[ti].body, local[ti].links);
      }
    }
    // What the tissue could not make room for moves the tool: toward the grasped points
    // (by their mean pull), then out of every surface it still presses into.
    for (Tool& tool : tools) {
      if (!tool.present) continue;
      btVector3 shift(0, 0, 0);
      if (!tool.graspPoints.empty()) {
        const btTransform tip = toolTipTransform(tool);
        for (const auto& g : tool.graspPoints) shift += g.point.position(*tissues[g.tissue].body) - tip * g.local;
        shift *= tissues[tool.graspTissue].yield / static_cast<btScalar>(tool.graspPoints.size());
      }
      for (const auto& c : tool.contacts) {
        if (!c.resolve) continue;
        // Its error were the tool already moved by `shift` (as error() with q + shift).
        const btScalar err = (c.q + shift - c.point.position(*tissues[c.tissue].body)).dot(c.normal) - c.gap;
        if (err < 0) shift -= c.normal * (err * tissues[c.tissue].yield);
      }
      if (shift.length2() <= 0) continue;
      btTransform tr = tool.body->getWorldTransform();
      tr.setOrigin(tr.getOrigin() + shift);
      tool.body->setWorldTransform(tr);
      tool.body->setInterpolationWorldTransform(tr);
      const btVector3 dir = shift.normalized();
      const btVector3 v = tool.body->getLinearVelocity();
      const btScalar into = v.dot(dir);
      if (into < 0) tool.body->setLinearVelocity(v - dir * into);
      for (auto& c : tool.contacts) c.q += shift;
    }
    for (Tool& tool : tools) {
      if (tool.present) pushOut(tool);
    }
    rest();
    separateTissues();
    const btScalar inverseDt = 1 / static_cast<btScalar>(dt);
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      if (!involved[ti]) continue;
      btSoftBody& body = *tissues[ti].body;
      for (size_t k = 0; k < local[ti].nodes.size(); ++k) {
        btSoftBody::Node& n = body.m_nodes[local[ti].nodes[k]];
        n.m_v += (n.m_x - before[ti][k]) * inverseDt;
      }
      body.updateBounds();
    }
  }

  // NaN / runaway guard: a body that went bad gets its last good state back.
  void guardStability() {
    const float maxSpeed2 = settings.maxNodeSpeed * settings.maxNodeSpeed;
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      Tissue& t = tissues[ti];
      bool bad = false;
      for (int i = 0; i < t.body->m_nodes.size() && !bad; ++i) {
        const btSoftBody::Node& n = t.body->m_nodes[i];
        bad = !finite(n.m_x) || !finite(n.m_v) || n.m_v.length2() > maxSpeed2;
      }
      if (!bad) {
        saveGood(t);
        continue;
      }
      // The last good state may already hold the start of the runaway (a node flung far from
      // its neighbours, still under the speed limit), and would go bad again at once: put
      // every node that lies over three rest lengths from its neighbours' mean back there.
      std::vector<btVector3> sum(t.goodX.size(), btVector3(0, 0, 0));
      std::vector<float> reach(t.goodX.size(), 0.0f);
      std::vector<uint32_t> count(t.goodX.size(), 0);
      for (const auto& e : t.mesh.edges()) {
        const float rest = glm::length(t.mesh.rest[e[0]] - t.mesh.rest[e[1]]);
        for (int k = 0; k < 2; ++k) {
          sum[e[k]] += t.goodX[e[1 - k]];
          reach[e[k]] = std::max(reach[e[k]], rest);
          ++count[e[k]];
        }
      }
      uint32_t repaired = 0;
      for (size_t i = 0; i < t.goodX.size(); ++i) {
        if (count[i] == 0 || t.mesh.fixed[i]) continue;
        const btVector3 mean = sum[i] / static_cast<btScalar>(count[i]);
        if ((t.goodX[i] - mean).length() > 3.0f * reach[i] || !finite(t.goodX[i])) {
          t.goodX[i] = mean;
          ++repaired;
        }
      }
      for (int i = 0; i < t.body->m_nodes.size(); ++i) {
        btSoftBody::Node& n = t.body->m_nodes[i];
        n.m_x = t.goodX[static_cast<size_t>(i)];
        n.m_q = n.m_x;
        n.m_v = btVector3(0, 0, 0);
        n.m_f = btVector3(0, 0, 0);
      }
      t.body->updateBounds();
      Event e = makeEvent(EventKind::kInstability, nullptr);
      e.tissue = {ti};
      events.push_back(std::move(e));
      // Logged the first time and then every 1000th, so a case that keeps failing cannot flood the log.
      if (t.instabilities++ % 1000 == 0) {
        TROCAR_LOG_WARN("tissue '%s' became unstable at tick %llu (%u times so far); restored its last good "
                        "state, %u nodes put back beside their neighbours",
                        t.name.c_str(), static_cast<unsigned long long>(tick), t.instabilities, repaired);
      }
    }
    for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
      Rigid& r = rigids[ri];
      const btTransform& tr = r.body->getWorldTransform();
      if (finite(tr.getOrigin()) && finite(r.body->getLinearVelocity()) &&
          finite(r.body->getAngularVelocity())) {
        r.good = tr;
        continue;
      }
      r.body->setWorldTransform(r.good);
      r.body->setLinearVelocity(btVector3(0, 0, 0));
      r.body->setAngularVelocity(btVector3(0, 0, 0));
      Event e = makeEvent(EventKind::kInstability, nullptr);
      e.rigid = {ri};
      events.push_back(std::move(e));
    }
  }

  void decayStress() {
    for (auto& t : tissues) {
      for (float& s : t.stress) s *= 0.98f;
    }
  }
};

// ---------------------------------------------------------------------------------------

World::World(const WorldSettings& settings)
    : mImpl(std::make_unique<Impl>(settings)), mClock(settings.tickHz) {}
World::~World() = default;

Result<TissueId> World::addTissue(const TissueSettings& s) {
  Result<TissueMesh> mesh = s.kind == TissueKind::kCloth        ? detail::buildClothMesh(s.name, s.cloth)
                            : s.kind == TissueKind::kVolumetric ? detail::buildTetMesh(s.name, s.tetMesh)
                                                                : detail::buildSurfaceMesh(s.name, s.surface);
  if (!mesh.ok()) return mesh.error();
  if (!(s.material.massKg > 0.0f)) {
    return makeError(ErrorCode::kInvalidInput, "tissue '" + s.name + "': mass must be positive",
                     "give material.mass_kg in kilograms");
  }
  Impl::Tissue t;
  t.name = s.name;
  t.kind = s.kind;
  t.material = s.material;
  t.iterations = s.solverIterations;
  t.yield = detail::toolYield(s.material, s.kind);
  t.mesh = std::move(mesh).value();
  if (s.embedded) {
    if (s.kind != TissueKind::kVolumetric) {
      return makeError(ErrorCode::kInvalidInput, "tissue '" + s.name + "': an embedded surface needs a tet mesh",
                       "give the tissue a tetmesh, or drop its surface");
    }
    for (const auto& nodes : s.embedded->nodes) {
      for (uint32_t n : nodes) {
        if (n >= t.mesh.nodeCount()) {
          return makeError(ErrorCode::kInvalidInput,
                           "tissue '" + s.name + "': its embedded surface names node " + std::to_string(n) +
                               " of " + std::to_string(t.mesh.nodeCount()),
                           "re-export the embedding with the tet mesh it belongs to");
        }
      }
    }
    if (s.embedded->weights.size() != s.embedded->nodes.size() || s.embedded->indices.size() % 3 != 0) {
      return makeError(ErrorCode::kInvalidInput, "tissue '" + s.name + "': its embedded surface is inconsistent",
                       "re-export the surface and its embedding together");
    }
    for (uint32_t v : s.embedded->indices) {
      if (v >= s.embedded->nodes.size()) {
        return makeError(ErrorCode::kInvalidInput,
                         "tissue '" + s.name + "': its embedded surface names vertex " + std::to_string(v) +
                             " of " + std::to_string(s.embedded->nodes.size()),
                         "re-export the surface and its embedding together");
      }
    }
    t.embedded = s.embedded;
  }
  for (const NodeSelector& selector : s.fixed) {
    if ((selector.kind == NodeSelector::Kind::kCorners || selector.kind == NodeSelector::Kind::kBorder) &&
        s.kind != TissueKind::kCloth) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': 'corners' and 'border' apply to cloth only",
                       "select fixed nodes with a box, a sphere or indices");
    }
    std::vector<uint32_t> fixed = detail::selectNodes(selector, t.mesh);
    if (fixed.empty()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': a fixed-node selection selects no node",
                       "check its centre and size against the tissue's position");
    }
    for (uint32_t n : fixed) t.mesh.fixed[n] = 1;
    t.hasFixed = true;
  }
  for (const auto& r : s.regions) {
    t.regionNames.push_back(r.name);
    t.regionSelectors.push_back(r.selector);
  }
  mImpl->computeRegions(t);
  for (size_t r = 0; r < t.regionNodes.size(); ++r) {
    if (t.regionNodes[r].empty()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': region '" + t.regionNames[r] + "' selects no node",
                       "move or enlarge the region so it covers part of the tissue");
    }
  }
  t.regionStats.resize(t.regionNames.size());
  const uint32_t index = static_cast<uint32_t>(mImpl->tissues.size());
  for (const std::string& other : s.collidesWith) {
    auto id = findTissue(other);
    if (!id) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': collides_with names '" + other + "', which is not a tissue before it",
                       "name tissues listed above this one (each pair once)");
    }
    mImpl->tissuePairs.push_back({index, id->index});
  }
  mImpl->tissues.push_back(std::move(t));
  mImpl->buildBody(mImpl->tissues.back(), nullptr, nullptr);
  return TissueId{static_cast<uint32_t>(mImpl->tissues.size() - 1)};
}

Result<RigidId> World::addRigid(const RigidSettings& s) {
  if (s.massKg < 0.0f || !(s.halfExtents.x > 0.0f)) {
    return makeError(ErrorCode::kInvalidInput,
                     "rigid object '" + s.name + "': mass must be >= 0 and size > 0",
                     "mass_kg 0 makes a static object");
  }
  Impl::Rigid r;
  r.name = s.name;
  r.settings = s;
  switch (s.shape) {
    case RigidShape::kBox: {
      auto box = std::make_unique<btBoxShape>(toBt(s.halfExtents));
      box->setMargin(kShapeMargin);
      box->initializePolyhedralFeatures();  // face contacts (several points), not one GJK point
      r.shape = std::move(box);
      break;
    }
    case RigidShape::kSphere:
      r.shape = std::make_unique<btSphereShape>(s.halfExtents.x);
      r.shape->setMargin(kShapeMargin);
      break;
    case RigidShape::kCylinder: {
      // A 24-sided prism with polyhedral contact clipping: Bullet's implicit cylinder meets
      // a flat board in a single rocking point, so a 1 cm peg tips over by itself.
      auto hull = std::make_unique<btConvexHullShape>();
      constexpr int kSides = 24;
      for (int i = 0; i < kSides; ++i) {
        float a = 2.0f * kPi * static_cast<float>(i) / kSides;
        float x = s.halfExtents.x * std::cos(a), z = s.halfExtents.x * std::sin(a);
        hull->addPoint(btVector3(x, -s.halfExtents.y, z), false);
        hull->addPoint(btVector3(x, s.halfExtents.y, z), false);
      }
      hull->recalcLocalAabb();
      hull->setMargin(kShapeMargin);
      hull->initializePolyhedralFeatures();
      r.shape = std::move(hull);
      break;
    }
  }
  btVector3 inertia(0, 0, 0);
  if (s.massKg > 0.0f) r.shape->calculateLocalInertia(s.massKg, inertia);
  btRigidBody::btRigidBodyConstructionInfo ci(s.massKg, nullptr, r.shape.get(), inertia);
  ci.m_startWorldTransform = toBt(s.pose);
  ci.m_friction = s.friction;
  r.body = std::make_unique<btRigidBody>(ci);
  if (s.massKg > 0.0f) {
    r.body->setActivationState(DISABLE_DEACTIVATION);
    r.body->setDamping(s.linearDamping, s.angularDamping);
    r.body->setRollingFriction(0.005f);  // rubber-like: a peg on its side soon stops
  }
  r.good = r.body->getWorldTransform();
  mImpl->world.addRigidBody(r.body.get());
  mImpl->rigids.push_back(std::move(r));
  return RigidId{static_cast<uint32_t>(mImpl->rigids.size() - 1)};
}

ZoneId World::addTargetZone(const TargetZoneSettings& s) {
  mImpl->zones.push_back({s});
  return ZoneId{static_cast<uint32_t>(mImpl->zones.size() - 1)};
}

void World::setInstrument(Hand hand, const InstrumentSettings& s) {
  Impl::Tool& tool = mImpl->tools[static_cast<size_t>(hand)];
  mImpl->removeTool(tool);
  tool.present = true;
  tool.settings = s;
  // The simulated body is the distal section of the shaft: a capsule from the tip back
  // 4 jaw lengths (the part that meets tissue); its centre sits comOffset behind the tip.
  // Scissor blades are thin: a sheet passes between them instead of being pushed, so their
  // capsule starts at the hinge.
  float radius = s.spec.shaftRadius;
  float length = 4.0f * s.spec.jawLength;
  float start = 0.0f;
  if (s.spec.cutsOnClose()) {
    start = s.spec.jawLength;
    length -= s.spec.jawLength;
  }
  tool.comOffset = start + radius + length * 0.5f;
  tool.shape = std::make_unique<btCapsuleShapeZ>(radius, length);
  btVector3 inertia;
  tool.shape->calculateLocalInertia(s.spec.massKg, inertia);
  btRigidBody::btRigidBodyConstructionInfo ci(s.spec.massKg, nullptr, tool.shape.get(), inertia);
  ci.m_friction = 0.6f;
  tool.body = std::make_unique<btRigidBody>(ci);
  tool.body->setActivationState(DISABLE_DEACTIVATION);
  // A scalpel is sharp: it parts what it sweeps instead of pushing it.
  if (s.spec.cutsBySweep()) {
    tool.body->setCollisionFlags(tool.body->getCollisionFlags() | btCollisionObject::CF_NO_CONTACT_RESPONSE);
  }
  mImpl->world.addRigidBody(tool.body.get(), kToolGroup, btBroadphaseProxy::AllFilter & ~kTissueGroup);
  tool.body->setGravity(btVector3(0, 0, 0));  // the hand carries the tool's weight
  tool.state = InstrumentState{};
  tool.state.present = true;
  tool.hasTarget = false;
}

void World::setInstrumentTray(Hand hand, std::vector<InstrumentSettings> tray) {
  TROCAR_PRECONDITION(!tray.empty(), "an instrument tray holds at least one instrument");
  const size_t h = static_cast<size_t>(hand);
  mImpl->trays[h] = std::move(tray);
  mImpl->trayIndex[h] = 0;
  setInstrument(hand, mImpl->trays[h].front());
}

uint32_t World::trayIndex(Hand hand) const {
  return mImpl->trayIndex[static_cast<size_t>(hand)];
}

const std::vector<Event>& World::step(const InputFrame& input) {
  beginTick(input);
  advancePhysics();
  return finishTick();
}

void World::beginTick(const InputFrame& input) {
  Impl& w = *mImpl;
  TROCAR_PRECONDITION(!mPhysicsPending, "beginTick twice without advancePhysics/finishTick");
  w.events.clear();
  w.tick = mTick;
  // Instrument exchange: the hand asks for another of its tray's instruments (an index
  // past the tray's end is ignored).
  for (size_t h = 0; h < w.tools.size(); ++h) {
    const uint32_t want = input.hands[h].instrument;
    if (want != w.trayIndex[h] && want < w.trays[h].size()) {
      w.trayIndex[h] = want;
      if (w.tools[h].present) w.onJawOpen(w.tools[h]);  // lets go first (a release event)
      setInstrument(static_cast<Hand>(h), w.trays[h][want]);
      w.tools[h].armed = false;
    }
  }
  // Hands drive the instruments (coupling forces, jaw actions) for this tick.
  for (size_t h = 0; h < w.tools.size(); ++h) {
    Impl::Tool& tool = w.tools[h];
    if (!tool.present) continue;
    if (!tool.hasTarget) {
      // First tick: start the tool body at its target so it does not fly in.
      const instruments::Port* port = tool.settings.port ? &*tool.settings.port : nullptr;
      tool.target = instruments::tipTargetFromHand(input.hands[h].pose, tool.settings.spec, port);
      btTransform start =
          toBt(tool.target) * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, tool.comOffset));
      tool.body->setWorldTransform(start);
      tool.body->setCenterOfMassTransform(start);
    }
    w.drive(tool, input.hands[h]);
  }
  mPhysicsPending = true;
}

void World::advancePhysics() {
  TROCAR_PRECONDITION(mPhysicsPending, "advancePhysics without beginTick");
  // Exactly one Bullet step of dt (maxSubSteps 0: no accumulator inside Bullet).
  mImpl->world.stepSimulation(mImpl->dt, 0, mImpl->dt);
  ++mTick;
  mImpl->tick = mTick;
  mPhysicsPending = false;
  mSensePending = true;
}

const std::vector<Event>& World::finishTick() {
  TROCAR_PRECONDITION(mSensePending, "finishTick without advancePhysics");
  Impl& w = *mImpl;
  // Sense: contacts, forces, damage, view; sweeping cuts; placed/dropped; stability.
  w.decayStress();
  w.resolveContacts();
  for (auto& tool : w.tools) {
    if (!tool.present) continue;
    // Sense first: a cut rebuilds the body, whose contacts only exist after the next step.
    w.senseContacts(tool);
    if (tool.settings.spec.cutsBySweep()) w.scalpelSweep(tool);
  }
  w.trackRigids();
  w.guardStability();
  for (uint32_t ti = 0; ti < w.tissues.size(); ++ti) w.tearOverstretched(ti);
  mSensePending = false;
  return w.events;
}

Hash64 World::stateHash() const {
  const Impl& w = *mImpl;
  StateHasher h;
  h.add(mTick);
  std::vector<float> buffer;
  for (const auto& t : w.tissues) {
    const int n = t.body->m_nodes.size();
    buffer.resize(static_cast<size_t>(n) * 6);
    for (int i = 0; i < n; ++i) {
      const btSoftBody::Node& node = t.body->m_nodes[i];
      float* out = &buffer[static_cast<size_t>(i) * 6];
      for (int k = 0; k < 3; ++k) {
        out[k] = node.m_x[k];
        out[3 + k] = node.m_v[k];
      }
    }
    h.add(static_cast<uint64_t>(n));
    h.addSpan(std::span<const float>(buffer));
  }
  auto addBody = [&h](const btRigidBody& body) {
    const btTransform& tr = body.getWorldTransform();
    float values[18];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) values[r * 3 + c] = tr.getBasis()[r][c];
      values[9 + r] = tr.getOrigin()[r];
      values[12 + r] = body.getLinearVelocity()[r];
      values[15 + r] = body.getAngularVelocity()[r];
    }
    h.addBytes(values, sizeof(values));
  };
  for (const auto& r : w.rigids) addBody(*r.body);
  for (const auto& c : w.clips) addBody(*c.body);
  for (const auto& tool : w.tools) {
    h.add(static_cast<uint8_t>(tool.present));
    if (!tool.present) continue;
    addBody(*tool.body);
    h.add(tool.state.jawAngle);
    h.add(static_cast<uint32_t>(tool.graspNodes.size()));
  }
  return h.digest();
}

void World::snapshot(WorldSnapshot& out) const {
  const Impl& w = *mImpl;
  out.tick = mTick;
  out.tissues.resize(w.tissues.size());
  for (size_t ti = 0; ti < w.tissues.size(); ++ti) {
    const auto& t = w.tissues[ti];
    TissueSnapshot& s = out.tissues[ti];
    const int n = t.body->m_nodes.size();
    s.positions.resize(static_cast<size_t>(n));
    s.normals.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      s.positions[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_x);
      s.normals[static_cast<size_t>(i)] = Vec3(0.0f);
    }
    if (s.topologyVersion != t.topologyVersion || s.indices.size() != t.mesh.triangles.size() * 3) {
      s.indices.clear();
      for (const auto& f : t.mesh.triangles) s.indices.insert(s.indices.end(), f.begin(), f.end());
      s.restPositions = t.mesh.rest;
      s.topologyVersion = t.topologyVersion;
    }
    // Area-weighted vertex normals from the current triangles.
    for (const auto& f : t.mesh.triangles) {
      Vec3 nrm = glm::cross(s.positions[f[1]] - s.positions[f[0]], s.positions[f[2]] - s.positions[f[0]]);
      for (uint32_t v : f) s.normals[v] += nrm;
    }
    for (Vec3& nrm : s.normals) {
      float len = glm::length(nrm);
      nrm = len > 0.0f ? nrm / len : Vec3(0.0f, 1.0f, 0.0f);
    }
    s.stress = t.stress;
  }
  out.rigids.resize(w.rigids.size());
  for (size_t i = 0; i < w.rigids.size(); ++i) out.rigids[i] = toPose(w.rigids[i].body->getWorldTransform());
  for (size_t h = 0; h < w.tools.size(); ++h) {
    const auto& tool = w.tools[h];
    out.instruments[h].present = tool.present;
    if (!tool.present) continue;
    out.instruments[h].kind = tool.settings.spec.kind;
    out.instruments[h].tipPose = toPose(w.toolTipTransform(tool));
    out.instruments[h].targetPose = tool.state.targetPose;
    out.instruments[h].jawAngle = tool.state.jawAngle;
  }
  out.clips.resize(w.clips.size());
  for (size_t i = 0; i < w.clips.size(); ++i)
    out.clips[i].pose = toPose(w.clips[i].body->getWorldTransform());
}

const InstrumentState& World::instrument(Hand hand) const {
  return mImpl->tools[static_cast<size_t>(hand)].state;
}
size_t World::tissueCount() const {
  return mImpl->tissues.size();
}
size_t World::rigidCount() const {
  return mImpl->rigids.size();
}

std::string_view World::tissueName(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].name;
}
std::string_view World::rigidName(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return mImpl->rigids[id.index].name;
}
std::string_view World::zoneName(ZoneId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->zones.size(), "unknown zone id");
  return mImpl->zones[id.index].settings.name;
}
std::optional<TissueId> World::findTissue(std::string_view name) const {
  for (uint32_t i = 0; i < mImpl->tissues.size(); ++i) {
    if (mImpl->tissues[i].name == name) return TissueId{i};
  }
  return std::nullopt;
}
std::optional<RigidId> World::findRigid(std::string_view name) const {
  for (uint32_t i = 0; i < mImpl->rigids.size(); ++i) {
    if (mImpl->rigids[i].name == name) return RigidId{i};
  }
  return std::nullopt;
}
std::optional<uint32_t> World::findRegion(TissueId tissue, std::string_view name) const {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  const auto& names = mImpl->tissues[tissue.index].regionNames;
  for (uint32_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}
std::string_view World::regionName(TissueId tissue, uint32_t region) const {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[tissue.index].regionNames.size(), "unknown region");
  return mImpl->tissues[tissue.index].regionNames[region];
}

size_t World::nodeCount(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return static_cast<size_t>(mImpl->tissues[id.index].body->m_nodes.size());
}
Vec3 World::nodePosition(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  return toVec(mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_x);
}
Vec3 World::nodeVelocity(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  return toVec(mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_v);
}
float World::nodeMass(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  btScalar im = mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_im;
  return im > 0 ? 1.0f / im : 0.0f;
}
float World::totalMass(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].material.massKg;
}
std::span<const uint32_t> World::regionNodes(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[id.index].regionNodes.size(), "unknown region");
  return mImpl->tissues[id.index].regionNodes[region];
}
const std::vector<std::vector<Vec3>>& World::cutPaths(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].cuts;
}
uint32_t World::pieceCount(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].pieceCount;
}
double World::pieceRestArea(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  const auto& t = mImpl->tissues[id.index];
  TROCAR_PRECONDITION(region < t.regionNodes.size(), "unknown region");
  if (t.regionNodes[region].empty()) return 0.0;
  // The piece holding most of the region's nodes (slivers cut off along the line hold a few).
  std::vector<uint32_t> held(t.pieceCount, 0);
  for (uint32_t n : t.regionNodes[region]) held[t.piece[n]]++;
  const uint32_t piece = static_cast<uint32_t>(std::max_element(held.begin(), held.end()) - held.begin());
  double area = 0.0;
  for (const auto& f : t.mesh.triangles) {
    if (t.piece[f[0]] != piece) continue;
    glm::dvec3 ab(t.mesh.rest[f[1]] - t.mesh.rest[f[0]]), ac(t.mesh.rest[f[2]] - t.mesh.rest[f[0]]);
    area += 0.5 * glm::length(glm::cross(ab, ac));
  }
  return area;
}

std::optional<World::SurfaceHit> World::castRay(const Vec3& origin, const Vec3& direction, float maxDistance,
                                                std::optional<TissueId> only) const {
  const float length = glm::length(direction);
  TROCAR_PRECONDITION(length > 0.0f, "castRay needs a direction");
  const btVector3 o = toBt(origin), d = toBt(direction / length);
  std::optional<SurfaceHit> best;
  for (uint32_t ti = 0; ti < mImpl->tissues.size(); ++ti) {
    if (only && only->index != ti) continue;
    Impl::Tissue& t = mImpl->tissues[ti];
    detail::ContactSurface& surface = mImpl->surfaceOf(t);  // a cache: refreshed, not changed
    detail::refresh(surface, *t.body);
    float reach = best ? best->distance : maxDistance;
    for (const auto& tri : surface.triangles) {
      const btVector3 &p0 = surface.x[tri[0]], &p1 = surface.x[tri[1]], &p2 = surface.x[tri[2]];
      // Edges and corners count (a ray along a mirror plane of the mesh meets it there).
      btScalar at;
      btVector3 bary;
      if (!detail::rayHitsTriangle(o, d, p0, p1, p2, 1e-5f, reach, &at, &bary)) continue;
      const btVector3 e1 = p1 - p0, e2 = p2 - p0;
      reach = static_cast<float>(at);
      btVector3 n = e1.cross(e2).normalized();
      if (n.dot(d) > 0) n = -n;
      best = SurfaceHit{TissueId{ti}, toVec(o + d * at), toVec(n), static_cast<float>(at)};
    }
  }
  return best;
}

Pose World::rigidPose(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return toPose(mImpl->rigids[id.index].body->getWorldTransform());
}
Vec3 World::rigidLinearVelocity(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return toVec(mImpl->rigids[id.index].body->getLinearVelocity());
}
World::RegionForceStats World::regionForce(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[id.index].regionStats.size(), "unknown region");
  return mImpl->tissues[id.index].regionStats[region];
}

uint32_t World::cutWithQuad(TissueId tissue, const std::array<Vec3, 4>& quad) {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  mImpl->tick = mTick;
  mImpl->events.clear();
  return mImpl->cut(tissue.index, quad, nullptr);
}

void World::setNodeVelocity(TissueId tissue, uint32_t node, const Vec3& velocity) {
  TROCAR_PRECONDITION(node < nodeCount(tissue), "node index out of range");
  mImpl->tissues[tissue.index].body->m_nodes[static_cast<int>(node)].m_v = toBt(velocity);
}

const std::vector<Event>& World::lastEvents() const {
  return mImpl->events;
}

}  // namespace trocar::physics
