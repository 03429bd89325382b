// Markings on any surface: a line or circle is laid onto the drawn surface where it was drawn,
// its region is what lies along or under it, and the cut accuracy against it is what a hand
// calculation gives for a known path, on cloth and on a pack's detailed surface.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>
#include <trocar/physics/Snapshot.h>

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

// The slab's tets alone (8 x 2 x 4 cm in 2 cm cells): its top face, at y = 4 cm, is drawn.
TissueSettings block() {
  TissueSettings t = *test::slabPack();
  t.embedded.reset();
  return t;
}

MarkingSettings line(const std::string& name, std::vector<Vec3> points) {
  MarkingSettings m;
  m.name = name;
  m.points = std::move(points);
  return m;
}

// A vertical blade along z = `z` from x0 to x1, 2 cm above and below y.
std::array<Vec3, 4> bladeAcross(float x0, float x1, float z, float y) {
  return {Vec3(x0, y - 0.02f, z), Vec3(x1, y - 0.02f, z), Vec3(x1, y + 0.02f, z), Vec3(x0, y + 0.02f, z)};
}

// Drawn 5 mm above the block's top face, a 6 cm line lands on it: 30 steps of 2 mm from
// (-3, 4, 0) cm to (3, 4, 0) cm. A circle of 1 cm round a centre 1 cm above the face lies on
// the face, 1 cm from the centre's foot. A point 3 cm above is refused, by name and distance.
TEST(Marking, IsLaidOnTheDrawnSurface) {
  World world(WorldSettings{});
  TissueSettings t = block();
  MarkingSettings circle;
  circle.name = "ring";
  circle.center = {0.0f, 0.05f, 0.0f};
  circle.radius = 0.01f;
  t.markings = {line("incision", {{-0.03f, 0.045f, 0.0f}, {0.03f, 0.045f, 0.0f}}), circle};
  const TissueId id = world.addTissue(t).value();
  const std::vector<Marking> marks = world.markings(id);
  ASSERT_EQ(marks.size(), 2u);
  const Marking& incision = marks[0];
  EXPECT_EQ(incision.name, "incision");
  EXPECT_FALSE(incision.closed);
  ASSERT_EQ(incision.points.size(), 31u);
  for (size_t i = 0; i < incision.points.size(); ++i) {
    const Vec3& p = incision.points[i];
    EXPECT_NEAR(p.x, -0.03f + 0.002f * static_cast<float>(i), 1e-5f);
    EXPECT_NEAR(p.y, 0.04f, 1e-5f);
    EXPECT_NEAR(p.z, 0.0f, 1e-5f);
  }
  const Marking& ring = marks[1];
  EXPECT_TRUE(ring.closed);
  EXPECT_GE(ring.points.size(), 32u);
  for (const Vec3& p : ring.points) {
    EXPECT_NEAR(p.y, 0.04f, 1e-5f);
    EXPECT_NEAR(glm::length(Vec2(p.x, p.z)), 0.01f, 1e-5f);
  }

  World other(WorldSettings{});
  TissueSettings far = block();
  far.markings = {line("high", {{0.0f, 0.07f, 0.0f}, {0.01f, 0.04f, 0.0f}})};
  auto refused = other.addTissue(far);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("marking 'high'"), std::string::npos) << refused.error().toString();
  EXPECT_NE(refused.error().message.find("3.0 cm"), std::string::npos) << refused.error().toString();
}

// On a 10 cm gauze of 5 mm cells (nodes every 5 mm from -5 cm), a line is marked 1 mm off
// the grid row z = 0, from x = -3 to 3 cm, and cut along z = 2.5 mm from x = -2.12 to 2.12 cm.
// The blade crosses the edges between the rows z = 0 and z = 5 mm at their middle: the cross
// edges at x = -2, -1.5, ..., 2 cm and the diagonals between them, so the cut points lie on
// z = 2.5 mm, 1.5 mm from the line: mean and max 1.5 mm. A 1 mm sample of the line counts as
// cut where a cut point lies within a grid cell (5 mm), i.e. within sqrt(5^2 - 1.5^2) = 4.77 mm
// along it: the samples at x = -24.5 .. 24.5 mm of the 60 at -29.5 .. 29.5 mm, 50/60.
// The line's region (within 1 cm of it) is named by this cut and not by one 3 cm away.
TEST(Marking, CutAccuracyAgainstALineOnCloth) {
  World world(WorldSettings{});
  TissueSettings gauze = test::clothAt(0.1f, 20);
  gauze.markings = {line("line", {{-0.03f, 0.1f, 0.001f}, {0.03f, 0.1f, 0.001f}})};
  gauze.regions = {{"along", NodeSelector::markingOf(0)}};
  const TissueId id = world.addTissue(gauze).value();
  const auto uncut = world.markingCutAccuracy(id, 0);
  EXPECT_EQ(uncut.points, 0u);
  EXPECT_EQ(uncut.fractionCut, 0.0);

  ASSERT_GT(world.cutWithQuad(id, bladeAcross(-0.0212f, 0.0212f, 0.0025f, 0.1f)), 0u);
  const auto a = world.markingCutAccuracy(id, 0);
  EXPECT_GE(a.points, 17u);
  EXPECT_NEAR(a.meanMm, 1.5, 0.01);
  EXPECT_NEAR(a.maxMm, 1.5, 0.01);
  EXPECT_NEAR(a.fractionCut, 50.0 / 60.0, 1e-9);

  // The cut's event names the line's region; a cut 3 cm away does not.
  auto namesTheLine = [&](float z) {
    World w(WorldSettings{});
    const TissueId g = w.addTissue(gauze).value();
    EXPECT_GT(w.cutWithQuad(g, bladeAcross(-0.0212f, 0.0212f, z, 0.1f)), 0u);
    bool named = false;
    for (const Event& e : w.lastEvents()) {
      if (e.kind == EventKind::kCut)
        named = named || std::find(e.regions.begin(), e.regions.end(), 0u) != e.regions.end();
    }
    return named;
  };
  const bool along = namesTheLine(0.0025f);
  const bool farAlong = namesTheLine(-0.0275f);
  EXPECT_TRUE(along);
  EXPECT_FALSE(farAlong);
}

// A pack (test::slabPack): the block carrying a detailed sheet (2 mm grid, 7.6 x 3.6 cm) at y = 3.5 cm. A
// line is marked on the sheet along z = 2.5 mm across it (x = -3.8 to 3.8 cm) and cut along z = 1 mm (the
// middle of the sheet's edges between its rows z = 0 and 2 mm) across the whole slab: the cut points on the
// drawn sheet lie 1.5 mm from the line, and those the blade makes inside the tets (new nodes 5 mm above and
// below the drawn sheet) are not counted: mean and max 1.5 mm. Cut points lie every 1 mm along x (cross edges
// and diagonals), so every sample of the line has one within sqrt(1^2 + 1.5^2) = 1.8 mm, inside the sheet's
// pitch (its mean edge length, (2 + 2 + 2.83) / 3 = 2.28 mm): all of the line is cut.
TEST(Marking, CutAccuracyOnAPackCountsItsDrawnSurface) {
  const auto slab = test::slabPack();
  ASSERT_TRUE(slab);
  TissueSettings pack = *slab;
  const float kSheetY = test::kSlabSheetY;
  pack.markings = {line("line", {{-0.038f, kSheetY, 0.0025f}, {0.038f, kSheetY, 0.0025f}})};
  World world(WorldSettings{});
  const TissueId id = world.addTissue(pack).value();
  ASSERT_GT(world.cutWithQuad(id, bladeAcross(-0.05f, 0.05f, 0.001f, 0.03f)), 0u);
  const auto a = world.markingCutAccuracy(id, 0);
  EXPECT_GE(a.points, 30u);
  EXPECT_NEAR(a.meanMm, 1.5, 0.01);
  EXPECT_NEAR(a.maxMm, 1.5, 0.01);
  EXPECT_NEAR(a.fractionCut, 1.0, 1e-9);
}

}  // namespace
}  // namespace trocar::physics
