// Surface contact (sim/physics/src/Contact.h): what is drawn is what is touched. Probes,
// presses, fast tools, grasps at random visible points, embedded detailed surfaces, organs
// resting on the table.
#include "Contact.h"
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

// A small deterministic generator (the tests' random points are the same on every machine).
struct Lcg {
  uint64_t state;
  float next() {  // [0, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>((state >> 40) & 0xFFFFFF) / static_cast<float>(0x1000000);
  }
};

// Height of the drawn surface of `tissue` straight below (or above) (x, z): the highest
// crossing of the vertical line through the snapshot's triangles. nullopt if none.
std::optional<float> drawnHeight(const WorldSnapshot& snap, TissueId tissue, float x, float z) {
  const TissueSnapshot& t = snap.tissues[tissue.index];
  std::optional<float> best;
  for (size_t i = 0; i + 2 < t.indices.size(); i += 3) {
    const Vec3& a = t.positions[t.indices[i]];
    const Vec3& b = t.positions[t.indices[i + 1]];
    const Vec3& c = t.positions[t.indices[i + 2]];
    // Barycentric coordinates of (x, z) in the triangle's XZ projection.
    const float d = (b.z - c.z) * (a.x - c.x) + (c.x - b.x) * (a.z - c.z);
    if (std::abs(d) < 1e-12f) continue;
    const float u = ((b.z - c.z) * (x - c.x) + (c.x - b.x) * (z - c.z)) / d;
    const float v = ((c.z - a.z) * (x - c.x) + (a.x - c.x) * (z - c.z)) / d;
    const float w = 1.0f - u - v;
    if (u < -1e-6f || v < -1e-6f || w < -1e-6f) continue;
    const float y = u * a.y + v * b.y + w * c.y;
    if (!best || y > *best) best = y;
  }
  return best;
}

// Distance from the instrument as drawn (its capsules) to the drawn surface of `tissue`.
float toolToSurface(const World& world, const WorldSnapshot& snap, TissueId tissue) {
  const InstrumentState& s = world.instrument(Hand::kRight);
  const Pose& tip = s.tipPose;
  btTransform tr(btQuaternion(tip.orientation.x, tip.orientation.y, tip.orientation.z, tip.orientation.w),
                 btVector3(tip.position.x, tip.position.y, tip.position.z));
  std::vector<detail::Capsule> capsules;
  detail::instrumentCapsules(instruments::defaultSpec(InstrumentKind::kGrasper), s.jawAngle, tr, capsules);
  const TissueSnapshot& t = snap.tissues[tissue.index];
  auto bt = [](const Vec3& v) { return btVector3(v.x, v.y, v.z); };
  float best = 1e9f;
  for (const auto& c : capsules) {
    for (size_t i = 0; i + 2 < t.indices.size(); i += 3) {
      const auto r = detail::closestSegmentTriangle(c.a, c.b, bt(t.positions[t.indices[i]]),
                                                    bt(t.positions[t.indices[i + 1]]),
                                                    bt(t.positions[t.indices[i + 2]]));
      best = std::min(best, static_cast<float>(r.distance) - c.radius);
    }
  }
  return best;
}

// A pinned organ (6 x 3 x 6 cm in 2 x 1 x 2 cells, nodes' top at 0.065 m) carrying a 12 x 12
// grid at y = 0.055 m, 1 cm under the top, facing up: each vertex embedded in its tet.
std::optional<TissueSettings> pinnedGridPack() {
  TissueSettings pack;
  pack.name = "organ";
  pack.kind = TissueKind::kVolumetric;
  pack.tetMesh = generateTetBox({0.03f, 0.015f, 0.03f}, 2, 1, 2, Pose{{0.0f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
  pack.material.massKg = 0.1f;
  pack.fixed = {NodeSelector::box({0.0f, 0.035f, 0.0f}, {0.04f, 0.001f, 0.04f})};
  EmbeddedSurface surface;
  if (!test::embeddedSheet(pack.tetMesh, {-0.028f, -0.028f}, {0.056f, 0.056f}, 12, 12, 0.055f, surface))
    return std::nullopt;
  pack.embedded = surface;
  return pack;
}

// An unpinned anatomy pack: a 2 cm box surface (its 12 outward triangles over corners indexed
// by their (x, y, z) bits) embedded in one 4 cm tet block centred at `centre`.
std::optional<TissueSettings> boxSurfacePack(const Vec3& centre) {
  TissueSettings pack;
  pack.name = "organ";
  pack.kind = TissueKind::kVolumetric;
  pack.tetMesh = generateTetBox({0.02f, 0.02f, 0.02f}, 1, 1, 1, Pose{centre, Quat(1, 0, 0, 0)});
  pack.material.massKg = 0.02f;
  pack.material.volume = 0.9f;
  std::vector<Vec3> corners;
  for (int i = 0; i < 8; ++i)
    corners.push_back(centre +
                      0.01f * Vec3(i & 1 ? 1.0f : -1.0f, i & 2 ? 1.0f : -1.0f, i & 4 ? 1.0f : -1.0f));
  EmbeddedSurface surface;
  surface.indices = {0, 2, 3, 0, 3, 1, 4, 5, 7, 4, 7, 6, 0, 1, 5, 0, 5, 4,
                     2, 6, 7, 2, 7, 3, 0, 4, 6, 0, 6, 2, 1, 3, 7, 1, 7, 5};
  if (!test::embedPoints(pack.tetMesh, corners, surface)) return std::nullopt;
  pack.embedded = surface;
  return pack;
}

// The lowest drawn point of a tissue's embedded surface, from its nodes now.
float lowestEmbedded(const World& world, TissueId id, const EmbeddedSurface& surface) {
  float lowest = 1e9f;
  for (size_t i = 0; i < surface.nodes.size(); ++i) {
    Vec3 p(0.0f);
    for (int k = 0; k < 4; ++k) p += surface.weights[i][k] * world.nodePosition(id, surface.nodes[i][k]);
    lowest = std::min(lowest, p.y);
  }
  return lowest;
}

// The scenarios' table: its top at 0.9 m, 1.2 x 0.8 m, centred at z = -0.45 m.
WorldSettings withTable() {
  WorldSettings settings;
  settings.table = WorldSettings::Table{{0.0f, 0.88f, -0.45f}, {0.6f, 0.02f, 0.4f}};
  return settings;
}

InputFrame pressAt(const Vec3& tip, const InstrumentSettings& tool, float trigger) {
  InputFrame in;
  in.hands[1].pose = test::handPointingDown(tip, tool.spec);
  in.hands[1].trigger = trigger;
  return in;
}

// After the tissue settles, a grasper with closed jaws (a blunt probe 5 mm across) descends
// at 2 cm/s from 6 mm above the drawn surface at (x, z). Returns the tip's height above the drawn surface at
// the tick contact registered (nullopt: never), and leaves the hand going on 1 cm below it.
struct Probe {
  std::optional<float> firstContactGap;  // the tool's distance to the drawn surface at first contact
  float finalTipY = 0.0f;
  float finalSurfaceY = 0.0f;  // drawn surface under the tip at the end
  float restSurfaceY = 0.0f;   // drawn surface under the tip at the start
};

Probe probe(World& world, TissueId tissue, float x, float z, int holdTicks = 150, bool settle = true) {
  // Let the tissue settle under gravity first: the probe aims at the surface as it is drawn now.
  if (settle) {
    for (int t = 0; t < 400; ++t) world.step(InputFrame{});
  }
  InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, tool);
  WorldSnapshot snap;
  world.snapshot(snap);
  Probe p;
  p.restSurfaceY = drawnHeight(snap, tissue, x, z).value_or(-1.0f);
  EXPECT_GT(p.restSurfaceY, 0.0f) << "no drawn surface under (" << x << ", " << z << ")";
  const float start = p.restSurfaceY + 0.006f, speed = 0.02f, dt = 1.0f / 500.0f;
  const float end = p.restSurfaceY - 0.01f;
  float target = start;
  for (int t = 0; t < 2000; ++t) {
    target = std::max(end, start - speed * dt * static_cast<float>(t));
    world.step(pressAt({x, target, z}, tool, 1.0f));
    const InstrumentState& s = world.instrument(Hand::kRight);
    if (!p.firstContactGap && s.inContact && s.touchedTissue == tissue) {
      world.snapshot(snap);
      p.firstContactGap = toolToSurface(world, snap, tissue);
    }
    if (target <= end && holdTicks-- <= 0) break;
  }
  world.snapshot(snap);
  const Vec3 tip = world.instrument(Hand::kRight).tipPose.position;
  p.finalTipY = tip.y;
  p.finalSurfaceY = drawnHeight(snap, tissue, tip.x, tip.z).value_or(-1.0f);
  // Up and away, and the tissue settles again (the next probe may use the same world).
  for (int t = 0; t < 60; ++t) world.step(pressAt({x, p.restSurfaceY + 0.03f, z}, tool, 1.0f));
  return p;
}

TEST(ContactGeometry, SegmentTriangleDistances) {
  const btVector3 p0(0, 0, 0), p1(1, 0, 0), p2(0, 0, 1);
  // A vertical segment above the triangle's interior: the gap to its lower end.
  auto above = detail::closestSegmentTriangle({0.2f, 0.3f, 0.2f}, {0.2f, 1.0f, 0.2f}, p0, p1, p2);
  EXPECT_NEAR(above.distance, 0.3f, 1e-6f);
  EXPECT_NEAR(above.onTriangle.x(), 0.2f, 1e-6f);
  EXPECT_NEAR(above.bary[0], 0.6f, 1e-6f);
  // Crossing it: distance 0 where it passes through.
  auto through = detail::closestSegmentTriangle({0.1f, -1.0f, 0.1f}, {0.1f, 1.0f, 0.1f}, p0, p1, p2);
  EXPECT_NEAR(through.distance, 0.0f, 1e-7f);
  EXPECT_NEAR(through.t, 0.5f, 1e-6f);
  // Beside the hypotenuse, parallel to it, 0.1 above the plane: sqrt(0.1^2 + d^2) with the
  // horizontal distance d from (0.6, 0.6) to the edge x + z = 1: 0.2 / sqrt(2).
  auto beside = detail::closestSegmentTriangle({0.7f, 0.1f, 0.5f}, {0.5f, 0.1f, 0.7f}, p0, p1, p2);
  EXPECT_NEAR(beside.distance, std::sqrt(0.01f + 0.02f), 1e-5f);
}

TEST(ContactGeometry, InstrumentCapsulesFollowTheDrawnJaws) {
  const auto spec = instruments::defaultSpec(InstrumentKind::kGrasper);
  std::vector<detail::Capsule> open, closed;
  detail::instrumentCapsules(spec, spec.maxJawAngle, btTransform::getIdentity(), open);
  detail::instrumentCapsules(spec, 0.0f, btTransform::getIdentity(), closed);
  ASSERT_EQ(open.size(), 5u);  // the shaft and two lanes per jaw
  // Open: the jaw tips spread in Y by about jawLength * sin(angle / 2) each way.
  const float spread = spec.jawLength * std::sin(0.5f * spec.maxJawAngle);
  EXPECT_NEAR(open[1].a.y(), spread + 0.5f * spec.shaftRadius * std::cos(0.3f), 1e-3f);
  EXPECT_NEAR(open[3].a.y(), -open[1].a.y(), 1e-6f);
  // Closed: the two jaws lie side by side along the shaft, their ends at the tip.
  EXPECT_NEAR(closed[1].a.z() - closed[1].radius, 0.0f, 1e-6f);
  EXPECT_NEAR(closed[1].a.y(), 0.5f * spec.shaftRadius, 1e-6f);
}

// The shaft of scissors and of a clip applier pushes tissue as a grasper's does: held level
// across a gauze pinned at its border (blades and jaws beyond its edge, so nothing lies
// between them) and lowered to 1 cm below it, it dents the gauze and stays on top of it.
TEST(Contact, CuttingAndClippingShaftsPushTissue) {
  for (InstrumentKind kind : {InstrumentKind::kScissors, InstrumentKind::kClipApplier}) {
    World world(WorldSettings{});
    TissueSettings gauze = test::clothAt(0.05f, 16);
    gauze.fixed = {NodeSelector::border()};
    const TissueId id = world.addTissue(gauze).value();
    InstrumentSettings tool = test::openInstrument(kind);
    world.setInstrument(Hand::kRight, tool);
    // Level along Z: the tip at z = -0.08, the jaws back to the hinge short of the edge at -0.05.
    ASSERT_LT(-0.08f + tool.spec.jawLength, -0.05f);
    float y = 0.06f;
    for (int t = 0; t < 1200; ++t) {
      y = std::max(0.04f, 0.06f - 0.02f * static_cast<float>(t) / 500.0f);
      InputFrame in;
      in.hands[1].pose = Pose{{0.0f, y, -0.08f + tool.spec.shaftLength}, Quat(1, 0, 0, 0)};
      world.step(in);
    }
    const float tipY = world.instrument(Hand::kRight).tipPose.position.y;
    float lowest = 1e9f, highestUnder = -1e9f;
    for (uint32_t n = 0; n < world.nodeCount(id); ++n) {
      const Vec3 p = world.nodePosition(id, n);
      lowest = std::min(lowest, p.y);
      if (std::abs(p.x) < 0.003f && std::abs(p.z) < 0.03f) highestUnder = std::max(highestUnder, p.y);
    }
    EXPECT_LT(lowest, 0.05f - 0.003f) << instruments::toString(kind) << ": the shaft dents the gauze";
    EXPECT_LT(highestUnder, tipY) << instruments::toString(kind) << ": the gauze stays under the shaft";
    EXPECT_GT(tipY, 0.04f + 0.002f) << instruments::toString(kind) << ": the gauze holds the shaft up";
    EXPECT_TRUE(test::allFinite(world, id));
  }
}

// A large embedded surface (a 48 x 48 bumpy grid: 4,608 triangles) is split into patches
// that refresh only near a query; after the nodes move, contacts, closest points and the
// vertices near a box are exactly what a whole scan of the fully refreshed surface gives.
TEST(ContactGeometry, PatchedSurfacesAnswerAsAWholeScan) {
  const TetMesh tets = generateTetBox({0.05f, 0.02f, 0.05f}, 4, 2, 4, Pose{});
  EmbeddedSurface embedded;
  const int n = 48;
  std::vector<Vec3> points;
  for (int i = 0; i <= n; ++i) {
    for (int k = 0; k <= n; ++k) {
      const float x = -0.048f + 0.096f * i / n, z = -0.048f + 0.096f * k / n;
      points.push_back({x, 0.01f + 0.005f * std::sin(60.0f * x) * std::cos(45.0f * z), z});
    }
  }
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) {
      const uint32_t a = static_cast<uint32_t>(i * (n + 1) + k), b = a + 1,
                     c = a + static_cast<uint32_t>(n + 1), d = c + 1;
      embedded.indices.insert(embedded.indices.end(), {a, b, c, b, d, c});
    }
  }
  ASSERT_TRUE(test::embedPoints(tets, points, embedded));
  std::vector<btVector3> x;
  for (const Vec3& p : tets.nodes) x.emplace_back(p.x, p.y, p.z);
  std::vector<btScalar> mass(x.size(), 0.01f);
  btSoftBodyWorldInfo info;
  btSoftBody body(&info, static_cast<int>(x.size()), x.data(), mass.data());

  detail::ContactSurface patched = detail::surfaceOfEmbedding(embedded);
  detail::refresh(patched, body);
  ASSERT_FALSE(patched.patches.empty());
  // The nodes move (a squeeze and a shear): the patches keep their triangles, not their places.
  Lcg rng{11};
  for (int i = 0; i < body.m_nodes.size(); ++i) {
    btVector3& p = body.m_nodes[i].m_x;
    p = btVector3(p.x() * 0.9f + 0.3f * p.y(), p.y() * 1.2f, p.z()) +
        btVector3(rng.next() - 0.5f, rng.next() - 0.5f, rng.next() - 0.5f) * 0.004f;
  }
  detail::refresh(patched, body);
  // The reference: every vertex from its weights, by hand, and no patches.
  detail::ContactSurface whole = patched;
  whole.patches.clear();
  btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
  for (size_t v = 0; v < whole.vertexCount(); ++v) {
    btVector3 p(0, 0, 0);
    for (size_t k = 0; k < 4; ++k)
      p += body.m_nodes[static_cast<int>(whole.nodes[v * 4 + k])].m_x * whole.weights[v * 4 + k];
    whole.x[v] = p;
    lo.setMin(p);
    hi.setMax(p);
  }
  whole.lo = lo;
  whole.hi = hi;

  const auto spec = instruments::defaultSpec(InstrumentKind::kGrasper);
  size_t touching = 0;
  for (int i = 0; i < 300; ++i) {
    const btVector3 at(lo.x() + (hi.x() - lo.x()) * rng.next(),
                       lo.y() - 0.01f + (hi.y() - lo.y() + 0.02f) * rng.next(),
                       lo.z() + (hi.z() - lo.z()) * rng.next());
    const btTransform tip(btQuaternion(btVector3(1, 0, 0), SIMD_HALF_PI), at);  // pointing down
    std::vector<detail::Capsule> now, prev;
    detail::instrumentCapsules(spec, 0.3f, tip, now);
    detail::instrumentCapsules(spec, 0.3f, btTransform(tip.getRotation(), at + btVector3(0, 0.003f, 0)),
                               prev);
    std::vector<detail::SurfaceContact> a, b;
    detail::findContacts(patched, body, 0, now, prev, 0.0003f, detail::SideMemory{}, a);
    detail::findContacts(whole, body, 0, now, prev, 0.0003f, detail::SideMemory{}, b);
    ASSERT_EQ(a.size(), b.size()) << "query " << i;
    touching += a.empty() ? 0 : 1;
    for (size_t c = 0; c < a.size(); ++c) {
      EXPECT_EQ(a[c].triangle, b[c].triangle);
      EXPECT_EQ(a[c].capsule, b[c].capsule);
      EXPECT_EQ(a[c].q, b[c].q);
      EXPECT_EQ(a[c].normal, b[c].normal);
      EXPECT_EQ(a[c].point.nodes, b[c].point.nodes);
      EXPECT_EQ(a[c].point.weights, b[c].point.weights);
    }
    detail::SurfacePoint pa, pb;
    btVector3 onA, onB;
    float da = 0, db = 0;
    const bool fa = detail::closestSurfacePoint(patched, body, at, 0.01f, &pa, &onA, &da);
    const bool fb = detail::closestSurfacePoint(whole, body, at, 0.01f, &pb, &onB, &db);
    ASSERT_EQ(fa, fb) << "query " << i;
    if (fa) {
      EXPECT_EQ(onA, onB);
      EXPECT_EQ(da, db);
    }
    // The vertices near a 1 cm box: every vertex inside it is among them, positions refreshed.
    const btVector3 h(0.005f, 0.005f, 0.005f);
    const auto nearPatched = detail::near(patched, body, at - h, at + h, true);
    for (uint32_t v = 0; v < whole.vertexCount(); ++v) {
      const btVector3& p = whole.x[v];
      if (p.x() < at.x() - h.x() || p.y() < at.y() - h.y() || p.z() < at.z() - h.z() ||
          p.x() > at.x() + h.x() || p.y() > at.y() + h.y() || p.z() > at.z() + h.z())
        continue;
      ASSERT_TRUE(std::binary_search(nearPatched.begin(), nearPatched.end(), v)) << "vertex " << v;
      EXPECT_EQ(patched.x[v], p);
    }
    // Patches cost only where the query is: far fewer triangles than the whole surface.
    EXPECT_LT(detail::near(patched, body, at - h, at + h).size(), whole.triangles.size() / 4);
  }
  EXPECT_GT(touching, 30u);  // the queries do meet the surface
}

// 100 random points of a coarse pinned box (3 cm cells: a 2 mm tool fits between its
// nodes many times over): first contact within 1 mm of the drawn top, and the tool is
// stopped by the surface (never deeper than the dent, never through it).
TEST(Contact, ProbesOnACoarseBoxTouchTheDrawnSurface) {
  Lcg rng{1};
  int touched = 0;
  for (int i = 0; i < 100; ++i) {
    World world(WorldSettings{});
    TissueSettings box;
    box.name = "box";
    box.kind = TissueKind::kVolumetric;
    box.tetMesh =
        generateTetBox({0.045f, 0.015f, 0.045f}, 3, 1, 3, Pose{{0.0f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
    box.material.massKg = 0.1f;
    box.material.volume = 0.8f;
    box.fixed = {NodeSelector::box({0.0f, 0.035f, 0.0f}, {0.05f, 0.001f, 0.05f})};
    const TissueId id = world.addTissue(box).value();
    const float x = -0.04f + 0.08f * rng.next(), z = -0.04f + 0.08f * rng.next();
    const Probe p = probe(world, id, x, z);
    ASSERT_TRUE(p.firstContactGap.has_value()) << "no contact at (" << x << ", " << z << ")";
    EXPECT_NEAR(*p.firstContactGap, 0.0f, 0.001f) << "at (" << x << ", " << z << ")";
    // The hand went on 1 cm into the box; the tool stays on the (dented) surface.
    EXPECT_GT(p.finalTipY, p.restSurfaceY - 0.005f) << "at (" << x << ", " << z << ")";
    EXPECT_LT(p.finalSurfaceY, p.finalTipY + 0.0005f)
        << "the surface is below the tip at (" << x << ", " << z << ")";
    ++touched;
  }
  EXPECT_EQ(touched, 100);
}

// The same on a closed sphere with 8-10 mm between its vertices, and on a pinned cloth with
// 12.5 mm cells.
TEST(Contact, ProbesOnASphereAndACoarseClothTouchTheDrawnSurface) {
  Lcg rng{2};
  // One sphere, probed 100 times in turn (it settles between probes).
  World sphereWorld(WorldSettings{});
  TissueSettings ball;
  ball.name = "cyst";
  ball.kind = TissueKind::kSurface;
  ball.surface = generateSphere(Vec3(0.03f), 2, Pose{{0.0f, 0.06f, 0.0f}, Quat(1, 0, 0, 0)});
  ball.material.massKg = 0.05f;
  ball.material.volume = 0.9f;
  ball.fixed = {NodeSelector::box({0.0f, 0.045f, 0.0f}, {0.04f, 0.0149f, 0.04f})};  // the lower half
  const TissueId ballId = sphereWorld.addTissue(ball).value();
  for (int i = 0; i < 100; ++i) {
    // Within 2 cm of the axis: the top cap, where a tool coming down meets it.
    const float a = 2.0f * kPi * rng.next(), r = 0.02f * std::sqrt(rng.next());
    const Probe p = probe(sphereWorld, ballId, r * std::cos(a), r * std::sin(a), 50, i == 0);
    ASSERT_TRUE(p.firstContactGap.has_value());
    EXPECT_NEAR(*p.firstContactGap, 0.0f, 0.001f);
    EXPECT_LT(p.finalSurfaceY, p.finalTipY + 0.0005f);
  }
  World clothWorld(WorldSettings{});
  TissueSettings cloth = test::clothAt(0.1f, 8);
  cloth.fixed = {NodeSelector::border()};
  const TissueId clothId = clothWorld.addTissue(cloth).value();
  for (int i = 0; i < 100; ++i) {
    World& world = clothWorld;
    const TissueId id = clothId;
    const float x = -0.04f + 0.08f * rng.next(), z = -0.04f + 0.08f * rng.next();
    const Probe p = probe(world, id, x, z, 50, i == 0);
    ASSERT_TRUE(p.firstContactGap.has_value());
    // The sheet is 1 mm thick: its drawn mid-surface lies half a millimetre under what is touched.
    EXPECT_NEAR(*p.firstContactGap, 0.0005f, 0.001f);
    EXPECT_LT(p.finalSurfaceY, p.finalTipY) << "the cloth stays under the tool";
  }
}

// A tool at 2 m/s (4 mm a tick) does not pass a 1 mm sheet with 12.5 mm cells: the hand
// sweeps down at 2 m/s from 10 cm above to 1 cm under it and stops; the tool hits the sheet
// at about that speed (checked) and the sheet stays under the tool, whole.
TEST(Contact, AFastToolDoesNotTunnelThroughCloth) {
  for (float x : {0.0f, 0.004f, 0.0061f, -0.0093f}) {
    World world(WorldSettings{});
    TissueSettings cloth = test::clothAt(0.1f, 8);
    cloth.fixed = {NodeSelector::border()};
    const TissueId id = world.addTissue(cloth).value();
    for (int t = 0; t < 400; ++t) world.step(InputFrame{});
    InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
    world.setInstrument(Hand::kRight, tool);
    float speedAtContact = 0.0f, lastY = 0.2f;
    for (int t = 0; t < 300; ++t) {
      const float y = std::max(0.09f, 0.2f - 2.0f * static_cast<float>(t) / 500.0f);
      world.step(pressAt({x, y, 0.003f}, tool, 1.0f));
      const InstrumentState& s = world.instrument(Hand::kRight);
      if (s.inContact && speedAtContact == 0.0f) speedAtContact = (lastY - s.tipPose.position.y) * 500.0f;
      lastY = s.tipPose.position.y;
    }
    EXPECT_GT(speedAtContact, 1.6f) << "the tool meets the sheet at about 2 m/s";
    WorldSnapshot snap;
    world.snapshot(snap);
    const Vec3 tip = world.instrument(Hand::kRight).tipPose.position;
    const float surface = drawnHeight(snap, id, tip.x, tip.z).value_or(1.0f);
    EXPECT_LT(surface, tip.y) << "the sheet is still under the tool at x = " << x;
    EXPECT_EQ(world.pieceCount(id), 1u) << "and whole";
    EXPECT_TRUE(test::allFinite(world, id));
  }
}

// A press of about 2 N on a pinned box dents it where it is pressed, more than 2 cm away.
TEST(Contact, APressDentsTheSurfaceWhereItIsPressed) {
  World world(WorldSettings{});
  TissueSettings box;
  box.name = "box";
  box.kind = TissueKind::kVolumetric;
  box.tetMesh = generateTetBox({0.04f, 0.01f, 0.04f}, 8, 2, 8, Pose{{0.0f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
  box.material.massKg = 0.05f;
  box.material.stretch = 0.6f;
  box.material.volume = 0.5f;
  box.fixed = {NodeSelector::box({0.0f, 0.04f, 0.0f}, {0.05f, 0.001f, 0.05f})};
  const TissueId id = world.addTissue(box).value();
  for (int t = 0; t < 400; ++t) world.step(InputFrame{});
  WorldSnapshot snap;
  world.snapshot(snap);
  const float top = drawnHeight(snap, id, 0.003f, 0.002f).value();
  const float topAway = drawnHeight(snap, id, 0.025f, 0.025f).value();
  InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, tool);
  float force = 0.0f;
  for (int t = 0; t < 600; ++t) {
    // Down from 1 cm above to the hand 8 mm below the surface in 0.2 s, then held: the
    // coupling (400 N/m) presses with 400 N/m times what the tissue keeps the tool from.
    const float y = top + 0.01f - 0.018f * std::min(1.0f, static_cast<float>(t) / 100.0f);
    world.step(pressAt({0.003f, y, 0.002f}, tool, 1.0f));
    force = glm::length(world.instrument(Hand::kRight).couplingForce);
  }
  world.snapshot(snap);
  const float here = top - drawnHeight(snap, id, 0.003f, 0.002f).value();
  const float away = topAway - drawnHeight(snap, id, 0.025f, 0.025f).value();
  EXPECT_GT(force, 1.0f) << "dent " << here;
  EXPECT_LT(force, 3.2f) << "dent " << here;
  EXPECT_GT(here, 0.0003f) << "the press dents the surface";
  EXPECT_GT(here, 3.0f * std::max(away, 0.0f)) << "where it is pressed";
  EXPECT_TRUE(world.instrument(Hand::kRight).inContact);
}

// Grasps at random visible points of a cloth and a box: every one holds, the grasped point
// lies on the drawn surface where the jaws closed, and lifting takes the surface up (tents it).
TEST(Contact, GraspsAtRandomVisiblePointsHoldTheSurface) {
  Lcg rng{3};
  for (int kind = 0; kind < 2; ++kind) {
    for (int i = 0; i < 30; ++i) {
      World world(WorldSettings{});
      TissueSettings t;
      if (kind == 0) {
        t = test::clothAt(0.1f, 12);
        t.fixed = {NodeSelector::border()};
      } else {
        t.name = "box";
        t.kind = TissueKind::kVolumetric;
        t.tetMesh =
            generateTetBox({0.04f, 0.01f, 0.04f}, 4, 1, 4, Pose{{0.0f, 0.09f, 0.0f}, Quat(1, 0, 0, 0)});
        t.material.massKg = 0.05f;
        t.fixed = {NodeSelector::box({-0.04f, 0.09f, 0.0f}, {0.001f, 0.02f, 0.05f})};  // held at one end
      }
      const TissueId id = world.addTissue(t).value();
      for (int tick = 0; tick < 400; ++tick) world.step(InputFrame{});  // settled, as the trainee sees it
      InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
      world.setInstrument(Hand::kRight, tool);
      // Anywhere on the cloth; on the block, its free half (4 to 7 cm from where it is held).
      const float x = (kind == 0 ? -0.03f : 0.0f) + (kind == 0 ? 0.06f : 0.03f) * rng.next();
      const float z = -0.03f + 0.06f * rng.next();
      WorldSnapshot snap;
      world.snapshot(snap);
      const float top = drawnHeight(snap, id, x, z).value();
      std::optional<Event> grasp;
      // Open jaws down onto the surface, close, lift 1 cm.
      for (int tick = 0; tick < 700; ++tick) {
        // Down in 0.4 s, close at 0.44 s, lift 1 cm over 0.4 s from 0.6 s, hold.
        const float y = tick < 200 ? top + 0.01f - 0.011f * static_cast<float>(tick) / 200.0f
                        : tick < 300
                            ? top - 0.001f
                            : top - 0.001f + 0.011f * std::min(1.0f, static_cast<float>(tick - 300) / 200.0f);
        const InputFrame in = pressAt({x, y, z}, tool, tick >= 220 ? 1.0f : 0.0f);
        world.snapshot(snap);  // what the trainee sees as the jaws close
        for (const Event& e : world.step(in)) {
          if (e.kind == EventKind::kGrasp) {
            grasp = e;
            const float under = drawnHeight(snap, id, e.position.x, e.position.z).value_or(-1.0f);
            EXPECT_NEAR(e.position.y, under, 0.001f) << "the grasped point is on the surface";
            const Vec3 tip = world.instrument(Hand::kRight).tipPose.position;
            EXPECT_LT(glm::length(e.position - tip), 0.007f) << "where the jaws closed";
          }
        }
      }
      ASSERT_TRUE(grasp.has_value()) << "grasp " << i << " of kind " << kind << " at (" << x << ", " << z
                                     << ")";
      EXPECT_TRUE(world.instrument(Hand::kRight).grasping);
      world.snapshot(snap);
      const Vec3 tip = world.instrument(Hand::kRight).tipPose.position;
      const float lifted = drawnHeight(snap, id, tip.x, tip.z).value_or(-1.0f);
      // The pull (a few newtons once the hand is 1 cm up) raises the held surface: a pinned
      // sheet tents, a block held at one end bends up (a millimetre or two: it is firm).
      if (kind == 0)
        EXPECT_GT(lifted, grasp->position.y + 0.003f) << "lifting tents the cloth";
      else
        EXPECT_GT(lifted, grasp->position.y + 0.001f) << "lifting raises the box's free end";
      EXPECT_GT(tip.y, grasp->position.y - 0.003f) << "the tool came up with it";
    }
  }
}

// Jaws closing on skin take the skin, never the skull a few millimetres beneath it.
TEST(Contact, AGraspTakesTheNearestSurfaceNotWhatLiesBeneath) {
  World world(WorldSettings{});
  TissueSettings skull;
  skull.name = "skull";
  skull.kind = TissueKind::kSurface;
  skull.surface = generateSphere(Vec3(0.025f), 2, Pose{{0.0f, 0.1f, 0.0f}, Quat(1, 0, 0, 0)});
  skull.material.massKg = 0.1f;
  skull.fixed = {NodeSelector::sphere({0.0f, 0.1f, 0.0f}, 0.03f)};
  TissueSettings skin = skull;
  skin.name = "skin";
  skin.surface = generateSphere(Vec3(0.029f), 2, Pose{{0.0f, 0.1f, 0.0f}, Quat(1, 0, 0, 0)});
  skin.material.volume = 0.9f;
  skin.fixed = {NodeSelector::box({0.0f, 0.08f, 0.0f}, {0.04f, 0.0199f, 0.04f})};  // held by its lower half
  const TissueId skullId = world.addTissue(skull).value();
  const TissueId skinId = world.addTissue(skin).value();
  for (int t = 0; t < 400; ++t) world.step(InputFrame{});
  WorldSnapshot snap;
  world.snapshot(snap);
  const float top = drawnHeight(snap, skinId, 0.004f, 0.0f).value();
  EXPECT_GT(top - drawnHeight(snap, skullId, 0.004f, 0.0f).value(), 0.003f)
      << "the skull lies under the skin";
  InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kRight, tool);
  std::optional<Event> grasp;
  for (int t = 0; t < 400; ++t) {
    const InputFrame in = pressAt({0.004f, top + 0.01f - (t < 200 ? 0.011f * t / 200.0f : 0.011f), 0.0f},
                                  tool, t >= 220 ? 1.0f : 0.0f);
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kGrasp) grasp = e;
    }
  }
  ASSERT_TRUE(grasp.has_value());
  EXPECT_EQ(grasp->tissue, skinId);
}

// An anatomy pack's detailed surface inside coarse tets: a probe meets the detailed surface
// (a plane 1 cm under the nodes' top), not the nodes.
TEST(Contact, ProbesMeetAnEmbeddedDetailedSurface) {
  World world(WorldSettings{});
  const auto pack = pinnedGridPack();
  ASSERT_TRUE(pack);
  const TissueId id = world.addTissue(*pack).value();
  Lcg rng{4};
  InstrumentSettings tool = test::openInstrument(InstrumentKind::kGrasper);
  for (int i = 0; i < 100; ++i) {
    const float x = -0.02f + 0.04f * rng.next(), z = -0.02f + 0.04f * rng.next();
    world.setInstrument(Hand::kRight, tool);
    // From 2 cm above the nodes' top (through where the tet boundary is drawn) down.
    std::optional<float> contactY;
    for (int t = 0; t < 800 && !contactY; ++t) {
      world.step(pressAt({x, 0.085f - 0.04f * t / 800.0f, z}, tool, 1.0f));
      if (world.instrument(Hand::kRight).inContact)
        contactY = world.instrument(Hand::kRight).tipPose.position.y;
    }
    ASSERT_TRUE(contactY.has_value());
    EXPECT_NEAR(*contactY, 0.055f, 0.001f) << "at (" << x << ", " << z << ")";
    for (int t = 0; t < 100; ++t) world.step(pressAt({x, 0.09f, z}, tool, 1.0f));  // up and away
  }
  EXPECT_TRUE(test::allFinite(world, id));
}

// An unpinned organ dropped 2 cm onto the table rests on it for 10 s: it neither falls
// through nor sinks into it.
TEST(Contact, AnUnpinnedOrganRestsOnTheTable) {
  World world(withTable());
  TissueSettings cyst;
  cyst.name = "cyst";
  cyst.kind = TissueKind::kSurface;
  cyst.surface =
      generateSphere(Vec3(0.015f), 2, Pose{{0.0f, 0.9f + 0.015f + 0.02f, -0.45f}, Quat(1, 0, 0, 0)});
  cyst.material.massKg = 0.02f;
  cyst.material.volume = 0.9f;
  const TissueId id = world.addTissue(cyst).value();
  InputFrame idle;
  float lowest = 1e9f;
  for (int t = 0; t < 5000; ++t) {
    world.step(idle);
    if (t > 500) {
      for (uint32_t n = 0; n < world.nodeCount(id); ++n)
        lowest = std::min(lowest, world.nodePosition(id, n).y);
    }
  }
  EXPECT_GT(lowest, 0.9f - 0.001f) << "rests on the table top at 0.9 m";
  Vec3 centre(0.0f);
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) centre += world.nodePosition(id, n);
  centre /= static_cast<float>(world.nodeCount(id));
  EXPECT_NEAR(centre.y, 0.915f, 0.006f) << "and is still there after 10 s";
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// An unpinned anatomy pack (a 2 cm box surface embedded in 4 cm tets) dropped 1 cm onto the
// table rests on it with its drawn surface: the surface's lowest point on the table top within
// a millimetre, although the nodes carrying it reach below the top.
TEST(Contact, AnEmbeddedSurfaceRestsOnTheTable) {
  World world(withTable());
  const auto pack = boxSurfacePack({0.0f, 0.9f + 0.02f, -0.45f});  // its bottom 1 cm above the table
  ASSERT_TRUE(pack);
  const TissueId id = world.addTissue(*pack).value();
  InputFrame idle;
  for (int t = 0; t < 2500; ++t) world.step(idle);
  WorldSnapshot snap;
  world.snapshot(snap);
  float lowestNode = 1e9f;
  for (const Vec3& p : snap.tissues[id.index].positions) lowestNode = std::min(lowestNode, p.y);
  const float lowestSurface = lowestEmbedded(world, id, *pack->embedded);
  EXPECT_NEAR(lowestSurface, 0.9f, 0.001f) << "the drawn surface rests on the table";
  EXPECT_LT(lowestNode, 0.9f - 0.005f) << "the tets carrying it reach below the top";
  EXPECT_TRUE(test::allFinite(world, id));
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// Rigid objects meet an embedded surface as drawn (Bullet sees neither): a 10 g block dropped
// 2 cm onto a pinned organ's detailed surface (1 cm under the top of the tets carrying it)
// rests on that surface, and an unpinned organ dropped onto a static block rests on it.
TEST(Contact, ABlockRestsOnAnEmbeddedSurface) {
  World world(WorldSettings{});
  const auto pack = pinnedGridPack();
  ASSERT_TRUE(pack);
  const TissueId organ = world.addTissue(*pack).value();
  RigidSettings block;
  block.name = "block";
  block.shape = RigidShape::kBox;
  block.halfExtents = {0.01f, 0.005f, 0.01f};
  block.massKg = 0.01f;
  block.pose = Pose{{0.003f, 0.055f + 0.005f + 0.02f, -0.002f}, Quat(1, 0, 0, 0)};
  const RigidId id = world.addRigid(block).value();
  for (int t = 0; t < 1500; ++t) {
    world.step(InputFrame{});
    if (t == 500 || t == 1499) {
      const float bottom = world.rigidPose(id).position.y - 0.005f;
      EXPECT_NEAR(bottom, 0.055f, 0.0015f) << "tick " << t << ": the block rests on the drawn surface";
    }
  }
  EXPECT_LT(std::abs(world.rigidLinearVelocity(id).y), 0.01f);
  EXPECT_TRUE(test::allFinite(world, organ));
}

TEST(Contact, AnEmbeddedSurfaceRestsOnAStaticBlock) {
  World world(WorldSettings{});
  RigidSettings platform;
  platform.name = "platform";
  platform.halfExtents = {0.05f, 0.01f, 0.05f};
  platform.massKg = 0.0f;
  platform.pose = Pose{{0.0f, 0.5f, 0.0f}, Quat(1, 0, 0, 0)};  // its top at 0.51 m
  ASSERT_TRUE(world.addRigid(platform));
  const auto pack = boxSurfacePack({0.0f, 0.51f + 0.02f, 0.0f});  // its bottom 1 cm above the top
  ASSERT_TRUE(pack);
  const TissueId id = world.addTissue(*pack).value();
  for (int t = 0; t < 2500; ++t) world.step(InputFrame{});
  const float lowest = lowestEmbedded(world, id, *pack->embedded);
  EXPECT_NEAR(lowest, 0.51f, 0.001f) << "the drawn surface rests on the block";
  EXPECT_TRUE(test::allFinite(world, id));
}

// castRay finds what is drawn: the cloth's face, a closed surface's near side, the embedded
// detailed surface rather than the tets around it; the normal faces the ray.
TEST(Contact, RaysMeetTheDrawnSurface) {
  World world(WorldSettings{});
  const TissueId cloth = world.addTissue(test::clothAt(0.1f, 8)).value();
  TissueSettings ball;
  ball.name = "ball";
  ball.kind = TissueKind::kSurface;
  ball.surface = generateSphere(Vec3(0.02f), 2, Pose{{0.2f, 0.05f, 0.0f}, Quat(1, 0, 0, 0)});
  const TissueId ballId = world.addTissue(ball).value();
  auto hit = world.castRay({0.013f, 0.3f, -0.007f}, {0.0f, -2.0f, 0.0f});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->tissue, cloth);
  EXPECT_NEAR(hit->position.y, 0.1f, 1e-5f);
  EXPECT_NEAR(hit->distance, 0.2f, 1e-5f);
  EXPECT_NEAR(hit->normal.y, 1.0f, 1e-5f);
  // The sphere from the side: its near side, about a radius (less the facets) from the centre.
  hit = world.castRay({0.4f, 0.05f, 0.001f}, {-1.0f, 0.0f, 0.0f});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->tissue, ballId);
  EXPECT_GT(hit->position.x, 0.2f + 0.018f);
  EXPECT_LE(hit->position.x, 0.2f + 0.02f);
  EXPECT_GT(hit->normal.x, 0.9f);
  EXPECT_FALSE(world.castRay({0.4f, 0.05f, 0.001f}, {1.0f, 0.0f, 0.0f}).has_value()) << "nothing that way";
  EXPECT_FALSE(world.castRay({0.4f, 0.05f, 0.001f}, {-1.0f, 0.0f, 0.0f}, 0.1f).has_value()) << "beyond reach";
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// Two organs that are told to meet (collides_with): a cyst dropped 1 cm onto a larger one
// lying on the table comes to rest on it (denting it), its surface never more than 1 mm inside
// the other's as drawn; without collides_with it sinks in.
// How deep the inner tissue's nodes (its drawn vertices) lie inside the outer tissue's drawn
// surface as it is now: behind its nearest face.
float deepestInside(const World& world, TissueId inner, TissueId outer) {
  WorldSnapshot snap;
  world.snapshot(snap);
  const TissueSnapshot& o = snap.tissues[outer.index];
  auto bt = [](const Vec3& v) { return btVector3(v.x, v.y, v.z); };
  float deepest = 0.0f;
  for (const Vec3& p : snap.tissues[inner.index].positions) {
    float best = 1e9f, signedDistance = 0.0f;
    for (size_t i = 0; i + 2 < o.indices.size(); i += 3) {
      const btVector3 a = bt(o.positions[o.indices[i]]), b = bt(o.positions[o.indices[i + 1]]),
                      c = bt(o.positions[o.indices[i + 2]]);
      btVector3 bary;
      const btVector3 on = detail::closestPointOnTriangle(bt(p), a, b, c, &bary);
      const float d = static_cast<float>((bt(p) - on).length());
      if (d < best) {
        best = d;
        signedDistance = (bt(p) - on).dot((b - a).cross(c - a)) < 0 ? -d : d;
      }
    }
    deepest = std::max(deepest, -signedDistance);
  }
  return deepest;
}

TEST(Contact, OrgansThatTouchDoNotInterpenetrate) {
  for (bool meet : {true, false}) {
    World world(withTable());
    TissueSettings big;
    big.name = "liver";
    big.kind = TissueKind::kSurface;
    const Vec3 bigCentre(0.0f, 0.9f + 0.025f, -0.45f);
    big.surface = generateSphere(Vec3(0.025f), 3, Pose{bigCentre, Quat(1, 0, 0, 0)});
    big.material.massKg = 0.1f;
    big.material.volume = 0.9f;
    big.fixed = {NodeSelector::box(bigCentre, Vec3(0.03f, 0.018f, 0.03f))};  // held but for its cap
    const TissueId liver = world.addTissue(big).value();
    TissueSettings small;
    small.name = "cyst";
    small.kind = TissueKind::kSurface;
    small.surface = generateSphere(
        Vec3(0.008f), 2, Pose{bigCentre + Vec3(0.0f, 0.025f + 0.008f + 0.01f, 0.0f), Quat(1, 0, 0, 0)});
    small.material.massKg = 0.005f;
    small.material.volume = 0.9f;
    if (meet) small.collidesWith = {"liver"};
    const TissueId cyst = world.addTissue(small).value();
    InputFrame idle;
    float worst = 0.0f;
    for (int t = 0; t < 1500; ++t) {
      world.step(idle);
      if (t > 300 && t % 20 == 0) worst = std::max(worst, deepestInside(world, cyst, liver));
    }
    if (meet) {
      EXPECT_LT(worst, 0.001f) << "the cyst rests on the liver";
    } else {
      EXPECT_GT(worst, 0.005f) << "without collides_with it sinks in";
    }
  }
}

TEST(Contact, CollidesWithNamesAnEarlierTissue) {
  World world(WorldSettings{});
  TissueSettings a = test::clothAt(0.1f, 4);
  a.collidesWith = {"liver"};
  auto r = world.addTissue(a);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("collides_with names 'liver'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace trocar::physics
