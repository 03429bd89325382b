#include <trocar/render/Targets.h>

#include <trocar/core/Assert.h>
#include <trocar/core/Log.h>

#include "VkUtil.h"

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace trocar::render {

using detail::vkError;

// ---------------------------------------------------------------------------------------------
// Offscreen

struct OffscreenTarget::State {
  Context* ctx = nullptr;
  OffscreenSettings settings;
  VkRenderPass pass = VK_NULL_HANDLE;
  VkRenderPass hud = VK_NULL_HANDLE;
  detail::SceneAttachments attachments;
  detail::Image resolve;
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  VkFramebuffer hudFramebuffer = VK_NULL_HANDLE;

  ~State() {
    VkDevice device = ctx->device();
    vkDeviceWaitIdle(device);
    if (framebuffer) vkDestroyFramebuffer(device, framebuffer, nullptr);
    if (hudFramebuffer) vkDestroyFramebuffer(device, hudFramebuffer, nullptr);
    attachments.destroy(device);
    detail::destroyImage(device, resolve);
    if (pass) vkDestroyRenderPass(device, pass, nullptr);
    if (hud) vkDestroyRenderPass(device, hud, nullptr);
  }
};

OffscreenTarget::OffscreenTarget(std::unique_ptr<State> state) : mState(std::move(state)) {}
OffscreenTarget::~OffscreenTarget() = default;

Result<std::unique_ptr<OffscreenTarget>> OffscreenTarget::create(Context& ctx,
                                                                 const OffscreenSettings& settings) {
  TROCAR_PRECONDITION(settings.views == 1 || settings.views == 2, "offscreen target: 1 or 2 views");
  TROCAR_PRECONDITION(settings.width > 0 && settings.height > 0, "offscreen target: empty size");
  auto state = std::make_unique<State>();
  state->ctx = &ctx;
  state->settings = settings;
  VkDevice device = ctx.device();
  const VkExtent2D extent{settings.width, settings.height};
  const VkImageLayout layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  auto pass = detail::createScenePass(device, settings.format, settings.views, layout);
  if (!pass) return pass.error();
  state->pass = pass.value();
  if (auto r =
          state->attachments.create(ctx.physicalDevice(), device, settings.format, extent, settings.views);
      !r) {
    return r.error();
  }
  detail::ImageSettings resolve;
  resolve.format = settings.format;
  resolve.extent = extent;
  resolve.layers = settings.views;
  resolve.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
  auto image = detail::createImage(ctx.physicalDevice(), device, resolve);
  if (!image) return image.error();
  state->resolve = image.value();
  auto fb = state->attachments.framebuffer(device, state->pass, state->resolve.view);
  if (!fb) return fb.error();
  state->framebuffer = fb.value();
  if (settings.views == 1) {
    auto hud = detail::createUiPass(device, settings.format, false, layout, layout);
    if (!hud) return hud.error();
    state->hud = hud.value();
    auto hudFb = detail::createFramebuffer(device, state->hud, {state->resolve.view}, extent);
    if (!hudFb) return hudFb.error();
    state->hudFramebuffer = hudFb.value();
  }
  return std::unique_ptr<OffscreenTarget>(new OffscreenTarget(std::move(state)));
}

VkFormat OffscreenTarget::format() const {
  return mState->settings.format;
}
VkExtent2D OffscreenTarget::extent() const {
  return {mState->settings.width, mState->settings.height};
}
uint32_t OffscreenTarget::viewCount() const {
  return mState->settings.views;
}
VkRenderPass OffscreenTarget::renderPass() const {
  return mState->pass;
}
VkRenderPass OffscreenTarget::hudPass() const {
  return mState->hud;
}

Result<TargetFrame> OffscreenTarget::acquire(uint32_t /*slot*/) {
  TargetFrame frame;
  frame.framebuffer = mState->framebuffer;
  frame.uiFramebuffer = mState->hudFramebuffer;
  return frame;
}

Result<void> OffscreenTarget::present(const TargetFrame& /*frame*/) {
  return {};
}

Result<ImageRgba8> OffscreenTarget::readPixels(uint32_t view) {
  TROCAR_PRECONDITION(view < mState->settings.views, "readPixels: no such view");
  Context& ctx = *mState->ctx;
  const uint32_t w = mState->settings.width;
  const uint32_t h = mState->settings.height;
  auto buffer = detail::createBuffer(ctx.physicalDevice(), ctx.device(), VkDeviceSize{w} * h * 4,
                                     VK_BUFFER_USAGE_TRANSFER_DST_BIT, true);
  if (!buffer) return buffer.error();
  detail::Buffer staging = buffer.value();
  auto submitted = ctx.submitAndWait([&](VkCommandBuffer cmd) {
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, view, 1};
    copy.imageExtent = {w, h, 1};
    vkCmdCopyImageToBuffer(cmd, mState->resolve.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, staging.buffer,
                           1, &copy);
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0,
                         nullptr, 0, nullptr);
  });
  ImageRgba8 out;
  if (submitted) {
    out.width = w;
    out.height = h;
    out.pixels.resize(size_t{w} * h * 4);
    std::memcpy(out.pixels.data(), staging.mapped, out.pixels.size());
    // BGRA targets read back as RGBA.
    if (mState->settings.format == VK_FORMAT_B8G8R8A8_SRGB ||
        mState->settings.format == VK_FORMAT_B8G8R8A8_UNORM) {
      for (size_t i = 0; i < out.pixels.size(); i += 4) std::swap(out.pixels[i], out.pixels[i + 2]);
    }
  }
  detail::destroyBuffer(ctx.device(), staging);
  if (!submitted) return submitted.error();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Window (GLFW swapchain)

std::vector<std::string> windowInstanceExtensions() {
  std::vector<std::string> out;
  uint32_t count = 0;
  const char** names = glfwGetRequiredInstanceExtensions(&count);
  for (uint32_t i = 0; names && i < count; ++i) out.emplace_back(names[i]);
  return out;
}

struct WindowTarget::State {
  static constexpr uint32_t kMaxSlots = 4;
  Context* ctx = nullptr;
  GLFWwindow* window = nullptr;
  WindowSettings settings;
  VkSurfaceKHR surface = VK_NULL_HANDLE;
  VkSurfaceFormatKHR surfaceFormat{};
  VkPresentModeKHR presentMode = VK_PRESENT_MODE_FIFO_KHR;
  VkSwapchainKHR swapchain = VK_NULL_HANDLE;
  VkExtent2D extent{};
  VkRenderPass pass = VK_NULL_HANDLE;
  VkRenderPass hud = VK_NULL_HANDLE;
  detail::SceneAttachments attachments;
  std::vector<VkImage> images;
  std::vector<VkImageView> views;
  std::vector<VkFramebuffer> framebuffers;
  std::vector<VkFramebuffer> hudFramebuffers;
  std::vector<VkSemaphore> renderDone;  // per swapchain image
  std::array<VkSemaphore, kMaxSlots> acquired{};
  bool outOfDate = false;
  uint32_t recreations = 0;

  void destroySwapchainResources() {
    VkDevice device = ctx->device();
    for (VkFramebuffer fb : framebuffers) vkDestroyFramebuffer(device, fb, nullptr);
    for (VkFramebuffer fb : hudFramebuffers) vkDestroyFramebuffer(device, fb, nullptr);
    for (VkImageView v : views) vkDestroyImageView(device, v, nullptr);
    for (VkSemaphore s : renderDone) vkDestroySemaphore(device, s, nullptr);
    framebuffers.clear();
    hudFramebuffers.clear();
    views.clear();
    renderDone.clear();
    images.clear();
    attachments.destroy(device);
  }

  Result<void> buildSwapchain() {
    VkDevice device = ctx->device();
    VkSurfaceCapabilitiesKHR caps{};
    vkGetPhysicalDeviceSurfaceCapabilitiesKHR(ctx->physicalDevice(), surface, &caps);
    int fbWidth = 0;
    int fbHeight = 0;
    glfwGetFramebufferSize(window, &fbWidth, &fbHeight);
    extent = caps.currentExtent;
    if (extent.width == UINT32_MAX) {
      extent.width =
          std::clamp(static_cast<uint32_t>(fbWidth), caps.minImageExtent.width, caps.maxImageExtent.width);
      extent.height =
          std::clamp(static_cast<uint32_t>(fbHeight), caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    if (extent.width == 0 || extent.height == 0) return {};  // minimised: build when restored
    uint32_t imageCount = caps.minImageCount + 1;
    if (caps.maxImageCount > 0) imageCount = std::min(imageCount, caps.maxImageCount);
    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = surface;
    info.minImageCount = imageCount;
    info.imageFormat = surfaceFormat.format;
    info.imageColorSpace = surfaceFormat.colorSpace;
    info.imageExtent = extent;
    info.imageArrayLayers = 1;
    info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.preTransform = caps.currentTransform;
    info.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    info.presentMode = presentMode;
    info.clipped = VK_TRUE;
    info.oldSwapchain = swapchain;
    VkSwapchainKHR created = VK_NULL_HANDLE;
    VkResult r = vkCreateSwapchainKHR(device, &info, nullptr, &created);
    if (swapchain) vkDestroySwapchainKHR(device, swapchain, nullptr);
    swapchain = created;
    if (r != VK_SUCCESS) return vkError(r, "vkCreateSwapchainKHR");
    uint32_t count = 0;
    vkGetSwapchainImagesKHR(device, swapchain, &count, nullptr);
    images.resize(count);
    vkGetSwapchainImagesKHR(device, swapchain, &count, images.data());
    if (auto a = attachments.create(ctx->physicalDevice(), device, surfaceFormat.format, extent, 1); !a)
      return a;
    for (VkImage image : images) {
      auto view =
          detail::createView(device, image, surfaceFormat.format, VK_IMAGE_ASPECT_COLOR_BIT, 1, false);
      if (!view) return view.error();
      views.push_back(view.value());
      auto fb = attachments.framebuffer(device, pass, view.value());
      if (!fb) return fb.error();
      framebuffers.push_back(fb.value());
      auto hudFb = detail::createFramebuffer(device, hud, {view.value()}, extent);
      if (!hudFb) return hudFb.error();
      hudFramebuffers.push_back(hudFb.value());
      VkSemaphoreCreateInfo sem{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
      VkSemaphore done = VK_NULL_HANDLE;
      if (r = vkCreateSemaphore(device, &sem, nullptr, &done); r != VK_SUCCESS)
        return vkError(r, "vkCreateSemaphore");
      renderDone.push_back(done);
    }
    return {};
  }

  Result<void> recreate() {
    vkDeviceWaitIdle(ctx->device());
    destroySwapchainResources();
    ++recreations;
    outOfDate = false;
    return buildSwapchain();
  }

  ~State() {
    VkDevice device = ctx->device();
    vkDeviceWaitIdle(device);
    destroySwapchainResources();
    for (VkSemaphore s : acquired) {
      if (s) vkDestroySemaphore(device, s, nullptr);
    }
    if (swapchain) vkDestroySwapchainKHR(device, swapchain, nullptr);
    if (pass) vkDestroyRenderPass(device, pass, nullptr);
    if (hud) vkDestroyRenderPass(device, hud, nullptr);
    if (surface) vkDestroySurfaceKHR(ctx->instance(), surface, nullptr);
  }
};

WindowTarget::WindowTarget(std::unique_ptr<State> state) : mState(std::move(state)) {}
WindowTarget::~WindowTarget() = default;

Result<std::unique_ptr<WindowTarget>> WindowTarget::create(Context& ctx, GLFWwindow* window,
                                                           const WindowSettings& settings) {
  TROCAR_PRECONDITION(window != nullptr, "WindowTarget needs a GLFW window");
  auto state = std::make_unique<State>();
  state->ctx = &ctx;
  state->window = window;
  state->settings = settings;
  if (VkResult r = glfwCreateWindowSurface(ctx.instance(), window, nullptr, &state->surface);
      r != VK_SUCCESS) {
    return makeError(ErrorCode::kUnavailable,
                     "cannot create a Vulkan surface for the window: " + detail::vkResultName(r),
                     "create the Context with windowInstanceExtensions() and presentation = true");
  }
  VkBool32 supported = VK_FALSE;
  vkGetPhysicalDeviceSurfaceSupportKHR(ctx.physicalDevice(), ctx.queueFamily(), state->surface, &supported);
  if (!supported) {
    return makeError(ErrorCode::kUnsupported,
                     ctx.deviceName() + " cannot present to this window from its graphics queue",
                     "choose another device with --gpu");
  }
  uint32_t count = 0;
  vkGetPhysicalDeviceSurfaceFormatsKHR(ctx.physicalDevice(), state->surface, &count, nullptr);
  std::vector<VkSurfaceFormatKHR> formats(count);
  vkGetPhysicalDeviceSurfaceFormatsKHR(ctx.physicalDevice(), state->surface, &count, formats.data());
  if (formats.empty()) return makeError(ErrorCode::kUnsupported, "the window surface offers no formats");
  state->surfaceFormat = formats[0];
  for (VkFormat wanted : {VK_FORMAT_B8G8R8A8_SRGB, VK_FORMAT_R8G8B8A8_SRGB}) {
    auto it = std::find_if(formats.begin(), formats.end(), [&](const VkSurfaceFormatKHR& f) {
      return f.format == wanted && f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
    });
    if (it != formats.end()) {
      state->surfaceFormat = *it;
      break;
    }
  }
  vkGetPhysicalDeviceSurfacePresentModesKHR(ctx.physicalDevice(), state->surface, &count, nullptr);
  std::vector<VkPresentModeKHR> modes(count);
  vkGetPhysicalDeviceSurfacePresentModesKHR(ctx.physicalDevice(), state->surface, &count, modes.data());
  state->presentMode = VK_PRESENT_MODE_FIFO_KHR;  // always available
  if (!settings.vsync) {
    for (VkPresentModeKHR wanted : {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR}) {
      if (std::find(modes.begin(), modes.end(), wanted) != modes.end()) {
        state->presentMode = wanted;
        break;
      }
    }
  }
  const VkImageLayout layout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  auto pass = detail::createScenePass(ctx.device(), state->surfaceFormat.format, 1, layout);
  if (!pass) return pass.error();
  state->pass = pass.value();
  auto hud = detail::createUiPass(ctx.device(), state->surfaceFormat.format, false, layout, layout);
  if (!hud) return hud.error();
  state->hud = hud.value();
  for (VkSemaphore& s : state->acquired) {
    VkSemaphoreCreateInfo sem{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    if (VkResult r = vkCreateSemaphore(ctx.device(), &sem, nullptr, &s); r != VK_SUCCESS) {
      return vkError(r, "vkCreateSemaphore");
    }
  }
  if (auto r = state->buildSwapchain(); !r) return r.error();
  return std::unique_ptr<WindowTarget>(new WindowTarget(std::move(state)));
}

VkFormat WindowTarget::format() const {
  return mState->surfaceFormat.format;
}
VkExtent2D WindowTarget::extent() const {
  return mState->extent;
}
VkRenderPass WindowTarget::renderPass() const {
  return mState->pass;
}
VkRenderPass WindowTarget::hudPass() const {
  return mState->hud;
}
uint32_t WindowTarget::swapchainRecreations() const {
  return mState->recreations;
}
VkPresentModeKHR WindowTarget::presentMode() const {
  return mState->presentMode;
}

Result<TargetFrame> WindowTarget::acquire(uint32_t slot) {
  State& s = *mState;
  TROCAR_PRECONDITION(slot < State::kMaxSlots, "window target: too many frames in flight");
  TargetFrame frame;
  int fbWidth = 0;
  int fbHeight = 0;
  glfwGetFramebufferSize(s.window, &fbWidth, &fbHeight);
  if (fbWidth == 0 || fbHeight == 0) {  // minimised
    frame.skip = true;
    return frame;
  }
  if (s.outOfDate || s.framebuffers.empty() || static_cast<uint32_t>(fbWidth) != s.extent.width ||
      static_cast<uint32_t>(fbHeight) != s.extent.height) {
    if (auto r = s.recreate(); !r) return r.error();
    if (s.framebuffers.empty()) {
      frame.skip = true;
      return frame;
    }
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    VkResult r = vkAcquireNextImageKHR(s.ctx->device(), s.swapchain, UINT64_MAX, s.acquired[slot],
                                       VK_NULL_HANDLE, &frame.imageIndex);
    if (r == VK_ERROR_OUT_OF_DATE_KHR) {
      if (auto rr = s.recreate(); !rr) return rr.error();
      if (s.framebuffers.empty()) {
        frame.skip = true;
        return frame;
      }
      continue;
    }
    if (r == VK_SUBOPTIMAL_KHR)
      s.outOfDate = true;  // use this image, rebuild after presenting
    else if (r != VK_SUCCESS)
      return vkError(r, "vkAcquireNextImageKHR");
    frame.framebuffer = s.framebuffers[frame.imageIndex];
    frame.uiFramebuffer = s.hudFramebuffers[frame.imageIndex];
    frame.waitSemaphore = s.acquired[slot];
    frame.signalSemaphore = s.renderDone[frame.imageIndex];
    return frame;
  }
  frame.skip = true;
  return frame;
}

Result<void> WindowTarget::present(const TargetFrame& frame) {
  if (frame.skip) return {};
  VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
  info.waitSemaphoreCount = 1;
  info.pWaitSemaphores = &frame.signalSemaphore;
  info.swapchainCount = 1;
  info.pSwapchains = &mState->swapchain;
  info.pImageIndices = &frame.imageIndex;
  VkResult r = vkQueuePresentKHR(mState->ctx->queue(), &info);
  if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR) {
    mState->outOfDate = true;
    return {};
  }
  if (r != VK_SUCCESS) return vkError(r, "vkQueuePresentKHR");
  return {};
}

// ---------------------------------------------------------------------------------------------
// External images (OpenXR swapchain)

struct ExternalTarget::State {
  Context* ctx = nullptr;
  ExternalSettings settings;
  VkRenderPass pass = VK_NULL_HANDLE;
  detail::SceneAttachments attachments;
  std::vector<VkImageView> views;
  std::vector<VkImageView> depthViews;
  // One per colour image, or with depth images one per (colour, depth) pair: the two swapchains
  // hand out their images independently. Index: colour * depth images + depth.
  std::vector<VkFramebuffer> framebuffers;
  uint32_t index = 0;
  uint32_t depthIndex = 0;

  ~State() {
    VkDevice device = ctx->device();
    vkDeviceWaitIdle(device);
    for (VkFramebuffer fb : framebuffers) vkDestroyFramebuffer(device, fb, nullptr);
    for (VkImageView v : views) vkDestroyImageView(device, v, nullptr);
    for (VkImageView v : depthViews) vkDestroyImageView(device, v, nullptr);
    attachments.destroy(device);
    if (pass) vkDestroyRenderPass(device, pass, nullptr);
  }
};

ExternalTarget::ExternalTarget(std::unique_ptr<State> state) : mState(std::move(state)) {}
ExternalTarget::~ExternalTarget() = default;

Result<std::unique_ptr<ExternalTarget>> ExternalTarget::create(Context& ctx,
                                                               const ExternalSettings& settings) {
  TROCAR_PRECONDITION(!settings.images.empty(), "external target: no images");
  TROCAR_PRECONDITION(settings.views == 1 || settings.views == 2, "external target: 1 or 2 views");
  TROCAR_PRECONDITION(settings.depthImages.empty() || ctx.depthResolveSupported(),
                      "external target: depth images need depthResolveSupported()");
  auto state = std::make_unique<State>();
  state->ctx = &ctx;
  state->settings = settings;
  VkDevice device = ctx.device();
  const VkExtent2D extent{settings.width, settings.height};
  const bool withDepth = !settings.depthImages.empty();
  auto pass = detail::createScenePass(device, settings.format, settings.views,
                                      VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                                      withDepth ? ctx.createRenderPass2() : nullptr);
  if (!pass) return pass.error();
  state->pass = pass.value();
  if (auto r =
          state->attachments.create(ctx.physicalDevice(), device, settings.format, extent, settings.views);
      !r) {
    return r.error();
  }
  for (VkImage image : settings.depthImages) {
    auto view = detail::createView(device, image, detail::kDepthFormat, VK_IMAGE_ASPECT_DEPTH_BIT,
                                   settings.views, settings.views > 1);
    if (!view) return view.error();
    state->depthViews.push_back(view.value());
  }
  for (VkImage image : settings.images) {
    auto view = detail::createView(device, image, settings.format, VK_IMAGE_ASPECT_COLOR_BIT, settings.views,
                                   settings.views > 1);
    if (!view) return view.error();
    state->views.push_back(view.value());
    if (!withDepth) {
      auto fb = state->attachments.framebuffer(device, state->pass, view.value());
      if (!fb) return fb.error();
      state->framebuffers.push_back(fb.value());
    }
    for (VkImageView depthView : state->depthViews) {
      auto fb = state->attachments.framebuffer(device, state->pass, view.value(), depthView);
      if (!fb) return fb.error();
      state->framebuffers.push_back(fb.value());
    }
  }
  return std::unique_ptr<ExternalTarget>(new ExternalTarget(std::move(state)));
}

void ExternalTarget::setImageIndex(uint32_t index, uint32_t depthIndex) {
  TROCAR_PRECONDITION(index < mState->views.size(), "external target: image index out of range");
  TROCAR_PRECONDITION(depthIndex < std::max<size_t>(mState->depthViews.size(), 1),
                      "external target: depth image index out of range");
  mState->index = index;
  mState->depthIndex = depthIndex;
}
bool ExternalTarget::hasDepth() const {
  return !mState->depthViews.empty();
}
VkImage ExternalTarget::currentImage() const {
  return mState->settings.images[mState->index];
}
VkFormat ExternalTarget::format() const {
  return mState->settings.format;
}
VkExtent2D ExternalTarget::extent() const {
  return {mState->settings.width, mState->settings.height};
}
uint32_t ExternalTarget::viewCount() const {
  return mState->settings.views;
}
VkRenderPass ExternalTarget::renderPass() const {
  return mState->pass;
}

Result<TargetFrame> ExternalTarget::acquire(uint32_t /*slot*/) {
  TargetFrame frame;
  const size_t perColour = std::max<size_t>(mState->depthViews.size(), 1);
  frame.framebuffer = mState->framebuffers[mState->index * perColour + mState->depthIndex];
  frame.imageIndex = mState->index;
  return frame;
}

Result<void> ExternalTarget::present(const TargetFrame& /*frame*/) {
  return {};
}

}  // namespace trocar::render
