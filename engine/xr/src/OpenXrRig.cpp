#include <trocar/xr/OpenXrRig.h>

#include <trocar/core/Log.h>
#include <trocar/xr/SystemInfo.h>

#define XR_USE_GRAPHICS_API_VULKAN
#include <vulkan/vulkan.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <vector>
#include <chrono>
#include <cstring>
#include <thread>

namespace trocar::xr {
namespace {

constexpr int64_t kHoldNs = 1'000'000'000;  // a button held this long acts (end, quit, new attempt)

Pose toPose(const XrPosef& p) {
  return {Vec3(p.position.x, p.position.y, p.position.z),
          Quat(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z)};
}

XrPosef identityPose() {
  XrPosef p{};
  p.orientation.w = 1.0f;
  return p;
}

const char* stateName(XrSessionState s) {
  switch (s) {
    case XR_SESSION_STATE_IDLE: return "IDLE";
    case XR_SESSION_STATE_READY: return "READY";
    case XR_SESSION_STATE_SYNCHRONIZED: return "SYNCHRONIZED";
    case XR_SESSION_STATE_VISIBLE: return "VISIBLE";
    case XR_SESSION_STATE_FOCUSED: return "FOCUSED";
    case XR_SESSION_STATE_STOPPING: return "STOPPING";
    case XR_SESSION_STATE_LOSS_PENDING: return "LOSS_PENDING";
    case XR_SESSION_STATE_EXITING: return "EXITING";
    default: return "UNKNOWN";
  }
}

Error xrError(XrResult r, const std::string& what) {
  return makeError(r == XR_ERROR_RUNTIME_UNAVAILABLE || r == XR_ERROR_FORM_FACTOR_UNAVAILABLE ||
                           r == XR_ERROR_INSTANCE_LOST || r == XR_ERROR_SESSION_LOST
                       ? ErrorCode::kUnavailable
                       : ErrorCode::kUnsupported,
                   what + " failed: " + xrResultName(r));
}

// One suggested binding: action name -> path under /user/hand/<hand>/.
struct BindingSpec {
  const char* action;
  const char* hand;  // "left", "right" or "both"
  const char* input;
};

struct ProfileSpec {
  const char* profile;
  std::vector<BindingSpec> bindings;
};

// What each controller family offers for Trocar's actions (OpenXR spec, section 6.4).
const std::vector<ProfileSpec>& profileSpecs() {
  static const std::vector<ProfileSpec> specs = {
      {"/interaction_profiles/khr/simple_controller",
       {{"trigger", "both", "input/select/click"},
        {"menu", "both", "input/menu/click"},
        {"grip_pose", "both", "input/grip/pose"},
        {"aim_pose", "both", "input/aim/pose"},
        {"haptic", "both", "output/haptic"}}},
      {"/interaction_profiles/oculus/touch_controller",
       {{"trigger", "both", "input/trigger/value"},
        {"squeeze", "both", "input/squeeze/value"},
        {"primary", "left", "input/x/click"},
        {"secondary", "left", "input/y/click"},
        {"primary", "right", "input/a/click"},
        {"secondary", "right", "input/b/click"},
        {"menu", "left", "input/menu/click"},
        {"grip_pose", "both", "input/grip/pose"},
        {"aim_pose", "both", "input/aim/pose"},
        {"haptic", "both", "output/haptic"}}},
      {"/interaction_profiles/valve/index_controller",
       {{"trigger", "both", "input/trigger/value"},
        {"squeeze", "both", "input/squeeze/value"},
        {"primary", "both", "input/a/click"},
        {"secondary", "both", "input/b/click"},
        {"grip_pose", "both", "input/grip/pose"},
        {"aim_pose", "both", "input/aim/pose"},
        {"haptic", "both", "output/haptic"}}},
      {"/interaction_profiles/htc/vive_controller",
       {{"trigger", "both", "input/trigger/value"},
        {"squeeze", "both", "input/squeeze/click"},
        {"primary", "both", "input/trackpad/click"},
        {"menu", "both", "input/menu/click"},
        {"grip_pose", "both", "input/grip/pose"},
        {"aim_pose", "both", "input/aim/pose"},
        {"haptic", "both", "output/haptic"}}},
      {"/interaction_profiles/microsoft/motion_controller",
       {{"trigger", "both", "input/trigger/value"},
        {"squeeze", "both", "input/squeeze/click"},
        {"primary", "both", "input/thumbstick/click"},
        {"secondary", "both", "input/trackpad/click"},
        {"menu", "both", "input/menu/click"},
        {"grip_pose", "both", "input/grip/pose"},
        {"aim_pose", "both", "input/aim/pose"},
        {"haptic", "both", "output/haptic"}}},
  };
  return specs;
}

}  // namespace

struct OpenXrRig::State {
  OpenXrSettings settings;
  XrInstance instance = XR_NULL_HANDLE;
  XrSystemId system = XR_NULL_SYSTEM_ID;
  std::string runtimeName;
  PFN_xrCreateVulkanInstanceKHR createVulkanInstance = nullptr;
  PFN_xrCreateVulkanDeviceKHR createVulkanDevice = nullptr;
  PFN_xrGetVulkanGraphicsDevice2KHR getVulkanDevice = nullptr;
  PFN_xrGetVulkanGraphicsRequirements2KHR getRequirements = nullptr;

  render::Context* ctx = nullptr;
  XrSession session = XR_NULL_HANDLE;
  XrSessionState state = XR_SESSION_STATE_UNKNOWN;
  bool sessionRunning = false;
  bool ended = false;  // exiting, lost, or instance lost: no more frames
  XrSpace appSpace = XR_NULL_HANDLE;
  XrSpace viewSpace = XR_NULL_HANDLE;
  XrSwapchain swapchain = XR_NULL_HANDLE;
  uint32_t width = 0;
  uint32_t height = 0;
  std::unique_ptr<render::ExternalTarget> target;
  // The UI panel's quad layer: its own swapchain and target; where it hangs this frame.
  XrSwapchain panelSwapchain = XR_NULL_HANDLE;
  std::unique_ptr<render::ExternalTarget> panelTarget;
  bool panelAcquired = false;
  std::optional<Pose> panelPose;
  Vec2 panelSize{0.0f};
  static constexpr uint32_t kPanelWidth = 640, kPanelHeight = 480;
  // Depth for each eye (XR_KHR_composition_layer_depth, where offered): the runtime reprojects
  // with it and keeps quad layers behind what is nearer. Its own swapchain, two layers, D32,
  // in the depth range the frames ask the eyes' projections to use.
  bool depthExtension = false;
  XrSwapchain depthSwapchain = XR_NULL_HANDLE;
  bool depthAcquired = false;
  static constexpr float kNearM = 0.02f, kFarM = 30.0f;

  XrActionSet actionSet = XR_NULL_HANDLE;
  XrAction gripPose = XR_NULL_HANDLE, aimPose = XR_NULL_HANDLE, trigger = XR_NULL_HANDLE,
           squeeze = XR_NULL_HANDLE, primary = XR_NULL_HANDLE, secondary = XR_NULL_HANDLE,
           menu = XR_NULL_HANDLE, haptic = XR_NULL_HANDLE;
  std::array<XrPath, 2> handPaths{};
  std::array<XrSpace, 2> gripSpaces{};
  std::array<XrSpace, 2> aimSpaces{};

  // The frame in progress.
  XrFrameState frameState{XR_TYPE_FRAME_STATE};
  bool frameBegun = false;
  bool imageAcquired = false;
  std::array<XrView, 2> views{{{XR_TYPE_VIEW}, {XR_TYPE_VIEW}}};
  // The last views whose pose the runtime said was valid (what is drawn and submitted).
  std::array<XrView, 2> goodViews{{{XR_TYPE_VIEW}, {XR_TYPE_VIEW}}};
  bool hasOrientation = false, hasPosition = false;
  OpenXrStats stats;
  XrEnvironmentBlendMode blendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
  // Held buttons: the left menu (a press pauses or resumes; held 1 s, ends the attempt or, in
  // its debrief, quits) and A / X (held 1 s: a new attempt). When each went down (display ns),
  // and whether its hold already acted.
  std::optional<int64_t> menuSince, primarySince;
  bool menuHeldActed = false, primaryHeldActed = false;

  XrResult createAction(const char* name, XrActionType type, XrAction* out) {
    XrActionCreateInfo info{XR_TYPE_ACTION_CREATE_INFO};
    std::strncpy(info.actionName, name, XR_MAX_ACTION_NAME_SIZE - 1);
    std::strncpy(info.localizedActionName, name, XR_MAX_LOCALIZED_ACTION_NAME_SIZE - 1);
    info.actionType = type;
    info.countSubactionPaths = 2;
    info.subactionPaths = handPaths.data();
    return xrCreateAction(actionSet, &info, out);
  }

  XrAction actionNamed(const std::string& name) const {
    if (name == "grip_pose") return gripPose;
    if (name == "aim_pose") return aimPose;
    if (name == "trigger") return trigger;
    if (name == "squeeze") return squeeze;
    if (name == "primary") return primary;
    if (name == "secondary") return secondary;
    if (name == "menu") return menu;
    return haptic;
  }

  Result<void> createActions() {
    xrStringToPath(instance, "/user/hand/left", &handPaths[0]);
    xrStringToPath(instance, "/user/hand/right", &handPaths[1]);
    XrActionSetCreateInfo setInfo{XR_TYPE_ACTION_SET_CREATE_INFO};
    std::strcpy(setInfo.actionSetName, "trocar");
    std::strcpy(setInfo.localizedActionSetName, "Trocar instruments");
    if (XrResult r = xrCreateActionSet(instance, &setInfo, &actionSet); XR_FAILED(r)) {
      return xrError(r, "xrCreateActionSet");
    }
    const std::pair<const char*, std::pair<XrActionType, XrAction*>> actions[] = {
        {"grip_pose", {XR_ACTION_TYPE_POSE_INPUT, &gripPose}},
        {"aim_pose", {XR_ACTION_TYPE_POSE_INPUT, &aimPose}},
        {"trigger", {XR_ACTION_TYPE_FLOAT_INPUT, &trigger}},
        {"squeeze", {XR_ACTION_TYPE_FLOAT_INPUT, &squeeze}},
        {"primary", {XR_ACTION_TYPE_BOOLEAN_INPUT, &primary}},
        {"secondary", {XR_ACTION_TYPE_BOOLEAN_INPUT, &secondary}},
        {"menu", {XR_ACTION_TYPE_BOOLEAN_INPUT, &menu}},
        {"haptic", {XR_ACTION_TYPE_VIBRATION_OUTPUT, &haptic}},
    };
    for (const auto& [name, spec] : actions) {
      if (XrResult r = createAction(name, spec.first, spec.second); XR_FAILED(r)) {
        return xrError(r, std::string("xrCreateAction ") + name);
      }
    }
    // Suggest every profile; a runtime that does not know one refuses only that one.
    for (const ProfileSpec& p : profileSpecs()) {
      std::vector<XrActionSuggestedBinding> bindings;
      for (const BindingSpec& b : p.bindings) {
        for (const char* hand : {"left", "right"}) {
          if (std::strcmp(b.hand, "both") != 0 && std::strcmp(b.hand, hand) != 0) continue;
          XrPath path = XR_NULL_PATH;
          const std::string text = std::string("/user/hand/") + hand + "/" + b.input;
          xrStringToPath(instance, text.c_str(), &path);
          bindings.push_back({actionNamed(b.action), path});
        }
      }
      XrPath profile = XR_NULL_PATH;
      xrStringToPath(instance, p.profile, &profile);
      XrInteractionProfileSuggestedBinding suggested{XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING};
      suggested.interactionProfile = profile;
      suggested.countSuggestedBindings = static_cast<uint32_t>(bindings.size());
      suggested.suggestedBindings = bindings.data();
      const XrResult r = xrSuggestInteractionProfileBindings(instance, &suggested);
      if (XR_SUCCEEDED(r)) {
        stats.acceptedProfiles.emplace_back(p.profile);
      } else {
        TROCAR_LOG_WARN("openxr: runtime refused bindings for %s: %s", p.profile, xrResultName(r).c_str());
      }
    }
    for (size_t h = 0; h < 2; ++h) {
      XrActionSpaceCreateInfo spaceInfo{XR_TYPE_ACTION_SPACE_CREATE_INFO};
      spaceInfo.subactionPath = handPaths[h];
      spaceInfo.poseInActionSpace = identityPose();
      spaceInfo.action = gripPose;
      if (XrResult r = xrCreateActionSpace(session, &spaceInfo, &gripSpaces[h]); XR_FAILED(r)) {
        return xrError(r, "xrCreateActionSpace");
      }
      spaceInfo.action = aimPose;
      if (XrResult r = xrCreateActionSpace(session, &spaceInfo, &aimSpaces[h]); XR_FAILED(r)) {
        return xrError(r, "xrCreateActionSpace");
      }
    }
    XrSessionActionSetsAttachInfo attach{XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO};
    attach.countActionSets = 1;
    attach.actionSets = &actionSet;
    if (XrResult r = xrAttachSessionActionSets(session, &attach); XR_FAILED(r)) {
      return xrError(r, "xrAttachSessionActionSets");
    }
    return {};
  }

  // Handles every pending event; returns false when the instance is lost.
  void pollEvents() {
    XrEventDataBuffer event{XR_TYPE_EVENT_DATA_BUFFER};
    while (xrPollEvent(instance, &event) == XR_SUCCESS) {
      if (event.type == XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING) {
        TROCAR_LOG_WARN("openxr: the runtime is going away (instance loss pending); ending the session");
        stats.sessionLost = true;
        ended = true;
      } else if (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
        const auto& changed = reinterpret_cast<const XrEventDataSessionStateChanged&>(event);
        state = changed.state;
        stats.states.emplace_back(stateName(state));
        TROCAR_LOG_INFO("openxr: session %s", stateName(state));
        switch (state) {
          case XR_SESSION_STATE_READY: {
            XrSessionBeginInfo begin{XR_TYPE_SESSION_BEGIN_INFO};
            begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
            if (XR_SUCCEEDED(xrBeginSession(session, &begin))) sessionRunning = true;
            break;
          }
          case XR_SESSION_STATE_STOPPING:
            xrEndSession(session);
            sessionRunning = false;
            break;
          case XR_SESSION_STATE_EXITING: ended = true; break;
          case XR_SESSION_STATE_LOSS_PENDING:
            TROCAR_LOG_WARN("openxr: session lost (headset disconnected?); ending the session");
            stats.sessionLost = true;
            if (sessionRunning) sessionRunning = false;
            ended = true;
            break;
          default: break;
        }
      }
      event = XrEventDataBuffer{XR_TYPE_EVENT_DATA_BUFFER};
    }
  }

  // The depth swapchain's images where the runtime takes depth (the extension, a D32 format) and
  // the device can resolve the scene's multisampled depth into them; none otherwise.
  std::vector<VkImage> createDepthSwapchain(const std::vector<int64_t>& formats) {
    if (!depthExtension) return {};
    const char* why = nullptr;
    if (!ctx->depthResolveSupported()) {
      why = "the Vulkan device cannot resolve depth (VK_KHR_depth_stencil_resolve)";
    } else if (std::find(formats.begin(), formats.end(), int64_t{VK_FORMAT_D32_SFLOAT}) == formats.end()) {
      why = "the runtime offers no VK_FORMAT_D32_SFLOAT swapchain";
    }
    std::vector<VkImage> images;
    if (!why) {
      XrSwapchainCreateInfo sc{XR_TYPE_SWAPCHAIN_CREATE_INFO};
      sc.usageFlags = XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
      sc.format = VK_FORMAT_D32_SFLOAT;
      sc.sampleCount = 1;
      sc.width = width;
      sc.height = height;
      sc.faceCount = 1;
      sc.arraySize = 2;
      sc.mipCount = 1;
      uint32_t count = 0;
      if (XR_FAILED(xrCreateSwapchain(session, &sc, &depthSwapchain)) ||
          XR_FAILED(xrEnumerateSwapchainImages(depthSwapchain, 0, &count, nullptr)) || count == 0) {
        why = "the runtime refused a depth swapchain";
      } else {
        std::vector<XrSwapchainImageVulkanKHR> depthImages(count, {XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR});
        if (XR_FAILED(xrEnumerateSwapchainImages(
                depthSwapchain, count, &count,
                reinterpret_cast<XrSwapchainImageBaseHeader*>(depthImages.data())))) {
          why = "the runtime's depth swapchain has no images";
        }
        for (const auto& i : depthImages) images.push_back(i.image);
      }
    }
    if (why) {
      TROCAR_LOG_INFO("openxr: no depth submitted (%s): the runtime reprojects without it", why);
      if (depthSwapchain) xrDestroySwapchain(depthSwapchain);
      depthSwapchain = XR_NULL_HANDLE;
      return {};
    }
    return images;
  }

  // The next image of `chain`, acquired and waited for; `what` names the swapchain in errors.
  static Result<uint32_t> acquireImage(XrSwapchain chain, bool& acquired, const char* what) {
    uint32_t index = 0;
    XrSwapchainImageAcquireInfo acquire{XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO};
    if (XrResult r = xrAcquireSwapchainImage(chain, &acquire, &index); XR_FAILED(r))
      return xrError(r, std::string("xrAcquireSwapchainImage") + what);
    acquired = true;
    XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
    wait.timeout = XR_INFINITE_DURATION;
    if (XrResult r = xrWaitSwapchainImage(chain, &wait); XR_FAILED(r))
      return xrError(r, std::string("xrWaitSwapchainImage") + what);
    return index;
  }
  // Hands an acquired image back (nothing when none is held).
  static Result<void> releaseImage(XrSwapchain chain, bool& acquired, const char* what) {
    if (!acquired) return {};
    acquired = false;
    XrSwapchainImageReleaseInfo release{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
    if (XrResult r = xrReleaseSwapchainImage(chain, &release); XR_FAILED(r))
      return xrError(r, std::string("xrReleaseSwapchainImage") + what);
    return {};
  }

  void destroySession() {
    (void)releaseImage(swapchain, imageAcquired, "");
    (void)releaseImage(panelSwapchain, panelAcquired, " (panel)");
    (void)releaseImage(depthSwapchain, depthAcquired, " (depth)");
    if (ctx) ctx->waitIdle();
    target.reset();
    panelTarget.reset();
    if (swapchain) xrDestroySwapchain(swapchain);
    swapchain = XR_NULL_HANDLE;
    if (panelSwapchain) xrDestroySwapchain(panelSwapchain);
    panelSwapchain = XR_NULL_HANDLE;
    if (depthSwapchain) xrDestroySwapchain(depthSwapchain);
    depthSwapchain = XR_NULL_HANDLE;
    for (XrSpace& s : gripSpaces) {
      if (s) xrDestroySpace(s);
      s = XR_NULL_HANDLE;
    }
    for (XrSpace& s : aimSpaces) {
      if (s) xrDestroySpace(s);
      s = XR_NULL_HANDLE;
    }
    if (viewSpace) xrDestroySpace(viewSpace);
    if (appSpace) xrDestroySpace(appSpace);
    viewSpace = appSpace = XR_NULL_HANDLE;
    if (actionSet) xrDestroyActionSet(actionSet);
    actionSet = XR_NULL_HANDLE;
    if (session) xrDestroySession(session);
    session = XR_NULL_HANDLE;
    ctx = nullptr;  // the device may be gone after stop()
  }

  ~State() {
    destroySession();
    if (instance) xrDestroyInstance(instance);
  }
};

OpenXrRig::OpenXrRig(std::unique_ptr<State> state) : mState(std::move(state)) {}
OpenXrRig::~OpenXrRig() = default;

Result<std::unique_ptr<OpenXrRig>> OpenXrRig::create(const OpenXrSettings& settings) {
  auto s = std::make_unique<State>();
  s->settings = settings;
  quietOpenXrLoader();
  std::vector<const char*> extensions{XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME};
  {
    uint32_t count = 0;
    xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr);
    std::vector<XrExtensionProperties> offered(count, {XR_TYPE_EXTENSION_PROPERTIES});
    if (count > 0 &&
        XR_SUCCEEDED(xrEnumerateInstanceExtensionProperties(nullptr, count, &count, offered.data()))) {
      s->depthExtension = std::any_of(offered.begin(), offered.end(), [](const XrExtensionProperties& e) {
        return std::strcmp(e.extensionName, XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME) == 0;
      });
    }
    if (s->depthExtension) extensions.push_back(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
  }
  XrInstanceCreateInfo create{XR_TYPE_INSTANCE_CREATE_INFO};
  std::strncpy(create.applicationInfo.applicationName, settings.applicationName.c_str(),
               XR_MAX_APPLICATION_NAME_SIZE - 1);
  std::strncpy(create.applicationInfo.engineName, "Trocar", XR_MAX_ENGINE_NAME_SIZE - 1);
  create.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
  create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  create.enabledExtensionNames = extensions.data();
  XrResult r = xrCreateInstance(&create, &s->instance);
  if (XR_FAILED(r)) {
    const std::string hint =
        r == XR_ERROR_RUNTIME_UNAVAILABLE
            ? "no OpenXR runtime is active: start SteamVR, Monado or the Oculus app, or set "
              "XR_RUNTIME_JSON=/path/to/runtime.json"
        : r == XR_ERROR_EXTENSION_NOT_PRESENT ? "the active runtime lacks XR_KHR_vulkan_enable2; update it"
                                              : "see `trocar doctor`";
    return makeError(ErrorCode::kUnavailable,
                     "OpenXR unavailable: xrCreateInstance returned " + xrResultName(r), hint);
  }
  XrInstanceProperties props{XR_TYPE_INSTANCE_PROPERTIES};
  if (XR_SUCCEEDED(xrGetInstanceProperties(s->instance, &props))) s->runtimeName = props.runtimeName;
  XrSystemGetInfo systemInfo{XR_TYPE_SYSTEM_GET_INFO};
  systemInfo.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
  r = xrGetSystem(s->instance, &systemInfo, &s->system);
  if (XR_FAILED(r)) {
    return makeError(ErrorCode::kUnavailable,
                     "OpenXR runtime '" + s->runtimeName + "' has no headset: " + xrResultName(r),
                     "connect and wake the headset, then try again");
  }
  auto get = [&](const char* name, auto& fn) {
    xrGetInstanceProcAddr(s->instance, name, reinterpret_cast<PFN_xrVoidFunction*>(&fn));
    return fn != nullptr;
  };
  if (!get("xrCreateVulkanInstanceKHR", s->createVulkanInstance) ||
      !get("xrCreateVulkanDeviceKHR", s->createVulkanDevice) ||
      !get("xrGetVulkanGraphicsDevice2KHR", s->getVulkanDevice) ||
      !get("xrGetVulkanGraphicsRequirements2KHR", s->getRequirements)) {
    return makeError(ErrorCode::kUnsupported,
                     "the OpenXR runtime does not provide XR_KHR_vulkan_enable2 functions");
  }
  // How the display combines the picture with the world: opaque (VR) where offered, else what
  // the headset has (additive or alpha-blended see-through displays).
  uint32_t modeCount = 0;
  r = xrEnumerateEnvironmentBlendModes(s->instance, s->system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0,
                                       &modeCount, nullptr);
  std::vector<XrEnvironmentBlendMode> modes(modeCount);
  if (XR_SUCCEEDED(r) && modeCount > 0)
    r = xrEnumerateEnvironmentBlendModes(s->instance, s->system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                                         modeCount, &modeCount, modes.data());
  if (XR_FAILED(r) || modes.empty()) {
    return makeError(ErrorCode::kUnsupported,
                     "OpenXR runtime '" + s->runtimeName + "' offers no environment blend mode for stereo",
                     "update the runtime");
  }
  s->blendMode = std::find(modes.begin(), modes.end(), XR_ENVIRONMENT_BLEND_MODE_OPAQUE) != modes.end()
                     ? XR_ENVIRONMENT_BLEND_MODE_OPAQUE
                     : modes.front();
  if (s->blendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) {
    TROCAR_LOG_INFO("openxr: a see-through display (%s blend): the scene is drawn over the room",
                    s->blendMode == XR_ENVIRONMENT_BLEND_MODE_ADDITIVE ? "additive" : "alpha");
  }
  XrGraphicsRequirementsVulkanKHR req{XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR};
  if (XrResult rr = s->getRequirements(s->instance, s->system, &req); XR_FAILED(rr)) {
    return xrError(rr, "xrGetVulkanGraphicsRequirements2KHR");
  }
  if (XR_VERSION_MAJOR(req.minApiVersionSupported) > 1 || XR_VERSION_MINOR(req.minApiVersionSupported) > 1) {
    return makeError(ErrorCode::kUnsupported, "the OpenXR runtime needs a newer Vulkan than Trocar's 1.1");
  }
  return std::unique_ptr<OpenXrRig>(new OpenXrRig(std::move(s)));
}

std::string OpenXrRig::name() const {
  return "openxr (" + mState->runtimeName + ")";
}
const OpenXrStats& OpenXrRig::stats() const {
  return mState->stats;
}
render::RenderTarget* OpenXrRig::target() {
  return mState->target.get();
}

void OpenXrRig::configureContext(render::ContextSettings& cs) {
  State* s = mState.get();
  cs.hooks.createInstance = [s](const VkInstanceCreateInfo& info, VkInstance* out) {
    XrVulkanInstanceCreateInfoKHR create{XR_TYPE_VULKAN_INSTANCE_CREATE_INFO_KHR};
    create.systemId = s->system;
    create.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
    create.vulkanCreateInfo = &info;
    VkResult vk = VK_SUCCESS;
    const XrResult r = s->createVulkanInstance(s->instance, &create, out, &vk);
    return XR_FAILED(r) ? VK_ERROR_INITIALIZATION_FAILED : vk;
  };
  cs.hooks.pickPhysicalDevice = [s](VkInstance instance) -> Result<VkPhysicalDevice> {
    XrVulkanGraphicsDeviceGetInfoKHR info{XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR};
    info.systemId = s->system;
    info.vulkanInstance = instance;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    if (XrResult r = s->getVulkanDevice(s->instance, &info, &gpu); XR_FAILED(r)) {
      return xrError(r, "xrGetVulkanGraphicsDevice2KHR");
    }
    return gpu;
  };
  cs.hooks.createDevice = [s](VkPhysicalDevice gpu, const VkDeviceCreateInfo& info, VkDevice* out) {
    XrVulkanDeviceCreateInfoKHR create{XR_TYPE_VULKAN_DEVICE_CREATE_INFO_KHR};
    create.systemId = s->system;
    create.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
    create.vulkanPhysicalDevice = gpu;
    create.vulkanCreateInfo = &info;
    VkResult vk = VK_SUCCESS;
    const XrResult r = s->createVulkanDevice(s->instance, &create, out, &vk);
    return XR_FAILED(r) ? VK_ERROR_INITIALIZATION_FAILED : vk;
  };
}

Result<void> OpenXrRig::start(render::Context& context) {
  State& s = *mState;
  s.ctx = &context;
  XrGraphicsBindingVulkanKHR binding{XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR};
  binding.instance = context.instance();
  binding.physicalDevice = context.physicalDevice();
  binding.device = context.device();
  binding.queueFamilyIndex = context.queueFamily();
  binding.queueIndex = 0;
  XrSessionCreateInfo info{XR_TYPE_SESSION_CREATE_INFO};
  info.next = &binding;
  info.systemId = s.system;
  if (XrResult r = xrCreateSession(s.instance, &info, &s.session); XR_FAILED(r))
    return xrError(r, "xrCreateSession");

  // STAGE (floor origin) when offered, else LOCAL lifted to an assumed standing eye height.
  uint32_t count = 0;
  xrEnumerateReferenceSpaces(s.session, 0, &count, nullptr);
  std::vector<XrReferenceSpaceType> spaces(count);
  xrEnumerateReferenceSpaces(s.session, count, &count, spaces.data());
  const bool stage = std::find(spaces.begin(), spaces.end(), XR_REFERENCE_SPACE_TYPE_STAGE) != spaces.end();
  XrReferenceSpaceCreateInfo spaceInfo{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
  spaceInfo.referenceSpaceType = stage ? XR_REFERENCE_SPACE_TYPE_STAGE : XR_REFERENCE_SPACE_TYPE_LOCAL;
  spaceInfo.poseInReferenceSpace = identityPose();
  if (!stage) spaceInfo.poseInReferenceSpace.position.y = -1.6f;
  if (XrResult r = xrCreateReferenceSpace(s.session, &spaceInfo, &s.appSpace); XR_FAILED(r)) {
    return xrError(r, "xrCreateReferenceSpace");
  }
  spaceInfo.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW;
  spaceInfo.poseInReferenceSpace = identityPose();
  if (XrResult r = xrCreateReferenceSpace(s.session, &spaceInfo, &s.viewSpace); XR_FAILED(r)) {
    return xrError(r, "xrCreateReferenceSpace(VIEW)");
  }

  // One array swapchain, two layers, at the recommended size, in an sRGB format.
  std::array<XrViewConfigurationView, 2> viewConfigs{
      {{XR_TYPE_VIEW_CONFIGURATION_VIEW}, {XR_TYPE_VIEW_CONFIGURATION_VIEW}}};
  if (XrResult r = xrEnumerateViewConfigurationViews(
          s.instance, s.system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 2, &count, viewConfigs.data());
      XR_FAILED(r)) {
    return xrError(r, "xrEnumerateViewConfigurationViews");
  }
  s.width = viewConfigs[0].recommendedImageRectWidth;
  s.height = viewConfigs[0].recommendedImageRectHeight;
  xrEnumerateSwapchainFormats(s.session, 0, &count, nullptr);
  std::vector<int64_t> formats(count);
  xrEnumerateSwapchainFormats(s.session, count, &count, formats.data());
  int64_t format = 0;
  for (int64_t wanted : {int64_t{VK_FORMAT_R8G8B8A8_SRGB}, int64_t{VK_FORMAT_B8G8R8A8_SRGB}}) {
    if (std::find(formats.begin(), formats.end(), wanted) != formats.end()) {
      format = wanted;
      break;
    }
  }
  if (format == 0)
    return makeError(ErrorCode::kUnsupported, "the OpenXR runtime offers no sRGB swapchain format");
  XrSwapchainCreateInfo sc{XR_TYPE_SWAPCHAIN_CREATE_INFO};
  sc.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_SAMPLED_BIT;
  sc.format = format;
  sc.sampleCount = 1;
  sc.width = s.width;
  sc.height = s.height;
  sc.faceCount = 1;
  sc.arraySize = 2;
  sc.mipCount = 1;
  if (XrResult r = xrCreateSwapchain(s.session, &sc, &s.swapchain); XR_FAILED(r))
    return xrError(r, "xrCreateSwapchain");
  xrEnumerateSwapchainImages(s.swapchain, 0, &count, nullptr);
  std::vector<XrSwapchainImageVulkanKHR> images(count, {XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR});
  if (XrResult r = xrEnumerateSwapchainImages(s.swapchain, count, &count,
                                              reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data()));
      XR_FAILED(r)) {
    return xrError(r, "xrEnumerateSwapchainImages");
  }
  render::ExternalSettings es;
  for (const auto& i : images) es.images.push_back(i.image);
  es.format = static_cast<VkFormat>(format);
  es.width = s.width;
  es.height = s.height;
  es.views = 2;
  es.depthImages = s.createDepthSwapchain(formats);
  auto target = render::ExternalTarget::create(context, es);
  if (!target) return target.error();
  s.target = std::move(target.value());
  s.stats.depthSubmitted = s.target->hasDepth();
  // The panel's swapchain (one view); without it the panel is drawn into the scene.
  sc.width = State::kPanelWidth;
  sc.height = State::kPanelHeight;
  sc.arraySize = 1;
  sc.usageFlags |= XR_SWAPCHAIN_USAGE_TRANSFER_DST_BIT;  // the renderer blits the panel's picture in
  if (XR_SUCCEEDED(xrCreateSwapchain(s.session, &sc, &s.panelSwapchain))) {
    xrEnumerateSwapchainImages(s.panelSwapchain, 0, &count, nullptr);
    std::vector<XrSwapchainImageVulkanKHR> panelImages(count, {XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR});
    xrEnumerateSwapchainImages(s.panelSwapchain, count, &count,
                               reinterpret_cast<XrSwapchainImageBaseHeader*>(panelImages.data()));
    render::ExternalSettings ps;
    for (const auto& i : panelImages) ps.images.push_back(i.image);
    ps.format = es.format;
    ps.width = State::kPanelWidth;
    ps.height = State::kPanelHeight;
    ps.views = 1;
    auto panel = render::ExternalTarget::create(context, ps);
    if (panel) {
      s.panelTarget = std::move(panel.value());
    } else {
      TROCAR_LOG_WARN("openxr: no quad layer for the panel (%s); it is drawn into the scene",
                      panel.error().toString().c_str());
      xrDestroySwapchain(s.panelSwapchain);
      s.panelSwapchain = XR_NULL_HANDLE;
    }
  }
  return s.createActions();
}

Result<RigFrame> OpenXrRig::beginFrame() {
  State& s = *mState;
  RigFrame frame;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(s.settings.readyTimeoutS);
  for (;;) {
    s.pollEvents();
    if (s.ended) {
      frame.running = false;
      return frame;
    }
    if (s.sessionRunning) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return makeError(ErrorCode::kUnavailable, "the OpenXR session never became ready",
                       "put the headset on, or check the runtime's status");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // waiting for READY (headset asleep)
  }
  s.frameState = XrFrameState{XR_TYPE_FRAME_STATE};
  XrFrameWaitInfo wait{XR_TYPE_FRAME_WAIT_INFO};
  if (XrResult r = xrWaitFrame(s.session, &wait, &s.frameState); XR_FAILED(r))
    return xrError(r, "xrWaitFrame");
  XrFrameBeginInfo begin{XR_TYPE_FRAME_BEGIN_INFO};
  if (XrResult r = xrBeginFrame(s.session, &begin); XR_FAILED(r)) return xrError(r, "xrBeginFrame");
  s.frameBegun = true;
  const XrTime time = s.frameState.predictedDisplayTime;
  frame.displayTimeNs = time;
  frame.periodS = static_cast<double>(s.frameState.predictedDisplayPeriod) * 1e-9;
  frame.shouldRender = s.frameState.shouldRender == XR_TRUE;

  XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO};
  locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  locate.displayTime = time;
  locate.space = s.appSpace;
  XrViewState viewState{XR_TYPE_VIEW_STATE};
  uint32_t count = 0;
  s.views = {{{XR_TYPE_VIEW}, {XR_TYPE_VIEW}}};
  if (XrResult r = xrLocateViews(s.session, &locate, &viewState, 2, &count, s.views.data()); XR_FAILED(r)) {
    return xrError(r, "xrLocateViews");
  }
  // Only what viewStateFlags says is valid is a pose (a headset that lost tracking reports
  // none): keep the last valid position or orientation; with none yet, draw nothing.
  const bool orientationValid = (viewState.viewStateFlags & XR_VIEW_STATE_ORIENTATION_VALID_BIT) != 0;
  const bool positionValid = (viewState.viewStateFlags & XR_VIEW_STATE_POSITION_VALID_BIT) != 0;
  for (size_t e = 0; e < 2; ++e) {
    if (orientationValid) s.goodViews[e].pose.orientation = s.views[e].pose.orientation;
    if (positionValid) s.goodViews[e].pose.position = s.views[e].pose.position;
    if (orientationValid) s.goodViews[e].fov = s.views[e].fov;
  }
  s.hasOrientation = s.hasOrientation || orientationValid;
  s.hasPosition = s.hasPosition || positionValid;
  s.views = s.goodViews;
  if (!s.hasOrientation || !s.hasPosition) frame.shouldRender = false;
  for (size_t e = 0; e < 2; ++e) {
    frame.eyes[e].pose = toPose(s.views[e].pose);
    const XrFovf& f = s.views[e].fov;
    frame.eyes[e].fov = {f.angleLeft, f.angleRight, f.angleUp, f.angleDown};
  }
  XrSpaceLocation head{XR_TYPE_SPACE_LOCATION};
  if (XR_SUCCEEDED(xrLocateSpace(s.viewSpace, s.appSpace, time, &head)) &&
      (head.locationFlags & XR_SPACE_LOCATION_POSITION_VALID_BIT)) {
    frame.head = toPose(head.pose);
  }

  // Input only reaches a focused session: unfocused (the headset taken off, the system menu
  // up), the trainee is away.
  frame.focused = s.state == XR_SESSION_STATE_FOCUSED;
  bool anyPrimary = false;
  XrTime primaryChanged = time, primaryReleased = 0;  // when A/X went down; when let go
  // When a button's state last changed (the runtime's time, or now when it does not say).
  auto changedAt = [time](const XrActionStateBoolean& b) {
    return b.lastChangeTime > 0 && b.lastChangeTime <= time ? b.lastChangeTime : time;
  };
  if (s.state == XR_SESSION_STATE_FOCUSED) {
    XrActiveActionSet active{s.actionSet, XR_NULL_PATH};
    XrActionsSyncInfo sync{XR_TYPE_ACTIONS_SYNC_INFO};
    sync.countActiveActionSets = 1;
    sync.activeActionSets = &active;
    xrSyncActions(s.session, &sync);
    for (size_t h = 0; h < 2; ++h) {
      HandState& hand = frame.hands[h];
      XrActionStateGetInfo get{XR_TYPE_ACTION_STATE_GET_INFO};
      get.subactionPath = s.handPaths[h];
      XrActionStateFloat f{XR_TYPE_ACTION_STATE_FLOAT};
      get.action = s.trigger;
      if (XR_SUCCEEDED(xrGetActionStateFloat(s.session, &get, &f)) && f.isActive)
        hand.trigger = f.currentState;
      get.action = s.squeeze;
      f = {XR_TYPE_ACTION_STATE_FLOAT};
      if (XR_SUCCEEDED(xrGetActionStateFloat(s.session, &get, &f)) && f.isActive)
        hand.squeeze = f.currentState;
      XrActionStateBoolean b{XR_TYPE_ACTION_STATE_BOOLEAN};
      get.action = s.primary;
      if (XR_SUCCEEDED(xrGetActionStateBoolean(s.session, &get, &b))) {
        hand.primary = b.currentState == XR_TRUE;
        if (hand.primary) primaryChanged = std::min(primaryChanged, changedAt(b));
        if (!hand.primary) primaryReleased = std::max(primaryReleased, changedAt(b));
      }
      anyPrimary = anyPrimary || hand.primary;
      get.action = s.secondary;
      if (XR_SUCCEEDED(xrGetActionStateBoolean(s.session, &get, &b)))
        hand.secondary = b.currentState == XR_TRUE;
      get.action = s.menu;
      XrTime menuChanged = time;
      if (XR_SUCCEEDED(xrGetActionStateBoolean(s.session, &get, &b))) {
        hand.menu = b.currentState == XR_TRUE;
        menuChanged = changedAt(b);
      }
      if (h == 0) {  // the left menu button: a press pauses and resumes, a 1 s hold ends
        // Held for how long is measured from the button's own change times (a slow frame rate
        // sees a press late, and its release late).
        if (hand.menu && !s.menuSince) {
          s.menuSince = menuChanged;
          s.menuHeldActed = false;
        }
        if (hand.menu && !s.menuHeldActed && time - *s.menuSince >= kHoldNs) {
          frame.endRequested = true;
          s.menuHeldActed = true;
        }
        if (!hand.menu && s.menuSince) {  // let go: a press pauses; a hold no frame saw acts now
          const bool held = menuChanged - *s.menuSince >= kHoldNs;
          frame.endRequested = frame.endRequested || (held && !s.menuHeldActed);
          frame.pauseToggled = !held && !s.menuHeldActed;
          s.menuSince.reset();
        }
      }
      XrSpaceLocation grip{XR_TYPE_SPACE_LOCATION};
      const XrSpaceLocationFlags valid =
          XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
      if (XR_SUCCEEDED(xrLocateSpace(s.gripSpaces[h], s.appSpace, time, &grip)) &&
          (grip.locationFlags & valid) == valid) {
        hand.grip = toPose(grip.pose);
        hand.tracked = true;
      }
      XrSpaceLocation aim{XR_TYPE_SPACE_LOCATION};
      if (XR_SUCCEEDED(xrLocateSpace(s.aimSpaces[h], s.appSpace, time, &aim)) &&
          (aim.locationFlags & valid) == valid) {
        hand.aim = toPose(aim.pose);
      }
    }
  }

  // A or X held 1 s: a new attempt.
  if (anyPrimary && !s.primarySince) {
    s.primarySince = primaryChanged;
    s.primaryHeldActed = false;
  }
  if (anyPrimary && !s.primaryHeldActed && time - *s.primarySince >= kHoldNs) {
    frame.restartRequested = true;
    s.primaryHeldActed = true;
  }
  if (!anyPrimary && s.primarySince) {  // let go after a hold no frame saw (slow frames): it acts now
    const XrTime letGo = primaryReleased > 0 ? primaryReleased : time;
    if (!s.primaryHeldActed && letGo - *s.primarySince >= kHoldNs) frame.restartRequested = true;
    s.primarySince.reset();
  }

  frame.nearM = State::kNearM;
  frame.farM = State::kFarM;
  if (frame.shouldRender) {
    auto index = State::acquireImage(s.swapchain, s.imageAcquired, "");
    if (!index) return index.error();
    uint32_t depthIndex = 0;
    if (s.depthSwapchain) {
      auto depth = State::acquireImage(s.depthSwapchain, s.depthAcquired, " (depth)");
      if (!depth) return depth.error();
      depthIndex = depth.value();
    }
    s.target->setImageIndex(index.value(), depthIndex);
    if (s.panelTarget) {
      auto panel = State::acquireImage(s.panelSwapchain, s.panelAcquired, " (panel)");
      if (!panel) return panel.error();
      s.panelTarget->setImageIndex(panel.value());
    }
  }
  s.panelPose.reset();  // said again each frame it is drawn
  return frame;
}

render::ExternalTarget* OpenXrRig::panelTarget() {
  return mState->panelAcquired ? mState->panelTarget.get() : nullptr;
}

void OpenXrRig::setPanel(const Pose& pose, Vec2 sizeM) {
  mState->panelPose = pose;
  mState->panelSize = sizeM;
}

Result<void> OpenXrRig::endFrame() {
  State& s = *mState;
  if (!s.frameBegun) return {};
  s.frameBegun = false;
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  std::array<XrCompositionLayerProjectionView, 2> views{
      {{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW}, {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW}}};
  std::array<XrCompositionLayerDepthInfoKHR, 2> depths{
      {{XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR}, {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR}}};
  XrCompositionLayerQuad quad{XR_TYPE_COMPOSITION_LAYER_QUAD};
  const XrCompositionLayerBaseHeader* layers[] = {reinterpret_cast<XrCompositionLayerBaseHeader*>(&layer),
                                                  reinterpret_cast<XrCompositionLayerBaseHeader*>(&quad)};
  XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
  end.displayTime = s.frameState.predictedDisplayTime;
  end.environmentBlendMode = s.blendMode;
  if (s.imageAcquired) {
    TROCAR_TRY(State::releaseImage(s.swapchain, s.imageAcquired, ""));
    if (s.depthAcquired) {
      TROCAR_TRY(State::releaseImage(s.depthSwapchain, s.depthAcquired, " (depth)"));
      for (uint32_t e = 0; e < 2; ++e) {  // the depth the renderer wrote: 0 at near, 1 at far
        depths[e].subImage.swapchain = s.depthSwapchain;
        depths[e].subImage.imageRect = {{0, 0},
                                        {static_cast<int32_t>(s.width), static_cast<int32_t>(s.height)}};
        depths[e].subImage.imageArrayIndex = e;
        depths[e].minDepth = 0.0f;
        depths[e].maxDepth = 1.0f;
        depths[e].nearZ = State::kNearM;
        depths[e].farZ = State::kFarM;
        views[e].next = &depths[e];
      }
    }
    for (uint32_t e = 0; e < 2; ++e) {
      views[e].pose = s.views[e].pose;
      views[e].fov = s.views[e].fov;
      views[e].subImage.swapchain = s.swapchain;
      views[e].subImage.imageRect = {{0, 0}, {static_cast<int32_t>(s.width), static_cast<int32_t>(s.height)}};
      views[e].subImage.imageArrayIndex = e;
    }
    layer.space = s.appSpace;
    layer.viewCount = 2;
    layer.views = views.data();
    end.layerCount = 1;
    end.layers = layers;
  }
  if (s.panelAcquired) {
    TROCAR_TRY(State::releaseImage(s.panelSwapchain, s.panelAcquired, " (panel)"));
    if (s.panelPose && end.layerCount == 1) {  // over the scene, blended where the panel is clear
      quad.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
      quad.space = s.appSpace;
      quad.eyeVisibility = XR_EYE_VISIBILITY_BOTH;
      quad.subImage.swapchain = s.panelSwapchain;
      quad.subImage.imageRect = {
          {0, 0}, {static_cast<int32_t>(State::kPanelWidth), static_cast<int32_t>(State::kPanelHeight)}};
      quad.pose.position = {s.panelPose->position.x, s.panelPose->position.y, s.panelPose->position.z};
      const Quat q = glm::normalize(s.panelPose->orientation);
      quad.pose.orientation = {q.x, q.y, q.z, q.w};
      quad.size = {s.panelSize.x, s.panelSize.y};
      end.layerCount = 2;
    }
  }
  if (XrResult r = xrEndFrame(s.session, &end); XR_FAILED(r)) return xrError(r, "xrEndFrame");
  ++s.stats.framesSubmitted;
  return {};
}

void OpenXrRig::applyHaptic(HandSide hand, const HapticPulse& pulse) {
  State& s = *mState;
  if (!s.sessionRunning || s.state != XR_SESSION_STATE_FOCUSED) return;
  if (pulse.amplitude <= 0.0f || pulse.durationS <= 0.0) {
    XrHapticActionInfo stop{XR_TYPE_HAPTIC_ACTION_INFO};
    stop.action = s.haptic;
    stop.subactionPath = s.handPaths[static_cast<size_t>(hand)];
    xrStopHapticFeedback(s.session, &stop);
    return;
  }
  XrHapticVibration vibration{XR_TYPE_HAPTIC_VIBRATION};
  vibration.amplitude = std::clamp(pulse.amplitude, 0.0f, 1.0f);
  vibration.frequency = pulse.frequencyHz > 0.0f ? pulse.frequencyHz : XR_FREQUENCY_UNSPECIFIED;
  vibration.duration = static_cast<XrDuration>(pulse.durationS * 1e9);
  XrHapticActionInfo info{XR_TYPE_HAPTIC_ACTION_INFO};
  info.action = s.haptic;
  info.subactionPath = s.handPaths[static_cast<size_t>(hand)];
  if (XR_SUCCEEDED(
          xrApplyHapticFeedback(s.session, &info, reinterpret_cast<XrHapticBaseHeader*>(&vibration)))) {
    ++s.stats.hapticPulses;
  }
}

void OpenXrRig::requestExit() {
  State& s = *mState;
  if (s.sessionRunning) {
    xrRequestExitSession(s.session);
  } else {
    s.ended = true;
  }
}

void OpenXrRig::stop() {
  mState->destroySession();
}

}  // namespace trocar::xr
