// Cutting an anatomy pack: the detailed surface is split where the blade crosses it and is
// carried into the pieces of the tets the blade splits; it never falls back to the tets' faces.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>
#include <trocar/physics/Snapshot.h>

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

constexpr float kSurfaceY = 0.035f;  // the drawn sheet: 5 mm under the top nodes
constexpr float kSpacing = 0.002f;   // its grid

// A slab organ: 8 x 2 x 4 cm of tets in 2 cm cells (its nodes from y = 2 to 4 cm), held at
// its left end (x = -4 cm), carrying a detailed sheet (2 mm grid, 7.6 x 3.6 cm) at y = 3.5 cm,
// facing up. The sheet is 12 times finer than the tets, as a pack's face is.
std::optional<TissueSettings> slabPack() {
  TissueSettings pack;
  pack.name = "organ";
  pack.kind = TissueKind::kVolumetric;
  pack.tetMesh = generateTetBox({0.04f, 0.01f, 0.02f}, 4, 1, 2, Pose{{0.0f, 0.03f, 0.0f}, Quat(1, 0, 0, 0)});
  pack.material.massKg = 0.1f;
  pack.fixed = {NodeSelector::box({-0.04f, 0.03f, 0.0f}, {0.001f, 0.02f, 0.03f})};
  const int nx = 38, nz = 18;
  std::vector<Vec3> points;
  for (int i = 0; i <= nx; ++i) {
    for (int k = 0; k <= nz; ++k)
      points.push_back({-0.038f + kSpacing * static_cast<float>(i), kSurfaceY,
                        -0.018f + kSpacing * static_cast<float>(k)});
  }
  EmbeddedSurface surface;
  for (int i = 0; i < nx; ++i) {
    for (int k = 0; k < nz; ++k) {
      const uint32_t a = static_cast<uint32_t>(i * (nz + 1) + k), b = a + 1,
                     c = a + static_cast<uint32_t>(nz + 1), d = c + 1;
      surface.indices.insert(surface.indices.end(), {a, b, c, b, d, c});
    }
  }
  if (!test::embedPoints(pack.tetMesh, points, surface)) return std::nullopt;
  pack.embedded = surface;
  return pack;
}

// The drawn surface of tissue 0 as the renderer gets it: vertex positions from the nodes.
struct Drawn {
  std::vector<Vec3> positions;
  std::vector<uint32_t> indices;
  std::vector<float> cut;
};
Drawn drawn(const World& world) {
  WorldSnapshot snap;
  world.snapshot(snap);
  const TissueSnapshot& t = snap.tissues[0];
  Drawn d;
  d.indices = t.embedded.indices;
  d.cut = t.embeddedCut;
  for (size_t v = 0; v < t.embedded.nodes.size(); ++v) {
    Vec3 p(0.0f);
    for (size_t k = 0; k < 4; ++k) p += t.embedded.weights[v][k] * t.positions[t.embedded.nodes[v][k]];
    d.positions.push_back(p);
  }
  return d;
}

float longestEdge(const Drawn& d) {
  float longest = 0.0f;
  for (size_t i = 0; i + 2 < d.indices.size(); i += 3) {
    for (size_t k = 0; k < 3; ++k) {
      longest = std::max(
          longest, glm::length(d.positions[d.indices[i + k]] - d.positions[d.indices[i + (k + 1) % 3]]));
    }
  }
  return longest;
}

// A blade through the whole slab across its width, in the plane x = 3.1 mm (not a grid plane
// of the sheet or of the tets): the slab parts in two, and the sheet with it. Every vertex of
// the sheet stays where it was at the cut (each is re-embedded in the piece of its tet that
// holds it), the new ones lie on the blade, the free half falls away carrying its half of the
// sheet, and no triangle of the sheet bridges the gap.
TEST(PackCutting, AThroughCutPartsTheDetailedSurfaceWithTheTets) {
  auto pack = slabPack();
  ASSERT_TRUE(pack);
  World world(WorldSettings{});
  TissueId id = world.addTissue(*pack).value();
  const Drawn before = drawn(world);
  const size_t nodesBefore = world.nodeCount(id);
  const float x0 = 0.0031f;
  ASSERT_GT(world.cutWithQuad(id, {Vec3(x0, 0.0f, -0.03f), Vec3(x0, 0.0f, 0.03f), Vec3(x0, 0.06f, 0.03f),
                                   Vec3(x0, 0.06f, -0.03f)}),
            0u);
  EXPECT_EQ(world.pieceCount(id), 2u);
  EXPECT_GT(world.nodeCount(id), nodesBefore);
  const Drawn after = drawn(world);
  // The sheet's 18 cells across the blade: two triangles each, each split in three; two
  // copies of each of the 37 crossings (19 grid lines and 18 diagonals).
  EXPECT_EQ(after.indices.size(), before.indices.size() + 18 * 2 * 2 * 3);
  ASSERT_EQ(after.positions.size(), before.positions.size() + 2 * 37);
  for (size_t v = 0; v < before.positions.size(); ++v) {
    EXPECT_LT(glm::length(after.positions[v] - before.positions[v]), 1e-6f) << "vertex " << v;
    EXPECT_EQ(after.cut[v], 0.0f);
  }
  for (size_t v = before.positions.size(); v < after.positions.size(); ++v) {
    EXPECT_NEAR(after.positions[v].x, x0, 0.001f) << "vertex " << v << " lies on the blade";
    EXPECT_EQ(after.cut[v], 1.0f) << "drawn as cut surface";
  }
  EXPECT_LT(longestEdge(after), 1.5f * kSpacing);
  for (int i = 0; i < 500; ++i) world.step(InputFrame{});
  ASSERT_TRUE(test::allFinite(world, id));
  const Drawn fallen = drawn(world);
  float held = 0.0f, free = 0.0f;
  size_t heldCount = 0, freeCount = 0;
  for (size_t v = 0; v < before.positions.size(); ++v) {
    const float drop = kSurfaceY - fallen.positions[v].y;
    if (before.positions[v].x < -0.02f) {
      held = std::max(held, drop);
      ++heldCount;
    } else if (before.positions[v].x > x0 + 0.001f) {
      free += drop;
      ++freeCount;
    }
  }
  ASSERT_GT(heldCount, 0u);
  ASSERT_GT(freeCount, 0u);
  EXPECT_LT(held, 0.005f) << "the held end stays up";
  EXPECT_GT(free / static_cast<float>(freeCount), 0.01f) << "the free half fell";
  EXPECT_LT(longestEdge(fallen), 4.0f * kSpacing) << "no triangle stretches across the gap";
}

// A shallow incision, 2 mm deep into the sheet and 19 mm long (along x, at z = 3.1 mm), cuts
// the drawn surface where the blade crosses it, within 1 mm of the blade, and names the region
// around it, not one elsewhere. It parts no tet: the cells are 2 cm, the blade reaches 2 mm
// into them (a crack in one cell), so the slab stays one piece with the same nodes.
TEST(PackCutting, AShallowIncisionCutsTheSurfaceWhereTheBladeCrossesIt) {
  auto pack = slabPack();
  ASSERT_TRUE(pack);
  pack->regions = {{"near", NodeSelector::box({0.0f, 0.03f, 0.0f}, {0.015f, 0.02f, 0.015f})},
                   {"far", NodeSelector::box({0.03f, 0.03f, 0.0f}, {0.011f, 0.02f, 0.03f})}};
  World world(WorldSettings{});
  TissueId id = world.addTissue(*pack).value();
  const Drawn before = drawn(world);
  const size_t nodesBefore = world.nodeCount(id);
  const float z0 = 0.0031f;
  ASSERT_GT(
      world.cutWithQuad(id, {Vec3(-0.0095f, kSurfaceY - 0.002f, z0), Vec3(0.0095f, kSurfaceY - 0.002f, z0),
                             Vec3(0.0095f, 0.06f, z0), Vec3(-0.0095f, 0.06f, z0)}),
      0u);
  bool cut = false;
  for (const Event& e : world.lastEvents()) {
    if (e.kind != EventKind::kCut) continue;
    cut = true;
    EXPECT_EQ(e.regions, std::vector<uint32_t>{0u}) << "the region around the incision only";
    // From the first crossing to the last: the grid lines 8 mm either side, or a diagonal
    // beyond them (up to 1.5 mm further).
    EXPECT_GE(e.value, 0.016f) << "the incision's length on the surface";
    EXPECT_LE(e.value, 0.019f) << "the incision's length on the surface";
  }
  EXPECT_TRUE(cut);
  EXPECT_EQ(world.nodeCount(id), nodesBefore);
  EXPECT_EQ(world.pieceCount(id), 1u);
  const Drawn after = drawn(world);
  EXPECT_GT(after.indices.size(), before.indices.size());
  for (size_t v = before.positions.size(); v < after.positions.size(); ++v) {
    EXPECT_NEAR(after.positions[v].z, z0, 0.001f) << "vertex " << v;
    EXPECT_GE(after.positions[v].x, -0.0095f);
    EXPECT_LE(after.positions[v].x, 0.0095f);
  }
  for (size_t v = 0; v < before.positions.size(); ++v)
    EXPECT_LT(glm::length(after.positions[v] - before.positions[v]), 1e-6f) << "vertex " << v;
}

}  // namespace
}  // namespace trocar::physics
