#pragma once
// The contact stage: instruments meet tissue on the surface that is drawn.
//
// Each tissue has a ContactSurface: the triangles the renderer draws (cloth faces, a volume's
// boundary faces, a closed surface, or an anatomy pack's embedded detailed surface), each
// vertex a weighted sum of simulation nodes (weight 1 on its own node, or the four barycentric
// weights of the tet that carries it). Instruments are capsules as drawn (shaft, each jaw at
// its current opening). Contacts are found between them every tick, swept from the last tick
// so a fast tool cannot tunnel through a thin sheet, and resolved by moving the nodes that
// carry the touched surface point through the same weights (position-based, mass-weighted).
// Plain geometry and data; World decides when to run it (src/ContactStage.cpp).

#include "TissueMesh.h"

#include <trocar/instruments/Instrument.h>
#include <trocar/physics/Types.h>

#include <BulletSoftBody/btSoftBody.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace trocar::physics::detail {

// A segment a-b swept by a sphere of `radius`, stage frame.
struct Capsule {
  btVector3 a{0, 0, 0}, b{0, 0, 0};  // a: the distal end (tip side)
  float radius = 0.0f;
  bool resolve = true;  // pushes tissue; false: senses only (blades part tissue, they don't push it)
};

// The instrument as drawn (ScenePresenter::addInstrument): the distal shaft from the hinge
// back, and each jaw or blade at `jawAngle` (a grasper's jaw as two capsules side by side,
// it is 1.6 shaft radii wide). A scalpel is its blade only. Every shaft and a grasper's jaws
// push tissue; blades, a clip applier's jaws and a scalpel only sense it (see the .cpp).
void instrumentCapsules(const instruments::InstrumentSpec& spec, float jawAngle, const btTransform& tip,
                        std::vector<Capsule>& out);

// The surface a tissue is touched on.
struct ContactSurface {
  uint32_t arity = 1;                              // nodes per vertex: 1 (the node itself) or 4 (a tet's)
  std::vector<uint32_t> nodes;                     // vertexCount * arity
  std::vector<float> weights;                      // vertexCount * arity
  std::vector<std::array<uint32_t, 3>> triangles;  // over vertices, counter-clockwise outward
  bool twoSided = false;                           // cloth: touched from either side
  float halfThickness = 0.0f;                      // cloth: the sheet's half thickness, m
  bool embedded = false;                           // an embedded detailed surface
  uint32_t topologyVersion = 0xFFFFFFFFu;          // of the tissue it was built for

  // Refreshed by refresh(): vertex positions and bounds. A patched surface refreshes only
  // its bounds there; the positions of a patch's vertices when a query reaches it (near()).
  std::vector<btVector3> x;
  btVector3 lo{0, 0, 0}, hi{0, 0, 0};

  // Patches, for large surfaces (an anatomy pack's 20,000 triangles, a fine gauze): the triangles
  // grouped by place, each group with the vertices and nodes it is made of, so a tick costs
  // the patches near a tool, not the whole surface. A patch's bounds are its vertices' exact
  // bounds when they were last computed, grown by how far its nodes have moved since (times
  // `spread`, its vertices' largest sum of |weight|). Built at the first refresh.
  struct Patch {
    std::vector<uint32_t> triangles, vertices, nodes;  // each ascending
    float spread = 1.0f;
    std::vector<btVector3> anchor;  // the nodes' positions when exactLo/Hi were taken
    btVector3 exactLo{0, 0, 0}, exactHi{0, 0, 0};
    btVector3 lo{0, 0, 0}, hi{0, 0, 0};  // this refresh's
    uint32_t anchoredAt = 0;             // the refresh whose positions exactLo/Hi are
  };
  std::vector<Patch> patches;
  std::vector<uint32_t> fresh;  // per vertex: the refresh its position belongs to
  uint32_t refreshes = 0;
  std::vector<uint32_t> scratch, all;  // near()'s answer; every triangle (unpatched surfaces)
  std::vector<uint64_t> bits;          // near()'s: which items the patches reached hold

  size_t vertexCount() const { return nodes.size() / arity; }
};

constexpr float kClothHalfThickness = 0.0005f;  // m: a 1 mm sheet

ContactSurface surfaceOfMesh(const TissueMesh& mesh);
ContactSurface surfaceOfEmbedding(const EmbeddedSurface& embedded);
void refresh(ContactSurface& surface, const btSoftBody& body);
// The triangles (or, with `vertices`, the vertices) that may lie within [lo, hi], ascending,
// with their positions up to date (a superset: callers test them). Valid until the next call.
std::span<const uint32_t> near(ContactSurface& surface, const btSoftBody& body, const btVector3& lo,
                               const btVector3& hi, bool vertices = false);

// A point of a contact surface: up to 12 (node, weight) pairs (3 vertices x 4 nodes).
struct SurfacePoint {
  uint32_t count = 0;
  std::array<uint32_t, 12> nodes{};
  std::array<float, 12> weights{};

  btVector3 position(const btSoftBody& body) const;
  // The node carrying most of the point (for regions and stress tint).
  uint32_t heaviestNode() const;
  // Moves the point by `delta`, spread over its nodes by weight and inverse mass (PBD).
  // Returns false when every node carrying it is fixed (nothing moved).
  bool move(btSoftBody& body, const btVector3& delta) const;
};
SurfacePoint surfacePoint(const ContactSurface& surface, uint32_t triangle, const btVector3& bary);
SurfacePoint vertexPoint(const ContactSurface& surface, uint32_t vertex);

// One capsule touching one tissue this tick. The constraint is dot(q - p(x), normal) >= gap,
// with q the capsule-axis point (the tool holds still while tissue is resolved).
struct SurfaceContact {
  uint32_t tissue = 0;
  uint32_t capsule = 0;  // index into the instrument's capsules (0: the shaft)
  SurfacePoint point;
  btVector3 q{0, 0, 0};
  btVector3 normal{0, 1, 0};  // unit, from the surface toward the tool
  float gap = 0.0f;           // capsule radius + sheet half thickness
  bool resolve = true;

  uint32_t triangle = 0;  // of the contact surface
  int8_t side = 1;        // sheets: which face of the triangle the tool is on (+1: its normal's)

  float error(const btSoftBody& body) const { return (q - point.position(body)).dot(normal) - gap; }
  // Moves the surface point just out (PBD), if it is in.
  void pushOut(btSoftBody& body) const {
    const float e = error(body);
    if (e < 0.0f) point.move(body, normal * e);
  }
};

// Which side of a sheet's triangles a capsule was on while it touched them last tick: a
// sheet wrapped around a tool keeps being pushed the way it was, however its faces turn.
struct SideMemory {
  std::vector<std::pair<uint64_t, int8_t>> sides;  // (key(tissue, capsule, triangle), side), sorted
  static uint64_t key(uint32_t tissue, uint32_t capsule, uint32_t triangle) {
    return (static_cast<uint64_t>(tissue) << 40) | (static_cast<uint64_t>(capsule) << 32) | triangle;
  }
  int8_t find(uint64_t k) const;  // 0: not touched last tick
};

// Contacts of an instrument's capsules (`now`; `prev`: a tick ago, same order) with a
// refreshed surface: every triangle whose separation from a capsule is below its gap +
// senseMargin, or that an end of the capsule crossed since the last tick. Appended in
// triangle order, then capsule order.
void findContacts(ContactSurface& surface, const btSoftBody& body, uint32_t tissue,
                  std::span<const Capsule> now, std::span<const Capsule> prev, float senseMargin,
                  const SideMemory& memory, std::vector<SurfaceContact>& out);

// The first triangle of a refreshed surface that the ray origin + t * direction (unit, t up
// to *reach) meets, edges and corners included; *reach becomes its t. kInvalidIndex if none.
uint32_t nearestRayHit(ContactSurface& surface, const btSoftBody& body, const btVector3& origin,
                       const btVector3& direction, btScalar* reach);

// The point of the surface nearest to `q` within `maxDistance`; false if none.
bool closestSurfacePoint(ContactSurface& surface, const btSoftBody& body, const btVector3& q,
                         float maxDistance, SurfacePoint* point, btVector3* at, float* distance);

// How deep `p` lies inside a rigid object as drawn (a box of `halfExtents`, a sphere of radius
// x, a cylinder of radius x and half height y along its Y) at `pose`: the depth (> 0 inside),
// the outward normal and the nearest point of its surface, all in the object's own frame.
struct ShapeDepth {
  btScalar depth = 0;
  btVector3 normal{0, 1, 0}, on{0, 0, 0};
};
std::optional<ShapeDepth> insideShape(RigidShape shape, const Vec3& halfExtents, const btTransform& pose,
                                      const btVector3& p);

// Geometry, exposed for tests.
struct SegmentTriangle {
  btScalar distance = 0;
  btScalar t = 0;  // along the segment [0, 1]
  btVector3 onSegment{0, 0, 0}, onTriangle{0, 0, 0};
  btVector3 bary{1, 0, 0};  // of onTriangle
};
// Where the ray origin + t * direction (0 <= t <= maxT) meets the triangle, edges widened by
// edgeTolerance (barycentric).
bool rayHitsTriangle(const btVector3& origin, const btVector3& direction, const btVector3& p0,
                     const btVector3& p1, const btVector3& p2, btScalar edgeTolerance, btScalar maxT,
                     btScalar* t, btVector3* bary);
SegmentTriangle closestSegmentTriangle(const btVector3& a, const btVector3& b, const btVector3& p0,
                                       const btVector3& p1, const btVector3& p2);
btVector3 closestPointOnTriangle(const btVector3& q, const btVector3& p0, const btVector3& p1,
                                 const btVector3& p2, btVector3* bary);

}  // namespace trocar::physics::detail
