// Instrument-tissue interaction: grasp, clip, scissors; a cut vessel bleeds.
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>
#include <trocar/physics/Snapshot.h>

#include <gtest/gtest.h>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

TissueSettings membrane() {
  TissueSettings c = test::clothAt(0.1f, 24);
  c.fixed = {NodeSelector::border()};
  return c;
}

// The clip applier closing on a membrane (its tip 3 mm under it, the membrane across its
// jaws) places a clip, reported with its position along the membrane's long axis (a square
// sheet: ties go to X): at x = -0.025 on a 10 cm sheet centred at 0 that is
// (-0.025 + 0.05) / 0.1 = 0.25 of the way (+- one 4.2 mm cell).
TEST(Interaction, ClipApplierPlacesAClip) {
  World world(WorldSettings{});
  world.addTissue(membrane()).value();
  auto clip = test::openInstrument(InstrumentKind::kClipApplier);
  world.setInstrument(Hand::kRight, clip);
  std::vector<Event> clips;
  for (int t = 0; t < 120; ++t) {
    InputFrame in;
    in.hands[1].pose = test::handPointingDown({-0.025f, 0.097f, -0.025f}, clip.spec);
    in.hands[1].trigger = t >= 60 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kClipApplied) clips.push_back(e);
    }
  }
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_NEAR(clips[0].value, 0.25f, 0.045f);
  WorldSnapshot snap;
  world.snapshot(snap);
  EXPECT_EQ(snap.clips.size(), 1u);
}

// A clip closes on the structure between its jaws, not on a coarse organ round it: the jaws
// close on the membrane as above, inside a pinned 4 cm tet block of 8^3 cells (5 mm nodes, so
// a plane of its nodes lies in the jaws' 3 mm slab, more than the membrane's) whose drawn
// surface is a 1 cm box 12 mm off to the side, nowhere between the jaws (an anatomy pack's
// cells reach well beyond what it draws). The membrane is clipped; counting nodes alone
// clipped the block.
TEST(Interaction, AClipClosesOnWhatIsDrawnBetweenItsJaws) {
  World world(WorldSettings{});
  const TissueId membraneId = world.addTissue(membrane()).value();
  const Vec3 at(-0.025f, 0.097f, -0.025f);
  TissueSettings block;
  block.name = "block";
  block.kind = TissueKind::kVolumetric;
  block.tetMesh =
      generateTetBox({0.02f, 0.02f, 0.02f}, 8, 8, 8, Pose{at + Vec3(0.0f, 0.003f, 0.0f), Quat(1, 0, 0, 0)});
  block.material.massKg = 0.05f;
  block.fixed = {NodeSelector::box(at, {0.03f, 0.03f, 0.03f})};
  std::vector<Vec3> corners;
  const Vec3 side = at + Vec3(0.012f, 0.003f, 0.012f);
  for (int i = 0; i < 8; ++i)
    corners.push_back(side + 0.005f * Vec3(i & 1 ? 1.0f : -1.0f, i & 2 ? 1.0f : -1.0f, i & 4 ? 1.0f : -1.0f));
  EmbeddedSurface surface;
  surface.indices = {0, 2, 3, 0, 3, 1, 4, 5, 7, 4, 7, 6, 0, 1, 5, 0, 5, 4,
                     2, 6, 7, 2, 7, 3, 0, 4, 6, 0, 6, 2, 1, 3, 7, 1, 7, 5};
  ASSERT_TRUE(test::embedPoints(block.tetMesh, corners, surface));
  block.embedded = surface;
  world.addTissue(block).value();
  auto clip = test::openInstrument(InstrumentKind::kClipApplier);
  world.setInstrument(Hand::kRight, clip);
  std::vector<Event> clips;
  for (int t = 0; t < 120; ++t) {
    InputFrame in;
    in.hands[1].pose = test::handPointingDown(at, clip.spec);
    in.hands[1].trigger = t >= 60 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kClipApplied) clips.push_back(e);
    }
  }
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_EQ(clips[0].tissue.index, membraneId.index) << "the membrane, between the jaws";
}

// A bar (a 6 x 0.3 x 0.3 cm tet block along X, an artery's width; its top at y = 0.0915) and a
// 4 x 4 cm sheet of 5 mm cells 8.5 mm above it, laid over it: drape depth 2 cm, gap 1 mm.
struct DrapedBar {
  World world{WorldSettings{}};
  TissueId bar, sheet;
};

std::unique_ptr<DrapedBar> drapedBar(float barZ = 0.0f) {
  auto scene = std::make_unique<DrapedBar>();
  TissueSettings bar;
  bar.name = "bar";
  bar.kind = TissueKind::kVolumetric;
  bar.tetMesh =
      generateTetBox({0.03f, 0.0015f, 0.0015f}, 10, 1, 1, Pose{{0.0f, 0.09f, barZ}, Quat(1, 0, 0, 0)});
  bar.material.massKg = 0.005f;
  bar.fixed = {NodeSelector::box({-0.03f, 0.09f, barZ}, {0.001f, 0.01f, 0.01f}),
               NodeSelector::box({0.03f, 0.09f, barZ}, {0.001f, 0.01f, 0.01f})};
  scene->bar = scene->world.addTissue(bar).value();
  TissueSettings sheet = test::clothAt(0.1f, 8, 0.04f);
  sheet.name = "sheet";
  sheet.fixed = {NodeSelector::border()};
  sheet.material.massKg = 0.0002f;
  sheet.cloth.drapeOver = {"bar"};
  sheet.cloth.drapeGap = 0.001f;
  sheet.cloth.drapeDepth = 0.02f;
  scene->sheet = scene->world.addTissue(sheet).value();
  return scene;
}

// Draping: the nodes over the bar (z = 0) rest the gap above its top, 0.0915 + 0.001; border
// nodes over nothing sink the whole depth, to 0.1 - 0.02; every other node spans between as a
// stretched membrane: the mean of its four neighbours, so the sheet falls away from the bar
// on both sides alike, steadily, and stays between the two heights.
TEST(Drape, ASheetLaidOverABarRestsOnItAndSpansToItsBorder) {
  auto scene = drapedBar();
  const World& w = scene->world;
  auto y = [&](uint32_t ix, uint32_t iz) { return w.nodePosition(scene->sheet, iz * 9 + ix).y; };
  for (uint32_t ix = 0; ix <= 8; ++ix) {
    EXPECT_NEAR(y(ix, 4), 0.0925f, 1e-5f) << "over the bar, x " << ix;
    EXPECT_NEAR(y(ix, 0), 0.08f, 1e-5f) << "the border over nothing";
    EXPECT_NEAR(y(ix, 8), 0.08f, 1e-5f);
  }
  for (uint32_t iz = 1; iz < 4; ++iz) {
    EXPECT_NEAR(y(0, iz), 0.08f, 1e-5f);
    for (uint32_t ix = 1; ix < 8; ++ix) {
      EXPECT_NEAR(y(ix, iz), y(ix, 8 - iz), 1e-6f) << "symmetric about the bar";
      EXPECT_GT(y(ix, iz + 1), y(ix, iz)) << "rising towards the bar";
      const float mean = 0.25f * (y(ix - 1, iz) + y(ix + 1, iz) + y(ix, iz - 1) + y(ix, iz + 1));
      EXPECT_NEAR(y(ix, iz), mean, 2e-6f) << "a membrane between its supports";
      EXPECT_GT(y(ix, iz), 0.08f);
      EXPECT_LT(y(ix, iz), 0.0925f);
    }
  }
}

// A bar narrower than a cell lying between two rows of nodes (its 3 mm under z = 1 to 4 mm,
// the rows at z = 0 and 5 mm) holds both rows above it: each node rests on what lies within
// half a cell of it (2.5 mm), so the sheet between them is not drawn through the bar.
TEST(Drape, ABarBetweenTwoRowsHoldsBoth) {
  auto scene = drapedBar(0.0025f);
  const World& w = scene->world;
  for (uint32_t ix = 0; ix <= 8; ++ix) {
    EXPECT_NEAR(w.nodePosition(scene->sheet, 4 * 9 + ix).y, 0.0925f, 1e-5f) << "z = 0, x " << ix;
    EXPECT_NEAR(w.nodePosition(scene->sheet, 5 * 9 + ix).y, 0.0925f, 1e-5f) << "z = 5 mm, x " << ix;
    EXPECT_LT(w.nodePosition(scene->sheet, 3 * 9 + ix).y, 0.0925f - 1e-4f) << "z = -5 mm falls away";
  }
}

// A sheet named to drape over a tissue that is not there is refused with the name.
TEST(Drape, OverAnUnknownTissueIsAnError) {
  World world(WorldSettings{});
  TissueSettings sheet = test::clothAt(0.1f, 8, 0.04f);
  sheet.cloth.drapeOver = {"liver"};
  auto added = world.addTissue(sheet);
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("drape over 'liver'"), std::string::npos) << added.error().message;
}

// A clip applier closing from above on the draped bar (its tip 0.5 mm over the bar's drawn
// top, the jaws open across it) closes through the sheet: the clip is the bar's. Before, the sheet's
// drawn surface, crossing the jaws' middle, took the clip.
TEST(Interaction, AClipClosesThroughASheetOnTheStructureUnderIt) {
  auto scene = drapedBar();
  World& world = scene->world;
  auto clip = test::openInstrument(InstrumentKind::kClipApplier);
  world.setInstrument(Hand::kRight, clip);
  std::vector<Event> clips;
  for (int t = 0; t < 160; ++t) {
    InputFrame in;
    // The bar's drawn top as it lies now (it sags between its pinned ends), 0.5 mm above it.
    const auto top = world.castRay({0.0f, 0.2f, 0.0f}, {0.0f, -1.0f, 0.0f}, 0.2f, scene->bar);
    ASSERT_TRUE(top);
    in.hands[1].pose = test::handPointingDown(top->position + Vec3(0.0f, 0.0005f, 0.0f), clip.spec);
    in.hands[1].trigger = t >= 80 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kClipApplied) clips.push_back(e);
    }
  }
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_EQ(clips[0].tissue.index, scene->bar.index) << "the bar, under the sheet";
}

// Instrument exchange: the right hand's tray is a grasper then a clip applier. The grasper
// closes on the membrane; asking for instrument 1 while it holds lets go (a release event
// that tick) and puts the clip applier in the hand, which then clips where the grasper
// held. An index past the tray's end is ignored.
TEST(Interaction, ExchangeLetsGoAndPutsTheNextInstrumentInTheHand) {
  World world(WorldSettings{});
  world.addTissue(membrane()).value();
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  auto clip = test::openInstrument(InstrumentKind::kClipApplier);
  world.setInstrumentTray(Hand::kRight, {grasper, clip});
  EXPECT_EQ(world.trayIndex(Hand::kRight), 0u);
  int releasedAt = -1, clippedAt = -1;
  for (int t = 0; t < 400; ++t) {
    InputFrame in;
    in.hands[1].pose = test::handPointingDown({-0.025f, 0.097f, -0.025f}, grasper.spec);
    in.hands[1].trigger = (t >= 60 && t < 200) || t >= 300 ? 1.0f : 0.0f;
    in.hands[1].instrument = t < 150 ? 0 : (t < 350 ? 1 : 5);
    if (t == 149) {
      ASSERT_TRUE(world.instrument(Hand::kRight).grasping) << "the grasper holds the membrane";
    }
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kRelease && releasedAt < 0) releasedAt = t;
      if (e.kind == EventKind::kClipApplied && clippedAt < 0) clippedAt = t;
    }
    if (t == 150) {
      WorldSnapshot snap;
      world.snapshot(snap);
      EXPECT_EQ(snap.instruments[1].kind, InstrumentKind::kClipApplier);
      EXPECT_FALSE(world.instrument(Hand::kRight).grasping);
    }
  }
  EXPECT_EQ(releasedAt, 150);
  EXPECT_GE(clippedAt, 300);
  EXPECT_EQ(world.trayIndex(Hand::kRight), 1u) << "index 5 is past the tray's end: ignored";
}

// Open jaws come down onto the membrane (pinned at 0.1 m, it sags to 0.092 m under its
// weight) from 1.8 cm above in 0.2 s, to 1 mm under it.
float membraneApproach(int t) {
  return 0.11f - 0.019f * std::min(1.0f, static_cast<float>(t) / 100.0f);
}

// A grasped membrane follows the tool: close on it, lift the hand 1 cm; the held surface
// rises with the jaws and stays within 1 cm of the tip.
TEST(Interaction, GraspedNodesFollowTheTool) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(membrane()).value();
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  world.setInstrument(Hand::kLeft, grasper);
  std::vector<uint32_t> held;
  for (int t = 0; t < 600; ++t) {
    InputFrame in;
    float y =
        t < 200 ? membraneApproach(t) : 0.091f + 0.01f * std::min(1.0f, static_cast<float>(t - 200) / 200.0f);
    in.hands[0].pose = test::handPointingDown({-0.02f, y, 0.0f}, grasper.spec);
    in.hands[0].trigger = t >= 120 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) {
      if (e.kind == EventKind::kGrasp) {
        EXPECT_EQ(e.tissue, id);
      }
      if (e.kind == EventKind::kRelease) ADD_FAILURE() << "the grasp should hold (torn: " << e.torn << ")";
    }
  }
  ASSERT_TRUE(world.instrument(Hand::kLeft).grasping);
  Vec3 tip = world.instrument(Hand::kLeft).tipPose.position;
  EXPECT_GT(tip.y, 0.094f) << "the membrane, pinned all round, comes up with the jaws";
  // Nodes near where the jaws closed now sit near the lifted tip.
  float nearest = 1.0f;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n)
    nearest = std::min(nearest, glm::length(world.nodePosition(id, n) - tip));
  EXPECT_LT(nearest, 0.01f);
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

// Opening the jaws lets go: the membrane springs back down, away from the lifted tool.
TEST(Interaction, ReleaseLetsTheTissueGo) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(membrane()).value();
  auto grasper = test::openInstrument(instruments::InstrumentKind::kGrasper);
  world.setInstrument(Hand::kLeft, grasper);
  int releases = 0;
  for (int t = 0; t < 900; ++t) {
    InputFrame in;
    float y =
        t < 200 ? membraneApproach(t) : 0.091f + 0.02f * std::min(1.0f, static_cast<float>(t - 200) / 200.0f);
    in.hands[0].pose = test::handPointingDown({-0.02f, y, 0.0f}, grasper.spec);
    in.hands[0].trigger = t >= 120 && t < 600 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) releases += e.kind == EventKind::kRelease;
  }
  EXPECT_EQ(releases, 1);
  EXPECT_FALSE(world.instrument(Hand::kLeft).grasping);
  Vec3 tip = world.instrument(Hand::kLeft).tipPose.position;
  float highest = 0.0f;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n) highest = std::max(highest, world.nodePosition(id, n).y);
  EXPECT_LT(highest, 0.1f + 0.0005f) << "the membrane fell back flat";
  EXPECT_GT(tip.y, highest + 0.01f) << "below the lifted tool";
}

}  // namespace
}  // namespace trocar::physics

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

// A vessel: a 4 cm tube of tets, 3 mm across (5 mm cells along x), held at both ends, at
// y = 0.1 m; it loses 2 ml/s from each open end of a cut.
TissueSettings vessel() {
  TissueSettings v;
  v.name = "artery";
  v.kind = TissueKind::kVolumetric;
  v.tetMesh = generateTetBox({0.02f, 0.0015f, 0.0015f}, 8, 1, 1, {{0.0f, 0.1f, 0.0f}, Quat(1, 0, 0, 0)});
  v.material.massKg = 0.002f;
  v.fixed = {NodeSelector::box({-0.02f, 0.1f, 0.0f}, {0.001f, 0.01f, 0.01f}),
             NodeSelector::box({0.02f, 0.1f, 0.0f}, {0.001f, 0.01f, 0.01f})};
  v.vessel = true;
  v.bleedMlPerS = 2.0f;
  return v;
}

// Clip appliers close on the vessel at x (left hand) and x2 (right hand), and stay closed.
void clipAt(World& world, std::optional<float> left, std::optional<float> right) {
  const auto clip = test::openInstrument(InstrumentKind::kClipApplier);
  if (left) world.setInstrument(Hand::kLeft, clip);
  if (right) world.setInstrument(Hand::kRight, clip);
  int applied = 0;
  for (int t = 0; t < 120; ++t) {
    InputFrame in;
    if (left) in.hands[0].pose = test::handPointingDown({*left, 0.097f, 0.0f}, clip.spec);
    if (right) in.hands[1].pose = test::handPointingDown({*right, 0.097f, 0.0f}, clip.spec);
    in.hands[0].trigger = in.hands[1].trigger = t >= 60 ? 1.0f : 0.0f;
    for (const Event& e : world.step(in)) applied += e.kind == EventKind::kClipApplied;
  }
  EXPECT_EQ(applied, int(left.has_value()) + int(right.has_value()));
}

// A through cut at x = 3.1 mm (between clips placed at -1 cm and +1 cm, when there are).
float cutAndBleedFor(World& world, TissueId id, int ticks, std::vector<Event>& bleeding) {
  world.cutWithQuad(id, {Vec3(0.0031f, 0.09f, -0.01f), Vec3(0.0031f, 0.09f, 0.01f),
                         Vec3(0.0031f, 0.11f, 0.01f), Vec3(0.0031f, 0.11f, -0.01f)});
  for (const Event& e : world.lastEvents()) {
    if (e.kind == EventKind::kBleeding) bleeding.push_back(e);
  }
  const double before = world.bloodLossMl();
  for (int t = 0; t < ticks; ++t) world.step(InputFrame{});
  return static_cast<float>(world.bloodLossMl() - before);
}

// Cut with no clip: both ends bleed, 2 x 2 ml/s: 4 ml in the next second.
TEST(Bleeding, AVesselCutWithoutClipsBleedsFromBothEnds) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(vessel()).value();
  std::vector<Event> bleeding;
  EXPECT_NEAR(cutAndBleedFor(world, id, 500, bleeding), 4.0f, 1e-4f);
  ASSERT_EQ(bleeding.size(), 1u);
  EXPECT_EQ(bleeding[0].value, 4.0f) << "ml/s it started losing";
  EXPECT_EQ(bleeding[0].tissue.index, id.index);
  EXPECT_NEAR(bleeding[0].position.x, 0.0031f, 0.001f);
  WorldSnapshot snap;
  world.snapshot(snap);
  ASSERT_EQ(snap.bleeds.size(), 2u);
  EXPECT_TRUE(snap.bleeds[0].active && snap.bleeds[1].active);
  EXPECT_NEAR(snap.bleeds[0].ml + snap.bleeds[1].ml, 4.0f, 1e-4f);
}

// Clipped on both sides first, then divided between the clips: no bleeding at all.
TEST(Bleeding, AVesselClippedOnBothSidesDoesNotBleed) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(vessel()).value();
  clipAt(world, -0.01f, 0.01f);
  std::vector<Event> bleeding;
  EXPECT_EQ(cutAndBleedFor(world, id, 500, bleeding), 0.0f);
  EXPECT_TRUE(bleeding.empty());
  EXPECT_EQ(world.bloodLossMl(), 0.0);
}

// Clipped on one side: the other end bleeds (2 ml/s) until a clip closes it too.
TEST(Bleeding, AClipOnTheOpenEndStopsIt) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(vessel()).value();
  clipAt(world, -0.01f, std::nullopt);
  std::vector<Event> bleeding;
  EXPECT_NEAR(cutAndBleedFor(world, id, 500, bleeding), 2.0f, 1e-4f);
  ASSERT_EQ(bleeding.size(), 1u);
  EXPECT_EQ(bleeding[0].value, 2.0f);
  clipAt(world, std::nullopt, 0.01f);  // bleeds while the clip comes down (60 ticks)
  const double stopped = world.bloodLossMl();
  EXPECT_NEAR(stopped, 2.0 + 2.0 * 60.0 / 500.0, 2.0 * 2.0 / 500.0);
  for (int t = 0; t < 200; ++t) world.step(InputFrame{});
  EXPECT_EQ(world.bloodLossMl(), stopped) << "the clip closed it";
}

}  // namespace
}  // namespace trocar::physics
