#pragma once
// Plain data shared by the physics API: handles, settings, input, events.
// Units: SI (m, kg, s, N). Frame: stage, right-handed, +Y up, -Z forward.

#include <trocar/core/Clock.h>
#include <trocar/core/Math.h>
#include <trocar/instruments/Instrument.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trocar::physics {

using instruments::Hand;
using instruments::kHandCount;

// Handles: opaque indices, passed by value. kInvalid marks "none".
constexpr uint32_t kInvalidIndex = 0xFFFFFFFFu;
struct TissueId {
  uint32_t index = kInvalidIndex;
  bool valid() const { return index != kInvalidIndex; }
  bool operator==(const TissueId&) const = default;
};
struct RigidId {
  uint32_t index = kInvalidIndex;
  bool valid() const { return index != kInvalidIndex; }
  bool operator==(const RigidId&) const = default;
};
struct ZoneId {
  uint32_t index = kInvalidIndex;
  bool valid() const { return index != kInvalidIndex; }
  bool operator==(const ZoneId&) const = default;
};

// ---- World ------------------------------------------------------------------------

struct WorldSettings {
  uint32_t tickHz = kDefaultTickHz;  // [50, 1000]
  Vec3 gravity{0.0f, -9.81f, 0.0f};  // m/s^2
  float groundHeight = 0.0f;         // top of the static ground box (the floor), m
  // The operating table or the trainer's base, a static box: tissue and objects rest on it.
  struct Table {
    Vec3 center{0.0f};
    Vec3 halfExtents{0.0f};
  };
  std::optional<Table> table;
  float maxNodeSpeed = 30.0f;  // m/s; faster nodes count as unstable
  // Laparoscopic camera (for "instrument out of view"); none in open scenarios.
  struct Camera {
    Pose pose;  // looks along its -Z
    float verticalFovRad = 1.2f;
    float aspect = 16.0f / 9.0f;
    float nearM = 0.005f;
    float farM = 0.5f;
    // How far the view is tilted from the scope's shaft (0 or 30 degrees): rolling a 30-degree
    // scope about its shaft looks around. Used by the rigs that move the scope.
    float lensAngleRad = 0.0f;
  };
  std::optional<Camera> camera;
};

// ---- Tissue -----------------------------------------------------------------------

// Material in terms an instructor can reason about; mapped to Bullet's coefficients in one
// place (Material.cpp, mapMaterial). Stiffness values are fractions in [0, 1]: 1 keeps the
// rest shape as hard as the solver can, 0 offers no resistance.
struct Material {
  float stretch = 0.9f;       // resistance to stretching along the surface/edges
  float bend = 0.1f;          // resistance to bending (cloth, surfaces)
  float volume = 0.5f;        // resistance to volume change (volumetric, closed surfaces)
  float damping = 0.02f;      // fraction of relative velocity removed per tick [0, 1)
  float massKg = 0.01f;       // total mass of the tissue
  float friction = 0.5f;      // dynamic friction against instruments and objects [0, 1]
  float damageForceN = 3.0f;  // interaction force above which the tissue is damaged
  float tearForceN = 6.0f;    // grasp force above which the grasp tears out
};

// Node selection used for regions and fixed nodes. A node is selected when its *rest*
// position (material coordinates) satisfies the shape, so selections survive deformation
// and are re-evaluated for nodes that cuts create.
struct NodeSelector {
  enum class Kind : uint8_t { kIndices, kSphere, kBox, kMarkingCircle, kCorners, kBorder, kMarking };
  Kind kind = Kind::kIndices;
  std::vector<uint32_t> indices;  // kIndices
  Vec3 center{0.0f};              // kSphere, kBox: stage frame at rest; kMarking: a circle's centre
  float radius = 0.0f;            // kSphere, kMarkingCircle; kMarking: a circle's radius, else 0
  Vec3 halfExtents{0.0f};         // kBox
  Vec2 center2d{0.0f};            // kMarkingCircle: cloth coordinates (m from the cloth centre)
  // kMarking: the tissue's marking `marking` (TissueSettings::markings); addTissue fills in the
  // rest are its line as laid on the surface. A closed line (or circle) selects what lies
  // under it: inside it seen along `normal`, within `band` of its plane; an open line what
  // lies within `band` of it.
  uint32_t marking = 0;
  std::vector<Vec3> line;
  bool closed = false;
  Vec3 normal{0.0f};
  float band = 0.0f;

  static NodeSelector sphere(Vec3 c, float r);
  static NodeSelector box(Vec3 c, Vec3 halfExtents);
  static NodeSelector circle(Vec2 c, float r);
  static NodeSelector nodes(std::vector<uint32_t> indices);
  static NodeSelector corners();
  static NodeSelector border();
  static NodeSelector markingOf(uint32_t marking);
};

// A line drawn on a tissue's surface: an incision line, a resection margin, the pattern-
// cutting circle. Given in the stage frame at rest; addTissue lays it onto the drawn surface
// (each point moved to the nearest surface point, at most 2 mm apart), so it follows the
// tissue as it deforms and as it is cut.
struct MarkingSettings {
  std::string name;
  std::vector<Vec3> points;  // a polyline's corners (empty for a circle)
  bool closed = false;       // the last corner joins the first
  // A circle (radius > 0): round `center` (moved onto the surface) in the surface's tangent
  // plane there, or in the plane of `normal` when it is set (non-zero: cloth).
  Vec3 center{0.0f};
  float radius = 0.0f;
  Vec3 normal{0.0f};
};

// A marking as laid on the drawn surface, at rest.
struct Marking {
  std::string name;
  std::vector<Vec3> points;  // stage frame at rest, on the surface, at most 2 mm apart
  bool closed = false;
};

struct RegionSettings {
  std::string name;
  NodeSelector selector;
};

// Geometry: exactly one of these is set (checked by addTissue).
struct ClothGeometry {
  Vec2 size{0.1f, 0.1f};  // m, along the cloth's local X and Z
  uint32_t cellsX = 32, cellsZ = 32;
  Pose pose;  // cloth centre; the sheet lies in its local X-Z plane
  // A membrane laid over structures (peritoneum over ducts): each node is lowered along the
  // sheet's -Y until it rests `drapeGap` above the drawn surface of one of these tissues
  // (added before it) anywhere within half a cell of it, or by `drapeDepth` where none is
  // within reach; the sheet then spans
  // between them as a stretched membrane does (at each free node the mean of its neighbours'
  // heights, never below what it rests on). Empty: the sheet stays flat.
  std::vector<std::string> drapeOver;
  float drapeGap = 0.001f;   // m
  float drapeDepth = 0.01f;  // m
};
struct TetMesh {
  std::vector<Vec3> nodes;                    // stage frame, m
  std::vector<std::array<uint32_t, 4>> tets;  // positive volume (addTissue checks)
};
struct SurfaceMesh {
  std::vector<Vec3> vertices;                      // stage frame, m
  std::vector<std::array<uint32_t, 3>> triangles;  // closed, outward counter-clockwise
};

enum class TissueKind : uint8_t { kCloth, kVolumetric, kSurface };

// A detailed surface embedded in a tet mesh (anatomy packs): each vertex follows four nodes
// of the tet that holds it, by barycentric weights. Until a cut changes the tets it is the
// tissue's contact surface (what instruments touch) and what the renderer draws.
struct EmbeddedSurface {
  std::vector<uint32_t> indices;               // triangles over the surface's vertices, outward
  std::vector<std::array<uint32_t, 4>> nodes;  // per vertex: the tissue nodes of its tet
  std::vector<std::array<float, 4>> weights;   // per vertex: their barycentric weights
};

struct TissueSettings {
  std::string name;
  TissueKind kind = TissueKind::kCloth;
  ClothGeometry cloth;                      // kCloth
  TetMesh tetMesh;                          // kVolumetric
  SurfaceMesh surface;                      // kSurface
  std::optional<EmbeddedSurface> embedded;  // kVolumetric: the detailed surface, if any
  Material material;
  std::vector<NodeSelector> fixed;  // nodes pinned in place (the union of the selections)
  std::vector<RegionSettings> regions;
  std::vector<MarkingSettings> markings;
  uint32_t solverIterations = 4;  // Bullet positional iterations; more = stiffer, slower
  // Tissues (by name, added before this one) whose drawn surfaces this one meets: a gallbladder
  // on its liver bed. Off unless named: each pair costs a surface-against-surface test a tick.
  std::vector<std::string> collidesWith;
  // A vessel bleeds where it is cut, from each side of the cut that no clip closes, at
  // bleedMlPerS from each open end until a clip closes that side.
  bool vessel = false;
  float bleedMlPerS = 2.0f;
};

// ---- Rigid objects and target zones ------------------------------------------------

// kTriangle: the FLS kit's transfer object, an equilateral ring lying in its own x-z plane
// (centroid at the origin) that goes over a post; halfExtents x half its outer side, y half
// its thickness, z half the width of its bars (triangleBars, Generators.h).
enum class RigidShape : uint8_t { kBox, kSphere, kCylinder, kTriangle };

struct RigidSettings {
  std::string name;
  RigidShape shape = RigidShape::kBox;
  Vec3 halfExtents{0.01f};  // box; cylinder uses x as radius, y as half height; sphere x
  float massKg = 0.0f;      // 0: static
  float friction = 0.6f;
  // Velocity damping per second, [0, 1): centimetre-sized objects of a few grams keep
  // rocking on their contacts at 500 Hz without some; this is air and rolling resistance.
  float linearDamping = 0.05f;
  float angularDamping = 0.3f;
  Pose pose;
};

// A box where a resting object counts as placed; or, with `around` (static objects' names),
// the posts an object counts as placed over: it rests with its centre inside a post's
// outline (grown by kAroundSlack) and below its top, so the post goes through its hole.
struct TargetZoneSettings {
  std::string name;
  Vec3 center{0.0f};
  Vec3 halfExtents{0.01f};
  std::vector<std::string> around;
};
inline constexpr float kAroundSlack = 0.002f;

// ---- Instruments -------------------------------------------------------------------

struct InstrumentSettings {
  instruments::InstrumentSpec spec;
  std::optional<instruments::Port> port;  // laparoscopic: through this port
  // Virtual coupling: spring-damper from the tracked pose to the tool body. The spring
  // force is the feedback force. Defaults are near critically damped for the tool mass.
  float linearStiffness = 400.0f;  // N/m
  float linearDamping = 12.0f;     // N s/m
  float angularStiffness = 2.0f;   // N m/rad
  float angularDamping = 0.05f;    // N m s/rad
  float maxForceN = 25.0f;         // coupling force clamp
};

// ---- Input -------------------------------------------------------------------------

struct HandInput {
  Pose pose;               // grip pose, stage frame
  float trigger = 0.0f;    // 0 released .. 1 squeezed (closes the jaws)
  float grip = 0.0f;       // squeeze
  uint32_t buttons = 0;    // bit set, rig-defined
  bool tracked = true;     // untracked hands keep their last target
  uint8_t instrument = 0;  // which of the hand's tray of instruments it holds (0..127)
};

// What the simulation consumes in one tick; exactly this is recorded and replayed.
struct InputFrame {
  Pose head;
  std::array<HandInput, kHandCount> hands{};
  // The laparoscope moved to this pose (its lens; looks along -Z) this tick; unset: it stays.
  // Sessions keep it only when it differs from where the scope is (recordings stay sparse).
  std::optional<Pose> scope;
};

// ---- Events ------------------------------------------------------------------------

enum class EventKind : uint8_t {
  kContactBegin,  // instrument starts touching a tissue or rigid object
  kContactEnd,
  kGrasp,           // jaws closed on tissue nodes or a rigid object
  kRelease,         // jaws opened (or the grasp tore out: see kDamage with torn=true)
  kCut,             // value = cut length (m)
  kDetached,        // a tissue piece lost every connection to its fixed nodes
  kClipApplied,     // value = position along the tissue's long axis [0, 1]
  kDropped,         // rigid object came to rest outside every target zone; value = 1 when out
                    // of the laparoscope's view (or there is none), 0 when it can be seen
  kPlaced,          // rigid object came to rest inside `zone`
  kDamage,          // value = force (N) above the region's damage threshold
  kOutOfViewBegin,  // instrument tip left the camera frustum
  kOutOfViewEnd,
  kInstability,  // NaN/runaway detected in a body; its last good state was restored
  kBleeding,     // a vessel cut where no clip closes it; value = ml/s it started losing
};
constexpr EventKind kLastEventKind = EventKind::kBleeding;  // readers check kinds against it
const char* toString(EventKind kind);

struct Event {
  Tick tick = 0;
  EventKind kind = EventKind::kContactBegin;
  std::optional<Hand> hand;
  TissueId tissue;
  RigidId rigid;
  ZoneId zone;
  std::vector<uint32_t>
      regions;          // region indices within `tissue` (detached: regions the piece holds most of)
  float value = 0.0f;   // meaning per kind, see EventKind
  Vec3 position{0.0f};  // where it happened, stage frame
  bool torn = false;    // kRelease / kDamage: the grasp tore out
};

// ---- Per-tick instrument state (forces for feedback and scoring) --------------------

struct InstrumentState {
  bool present = false;
  Pose tipPose;              // the physical tool, stage frame
  Pose targetPose;           // where the hand wants it
  float jawAngle = 0.0f;     // rad
  Vec3 couplingForce{0.0f};  // N, on the tool toward the hand target (feedback force)
  bool inContact = false;
  TissueId touchedTissue;  // the tissue touched (first by index), if any
  std::vector<uint32_t> touchedRegions;
  RigidId touchedRigid;
  bool grasping = false;
};

}  // namespace trocar::physics
