// Cutting every tissue kind with every cutting instrument, aimed at the drawn surface; and
// an anatomy pack in detail: its detailed surface is split where the blade crosses it and is
// carried into the pieces of the tets the blade splits; it never falls back to the tets' faces.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>
#include <trocar/physics/Snapshot.h>

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

using test::kSlabSheetY;
using test::slabPack;
constexpr float kSurfaceY = kSlabSheetY;  // the drawn sheet: 5 mm under the top nodes
constexpr float kSpacing = 0.002f;        // its grid

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

// Each cutting instrument on each tissue kind, held straight down in the plane x = 3.1 mm
// (off every grid plane) and aimed at the drawn surface found by a ray once the tissue has
// settled, as a person aims at what they see: the scalpel drawn 2 cm along z at 2 cm/s with its tip 3 mm
// under the surface, the scissors brought down open until the tip is 5 mm under it and closed. The tissue is
// cut, every point of the cut path lies within 1 mm of the blade's plane and within the stroke, a region
// around the cut is named and one 1-2 cm beside it is not.
enum class TissueKindCase { kCloth, kVolume, kSurface, kPack };
struct CutCase {
  instruments::InstrumentKind instrument;
  TissueKindCase tissue;
};

TissueSettings tissueFor(TissueKindCase kind) {
  TissueSettings s;
  switch (kind) {
    case TissueKindCase::kCloth:
      s = test::clothAt(0.05f, 24);
      s.fixed = {NodeSelector::border()};
      break;
    case TissueKindCase::kVolume:  // 4 x 2 x 4 cm in 5 mm cells, its top at 5 cm
      s.name = "liver";
      s.kind = TissueKind::kVolumetric;
      s.tetMesh = generateTetBox({0.02f, 0.01f, 0.02f}, 8, 4, 8, {{0.0f, 0.04f, 0.0f}, Quat(1, 0, 0, 0)});
      s.material.massKg = 0.05f;
      s.fixed = {NodeSelector::box({0.0f, 0.03f, 0.0f}, {0.03f, 0.001f, 0.03f})};
      break;
    case TissueKindCase::kSurface:  // a 3 cm sphere resting its base on a held ring, top at 5 cm
      s.name = "cyst";
      s.kind = TissueKind::kSurface;
      s.surface = generateSphere(Vec3(0.03f), 3, Pose{{0.0f, 0.02f, 0.0f}, Quat(1, 0, 0, 0)});
      s.material.massKg = 0.02f;
      s.fixed = {NodeSelector::box({0.0f, 0.0f, 0.0f}, {0.04f, 0.015f, 0.04f})};
      break;
    case TissueKindCase::kPack: s = *slabPack(); break;
  }
  return s;
}

class CutEveryTissue : public ::testing::TestWithParam<CutCase> {};

std::string caseName(const ::testing::TestParamInfo<CutCase>& param) {
  static const char* kTissues[] = {"Cloth", "Volume", "Surface", "Pack"};
  return std::string(param.param.instrument == instruments::InstrumentKind::kScalpel ? "Scalpel"
                                                                                     : "Scissors") +
         kTissues[static_cast<int>(param.param.tissue)];
}

TEST_P(CutEveryTissue, CutsWhereTheBladeVisiblyCrosses) {
  const CutCase c = GetParam();
  TissueSettings settings = tissueFor(c.tissue);
  WorldSettings air;
  air.groundHeight = -1.0f;
  // Aimed at the surface as it hangs after 0.6 s (a cloth sags about 9 mm).
  constexpr int kSettle = 300;
  World probe(air);
  const TissueId probed = probe.addTissue(settings).value();
  for (int t = 0; t < kSettle; ++t) probe.step(InputFrame{});
  const float x0 = 0.0031f;
  const auto top = probe.castRay({x0, 0.2f, 0.0021f}, {0.0f, -1.0f, 0.0f}, 1.0f, probed);
  ASSERT_TRUE(top) << "the drawn surface under the aim";
  const float y = top->position.y;
  settings.regions = {{"near", NodeSelector::box({x0, y, 0.0f}, {0.015f, 0.03f, 0.015f})},
                      {"beside", NodeSelector::box({x0 + 0.0151f, y, 0.0f}, {0.005f, 0.03f, 0.03f})}};
  World world(air);
  const TissueId id = world.addTissue(settings).value();
  for (int t = 0; t < kSettle; ++t) world.step(InputFrame{});
  InstrumentSettings tool = test::openInstrument(c.instrument);
  world.setInstrument(Hand::kRight, tool);
  InputFrame in;
  std::vector<Event> events;
  auto step = [&](const Vec3& tip, float trigger) {
    in.hands[1].pose = test::handPointingDown(tip, tool.spec);
    in.hands[1].trigger = trigger;
    const auto& e = world.step(in);
    events.insert(events.end(), e.begin(), e.end());
  };
  float zFrom = -0.011f, zTo = 0.011f;  // where the path may lie along the blade's travel
  if (c.instrument == instruments::InstrumentKind::kScalpel) {
    for (int t = 0; t < 100; ++t) step({x0, y + 0.02f, -0.01f}, 0.0f);
    for (int t = 0; t <= 100; ++t)
      step({x0, y + 0.02f - 0.023f * static_cast<float>(t) / 100.0f, -0.01f}, 0.0f);
    for (int t = 0; t <= 500; ++t)
      step({x0, y - 0.003f, -0.01f + 0.02f * static_cast<float>(t) / 500.0f}, 0.0f);
    for (int t = 0; t <= 100; ++t)
      step({x0, y - 0.003f + 0.03f * static_cast<float>(t) / 100.0f, 0.01f}, 0.0f);
  } else {
    for (int t = 0; t <= 250; ++t)
      step({x0, y + 0.02f - 0.025f * static_cast<float>(t) / 250.0f, 0.0021f}, 0.0f);
    for (int t = 0; t <= 200; ++t) step({x0, y - 0.005f, 0.0021f}, static_cast<float>(t) / 200.0f);
    zFrom = 0.0021f - 0.012f;  // the open blades' width about the tip
    zTo = 0.0021f + 0.012f;
  }
  ASSERT_TRUE(test::allFinite(world, id));
  bool cut = false, near = false, beside = false;
  for (const Event& e : events) {
    if (e.kind != EventKind::kCut || e.tissue.index != id.index) continue;
    cut = true;
    for (uint32_t r : e.regions) {
      near = near || r == 0;
      beside = beside || r == 1;
    }
  }
  EXPECT_TRUE(cut);
  EXPECT_TRUE(near);
  EXPECT_FALSE(beside);
  ASSERT_FALSE(world.cutPaths(id).empty());
  for (const auto& path : world.cutPaths(id)) {
    for (const Vec3& p : path) {
      EXPECT_NEAR(p.x, x0, 0.001f) << "on the blade's plane";
      EXPECT_GE(p.z, zFrom - 0.001f);
      EXPECT_LE(p.z, zTo + 0.001f);
      EXPECT_LT(p.y, y + 0.005f) << "not above the surface";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    InstrumentsAndTissues, CutEveryTissue,
    ::testing::Values(CutCase{instruments::InstrumentKind::kScalpel, TissueKindCase::kCloth},
                      CutCase{instruments::InstrumentKind::kScalpel, TissueKindCase::kVolume},
                      CutCase{instruments::InstrumentKind::kScalpel, TissueKindCase::kSurface},
                      CutCase{instruments::InstrumentKind::kScalpel, TissueKindCase::kPack},
                      CutCase{instruments::InstrumentKind::kScissors, TissueKindCase::kCloth},
                      CutCase{instruments::InstrumentKind::kScissors, TissueKindCase::kVolume},
                      CutCase{instruments::InstrumentKind::kScissors, TissueKindCase::kSurface},
                      CutCase{instruments::InstrumentKind::kScissors, TissueKindCase::kPack}),
    caseName);

}  // namespace
}  // namespace trocar::physics
