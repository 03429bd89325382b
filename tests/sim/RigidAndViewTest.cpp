// Rigid objects (FLS peg transfer), target zones, the laparoscope's view, ports, scalpel,
// damage and tear-out.
#include "SimTestUtil.h"

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

struct PegBoard {
  World world{WorldSettings{}};
  RigidId peg;
  ZoneId zone;
  PegBoard() {
    test::addBoard(world);
    peg = test::addPeg(world, "peg", -0.05f, 0.0f);
    zone = world.addTargetZone({"right-post", {0.04f, 0.02f, 0.0f}, {0.01f, 0.015f, 0.01f}, {}}).value();
  }
};

// Pick the peg up at x = -0.05, carry it to `dropX` 2 cm above the board, let go; returns
// the events that followed the release.
std::vector<Event> transfer(PegBoard& b, float dropX) {
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  b.world.setInstrument(Hand::kLeft, grasper);
  std::vector<Event> after;
  bool released = false;
  for (int t = 0; t < 1500; ++t) {
    float s = static_cast<float>(t) / 500.0f;
    Vec3 tip;
    if (s < 0.4f)
      tip = {-0.05f, 0.04f - 0.02f * s / 0.4f, 0.0f};  // descend
    else if (s < 0.8f)
      tip = {-0.05f, 0.02f + 0.025f * (s - 0.4f) / 0.4f, 0.0f};  // lift
    else if (s < 1.6f)
      tip = {-0.05f + (dropX + 0.05f) * (s - 0.8f) / 0.8f, 0.045f, 0.0f};  // carry
    else
      tip = {dropX, 0.045f, 0.0f};
    InputFrame in;
    in.hands[0].pose = test::handPointingDown(tip, grasper.spec);
    in.hands[0].trigger = s >= 0.4f && s < 1.8f ? 1.0f : 0.0f;
    for (const Event& e : b.world.step(in)) {
      if (e.kind == EventKind::kRelease) released = true;
      if (released) after.push_back(e);
    }
  }
  return after;
}

TEST(Rigid, PegPlacedInTheTargetZone) {
  PegBoard b;
  auto events = transfer(b, 0.04f);
  auto placed =
      std::find_if(events.begin(), events.end(), [](const Event& e) { return e.kind == EventKind::kPlaced; });
  ASSERT_NE(placed, events.end());
  EXPECT_EQ(placed->rigid, b.peg);
  EXPECT_EQ(placed->zone, b.zone);
  EXPECT_NEAR(b.world.rigidPose(b.peg).position.x, 0.04f, 0.01f);
}

TEST(Rigid, PegDroppedOutsideEveryZone) {
  PegBoard b;
  auto events = transfer(b, -0.01f);
  auto dropped = std::find_if(events.begin(), events.end(),
                              [](const Event& e) { return e.kind == EventKind::kDropped; });
  ASSERT_NE(dropped, events.end());
  EXPECT_FALSE(dropped->zone.valid());
  EXPECT_NEAR(dropped->position.x, -0.01f, 0.015f);
}

// The FLS kit's transfer object: a triangle of three 3 mm bars, 22 mm a side, 5 mm thick,
// round a hole of 3.35 mm inradius (22 / (2 sqrt 3) - 3 mm), and a post of 1.25 mm radius,
// 2 cm tall, standing on the board at x = 0.04. A zone `around` the post. Taken by its +x bar
// with a grasper pointing down, carried over the post at `dropX` and let go 4 mm above
// where it would rest on the board.
struct TriangleBoard {
  World world{WorldSettings{}};
  RigidId triangle, post;
  ZoneId zone;
  TriangleBoard() {
    test::addBoard(world);
    RigidSettings p;
    p.name = "post";
    p.shape = RigidShape::kCylinder;
    p.halfExtents = {0.00125f, 0.01f, 0.00125f};
    p.pose.position = {0.04f, 0.02f, 0.0f};
    post = world.addRigid(p).value();
    RigidSettings t;
    t.name = "triangle";
    t.shape = RigidShape::kTriangle;
    t.halfExtents = {0.011f, 0.0025f, 0.0015f};
    t.massKg = 0.002f;
    t.pose.position = {-0.05f, 0.0126f, 0.0f};
    triangle = world.addRigid(t).value();
    zone = world.addTargetZone({"on-post", Vec3(0.0f), Vec3(0.0f), {"post"}}).value();
  }
  std::vector<Event> transfer(float dropX) {
    auto grasper = test::openInstrument(InstrumentKind::kGrasper);
    world.setInstrument(Hand::kLeft, grasper);
    // Bar 1 faces +x, 30 degrees towards +z; its mid-line is 22 / (2 sqrt 3) - 1.5 = 4.85 mm
    // from the centre. The tip rests on it: 2.5 mm half thickness + the shaft's radius.
    const Vec3 bar = Vec3(std::cos(kPi / 6.0f), 0.0f, std::sin(kPi / 6.0f)) * 0.00485f;
    const Vec3 grip = Vec3(-0.05f, 0.0125f + 0.0025f + grasper.spec.shaftRadius - 0.0005f, 0.0f) + bar;
    const Vec3 over = Vec3(dropX, 0.0f, 0.0f) + bar;
    std::vector<Event> after;
    bool released = false;
    for (int t = 0; t < 2000; ++t) {
      const float s = static_cast<float>(t) / 500.0f;
      Vec3 tip;
      if (s < 0.4f)
        tip = grip + Vec3(0.0f, 0.02f * (1.0f - s / 0.4f), 0.0f);  // down onto the bar
      else if (s < 0.8f)
        tip = grip + Vec3(0.0f, 0.035f * (s - 0.4f) / 0.4f, 0.0f);  // up, clear of the post
      else if (s < 1.6f)
        tip = glm::mix(grip + Vec3(0.0f, 0.035f, 0.0f), Vec3(over.x, grip.y + 0.035f, over.z),
                       (s - 0.8f) / 0.8f);
      else if (s < 2.0f)  // down over the post, to 4 mm above resting
        tip = glm::mix(Vec3(over.x, grip.y + 0.035f, over.z), Vec3(over.x, grip.y + 0.004f, over.z),
                       (s - 1.6f) / 0.4f);
      else
        tip = Vec3(over.x, grip.y + 0.004f, over.z) + Vec3(0.0f, 0.03f * std::min(1.0f, s - 2.1f), 0.0f);
      InputFrame in;
      in.hands[0].pose = test::handPointingDown(tip, grasper.spec);
      in.hands[0].trigger = s >= 0.4f && s < 2.05f ? 1.0f : 0.0f;
      for (const Event& e : world.step(in)) {
        if (e.kind == EventKind::kRelease) released = true;
        if (released) after.push_back(e);
      }
    }
    return after;
  }
};

// Let go over the post, the triangle slides down it to the board and counts as placed
// around it: its centre within the post's outline (plus 2 mm), the board under it.
TEST(Rigid, ATriangleLetGoOverAPostGoesDownItAndIsPlaced) {
  TriangleBoard b;
  auto events = b.transfer(0.04f);
  auto placed =
      std::find_if(events.begin(), events.end(), [](const Event& e) { return e.kind == EventKind::kPlaced; });
  ASSERT_NE(placed, events.end());
  EXPECT_EQ(placed->rigid, b.triangle);
  EXPECT_EQ(placed->zone, b.zone);
  const Pose rest = b.world.rigidPose(b.triangle);
  EXPECT_NEAR(rest.position.x, 0.04f, 0.00125f + 0.002f);
  EXPECT_NEAR(rest.position.z, 0.0f, 0.00125f + 0.002f);
  EXPECT_NEAR(rest.position.y, 0.0125f, 0.001f) << "resting flat on the board, the post through its hole";
}

// Let go 2 cm beside the post, it lands flat on the board: dropped, in no zone.
TEST(Rigid, ATriangleLetGoBesideThePostIsDropped) {
  TriangleBoard b;
  auto events = b.transfer(0.02f);
  auto dropped = std::find_if(events.begin(), events.end(),
                              [](const Event& e) { return e.kind == EventKind::kDropped; });
  ASSERT_NE(dropped, events.end());
  EXPECT_FALSE(dropped->zone.valid());
  EXPECT_NEAR(b.world.rigidPose(b.triangle).position.y, 0.0125f, 0.001f);
}

// A zone around something that is not a static object is refused, naming both.
TEST(Rigid, AZoneAroundAMovingObjectIsRefused) {
  PegBoard b;
  auto zone = b.world.addTargetZone({"around-peg", Vec3(0.0f), Vec3(0.0f), {"peg"}});
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("'peg'"), std::string::npos) << zone.error().message;
}

// A laparoscope looking down -Y from 20 cm above the origin, a 60 degree square field of view.
WorldSettings::Camera downwardScope() {
  WorldSettings::Camera cam;
  cam.pose = {{0.0f, 0.2f, 0.0f}, glm::angleAxis(-kPi / 2.0f, Vec3(1, 0, 0))};
  cam.verticalFovRad = kPi / 3.0f;
  cam.aspect = 1.0f;
  return cam;
}

// The laparoscope looks down -Y from 20 cm above the origin with a 60 degree vertical field
// of view: a tip at x = 0.05 is in view (tan 30 * 0.2 = 0.115 m half-height), x = 0.2 is not.
TEST(View, InstrumentLeavingTheFieldIsReported) {
  const WorldSettings::Camera cam = downwardScope();
  WorldSettings ws;
  ws.camera = cam;
  World world(ws);
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, grasper);
  std::vector<std::pair<Tick, EventKind>> seen;
  for (int t = 0; t < 300; ++t) {
    InputFrame in;
    float x = t < 100 ? 0.05f : (t < 200 ? 0.2f : 0.0f);
    in.hands[1].pose = test::handPointingDown({x, 0.05f, 0.0f}, grasper.spec);
    for (const Event& e : world.step(in)) seen.emplace_back(e.tick, e.kind);
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].second, EventKind::kOutOfViewBegin);
  EXPECT_GT(seen[0].first, 100u);
  EXPECT_LT(seen[0].first, 140u) << "the tool follows the hand within a few ticks";
  EXPECT_EQ(seen[1].second, EventKind::kOutOfViewEnd);
}

// The trainee moves the laparoscope (InputFrame::scope): a tip at x = 0.05 that was in view
// leaves it the tick the scope slides 30 cm along +x (its field then spans x = 0.185..0.415)
// and comes back into it when the scope returns; the snapshot says where the scope is.
TEST(View, MovingTheLaparoscopeChangesWhatIsInView) {
  const WorldSettings::Camera cam = downwardScope();
  WorldSettings ws;
  ws.camera = cam;
  World world(ws);
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, grasper);
  Pose moved = cam.pose;
  moved.position.x = 0.3f;
  std::vector<std::pair<Tick, EventKind>> seen;
  for (int t = 0; t < 300; ++t) {
    InputFrame in;
    in.hands[1].pose = test::handPointingDown({0.05f, 0.05f, 0.0f}, grasper.spec);
    if (t == 150) in.scope = moved;
    if (t == 200) in.scope = cam.pose;
    for (const Event& e : world.step(in)) seen.emplace_back(e.tick, e.kind);
    if (t == 150) {
      WorldSnapshot snap;
      world.snapshot(snap);
      ASSERT_TRUE(snap.scope.has_value());
      EXPECT_EQ(snap.scope->position, moved.position);
    }
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(Tick{151}, EventKind::kOutOfViewBegin))
      << "the tick that consumed the move";
  EXPECT_EQ(seen[1], std::make_pair(Tick{201}, EventKind::kOutOfViewEnd));
  EXPECT_EQ(world.scopePose()->position, cam.pose.position);
}

// Through a port the tool tip lands where the fulcrum puts it (see InstrumentTest for the
// hand-derived numbers): handle 10 cm left of and 20 cm above the port -> tip 6.1 cm right.
TEST(Port, ToolTipFollowsTheFulcrum) {
  World world(WorldSettings{});
  InstrumentSettings s;
  s.spec = instruments::defaultSpec(InstrumentKind::kGrasper);
  s.port = instruments::Port{"left", Vec3(0.0f, 0.3f, 0.0f)};
  world.setInstrument(Hand::kLeft, s);
  InputFrame in;
  in.hands[0].pose = {{-0.1f, 0.5f, 0.0f}, Quat(1, 0, 0, 0)};
  for (int t = 0; t < 200; ++t) world.step(in);
  Vec3 tip = world.instrument(Hand::kLeft).tipPose.position;
  EXPECT_NEAR(tip.x, 0.0610f, 0.001f);
  EXPECT_NEAR(tip.y, 0.3f - 0.1220f, 0.001f);
}

// A scalpel drawn 4 cm across a border-pinned membrane in `strokeTicks` ticks (after 100
// still ones, then 100 more): the blade edge spans the tip to 2 cm up the shaft, tip below
// the sheet, edge through it. The incision's checks are the same at any speed.
struct Stroke {
  int cuts = 0;
  float length = 0.0f;
};
Stroke scalpelStroke(int strokeTicks) {
  World world(WorldSettings{});
  TissueSettings m = test::clothAt(0.1f, 24);
  m.fixed = {NodeSelector::border()};
  TissueId id = world.addTissue(m).value();
  auto scalpel = test::openInstrument(InstrumentKind::kScalpel);
  world.setInstrument(Hand::kRight, scalpel);
  Stroke stroke;
  for (int t = 0; t < strokeTicks + 200; ++t) {
    float s = std::clamp((static_cast<float>(t) - 100.0f) / static_cast<float>(strokeTicks), 0.0f, 1.0f);
    InputFrame in;
    in.hands[1].pose = test::handPointingDown({-0.02f + 0.04f * s, 0.085f, 0.01f}, scalpel.spec);
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kCut) {
        ++stroke.cuts;
        stroke.length += e.value;
      }
    }
  }
  EXPECT_NEAR(stroke.length, 0.04f, 0.0045f) << "a 4 cm incision (within one cell)";
  EXPECT_EQ(world.pieceCount(id), 1u) << "an incision, not a separation";
  EXPECT_EQ(world.cutPaths(id).size(), 1u) << "one stroke, one incision path";
  EXPECT_TRUE(test::allFinite(world, id));
  return stroke;
}

// At 6.7 cm/s (300 ticks): many sweeps, one 4 cm incision.
TEST(Scalpel, SweepCutsAlongThePath) {
  EXPECT_GT(scalpelStroke(300).cuts, 10);
}

// A slow, careful stroke cuts too: 4 cm at 5 mm/s (4,000 ticks) is 0.01 mm a tick, far under
// the 0.1 mm the blade must move before it sweeps; the sweeps add up to the same incision.
TEST(Scalpel, ASlowStrokeCutsAsAFastOneDoes) {
  EXPECT_GT(scalpelStroke(4000).cuts, 10);
}

// Pulling a grasped membrane too hard tears the grasp out: a damage event marked torn, then
// a release, and the tissue is free again.
TEST(Damage, OverPullTearsTheGraspOut) {
  World world(WorldSettings{});
  TissueSettings m = test::clothAt(0.1f, 24);
  m.fixed = {NodeSelector::border()};
  m.material.tearForceN = 1.0f;
  TissueId id = world.addTissue(m).value();
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kLeft, grasper);
  bool torn = false, released = false;
  for (int t = 0; t < 1000 && !released; ++t) {
    InputFrame in;
    // Down onto the membrane (sagged to 0.092 m) from above, close, then up at 10 cm/s.
    float y = t < 200 ? 0.11f - 0.019f * std::min(1.0f, static_cast<float>(t) / 100.0f)
                      : 0.091f + 0.1f * static_cast<float>(t - 200) / 500.0f;
    in.hands[0].pose = test::handPointingDown({0.0f, y, 0.0f}, grasper.spec);
    in.hands[0].trigger = t >= 120 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kDamage && e.torn) {
        torn = true;
        EXPECT_EQ(e.tissue, id);
        EXPECT_GT(e.value, 1.0f);
      }
      if (e.kind == EventKind::kRelease) released = e.torn;
    }
  }
  EXPECT_TRUE(torn);
  EXPECT_TRUE(released);
  EXPECT_FALSE(world.instrument(Hand::kLeft).grasping);
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// A node kicked to 10 km/s trips the guard: an instability event names the tissue, every
// node gets its last good position back (the pre-kick state), and nothing is NaN. (The links
// share a kick's momentum out over the cloth's 81 nodes within the tick: 10 km/s leaves them
// all at over 100 m/s on average, far past the 30 m/s limit whatever order the links are solved
// in; 1 km/s, 12 m/s on average, tripped it or not depending on that order.)
TEST(StabilityGuard, RunawayNodeIsReportedAndRestored) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(test::clothAt(0.1f, 8)).value();
  for (int t = 0; t < 50; ++t) world.step(InputFrame{});
  std::vector<Vec3> before;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) before.push_back(world.nodePosition(id, n));
  world.setNodeVelocity(id, 40, Vec3(10000.0f, 0.0f, 0.0f));
  const auto& events = world.step(InputFrame{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::kInstability);
  EXPECT_EQ(events[0].tissue, id);
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) EXPECT_EQ(world.nodePosition(id, n), before[n]) << n;
  for (int t = 0; t < 100; ++t) world.step(InputFrame{});
  EXPECT_TRUE(test::allFinite(world, id));
}

// The renderer's copy: positions equal the live nodes, one normal per node of unit length,
// three indices per surface triangle, and a new topology version after a cut.
TEST(Snapshot, CopiesTissueStateAndTracksTopology) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(test::clothAt(0.1f, 8)).value();
  world.step(InputFrame{});
  WorldSnapshot snap;
  world.snapshot(snap);
  ASSERT_EQ(snap.tissues.size(), 1u);
  const TissueSnapshot& t = snap.tissues[0];
  ASSERT_EQ(t.positions.size(), world.nodeCount(id));
  EXPECT_EQ(t.positions[10], world.nodePosition(id, 10));
  EXPECT_EQ(t.indices.size(), 8u * 8u * 2u * 3u);
  for (const Vec3& n : t.normals) EXPECT_NEAR(glm::length(n), 1.0f, 1e-5f);
  uint32_t version = t.topologyVersion;
  world.cutWithQuad(id, {Vec3(-0.06f, 0.09f, 0.001f), Vec3(0.06f, 0.09f, 0.001f), Vec3(0.06f, 0.11f, 0.001f),
                         Vec3(-0.06f, 0.09f + 0.02f, 0.001f)});
  world.snapshot(snap);
  EXPECT_NE(snap.tissues[0].topologyVersion, version);
  EXPECT_GT(snap.tissues[0].indices.size(), 8u * 8u * 2u * 3u);
  EXPECT_EQ(snap.tissues[0].positions.size(), world.nodeCount(id));
}

// Pressing on a region with more than its damage threshold: the region's peak force and
// time above the threshold grow, and a damage event names the region.
TEST(Damage, RegionForceStatistics) {
  World world(WorldSettings{});
  TissueSettings m = test::clothAt(0.1f, 24);
  m.fixed = {NodeSelector::border()};
  m.material.damageForceN = 0.5f;
  m.regions.push_back({"centre", NodeSelector::circle(Vec2(0.0f), 0.015f)});
  TissueId id = world.addTissue(m).value();
  uint32_t centre = world.findRegion(id, "centre").value();
  auto grasper = test::openInstrument(instruments::InstrumentKind::kGrasper);
  world.setInstrument(Hand::kLeft, grasper);
  int damage = 0;
  for (int t = 0; t < 600; ++t) {
    InputFrame in;
    in.hands[0].pose =
        test::handPointingDown({0.0f, 0.1f - 0.05f * std::min(1.0f, t / 300.0f), 0.0f}, grasper.spec);
    in.hands[0].trigger = t >= 150 ? 1.0f : 0.0f;  // hold it: the pull is what loads it
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kDamage && !e.torn) {
        ++damage;
        EXPECT_NE(std::find(e.regions.begin(), e.regions.end(), centre), e.regions.end());
      }
    }
  }
  World::RegionForceStats stats = world.regionForce(id, centre);
  EXPECT_GT(stats.peakForceN, 0.5f);
  EXPECT_GT(stats.secondsAboveDamage, 0.0);
  EXPECT_GE(damage, 1);
}

}  // namespace
}  // namespace trocar::physics
