#pragma once
// Whether an OpenXR runtime answers, through the real Khronos loader. Used by
// `trocar doctor` and `trocar run --rig auto`. With no runtime installed (Debian ships
// none) this returns kUnavailable naming XR_ERROR_RUNTIME_UNAVAILABLE and the
// XR_RUNTIME_JSON hint; it never crashes.

#include <trocar/core/Result.h>

#include <string>

namespace trocar::xr {

struct OpenXrRuntimeInfo {
  std::string runtimeName;     // "Monado", "SteamVR/OpenXR", ...
  std::string runtimeVersion;  // "21.0.0"
  bool vulkanEnable2 = false;  // XR_KHR_vulkan_enable2 offered (Trocar needs it)
  bool headsetConnected = false;
  std::string systemName;     // HMD system name when connected
  std::string headsetReason;  // why headsetConnected is false, when it is
};

Result<OpenXrRuntimeInfo> queryOpenXrRuntime();

// The Khronos loader prints its own errors to stderr when no runtime is installed; Trocar turns
// its Error into one line instead. Sets XR_LOADER_DEBUG=none unless the user set it. Call
// before the first OpenXR call.
void quietOpenXrLoader();

// "XR_ERROR_RUNTIME_UNAVAILABLE" etc. for the results Trocar meets; the number otherwise.
std::string xrResultName(int result);

}  // namespace trocar::xr
