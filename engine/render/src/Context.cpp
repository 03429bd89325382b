#include <trocar/render/Context.h>

#include <trocar/core/Log.h>

#include "VkUtil.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

namespace trocar::render {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

int typeRank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool hasLayer(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  return std::any_of(layers.begin(), layers.end(),
                     [&](const VkLayerProperties& l) { return std::strcmp(l.layerName, name) == 0; });
}

std::optional<uint32_t> graphicsFamily(VkPhysicalDevice gpu) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(gpu, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(gpu, &count, families.data());
  for (uint32_t i = 0; i < count; ++i) {
    if (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) return i;
  }
  return std::nullopt;
}

Result<VkPhysicalDevice> chooseDevice(VkInstance instance, const std::string& wanted) {
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> gpus(count);
  vkEnumeratePhysicalDevices(instance, &count, gpus.data());
  if (gpus.empty()) {
    return makeError(ErrorCode::kUnavailable, "no Vulkan device found",
                     "install a GPU driver, or mesa-vulkan-drivers for lavapipe (software rendering)");
  }
  VkPhysicalDevice best = VK_NULL_HANDLE;
  int bestRank = 1 << 30;
  std::string names;
  for (VkPhysicalDevice gpu : gpus) {
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(gpu, &props);
    names += names.empty() ? "" : ", ";
    names += props.deviceName;
    if (props.apiVersion < VK_API_VERSION_1_1 || !graphicsFamily(gpu)) continue;
    if (!wanted.empty() && lower(props.deviceName).find(lower(wanted)) == std::string::npos) continue;
    const int rank = typeRank(props.deviceType);
    if (rank < bestRank) {
      best = gpu;
      bestRank = rank;
    }
  }
  if (!best) {
    if (!wanted.empty()) {
      return makeError(ErrorCode::kNotFound, "no Vulkan 1.1 graphics device matches --gpu '" + wanted + "'",
                       "devices present: " + names);
    }
    return makeError(ErrorCode::kUnsupported,
                     "no Vulkan device offers Vulkan 1.1 graphics (found: " + names + ")",
                     "update the GPU driver or install mesa-vulkan-drivers");
  }
  return best;
}

}  // namespace

VKAPI_ATTR VkBool32 VKAPI_CALL Context::onDebugMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                       VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                                       const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                       void* user) {
  auto* self = static_cast<Context*>(user);
  std::string text = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error: " : "warning: ";
  text += data && data->pMessage ? data->pMessage : "(no message)";
  TROCAR_LOG_WARN("vulkan validation %s", text.c_str());
  std::lock_guard lock(self->mMessagesMutex);
  if (self->mSink) self->mSink(text);
  self->mMessages.push_back(std::move(text));
  return VK_FALSE;
}

Result<std::unique_ptr<Context>> Context::create(const ContextSettings& settings) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->mSink = settings.onValidationMessage;
  uint32_t loaderVersion = VK_API_VERSION_1_0;
  vkEnumerateInstanceVersion(&loaderVersion);
  if (loaderVersion < VK_API_VERSION_1_1) {
    return makeError(ErrorCode::kUnsupported, "the Vulkan loader only offers Vulkan 1.0; Trocar needs 1.1",
                     "update libvulkan1");
  }

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  for (const std::string& e : settings.instanceExtensions) extensions.push_back(e.c_str());
  if (settings.validation) {
    if (!hasLayer(kValidationLayer)) {
      return makeError(ErrorCode::kUnavailable, "the Vulkan validation layer is not installed",
                       "apt-get install vulkan-validationlayers (or run without validation)");
    }
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    ctx->mValidation = true;
  }

  VkDebugUtilsMessengerCreateInfoEXT messenger{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger.pfnUserCallback = &Context::onDebugMessage;
  messenger.pUserData = ctx.get();

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "Trocar";
  app.pEngineName = "Trocar";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pNext = settings.validation ? &messenger : nullptr;  // also catches create/destroy messages
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  VkResult r = settings.hooks.createInstance ? settings.hooks.createInstance(info, &ctx->mInstance)
                                             : vkCreateInstance(&info, nullptr, &ctx->mInstance);
  if (r != VK_SUCCESS) return detail::vkError(r, "vkCreateInstance");

  if (settings.validation) {
    auto createMessenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(ctx->mInstance, "vkCreateDebugUtilsMessengerEXT"));
    if (!createMessenger ||
        createMessenger(ctx->mInstance, &messenger, nullptr, &ctx->mMessenger) != VK_SUCCESS) {
      return makeError(ErrorCode::kUnavailable, "cannot create the Vulkan debug messenger");
    }
  }

  auto gpu = settings.hooks.pickPhysicalDevice ? settings.hooks.pickPhysicalDevice(ctx->mInstance)
                                               : chooseDevice(ctx->mInstance, settings.gpuName);
  if (!gpu) return gpu.error();
  ctx->mGpu = gpu.value();
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(ctx->mGpu, &props);
  ctx->mDeviceName = props.deviceName;
  ctx->mSoftware = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;

  auto family = graphicsFamily(ctx->mGpu);
  if (!family) return makeError(ErrorCode::kUnsupported, ctx->mDeviceName + " has no graphics queue");
  ctx->mQueueFamily = *family;
  {
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->mGpu, &count, nullptr);
    std::vector<VkQueueFamilyProperties> families(count);
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->mGpu, &count, families.data());
    if (families[*family].timestampValidBits > 0)
      ctx->mTimestampPeriodNs = static_cast<double>(props.limits.timestampPeriod);
  }

  VkPhysicalDeviceMultiviewFeatures multiviewAvailable{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES};
  VkPhysicalDeviceFeatures2 available{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  available.pNext = &multiviewAvailable;
  vkGetPhysicalDeviceFeatures2(ctx->mGpu, &available);
  if (!multiviewAvailable.multiview) {
    return makeError(ErrorCode::kUnsupported, ctx->mDeviceName + " lacks multiview (stereo in one pass)",
                     "choose another device with --gpu");
  }

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue.queueFamilyIndex = ctx->mQueueFamily;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  VkPhysicalDeviceMultiviewFeatures multiview{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES};
  multiview.multiview = VK_TRUE;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.pNext = &multiview;
  features.features.samplerAnisotropy = available.features.samplerAnisotropy;
  std::vector<const char*> deviceExtensions;
  for (const std::string& e : settings.deviceExtensions) deviceExtensions.push_back(e.c_str());
  if (settings.presentation) deviceExtensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
  // Resolving the multisampled depth into a single-sample image in the scene pass (an OpenXR
  // depth layer): VK_KHR_depth_stencil_resolve, which needs VK_KHR_create_renderpass2.
  {
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(ctx->mGpu, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> offered(count);
    vkEnumerateDeviceExtensionProperties(ctx->mGpu, nullptr, &count, offered.data());
    auto has = [&](const char* name) {
      return std::any_of(offered.begin(), offered.end(), [&](const VkExtensionProperties& e) {
        return std::strcmp(e.extensionName, name) == 0;
      });
    };
    if (has(VK_KHR_CREATE_RENDERPASS_2_EXTENSION_NAME) && has(VK_KHR_DEPTH_STENCIL_RESOLVE_EXTENSION_NAME)) {
      deviceExtensions.push_back(VK_KHR_CREATE_RENDERPASS_2_EXTENSION_NAME);
      deviceExtensions.push_back(VK_KHR_DEPTH_STENCIL_RESOLVE_EXTENSION_NAME);
      ctx->mDepthResolve = true;
    }
  }
  VkDeviceCreateInfo deviceInfo{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  deviceInfo.pNext = &features;
  deviceInfo.queueCreateInfoCount = 1;
  deviceInfo.pQueueCreateInfos = &queue;
  deviceInfo.enabledExtensionCount = static_cast<uint32_t>(deviceExtensions.size());
  deviceInfo.ppEnabledExtensionNames = deviceExtensions.data();
  r = settings.hooks.createDevice ? settings.hooks.createDevice(ctx->mGpu, deviceInfo, &ctx->mDevice)
                                  : vkCreateDevice(ctx->mGpu, &deviceInfo, nullptr, &ctx->mDevice);
  if (r != VK_SUCCESS) return detail::vkError(r, "vkCreateDevice on " + ctx->mDeviceName);
  vkGetDeviceQueue(ctx->mDevice, ctx->mQueueFamily, 0, &ctx->mQueue);
  if (ctx->mDepthResolve) {
    ctx->mCreateRenderPass2 = reinterpret_cast<PFN_vkCreateRenderPass2KHR>(
        vkGetDeviceProcAddr(ctx->mDevice, "vkCreateRenderPass2KHR"));
    ctx->mDepthResolve = ctx->mCreateRenderPass2 != nullptr;
  }

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = ctx->mQueueFamily;
  if (r = vkCreateCommandPool(ctx->mDevice, &pool, nullptr, &ctx->mPool); r != VK_SUCCESS) {
    return detail::vkError(r, "vkCreateCommandPool");
  }
  TROCAR_LOG_INFO("vulkan: rendering on %s%s", ctx->mDeviceName.c_str(),
                  ctx->mValidation ? " (validation on)" : "");
  return ctx;
}

Context::~Context() {
  if (mDevice) {
    vkDeviceWaitIdle(mDevice);
    if (mPool) vkDestroyCommandPool(mDevice, mPool, nullptr);
    vkDestroyDevice(mDevice, nullptr);
  }
  if (mMessenger) {
    auto destroyMessenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(mInstance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroyMessenger) destroyMessenger(mInstance, mMessenger, nullptr);
  }
  if (mInstance) vkDestroyInstance(mInstance, nullptr);
}

std::vector<std::string> Context::validationMessages() const {
  std::lock_guard lock(mMessagesMutex);
  return mMessages;
}

void Context::waitIdle() const {
  if (mDevice) vkDeviceWaitIdle(mDevice);
}

Result<void> Context::submitAndWait(const std::function<void(VkCommandBuffer)>& record) {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = mPool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateCommandBuffers(mDevice, &alloc, &cmd); r != VK_SUCCESS) {
    return detail::vkError(r, "vkAllocateCommandBuffers");
  }
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  record(cmd);
  vkEndCommandBuffer(cmd);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  VkResult r = vkQueueSubmit(mQueue, 1, &submit, VK_NULL_HANDLE);
  if (r == VK_SUCCESS) r = vkQueueWaitIdle(mQueue);
  vkFreeCommandBuffers(mDevice, mPool, 1, &cmd);
  if (r != VK_SUCCESS) return detail::vkError(r, "one-off submit");
  return {};
}

}  // namespace trocar::render
