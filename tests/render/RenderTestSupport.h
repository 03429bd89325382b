#pragma once
// Shared set-up for the rendering tests: a Vulkan context on lavapipe with the Khronos
// validation layer on (any message fails the test, including leaks reported at shutdown),
// a renderer, and golden-image comparison.
//
// Goldens live in tests/golden/<name>.png. They are only rewritten by an explicit request:
// TROCAR_UPDATE_GOLDENS=1 (tools/update-goldens.sh). On a mismatch the actual image and a
// diff image are written to <build>/golden-diff/ and the test says where.

#include <trocar/render/Context.h>
#include <trocar/render/Image.h>
#include <trocar/render/Renderer.h>
#include <trocar/render/Targets.h>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace trocar::render::test {

// Tolerance: lavapipe is deterministic for one Mesa/LLVM build, so a golden made on this
// image matches exactly. The tolerance absorbs rounding and rasterisation-rule differences
// between Mesa versions (a few counts on anti-aliased edges) without admitting a visible
// change: moving an instrument by 1 mm or recolouring a tissue changes well over 0.5% of
// the pixels by more than 10 counts.
struct GoldenTolerance {
  uint32_t channelThreshold = 10;  // counts out of 255 ignored per channel
  double maxDifferingFraction = 0.005;
};

void expectMatchesGolden(const ImageRgba8& actual, const std::string& name, GoldenTolerance tolerance = {});

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Renders `scene` once (twice when it has a UI panel: a new ImGui window draws nothing on
  // its first frame) into a new offscreen target and reads back `view`.
  ImageRgba8 render(const FrameScene& scene, uint32_t width, uint32_t height, uint32_t views = 1,
                    uint32_t view = 0);
  // Keeps a target alive until TearDown (which destroys it before the context).
  template <typename T>
  T& keep(std::unique_ptr<T> target) {
    T& ref = *target;
    mTargets.push_back(std::move(target));
    return ref;
  }

  std::unique_ptr<Context> mContext;
  std::unique_ptr<Renderer> mRenderer;
  std::vector<std::unique_ptr<RenderTarget>> mTargets;

 private:
  struct Messages {
    std::mutex mutex;
    std::vector<std::string> list;
  };
  std::shared_ptr<Messages> mMessages = std::make_shared<Messages>();
};

}  // namespace trocar::render::test
