// The window (GLFW swapchain, under Xvfb when there is no display) and external-image targets
// (what OpenXR hands over): frames go through them validation-clean, a resize rebuilds the
// swapchain, and externally owned array images receive both eyes.
#include "Display.h"
#include "RenderTestSupport.h"

#include <trocar/render/Scene.h>

#include <GLFW/glfw3.h>

namespace trocar::render::test {
namespace {

FrameScene boxScene(Renderer& renderer) {
  FrameScene scene;
  scene.views[0] =
      viewFromPose(Pose{{0.0f, 0.0f, 0.5f}, Quat(1, 0, 0, 0)}, perspective(0.9f, 1.33f, 0.05f, 10.0f));
  scene.views[1] =
      viewFromPose(Pose{{0.03f, 0.0f, 0.5f}, Quat(1, 0, 0, 0)}, perspective(0.9f, 1.33f, 0.05f, 10.0f));
  Material m;
  m.color = {0.8f, 0.2f, 0.2f};
  scene.draws.push_back({renderer.createMesh(makeBox({0.1f, 0.1f, 0.1f})).value(), Mat4(1.0f), m});
  return scene;
}

class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = ensureDisplay();
    ASSERT_TRUE(why.empty()) << why;
    ASSERT_EQ(glfwInit(), GLFW_TRUE) << "GLFW cannot reach the display";
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    mWindow = glfwCreateWindow(320, 240, "trocar test", nullptr, nullptr);
    ASSERT_NE(mWindow, nullptr);
  }
  void TearDown() override {
    if (mWindow) glfwDestroyWindow(mWindow);
    glfwTerminate();
  }
  GLFWwindow* mWindow = nullptr;
};

TEST_F(WindowTest, RendersPresentsAndRebuildsAfterResize) {
  std::vector<std::string> messages;
  std::mutex mutex;
  {
    ContextSettings cs;
    cs.validation = true;
    cs.presentation = true;
    cs.instanceExtensions = windowInstanceExtensions();
    cs.onValidationMessage = [&](const std::string& m) {
      std::lock_guard lock(mutex);
      messages.push_back(m);
    };
    auto ctx = Context::create(cs);
    ASSERT_TRUE(ctx.ok()) << ctx.error().toString();
    auto renderer = Renderer::create(*ctx.value()).value();
    WindowSettings ws;
    ws.vsync = false;
    auto target = WindowTarget::create(*ctx.value(), mWindow, ws);
    ASSERT_TRUE(target.ok()) << target.error().toString();
    WindowTarget& window = *target.value();
    EXPECT_EQ(window.extent().width, 320u);
    EXPECT_EQ(window.extent().height, 240u);
    EXPECT_NE(window.presentMode(), VK_PRESENT_MODE_FIFO_KHR) << "vsync off picks mailbox or immediate";
    FrameScene scene = boxScene(*renderer);
    for (int i = 0; i < 3; ++i) {
      auto stats = renderer->drawFrame(window, scene);
      ASSERT_TRUE(stats.ok()) << stats.error().toString();
      EXPECT_FALSE(stats.value().skipped);
      glfwPollEvents();
    }
    glfwSetWindowSize(mWindow, 400, 300);
    int w = 0;
    int h = 0;
    for (int i = 0; i < 200 && (w != 400 || h != 300); ++i) {  // the X server answers asynchronously
      glfwWaitEventsTimeout(0.01);
      glfwGetFramebufferSize(mWindow, &w, &h);
    }
    ASSERT_EQ(w, 400);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(renderer->drawFrame(window, scene).ok());
    EXPECT_EQ(window.extent().width, 400u);
    EXPECT_EQ(window.extent().height, 300u);
    EXPECT_GE(window.swapchainRecreations(), 1u);
    renderer->finish();
    EXPECT_GE(renderer->lastGpuMs(), 0.0);
  }
  std::lock_guard lock(mutex);
  for (const std::string& m : messages) ADD_FAILURE() << "Vulkan validation: " << m;
}

class ExternalTest : public RenderTest {};

// Images created by someone else (as an OpenXR runtime does: one image, two layers) get both
// eyes, identical to the offscreen stereo render of the same scene.
TEST_F(ExternalTest, ArrayImagesReceiveBothEyes) {
  VkDevice device = mContext->device();
  const uint32_t w = 128;
  const uint32_t h = 96;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = VK_FORMAT_R8G8B8A8_SRGB;
  info.extent = {w, h, 1};
  info.mipLevels = 1;
  info.arrayLayers = 2;
  info.samples = VK_SAMPLE_COUNT_1_BIT;
  info.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
  VkImage image = VK_NULL_HANDLE;
  ASSERT_EQ(vkCreateImage(device, &info, nullptr, &image), VK_SUCCESS);
  VkMemoryRequirements req{};
  vkGetImageMemoryRequirements(device, image, &req);
  VkPhysicalDeviceMemoryProperties props{};
  vkGetPhysicalDeviceMemoryProperties(mContext->physicalDevice(), &props);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    if (req.memoryTypeBits & (1u << i)) {
      alloc.memoryTypeIndex = i;
      break;
    }
  }
  VkDeviceMemory memory = VK_NULL_HANDLE;
  ASSERT_EQ(vkAllocateMemory(device, &alloc, nullptr, &memory), VK_SUCCESS);
  vkBindImageMemory(device, image, memory, 0);

  ExternalSettings es;
  es.images = {image};
  es.width = w;
  es.height = h;
  es.views = 2;
  auto external = ExternalTarget::create(*mContext, es);
  ASSERT_TRUE(external.ok()) << external.error().toString();
  ExternalTarget& target = keep(std::move(external.value()));
  target.setImageIndex(0);
  FrameScene scene = boxScene(*mRenderer);
  ASSERT_TRUE(mRenderer->drawFrame(target, scene).ok());
  mRenderer->finish();

  // Read both layers back: COLOR_ATTACHMENT_OPTIMAL (as the runtime receives it) -> transfer.
  VkBufferCreateInfo bufferInfo{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bufferInfo.size = VkDeviceSize{w} * h * 4 * 2;
  bufferInfo.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  ASSERT_EQ(vkCreateBuffer(device, &bufferInfo, nullptr, &buffer), VK_SUCCESS);
  vkGetBufferMemoryRequirements(device, buffer, &req);
  VkMemoryAllocateInfo hostAlloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  hostAlloc.allocationSize = req.size;
  for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    const auto want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    if ((req.memoryTypeBits & (1u << i)) && (props.memoryTypes[i].propertyFlags & want) == want) {
      hostAlloc.memoryTypeIndex = i;
      break;
    }
  }
  VkDeviceMemory hostMemory = VK_NULL_HANDLE;
  ASSERT_EQ(vkAllocateMemory(device, &hostAlloc, nullptr, &hostMemory), VK_SUCCESS);
  vkBindBufferMemory(device, buffer, hostMemory, 0);
  auto copied = mContext->submitAndWait([&](VkCommandBuffer cmd) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    barrier.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 2};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         0, 0, nullptr, 0, nullptr, 1, &barrier);
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2};
    copy.imageExtent = {w, h, 1};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &copy);
  });
  ASSERT_TRUE(copied.ok());
  void* mapped = nullptr;
  vkMapMemory(device, hostMemory, 0, VK_WHOLE_SIZE, 0, &mapped);
  std::array<ImageRgba8, 2> eyes;
  for (uint32_t layer = 0; layer < 2; ++layer) {
    eyes[layer].width = w;
    eyes[layer].height = h;
    const auto* bytes = static_cast<const uint8_t*>(mapped) + size_t{layer} * w * h * 4;
    eyes[layer].pixels.assign(bytes, bytes + size_t{w} * h * 4);
  }
  vkUnmapMemory(device, hostMemory);
  vkDestroyBuffer(device, buffer, nullptr);
  vkFreeMemory(device, hostMemory, nullptr);

  for (uint32_t eye = 0; eye < 2; ++eye) {
    const ImageRgba8 expected = render(scene, w, h, 2, eye);
    EXPECT_EQ(compareImages(expected, eyes[eye], 0).differingPixels, 0u) << "eye " << eye;
  }
  EXPECT_GT(compareImages(eyes[0], eyes[1], 10).differingPixels, 100u) << "the eyes differ";
  mTargets.clear();
  vkDestroyImage(device, image, nullptr);
  vkFreeMemory(device, memory, nullptr);
}

}  // namespace
}  // namespace trocar::render::test
