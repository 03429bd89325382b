#pragma once
// What this machine offers for rendering: the Vulkan instance and its physical devices,
// and whether a display (for a desktop window) is reachable. Used by `trocar doctor` and
// by `trocar run --rig auto`. Both queries are safe on a machine with no GPU, no Vulkan
// loader driver and no display: they return an Error that says why, never crash.

#include <trocar/core/Result.h>

#include <cstdint>
#include <string>
#include <vector>

namespace trocar::render {

struct VulkanDeviceInfo {
  std::string name;           // "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string type;           // "discrete", "integrated", "virtual", "cpu", "other"
  std::string apiVersion;     // "1.3.230"
  std::string driverVersion;  // as the vendor encodes it, best effort
  bool multiview = false;     // VK_KHR_multiview (core in 1.1) usable: stereo in one pass
  uint32_t maxMultiviewViews = 0;
  bool isSoftware = false;  // lavapipe/llvmpipe/swiftshader: fine for tests, never for timings
};

struct VulkanSystemInfo {
  std::string instanceVersion;  // highest instance version the loader supports, "1.3.239"
  std::vector<VulkanDeviceInfo> devices;
};

// Creates a bare instance, lists physical devices, destroys the instance.
Result<VulkanSystemInfo> queryVulkanSystem();

struct DisplayInfo {
  std::string kind;  // "x11" or "wayland"
  std::string name;  // $DISPLAY or $WAYLAND_DISPLAY
  std::string monitor;
  int width = 0;  // primary monitor mode, pixels
  int height = 0;
};

// Tries to connect to a display through GLFW (and disconnects again).
Result<DisplayInfo> queryDisplay();

}  // namespace trocar::render
