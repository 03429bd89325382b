#include "RenderTestSupport.h"

#include <cstdlib>
#include <filesystem>

namespace trocar::render::test {

void expectMatchesGolden(const ImageRgba8& actual, const std::string& name, GoldenTolerance tolerance) {
  const std::filesystem::path golden = std::filesystem::path(TROCAR_GOLDEN_DIR) / (name + ".png");
  const char* update = std::getenv("TROCAR_UPDATE_GOLDENS");
  if (update && std::string(update) == "1") {
    auto written = writePng(golden, actual);
    ASSERT_TRUE(written.ok()) << written.error().toString();
    std::printf("[golden] wrote %s\n", golden.c_str());
    return;
  }
  auto expected = readPng(golden);
  ASSERT_TRUE(expected.ok()) << expected.error().toString()
                             << "\n(make goldens with tools/update-goldens.sh after checking the images)";
  ASSERT_EQ(expected.value().width, actual.width) << name;
  ASSERT_EQ(expected.value().height, actual.height) << name;
  const ImageDifference d = compareImages(expected.value(), actual, tolerance.channelThreshold);
  if (d.differingFraction > tolerance.maxDifferingFraction) {
    const std::filesystem::path dir = std::filesystem::path(TROCAR_BUILD_DIR) / "golden-diff";
    std::filesystem::create_directories(dir);
    (void)writePng(dir / (name + ".actual.png"), actual);
    (void)writePng(dir / (name + ".diff.png"), d.diff);
    ADD_FAILURE() << "golden '" << name << "' differs: " << d.differingPixels << " pixels ("
                  << d.differingFraction * 100.0 << "%) by more than " << tolerance.channelThreshold
                  << " counts, max " << d.maxChannelDiff << "; actual and diff images in " << dir.string();
  }
}

void RenderTest::SetUp() {
  ContextSettings settings;
  settings.validation = true;
  // Lavapipe, always: the goldens are its pictures, and a contributor with a GPU must get the
  // same ones (the best device by type would be theirs).
  settings.gpuName = "llvmpipe";
  std::shared_ptr<Messages> sink = mMessages;
  settings.onValidationMessage = [sink](const std::string& text) {
    std::lock_guard lock(sink->mutex);
    sink->list.push_back(text);
  };
  auto ctx = Context::create(settings);
  ASSERT_TRUE(ctx.ok()) << ctx.error().toString();
  mContext = std::move(ctx.value());
  auto renderer = Renderer::create(*mContext);
  ASSERT_TRUE(renderer.ok()) << renderer.error().toString();
  mRenderer = std::move(renderer.value());
}

void RenderTest::TearDown() {
  if (mRenderer) mRenderer->finish();
  mTargets.clear();
  mRenderer.reset();
  mContext.reset();  // the layer reports leaked objects here
  std::lock_guard lock(mMessages->mutex);
  for (const std::string& m : mMessages->list) ADD_FAILURE() << "Vulkan validation: " << m;
}

ImageRgba8 RenderTest::render(const FrameScene& scene, uint32_t width, uint32_t height, uint32_t views,
                              uint32_t view) {
  OffscreenSettings s;
  s.width = width;
  s.height = height;
  s.views = views;
  auto target = OffscreenTarget::create(*mContext, s);
  EXPECT_TRUE(target.ok()) << target.error().toString();
  if (!target.ok()) return {};
  OffscreenTarget& t = keep(std::move(target.value()));
  const int frames = scene.ui ? 2 : 1;
  for (int i = 0; i < frames; ++i) {
    auto stats = mRenderer->drawFrame(t, scene);
    EXPECT_TRUE(stats.ok()) << stats.error().toString();
  }
  auto pixels = t.readPixels(view);
  EXPECT_TRUE(pixels.ok()) << pixels.error().toString();
  return pixels.ok() ? pixels.value() : ImageRgba8{};
}

}  // namespace trocar::render::test
