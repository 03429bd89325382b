// Golden images of the reference scene and the situations the renderer must show: tissue that
// deforms where it was pushed, a hole where the circle was cut out, a stereo pair, the
// laparoscopic monitor and an ImGui panel. Lavapipe, validation layer on.
#include "RenderTestSupport.h"

#include "ReferenceScene.h"
#include "ScenePresenter.h"

#include <trocar/core/File.h>
#include <trocar/render/Scene.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <unistd.h>

namespace trocar::render::test {
namespace {

const std::filesystem::path kReference =
    std::filesystem::path(TROCAR_SOURCE_DIR) / "assets/scenes/reference.yaml";
const std::filesystem::path kPatternCutting =
    std::filesystem::path(TROCAR_SOURCE_DIR) / "scenarios/fls-pattern-cutting/scenario.yaml";
const std::filesystem::path kPegTransfer =
    std::filesystem::path(TROCAR_SOURCE_DIR) / "scenarios/fls-peg-transfer/scenario.yaml";
constexpr uint32_t kW = 320;
constexpr uint32_t kH = 240;

// Pixel position of a world point in a view (Vulkan: y down).
Vec2 project(const View& v, const Vec3& world, uint32_t w, uint32_t h) {
  const Vec4 clip = v.projection * v.view * Vec4(world, 1.0f);
  const Vec3 ndc = Vec3(clip) / clip.w;
  return {(ndc.x * 0.5f + 0.5f) * static_cast<float>(w), (ndc.y * 0.5f + 0.5f) * static_cast<float>(h)};
}

// Where the gauze node whose rest position is nearest (x, z) is now.
Vec3 gauzePoint(const physics::WorldSnapshot& snap, Vec2 restXZ) {
  const auto& t = snap.tissues[0];
  size_t best = 0;
  float bestD = 1e9f;
  for (size_t i = 0; i < t.restPositions.size(); ++i) {
    const float d = glm::length(Vec2(t.restPositions[i].x, t.restPositions[i].z) - restXZ);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return t.positions[best];
}

float luminance(const ImageRgba8& img, Vec2 p) {
  EXPECT_TRUE(p.x >= 0.0f && p.y >= 0.0f && p.x < static_cast<float>(img.width) &&
              p.y < static_cast<float>(img.height))
      << "point (" << p.x << ", " << p.y << ") is outside the image";
  const auto x = std::min(static_cast<uint32_t>(std::max(p.x, 0.0f)), img.width - 1);
  const auto y = std::min(static_cast<uint32_t>(std::max(p.y, 0.0f)), img.height - 1);
  return (img.at(x, y, 0) + img.at(x, y, 1) + img.at(x, y, 2)) / 3.0f;
}

class SceneTest : public RenderTest {
 protected:
  void SetUp() override {
    RenderTest::SetUp();
    auto posed = app::poseScene(kReference);
    ASSERT_TRUE(posed.ok()) << posed.error().toString();
    mPosed = std::move(posed.value());
    auto presenter = app::ScenePresenter::create(*mRenderer, mPosed.desc);
    ASSERT_TRUE(presenter.ok()) << presenter.error().toString();
    mPresenter = std::move(presenter.value());
    mView = app::monoView(mPosed.camera, 0.9f, static_cast<float>(kW) / kH);
  }

  ImageRgba8 draw(const physics::WorldSnapshot& snapshot) {
    FrameScene scene;
    scene.views[0] = mView;
    mPresenter->buildFrame(snapshot, scene);
    return render(scene, kW, kH);
  }

  app::PosedScene mPosed;
  std::unique_ptr<app::ScenePresenter> mPresenter;
  View mView;
};

TEST_F(SceneTest, ReferenceSceneMatchesGolden) {
  const ImageRgba8 img = draw(mPosed.snapshot);
  expectMatchesGolden(img, "reference");
  // Independent of the golden: the gauze shows bright fabric, the table is mid grey, the
  // liver is red.
  const Vec2 gauze = project(mView, gauzePoint(mPosed.snapshot, {-0.06f, -0.47f}), kW, kH);
  EXPECT_GT(luminance(img, gauze), 150.0f);
  const Vec2 table = project(mView, {0.0f, 0.9f, -0.36f}, kW, kH);
  EXPECT_GT(luminance(img, table), 40.0f);
  EXPECT_LT(luminance(img, table), 150.0f);
  const Vec2 liver = project(mView, {0.07f, 0.931f, -0.46f}, kW, kH);
  const auto lx = static_cast<uint32_t>(liver.x);
  const auto ly = static_cast<uint32_t>(liver.y);
  EXPECT_GT(img.at(lx, ly, 0), img.at(lx, ly, 1) + 40) << "wet red tissue";
}

// Pushing the gauze down near one corner changes the picture there, and only there.
TEST_F(SceneTest, DeformedTissueDiffersWhereItWasPushed) {
  const ImageRgba8 before = draw(mPosed.snapshot);
  physics::WorldSnapshot pushed = mPosed.snapshot;
  const Vec3 centre = gauzePoint(mPosed.snapshot, {-0.06f + 0.025f, -0.45f - 0.025f});
  auto& gauze = pushed.tissues[0];
  int moved = 0;
  for (Vec3& p : gauze.positions) {
    const float d = glm::length(Vec2(p.x - centre.x, p.z - centre.z));
    if (d < 0.015f) {
      p.y -= 0.012f * (1.0f - d / 0.015f);  // a 12 mm dent
      ++moved;
    }
  }
  ASSERT_GT(moved, 5);
  const ImageRgba8 after = draw(pushed);
  expectMatchesGolden(after, "deformed");
  const RegionStats stats = differenceStats(before, after, 6);
  ASSERT_GT(stats.changedPixels, 50u);
  const Vec2 expected = project(mView, centre, kW, kH);
  // The change is centred on the dent (within ~12 px: the dent's far slope is hidden).
  EXPECT_NEAR(stats.centroidX, expected.x, 12.0);
  EXPECT_NEAR(stats.centroidY, expected.y, 12.0);
  // The liver block (other side of the table) is untouched.
  const Vec2 liver = project(mView, {0.07f, 0.931f, -0.46f}, kW, kH);
  for (int dy = -3; dy <= 3; ++dy) {
    for (int dx = -3; dx <= 3; ++dx) {
      const auto x = static_cast<uint32_t>(liver.x + dx);
      const auto y = static_cast<uint32_t>(liver.y + dy);
      for (uint32_t c = 0; c < 3; ++c) EXPECT_EQ(before.at(x, y, c), after.at(x, y, c));
    }
  }
}

// The marked circle cut out along 36 chords falls away: where the gauze centre was, the
// picture now shows what lies beneath (darker than the white gauze), and the rest of the
// gauze is still there.
TEST_F(SceneTest, CutClothShowsTheHole) {
  const ImageRgba8 uncut = draw(mPosed.snapshot);
  physics::World& world = mPosed.session->world();
  const physics::TissueId gauze = world.findTissue("gauze").value();
  const Vec2 c(-0.06f, -0.45f);
  const float r = 0.0205f;
  for (int i = 0; i < 36; ++i) {
    const float a0 = 2.0f * kPi * static_cast<float>(i) / 36.0f;
    const float a1 = 2.0f * kPi * static_cast<float>(i + 1) / 36.0f;
    const Vec2 p0 = c + r * Vec2(std::cos(a0), std::sin(a0));
    const Vec2 p1 = c + r * Vec2(std::cos(a1), std::sin(a1));
    // Blades from 0.90 to 1.00 m: the sagging sheet's centre hangs a few cm below its corners.
    world.cutWithQuad(gauze, {Vec3(p0.x, 0.90f, p0.y), Vec3(p1.x, 0.90f, p1.y), Vec3(p1.x, 1.00f, p1.y),
                              Vec3(p0.x, 1.00f, p0.y)});
  }
  ASSERT_EQ(world.pieceCount(gauze), 2u);
  const physics::InputFrame input = app::referenceInput(mPosed.desc);
  for (int i = 0; i < 250; ++i) mPosed.session->step(input);
  physics::WorldSnapshot cut;
  world.snapshot(cut);
  ASSERT_NE(cut.tissues[0].topologyVersion, mPosed.snapshot.tissues[0].topologyVersion);
  const ImageRgba8 img = draw(cut);
  expectMatchesGolden(img, "cut-cloth");
  const Vec2 hole = project(mView, gauzePoint(mPosed.snapshot, c), kW, kH);
  EXPECT_GT(luminance(uncut, hole), 150.0f) << "gauze before the cut";
  EXPECT_LT(luminance(img, hole), luminance(uncut, hole) - 40.0f) << "the hole shows what is beneath";
  const Vec2 rim = project(mView, gauzePoint(cut, {c.x + 0.035f, c.y - 0.035f}), kW, kH);
  EXPECT_GT(luminance(img, rim), 120.0f) << "the gauze outside the circle is still drawn";
}

// One multiview pass renders both eyes: each eye matches a mono render of the same view,
// the eyes differ, and near objects appear further right in the left eye than in the right.
TEST_F(SceneTest, StereoPairMatchesMonoViewsAndShowsDisparity) {
  FrameScene scene;
  app::StereoSettings stereo;
  scene.views = app::stereoViews(mPosed.camera, stereo);
  mPresenter->buildFrame(mPosed.snapshot, scene);
  OffscreenSettings s;
  s.width = 256;
  s.height = 256;
  s.views = 2;
  auto target = OffscreenTarget::create(*mContext, s);
  ASSERT_TRUE(target.ok()) << target.error().toString();
  OffscreenTarget& t = keep(std::move(target.value()));
  ASSERT_TRUE(mRenderer->drawFrame(t, scene).ok());
  const ImageRgba8 left = t.readPixels(0).value();
  const ImageRgba8 right = t.readPixels(1).value();
  expectMatchesGolden(left, "stereo-left");
  expectMatchesGolden(right, "stereo-right");
  EXPECT_GT(compareImages(left, right, 10).differingFraction, 0.02) << "the eyes see different pictures";

  for (int eye = 0; eye < 2; ++eye) {
    FrameScene mono = scene;
    mono.views[0] = scene.views[static_cast<size_t>(eye)];
    const ImageRgba8 single = render(mono, 256, 256);
    const ImageDifference d = compareImages(single, eye == 0 ? left : right, 2);
    // Identical but for thin instrument shafts that cross the near plane: lavapipe's multiview
    // path clips those a pixel differently (under 1.5% of pixels); a wrong eye matrix or
    // swapped layers would differ in over 20%.
    EXPECT_LT(d.differingFraction, 0.015) << "eye " << eye << " of the multiview pass equals a mono render";
  }
  // Disparity: the gauze centre projects further right in the left eye; the renders agree.
  const Vec3 gauze = gauzePoint(mPosed.snapshot, {-0.06f, -0.47f});
  const Vec2 l = project(scene.views[0], gauze, 256, 256);
  const Vec2 r = project(scene.views[1], gauze, 256, 256);
  EXPECT_GT(l.x - r.x, 3.0f);
  EXPECT_GT(luminance(left, l), 150.0f);
  EXPECT_GT(luminance(right, r), 150.0f);
}

// Laparoscopic scenarios: the trainee sees a monitor showing the endoscope's picture; the
// box trainer hides the field itself.
TEST_F(SceneTest, LaparoscopicMonitorShowsTheEndoscopeView) {
  scenario::LoadResult loaded = scenario::loadScenarioFile(kPatternCutting);
  ASSERT_TRUE(loaded.ok());
  auto session = scenario::buildSession(*loaded.scenario).value();
  physics::WorldSnapshot snap;
  session->world().snapshot(snap);
  auto presenter = app::ScenePresenter::create(*mRenderer, *loaded.scenario).value();
  ASSERT_TRUE(presenter->laparoscopic());
  FrameScene scene;
  const Pose head = app::lookAt(loaded.scenario->head.position, presenter->monitorCenter());
  scene.views[0] = app::monoView(head, 0.9f, static_cast<float>(kW) / kH);
  presenter->buildFrame(snap, scene);
  ASSERT_TRUE(scene.endoscope.has_value());
  const Vec2 screen = project(scene.views[0], presenter->monitorCenter(), kW, kH);
  // Before any endoscope pass the screen is black (textures start cleared).
  FrameScene noScope = scene;
  noScope.endoscope.reset();
  const ImageRgba8 dark = render(noScope, kW, kH);
  EXPECT_LT(luminance(dark, screen), 10.0f);

  const ImageRgba8 withScope = render(scene, kW, kH);
  expectMatchesGolden(withScope, "laparoscopic");

  // The monitor's centre shows the gauze (white fabric under the scope's light) ...
  EXPECT_GT(luminance(withScope, screen), 120.0f);
  // ... and the endoscope's own picture, rendered directly, agrees at its centre.
  FrameScene direct = scene;
  app::ScenePresenter::showEndoscopeOnly(direct);  // its camera, its lamp, its items
  const ImageRgba8 scopeView = render(direct, scene.endoscope->width, scene.endoscope->height);
  const float scopeCentre =
      luminance(scopeView, {scene.endoscope->width / 2.0f, scene.endoscope->height / 2.0f});
  EXPECT_NEAR(luminance(withScope, screen), scopeCentre, 25.0f);
}

// What the trainee sees of a box-trainer task: the endoscope's own picture of the scenario at
// rest, 320 x 180, drawn with everything and again without the draws of `leaveOut`.
struct TaskPicture {
  ImageRgba8 all, without;
  View view;
  physics::WorldSnapshot snapshot;
};

using DrawFn = std::function<ImageRgba8(const FrameScene&, uint32_t, uint32_t)>;

TaskPicture taskPicture(Renderer& renderer, const DrawFn& draw, const std::filesystem::path& file,
                        bool object, size_t index) {
  TaskPicture out;
  scenario::LoadResult loaded = scenario::loadScenarioFile(file);
  EXPECT_TRUE(loaded.ok());
  auto session = scenario::buildSession(*loaded.scenario).value();
  session->world().snapshot(out.snapshot);
  auto presenter = app::ScenePresenter::create(renderer, *loaded.scenario).value();
  FrameScene scene;
  scene.views[0] = app::monoView(Pose{}, 0.9f, 16.0f / 9.0f);
  presenter->buildFrame(out.snapshot, scene);
  EXPECT_TRUE(scene.endoscope.has_value());
  app::ScenePresenter::showEndoscopeOnly(scene);
  out.view = scene.views[0];
  constexpr uint32_t w = 320, h = 180;
  out.all = draw(scene, w, h);
  const MeshId leaveOut = object ? presenter->objectMeshId(index) : presenter->tissueMeshId(index);
  std::erase_if(scene.draws, [&](const DrawItem& d) { return d.mesh == leaveOut; });
  out.without = draw(scene, w, h);
  return out;
}

float changedShare(const ImageRgba8& a, const ImageRgba8& b) {
  size_t changed = 0;
  for (uint32_t y = 0; y < a.height; ++y) {
    for (uint32_t x = 0; x < a.width; ++x) {
      int d = 0;
      for (uint32_t c = 0; c < 3; ++c)
        d += std::abs(static_cast<int>(a.at(x, y, c)) - static_cast<int>(b.at(x, y, c)));
      changed += d > 12 ? 1 : 0;
    }
  }
  return static_cast<float>(changed) / static_cast<float>(a.width * a.height);
}

// The box trainer as the FLS kit frames it: a laparoscope seeing 45 degrees high, 15 cm from
// the board or 11.5 cm from the gauze, so the task fills most of the picture: the pixels the
// board (peg transfer) or the gauze (pattern cutting) changes when drawn are over half the
// endoscope's picture (58 % and 53 % now; 7-15 % at 70 degrees from farther away). The six
// triangles, each sampled where a bar's top is drawn, are six distinct colours (every pair
// over 60 apart in RGB) and none the board's (a red peg sat on a red board).
TEST_F(SceneTest, TheBoxTrainersTaskFillsThePictureInDistinctColours) {
  const DrawFn draw = [&](const FrameScene& scene, uint32_t w, uint32_t h) { return render(scene, w, h); };
  const TaskPicture peg = taskPicture(*mRenderer, draw, kPegTransfer, true, 0);
  const float board = changedShare(peg.all, peg.without);
  EXPECT_GT(board, 0.5f) << "the board's share of the picture";
  const TaskPicture cut = taskPicture(*mRenderer, draw, kPatternCutting, false, 0);
  const float gauze = changedShare(cut.all, cut.without);
  EXPECT_GT(gauze, 0.5f) << "the gauze's share of the picture";

  auto colour = [](const ImageRgba8& img, Vec2 p) {
    const auto x = static_cast<uint32_t>(p.x), y = static_cast<uint32_t>(p.y);
    return Vec3(img.at(x, y, 0), img.at(x, y, 1), img.at(x, y, 2));
  };
  // The six triangles come after the board and its twelve posts; each is sampled on top of
  // its bar nearest the laparoscope (4.85 mm from its centre towards -x, +z; 2.5 mm up).
  std::vector<Vec3> pegs;
  for (size_t i = 13; i < peg.snapshot.rigids.size(); ++i) {
    const Vec3 top = peg.snapshot.rigids[i].position + Vec3(-0.866f * 0.00485f, 0.0025f, 0.5f * 0.00485f);
    pegs.push_back(colour(peg.all, project(peg.view, top, 320, 180)));
  }
  ASSERT_EQ(pegs.size(), 6u);
  // The board, between the two columns of pegs' first row and the right side's empty half.
  const Vec3 boardColour = colour(peg.all, project(peg.view, Vec3(0.05f, 0.91f, -0.42f), 320, 180));
  for (size_t i = 0; i < pegs.size(); ++i) {
    EXPECT_GT(glm::length(pegs[i] - boardColour), 60.0f) << "peg " << i + 1 << " against the board";
    for (size_t j = i + 1; j < pegs.size(); ++j)
      EXPECT_GT(glm::length(pegs[i] - pegs[j]), 60.0f) << "pegs " << i + 1 << " and " << j + 1;
  }
}

// A wall facing the camera `distance` m ahead, lit by nothing but `scene`'s lights.
FrameScene wallAhead(MeshId wall, float distance) {
  FrameScene scene;
  scene.views[0] = viewFromPose(Pose{Vec3(0.0f), Quat(1, 0, 0, 0)}, perspective(0.8f, 1.0f, 0.01f, 5.0f));
  scene.lightColor = Vec3(0.0f);
  scene.headlight = 0.0f;
  scene.ambient = Vec3(0.0f);
  Material m;
  m.color = Vec3(0.5f);
  m.roughness = 1.0f;
  m.shading = Shading::kPlastic;
  scene.draws.push_back({wall, glm::translate(Mat4(1.0f), Vec3(0.0f, 0.0f, -distance)), m});
  return scene;
}

float linear(uint8_t srgb) {
  const float c = static_cast<float>(srgb) / 255.0f;
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// The laparoscope's lamp (render::ScopeLight) falls off with the square of the distance: a
// wall twice as far is a quarter as bright at the picture's centre (linear light: the 8-bit
// sRGB values decoded); closer than half the reference distance it stops growing (4x). The
// vignette darkens the corners of a uniformly lit wall to 1 - vignette x r^2 of the centre
// (r = 1 at the corners' pixel centres, less half a pixel).
TEST_F(SceneTest, TheScopesLampFallsOffWithTheSquareOfTheDistance) {
  const MeshId wall = mRenderer->createMesh(makeQuad(4.0f, 4.0f)).value();
  constexpr uint32_t kSize = 64;
  auto centre = [&](float distance, ScopeLight light) {
    FrameScene scene = wallAhead(wall, distance);
    scene.scopeLight = light;
    const ImageRgba8 img = render(scene, kSize, kSize);
    return linear(img.at(kSize / 2, kSize / 2, 1));
  };
  const ScopeLight lamp{0.9f, 0.1f, 0.0f};
  const float near = centre(0.1f, lamp), far = centre(0.2f, lamp), farther = centre(0.4f, lamp);
  EXPECT_GT(near, 0.3f) << "lit at the reference distance";
  EXPECT_NEAR(far / near, 0.25f, 0.01f);
  EXPECT_NEAR(farther / near, 0.0625f, 0.006f);
  EXPECT_NEAR(centre(0.02f, ScopeLight{0.1f, 0.1f, 0.0f}) / centre(0.1f, ScopeLight{0.1f, 0.1f, 0.0f}), 4.0f,
              0.15f)
      << "no more than 4x closer than half the reference distance";
  EXPECT_EQ(centre(0.1f, ScopeLight{}), 0.0f) << "no lamp, no light";

  // The vignette on a wall lit evenly (ambient only; the lamp on but negligible).
  FrameScene even = wallAhead(wall, 0.5f);
  even.ambient = Vec3(1.0f);
  even.scopeLight = ScopeLight{1e-6f, 0.1f, 0.5f};
  const ImageRgba8 img = render(even, kSize, kSize);
  const float middle = linear(img.at(kSize / 2, kSize / 2, 1));
  const float corner = linear(img.at(0, 0, 1));
  const float r = 1.0f - 1.0f / kSize;  // the corner pixel's centre
  EXPECT_NEAR(middle, 0.5f, 0.01f);
  EXPECT_NEAR(corner / middle, 1.0f - 0.5f * r * r, 0.02f);
}

// Where a rest point of a tissue's drawn surface is now: in the surface triangle that holds it
// at rest (within 0.2 mm), by its barycentric weights there.
std::optional<Vec3> nowOf(const physics::TissueSnapshot& t, const Vec3& rest) {
  float best = 2e-4f;
  std::optional<Vec3> out;
  for (size_t i = 0; i + 2 < t.indices.size(); i += 3) {
    const uint32_t ia = t.indices[i], ib = t.indices[i + 1], ic = t.indices[i + 2];
    const Vec3 a = t.restPositions[ia], b = t.restPositions[ib], c = t.restPositions[ic];
    Vec3 n = glm::cross(b - a, c - a);
    const float area = glm::length(n);
    if (area <= 0.0f) continue;
    n /= area;
    const float h = glm::dot(rest - a, n);
    if (std::abs(h) >= best) continue;
    const Vec3 q = rest - h * n;
    const float u = glm::dot(glm::cross(c - b, q - b), n) / area;
    const float v = glm::dot(glm::cross(a - c, q - c), n) / area;
    const float w = 1.0f - u - v;
    if (std::min({u, v, w}) < -1e-3f) continue;
    best = std::abs(h);
    out = u * t.positions[ia] + v * t.positions[ib] + w * t.positions[ic];
  }
  return out;
}

// A marking's line every 0.5 mm at rest.
std::vector<Vec3> densely(const physics::Marking& m) {
  std::vector<Vec3> out;
  const size_t n = m.points.size();
  for (size_t i = 0; i < (m.closed ? n : n - 1); ++i) {
    const Vec3 a = m.points[i], b = m.points[(i + 1) % n];
    const int steps = std::max(1, static_cast<int>(std::ceil(glm::length(b - a) / 0.0005f)));
    for (int k = 0; k < steps; ++k) out.push_back(glm::mix(a, b, static_cast<float>(k) / steps));
  }
  return out;
}

// The reference scene with a 5 cm incision line drawn across the top of the liver block, as an
// instructor writes it (stage frame, on the block's top face at y = 93.1 cm), beside the
// gauze's circle. Ink is what differs between the frame drawn with and without the markings:
// it lies on the lines where the tissue is now (the gauze sags centimetres below where the
// circle was drawn flat), not where they were drawn; after the block is cut across the line,
// both lips still carry their half of it.
TEST_F(SceneTest, MarkingsAreInkedWhereTheTissueIsNow) {
  std::string text = readFileText(kReference).value();
  const std::string liverLook = "appearance: {look: tissue, color: [0.55, 0.16, 0.13], wetness: 0.8}";
  ASSERT_NE(text.find(liverLook), std::string::npos);
  text.replace(text.find(liverLook), liverLook.size(),
               liverLook +
                   "\n    markings:\n      - {id: incision, polyline: [[0.045, 0.931, -0.46], "
                   "[0.095, 0.931, -0.46]]}");
  const auto file =
      std::filesystem::temp_directory_path() / ("trocar-markings-" + std::to_string(::getpid()) + ".yaml");
  ASSERT_TRUE(writeFileAtomic(file, text).ok());
  auto posed = app::poseScene(file);
  std::filesystem::remove(file);
  ASSERT_TRUE(posed.ok()) << posed.error().toString();
  auto presenter = app::ScenePresenter::create(*mRenderer, posed.value().desc).value();
  constexpr uint32_t w = 480, h = 360;
  const View view = app::monoView(posed.value().camera, 0.9f, static_cast<float>(w) / h);

  struct Ink {
    std::vector<Vec2> pixels;                      // where the ink is drawn
    std::vector<std::pair<Vec2, Vec3>> now, rest;  // each line's samples: pixel, rest position
  };
  auto inkOf = [&](const physics::WorldSnapshot& snap) {
    FrameScene scene;
    scene.views[0] = view;
    presenter->buildFrame(snap, scene);
    const ImageRgba8 inked = render(scene, w, h);
    for (DrawItem& d : scene.draws) d.material.inkCount = 0;
    const ImageRgba8 plain = render(scene, w, h);
    Ink ink;
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) {
        int diff = 0;
        for (uint32_t c = 0; c < 3; ++c)
          diff = std::max(diff, std::abs(int(inked.at(x, y, c)) - int(plain.at(x, y, c))));
        if (diff > 12) ink.pixels.emplace_back(static_cast<float>(x) + 0.5f, static_cast<float>(y) + 0.5f);
      }
    }
    for (const auto& t : snap.tissues) {
      for (const auto& m : t.markings) {
        for (const Vec3& r : densely(m)) {
          ink.rest.emplace_back(project(view, r, w, h), r);
          if (auto p = nowOf(t, r)) ink.now.emplace_back(project(view, *p, w, h), r);
        }
      }
    }
    return ink;
  };
  auto near = [](const Vec2& p, const std::vector<std::pair<Vec2, Vec3>>& line, float px) {
    for (const auto& [q, r] : line) {
      if (glm::length(p - q) <= px) return true;
    }
    return false;
  };

  const Ink before = inkOf(posed.value().snapshot);
  ASSERT_GT(before.pixels.size(), 150u) << "a 12.6 cm circle and a 5 cm line, a pixel or more wide";
  size_t onNow = 0, onRest = 0;
  for (const Vec2& p : before.pixels) {
    onNow += near(p, before.now, 2.5f) ? 1 : 0;
    onRest += near(p, before.rest, 2.5f) ? 1 : 0;
  }
  EXPECT_GT(onNow, before.pixels.size() * 95 / 100) << "ink lies on the lines where the tissue is";
  EXPECT_LT(onRest, before.pixels.size() * 3 / 4) << "not where the sagging gauze was drawn flat";
  size_t lineSamples = 0, inked = 0;
  for (const auto& [q, r] : before.now) {
    if (r.y < 0.93f) continue;  // the liver's line (the gauze lies at 97 cm)
    ++lineSamples;
    for (const Vec2& p : before.pixels) {
      if (glm::length(p - q) <= 1.5f) {
        ++inked;
        break;
      }
    }
  }
  ASSERT_GT(lineSamples, 90u);
  EXPECT_GT(inked, lineSamples * 9 / 10) << "the whole incision line is drawn";

  // Cut the block across the line at x = 7 cm, let it settle: ink on both lips.
  physics::World& world = posed.value().session->world();
  const physics::TissueId liver = world.findTissue("liver").value();
  ASSERT_GT(world.cutWithQuad(liver, {Vec3(0.07f, 0.89f, -0.50f), Vec3(0.07f, 0.89f, -0.42f),
                                      Vec3(0.07f, 0.95f, -0.42f), Vec3(0.07f, 0.95f, -0.50f)}),
            0u);
  const physics::InputFrame input = app::referenceInput(posed.value().desc);
  for (int i = 0; i < 100; ++i) posed.value().session->step(input);
  physics::WorldSnapshot cut;
  world.snapshot(cut);
  const Ink after = inkOf(cut);
  size_t leftLip = 0, rightLip = 0, off = 0;
  for (const Vec2& p : after.pixels) {
    bool on = false;
    for (const auto& [q, r] : after.now) {
      if (glm::length(p - q) > 2.5f) continue;
      on = true;
      if (r.y < 0.93f) break;
      if (r.x < 0.068f) ++leftLip;
      if (r.x > 0.072f) ++rightLip;
      break;
    }
    off += on ? 0 : 1;
  }
  EXPECT_GT(leftLip, 15u);
  EXPECT_GT(rightLip, 15u);
  EXPECT_LT(off, after.pixels.size() / 20);
}

// The posed scene with the scissors held straight down, their tip `height` above `point` (the
// shaft, the tool's +Z, up).
physics::WorldSnapshot withScissorsAbove(const physics::WorldSnapshot& posed, const Vec3& point,
                                         float height) {
  physics::WorldSnapshot snap = posed;
  snap.instruments[1].tipPose = {point + Vec3(0.0f, height, 0.0f),
                                 glm::angleAxis(-0.5f * kPi, Vec3(1.0f, 0.0f, 0.0f))};
  return snap;
}

// Instrument shadows, the depth cue: the scissors held straight down over the gauze, 4 cm
// and then 1 cm above it. The key light comes from (0.3, 1, 0.4) (the frame's default): over
// a level surface the tip's shadow lies h * sqrt(0.3^2 + 0.4^2) = h / 2 beside the tip, so
// 2 cm away and then 5 mm: it closes in on the tip as the tip nears the surface (the gauze
// sags, so +-30%). The shadow is drawn (per pixel, from the shafts the frame carries): the
// picture is darker where it falls.
TEST_F(SceneTest, AToolsShadowClosesOnItsTipAsItNearsTheSurface) {
  const physics::World& world = mPosed.session->world();
  const auto below = world.castRay(Vec3(-0.06f, 1.2f, -0.45f), Vec3(0.0f, -1.0f, 0.0f), 1.0f);
  ASSERT_TRUE(below);
  auto shadowAt = [&](float height, ImageRgba8* withShadow, ImageRgba8* without, Vec2* spotPixel) {
    physics::WorldSnapshot snap = withScissorsAbove(mPosed.snapshot, below->position, height);
    const physics::InstrumentSnapshot& tool = snap.instruments[1];
    FrameScene scene;
    scene.views[0] = mView;
    mPresenter->buildFrame(snap, scene);
    float distance = -1.0f;
    size_t spots = 0;
    for (const auto& spot : mPresenter->shadowSpots(snap, scene)) {
      if (spot.hand != 1) continue;
      ++spots;
      if (spot.along == 0.0f) {
        distance = glm::length(spot.position - tool.tipPose.position);
        *spotPixel = project(mView, spot.position, kW, kH);
      }
    }
    *withShadow = render(scene, kW, kH);
    EXPECT_GT(scene.shadowCasters[1].radius, 0.0f) << "the scissors' shaft casts";
    scene.shadowCasters = {};
    *without = render(scene, kW, kH);
    EXPECT_GT(spots, 5u) << "the shaft's shadow, not only the tip's";
    return distance;
  };
  ImageRgba8 a, b, c, d;
  Vec2 farSpot, nearSpot;
  const float far = shadowAt(0.04f, &a, &b, &farSpot);
  const float near = shadowAt(0.01f, &c, &d, &nearSpot);
  ASSERT_GT(far, 0.0f);
  ASSERT_GT(near, 0.0f);
  EXPECT_NEAR(far, std::sqrt(0.04f * 0.04f + 0.02f * 0.02f), 0.3f * 0.045f);
  EXPECT_NEAR(near, std::sqrt(0.01f * 0.01f + 0.005f * 0.005f), 0.3f * 0.011f);
  // Drawn: darker than the gauze without it, where the tip's shadow falls.
  EXPECT_LT(luminance(a, farSpot), luminance(b, farSpot) - 60.0f);
  EXPECT_LT(luminance(c, nearSpot), luminance(d, nearSpot) - 60.0f);
}

// The tip-to-surface cue: the scissors held straight down over the gauze, 3 cm and then 2 mm
// above it: the ring lies where the shaft's line meets the gauze, straight below the tip, and
// says how far it is (3 cm, 2 mm, +-1 mm for the sag); within 3 mm it turns green. Drawn: the
// picture differs at the ring.
TEST_F(SceneTest, ATipCueSaysHowFarAlongTheShaftTheSurfaceIs) {
  const physics::World& world = mPosed.session->world();
  const auto below = world.castRay(Vec3(-0.06f, 1.2f, -0.45f), Vec3(0.0f, -1.0f, 0.0f), 1.0f);
  ASSERT_TRUE(below);
  auto cueAt = [&](float height, ImageRgba8* with, ImageRgba8* without, Vec2* pixel) {
    physics::WorldSnapshot snap = withScissorsAbove(mPosed.snapshot, below->position, height);
    const physics::InstrumentSnapshot& tool = snap.instruments[1];
    FrameScene scene;
    scene.views[0] = mView;
    mPresenter->buildFrame(snap, scene);
    float distance = -1.0f;
    for (const auto& cue : mPresenter->tipCues()) {
      if (cue.hand != 1) continue;
      distance = cue.distance;
      EXPECT_LT(glm::length(Vec2(cue.position.x, cue.position.z) -
                            Vec2(tool.tipPose.position.x, tool.tipPose.position.z)),
                1e-4f)
          << "straight below the tip";
      *pixel = project(mView, cue.position, kW, kH);
    }
    *with = render(scene, kW, kH);
    // Without it: the cue's draw comes last.
    scene.draws.pop_back();
    *without = render(scene, kW, kH);
    return distance;
  };
  ImageRgba8 a, b, c, d;
  Vec2 farPixel, nearPixel;
  EXPECT_NEAR(cueAt(0.03f, &a, &b, &farPixel), 0.03f, 0.001f);
  EXPECT_NEAR(cueAt(0.002f, &c, &d, &nearPixel), 0.002f, 0.001f);
  EXPECT_GT(std::abs(luminance(a, farPixel) - luminance(b, farPixel)), 20.0f) << "the amber ring is drawn";
  EXPECT_GT(c.at(static_cast<uint32_t>(nearPixel.x), static_cast<uint32_t>(nearPixel.y), 1),
            c.at(static_cast<uint32_t>(nearPixel.x), static_cast<uint32_t>(nearPixel.y), 0))
      << "green within 3 mm";
}

}  // namespace
}  // namespace trocar::render::test
