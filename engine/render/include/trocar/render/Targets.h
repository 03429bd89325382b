#pragma once
// Render targets: where a frame goes. One interface, three kinds:
//   OffscreenTarget  headless images (mono or a two-layer stereo array), read back to RGBA8
//   WindowTarget     a GLFW window's swapchain: resize, minimise, vsync on/off
//   ExternalTarget   images someone else owns (OpenXR swapchain: one array image, two layers)
// Every target renders with 4x MSAA and depth and resolves into its sRGB colour images.

#include <trocar/core/Result.h>
#include <trocar/render/Context.h>
#include <trocar/render/Image.h>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <vector>

struct GLFWwindow;

namespace trocar::render {

// What a target hands the renderer for one frame.
struct TargetFrame {
  bool skip = false;  // nothing to draw into this frame (minimised window)
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  VkFramebuffer uiFramebuffer = VK_NULL_HANDLE;  // mono targets: the resolved image, for a HUD pass
  VkSemaphore waitSemaphore = VK_NULL_HANDLE;    // signalled when the image may be written
  VkSemaphore signalSemaphore = VK_NULL_HANDLE;  // to signal when rendering is done
  uint32_t imageIndex = 0;
};

class RenderTarget {
 public:
  virtual ~RenderTarget() = default;
  virtual VkFormat format() const = 0;
  virtual VkExtent2D extent() const = 0;   // per view
  virtual uint32_t viewCount() const = 0;  // 1 mono, 2 stereo (multiview)
  virtual VkRenderPass renderPass() const = 0;
  // `slot` is the renderer's frame-in-flight index (per-slot semaphores).
  virtual Result<TargetFrame> acquire(uint32_t slot) = 0;
  virtual Result<void> present(const TargetFrame& frame) = 0;
  // Mono targets: a pass that draws ImGui over the resolved image (the desktop HUD);
  // VK_NULL_HANDLE for stereo targets.
  virtual VkRenderPass hudPass() const = 0;
};

struct OffscreenSettings {
  uint32_t width = 640;
  uint32_t height = 480;
  uint32_t views = 1;  // 2: stereo array image, one layer per eye
  VkFormat format = VK_FORMAT_R8G8B8A8_SRGB;
};

class OffscreenTarget final : public RenderTarget {
 public:
  static Result<std::unique_ptr<OffscreenTarget>> create(Context& ctx, const OffscreenSettings& settings);
  ~OffscreenTarget() override;

  VkFormat format() const override;
  VkExtent2D extent() const override;
  uint32_t viewCount() const override;
  VkRenderPass renderPass() const override;
  Result<TargetFrame> acquire(uint32_t slot) override;
  Result<void> present(const TargetFrame& frame) override;
  VkRenderPass hudPass() const override;

  // Copies one view of the last finished frame to host memory (waits for the GPU).
  Result<ImageRgba8> readPixels(uint32_t view);

 private:
  struct State;
  explicit OffscreenTarget(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

struct WindowSettings {
  bool vsync = true;  // FIFO; off: MAILBOX, else IMMEDIATE
};

// Instance extensions a window target needs (create the Context with them and presentation on).
std::vector<std::string> windowInstanceExtensions();

class WindowTarget final : public RenderTarget {
 public:
  static Result<std::unique_ptr<WindowTarget>> create(Context& ctx, GLFWwindow* window,
                                                      const WindowSettings& settings);
  ~WindowTarget() override;

  VkFormat format() const override;
  VkExtent2D extent() const override;
  uint32_t viewCount() const override { return 1; }
  VkRenderPass renderPass() const override;
  Result<TargetFrame> acquire(uint32_t slot) override;  // recreates the swapchain after a resize
  Result<void> present(const TargetFrame& frame) override;
  VkRenderPass hudPass() const override;
  uint32_t swapchainRecreations() const;
  VkPresentModeKHR presentMode() const;

 private:
  struct State;
  explicit WindowTarget(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

struct ExternalSettings {
  std::vector<VkImage> images;  // owned by the caller (an OpenXR swapchain)
  VkFormat format = VK_FORMAT_R8G8B8A8_SRGB;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t views = 2;  // array layers used, one per eye
  // Optional single-sample depth images of the same size and layers (an OpenXR depth swapchain,
  // VK_FORMAT_D32_SFLOAT): the scene's depth is resolved into them (sample 0; 0 at the near
  // plane, 1 at the far one) and left in DEPTH_STENCIL_ATTACHMENT_OPTIMAL. Needs
  // Context::depthResolveSupported().
  std::vector<VkImage> depthImages;
};

class ExternalTarget final : public RenderTarget {
 public:
  static Result<std::unique_ptr<ExternalTarget>> create(Context& ctx, const ExternalSettings& settings);
  ~ExternalTarget() override;

  // Which of the images (and of the depth images, when there are some) the next frame renders
  // into (from xrAcquireSwapchainImage).
  void setImageIndex(uint32_t index, uint32_t depthIndex = 0);
  bool hasDepth() const;
  VkImage currentImage() const;

  VkFormat format() const override;
  VkExtent2D extent() const override;
  uint32_t viewCount() const override;
  VkRenderPass renderPass() const override;
  Result<TargetFrame> acquire(uint32_t slot) override;
  Result<void> present(const TargetFrame& frame) override;
  VkRenderPass hudPass() const override { return VK_NULL_HANDLE; }

 private:
  struct State;
  explicit ExternalTarget(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

}  // namespace trocar::render
