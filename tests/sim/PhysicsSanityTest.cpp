// Physics against hand-derived values.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>

#include <gtest/gtest.h>

#include <numeric>

namespace trocar::physics {
namespace {

// Bullet integrates semi-implicitly (v += g dt, then x += v dt), so after n ticks from rest
// y_n = y_0 - g dt^2 n (n + 1) / 2. At 500 Hz, n = 100: 9.81 * 4e-6 * 5050 = 0.198162 m.
constexpr double kExpectedDrop = 9.81 * 0.002 * 0.002 * 100 * 101 / 2;

// A fine cloth that bends builds: 220 x 220 cells is 48,841 nodes, past the 46,340 at which
// Bullet's bending-link table (n^2 entries) overflowed its size and crashed the program.
TEST(PhysicsSanity, AFineBendingClothBuilds) {
  World world(WorldSettings{});
  TissueSettings cloth = test::clothAt(1.0f, 220);
  ASSERT_GT(cloth.material.bend, 0.0f);
  const auto id = world.addTissue(cloth);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(world.nodeCount(id.value()), 221u * 221u);
}

TEST(PhysicsSanity, RigidFreeFall) {
  World world(WorldSettings{});
  RigidSettings ball;
  ball.name = "ball";
  ball.shape = RigidShape::kSphere;
  ball.halfExtents = Vec3(0.01f);
  ball.massKg = 0.01f;
  ball.pose.position = {0.0f, 1.0f, 0.0f};
  ball.linearDamping = 0.0f;  // a vacuum, for the closed form
  RigidId id = world.addRigid(ball).value();
  for (int i = 0; i < 100; ++i) world.step(InputFrame{});
  // float accumulation over 100 steps: well under 10 um.
  EXPECT_NEAR(world.rigidPose(id).position.y, 1.0 - kExpectedDrop, 1e-5);
  EXPECT_NEAR(world.rigidLinearVelocity(id).y, -9.81 * 0.002 * 100, 1e-4);
}

TEST(PhysicsSanity, ClothFreeFallWithoutDamping) {
  World world(WorldSettings{});
  TissueSettings cloth = test::clothAt(1.0f, 8);
  cloth.fixed.clear();
  cloth.material.damping = 0.0f;
  TissueId id = world.addTissue(cloth).value();
  for (int i = 0; i < 100; ++i) world.step(InputFrame{});
  // An unstretched, unconstrained sheet falls like a point: every node by the same amount.
  // Tolerance 0.5 mm (0.25% of the drop): Bullet's soft-body solver rebuilds velocity from
  // positions, v = (x - x_prev) / dt, in float at y ~ 1 m, which rounds ~1e-7 m per tick.
  for (uint32_t n = 0; n < world.nodeCount(id); n += 7) {
    EXPECT_NEAR(world.nodePosition(id, n).y, 1.0 - kExpectedDrop, 5e-4) << "node " << n;
  }
}

TEST(PhysicsSanity, MassIsDistributedAndConserved) {
  World world(WorldSettings{});
  TissueSettings cloth = test::clothAt(1.0f, 16);
  cloth.fixed.clear();
  TissueId id = world.addTissue(cloth).value();
  auto sum = [&] {
    double m = 0.0;
    for (uint32_t n = 0; n < world.nodeCount(id); ++n) m += static_cast<double>(world.nodeMass(id, n));
    return m;
  };
  EXPECT_NEAR(sum(), 0.004, 1e-8);
  // A cut adds nodes but no area: the total stays 4 g (float rounding per node only).
  world.cutWithQuad(id, {Vec3(-0.06f, 0.99f, 0.013f), Vec3(0.06f, 0.99f, 0.013f), Vec3(0.06f, 1.01f, 0.013f),
                         Vec3(-0.06f, 1.01f, 0.013f)});
  EXPECT_GT(world.nodeCount(id), 17u * 17u);
  EXPECT_NEAR(sum(), 0.004, 1e-8);
}

// A 10 cm sheet hung by its top edge: it must hang straight down, about its own length,
// stretched by its own weight only a little (stretch stiffness 0.9, 4 g): the bottom edge
// ends between 10.0 and 11.5 cm below the top (<= 15% strain), and it is at rest.
TEST(PhysicsSanity, HangingClothHangsItsLength) {
  World world(WorldSettings{});
  TissueSettings cloth = test::clothAt(1.0f, 16);
  // Rotate the sheet upright: its local Z (rows) runs along -Y.
  cloth.cloth.pose.orientation = glm::angleAxis(kPi / 2.0f, Vec3(1, 0, 0));
  cloth.fixed = {NodeSelector::box(Vec3(0.0f, 1.05f, 0.0f), Vec3(0.06f, 0.001f, 0.001f))};
  TissueId id = world.addTissue(cloth).value();
  for (int i = 0; i < 1500; ++i) world.step(InputFrame{});
  float lowest = 10.0f, maxSpeed = 0.0f;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) {
    lowest = std::min(lowest, world.nodePosition(id, n).y);
    maxSpeed = std::max(maxSpeed, glm::length(world.nodeVelocity(id, n)));
  }
  float drop = 1.05f - lowest;
  EXPECT_GE(drop, 0.0999f);
  EXPECT_LE(drop, 0.115f);
  EXPECT_LT(maxSpeed, 0.01f) << "after 3 s the sheet should be at rest";
}

// A sheet pinned at its four corners sags under its own weight: the centre drops, by a
// few millimetres to a few centimetres (order of magnitude for a 10 cm, 4 g gauze).
TEST(PhysicsSanity, CornerPinnedClothSags) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(test::clothAt(1.0f, 16)).value();
  for (int i = 0; i < 1500; ++i) world.step(InputFrame{});
  uint32_t centre = 8 * 17 + 8;
  float sag = 1.0f - world.nodePosition(id, centre).y;
  EXPECT_GT(sag, 0.003f);
  EXPECT_LT(sag, 0.05f);
  EXPECT_NEAR(world.nodePosition(id, 0).y, 1.0f, 1e-6f) << "corners are fixed";
}

TEST(PhysicsSanity, VolumetricBodyRestsOnTheGround) {
  World world(WorldSettings{});
  TissueSettings s;
  s.name = "liver";
  s.kind = TissueKind::kVolumetric;
  s.tetMesh = generateTetBox(Vec3(0.02f), 4, 4, 4, {{0.0f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
  s.material.massKg = 0.05f;
  TissueId id = world.addTissue(s).value();
  for (int i = 0; i < 1000; ++i) world.step(InputFrame{});
  float lowest = 1.0f, highest = -1.0f;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) {
    lowest = std::min(lowest, world.nodePosition(id, n).y);
    highest = std::max(highest, world.nodePosition(id, n).y);
  }
  EXPECT_GT(lowest, -0.003f) << "does not sink through the ground box";
  EXPECT_LT(lowest, 0.003f) << "reached the ground";
  EXPECT_GT(highest - lowest, 0.02f) << "keeps most of its 4 cm height";
}

TEST(PhysicsSanity, BadTissueSettingsAreErrors) {
  World world(WorldSettings{});
  TissueSettings s = test::clothAt(1.0f, 8);
  s.regions.push_back({"nowhere", NodeSelector::sphere(Vec3(5.0f), 0.01f)});
  auto r = world.addTissue(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "tissue 'gauze': region 'nowhere' selects no node");
  TissueSettings m = test::clothAt(1.0f, 8);
  m.material.massKg = -1.0f;
  EXPECT_FALSE(world.addTissue(m).ok());
  TissueSettings v;
  v.name = "cube";
  v.kind = TissueKind::kVolumetric;
  v.tetMesh = generateTetBox(Vec3(0.01f), 1, 1, 1);
  v.fixed = {NodeSelector::corners()};
  auto c = world.addTissue(v);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cloth only"), std::string::npos);
}

}  // namespace
}  // namespace trocar::physics
