#pragma once
// Small private helpers over raw Vulkan: result names, memory-backed buffers and images.
// Every object made here is destroyed by the matching destroy*(); the validation layer in the
// render tests reports any that are not.

#include <trocar/core/Result.h>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace trocar::render::detail {

std::string vkResultName(VkResult r);
Error vkError(VkResult r, const std::string& what);

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  void* mapped = nullptr;  // host-visible buffers stay mapped for their lifetime
};

struct Image {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;  // all layers (2D or 2D_ARRAY when layers > 1)
  VkFormat format = VK_FORMAT_UNDEFINED;
  VkExtent2D extent{};
  uint32_t layers = 1;
};

struct ImageSettings {
  VkFormat format = VK_FORMAT_R8G8B8A8_SRGB;
  VkExtent2D extent{1, 1};
  uint32_t layers = 1;
  VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
  VkImageUsageFlags usage = 0;
  VkImageAspectFlags aspect = VK_IMAGE_ASPECT_COLOR_BIT;
  VkImageCreateFlags flags = 0;
  VkFormat viewFormat = VK_FORMAT_UNDEFINED;  // when different from format (MUTABLE_FORMAT)
  bool forceArrayView = false;                // 2D_ARRAY view even for one layer
};

Result<uint32_t> findMemoryType(VkPhysicalDevice gpu, uint32_t typeBits, VkMemoryPropertyFlags props);
Result<VkDeviceMemory> allocateMemory(VkPhysicalDevice gpu, VkDevice device, const VkMemoryRequirements& req,
                                      VkMemoryPropertyFlags props);

Result<Buffer> createBuffer(VkPhysicalDevice gpu, VkDevice device, VkDeviceSize size,
                            VkBufferUsageFlags usage, bool hostVisible);
void destroyBuffer(VkDevice device, Buffer& buffer);

Result<Image> createImage(VkPhysicalDevice gpu, VkDevice device, const ImageSettings& settings);
void destroyImage(VkDevice device, Image& image);

Result<VkImageView> createView(VkDevice device, VkImage image, VkFormat format, VkImageAspectFlags aspect,
                               uint32_t layers, bool arrayView);

// A render pass for the scene: 4x MSAA colour + depth, resolved into a single-sample colour
// image of `format` with `views` layers (multiview mask 0b11 for stereo). `finalLayout` is the
// resolve target's layout afterwards (transfer source for readback, present, sampled, ...).
// With `resolveDepth` (the context's vkCreateRenderPass2KHR; depthResolveSupported()), a fourth
// attachment receives sample 0 of the depth: single-sample kDepthFormat, `views` layers, left
// in DEPTH_STENCIL_ATTACHMENT_OPTIMAL (an OpenXR depth swapchain image). Passes with and without
// it are compatible (one subpass: resolve attachments do not count), so pipelines are shared.
inline constexpr VkSampleCountFlagBits kSceneSamples = VK_SAMPLE_COUNT_4_BIT;
inline constexpr VkFormat kDepthFormat = VK_FORMAT_D32_SFLOAT;
Result<VkRenderPass> createScenePass(VkDevice device, VkFormat format, uint32_t views,
                                     VkImageLayout finalLayout,
                                     PFN_vkCreateRenderPass2KHR resolveDepth = nullptr);

// A single-sample colour pass without depth for ImGui: cleared to transparent (a panel texture)
// or loading what the scene pass left (a HUD over a mono target).
Result<VkRenderPass> createUiPass(VkDevice device, VkFormat format, bool clear, VkImageLayout initialLayout,
                                  VkImageLayout finalLayout);

// The multisampled colour and depth images a scene pass draws into before resolving.
struct SceneAttachments {
  Image msaa;
  Image depth;
  Result<void> create(VkPhysicalDevice gpu, VkDevice device, VkFormat format, VkExtent2D extent,
                      uint32_t views);
  void destroy(VkDevice device);
  Result<VkFramebuffer> framebuffer(VkDevice device, VkRenderPass pass, VkImageView resolveView,
                                    VkImageView depthResolveView = VK_NULL_HANDLE) const;
};
Result<VkFramebuffer> createFramebuffer(VkDevice device, VkRenderPass pass,
                                        std::initializer_list<VkImageView> views, VkExtent2D extent);

}  // namespace trocar::render::detail
