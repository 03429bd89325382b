// A scalpel incision on a patient imported from CT, as an instructor's scenario would make it:
// the pack is imported in the test (invesalius-examples' head CT, `trocar import volume`'s
// defaults), the scalpel is aimed at the drawn skin (found by rays, never by nodes), and the
// incision is checked where a person would look: the events, the drawn surface, the picture.
#include "Snapshots.h"

#include <trocar/assets/AnatomyPack.h>
#include <trocar/core/File.h>
#include <trocar/instruments/Instrument.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/render/Image.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace trocar::app {
namespace {

const std::filesystem::path kCranium = "/usr/share/doc/invesalius-examples/examples/Cranium.inv3";

struct Built {
  std::unique_ptr<scenario::ScenarioDesc> desc;
  std::unique_ptr<session::Session> session;
};

// The pack's fragment in a scenario with a scalpel in the right hand and `extra` (regions).
Built build(const std::filesystem::path& dir, const std::string& fragment, const std::string& extra) {
  Built b;
  auto loaded = scenario::loadScenarioText(
      "trocar: 1\nid: pack-incision\ntitle: Pack incision\nview: open\n"
      "instruments: {right: scalpel}\n" +
          fragment + extra + "scoring: {formula: checklist, pass_score: 0}\n",
      dir / "scenario.yaml");
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.errors.front().toString();
    return b;
  }
  b.desc = std::make_unique<scenario::ScenarioDesc>(std::move(*loaded.scenario));
  auto session = scenario::buildSession(*b.desc);
  if (!session.ok()) {
    ADD_FAILURE() << session.error().toString();
    return b;
  }
  b.session = std::move(session).value();
  return b;
}

// The top of the head as it lies (face up), as drawn: the highest point that vertical rays
// over the pack meet where the skin is smooth for 8 mm around.
std::optional<Vec3> topOfTheHead(const physics::World& world) {
  Vec3 lo(1e9f), hi(-1e9f);
  for (uint32_t t = 0; t < world.tissueCount(); ++t) {
    for (uint32_t n = 0; n < world.nodeCount(physics::TissueId{t}); ++n) {
      lo = glm::min(lo, world.nodePosition(physics::TissueId{t}, n));
      hi = glm::max(hi, world.nodePosition(physics::TissueId{t}, n));
    }
  }
  auto down = [&](const Vec3& above) { return world.castRay(above, Vec3(0.0f, -1.0f, 0.0f), 1.0f); };
  std::optional<Vec3> top;
  for (int i = 1; i < 16; ++i) {
    for (int k = 1; k < 16; ++k) {
      const Vec3 above(lo.x + (hi.x - lo.x) * (static_cast<float>(i) + 0.37f) / 16.0f, hi.y + 0.05f,
                       lo.z + (hi.z - lo.z) * (static_cast<float>(k) + 0.37f) / 16.0f);
      const auto h = down(above);
      if (!h || (top && h->position.y <= top->y)) continue;
      bool smooth = true;
      for (const Vec3& d :
           {Vec3(0.008f, 0, 0), Vec3(-0.008f, 0, 0), Vec3(0, 0, 0.008f), Vec3(0, 0, -0.008f)}) {
        const auto n = down(above + d);
        smooth = smooth && n && std::abs(n->position.y - h->position.y) < 0.004f;
      }
      if (smooth) top = h->position;
    }
  }
  return top;
}

// The rest position of every vertex of a tissue's drawn surface.
std::vector<Vec3> restOfDrawn(const physics::TissueSnapshot& t) {
  std::vector<Vec3> rest(t.embedded.nodes.size(), Vec3(0.0f));
  for (size_t v = 0; v < rest.size(); ++v) {
    for (size_t k = 0; k < 4; ++k)
      rest[v] += t.embedded.weights[v][k] * t.restPositions[t.embedded.nodes[v][k]];
  }
  return rest;
}
std::vector<Vec3> drawnNow(const physics::TissueSnapshot& t) {
  std::vector<Vec3> now(t.embedded.nodes.size(), Vec3(0.0f));
  for (size_t v = 0; v < now.size(); ++v) {
    for (size_t k = 0; k < 4; ++k) now[v] += t.embedded.weights[v][k] * t.positions[t.embedded.nodes[v][k]];
  }
  return now;
}

// A 3 cm incision, 3 mm deep, across the forehead at 2 cm/s (a careful stroke): the
// skin is cut and the skull is not; the region around the incision is named and one across
// the head is not; the skin stays its detailed surface (its 20,000 triangles and more, every
// vertex where it was on the skin), split within 1 mm of the blade's path; and the picture
// from above shows a cut line along the stroke where there was none.
TEST(PackIncision, AScalpelIncisesTheSkinOfAnImportedHeadAndKeepsItsFace) {
  if (!std::filesystem::exists(kCranium))
    GTEST_SKIP() << "invesalius-examples is not installed (tools/setup.sh)";
  const auto dir =
      std::filesystem::temp_directory_path() / ("trocar-pack-incision-" + std::to_string(::getpid()));
  assets::VolumeImportOptions options;
  options.savedMasks = true;
  auto pack = assets::importVolume(kCranium, options);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_TRUE(assets::writeAnatomyPack(pack.value(), dir / "anatomy").ok());
  const std::string fragment = readFileText(dir / "anatomy" / "anatomy.yaml").value();

  // Where to cut: found on the drawn skin of the pack as loaded.
  Built probe = build(dir, fragment, "");
  ASSERT_TRUE(probe.session);
  const auto top = topOfTheHead(probe.session->world());
  ASSERT_TRUE(top);
  // The forehead: along the midline from the top point towards the crown (-z; the face looks
  // up), past the tip of the nose (the highest point) and the nasion (the lowest after it),
  // the highest point of the brow.
  std::vector<Vec3> midline;
  for (int i = 0; i <= 30; ++i) {  // up to 15 cm, or the back of the head
    const auto h = probe.session->world().castRay(*top + Vec3(0.0f, 0.1f, -0.005f * static_cast<float>(i)),
                                                  Vec3(0.0f, -1.0f, 0.0f), 0.5f);
    if (!h) break;
    midline.push_back(h->position);
  }
  ASSERT_GT(midline.size(), 20u);
  size_t nose = 0;
  for (size_t i = 0; i < midline.size(); ++i) {
    if (midline[i].y > midline[nose].y) nose = i;
  }
  size_t nasion = nose;
  while (nasion + 1 < midline.size() && midline[nasion + 1].y <= midline[nasion].y) ++nasion;
  size_t brow = nasion;
  for (size_t i = nasion; i < midline.size(); ++i) {
    if (midline[i].y > midline[brow].y) brow = i;
  }
  ASSERT_GT(brow, nasion) << "a brow beyond the nasion";
  const Vec3 p = midline[brow];
  std::vector<float> skinY;  // the skin under the stroke, every mm from x - 15 mm to x + 15 mm
  for (int i = 0; i <= 30; ++i) {
    const auto h = probe.session->world().castRay(p + Vec3(0.001f * static_cast<float>(i - 15), 0.1f, 0.0f),
                                                  Vec3(0.0f, -1.0f, 0.0f), 0.2f);
    ASSERT_TRUE(h) << "skin under the stroke at " << i << " mm";
    skinY.push_back(h->position.y);
  }
  char box[256];
  std::snprintf(box, sizeof(box),
                "regions:\n"
                "  - {id: near, tissue: mask-2, box: {center: [%f, %f, %f], size: [0.06, 0.06, 0.06]}}\n"
                "  - {id: far, tissue: mask-2, box: {center: [%f, %f, %f], size: [0.06, 0.06, 0.06]}}\n",
                double(p.x), double(p.y), double(p.z), double(p.x), double(p.y - 0.12f), double(p.z));
  // The incision line drawn on the skin where the stroke will go, every 5 mm from the rays.
  std::string marked = fragment;
  const std::string skinEntry = "  - id: mask-2\n";
  ASSERT_NE(marked.find(skinEntry), std::string::npos);
  std::string line = "    markings:\n      - {id: incision, polyline: [";
  for (int i = 0; i <= 6; ++i) {
    char point[96];
    std::snprintf(point, sizeof(point), "%s[%f, %f, %f]", i ? ", " : "", double(p.x - 0.015f + 0.005f * i),
                  double(skinY[static_cast<size_t>(5 * i)]), double(p.z));
    line += point;
  }
  marked.insert(marked.find(skinEntry) + skinEntry.size(), line + "]}\n");
  Built run = build(dir, marked, box);
  ASSERT_TRUE(run.session);
  physics::World& world = run.session->world();
  const auto skin = world.findTissue("mask-2");
  const auto skull = world.findTissue("mask-1");
  ASSERT_TRUE(skin && skull);
  const auto near = world.findRegion(*skin, "near");
  const auto far = world.findRegion(*skin, "far");
  ASSERT_TRUE(near && far);

  // The scalpel held straight down; out of the picture (25 cm aside) when not cutting.
  const instruments::InstrumentSpec spec = instruments::defaultSpec(instruments::InstrumentKind::kScalpel);
  const Quat down = glm::angleAxis(-kPi / 2.0f, Vec3(1.0f, 0.0f, 0.0f));
  auto frameAt = [&](const Vec3& tip) {
    physics::InputFrame in;
    in.hands[1].pose = {tip + down * Vec3(0.0f, 0.0f, spec.shaftLength), down};
    return in;
  };
  const Vec3 parked = p + Vec3(0.25f, 0.05f, 0.0f);
  const Vec3 start = p + Vec3(-0.015f, 0.05f, 0.0f);
  auto lerp = [](const Vec3& a, const Vec3& b, int i, int n) {
    return glm::mix(a, b, static_cast<float>(i) / static_cast<float>(n));
  };
  std::vector<physics::Event> events;
  auto step = [&](const Vec3& tip) {
    const auto& e = world.step(frameAt(tip));
    events.insert(events.end(), e.begin(), e.end());
  };
  for (int i = 0; i < 200; ++i) step(parked);

  const Pose camera{p + Vec3(0.0f, 0.1f, 0.0f), down};  // looking straight down at the forehead
  setenv("TROCAR_VK_VALIDATION", "1", 1);
  auto writer = SnapshotWriter::create(*run.desc, {dir / "pictures", "head", 640, 480});
  ASSERT_TRUE(writer.ok()) << writer.error().toString();
  ASSERT_TRUE(writer.value()->write(world, camera, 0).ok());
  physics::WorldSnapshot before;
  world.snapshot(before);
  const auto& skinBefore = before.tissues[skin->index];
  const size_t trianglesBefore = skinBefore.embedded.indices.size() / 3;
  EXPECT_GT(trianglesBefore, 19000u) << "the detailed skin";
  const std::vector<Vec3> restBefore = restOfDrawn(skinBefore);
  const std::vector<Vec3> nowBefore = drawnNow(skinBefore);

  for (int i = 0; i < 300; ++i) step(lerp(parked, start, i, 300));
  const auto skinAt = [&](float x) {  // the skin's height under x, from the rays
    const float f = std::clamp((x - p.x) * 1000.0f + 15.0f, 0.0f, 30.0f);
    const size_t i = std::min<size_t>(static_cast<size_t>(f), 29);
    return glm::mix(skinY[i], skinY[i + 1], f - static_cast<float>(i));
  };
  const Vec3 in(start.x, skinAt(start.x) - 0.003f, p.z);
  for (int i = 0; i < 200; ++i) step(lerp(start, in, i, 200));
  for (int i = 0; i <= 750; ++i) {  // 3 cm in 1.5 s, 3 mm under the skin all along
    const float x = start.x + 0.03f * static_cast<float>(i) / 750.0f;
    step(Vec3(x, skinAt(x) - 0.003f, p.z));
  }
  const Vec3 out(p.x + 0.015f, p.y + 0.05f, p.z);
  physics::WorldSnapshot now;
  world.snapshot(now);
  const Vec3 last = now.instruments[1].tipPose.position;
  for (int i = 0; i < 150; ++i) step(lerp(last, out, i, 150));
  for (int i = 0; i < 300; ++i) step(lerp(out, parked, i, 300));
  for (int i = 0; i < 200; ++i) step(parked);

  // Events: the skin was cut, in the region around the incision; the skull was not.
  bool skinCut = false, nearCut = false, farCut = false;
  for (const auto& e : events) {
    if (e.kind != physics::EventKind::kCut) continue;
    EXPECT_NE(e.tissue.index, skull->index) << "the blade does not reach the skull";
    if (e.tissue.index != skin->index) continue;
    skinCut = true;
    for (uint32_t r : e.regions) {
      nearCut = nearCut || r == *near;
      farCut = farCut || r == *far;
    }
  }
  EXPECT_TRUE(skinCut);
  EXPECT_TRUE(nearCut);
  EXPECT_FALSE(farCut);

  // The stroke followed the marked line (the blade in its vertical plane, 3 mm deep): the cut
  // points on the skin lie on it, up to the line's chords under the curved skin (5 mm chords
  // on a forehead of about 7 cm radius sag 0.05 mm), and the whole line is cut.
  ASSERT_EQ(world.markings(*skin).size(), 1u);
  const auto accuracy = world.markingCutAccuracy(*skin, 0);
  EXPECT_GT(accuracy.points, 20u);
  EXPECT_LT(accuracy.meanMm, 0.3);
  EXPECT_LT(accuracy.maxMm, 1.0);
  EXPECT_GT(accuracy.fractionCut, 0.9);

  // The drawn skin: still the detailed one, split along the blade.
  physics::WorldSnapshot after;
  world.snapshot(after);
  const auto& skinAfter = after.tissues[skin->index];
  EXPECT_GT(skinAfter.embedded.indices.size() / 3, trianglesBefore + 20) << "split along the incision";
  const std::vector<Vec3> restAfter = restOfDrawn(skinAfter);
  const std::vector<Vec3> nowAfter = drawnNow(skinAfter);
  ASSERT_GE(restAfter.size(), restBefore.size());
  size_t away = 0, onCut = 0;
  for (size_t v = 0; v < restBefore.size(); ++v) {
    EXPECT_LT(glm::length(restAfter[v] - restBefore[v]), 1e-5f) << "vertex " << v << " left the skin";
    // Away from the cut: over 1 cm from the stroke's line on the skin.
    const float along = std::clamp(nowBefore[v].x, start.x, start.x + 0.03f);
    if (glm::length(nowBefore[v] - Vec3(along, skinAt(along), p.z)) > 0.01f) {
      ++away;
      EXPECT_LT(glm::length(nowAfter[v] - nowBefore[v]), 0.002f) << "vertex " << v;
    }
  }
  EXPECT_GT(away, restBefore.size() * 9 / 10);
  for (size_t v = restBefore.size(); v < restAfter.size(); ++v) {
    ++onCut;
    EXPECT_EQ(skinAfter.embeddedCut[v], 1.0f);
    EXPECT_NEAR(restAfter[v].z, p.z, 0.001f) << "vertex " << v << " on the blade's path";
    EXPECT_GT(restAfter[v].x, start.x - 0.001f);
    EXPECT_LT(restAfter[v].x, start.x + 0.031f);
  }
  EXPECT_GT(onCut, 20u);

  // The picture: pixels that turned from skin to cut colour (much redder than blue) lie in a
  // band along the stroke (wider than tall) through the middle of the picture.
  ASSERT_TRUE(writer.value()->write(world, camera, 1).ok());
  auto a = render::readPng(dir / "pictures" / "head-00000000.png");
  auto b = render::readPng(dir / "pictures" / "head-00000001.png");
  ASSERT_TRUE(a.ok() && b.ok());
  uint32_t count = 0, x0 = 640, x1 = 0, y0 = 480, y1 = 0;
  render::ImageRgba8 changed{640, 480, std::vector<uint8_t>(640 * 480 * 4, 255)};  // kept with the pictures
  for (uint32_t y = 0; y < 480; ++y) {
    for (uint32_t x = 0; x < 640; ++x) {
      const int redderBefore = int(a.value().at(x, y, 0)) - int(a.value().at(x, y, 2));
      const int redderAfter = int(b.value().at(x, y, 0)) - int(b.value().at(x, y, 2));
      if (redderAfter - redderBefore < 40) continue;
      ++count;
      for (uint32_t c = 0; c < 3; ++c) changed.pixels[(size_t{y} * 640 + x) * 4 + c] = 0;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  }
  ASSERT_TRUE(render::writePng(dir / "pictures" / "changed.png", changed).ok());
  EXPECT_GT(count, 30u) << "the incision is drawn";
  EXPECT_GT(x1 - x0, 3 * (y1 - y0)) << "along the stroke";
  EXPECT_LT(std::abs(int(x0 + x1) / 2 - 320), 40) << "where the stroke was";
  std::error_code ec;
  if (!std::getenv("TROCAR_KEEP_TEST_OUTPUT")) std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace trocar::app
