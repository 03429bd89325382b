#include <trocar/render/Renderer.h>

#include <trocar/core/Assert.h>
#include <trocar/core/Log.h>

#include "Shaders.h"
#include "VkUtil.h"

#include <imgui.h>
#include <backends/imgui_impl_vulkan.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <utility>

namespace trocar::render {

using detail::vkError;

namespace {

// The one vertex layout of every mesh (40 bytes).
struct Vertex {
  Vec3 position;
  Vec3 normal;
  Vec2 uv;
  float stress;
  float cut;
  Vec3 rest;  // where ink (markings) is drawn
};
static_assert(sizeof(Vertex) == 52);

// Push constants: exactly the 128 bytes every Vulkan device guarantees.
struct DrawConstants {
  Mat4 model;
  Vec4 colorRoughness;
  Vec4 params;  // wetness, wrap, shading, texture
  Vec4 damage;  // rgb, strength
  Vec4 ink;     // first chunk, chunk count, width (m)
};
static_assert(sizeof(DrawConstants) == 128);

// Ink lines in the shader's storage buffer: chunks of up to kInkSegments segments with a
// bounding sphere, so a fragment far from a line skips it whole.
constexpr uint32_t kInkSegments = 16;
constexpr uint32_t kInkChunks = 256;  // per frame: 4,096 segments (8 m of 2 mm line)
struct InkChunk {
  Vec4 sphere;  // centre, radius
  std::array<Vec4, kInkSegments + 1> points;
};
static_assert(sizeof(InkChunk) == 288);

struct FrameUniforms {
  Mat4 viewProj[2];
  Vec4 eye[2];
  Vec4 lightDir;
  Vec4 lightColor;  // w: headlight
  Vec4 ambient;
  Vec4 scope;          // the scope's lamp: intensity, reference distance (m), vignette
  Vec4 shadowLight;    // xyz: a point lamp, or the direction towards the key light; w: 1, 2, or 0 none
  Vec4 shadowCast[4];  // per caster: (a, radius), (b, 0)
};
constexpr VkDeviceSize kUniformStride = 512;  // >= any device's minUniformBufferOffsetAlignment
static_assert(sizeof(FrameUniforms) <= kUniformStride);

struct GpuMesh {
  detail::Buffer vertices;
  detail::Buffer indices;
  uint32_t vertexCount = 0;
  uint32_t indexCount = 0;
  bool dynamic = false;
  bool hasTopology = false;
  uint32_t topologyVersion = 0;
};

struct Slot {
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  detail::Buffer uniforms;  // [0] main pass, [kUniformStride] endoscope pass
  detail::Buffer ink;       // kInkChunks InkChunks
  std::array<VkDescriptorSet, 2> frameSets{};
  detail::Buffer staging;
  bool submitted = false;
  uint64_t frameIndex = 0;
};

struct Deferred {
  uint64_t safeAtFrame = 0;
  std::function<void()> destroy;
};

// A sampled colour texture rendered into each frame (endoscope view, UI panel).
struct RenderTexture {
  detail::SceneAttachments attachments;  // endoscope only
  detail::Image color;
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkExtent2D extent{};

  void destroy(VkDevice device) {
    if (framebuffer) vkDestroyFramebuffer(device, framebuffer, nullptr);
    framebuffer = VK_NULL_HANDLE;
    attachments.destroy(device);
    detail::destroyImage(device, color);
    extent = {};
  }
};

using Clock = std::chrono::steady_clock;

}  // namespace

struct Renderer::State {
  Context* ctx = nullptr;
  RendererSettings settings;
  VkDevice device = VK_NULL_HANDLE;

  VkShaderModule vert = VK_NULL_HANDLE;
  VkShaderModule frag = VK_NULL_HANDLE;
  VkDescriptorSetLayout frameLayout = VK_NULL_HANDLE;
  VkDescriptorSetLayout textureLayout = VK_NULL_HANDLE;
  VkPipelineLayout pipelineLayout = VK_NULL_HANDLE;
  VkDescriptorPool descriptorPool = VK_NULL_HANDLE;
  VkSampler sampler = VK_NULL_HANDLE;
  std::map<std::pair<VkFormat, uint32_t>, VkPipeline> pipelines;

  detail::Image white;
  VkDescriptorSet whiteSet = VK_NULL_HANDLE;
  VkRenderPass endoscopePass = VK_NULL_HANDLE;
  RenderTexture endoscope;
  VkRenderPass panelPass = VK_NULL_HANDLE;
  RenderTexture panel;

  // Dear ImGui (initialised on first use).
  bool uiReady = false;
  VkFormat uiFormat = VK_FORMAT_UNDEFINED;
  VkDescriptorPool uiPool = VK_NULL_HANDLE;

  std::vector<GpuMesh> meshes;
  std::vector<Slot> slots;
  std::vector<Deferred> deferred;
  VkQueryPool queries = VK_NULL_HANDLE;
  uint64_t frame = 0;
  double lastGpuMs = -1.0;
  struct InkRange {
    uint32_t first = 0, count = 0;  // chunks of one FrameScene::ink line
  };
  std::vector<InkRange> inkLines;  // this frame's

  ~State();
  Result<void> init();
  Result<VkShaderModule> shader(const uint32_t* code, size_t bytes);
  Result<VkPipeline> pipelineFor(VkRenderPass compatiblePass, VkFormat format, uint32_t views);
  Result<void> createRenderTexture(RenderTexture& tex, VkRenderPass pass, VkExtent2D extent, bool withScene);
  void writeTextureSet(VkDescriptorSet set, VkImageView view);
  Result<VkDescriptorSet> allocateSet(VkDescriptorSetLayout layout);
  Result<void> transitionToSampled(VkImage image);
  Result<void> ensureUi(VkRenderPass pass, VkFormat format);
  void recordUi(VkCommandBuffer cmd, const UiPanel& ui, VkRenderPass pass, VkFramebuffer fb,
                VkExtent2D extent, bool clear);
  void readTimestamps(Slot& slot, uint32_t slotIndex);
  void runDeferred(bool all);
  Result<uint64_t> uploadDynamic(Slot& slot, VkCommandBuffer cmd,
                                 const std::vector<DynamicMeshUpdate>& updates);
  uint32_t drawItems(VkCommandBuffer cmd, const FrameScene& scene, VkPipeline pipeline,
                     VkDescriptorSet frameSet, uint32_t pass);
  // Writes the frame's ink lines into the slot's chunks (inkLines: where each went); lines
  // past the buffer's capacity are left out, and warned about once.
  void packInk(Slot& slot, const std::vector<InkLine>& lines);
  bool inkOverflowWarned = false;
};

void Renderer::State::packInk(Slot& slot, const std::vector<InkLine>& lines) {
  inkLines.assign(lines.size(), {});
  auto* chunks = static_cast<InkChunk*>(slot.ink.mapped);
  uint32_t used = 0;
  for (size_t l = 0; l < lines.size(); ++l) {
    const InkLine& line = lines[l];
    if (line.points.size() < 2) continue;
    const size_t count = line.points.size() + (line.closed ? 1 : 0);  // points along the line
    auto point = [&](size_t i) { return line.points[i % line.points.size()]; };
    const uint32_t need = static_cast<uint32_t>((count - 2) / kInkSegments + 1);
    if (used + need > kInkChunks) {
      if (!inkOverflowWarned) TROCAR_LOG_WARN("render: too many marking lines to ink; some are not drawn");
      inkOverflowWarned = true;
      continue;
    }
    inkLines[l] = {used, need};
    for (uint32_t c = 0; c < need; ++c) {
      InkChunk& chunk = chunks[used + c];
      const size_t start = size_t{c} * kInkSegments;
      Vec3 lo(point(start)), hi(point(start));
      for (uint32_t k = 0; k <= kInkSegments; ++k) {
        const Vec3 p = point(std::min(start + k, count - 1));
        chunk.points[k] = Vec4(p, 0.0f);
        lo = glm::min(lo, p);
        hi = glm::max(hi, p);
      }
      const Vec3 centre = 0.5f * (lo + hi);
      chunk.sphere = Vec4(centre, glm::length(hi - centre));
    }
    used += need;
  }
}

Renderer::State::~State() {
  if (!device) return;
  vkDeviceWaitIdle(device);
  runDeferred(true);
  if (uiReady) {
    ImGui_ImplVulkan_Shutdown();
    ImGui::DestroyContext();
  }
  if (uiPool) vkDestroyDescriptorPool(device, uiPool, nullptr);
  for (GpuMesh& m : meshes) {
    detail::destroyBuffer(device, m.vertices);
    detail::destroyBuffer(device, m.indices);
  }
  for (Slot& s : slots) {
    if (s.fence) vkDestroyFence(device, s.fence, nullptr);
    if (s.cmd) vkFreeCommandBuffers(device, ctx->commandPool(), 1, &s.cmd);
    detail::destroyBuffer(device, s.uniforms);
    detail::destroyBuffer(device, s.ink);
    detail::destroyBuffer(device, s.staging);
  }
  if (queries) vkDestroyQueryPool(device, queries, nullptr);
  endoscope.destroy(device);
  panel.destroy(device);
  detail::destroyImage(device, white);
  if (endoscopePass) vkDestroyRenderPass(device, endoscopePass, nullptr);
  if (panelPass) vkDestroyRenderPass(device, panelPass, nullptr);
  for (auto& [key, pipeline] : pipelines) vkDestroyPipeline(device, pipeline, nullptr);
  if (sampler) vkDestroySampler(device, sampler, nullptr);
  if (descriptorPool) vkDestroyDescriptorPool(device, descriptorPool, nullptr);
  if (pipelineLayout) vkDestroyPipelineLayout(device, pipelineLayout, nullptr);
  if (frameLayout) vkDestroyDescriptorSetLayout(device, frameLayout, nullptr);
  if (textureLayout) vkDestroyDescriptorSetLayout(device, textureLayout, nullptr);
  if (vert) vkDestroyShaderModule(device, vert, nullptr);
  if (frag) vkDestroyShaderModule(device, frag, nullptr);
}

Result<VkShaderModule> Renderer::State::shader(const uint32_t* code, size_t bytes) {
  VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  info.codeSize = bytes;
  info.pCode = code;
  VkShaderModule module = VK_NULL_HANDLE;
  if (VkResult r = vkCreateShaderModule(device, &info, nullptr, &module); r != VK_SUCCESS) {
    return vkError(r, "vkCreateShaderModule");
  }
  return module;
}

Result<VkDescriptorSet> Renderer::State::allocateSet(VkDescriptorSetLayout layout) {
  VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  info.descriptorPool = descriptorPool;
  info.descriptorSetCount = 1;
  info.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateDescriptorSets(device, &info, &set); r != VK_SUCCESS) {
    return vkError(r, "vkAllocateDescriptorSets");
  }
  return set;
}

void Renderer::State::writeTextureSet(VkDescriptorSet set, VkImageView view) {
  VkDescriptorImageInfo image{sampler, view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
  VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
  write.dstSet = set;
  write.dstBinding = 0;
  write.descriptorCount = 1;
  write.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
  write.pImageInfo = &image;
  vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);
}

Result<void> Renderer::State::transitionToSampled(VkImage image) {
  // New textures start cleared to black and sampleable, so an item showing a texture that was
  // not rendered this frame reads defined (black) data.
  return ctx->submitAndWait([&](VkCommandBuffer cmd) {
    VkImageMemoryBarrier toDst{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    toDst.srcAccessMask = 0;
    toDst.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    toDst.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    toDst.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    toDst.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toDst.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    toDst.image = image;
    toDst.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         nullptr, 0, nullptr, 1, &toDst);
    VkClearColorValue black{};
    black.float32[3] = 1.0f;
    vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &black, 1,
                         &toDst.subresourceRange);
    VkImageMemoryBarrier toRead = toDst;
    toRead.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    toRead.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    toRead.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    toRead.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 0,
                         nullptr, 0, nullptr, 1, &toRead);
  });
}

Result<void> Renderer::State::createRenderTexture(RenderTexture& tex, VkRenderPass pass, VkExtent2D extent,
                                                  bool withScene) {
  vkDeviceWaitIdle(device);  // only on first use or a size change
  const VkFormat format = withScene ? VK_FORMAT_R8G8B8A8_SRGB : uiFormat;
  VkDescriptorSet keepSet = tex.set;
  tex.destroy(device);
  tex.set = keepSet;
  tex.extent = extent;
  detail::ImageSettings color;
  color.format = format;
  color.extent = extent;
  color.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT |
                VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
  auto image = detail::createImage(ctx->physicalDevice(), device, color);
  if (!image) return image.error();
  tex.color = image.value();
  if (withScene) {
    if (auto r = tex.attachments.create(ctx->physicalDevice(), device, format, extent, 1); !r) return r;
    auto fb = tex.attachments.framebuffer(device, pass, tex.color.view);
    if (!fb) return fb.error();
    tex.framebuffer = fb.value();
  } else {
    auto fb = detail::createFramebuffer(device, pass, {tex.color.view}, extent);
    if (!fb) return fb.error();
    tex.framebuffer = fb.value();
  }
  if (auto r = transitionToSampled(tex.color.image); !r) return r;
  if (!tex.set) {
    auto set = allocateSet(textureLayout);
    if (!set) return set.error();
    tex.set = set.value();
  }
  writeTextureSet(tex.set, tex.color.view);
  return {};
}

Result<void> Renderer::State::init() {
  device = ctx->device();
  auto v = shader(shaders::kSceneVert, sizeof(shaders::kSceneVert));
  if (!v) return v.error();
  vert = v.value();
  auto f = shader(shaders::kSceneFrag, sizeof(shaders::kSceneFrag));
  if (!f) return f.error();
  frag = f.value();

  std::array<VkDescriptorSetLayoutBinding, 2> frameBindings{
      {{0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT,
        nullptr},
       {1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, nullptr}}};
  VkDescriptorSetLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  layoutInfo.bindingCount = static_cast<uint32_t>(frameBindings.size());
  layoutInfo.pBindings = frameBindings.data();
  if (VkResult r = vkCreateDescriptorSetLayout(device, &layoutInfo, nullptr, &frameLayout); r != VK_SUCCESS) {
    return vkError(r, "vkCreateDescriptorSetLayout");
  }
  VkDescriptorSetLayoutBinding textureBinding{0, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1,
                                              VK_SHADER_STAGE_FRAGMENT_BIT, nullptr};
  layoutInfo.bindingCount = 1;
  layoutInfo.pBindings = &textureBinding;
  if (VkResult r = vkCreateDescriptorSetLayout(device, &layoutInfo, nullptr, &textureLayout);
      r != VK_SUCCESS) {
    return vkError(r, "vkCreateDescriptorSetLayout");
  }
  std::array<VkDescriptorSetLayout, 2> setLayouts{frameLayout, textureLayout};
  VkPushConstantRange push{VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0,
                           sizeof(DrawConstants)};
  VkPipelineLayoutCreateInfo pipelineLayoutInfo{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pipelineLayoutInfo.setLayoutCount = static_cast<uint32_t>(setLayouts.size());
  pipelineLayoutInfo.pSetLayouts = setLayouts.data();
  pipelineLayoutInfo.pushConstantRangeCount = 1;
  pipelineLayoutInfo.pPushConstantRanges = &push;
  if (VkResult r = vkCreatePipelineLayout(device, &pipelineLayoutInfo, nullptr, &pipelineLayout);
      r != VK_SUCCESS) {
    return vkError(r, "vkCreatePipelineLayout");
  }

  const uint32_t frameSets = settings.framesInFlight * 2;
  std::array<VkDescriptorPoolSize, 3> sizes{{{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, frameSets},
                                             {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, frameSets},
                                             {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 4}}};
  VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = frameSets + 4;
  poolInfo.poolSizeCount = static_cast<uint32_t>(sizes.size());
  poolInfo.pPoolSizes = sizes.data();
  if (VkResult r = vkCreateDescriptorPool(device, &poolInfo, nullptr, &descriptorPool); r != VK_SUCCESS) {
    return vkError(r, "vkCreateDescriptorPool");
  }

  VkSamplerCreateInfo samplerInfo{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
  samplerInfo.magFilter = VK_FILTER_LINEAR;
  samplerInfo.minFilter = VK_FILTER_LINEAR;
  samplerInfo.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
  samplerInfo.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  samplerInfo.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  samplerInfo.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  samplerInfo.maxLod = 0.0f;
  if (VkResult r = vkCreateSampler(device, &samplerInfo, nullptr, &sampler); r != VK_SUCCESS) {
    return vkError(r, "vkCreateSampler");
  }

  detail::ImageSettings whiteSettings;
  whiteSettings.usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
  auto w = detail::createImage(ctx->physicalDevice(), device, whiteSettings);
  if (!w) return w.error();
  white = w.value();
  if (auto r = transitionToSampled(white.image); !r) return r;
  auto ws = allocateSet(textureLayout);
  if (!ws) return ws.error();
  whiteSet = ws.value();
  writeTextureSet(whiteSet, white.view);

  auto ep =
      detail::createScenePass(device, VK_FORMAT_R8G8B8A8_SRGB, 1, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
  if (!ep) return ep.error();
  endoscopePass = ep.value();

  VkQueryPoolCreateInfo queryInfo{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
  queryInfo.queryCount = settings.framesInFlight * 2;
  if (ctx->timestampsSupported()) {
    if (VkResult r = vkCreateQueryPool(device, &queryInfo, nullptr, &queries); r != VK_SUCCESS) {
      return vkError(r, "vkCreateQueryPool");
    }
  }

  slots.resize(settings.framesInFlight);
  for (Slot& slot : slots) {
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = ctx->commandPool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    if (VkResult r = vkAllocateCommandBuffers(device, &alloc, &slot.cmd); r != VK_SUCCESS) {
      return vkError(r, "vkAllocateCommandBuffers");
    }
    VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fenceInfo.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    if (VkResult r = vkCreateFence(device, &fenceInfo, nullptr, &slot.fence); r != VK_SUCCESS) {
      return vkError(r, "vkCreateFence");
    }
    auto ubo = detail::createBuffer(ctx->physicalDevice(), device, kUniformStride * 2,
                                    VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, true);
    if (!ubo) return ubo.error();
    slot.uniforms = ubo.value();
    auto ink = detail::createBuffer(ctx->physicalDevice(), device, sizeof(InkChunk) * kInkChunks,
                                    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, true);
    if (!ink) return ink.error();
    slot.ink = ink.value();
    for (uint32_t i = 0; i < 2; ++i) {
      auto set = allocateSet(frameLayout);
      if (!set) return set.error();
      slot.frameSets[i] = set.value();
      VkDescriptorBufferInfo bufferInfo{slot.uniforms.buffer, kUniformStride * i, sizeof(FrameUniforms)};
      VkDescriptorBufferInfo inkInfo{slot.ink.buffer, 0, VK_WHOLE_SIZE};
      std::array<VkWriteDescriptorSet, 2> writes{};
      for (auto& write : writes) {
        write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        write.dstSet = slot.frameSets[i];
        write.descriptorCount = 1;
      }
      writes[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
      writes[0].pBufferInfo = &bufferInfo;
      writes[1].dstBinding = 1;
      writes[1].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[1].pBufferInfo = &inkInfo;
      vkUpdateDescriptorSets(device, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
    }
  }
  return {};
}

Result<VkPipeline> Renderer::State::pipelineFor(VkRenderPass compatiblePass, VkFormat format,
                                                uint32_t views) {
  const auto key = std::make_pair(format, views);
  if (auto it = pipelines.find(key); it != pipelines.end()) return it->second;

  std::array<VkPipelineShaderStageCreateInfo, 2> stages{};
  stages[0].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
  stages[0].module = vert;
  stages[0].pName = "main";
  stages[1] = stages[0];
  stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
  stages[1].module = frag;

  VkVertexInputBindingDescription binding{0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX};
  std::array<VkVertexInputAttributeDescription, 6> attributes{{
      {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, position)},
      {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, normal)},
      {2, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(Vertex, uv)},
      {3, 0, VK_FORMAT_R32_SFLOAT, offsetof(Vertex, stress)},
      {4, 0, VK_FORMAT_R32_SFLOAT, offsetof(Vertex, cut)},
      {5, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, rest)},
  }};
  VkPipelineVertexInputStateCreateInfo vertexInput{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  vertexInput.vertexBindingDescriptionCount = 1;
  vertexInput.pVertexBindingDescriptions = &binding;
  vertexInput.vertexAttributeDescriptionCount = static_cast<uint32_t>(attributes.size());
  vertexInput.pVertexAttributeDescriptions = attributes.data();
  VkPipelineInputAssemblyStateCreateInfo assembly{
      VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;  // cloth and cut surfaces show both sides
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = detail::kSceneSamples;
  VkPipelineDepthStencilStateCreateInfo depth{VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
  depth.depthTestEnable = VK_TRUE;
  depth.depthWriteEnable = VK_TRUE;
  depth.depthCompareOp = VK_COMPARE_OP_LESS;
  VkPipelineColorBlendAttachmentState blendAttachment{};
  blendAttachment.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                   VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blendAttachment;
  std::array<VkDynamicState, 2> dynamicStates{VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = static_cast<uint32_t>(dynamicStates.size());
  dynamic.pDynamicStates = dynamicStates.data();

  VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  info.stageCount = static_cast<uint32_t>(stages.size());
  info.pStages = stages.data();
  info.pVertexInputState = &vertexInput;
  info.pInputAssemblyState = &assembly;
  info.pViewportState = &viewport;
  info.pRasterizationState = &raster;
  info.pMultisampleState = &multisample;
  info.pDepthStencilState = &depth;
  info.pColorBlendState = &blend;
  info.pDynamicState = &dynamic;
  info.layout = pipelineLayout;
  info.renderPass = compatiblePass;
  VkPipeline pipeline = VK_NULL_HANDLE;
  if (VkResult r = vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline);
      r != VK_SUCCESS) {
    return vkError(r, "vkCreateGraphicsPipelines");
  }
  pipelines.emplace(key, pipeline);
  return pipeline;
}

Result<void> Renderer::State::ensureUi(VkRenderPass pass, VkFormat format) {
  if (uiReady) {
    if (format != uiFormat) {
      return makeError(ErrorCode::kUnsupported,
                       "ImGui panels were set up for another colour format in this renderer",
                       "use one kind of UI target (panel texture or HUD of one window) per renderer");
    }
    return {};
  }
  uiFormat = format;
  std::array<VkDescriptorPoolSize, 1> sizes{{{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 8}}};
  VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  poolInfo.maxSets = 8;
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = sizes.data();
  if (VkResult r = vkCreateDescriptorPool(device, &poolInfo, nullptr, &uiPool); r != VK_SUCCESS) {
    return vkError(r, "vkCreateDescriptorPool (ui)");
  }
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini next to the user's files
  ImGui::StyleColorsDark();
  // The UI targets are sRGB: ImGui's colours are authored in sRGB, so linearise them once.
  for (ImVec4& c : ImGui::GetStyle().Colors) {
    Vec3 lin = srgbToLinear({c.x, c.y, c.z});
    c = ImVec4(lin.r, lin.g, lin.b, c.w);
  }
  ImGui_ImplVulkan_InitInfo info{};
  info.Instance = ctx->instance();
  info.PhysicalDevice = ctx->physicalDevice();
  info.Device = device;
  info.QueueFamily = ctx->queueFamily();
  info.Queue = ctx->queue();
  info.DescriptorPool = uiPool;
  info.MinImageCount = std::max<uint32_t>(2, settings.framesInFlight);
  info.ImageCount = info.MinImageCount;
  info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
  if (!ImGui_ImplVulkan_Init(&info, pass)) {
    ImGui::DestroyContext();
    return makeError(ErrorCode::kUnavailable, "Dear ImGui's Vulkan backend failed to initialise");
  }
  uiReady = true;
  auto uploaded = ctx->submitAndWait([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
  ImGui_ImplVulkan_DestroyFontUploadObjects();
  return uploaded;
}

void Renderer::State::recordUi(VkCommandBuffer cmd, const UiPanel& ui, VkRenderPass pass, VkFramebuffer fb,
                               VkExtent2D extent, bool clear) {
  ImGui_ImplVulkan_NewFrame();
  if (ui.platformNewFrame) ui.platformNewFrame();
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(extent.width), static_cast<float>(extent.height));
  io.DeltaTime = ui.deltaSeconds > 0.0f ? ui.deltaSeconds : 1.0f / 60.0f;
  ImGui::NewFrame();
  if (ui.build) ui.build();
  ImGui::Render();
  VkClearValue clearValue{};
  VkRenderPassBeginInfo begin{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  begin.renderPass = pass;
  begin.framebuffer = fb;
  begin.renderArea.extent = extent;
  begin.clearValueCount = clear ? 1 : 0;
  begin.pClearValues = clear ? &clearValue : nullptr;
  vkCmdBeginRenderPass(cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
  ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), cmd);
  vkCmdEndRenderPass(cmd);
}

void Renderer::State::readTimestamps(Slot& slot, uint32_t slotIndex) {
  if (!queries || !slot.submitted) return;
  std::array<uint64_t, 2> ticks{};
  VkResult r = vkGetQueryPoolResults(device, queries, slotIndex * 2, 2, sizeof(ticks), ticks.data(),
                                     sizeof(uint64_t), VK_QUERY_RESULT_64_BIT);
  if (r == VK_SUCCESS && ticks[1] >= ticks[0]) {
    lastGpuMs = static_cast<double>(ticks[1] - ticks[0]) * ctx->timestampPeriodNs() * 1e-6;
  }
}

void Renderer::State::runDeferred(bool all) {
  auto keep = std::stable_partition(deferred.begin(), deferred.end(),
                                    [&](const Deferred& d) { return !all && d.safeAtFrame > frame; });
  for (auto it = keep; it != deferred.end(); ++it) it->destroy();
  deferred.erase(keep, deferred.end());
}

Result<uint64_t> Renderer::State::uploadDynamic(Slot& slot, VkCommandBuffer cmd,
                                                const std::vector<DynamicMeshUpdate>& updates) {
  // Size the staging slice for this frame.
  VkDeviceSize needed = 0;
  for (const DynamicMeshUpdate& u : updates) {
    TROCAR_PRECONDITION(u.mesh.valid() && u.mesh.value < meshes.size() && meshes[u.mesh.value].dynamic,
                        "DynamicMeshUpdate names a mesh that is not dynamic");
    TROCAR_PRECONDITION(u.normals.size() == u.positions.size(), "DynamicMeshUpdate: normals/positions count");
    TROCAR_PRECONDITION(u.stress.empty() || u.stress.size() == u.positions.size(),
                        "DynamicMeshUpdate: stress count");
    TROCAR_PRECONDITION(u.cutEdge.empty() || u.cutEdge.size() == u.positions.size(),
                        "DynamicMeshUpdate: cut count");
    TROCAR_PRECONDITION(u.uvs.empty() || u.uvs.size() == u.positions.size(), "DynamicMeshUpdate: uv count");
    TROCAR_PRECONDITION(u.rest.empty() || u.rest.size() == u.positions.size(),
                        "DynamicMeshUpdate: rest count");
    needed += u.positions.size() * sizeof(Vertex) + u.indices.size() * sizeof(uint32_t);
  }
  if (needed == 0) return uint64_t{0};
  if (slot.staging.size < needed) {
    detail::destroyBuffer(device, slot.staging);  // this slot's previous frame has finished
    auto staging = detail::createBuffer(ctx->physicalDevice(), device, needed + needed / 2,
                                        VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true);
    if (!staging) return staging.error();
    slot.staging = staging.value();
  }

  // The previous frame may still read these buffers on the GPU: order our writes after it.
  VkMemoryBarrier before{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  before.srcAccessMask = 0;  // write-after-read: an execution dependency suffices
  before.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before,
                       0, nullptr, 0, nullptr);

  auto* base = static_cast<uint8_t*>(slot.staging.mapped);
  VkDeviceSize offset = 0;
  for (const DynamicMeshUpdate& u : updates) {
    GpuMesh& mesh = meshes[u.mesh.value];
    const uint32_t n = static_cast<uint32_t>(u.positions.size());
    const bool newTopology = !mesh.hasTopology || u.topologyVersion != mesh.topologyVersion;
    const VkDeviceSize vertexBytes = VkDeviceSize{n} * sizeof(Vertex);
    if (mesh.vertices.size < vertexBytes || !mesh.vertices.buffer) {
      if (mesh.vertices.buffer) {
        detail::Buffer old = mesh.vertices;
        deferred.push_back(
            {frame + settings.framesInFlight, [this, old]() mutable { detail::destroyBuffer(device, old); }});
      }
      auto buffer =
          detail::createBuffer(ctx->physicalDevice(), device, std::max<VkDeviceSize>(vertexBytes * 3 / 2, 64),
                               VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false);
      if (!buffer) return buffer.error();
      mesh.vertices = buffer.value();
    }
    auto* out = reinterpret_cast<Vertex*>(base + offset);
    for (uint32_t i = 0; i < n; ++i) {
      out[i].position = u.positions[i];
      out[i].normal = u.normals[i];
      out[i].uv = u.uvs.empty() ? Vec2(0.0f) : u.uvs[i];
      out[i].stress = u.stress.empty() ? 0.0f : u.stress[i];
      out[i].cut = u.cutEdge.empty() ? 0.0f : u.cutEdge[i];
      out[i].rest = u.rest.empty() ? Vec3(0.0f) : u.rest[i];
    }
    if (n > 0) {
      VkBufferCopy copy{offset, 0, vertexBytes};
      vkCmdCopyBuffer(cmd, slot.staging.buffer, mesh.vertices.buffer, 1, &copy);
    }
    offset += vertexBytes;
    mesh.vertexCount = n;

    if (newTopology) {
      for (uint32_t index : u.indices)
        TROCAR_PRECONDITION(index < n, "DynamicMeshUpdate: index out of range");
      const VkDeviceSize indexBytes = u.indices.size() * sizeof(uint32_t);
      if (mesh.indices.size < indexBytes || !mesh.indices.buffer) {
        if (mesh.indices.buffer) {
          detail::Buffer old = mesh.indices;
          deferred.push_back({frame + settings.framesInFlight,
                              [this, old]() mutable { detail::destroyBuffer(device, old); }});
        }
        auto buffer = detail::createBuffer(
            ctx->physicalDevice(), device, std::max<VkDeviceSize>(indexBytes * 3 / 2, 64),
            VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false);
        if (!buffer) return buffer.error();
        mesh.indices = buffer.value();
      }
      if (indexBytes > 0) {
        std::memcpy(base + offset, u.indices.data(), indexBytes);
        VkBufferCopy copy{offset, 0, indexBytes};
        vkCmdCopyBuffer(cmd, slot.staging.buffer, mesh.indices.buffer, 1, &copy);
      }
      offset += indexBytes;
      mesh.indexCount = static_cast<uint32_t>(u.indices.size());
      mesh.topologyVersion = u.topologyVersion;
      mesh.hasTopology = true;
    }
  }
  VkMemoryBarrier after{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  after.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  after.dstAccessMask = VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT | VK_ACCESS_INDEX_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_VERTEX_INPUT_BIT, 0, 1, &after,
                       0, nullptr, 0, nullptr);
  return uint64_t{offset};
}

uint32_t Renderer::State::drawItems(VkCommandBuffer cmd, const FrameScene& scene, VkPipeline pipeline,
                                    VkDescriptorSet frameSet, uint32_t pass) {
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelineLayout, 0, 1, &frameSet, 0, nullptr);
  VkDescriptorSet boundTexture = VK_NULL_HANDLE;
  uint32_t calls = 0;
  for (const DrawItem& item : scene.draws) {
    TROCAR_PRECONDITION(item.mesh.valid() && item.mesh.value < meshes.size(),
                        "DrawItem names an unknown mesh");
    const GpuMesh& mesh = meshes[item.mesh.value];
    if (mesh.indexCount == 0 || !mesh.vertices.buffer) continue;
    const Material& m = item.material;
    if (!(item.visibility & pass)) continue;
    if (pass == kInEndoscope && m.texture == TextureSource::kEndoscope) continue;  // being written
    VkDescriptorSet texture = whiteSet;
    if (m.texture == TextureSource::kEndoscope && endoscope.set) texture = endoscope.set;
    if (m.texture == TextureSource::kUiPanel && panel.set) texture = panel.set;
    if (texture != boundTexture) {
      vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelineLayout, 1, 1, &texture, 0,
                              nullptr);
      boundTexture = texture;
    }
    DrawConstants pc;
    pc.model = item.model;
    pc.colorRoughness = Vec4(m.color, m.roughness);
    pc.params = Vec4(m.wetness, m.wrap, static_cast<float>(m.shading), static_cast<float>(m.texture));
    pc.damage = Vec4(m.damageColor, m.damageStrength);
    pc.ink = Vec4(0.0f);
    if (m.inkCount > 0 && m.inkWidth > 0.0f && m.inkFirst + m.inkCount <= inkLines.size()) {
      uint32_t chunks = 0;
      for (uint32_t l = m.inkFirst; l < m.inkFirst + m.inkCount; ++l) chunks += inkLines[l].count;
      pc.ink =
          Vec4(static_cast<float>(inkLines[m.inkFirst].first), static_cast<float>(chunks), m.inkWidth, 0.0f);
    }
    vkCmdPushConstants(cmd, pipelineLayout, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0,
                       sizeof(pc), &pc);
    VkDeviceSize zero = 0;
    vkCmdBindVertexBuffers(cmd, 0, 1, &mesh.vertices.buffer, &zero);
    vkCmdBindIndexBuffer(cmd, mesh.indices.buffer, 0, VK_INDEX_TYPE_UINT32);
    vkCmdDrawIndexed(cmd, mesh.indexCount, 1, 0, 0, 0);
    ++calls;
  }
  return calls;
}

namespace {

void setViewport(VkCommandBuffer cmd, VkExtent2D extent) {
  VkViewport viewport{0.0f, 0.0f, static_cast<float>(extent.width), static_cast<float>(extent.height),
                      0.0f, 1.0f};
  VkRect2D scissor{{0, 0}, extent};
  vkCmdSetViewport(cmd, 0, 1, &viewport);
  vkCmdSetScissor(cmd, 0, 1, &scissor);
}

void beginScenePass(VkCommandBuffer cmd, VkRenderPass pass, VkFramebuffer fb, VkExtent2D extent,
                    const Vec4& clear) {
  std::array<VkClearValue, 3> clears{};
  clears[0].color = {{clear.r, clear.g, clear.b, clear.a}};
  clears[1].depthStencil = {1.0f, 0};
  VkRenderPassBeginInfo begin{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  begin.renderPass = pass;
  begin.framebuffer = fb;
  begin.renderArea.extent = extent;
  begin.clearValueCount = static_cast<uint32_t>(clears.size());
  begin.pClearValues = clears.data();
  vkCmdBeginRenderPass(cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
  setViewport(cmd, extent);
}

FrameUniforms uniformsFor(const FrameScene& scene, const View& left, const View& right) {
  FrameUniforms u{};
  u.viewProj[0] = left.projection * left.view;
  u.viewProj[1] = right.projection * right.view;
  u.eye[0] = Vec4(left.eye, 1.0f);
  u.eye[1] = Vec4(right.eye, 1.0f);
  u.lightDir = Vec4(glm::normalize(scene.lightDirection), 0.0f);
  u.lightColor = Vec4(scene.lightColor, scene.headlight);
  u.ambient = Vec4(scene.ambient, 0.0f);
  u.scope = Vec4(scene.scopeLight.intensity, scene.scopeLight.referenceM, scene.scopeLight.vignette, 0.0f);
  bool casts = false;
  for (size_t i = 0; i < scene.shadowCasters.size(); ++i) {
    const ShadowCaster& c = scene.shadowCasters[i];
    u.shadowCast[2 * i] = Vec4(c.a, c.radius);
    u.shadowCast[2 * i + 1] = Vec4(c.b, 0.0f);
    casts = casts || c.radius > 0.0f;
  }
  if (casts) {
    u.shadowLight =
        scene.shadowLight ? Vec4(*scene.shadowLight, 1.0f) : Vec4(glm::normalize(scene.lightDirection), 2.0f);
  }
  return u;
}

// The endoscope's own pass: the scene's lights as the endoscope has them.
FrameScene endoscopeLighting(const FrameScene& scene) {
  FrameScene lit;
  lit.lightDirection = scene.lightDirection;
  lit.lightColor = scene.lightColor;
  lit.ambient = scene.ambient;
  lit.shadowCasters = scene.shadowCasters;
  lit.shadowLight = scene.shadowLight;
  useEndoscopeLighting(lit, *scene.endoscope);
  return lit;
}

}  // namespace

Renderer::Renderer(std::unique_ptr<State> state) : mState(std::move(state)) {}
Renderer::~Renderer() = default;

Result<std::unique_ptr<Renderer>> Renderer::create(Context& ctx, const RendererSettings& settings) {
  TROCAR_PRECONDITION(settings.framesInFlight >= 1 && settings.framesInFlight <= 4,
                      "framesInFlight must be 1..4");
  auto state = std::make_unique<State>();
  state->ctx = &ctx;
  state->settings = settings;
  if (auto r = state->init(); !r) return r.error();
  return std::unique_ptr<Renderer>(new Renderer(std::move(state)));
}

Result<MeshId> Renderer::createMesh(const MeshData& data) {
  State& s = *mState;
  if (data.positions.empty() || data.indices.empty() || data.indices.size() % 3 != 0) {
    return makeError(ErrorCode::kInvalidInput, "mesh has no triangles");
  }
  if (data.normals.size() != data.positions.size() ||
      (!data.uvs.empty() && data.uvs.size() != data.positions.size())) {
    return makeError(ErrorCode::kInvalidInput, "mesh attribute counts differ from its position count");
  }
  for (uint32_t i : data.indices) {
    if (i >= data.positions.size()) return makeError(ErrorCode::kInvalidInput, "mesh index out of range");
  }
  std::vector<Vertex> vertices(data.positions.size());
  for (size_t i = 0; i < vertices.size(); ++i) {
    vertices[i] = {
        data.positions[i], data.normals[i], data.uvs.empty() ? Vec2(0.0f) : data.uvs[i], 0.0f, 0.0f,
        Vec3(0.0f)};
  }
  const VkDeviceSize vertexBytes = vertices.size() * sizeof(Vertex);
  const VkDeviceSize indexBytes = data.indices.size() * sizeof(uint32_t);
  auto staging = detail::createBuffer(s.ctx->physicalDevice(), s.device, vertexBytes + indexBytes,
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true);
  if (!staging) return staging.error();
  detail::Buffer stage = staging.value();
  std::memcpy(stage.mapped, vertices.data(), vertexBytes);
  std::memcpy(static_cast<uint8_t*>(stage.mapped) + vertexBytes, data.indices.data(), indexBytes);
  GpuMesh mesh;
  auto vb = detail::createBuffer(s.ctx->physicalDevice(), s.device, vertexBytes,
                                 VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false);
  auto ib = detail::createBuffer(s.ctx->physicalDevice(), s.device, indexBytes,
                                 VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false);
  Result<void> copied = vb ? (ib ? Result<void>{} : Result<void>{ib.error()}) : Result<void>{vb.error()};
  if (vb) mesh.vertices = vb.value();
  if (ib) mesh.indices = ib.value();
  if (copied) {
    copied = s.ctx->submitAndWait([&](VkCommandBuffer cmd) {
      VkBufferCopy v{0, 0, vertexBytes};
      vkCmdCopyBuffer(cmd, stage.buffer, mesh.vertices.buffer, 1, &v);
      VkBufferCopy i{vertexBytes, 0, indexBytes};
      vkCmdCopyBuffer(cmd, stage.buffer, mesh.indices.buffer, 1, &i);
    });
  }
  detail::destroyBuffer(s.device, stage);
  if (!copied) {
    detail::destroyBuffer(s.device, mesh.vertices);
    detail::destroyBuffer(s.device, mesh.indices);
    return copied.error();
  }
  mesh.vertexCount = static_cast<uint32_t>(vertices.size());
  mesh.indexCount = static_cast<uint32_t>(data.indices.size());
  mesh.hasTopology = true;
  s.meshes.push_back(mesh);
  return MeshId{static_cast<uint32_t>(s.meshes.size() - 1)};
}

MeshId Renderer::createDynamicMesh() {
  GpuMesh mesh;
  mesh.dynamic = true;
  mState->meshes.push_back(mesh);
  return MeshId{static_cast<uint32_t>(mState->meshes.size() - 1)};
}

namespace {
// Blits the panel texture (shader-readable after its pass) into an external target's current
// image, which is left as a colour attachment; the texture goes back to shader-readable.
void copyPanel(VkCommandBuffer cmd, VkImage panel, VkExtent2D extent, const ExternalTarget& out) {
  auto barrier = [&](VkImage image, VkImageLayout from, VkImageLayout to, VkAccessFlags src,
                     VkAccessFlags dst, VkPipelineStageFlags srcStage, VkPipelineStageFlags dstStage) {
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.srcAccessMask = src;
    b.dstAccessMask = dst;
    b.oldLayout = from;
    b.newLayout = to;
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = image;
    b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, srcStage, dstStage, 0, 0, nullptr, 0, nullptr, 1, &b);
  };
  const VkImage image = out.currentImage();
  barrier(panel, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
          VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, VK_ACCESS_TRANSFER_READ_BIT,
          VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
  barrier(image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0,
          VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
  VkImageBlit blit{};
  blit.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  blit.srcOffsets[1] = {static_cast<int32_t>(extent.width), static_cast<int32_t>(extent.height), 1};
  blit.dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  blit.dstOffsets[1] = {static_cast<int32_t>(out.extent().width), static_cast<int32_t>(out.extent().height),
                        1};
  vkCmdBlitImage(cmd, panel, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, image,
                 VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &blit, VK_FILTER_LINEAR);
  barrier(image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
          VK_ACCESS_TRANSFER_WRITE_BIT,
          VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_COLOR_ATTACHMENT_READ_BIT,
          VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT);
  barrier(panel, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
          VK_ACCESS_TRANSFER_READ_BIT, VK_ACCESS_SHADER_READ_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
          VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT);
}
}  // namespace

Result<FrameStats> Renderer::drawFrame(RenderTarget& target, const FrameScene& scene) {
  State& s = *mState;
  const uint32_t slotIndex = static_cast<uint32_t>(s.frame % s.slots.size());
  Slot& slot = s.slots[slotIndex];
  vkWaitForFences(s.device, 1, &slot.fence, VK_TRUE, UINT64_MAX);
  const auto cpuStart = Clock::now();
  s.readTimestamps(slot, slotIndex);
  s.runDeferred(false);

  FrameStats stats;
  stats.frameIndex = s.frame;
  auto acquired = target.acquire(slotIndex);
  if (!acquired) return acquired.error();
  const TargetFrame tf = acquired.value();
  if (tf.skip) {
    stats.skipped = true;
    stats.gpuMs = s.lastGpuMs;
    return stats;
  }
  const bool stereo = target.viewCount() == 2;
  TROCAR_PRECONDITION(!(scene.ui && scene.ui->overlay && stereo), "a HUD overlay needs a mono target");

  auto pipeline = s.pipelineFor(target.renderPass(), target.format(), target.viewCount());
  if (!pipeline) return pipeline.error();
  Result<VkPipeline> endoscopePipeline = VkPipeline{VK_NULL_HANDLE};
  if (scene.endoscope) {
    endoscopePipeline = s.pipelineFor(s.endoscopePass, VK_FORMAT_R8G8B8A8_SRGB, 1);
    if (!endoscopePipeline) return endoscopePipeline.error();
    const VkExtent2D want{scene.endoscope->width, scene.endoscope->height};
    if (s.endoscope.extent.width != want.width || s.endoscope.extent.height != want.height) {
      if (auto r = s.createRenderTexture(s.endoscope, s.endoscopePass, want, true); !r) return r.error();
    }
  }
  if (scene.ui) {
    if (scene.ui->overlay) {
      if (auto r = s.ensureUi(target.hudPass(), target.format()); !r) return r.error();
    } else {
      const VkFormat format = s.uiReady ? s.uiFormat : VK_FORMAT_R8G8B8A8_SRGB;
      if (!s.panelPass) {
        auto pass = detail::createUiPass(s.device, format, true, VK_IMAGE_LAYOUT_UNDEFINED,
                                         VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
        if (!pass) return pass.error();
        s.panelPass = pass.value();
      }
      if (auto r = s.ensureUi(s.panelPass, format); !r) return r.error();
      const VkExtent2D want{scene.ui->width, scene.ui->height};
      if (s.panel.extent.width != want.width || s.panel.extent.height != want.height) {
        if (auto r = s.createRenderTexture(s.panel, s.panelPass, want, false); !r) return r.error();
      }
    }
  }

  // Uniforms for the eye(s) and the endoscope.
  const View& left = scene.views[0];
  const View& right = stereo ? scene.views[1] : scene.views[0];
  FrameUniforms main = uniformsFor(scene, left, right);
  std::memcpy(slot.uniforms.mapped, &main, sizeof(main));
  s.packInk(slot, scene.ink);
  if (scene.endoscope) {
    FrameUniforms scope =
        uniformsFor(endoscopeLighting(scene), scene.endoscope->camera, scene.endoscope->camera);
    std::memcpy(static_cast<uint8_t*>(slot.uniforms.mapped) + kUniformStride, &scope, sizeof(scope));
  }

  VkCommandBuffer cmd = slot.cmd;
  vkResetCommandBuffer(cmd, 0);
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  if (s.queries) {
    vkCmdResetQueryPool(cmd, s.queries, slotIndex * 2, 2);
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, s.queries, slotIndex * 2);
  }
  auto uploaded = s.uploadDynamic(slot, cmd, scene.updates);
  if (!uploaded) {
    vkEndCommandBuffer(cmd);
    return uploaded.error();
  }
  stats.uploadedBytes = uploaded.value();

  if (scene.ui && !scene.ui->overlay) {
    s.recordUi(cmd, *scene.ui, s.panelPass, s.panel.framebuffer, s.panel.extent, true);
    if (scene.uiCopy) copyPanel(cmd, s.panel.color.image, s.panel.extent, *scene.uiCopy);
  }
  if (scene.endoscope) {
    beginScenePass(cmd, s.endoscopePass, s.endoscope.framebuffer, s.endoscope.extent,
                   scene.endoscope->clearColor);
    stats.drawCalls += s.drawItems(cmd, scene, endoscopePipeline.value(), slot.frameSets[1], kInEndoscope);
    vkCmdEndRenderPass(cmd);
  }
  beginScenePass(cmd, target.renderPass(), tf.framebuffer, target.extent(), scene.clearColor);
  stats.drawCalls += s.drawItems(cmd, scene, pipeline.value(), slot.frameSets[0], kInMainView);
  vkCmdEndRenderPass(cmd);
  if (scene.ui && scene.ui->overlay) {
    s.recordUi(cmd, *scene.ui, target.hudPass(), tf.uiFramebuffer, target.extent(), false);
  }
  if (s.queries) vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, s.queries, slotIndex * 2 + 1);
  vkEndCommandBuffer(cmd);

  VkPipelineStageFlags waitStage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.waitSemaphoreCount = tf.waitSemaphore ? 1 : 0;
  submit.pWaitSemaphores = &tf.waitSemaphore;
  submit.pWaitDstStageMask = &waitStage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  submit.signalSemaphoreCount = tf.signalSemaphore ? 1 : 0;
  submit.pSignalSemaphores = &tf.signalSemaphore;
  vkResetFences(s.device, 1, &slot.fence);
  if (VkResult r = vkQueueSubmit(s.ctx->queue(), 1, &submit, slot.fence); r != VK_SUCCESS) {
    return vkError(r, "vkQueueSubmit");
  }
  slot.submitted = true;
  slot.frameIndex = s.frame;
  ++s.frame;
  if (auto r = target.present(tf); !r) return r.error();
  stats.cpuMs = std::chrono::duration<double, std::milli>(Clock::now() - cpuStart).count();
  stats.gpuMs = s.lastGpuMs;
  return stats;
}

void Renderer::finish() {
  State& s = *mState;
  vkDeviceWaitIdle(s.device);
  // The most recently submitted frame's slot holds the newest timings.
  if (s.frame > 0) {
    const uint32_t last = static_cast<uint32_t>((s.frame - 1) % s.slots.size());
    s.readTimestamps(s.slots[last], last);
  }
}

double Renderer::lastGpuMs() const {
  return mState->lastGpuMs;
}

}  // namespace trocar::render
