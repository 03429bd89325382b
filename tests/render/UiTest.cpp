// Dear ImGui through the renderer: the trainee panel rendered into a texture that a quad in
// the scene shows (VR), and the same panel drawn as a HUD over a mono target (desktop).
#include "RenderTestSupport.h"

#include "ScenePresenter.h"

#include <trocar/render/Scene.h>
#include <trocar/ui/TrainingPanel.h>

#include <array>

namespace trocar::render::test {
namespace {

ui::PanelState examplePanel() {
  ui::PanelState s;
  s.title = "FLS pattern cutting";
  s.prompt = "Cut along the marked circle.";
  s.elapsedS = 83.0;
  s.limitS = 300.0;
  s.steps = {{"Grasp the gauze", ui::StepState::kDone}, {"Cut out the circle", ui::StepState::kNext}};
  return s;
}

// Mean and spread of luminance in a rectangle: text on a panel has a large spread.
struct Patch {
  double mean = 0.0;
  double spread = 0.0;  // max - min
};
Patch patch(const ImageRgba8& img, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1) {
  double sum = 0.0;
  double lo = 1e9;
  double hi = -1e9;
  for (uint32_t y = y0; y < y1; ++y) {
    for (uint32_t x = x0; x < x1; ++x) {
      const double l = (img.at(x, y, 0) + img.at(x, y, 1) + img.at(x, y, 2)) / 3.0;
      sum += l;
      lo = std::min(lo, l);
      hi = std::max(hi, l);
    }
  }
  return {sum / ((x1 - x0) * (y1 - y0)), hi - lo};
}

class UiTest : public RenderTest {
 protected:
  // A 0.4 x 0.3 m quad 0.5 m in front of the camera, facing it.
  FrameScene quadScene(TextureSource texture) {
    FrameScene scene;
    scene.views[0] = app::monoView(Pose{}, 0.9f, 320.0f / 240.0f);
    auto quad = mRenderer->createMesh(makeQuad(0.4f, 0.3f));
    EXPECT_TRUE(quad.ok());
    Material m;
    m.shading = Shading::kScreen;
    m.texture = texture;
    Mat4 model(1.0f);
    model[3] = Vec4(0.0f, 0.0f, -0.5f, 1.0f);
    scene.draws.push_back({quad.value(), model, m});
    return scene;
  }
};

TEST_F(UiTest, PanelTextureShowsOnAQuad) {
  const ui::PanelState state = examplePanel();
  UiPanel panel;
  panel.width = 400;
  panel.height = 300;
  panel.build = [&] { ui::drawTrainingPanel(state, ui::PanelPlacement::kFillView); };
  FrameScene blank = quadScene(TextureSource::kUiPanel);
  const ImageRgba8 without = render(blank, 320, 240);  // texture never rendered: black
  FrameScene scene = blank;
  scene.ui = &panel;
  const ImageRgba8 with = render(scene, 320, 240);
  expectMatchesGolden(with, "ui-panel");
  // The quad covers the image centre: black before, a panel with text after.
  const Patch before = patch(without, 120, 90, 200, 150);
  const Patch after = patch(with, 60, 40, 260, 200);
  EXPECT_LT(before.mean, 5.0);
  EXPECT_GT(after.spread, 100.0) << "text on the panel";
  EXPECT_GT(after.mean, before.mean + 5.0);
}

TEST_F(UiTest, HudDrawsOverTheSceneInTheTopLeftOnly) {
  FrameScene scene = quadScene(TextureSource::kNone);
  scene.draws[0].material.shading = Shading::kPlastic;
  const ImageRgba8 plain = render(scene, 320, 240);
  const ui::PanelState state = examplePanel();
  UiPanel hud;
  hud.overlay = true;
  hud.build = [&] { ui::drawTrainingPanel(state, ui::PanelPlacement::kHud); };
  scene.ui = &hud;
  const ImageRgba8 with = render(scene, 320, 240);
  expectMatchesGolden(with, "hud");
  const ImageDifference topLeft = [&] {
    ImageRgba8 a = plain;
    ImageRgba8 b = with;
    return compareImages(a, b, 10);
  }();
  EXPECT_GT(topLeft.differingPixels, 2000u) << "the panel is drawn";
  // The bottom-right corner (far from the panel) is untouched.
  for (uint32_t y = 200; y < 240; ++y) {
    for (uint32_t x = 280; x < 320; ++x) {
      for (uint32_t c = 0; c < 3; ++c) ASSERT_EQ(plain.at(x, y, c), with.at(x, y, c)) << x << "," << y;
    }
  }
}

TEST(TrainingPanel, ClockFormat) {
  EXPECT_EQ(ui::formatClock(0.0), "0:00");
  EXPECT_EQ(ui::formatClock(83.9), "1:23");
  EXPECT_EQ(ui::formatClock(600.0), "10:00");
  EXPECT_EQ(ui::formatClock(-5.0), "0:00");
}

}  // namespace
}  // namespace trocar::render::test

namespace trocar::render::test {
namespace {

// The results screen: the score and the OSATS-style breakdown, and live warnings in red.
TEST_F(UiTest, ResultsAndWarningsAreDrawn) {
  ui::PanelState withWarning = examplePanel();
  withWarning.warnings = {"Too much force (right hand)"};
  ui::PanelState results = examplePanel();
  results.score = 143.5;
  results.passed = true;
  results.breakdown = {{"Respect for tissue", 4.5}, {"Time and motion", 3.0}};
  const ui::PanelState plain = examplePanel();
  std::vector<ImageRgba8> images;
  for (const ui::PanelState* state : std::array<const ui::PanelState*, 3>{&plain, &withWarning, &results}) {
    UiPanel panel;
    panel.width = 400;
    panel.height = 300;
    panel.build = [state] { ui::drawTrainingPanel(*state, ui::PanelPlacement::kFillView); };
    FrameScene scene = quadScene(TextureSource::kUiPanel);
    scene.ui = &panel;
    images.push_back(render(scene, 320, 240));
  }
  // A warning adds red text: more strongly red pixels than the plain panel.
  auto redPixels = [](const ImageRgba8& img) {
    uint32_t n = 0;
    for (uint32_t y = 0; y < img.height; ++y) {
      for (uint32_t x = 0; x < img.width; ++x) n += img.at(x, y, 0) > 150 && img.at(x, y, 1) < 120 ? 1u : 0u;
    }
    return n;
  };
  EXPECT_GT(redPixels(images[1]), redPixels(images[0]) + 20);
  // The results add lines below the checklist.
  EXPECT_GT(compareImages(images[0], images[2], 10).differingPixels, 200u);
}

}  // namespace
}  // namespace trocar::render::test
