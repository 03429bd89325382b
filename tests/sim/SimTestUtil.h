#pragma once
// Scene helpers for the simulation tests.

#include <trocar/physics/Generators.h>
#include <trocar/physics/World.h>

#include <cmath>
#include <optional>

namespace trocar::physics::test {

// A hand pose whose tool points straight down (-Y) with its tip at `tip`, for an open
// (portless) instrument of the given spec.
inline Pose handPointingDown(const Vec3& tip, const instruments::InstrumentSpec& spec) {
  // Rotation -90 deg about X maps the tool's -Z (forward) onto -Y.
  Quat q = glm::angleAxis(-kPi / 2.0f, Vec3(1.0f, 0.0f, 0.0f));
  return {tip + q * Vec3(0.0f, 0.0f, spec.shaftLength), q};
}

inline InstrumentSettings openInstrument(instruments::InstrumentKind kind) {
  InstrumentSettings s;
  s.spec = instruments::defaultSpec(kind);
  s.spec.shaftLength = 0.2f;
  return s;
}

// A horizontal cloth at height `y`, fixed at its corners.
inline TissueSettings clothAt(float y, uint32_t cells, float size = 0.1f) {
  TissueSettings s;
  s.name = "gauze";
  s.kind = TissueKind::kCloth;
  s.cloth.size = {size, size};
  s.cloth.cellsX = cells;
  s.cloth.cellsZ = cells;
  s.cloth.pose.position = {0.0f, y, 0.0f};
  s.material.massKg = 0.004f;
  s.material.stretch = 0.9f;
  s.material.bend = 0.05f;
  s.material.damping = 0.02f;
  s.fixed = {NodeSelector::corners()};
  return s;
}

// FLS peg board: a static 16 x 1 x 10 cm board on the ground, and a peg (8 mm across, 12 mm
// tall, 2 g) standing on it at (x, z).
inline RigidId addBoard(World& world) {
  RigidSettings board;
  board.name = "board";
  board.halfExtents = {0.08f, 0.005f, 0.05f};
  board.pose.position = {0.0f, 0.005f, 0.0f};
  return world.addRigid(board).value();
}
inline RigidId addPeg(World& world, const std::string& name, float x, float z) {
  RigidSettings p;
  p.name = name;
  p.shape = RigidShape::kCylinder;
  p.halfExtents = {0.004f, 0.006f, 0.004f};
  p.massKg = 0.002f;
  p.pose.position = {x, 0.0162f, z};
  return world.addRigid(p).value();
}

// Embeds `points` in the tets of `mesh` (each in the first tet that holds it).
inline bool embedPoints(const TetMesh& mesh, const std::vector<Vec3>& points, EmbeddedSurface& out) {
  for (const Vec3& p : points) {
    bool found = false;
    for (const auto& tet : mesh.tets) {
      const Vec3 a = mesh.nodes[tet[0]], b = mesh.nodes[tet[1]], c = mesh.nodes[tet[2]],
                 d = mesh.nodes[tet[3]];
      const Vec3 l = glm::inverse(glm::mat3(b - a, c - a, d - a)) * (p - a);
      const float w0 = 1.0f - l.x - l.y - l.z;
      if (w0 < -1e-5f || l.x < -1e-5f || l.y < -1e-5f || l.z < -1e-5f) continue;
      out.nodes.push_back(tet);
      out.weights.push_back({w0, l.x, l.y, l.z});
      found = true;
      break;
    }
    if (!found) return false;
  }
  return true;
}

// A flat sheet facing up (+Y) at height y, `size` (x, z) from corner `lo` in nx x nz cells
// A flat sheet facing up (+Y) at height y, `size` (x, z) from corner `lo` in nx x nz cells
// A flat sheet facing up (+Y) at height y, `size` (x, z) from corner `lo` in nx x nz cells
// A flat sheet facing up (+Y) at height y, `size` (x, z) from corner `lo` in nx x nz cells

// of two triangles, each vertex embedded in its tet of `mesh` (embedPoints).
inline bool embeddedSheet(const TetMesh& mesh, Vec2 lo, Vec2 size, int nx, int nz, float y,
                          EmbeddedSurface& out) {
  std::vector<Vec3> points;
  for (int i = 0; i <= nx; ++i) {
    for (int k = 0; k <= nz; ++k)
      points.push_back({lo.x + size.x * static_cast<float>(i) / static_cast<float>(nx), y,
                        lo.y + size.y * static_cast<float>(k) / static_cast<float>(nz)});
  }
  for (int i = 0; i < nx; ++i) {
    for (int k = 0; k < nz; ++k) {
      const uint32_t a = static_cast<uint32_t>(i * (nz + 1) + k), b = a + 1,
                     c = a + static_cast<uint32_t>(nz + 1), d = c + 1;
      // Counter-clockwise seen from above (+Y): a, b, c then b, d, c.
      out.indices.insert(out.indices.end(), {a, b, c, b, d, c});
    }
  }
  return embedPoints(mesh, points, out);
}

// The height of slabPack()'s drawn sheet: 5 mm under its top nodes (y = 4 cm).
inline constexpr float kSlabSheetY = 0.035f;

// A slab organ: 8 x 2 x 4 cm of tets in 2 cm cells (its nodes from y = 2 to 4 cm), held at
// its left end (x = -4 cm), carrying a detailed sheet (2 mm grid, 7.6 x 3.6 cm) at y = 3.5 cm,
// facing up. The sheet is 12 times finer than the tets, as a pack's face is.
inline std::optional<TissueSettings> slabPack() {
  TissueSettings pack;
  pack.name = "organ";
  pack.kind = TissueKind::kVolumetric;
  pack.tetMesh = generateTetBox({0.04f, 0.01f, 0.02f}, 4, 1, 2, Pose{{0.0f, 0.03f, 0.0f}, Quat(1, 0, 0, 0)});
  pack.material.massKg = 0.1f;
  pack.fixed = {NodeSelector::box({-0.04f, 0.03f, 0.0f}, {0.001f, 0.02f, 0.03f})};
  EmbeddedSurface surface;
  if (!embeddedSheet(pack.tetMesh, {-0.038f, -0.018f}, {0.076f, 0.036f}, 38, 18, kSlabSheetY, surface))
    return std::nullopt;
  pack.embedded = surface;
  return pack;
}

inline bool allFinite(const World& world, TissueId id) {
  for (uint32_t i = 0; i < world.nodeCount(id); ++i) {
    Vec3 p = world.nodePosition(id, i), v = world.nodeVelocity(id, i);
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z) || !std::isfinite(v.x) ||
        !std::isfinite(v.y) || !std::isfinite(v.z)) {
      return false;
    }
  }
  return true;
}

}  // namespace trocar::physics::test
