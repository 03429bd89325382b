#include "VkUtil.h"

#include <array>

namespace trocar::render::detail {

std::string vkResultName(VkResult r) {
  switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_SUBOPTIMAL_KHR: return "VK_SUBOPTIMAL_KHR";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_SURFACE_LOST_KHR: return "VK_ERROR_SURFACE_LOST_KHR";
    case VK_ERROR_OUT_OF_DATE_KHR: return "VK_ERROR_OUT_OF_DATE_KHR";
    case VK_ERROR_NATIVE_WINDOW_IN_USE_KHR: return "VK_ERROR_NATIVE_WINDOW_IN_USE_KHR";
    default: return "VkResult " + std::to_string(static_cast<int>(r));
  }
}

Error vkError(VkResult r, const std::string& what) {
  const ErrorCode code =
      (r == VK_ERROR_DEVICE_LOST || r == VK_ERROR_INITIALIZATION_FAILED || r == VK_ERROR_INCOMPATIBLE_DRIVER)
          ? ErrorCode::kUnavailable
          : ErrorCode::kUnsupported;
  return makeError(code, what + " failed: " + vkResultName(r),
                   "run `trocar doctor` to see what this machine's Vulkan driver offers");
}

Result<uint32_t> findMemoryType(VkPhysicalDevice gpu, uint32_t typeBits, VkMemoryPropertyFlags props) {
  VkPhysicalDeviceMemoryProperties mem{};
  vkGetPhysicalDeviceMemoryProperties(gpu, &mem);
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    if ((typeBits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & props) == props) return i;
  }
  return makeError(ErrorCode::kUnsupported, "the GPU has no memory type with the needed properties");
}

Result<VkDeviceMemory> allocateMemory(VkPhysicalDevice gpu, VkDevice device, const VkMemoryRequirements& req,
                                      VkMemoryPropertyFlags props) {
  auto type = findMemoryType(gpu, req.memoryTypeBits, props);
  if (!type) return type.error();
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type.value();
  VkDeviceMemory memory = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateMemory(device, &alloc, nullptr, &memory); r != VK_SUCCESS) {
    return vkError(r, "vkAllocateMemory");
  }
  return memory;
}

Result<Buffer> createBuffer(VkPhysicalDevice gpu, VkDevice device, VkDeviceSize size,
                            VkBufferUsageFlags usage, bool hostVisible) {
  Buffer out;
  out.size = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = vkCreateBuffer(device, &info, nullptr, &out.buffer); r != VK_SUCCESS) {
    return vkError(r, "vkCreateBuffer");
  }
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(device, out.buffer, &req);
  const VkMemoryPropertyFlags props =
      hostVisible ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
                  : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  auto memory = allocateMemory(gpu, device, req, props);
  if (!memory) {
    destroyBuffer(device, out);
    return memory.error();
  }
  out.memory = memory.value();
  vkBindBufferMemory(device, out.buffer, out.memory, 0);
  if (hostVisible) {
    if (VkResult r = vkMapMemory(device, out.memory, 0, VK_WHOLE_SIZE, 0, &out.mapped); r != VK_SUCCESS) {
      destroyBuffer(device, out);
      return vkError(r, "vkMapMemory");
    }
  }
  return out;
}

void destroyBuffer(VkDevice device, Buffer& buffer) {
  if (buffer.buffer) vkDestroyBuffer(device, buffer.buffer, nullptr);
  if (buffer.memory) vkFreeMemory(device, buffer.memory, nullptr);  // unmaps implicitly
  buffer = Buffer{};
}

Result<VkImageView> createView(VkDevice device, VkImage image, VkFormat format, VkImageAspectFlags aspect,
                               uint32_t layers, bool arrayView) {
  VkImageViewCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
  info.image = image;
  info.viewType = (layers > 1 || arrayView) ? VK_IMAGE_VIEW_TYPE_2D_ARRAY : VK_IMAGE_VIEW_TYPE_2D;
  info.format = format;
  info.subresourceRange = {aspect, 0, 1, 0, layers};
  VkImageView view = VK_NULL_HANDLE;
  if (VkResult r = vkCreateImageView(device, &info, nullptr, &view); r != VK_SUCCESS) {
    return vkError(r, "vkCreateImageView");
  }
  return view;
}

Result<Image> createImage(VkPhysicalDevice gpu, VkDevice device, const ImageSettings& s) {
  Image out;
  out.format = s.format;
  out.extent = s.extent;
  out.layers = s.layers;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  info.flags = s.flags;
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = s.format;
  info.extent = {s.extent.width, s.extent.height, 1};
  info.mipLevels = 1;
  info.arrayLayers = s.layers;
  info.samples = s.samples;
  info.tiling = VK_IMAGE_TILING_OPTIMAL;
  info.usage = s.usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  if (VkResult r = vkCreateImage(device, &info, nullptr, &out.image); r != VK_SUCCESS) {
    return vkError(r, "vkCreateImage");
  }
  VkMemoryRequirements req{};
  vkGetImageMemoryRequirements(device, out.image, &req);
  auto memory = allocateMemory(gpu, device, req, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (!memory) {
    destroyImage(device, out);
    return memory.error();
  }
  out.memory = memory.value();
  vkBindImageMemory(device, out.image, out.memory, 0);
  auto view = createView(device, out.image, s.viewFormat != VK_FORMAT_UNDEFINED ? s.viewFormat : s.format,
                         s.aspect, s.layers, s.forceArrayView);
  if (!view) {
    destroyImage(device, out);
    return view.error();
  }
  out.view = view.value();
  return out;
}

void destroyImage(VkDevice device, Image& image) {
  if (image.view) vkDestroyImageView(device, image.view, nullptr);
  if (image.image) vkDestroyImage(device, image.image, nullptr);
  if (image.memory) vkFreeMemory(device, image.memory, nullptr);
  image = Image{};
}

namespace {

VkAttachmentDescription2 attachment2(const VkAttachmentDescription& a) {
  VkAttachmentDescription2 b{VK_STRUCTURE_TYPE_ATTACHMENT_DESCRIPTION_2};
  b.flags = a.flags;
  b.format = a.format;
  b.samples = a.samples;
  b.loadOp = a.loadOp;
  b.storeOp = a.storeOp;
  b.stencilLoadOp = a.stencilLoadOp;
  b.stencilStoreOp = a.stencilStoreOp;
  b.initialLayout = a.initialLayout;
  b.finalLayout = a.finalLayout;
  return b;
}

VkAttachmentReference2 reference2(const VkAttachmentReference& r, VkImageAspectFlags aspect) {
  VkAttachmentReference2 b{VK_STRUCTURE_TYPE_ATTACHMENT_REFERENCE_2};
  b.attachment = r.attachment;
  b.layout = r.layout;
  b.aspectMask = aspect;
  return b;
}

VkSubpassDependency2 dependency2(const VkSubpassDependency& d) {
  VkSubpassDependency2 b{VK_STRUCTURE_TYPE_SUBPASS_DEPENDENCY_2};
  b.srcSubpass = d.srcSubpass;
  b.dstSubpass = d.dstSubpass;
  b.srcStageMask = d.srcStageMask;
  b.dstStageMask = d.dstStageMask;
  b.srcAccessMask = d.srcAccessMask;
  b.dstAccessMask = d.dstAccessMask;
  b.dependencyFlags = d.dependencyFlags;
  return b;
}

// The scene pass of createScenePass through vkCreateRenderPass2 with a fourth attachment: the
// depth of sample 0 resolved into a single-sample image at the end of the subpass.
Result<VkRenderPass> createScenePassResolvingDepth(VkDevice device, PFN_vkCreateRenderPass2KHR create,
                                                   const VkRenderPassCreateInfo& info, uint32_t viewMask) {
  std::array<VkAttachmentDescription2, 4> attachments{};
  for (uint32_t i = 0; i < 3; ++i) attachments[i] = attachment2(info.pAttachments[i]);
  VkAttachmentDescription2& depthOut = attachments[3];
  depthOut = attachments[1];
  depthOut.samples = VK_SAMPLE_COUNT_1_BIT;
  depthOut.loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  depthOut.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  depthOut.finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;

  const VkSubpassDescription& one = info.pSubpasses[0];
  const VkAttachmentReference2 colorRef = reference2(one.pColorAttachments[0], VK_IMAGE_ASPECT_COLOR_BIT);
  const VkAttachmentReference2 resolveRef = reference2(one.pResolveAttachments[0], VK_IMAGE_ASPECT_COLOR_BIT);
  const VkAttachmentReference2 depthRef = reference2(*one.pDepthStencilAttachment, VK_IMAGE_ASPECT_DEPTH_BIT);
  const VkAttachmentReference2 depthOutRef =
      reference2({3, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL}, VK_IMAGE_ASPECT_DEPTH_BIT);
  VkSubpassDescriptionDepthStencilResolve depthResolve{
      VK_STRUCTURE_TYPE_SUBPASS_DESCRIPTION_DEPTH_STENCIL_RESOLVE};
  depthResolve.depthResolveMode = VK_RESOLVE_MODE_SAMPLE_ZERO_BIT;  // every device offers it
  depthResolve.stencilResolveMode = VK_RESOLVE_MODE_NONE;
  depthResolve.pDepthStencilResolveAttachment = &depthOutRef;
  VkSubpassDescription2 subpass{VK_STRUCTURE_TYPE_SUBPASS_DESCRIPTION_2};
  subpass.pNext = &depthResolve;
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.viewMask = viewMask;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &colorRef;
  subpass.pResolveAttachments = &resolveRef;
  subpass.pDepthStencilAttachment = &depthRef;

  // The resolve writes in the colour-output stage; what reads the depth image afterwards (the
  // OpenXR compositor) waits on the frame's submission.
  std::array<VkSubpassDependency2, 2> deps{dependency2(info.pDependencies[0]),
                                           dependency2(info.pDependencies[1])};
  deps[1].srcStageMask |= VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT;
  deps[1].srcAccessMask |= VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT;

  VkRenderPassCreateInfo2 info2{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO_2};
  info2.attachmentCount = static_cast<uint32_t>(attachments.size());
  info2.pAttachments = attachments.data();
  info2.subpassCount = 1;
  info2.pSubpasses = &subpass;
  info2.dependencyCount = static_cast<uint32_t>(deps.size());
  info2.pDependencies = deps.data();
  info2.correlatedViewMaskCount = viewMask ? 1 : 0;
  info2.pCorrelatedViewMasks = &viewMask;
  VkRenderPass pass = VK_NULL_HANDLE;
  if (VkResult r = create(device, &info2, nullptr, &pass); r != VK_SUCCESS) {
    return vkError(r, "vkCreateRenderPass2KHR (scene, resolving depth)");
  }
  return pass;
}

}  // namespace

Result<VkRenderPass> createScenePass(VkDevice device, VkFormat format, uint32_t views,
                                     VkImageLayout finalLayout, PFN_vkCreateRenderPass2KHR resolveDepth) {
  std::array<VkAttachmentDescription, 3> attachments{};
  VkAttachmentDescription& msaa = attachments[0];
  msaa.format = format;
  msaa.samples = kSceneSamples;
  msaa.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  msaa.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  msaa.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  msaa.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  msaa.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  msaa.finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
  VkAttachmentDescription& depth = attachments[1];
  depth = msaa;
  depth.format = kDepthFormat;
  depth.finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
  VkAttachmentDescription& resolve = attachments[2];
  resolve = msaa;
  resolve.samples = VK_SAMPLE_COUNT_1_BIT;
  resolve.loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  resolve.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  resolve.finalLayout = finalLayout;

  VkAttachmentReference colorRef{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkAttachmentReference depthRef{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
  VkAttachmentReference resolveRef{2, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &colorRef;
  subpass.pResolveAttachments = &resolveRef;
  subpass.pDepthStencilAttachment = &depthRef;

  // In: earlier use of the attachments (previous frame, transfers of the readback) finishes
  // before this pass writes. Out: the resolved image is readable by whatever follows
  // (transfer for readback, fragment sampling for the monitor texture, present).
  std::array<VkSubpassDependency, 2> deps{};
  deps[0].srcSubpass = VK_SUBPASS_EXTERNAL;
  deps[0].dstSubpass = 0;
  deps[0].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                         VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                         VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
  deps[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                         VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT |
                         VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT;
  deps[0].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT |
                          VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  deps[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_COLOR_ATTACHMENT_READ_BIT |
                          VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
                          VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT;
  deps[1].srcSubpass = 0;
  deps[1].dstSubpass = VK_SUBPASS_EXTERNAL;
  deps[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[1].dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
  deps[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_SHADER_READ_BIT;

  VkRenderPassCreateInfo info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  info.attachmentCount = static_cast<uint32_t>(attachments.size());
  info.pAttachments = attachments.data();
  info.subpassCount = 1;
  info.pSubpasses = &subpass;
  info.dependencyCount = static_cast<uint32_t>(deps.size());
  info.pDependencies = deps.data();

  const uint32_t viewMask = views == 2 ? 0b11u : 0u;
  const uint32_t correlationMask = viewMask;
  VkRenderPassMultiviewCreateInfo multiview{VK_STRUCTURE_TYPE_RENDER_PASS_MULTIVIEW_CREATE_INFO};
  multiview.subpassCount = 1;
  multiview.pViewMasks = &viewMask;
  multiview.correlationMaskCount = 1;
  multiview.pCorrelationMasks = &correlationMask;
  if (views == 2) info.pNext = &multiview;
  if (resolveDepth) return createScenePassResolvingDepth(device, resolveDepth, info, viewMask);

  VkRenderPass pass = VK_NULL_HANDLE;
  if (VkResult r = vkCreateRenderPass(device, &info, nullptr, &pass); r != VK_SUCCESS) {
    return vkError(r, "vkCreateRenderPass (scene)");
  }
  return pass;
}

Result<VkRenderPass> createUiPass(VkDevice device, VkFormat format, bool clear, VkImageLayout initialLayout,
                                  VkImageLayout finalLayout) {
  VkAttachmentDescription color{};
  color.format = format;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = clear ? VK_ATTACHMENT_LOAD_OP_CLEAR : VK_ATTACHMENT_LOAD_OP_LOAD;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = clear ? VK_IMAGE_LAYOUT_UNDEFINED : initialLayout;
  color.finalLayout = finalLayout;
  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &ref;
  std::array<VkSubpassDependency, 2> deps{};
  deps[0].srcSubpass = VK_SUBPASS_EXTERNAL;
  deps[0].dstSubpass = 0;
  deps[0].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                         VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  deps[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[0].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].srcSubpass = 0;
  deps[1].dstSubpass = VK_SUBPASS_EXTERNAL;
  deps[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  deps[1].dstStageMask = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  deps[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  deps[1].dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  VkRenderPassCreateInfo info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  info.attachmentCount = 1;
  info.pAttachments = &color;
  info.subpassCount = 1;
  info.pSubpasses = &subpass;
  info.dependencyCount = static_cast<uint32_t>(deps.size());
  info.pDependencies = deps.data();
  VkRenderPass pass = VK_NULL_HANDLE;
  if (VkResult r = vkCreateRenderPass(device, &info, nullptr, &pass); r != VK_SUCCESS) {
    return vkError(r, "vkCreateRenderPass (ui)");
  }
  return pass;
}

Result<void> SceneAttachments::create(VkPhysicalDevice gpu, VkDevice device, VkFormat format,
                                      VkExtent2D extent, uint32_t views) {
  ImageSettings color;
  color.format = format;
  color.extent = extent;
  color.layers = views;
  color.samples = kSceneSamples;
  color.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
  auto c = createImage(gpu, device, color);
  if (!c) return c.error();
  msaa = c.value();
  ImageSettings d = color;
  d.format = kDepthFormat;
  d.usage = VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
  d.aspect = VK_IMAGE_ASPECT_DEPTH_BIT;
  auto z = createImage(gpu, device, d);
  if (!z) {
    destroy(device);
    return z.error();
  }
  depth = z.value();
  return {};
}

void SceneAttachments::destroy(VkDevice device) {
  destroyImage(device, msaa);
  destroyImage(device, depth);
}

Result<VkFramebuffer> createFramebuffer(VkDevice device, VkRenderPass pass,
                                        std::initializer_list<VkImageView> views, VkExtent2D extent) {
  VkFramebufferCreateInfo info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
  info.renderPass = pass;
  info.attachmentCount = static_cast<uint32_t>(views.size());
  info.pAttachments = views.begin();
  info.width = extent.width;
  info.height = extent.height;
  info.layers = 1;  // multiview: the view mask selects layers
  VkFramebuffer fb = VK_NULL_HANDLE;
  if (VkResult r = vkCreateFramebuffer(device, &info, nullptr, &fb); r != VK_SUCCESS) {
    return vkError(r, "vkCreateFramebuffer");
  }
  return fb;
}

Result<VkFramebuffer> SceneAttachments::framebuffer(VkDevice device, VkRenderPass pass,
                                                    VkImageView resolveView,
                                                    VkImageView depthResolveView) const {
  if (depthResolveView)
    return createFramebuffer(device, pass, {msaa.view, depth.view, resolveView, depthResolveView},
                             msaa.extent);
  return createFramebuffer(device, pass, {msaa.view, depth.view, resolveView}, msaa.extent);
}

}  // namespace trocar::render::detail
