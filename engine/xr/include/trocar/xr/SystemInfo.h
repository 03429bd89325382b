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

// "XR_ERROR_RUNTIME_UNAVAILABLE" etc. for the results Trocar meets; the number otherwise.
std::string xrResultName(int result);

}  // namespace trocar::xr
