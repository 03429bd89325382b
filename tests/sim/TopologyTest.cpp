// Topology under repeated cuts and rough handling: cracks that meet in a face join, light
// sliver nodes get a mass floor, and rigid objects are grasped only from between the jaws
// and handed from jaw to jaw without counting as dropped.
#include "SimTestUtil.h"
#include "TissueMesh.h"

#include <trocar/physics/Snapshot.h>

#include <gtest/gtest.h>

#include <numeric>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

// One right triangle a = (0, 0), b = (1 cm, 0), c = (0, 1 cm) in the x-z plane.
detail::TissueMesh oneTriangle() {
  detail::TissueMesh m;
  m.kind = TissueKind::kCloth;
  m.rest = {Vec3(0, 0, 0), Vec3(0.01f, 0, 0), Vec3(0, 0, 0.01f)};
  m.triangles = {{0, 1, 2}};
  m.fixed = {0, 0, 0};
  m.originalNodeCount = 3;
  return m;
}

std::array<Vec3, 4> verticalBlade(Vec3 from, Vec3 to) {
  return {from - Vec3(0, 0.01f, 0), to - Vec3(0, 0.01f, 0), to + Vec3(0, 0.01f, 0), from + Vec3(0, 0.01f, 0)};
}

// Stroke A crosses edge a-b only and ends inside the face (a crack tip); stroke B crosses
// c-a and b-c. The face then holds three crossings: all three corners come off (three
// pieces), where keeping two crossings would leave a and b joined.
TEST(Topology, TwoCracksMeetingInAFaceCutOffEveryCorner) {
  detail::TissueMesh m = oneTriangle();
  std::vector<Vec3> x = m.rest, v(3, Vec3(0.0f));
  auto a = detail::cutMesh(m, {&x, &v}, verticalBlade({0.003f, 0, -0.001f}, {0.003f, 0, 0.002f}));
  EXPECT_EQ(a.splitEdges, 1u);
  EXPECT_EQ(m.triangles.size(), 1u) << "a crack tip: the face stays whole";
  auto b = detail::cutMesh(m, {&x, &v}, verticalBlade({-0.001f, 0, 0.004f}, {0.011f, 0, 0.004f}));
  EXPECT_EQ(b.splitEdges, 2u);
  EXPECT_EQ(m.triangles.size(), 3u);
  uint32_t count = 0;
  std::vector<uint32_t> piece = m.pieces(&count);
  EXPECT_EQ(count, 3u);
  EXPECT_NE(piece[0], piece[1]);
  EXPECT_NE(piece[1], piece[2]);
  EXPECT_NE(piece[0], piece[2]);
  // What is left: the three corners, area 0.5 (1 cm)^2 less the sliver between the cracks:
  // corner a 0.3 x 0.4 / 2, corner b 0.7 x 0.28 / 2 ... summed from the faces themselves.
  double area = 0.0;
  for (const auto& f : m.triangles)
    area += 0.5 * glm::length(glm::cross(glm::dvec3(m.rest[f[1]] - m.rest[f[0]]),
                                         glm::dvec3(m.rest[f[2]] - m.rest[f[0]])));
  EXPECT_LT(area, 0.5e-4);
  EXPECT_GT(area, 0.3e-4);
}

// A sliver face (7 um tall) next to a big one: its lone node would carry 1/3000 of the mass.
// It gets the floor, a fifth of the mean share (0.2 / 4 = 0.05), and all shares are scaled
// so the total stays 1: the others keep ~1/3 each, so node 3 weighs 0.05 / 1.05.
TEST(Topology, NodeMassesHaveAFloor) {
  detail::TissueMesh m = oneTriangle();
  m.rest.push_back(Vec3(0.005f, 0, 0.00501f));  // just past the middle of b-c
  m.triangles.push_back({1, 3, 2});
  m.fixed.push_back(0);
  auto masses = m.nodeMasses(1.0f);
  EXPECT_NEAR(std::accumulate(masses.begin(), masses.end(), 0.0), 1.0, 1e-6);
  EXPECT_NEAR(masses[3], 0.05 / 1.05, 1e-4);
  EXPECT_NEAR(masses[0], 1.0 / 3.0 / 1.05, 1e-3);
}

WorldSettings lookingDown() {
  WorldSettings s;
  WorldSettings::Camera cam;
  cam.pose = {Vec3(0.0f, 0.2f, 0.0f), glm::angleAxis(-kPi / 2.0f, Vec3(1.0f, 0.0f, 0.0f))};  // -Z onto -Y
  cam.verticalFovRad = 1.2f;  // sees +-0.13 m at the board, 0.19 m below
  cam.aspect = 1.0f;
  s.camera = cam;
  return s;
}

struct Board {
  World world;
  explicit Board(const WorldSettings& settings = WorldSettings{}) : world(settings) { setUp(); }
  void setUp() {
    test::addBoard(world);
    peg = test::addPeg(world, "peg", -0.03f, 0.0f);
    other = test::addPeg(world, "other", 0.03f, 0.0f);
    ASSERT_TRUE(world.addTargetZone({"right", {0.05f, 0.02f, 0.0f}, {0.02f, 0.015f, 0.03f}, {}}).ok());
    world.setInstrument(Hand::kLeft, test::openInstrument(InstrumentKind::kGrasper));
    world.setInstrument(Hand::kRight, test::openInstrument(InstrumentKind::kGrasper));
  }
  RigidId peg, other;
  std::vector<Event> hold(Vec3 left, float leftTrigger, Vec3 right, float rightTrigger, int ticks) {
    std::vector<Event> out;
    auto spec = instruments::defaultSpec(InstrumentKind::kGrasper);
    spec.shaftLength = 0.2f;
    for (int t = 0; t < ticks; ++t) {
      InputFrame in;
      in.hands[0].pose = test::handPointingDown(left, spec);
      in.hands[0].trigger = leftTrigger;
      in.hands[1].pose = test::handPointingDown(right, spec);
      in.hands[1].trigger = rightTrigger;
      for (const Event& e : world.step(in)) out.push_back(e);
    }
    return out;
  }
};

size_t countKind(const std::vector<Event>& events, EventKind kind) {
  return static_cast<size_t>(
      std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; }));
}

// Jaws closing 2 cm from either peg take nothing (neither peg's box, grown by the jaws'
// reach, holds the jaw centre).
TEST(Topology, GraspTakesOnlyWhatIsBetweenTheJaws) {
  Board b;
  const Vec3 park(0.0f, 0.06f, 0.0f);
  auto events = b.hold({0.0f, 0.0222f, 0.0f}, 0.0f, park, 0.0f, 100);
  events = b.hold({0.0f, 0.0222f, 0.0f}, 1.0f, park, 0.0f, 50);
  EXPECT_EQ(countKind(events, EventKind::kGrasp), 0u);
}

// Left picks the peg up, right takes it from the side, left lets go: no drop while the right
// holds it. Right carries it over the zone and lets go: placed there.
TEST(Topology, HandOffInTheAirIsNotADrop) {
  Board b;
  const Vec3 park(0.04f, 0.08f, 0.0f);
  const Vec3 top(-0.03f, 0.0242f, 0.0f);
  std::vector<Event> all;
  auto add = [&](std::vector<Event> e) { all.insert(all.end(), e.begin(), e.end()); };
  add(b.hold(top + Vec3(0, 0.02f, 0), 0.0f, park, 0.0f, 150));
  add(b.hold(top, 0.0f, park, 0.0f, 150));
  add(b.hold(top, 1.0f, park, 0.0f, 50));
  ASSERT_EQ(countKind(all, EventKind::kGrasp), 1u);
  const Vec3 air(-0.01f, 0.06f, 0.0f);
  add(b.hold(air, 1.0f, park, 0.0f, 300));
  const Vec3 pegAt = b.world.rigidPose(b.peg).position;
  const Vec3 side = pegAt + Vec3(0.006f, -0.003f, 0.0f);
  add(b.hold(air, 1.0f, side + Vec3(0.01f, 0.01f, 0), 0.0f, 200));
  add(b.hold(air, 1.0f, side, 0.0f, 200));
  add(b.hold(air, 1.0f, side, 1.0f, 50));
  ASSERT_EQ(countKind(all, EventKind::kGrasp), 2u) << "the right grasper took it";
  add(b.hold(air, 0.0f, side, 1.0f, 50));
  add(b.hold(air + Vec3(-0.02f, 0.02f, 0), 0.0f, side, 1.0f, 500));
  EXPECT_EQ(countKind(all, EventKind::kDropped), 0u) << "held by the right grasper all along";
  const Vec3 over(0.05f, 0.026f, 0.0f);
  add(b.hold(air + Vec3(-0.02f, 0.02f, 0), 0.0f, over + Vec3(0, 0.02f, 0), 1.0f, 300));
  add(b.hold(air + Vec3(-0.02f, 0.02f, 0), 0.0f, over, 1.0f, 200));
  add(b.hold(air + Vec3(-0.02f, 0.02f, 0), 0.0f, over, 0.0f, 50));
  add(b.hold(air + Vec3(-0.02f, 0.02f, 0), 0.0f, over + Vec3(0, 0.03f, 0), 0.0f, 1000));
  EXPECT_EQ(countKind(all, EventKind::kDropped), 0u);
  ASSERT_EQ(countKind(all, EventKind::kPlaced), 1u);
  EXPECT_NEAR(b.world.rigidPose(b.peg).position.x, 0.05f, 0.02f);
}

// The left grasper lifts the peg and lets it go over the board, outside the zone: dropped,
// but in the laparoscope's view (value 0: it can be picked up again). It lifts it again and
// lets it go 20 cm to the side, out of the picture: dropped and lost (value 1).
TEST(Topology, DropsOutOfTheLaparoscopesViewAreLost) {
  Board b(lookingDown());
  const Vec3 park(0.04f, 0.08f, 0.0f);
  auto pickUpAndDropAt = [&](Vec3 over) {
    std::vector<Event> all;
    auto add = [&](std::vector<Event> e) { all.insert(all.end(), e.begin(), e.end()); };
    const Vec3 pegAt = b.world.rigidPose(b.peg).position;
    const Vec3 top = pegAt + Vec3(0.0f, 0.008f, 0.0f);
    add(b.hold(top + Vec3(0, 0.02f, 0), 0.0f, park, 0.0f, 150));
    add(b.hold(top, 0.0f, park, 0.0f, 150));
    add(b.hold(top, 1.0f, park, 0.0f, 50));
    add(b.hold(over, 1.0f, park, 0.0f, 400));
    add(b.hold(over, 0.0f, park, 0.0f, 50));
    add(b.hold(over + Vec3(0, 0.03f, 0), 0.0f, park, 0.0f, 1500));
    return all;
  };
  auto first = pickUpAndDropAt({0.0f, 0.05f, 0.04f});
  auto dropped =
      std::find_if(first.begin(), first.end(), [](const Event& e) { return e.kind == EventKind::kDropped; });
  ASSERT_NE(dropped, first.end());
  EXPECT_EQ(dropped->value, 0.0f) << "seen where it fell";
  auto second = pickUpAndDropAt({0.2f, 0.05f, 0.0f});
  dropped = std::find_if(second.begin(), second.end(),
                         [](const Event& e) { return e.kind == EventKind::kDropped; });
  ASSERT_NE(dropped, second.end());
  EXPECT_EQ(dropped->value, 1.0f) << "lost out of view, at x = " << dropped->position.x;
}

}  // namespace
}  // namespace trocar::physics
