#include <trocar/render/SystemInfo.h>

#include <GLFW/glfw3.h>
#include <vulkan/vulkan.h>

#include <cstdlib>
#include <string>

namespace trocar::render {
namespace {

std::string versionText(uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

const char* deviceTypeName(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

std::string vkResultName(VkResult r) {
  switch (r) {
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    default: return "VkResult " + std::to_string(static_cast<int>(r));
  }
}

}  // namespace

Result<VulkanSystemInfo> queryVulkanSystem() {
  VulkanSystemInfo info;
  uint32_t instanceVersion = VK_API_VERSION_1_0;
  vkEnumerateInstanceVersion(&instanceVersion);
  info.instanceVersion = versionText(instanceVersion);

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "trocar doctor";
  app.apiVersion = instanceVersion >= VK_API_VERSION_1_1 ? VK_API_VERSION_1_1 : VK_API_VERSION_1_0;
  VkInstanceCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  create.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance(&create, nullptr, &instance);
  if (r != VK_SUCCESS) {
    return makeError(ErrorCode::kUnavailable, "cannot create a Vulkan instance: " + vkResultName(r),
                     "install a Vulkan driver (mesa-vulkan-drivers provides lavapipe, a software one)");
  }
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> physical(count);
  if (count > 0) vkEnumeratePhysicalDevices(instance, &count, physical.data());
  for (VkPhysicalDevice device : physical) {
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(device, &props);
    VulkanDeviceInfo d;
    d.name = props.deviceName;
    d.type = deviceTypeName(props.deviceType);
    d.apiVersion = versionText(props.apiVersion);
    d.driverVersion = std::to_string(props.driverVersion);
    d.isSoftware = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    if (props.apiVersion >= VK_API_VERSION_1_1 && app.apiVersion >= VK_API_VERSION_1_1) {
      VkPhysicalDeviceMultiviewFeatures multiview{};
      multiview.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES;
      VkPhysicalDeviceFeatures2 features{};
      features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
      features.pNext = &multiview;
      vkGetPhysicalDeviceFeatures2(device, &features);
      d.multiview = multiview.multiview == VK_TRUE;
      VkPhysicalDeviceMultiviewProperties mvProps{};
      mvProps.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_PROPERTIES;
      VkPhysicalDeviceProperties2 props2{};
      props2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
      props2.pNext = &mvProps;
      vkGetPhysicalDeviceProperties2(device, &props2);
      d.maxMultiviewViews = d.multiview ? mvProps.maxMultiviewViewCount : 0;
    }
    info.devices.push_back(std::move(d));
  }
  vkDestroyInstance(instance, nullptr);
  if (info.devices.empty()) {
    return makeError(ErrorCode::kUnavailable, "the Vulkan loader found no physical device",
                     "install mesa-vulkan-drivers (lavapipe) or a GPU driver");
  }
  return info;
}

Result<DisplayInfo> queryDisplay() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  bool hasX11 = x11 && *x11;
  bool hasWayland = wayland && *wayland;
  if (!hasX11 && !hasWayland) {
    return makeError(ErrorCode::kUnavailable, "no display: neither DISPLAY nor WAYLAND_DISPLAY is set",
                     "run under a desktop session, or `xvfb-run -a trocar ...` for a virtual one");
  }
  glfwSetErrorCallback(nullptr);  // the failure is reported below, not printed by GLFW
  if (glfwInit() != GLFW_TRUE) {
    const char* description = nullptr;
    glfwGetError(&description);
    return makeError(ErrorCode::kUnavailable,
                     std::string("cannot connect to display ") + (hasX11 ? x11 : wayland) + ": " +
                         (description ? description : "glfwInit failed"),
                     "check that the X/Wayland server is running and that you may connect to it");
  }
  DisplayInfo info;
  info.kind = hasX11 ? "x11" : "wayland";
  info.name = hasX11 ? x11 : wayland;
  if (GLFWmonitor* monitor = glfwGetPrimaryMonitor()) {
    if (const char* name = glfwGetMonitorName(monitor)) info.monitor = name;
    if (const GLFWvidmode* mode = glfwGetVideoMode(monitor)) {
      info.width = mode->width;
      info.height = mode->height;
    }
  }
  glfwTerminate();
  return info;
}

}  // namespace trocar::render
