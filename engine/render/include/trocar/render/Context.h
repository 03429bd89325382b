#pragma once
// The Vulkan context: instance (with the Khronos validation layer and a debug messenger when
// asked), the physical device, one graphics queue, and a command pool for one-off work.
//
// Device choice: a discrete GPU first, then integrated, virtual, then CPU (lavapipe);
// `gpuName` (case-insensitive substring, `trocar run --gpu NAME`) overrides it. With no Vulkan
// device at all, create() returns an Error that says so and what to install.
//
// OpenXR (XR_KHR_vulkan_enable2) must create the instance and device itself from the
// application's create-infos; VulkanHooks lets it do so while this class still chooses the
// layers, extensions and features. Thread: create and use from one thread (the render thread).

#include <trocar/core/Result.h>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace trocar::render {

// Replaces how the instance/device are made (OpenXR runtimes). Any hook left empty uses plain
// Vulkan. Each receives the create-info this context built and must honour it.
struct VulkanHooks {
  std::function<VkResult(const VkInstanceCreateInfo&, VkInstance*)> createInstance;
  std::function<Result<VkPhysicalDevice>(VkInstance)> pickPhysicalDevice;
  std::function<VkResult(VkPhysicalDevice, const VkDeviceCreateInfo&, VkDevice*)> createDevice;
};

struct ContextSettings {
  bool validation = false;  // enable VK_LAYER_KHRONOS_validation; every warning/error is recorded
  std::string gpuName;      // empty: best device by type
  std::vector<std::string> instanceExtensions;  // e.g. what GLFW needs for a window surface
  std::vector<std::string> deviceExtensions;    // beyond what the renderer needs itself
  bool presentation = false;                    // VK_KHR_swapchain on the device (window target)
  VulkanHooks hooks;
  // Also called with every validation message, including those reported while the context
  // itself is destroyed (leaked objects): tests keep their own list with this.
  std::function<void(const std::string&)> onValidationMessage;
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(const ContextSettings& settings);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkInstance instance() const { return mInstance; }
  VkPhysicalDevice physicalDevice() const { return mGpu; }
  VkDevice device() const { return mDevice; }
  VkQueue queue() const { return mQueue; }
  uint32_t queueFamily() const { return mQueueFamily; }
  VkCommandPool commandPool() const { return mPool; }

  const std::string& deviceName() const { return mDeviceName; }
  bool isSoftware() const { return mSoftware; }
  bool validationEnabled() const { return mValidation; }
  bool timestampsSupported() const { return mTimestampPeriodNs > 0.0; }
  double timestampPeriodNs() const { return mTimestampPeriodNs; }
  // The device resolves multisampled depth in a render pass (VK_KHR_depth_stencil_resolve, enabled
  // when offered): what a target needs to hand a single-sample depth image on (OpenXR depth layers).
  bool depthResolveSupported() const { return mDepthResolve; }
  PFN_vkCreateRenderPass2KHR createRenderPass2() const { return mCreateRenderPass2; }

  // Validation-layer warnings and errors seen so far (thread-safe; the layer may call back
  // from any thread). Tests fail on any.
  std::vector<std::string> validationMessages() const;

  // Records one command buffer, submits it and waits for the queue: uploads and readback.
  Result<void> submitAndWait(const std::function<void(VkCommandBuffer)>& record);

  void waitIdle() const;

 private:
  Context() = default;
  static VKAPI_ATTR VkBool32 VKAPI_CALL onDebugMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                       VkDebugUtilsMessageTypeFlagsEXT types,
                                                       const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                       void* user);

  VkInstance mInstance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT mMessenger = VK_NULL_HANDLE;
  VkPhysicalDevice mGpu = VK_NULL_HANDLE;
  VkDevice mDevice = VK_NULL_HANDLE;
  VkQueue mQueue = VK_NULL_HANDLE;
  uint32_t mQueueFamily = 0;
  VkCommandPool mPool = VK_NULL_HANDLE;
  std::string mDeviceName;
  bool mSoftware = false;
  bool mValidation = false;
  double mTimestampPeriodNs = 0.0;
  bool mDepthResolve = false;
  PFN_vkCreateRenderPass2KHR mCreateRenderPass2 = nullptr;
  std::function<void(const std::string&)> mSink;
  mutable std::mutex mMessagesMutex;
  std::vector<std::string> mMessages;
};

}  // namespace trocar::render
