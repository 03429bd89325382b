// Cutting: the cut follows the blade, and the pattern-cutting case detaches one piece.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

// A vertical quad standing on the segment a-b (in the horizontal plane at height y),
// 4 cm tall (the sheet sags a few mm): the cutting surface of a blade drawn along a-b.
std::array<Vec3, 4> bladeAlong(Vec2 a, Vec2 b, float y) {
  return {Vec3(a.x, y - 0.02f, a.y), Vec3(b.x, y - 0.02f, b.y), Vec3(b.x, y + 0.02f, b.y),
          Vec3(a.x, y + 0.02f, a.y)};
}

// Distance from p to the vertical plane through a-b.
float distanceToBlade(const Vec3& p, Vec2 a, Vec2 b) {
  Vec2 d = glm::normalize(b - a);
  Vec2 n(-d.y, d.x);
  return std::abs(glm::dot(Vec2(p.x, p.z) - a, n));
}

class CutFollowsBlade : public ::testing::TestWithParam<uint32_t> {};

// Whatever the resolution (edges of 12.5 mm down to 1.6 mm), every node the cut creates
// lies within 1 mm of the blade.
TEST_P(CutFollowsBlade, NewNodesLieWithinOneMillimetre) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(test::clothAt(1.0f, GetParam())).value();
  const size_t before = world.nodeCount(id);
  Vec2 a(-0.037f, -0.011f), b(0.029f, 0.023f);  // an oblique line, not along the grid
  uint32_t split = world.cutWithQuad(id, bladeAlong(a, b, 1.0f));
  ASSERT_GT(split, 0u);
  ASSERT_GT(world.nodeCount(id), before);
  for (uint32_t n = static_cast<uint32_t>(before); n < world.nodeCount(id); ++n) {
    EXPECT_LE(distanceToBlade(world.nodePosition(id, n), a, b), 0.001f) << "node " << n;
  }
  ASSERT_EQ(world.cutPaths(id).size(), 1u);
  // The recorded path spans the part of the blade inside the cloth: ~7.5 cm.
  const auto& path = world.cutPaths(id)[0];
  EXPECT_NEAR(glm::length(path.back() - path.front()), glm::length(b - a), 0.015f);
  // The body stays sane afterwards.
  for (int i = 0; i < 200; ++i) world.step(InputFrame{});
  EXPECT_TRUE(test::allFinite(world, id));
}

INSTANTIATE_TEST_SUITE_P(Resolutions, CutFollowsBlade, ::testing::Values(8u, 24u, 64u));

// FLS pattern cutting: a 2 cm radius circle marked on a 10 cm gauze fixed at its corners is
// cut out along 36 chords. Exactly one piece detaches, and it contains the circle region.
TEST(Cutting, PatternCuttingDetachesTheCircle) {
  World world(WorldSettings{});
  TissueSettings s = test::clothAt(1.0f, 48);
  s.regions.push_back({"inside-circle", NodeSelector::circle(Vec2(0.0f), 0.02f)});
  TissueId id = world.addTissue(s).value();
  uint32_t region = world.findRegion(id, "inside-circle").value();
  const float r = 0.0205f;  // blade just outside the marked line
  const int chords = 36;
  std::vector<Event> detached;
  int detachedEvents = 0;
  for (int i = 0; i < chords; ++i) {
    // Consecutive chords meet at the polygon's vertices; a chord ending inside a triangle
    // leaves a crack tip that the next chord continues.
    float a0 = 2.0f * kPi * static_cast<float>(i) / chords;
    float a1 = 2.0f * kPi * static_cast<float>(i + 1) / chords;
    world.cutWithQuad(
        id, bladeAlong({r * std::cos(a0), r * std::sin(a0)}, {r * std::cos(a1), r * std::sin(a1)}, 1.0f));
    EXPECT_EQ(world.pieceCount(id), i + 1 < chords ? 1u : 2u) << "after chord " << i;
    for (const Event& e : world.lastEvents()) {
      if (e.kind != EventKind::kDetached) continue;
      ++detachedEvents;
      EXPECT_EQ(e.regions, std::vector<uint32_t>{region}) << "the piece holds the whole circle";
    }
  }
  ASSERT_EQ(world.pieceCount(id), 2u);
  EXPECT_EQ(detachedEvents, 1);
  // Every node of the circle region is in the detached piece, which then falls free.
  float circleY = 0.0f;
  for (int i = 0; i < 250; ++i) world.step(InputFrame{});
  for (uint32_t n : world.regionNodes(id, region)) circleY += world.nodePosition(id, n).y;
  circleY /= static_cast<float>(world.regionNodes(id, region).size());
  EXPECT_LT(circleY, 0.9f) << "the cut-out circle falls away from the gauze";
  EXPECT_GT(world.nodePosition(id, 0).y, 0.999f);
}

// The cut-out piece stays in the scene: over the FLS box's table (its top at 0.9 m), the
// disc cut from a gauze 10 cm above it falls onto the table and stays there, in view.
TEST(Cutting, ACutOutPieceFallsOntoTheTableAndStays) {
  WorldSettings settings;
  settings.table = WorldSettings::Table{{0.0f, 0.88f, -0.45f}, {0.6f, 0.02f, 0.4f}};
  World world(settings);
  TissueSettings s = test::clothAt(1.0f, 28);
  s.cloth.pose.position = {0.0f, 1.0f, -0.45f};
  s.regions.push_back({"inside-circle", NodeSelector::circle(Vec2(0.0f), 0.02f)});
  TissueId id = world.addTissue(s).value();
  const uint32_t region = world.findRegion(id, "inside-circle").value();
  const float r = 0.0205f;
  for (int i = 0; i < 36; ++i) {
    const float a0 = 2.0f * kPi * static_cast<float>(i) / 36.0f,
                a1 = 2.0f * kPi * static_cast<float>(i + 1) / 36.0f;
    world.cutWithQuad(id, bladeAlong({r * std::cos(a0), -0.45f + r * std::sin(a0)},
                                     {r * std::cos(a1), -0.45f + r * std::sin(a1)}, 1.0f));
  }
  ASSERT_EQ(world.pieceCount(id), 2u);
  for (int i = 0; i < 1500; ++i) world.step(InputFrame{});
  float lowest = 1e9f, highest = -1e9f;
  for (uint32_t n : world.regionNodes(id, region)) {
    lowest = std::min(lowest, world.nodePosition(id, n).y);
    highest = std::max(highest, world.nodePosition(id, n).y);
  }
  EXPECT_GT(lowest, 0.895f) << "through the table";
  EXPECT_LT(highest, 0.91f) << "not on the table";
  EXPECT_TRUE(test::allFinite(world, id));
}

// Scissors cut what lies between their blades when they start to close: closing slowly from
// fully open (0.7 rad, 16 mm jaws) through a sheet cuts the whole opening, 2 * 16 mm *
// sin(0.35) = 11 mm, not just what lies between the nearly closed blades at the moment
// the closure registers (trigger 0.6: 0.28 rad, 4.4 mm).
TEST(Cutting, ScissorsCutTheWidthOfTheOpeningTheyCloseFrom) {
  World world(WorldSettings{});
  TissueSettings cloth = test::clothAt(1.0f, 64);  // 1.6 mm edges
  cloth.fixed = {NodeSelector::border()};
  TissueId id = world.addTissue(cloth).value();
  auto scissors = test::openInstrument(instruments::InstrumentKind::kScissors);
  world.setInstrument(Hand::kRight, scissors);
  InputFrame in;
  // Open blades come down over the sagged sheet (0.982 m) until the tip is 5 mm under it.
  for (int t = 0; t < 300; ++t) {
    const float y = std::max(0.977f, 1.02f - 0.05f * static_cast<float>(t) / 250.0f);
    in.hands[1].pose = test::handPointingDown({0.0013f, y, 0.0021f}, scissors.spec);
    world.step(in);
  }
  ASSERT_TRUE(world.cutPaths(id).empty());
  for (int t = 0; t <= 200; ++t) {
    in.hands[1].trigger = static_cast<float>(t) / 200.0f;
    world.step(in);
  }
  ASSERT_EQ(world.cutPaths(id).size(), 1u);
  const auto& path = world.cutPaths(id)[0];
  // The crossings lie on the blade's 11 mm, the outermost within one edge of its ends.
  float length = glm::length(path.back() - path.front());
  EXPECT_GT(length, 0.011f - 2.0f * 0.0016f);
  EXPECT_LT(length, 0.0112f);
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// Volumetric tissue: a 4 x 2 x 4 cm block (8 x 4 x 8 cells, 2,025 nodes) on the ground.
TissueSettings block() {
  TissueSettings s;
  s.name = "liver";
  s.kind = TissueKind::kVolumetric;
  s.tetMesh = generateTetBox({0.02f, 0.01f, 0.02f}, 8, 4, 8, {{0.0f, 0.0101f, 0.0f}, Quat(1, 0, 0, 0)});
  s.material.massKg = 0.05f;
  return s;
}

// A vertical blade in the plane x = 0.0031 (not on a grid plane), reaching from z0 to z1.
std::array<Vec3, 4> sagittalBlade(float z0, float z1) {
  return {Vec3(0.0031f, -0.01f, z0), Vec3(0.0031f, -0.01f, z1), Vec3(0.0031f, 0.04f, z1),
          Vec3(0.0031f, 0.04f, z0)};
}

TEST(VolumeCutting, ThroughCutSplitsTheBlockAlongTheBlade) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(block()).value();
  const size_t before = world.nodeCount(id);
  ASSERT_GT(world.cutWithQuad(id, sagittalBlade(-0.03f, 0.03f)), 0u);
  EXPECT_EQ(world.pieceCount(id), 2u);
  for (uint32_t n = static_cast<uint32_t>(before); n < world.nodeCount(id); ++n) {
    EXPECT_NEAR(world.nodePosition(id, n).x, 0.0031f, 0.001f) << "node " << n;
  }
  double mass = 0.0;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) mass += static_cast<double>(world.nodeMass(id, n));
  EXPECT_NEAR(mass, 0.05, 1e-7) << "the split tets partition the same volume";
  for (int i = 0; i < 300; ++i) world.step(InputFrame{});
  EXPECT_TRUE(test::allFinite(world, id));
}

// Two strokes, each through half the block, join into one cut: the first leaves crack tips
// that the second continues.
TEST(VolumeCutting, TwoStrokesJoin) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(block()).value();
  world.cutWithQuad(id, sagittalBlade(-0.03f, 0.0013f));
  EXPECT_EQ(world.pieceCount(id), 1u) << "half a cut leaves the block in one piece";
  world.cutWithQuad(id, sagittalBlade(0.0013f, 0.03f));
  EXPECT_EQ(world.pieceCount(id), 2u);
}

// Cut accuracy against a marked circle (2 cm radius on a 10 cm gauze of 20 cells: 5 mm grid),
// with blades laid as chords of a 72-gon: their crossings lie on the polygon, at most 0.02 mm
// inside the circle (r (1 - cos 2.5 deg)), moved at most 0.5 mm along their edge by the
// minimum-link clamp. Whole circle on the line: mean and max under 0.6 mm, all of it cut. Half
// of it: between 1/2 and 1/2 + 2 x 6.5 mm / 126 mm of the line (slack at each end: a grid cell,
// the clamp's 0.5 mm and one 1 mm sample of the line).
// The whole circle 2 mm outside the line (r = 2.2 cm): mean and max 2 mm, +/- 0.6 mm.
TEST(Cutting, AccuracyAgainstAMarkedCircle) {
  auto run = [](float radius, int chords) {
    World world(WorldSettings{});
    TissueSettings gauze = test::clothAt(0.1f, 20);
    MarkingSettings circle;
    circle.name = "circle";
    circle.center = gauze.cloth.pose.position;
    circle.radius = 0.02f;
    circle.normal = gauze.cloth.pose.orientation * Vec3(0.0f, 1.0f, 0.0f);
    gauze.markings = {circle};
    gauze.regions = {{"inside", NodeSelector::circle({0.0f, 0.0f}, 0.02f)}};
    TissueId id = world.addTissue(gauze).value();
    for (int i = 0; i < chords; ++i) {
      const float a0 = 2.0f * kPi * static_cast<float>(i) / 72.0f,
                  a1 = 2.0f * kPi * static_cast<float>(i + 1) / 72.0f;
      world.cutWithQuad(id, bladeAlong({radius * std::cos(a0), radius * std::sin(a0)},
                                       {radius * std::cos(a1), radius * std::sin(a1)}, 0.1f));
    }
    return world.markingCutAccuracy(id, 0);
  };
  const auto whole = run(0.02f, 72);
  EXPECT_GT(whole.points, 40u);
  EXPECT_LT(whole.meanMm, 0.6);
  EXPECT_LT(whole.maxMm, 0.6);
  EXPECT_DOUBLE_EQ(whole.fractionCut, 1.0);
  const auto half = run(0.02f, 36);
  EXPECT_GE(half.fractionCut, 0.5);
  EXPECT_LE(half.fractionCut, 0.5 + 2.0 * 6.5 / (2.0 * 3.14159265 * 20.0));
  const auto outside = run(0.022f, 72);
  EXPECT_NEAR(outside.meanMm, 2.0, 0.6);
  EXPECT_NEAR(outside.maxMm, 2.0, 0.6);
  EXPECT_DOUBLE_EQ(outside.fractionCut, 1.0);
}

// "cut(tissue, region)" means the cut path crosses the region, on every kind of tissue: each
// blade below crosses its tissue only where x > 0 (at x = 3.1 mm, near the surface), so the
// cut event names the region on that side ("right", x >= 0.1 mm at rest) and not the one on
// the other ("left", x <= -0.1 mm). Crossings that are still crack tips (no node made yet:
// the blade only enters a face or tet) count as much as finished ones.
TEST(Cutting, ACutNamesTheRegionsItsPathCrosses) {
  const RegionSettings left{"left", NodeSelector::box({-0.05f, 0.0f, 0.0f}, {0.0499f, 1.0f, 1.0f})};
  const RegionSettings right{"right", NodeSelector::box({0.05f, 0.0f, 0.0f}, {0.0499f, 1.0f, 1.0f})};
  std::vector<std::pair<TissueSettings, std::array<Vec3, 4>>> cases;
  // Cloth (10 cm, 24 cells) at y = 0.1: a blade through it, 1 cm long, inside the cells.
  cases.push_back({test::clothAt(0.1f, 24), bladeAlong({0.0031f, 0.011f}, {0.0031f, 0.021f}, 0.1f)});
  // A tet block (its top at 2.01 cm): a blade 3 mm deep into the top, 1 cm long.
  cases.push_back({block(),
                   {Vec3(0.0031f, 0.017f, 0.001f), Vec3(0.0031f, 0.017f, 0.011f),
                    Vec3(0.0031f, 0.03f, 0.011f), Vec3(0.0031f, 0.03f, 0.001f)}});
  // A closed surface (a 3 cm sphere centred 5 cm up): a blade 3 mm into its top.
  TissueSettings sphere;
  sphere.name = "cyst";
  sphere.kind = TissueKind::kSurface;
  sphere.surface = generateSphere(Vec3(0.03f), 3, Pose{{0.0f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
  sphere.material.massKg = 0.02f;
  cases.push_back({sphere,
                   {Vec3(0.0031f, 0.077f, -0.005f), Vec3(0.0031f, 0.077f, 0.005f),
                    Vec3(0.0031f, 0.09f, 0.005f), Vec3(0.0031f, 0.09f, -0.005f)}});
  // Cloth again, a blade 1 mm long that crosses one edge only (the grid line z = 12.5 mm,
  // between nodes at x = 0 and 4.17 mm; the cells' diagonals pass at z = 11.4 and 15.6 mm):
  // a crack tip in both faces, no node made, and still the cut names its region.
  cases.push_back({test::clothAt(0.1f, 24), bladeAlong({0.0031f, 0.012f}, {0.0031f, 0.013f}, 0.1f)});
  for (auto& [settings, blade] : cases) {
    settings.regions = {left, right};
    World world(WorldSettings{});
    TissueId id = world.addTissue(settings).value();
    ASSERT_GT(world.cutWithQuad(id, blade), 0u) << settings.name;
    bool cut = false;
    for (const Event& e : world.lastEvents()) {
      if (e.kind != EventKind::kCut) continue;
      cut = true;
      EXPECT_EQ(e.regions, std::vector<uint32_t>{1u}) << settings.name << ": the right region only";
    }
    EXPECT_TRUE(cut) << settings.name;
  }
  World world(WorldSettings{});
  TissueSettings tip = cases.back().first;
  TissueId id = world.addTissue(tip).value();
  const size_t before = world.nodeCount(id);
  EXPECT_EQ(world.cutWithQuad(id, cases.back().second), 1u) << "one crossed edge";
  EXPECT_EQ(world.nodeCount(id), before) << "a crack tip makes no node";
}

}  // namespace
}  // namespace trocar::physics
