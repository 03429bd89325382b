#include <trocar/xr/SystemInfo.h>

#include <openxr/openxr.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace trocar::xr {

std::string xrResultName(int result) {
  switch (static_cast<XrResult>(result)) {
    case XR_SUCCESS: return "XR_SUCCESS";
    case XR_ERROR_RUNTIME_UNAVAILABLE: return "XR_ERROR_RUNTIME_UNAVAILABLE";
    case XR_ERROR_RUNTIME_FAILURE: return "XR_ERROR_RUNTIME_FAILURE";
    case XR_ERROR_INSTANCE_LOST: return "XR_ERROR_INSTANCE_LOST";
    case XR_ERROR_FORM_FACTOR_UNAVAILABLE: return "XR_ERROR_FORM_FACTOR_UNAVAILABLE";
    case XR_ERROR_FORM_FACTOR_UNSUPPORTED: return "XR_ERROR_FORM_FACTOR_UNSUPPORTED";
    case XR_ERROR_EXTENSION_NOT_PRESENT: return "XR_ERROR_EXTENSION_NOT_PRESENT";
    case XR_ERROR_API_LAYER_NOT_PRESENT: return "XR_ERROR_API_LAYER_NOT_PRESENT";
    case XR_ERROR_API_VERSION_UNSUPPORTED: return "XR_ERROR_API_VERSION_UNSUPPORTED";
    case XR_ERROR_INITIALIZATION_FAILED: return "XR_ERROR_INITIALIZATION_FAILED";
    case XR_ERROR_OUT_OF_MEMORY: return "XR_ERROR_OUT_OF_MEMORY";
    default: return "XrResult " + std::to_string(result);
  }
}

void quietOpenXrLoader() {
  setenv("XR_LOADER_DEBUG", "none", 0);
}

Result<OpenXrRuntimeInfo> queryOpenXrRuntime() {
  quietOpenXrLoader();
  const char* manifest = std::getenv("XR_RUNTIME_JSON");
  std::string selected = manifest && *manifest ? std::string(" (XR_RUNTIME_JSON=") + manifest + ")" : "";

  OpenXrRuntimeInfo info;
  uint32_t extensionCount = 0;
  XrResult r = xrEnumerateInstanceExtensionProperties(nullptr, 0, &extensionCount, nullptr);
  if (XR_SUCCEEDED(r) && extensionCount > 0) {
    std::vector<XrExtensionProperties> extensions(extensionCount,
                                                  {XR_TYPE_EXTENSION_PROPERTIES, nullptr, {}, 0});
    r = xrEnumerateInstanceExtensionProperties(nullptr, extensionCount, &extensionCount, extensions.data());
    for (const auto& e : extensions) {
      if (std::strcmp(e.extensionName, "XR_KHR_vulkan_enable2") == 0) info.vulkanEnable2 = true;
    }
  }

  XrInstanceCreateInfo create{XR_TYPE_INSTANCE_CREATE_INFO};
  std::strncpy(create.applicationInfo.applicationName, "trocar doctor", XR_MAX_APPLICATION_NAME_SIZE - 1);
  std::strncpy(create.applicationInfo.engineName, "trocar", XR_MAX_ENGINE_NAME_SIZE - 1);
  create.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
  XrInstance instance = XR_NULL_HANDLE;
  r = xrCreateInstance(&create, &instance);
  if (XR_FAILED(r)) {
    std::string hint = r == XR_ERROR_RUNTIME_UNAVAILABLE
                           ? "no OpenXR runtime is installed or active; start one (SteamVR, Monado, "
                             "Oculus) or set XR_RUNTIME_JSON=/path/to/runtime_manifest.json"
                           : "check the runtime named by XR_RUNTIME_JSON or the active_runtime.json";
    return makeError(ErrorCode::kUnavailable, "xrCreateInstance failed: " + xrResultName(r) + selected, hint);
  }
  XrInstanceProperties props{XR_TYPE_INSTANCE_PROPERTIES};
  if (XR_SUCCEEDED(xrGetInstanceProperties(instance, &props))) {
    info.runtimeName = props.runtimeName;
    info.runtimeVersion = std::to_string(XR_VERSION_MAJOR(props.runtimeVersion)) + "." +
                          std::to_string(XR_VERSION_MINOR(props.runtimeVersion)) + "." +
                          std::to_string(XR_VERSION_PATCH(props.runtimeVersion));
  }
  XrSystemGetInfo systemInfo{XR_TYPE_SYSTEM_GET_INFO};
  systemInfo.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
  XrSystemId system = XR_NULL_SYSTEM_ID;
  r = xrGetSystem(instance, &systemInfo, &system);
  if (XR_SUCCEEDED(r)) {
    info.headsetConnected = true;
    XrSystemProperties systemProps{XR_TYPE_SYSTEM_PROPERTIES};
    if (XR_SUCCEEDED(xrGetSystemProperties(instance, system, &systemProps)))
      info.systemName = systemProps.systemName;
  } else {
    info.headsetReason = "xrGetSystem(HEAD_MOUNTED_DISPLAY) returned " + xrResultName(r) +
                         (r == XR_ERROR_FORM_FACTOR_UNAVAILABLE ? ": connect and wake the headset" : "");
  }
  xrDestroyInstance(instance);
  return info;
}

}  // namespace trocar::xr
