// Trocar's headless OpenXR test runtime: a shared library the real Khronos loader loads through
// a manifest (XR_RUNTIME_JSON). It implements what Trocar uses -- instance, one HMD system,
// XR_KHR_vulkan_enable2 (the app's Vulkan instance/device, created through the app's
// vkGetInstanceProcAddr), the session state machine, reference and action spaces, stereo
// swapchains whose images live on the app's device, a paced frame loop, actions driven by a
// script, and haptics -- strictly: misuse gets the error code the specification names, so app
// bugs show up in CI. A test tool: small and clear, not fast.
//
// Environment:
//   TROCAR_XR_TEST_SCRIPT  script of head/hand keyframes and runtime events (format below)
//   TROCAR_XR_TEST_LOG     log file: state changes, every submitted frame, every haptic call
//   TROCAR_XR_TEST_PNG_DIR when set, the last submitted eye images are written there as
//                          left.png / right.png (the last quad layer: panel.png) when the session ends
//   TROCAR_XR_TEST_FAST=1  do not pace xrWaitFrame in real time (simulated 60 Hz clock only)
//   TROCAR_XR_TEST_BLEND_MODES  the environment blend modes offered, in order, comma-separated
//                          (opaque, additive, alpha_blend; default opaque); xrEndFrame refuses
//                          any other
//   TROCAR_XR_TEST_DEPTH=0 do not offer XR_KHR_composition_layer_depth (offered by default; then
//                          the last submitted depth is written as left-depth.pfm / right-depth.pfm,
//                          linear metres from the submitted near and far planes, and as
//                          left-depth.png, white at the eye fading to black 2 m away)
//
// Script lines (seconds since the session began; '#' comments; poses are linearly
// interpolated between keyframes of the same target):
//   <t> head  px py pz [qw qx qy qz]
//   <t> left|right  px py pz qw qx qy qz trigger squeeze
//   <t> exit      the runtime asks the app to end the session (-> STOPPING)
//   <t> loss      the session is about to be lost (-> LOSS_PENDING)
//   <t> unfocus   the headset is taken off (FOCUSED -> VISIBLE); <t> focus: put back on
//   <t> button left|right primary|secondary|menu 0|1   a button let go or held from then on

#define XR_USE_GRAPHICS_API_VULKAN
#include <vulkan/vulkan.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// ---- Loader negotiation (loader_interfaces.h of the OpenXR loader, interface version 1) ----
enum XrLoaderInterfaceStructs {
  XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
  XR_LOADER_INTERFACE_STRUCT_LOADER_INFO,
  XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST,
  XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST,
};
struct XrNegotiateLoaderInfo {
  XrLoaderInterfaceStructs structType;
  uint32_t structVersion;
  size_t structSize;
  uint32_t minInterfaceVersion;
  uint32_t maxInterfaceVersion;
  XrVersion minApiVersion;
  XrVersion maxApiVersion;
};
struct XrNegotiateRuntimeRequest {
  XrLoaderInterfaceStructs structType;
  uint32_t structVersion;
  size_t structSize;
  uint32_t runtimeInterfaceVersion;
  XrVersion runtimeApiVersion;
  PFN_xrGetInstanceProcAddr getInstanceProcAddr;
};

namespace {

constexpr XrSystemId kSystemId = 1;
constexpr int64_t kFramePeriodNs = 16'666'667;  // 60 Hz
constexpr uint32_t kEyeWidth = 640;
constexpr uint32_t kEyeHeight = 576;

using Clock = std::chrono::steady_clock;
const Clock::time_point gStart = Clock::now();
int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - gStart).count();
}

// ---- Script -------------------------------------------------------------------------

struct Key {
  double t = 0.0;
  std::array<float, 9> v{};  // position, orientation (w x y z), trigger, squeeze
};

struct Script {
  std::map<std::string, std::vector<Key>> tracks;  // head, left, right
  std::vector<std::pair<double, std::string>> events;
  std::map<std::string, std::vector<std::pair<double, bool>>> buttons;  // "left/menu" -> (t, held)

  // Whether a button is held at time t, and since when (the last change at or before t; 0
  // when it never changed).
  std::pair<bool, double> held(const std::string& button, double t) const {
    auto it = buttons.find(button);
    std::pair<bool, double> state{false, 0.0};
    if (it == buttons.end()) return state;
    for (const auto& [when, value] : it->second) {
      if (when <= t && value != state.first) state = {value, when};
    }
    return state;
  }

  void load(const char* path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::istringstream s(line);
      Key k;
      std::string what;
      if (!(s >> k.t >> what)) continue;
      if (what == "exit" || what == "loss" || what == "unfocus" || what == "focus") {
        events.emplace_back(k.t, what);
        continue;
      }
      if (what == "button") {
        std::string hand, name;
        int value = 0;
        if (s >> hand >> name >> value) buttons[hand + "/" + name].emplace_back(k.t, value != 0);
        continue;
      }
      k.v = {0, 0, 0, 1, 0, 0, 0, 0, 0};
      for (float& x : k.v) {
        if (!(s >> x)) break;
      }
      tracks[what].push_back(k);
    }
    for (auto& [name, keys] : tracks) {
      std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.t < b.t; });
    }
  }

  // Interpolated values of a track at time t; false when the track has no keys.
  bool sample(const std::string& track, double t, std::array<float, 9>& out) const {
    auto it = tracks.find(track);
    if (it == tracks.end() || it->second.empty()) return false;
    const auto& keys = it->second;
    if (t <= keys.front().t) {
      out = keys.front().v;
      return true;
    }
    if (t >= keys.back().t) {
      out = keys.back().v;
      return true;
    }
    size_t i = 1;
    while (keys[i].t < t) ++i;
    const Key& a = keys[i - 1];
    const Key& b = keys[i];
    const float u = static_cast<float>((t - a.t) / std::max(1e-9, b.t - a.t));
    for (size_t c = 0; c < 9; ++c) out[c] = a.v[c] + (b.v[c] - a.v[c]) * u;
    // Renormalise the (nlerped) orientation.
    const float n = std::sqrt(out[3] * out[3] + out[4] * out[4] + out[5] * out[5] + out[6] * out[6]);
    for (size_t c = 3; c < 7; ++c) out[c] = n > 0 ? out[c] / n : (c == 3 ? 1.0f : 0.0f);
    return true;
  }
};

// ---- Objects ------------------------------------------------------------------------

struct Instance;
struct Session;

struct ActionSet {
  Instance* instance = nullptr;
  std::string name;
  bool attached = false;
};

struct Action {
  ActionSet* set = nullptr;
  std::string name;
  XrActionType type = XR_ACTION_TYPE_BOOLEAN_INPUT;
  std::vector<XrPath> subactions;
};

enum class SpaceKind { kView, kLocal, kStage, kAction };
struct Space {
  Session* session = nullptr;
  SpaceKind kind = SpaceKind::kLocal;
  XrPosef offset{{0, 0, 0, 1}, {0, 0, 0}};
  Action* action = nullptr;
  XrPath subaction = XR_NULL_PATH;
};

struct Swapchain {
  Session* session = nullptr;
  XrSwapchainCreateInfo info{};
  std::vector<VkImage> images;
  std::vector<VkDeviceMemory> memory;
  bool depth = false;             // a depth format: DEPTH_STENCIL_ATTACHMENT images
  std::deque<uint32_t> acquired;  // acquired, in order
  bool waited = false;            // the oldest acquired image was waited on
  uint32_t next = 0;
  int64_t lastReleased = -1;
};

struct Session {
  Instance* instance = nullptr;
  XrSessionState state = XR_SESSION_STATE_UNKNOWN;
  bool running = false;
  bool exitRequested = false;
  XrGraphicsBindingVulkanKHR binding{};
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  std::set<ActionSet*> attachedSets;
  // Frame loop
  int64_t displayTimeNs = 0;
  int64_t beginTimeNs = -1;  // display time of the first frame after xrBeginSession
  int waitedFrames = 0;      // xrWaitFrame calls not yet matched by xrBeginFrame
  bool frameBegun = false;
  uint64_t frames = 0;
  size_t nextEvent = 0;
  // Last submitted projection, for the PNG copy.
  Swapchain* lastSwapchain = nullptr;
  uint32_t lastImage = 0;
  Swapchain* lastQuad = nullptr;  // the last quad layer's swapchain and image
  uint32_t lastQuadImage = 0;
  Swapchain* lastDepth = nullptr;  // the last submitted depth, and how to read it
  uint32_t lastDepthImage = 0;
  XrCompositionLayerDepthInfoKHR lastDepthInfo{};
  bool synced = false;
  std::array<std::array<float, 9>, 2> hands{};
  std::array<bool, 2> handTracked{};
};

struct Instance {
  std::vector<std::string> extensions;
  bool vulkanRequirementsQueried = false;
  VkInstance vkInstance = VK_NULL_HANDLE;
  VkPhysicalDevice vkPhysical = VK_NULL_HANDLE;
  std::map<XrPath, std::vector<std::pair<Action*, XrPath>>> suggested;  // profile -> (action, binding)
  bool lost = false;
};

// Handle registry: every live object, by type, so a stale or wrong handle is caught.
struct Registry {
  std::recursive_mutex mutex;
  std::set<Instance*> instances;
  std::set<Session*> sessions;
  std::set<Space*> spaces;
  std::set<Swapchain*> swapchains;
  std::set<ActionSet*> actionSets;
  std::set<Action*> actions;
  std::vector<std::string> paths{""};  // XrPath = index; 0 is XR_NULL_PATH
  std::deque<XrEventDataBuffer> events;
  Script script;
  FILE* log = nullptr;
  std::string pngDir;
  bool fast = false;
  std::vector<XrEnvironmentBlendMode> blendModes{XR_ENVIRONMENT_BLEND_MODE_OPAQUE};

  Registry() { configure(); }

  // Reads the environment again (each xrCreateInstance): tests in one process may change it.
  unsigned long long lostFrom = 0, lostTo = 0;  // TROCAR_XR_TEST_LOST_VIEWS
  void configure() {
    script = Script{};
    if (log) std::fclose(log);
    log = nullptr;
    pngDir.clear();
    fast = false;
    lostFrom = lostTo = 0;
    if (const char* s = std::getenv("TROCAR_XR_TEST_SCRIPT")) script.load(s);
    // "A:B": frames A..B-1 locate views with no valid pose (tracking lost), as a real headset
    // does when it loses its cameras' view.
    if (const char* l = std::getenv("TROCAR_XR_TEST_LOST_VIEWS")) {
      if (std::sscanf(l, "%llu:%llu", &lostFrom, &lostTo) != 2) lostFrom = lostTo = 0;
    }
    if (const char* l = std::getenv("TROCAR_XR_TEST_LOG")) log = std::fopen(l, "a");
    if (const char* p = std::getenv("TROCAR_XR_TEST_PNG_DIR")) pngDir = p;
    if (const char* f = std::getenv("TROCAR_XR_TEST_FAST")) fast = std::string(f) == "1";
    blendModes = {XR_ENVIRONMENT_BLEND_MODE_OPAQUE};
    if (const char* b = std::getenv("TROCAR_XR_TEST_BLEND_MODES")) {
      blendModes.clear();
      std::istringstream list(b);
      for (std::string m; std::getline(list, m, ',');) {
        if (m == "opaque") blendModes.push_back(XR_ENVIRONMENT_BLEND_MODE_OPAQUE);
        if (m == "additive") blendModes.push_back(XR_ENVIRONMENT_BLEND_MODE_ADDITIVE);
        if (m == "alpha_blend") blendModes.push_back(XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND);
      }
    }
  }
};

Registry& reg() {
  static Registry r;
  return r;
}

void logLine(const char* format, ...) __attribute__((format(printf, 1, 2)));
void logLine(const char* format, ...) {
  FILE* f = reg().log;
  if (!f) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(f, format, args);
  va_end(args);
  std::fputc('\n', f);
  std::fflush(f);
}

template <typename T, typename H>
T* lookup(std::set<T*>& set, H handle) {
  T* p = reinterpret_cast<T*>(handle);
  return set.count(p) ? p : nullptr;
}

XrPath pathFor(const std::string& s) {
  auto& paths = reg().paths;
  auto it = std::find(paths.begin(), paths.end(), s);
  if (it != paths.end()) return static_cast<XrPath>(it - paths.begin());
  paths.push_back(s);
  return static_cast<XrPath>(paths.size() - 1);
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

void setState(Session* s, XrSessionState state) {
  s->state = state;
  XrEventDataBuffer buffer{};
  auto* e = reinterpret_cast<XrEventDataSessionStateChanged*>(&buffer);
  e->type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
  e->session = reinterpret_cast<XrSession>(s);
  e->state = state;
  e->time = s->displayTimeNs;
  reg().events.push_back(buffer);
  logLine("state %s t=%.3f", stateName(state), static_cast<double>(nowNs()) * 1e-9);
}

double sessionSeconds(const Session* s, XrTime t) {
  return s->beginTimeNs < 0 ? 0.0 : static_cast<double>(t - s->beginTimeNs) * 1e-9;
}

XrPosef poseOf(const std::array<float, 9>& v) {
  XrPosef p;
  p.position = {v[0], v[1], v[2]};
  p.orientation = {v[4], v[5], v[6], v[3]};  // script: w x y z; XrQuaternionf: x y z w
  return p;
}

// Pose of a space in the stage frame at time t (LOCAL = STAGE here: the floor is the origin).
bool spacePose(const Space* sp, XrTime t, XrPosef& out) {
  const Session* s = sp->session;
  const double sec = sessionSeconds(s, t);
  std::array<float, 9> v{0, 1.6f, 0, 1, 0, 0, 0, 0, 0};
  bool tracked = true;
  switch (sp->kind) {
    case SpaceKind::kLocal:
    case SpaceKind::kStage: v = {0, 0, 0, 1, 0, 0, 0, 0, 0}; break;
    case SpaceKind::kView: reg().script.sample("head", sec, v); break;
    case SpaceKind::kAction: {
      const std::string hand = sp->subaction == pathFor("/user/hand/left") ? "left" : "right";
      tracked = reg().script.sample(hand, sec, v);
      break;
    }
  }
  // Compose with the space's offset: pose * offset.
  const XrPosef base = poseOf(v);
  const XrQuaternionf& q = base.orientation;
  const XrVector3f& o = sp->offset.position;
  // Rotate o by q.
  const float ix = q.w * o.x + q.y * o.z - q.z * o.y;
  const float iy = q.w * o.y + q.z * o.x - q.x * o.z;
  const float iz = q.w * o.z + q.x * o.y - q.y * o.x;
  const float iw = -q.x * o.x - q.y * o.y - q.z * o.z;
  XrVector3f r{ix * q.w + iw * -q.x + iy * -q.z - iz * -q.y, iy * q.w + iw * -q.y + iz * -q.x - ix * -q.z,
               iz * q.w + iw * -q.z + ix * -q.y - iy * -q.x};
  const XrQuaternionf& b = sp->offset.orientation;
  out.position = {base.position.x + r.x, base.position.y + r.y, base.position.z + r.z};
  out.orientation = {
      q.w * b.x + q.x * b.w + q.y * b.z - q.z * b.y, q.w * b.y - q.x * b.z + q.y * b.w + q.z * b.x,
      q.w * b.z + q.x * b.y - q.y * b.x + q.z * b.w, q.w * b.w - q.x * b.x - q.y * b.y - q.z * b.z};
  return tracked;
}

bool isDepthFormat(int64_t format) {
  return format == VK_FORMAT_D32_SFLOAT || format == VK_FORMAT_D16_UNORM;
}

// Copies `layers` layers of one swapchain image to host memory (tightly packed, layer after
// layer), leaving the image in the layout the app hands it back in.
std::vector<uint8_t> readLayers(Session* s, Swapchain* sc, uint32_t image, uint32_t layers) {
  VkDevice device = s->binding.device;
  const uint32_t w = sc->info.width;
  const uint32_t h = sc->info.height;
  const uint32_t texel = sc->info.format == VK_FORMAT_D16_UNORM ? 2 : 4;
  const VkDeviceSize size = VkDeviceSize{w} * h * texel * layers;
  VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = size;
  bi.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  if (vkCreateBuffer(device, &bi, nullptr, &buffer) != VK_SUCCESS) return {};
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(device, buffer, &req);
  VkPhysicalDeviceMemoryProperties props{};
  vkGetPhysicalDeviceMemoryProperties(s->binding.physicalDevice, &props);
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  const auto host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
    if ((req.memoryTypeBits & (1u << i)) && (props.memoryTypes[i].propertyFlags & host) == host) {
      ai.memoryTypeIndex = i;
      break;
    }
  }
  VkDeviceMemory memory = VK_NULL_HANDLE;
  vkAllocateMemory(device, &ai, nullptr, &memory);
  vkBindBufferMemory(device, buffer, memory, 0);
  VkCommandBufferAllocateInfo ca{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ca.commandPool = s->pool;
  ca.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ca.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  vkAllocateCommandBuffers(device, &ca, &cmd);
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  const VkImageAspectFlags aspect = sc->depth ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT;
  const VkAccessFlags written =
      sc->depth ? VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT : VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  const VkPipelineStageFlags stage =
      VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
      (sc->depth ? VkPipelineStageFlags{VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT} : VkPipelineStageFlags{0});
  VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  barrier.srcAccessMask = written | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  barrier.oldLayout =
      sc->depth ? VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
  barrier.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = sc->images[image];
  barrier.subresourceRange = {aspect, 0, 1, 0, sc->info.arraySize};
  vkCmdPipelineBarrier(cmd, stage, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr, 1, &barrier);
  VkBufferImageCopy copy{};
  copy.imageSubresource = {aspect, 0, 0, layers};
  copy.imageExtent = {w, h, 1};
  vkCmdCopyImageToBuffer(cmd, barrier.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &copy);
  std::swap(barrier.oldLayout, barrier.newLayout);
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  barrier.dstAccessMask = written;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, stage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
  vkEndCommandBuffer(cmd);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  vkQueueWaitIdle(s->queue);
  vkQueueSubmit(s->queue, 1, &submit, VK_NULL_HANDLE);
  vkQueueWaitIdle(s->queue);
  vkFreeCommandBuffers(device, s->pool, 1, &cmd);
  void* mapped = nullptr;
  vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped);
  std::vector<uint8_t> bytes(static_cast<const uint8_t*>(mapped), static_cast<const uint8_t*>(mapped) + size);
  vkUnmapMemory(device, memory);
  vkDestroyBuffer(device, buffer, nullptr);
  vkFreeMemory(device, memory, nullptr);
  return bytes;
}

// Copies one submitted colour image's layers to PNG files in the PNG folder, one name per layer.
void writeImage(Session* s, Swapchain* sc, uint32_t image, const std::vector<std::string>& names) {
  const uint32_t w = sc->info.width;
  const uint32_t h = sc->info.height;
  const uint32_t layers = std::min<uint32_t>(sc->info.arraySize, static_cast<uint32_t>(names.size()));
  const std::vector<uint8_t> bytes = readLayers(s, sc, image, layers);
  if (bytes.empty()) return;
  const bool bgr = sc->info.format == VK_FORMAT_B8G8R8A8_SRGB || sc->info.format == VK_FORMAT_B8G8R8A8_UNORM;
  for (uint32_t layer = 0; layer < layers; ++layer) {
    std::vector<uint8_t> px(bytes.begin() + size_t{layer} * w * h * 4,
                            bytes.begin() + size_t{layer + 1} * w * h * 4);
    if (bgr) {
      for (size_t i = 0; i < px.size(); i += 4) std::swap(px[i], px[i + 2]);
    }
    const std::string file = reg().pngDir + "/" + names[layer];
    stbi_write_png(file.c_str(), static_cast<int>(w), static_cast<int>(h), 4, px.data(),
                   static_cast<int>(w * 4));
    logLine("png %s", file.c_str());
  }
}

// The last submitted depth, per eye, as what a compositor makes of it: the distance along the
// view axis in metres, from the depth value and the layer's depth info (a standard projection,
// depth minDepth at nearZ and maxDepth at farZ). Written as PFM (portable float map: a text
// header, then rows bottom to top of little-endian floats) and as a grey PNG to look at.
void writeDepth(Session* s) {
  Swapchain* sc = s->lastDepth;
  const XrCompositionLayerDepthInfoKHR& info = s->lastDepthInfo;
  const uint32_t w = sc->info.width;
  const uint32_t h = sc->info.height;
  const std::vector<uint8_t> bytes = readLayers(s, sc, s->lastDepthImage, 2);
  if (bytes.empty()) return;
  const bool d16 = sc->info.format == VK_FORMAT_D16_UNORM;
  const double n = static_cast<double>(info.nearZ), f = static_cast<double>(info.farZ);
  const char* names[] = {"left-depth", "right-depth"};
  for (uint32_t layer = 0; layer < 2; ++layer) {
    std::vector<float> metres(size_t{w} * h);
    for (size_t i = 0; i < metres.size(); ++i) {
      const size_t at = size_t{layer} * w * h + i;
      double d = 0.0;
      if (d16) {
        uint16_t v = 0;
        std::memcpy(&v, bytes.data() + at * 2, 2);
        d = v / 65535.0;
      } else {
        float v = 0.0f;
        std::memcpy(&v, bytes.data() + at * 4, 4);
        d = static_cast<double>(v);
      }
      const double t = (d - static_cast<double>(info.minDepth)) /
                       static_cast<double>(info.maxDepth - info.minDepth);  // 0 near, 1 far
      metres[i] = static_cast<float>(n * f / (f - t * (f - n)));
    }
    const std::string base = reg().pngDir + "/" + names[layer];
    if (FILE* out = std::fopen((base + ".pfm").c_str(), "wb")) {
      std::fprintf(out, "Pf\n%u %u\n-1.0\n", w, h);
      for (uint32_t y = h; y-- > 0;) std::fwrite(metres.data() + size_t{y} * w, sizeof(float), w, out);
      std::fclose(out);
    }
    if (layer == 0) {
      std::vector<uint8_t> grey(metres.size());
      for (size_t i = 0; i < metres.size(); ++i)
        grey[i] =
            static_cast<uint8_t>(255.0 * std::clamp(1.0 - static_cast<double>(metres[i]) / 2.0, 0.0, 1.0));
      stbi_write_png((base + ".png").c_str(), static_cast<int>(w), static_cast<int>(h), 1, grey.data(),
                     static_cast<int>(w));
    }
    logLine("depth %s.pfm", base.c_str());
  }
}

// The last submitted stereo image as left.png / right.png, the last quad layer's as panel.png.
void writePngs(Session* s) {
  if (reg().pngDir.empty() || !s->pool) return;
  if (s->lastSwapchain) writeImage(s, s->lastSwapchain, s->lastImage, {"left.png", "right.png"});
  if (s->lastQuad) writeImage(s, s->lastQuad, s->lastQuadImage, {"panel.png"});
  if (s->lastDepth) writeDepth(s);
}

// Frees a swapchain's images (after the queue is idle) and forgets the handle.
void destroySwapchain(Swapchain* sc) {
  Session* s = sc->session;
  vkQueueWaitIdle(s->queue);
  for (size_t k = 0; k < sc->images.size(); ++k) {
    vkDestroyImage(s->binding.device, sc->images[k], nullptr);
    vkFreeMemory(s->binding.device, sc->memory[k], nullptr);
  }
  if (s->lastSwapchain == sc) s->lastSwapchain = nullptr;
  if (s->lastQuad == sc) s->lastQuad = nullptr;
  if (s->lastDepth == sc) s->lastDepth = nullptr;
  reg().swapchains.erase(sc);
  delete sc;
}

bool hasExtension(const Instance* i, const char* name) {
  return std::find(i->extensions.begin(), i->extensions.end(), name) != i->extensions.end();
}

// Interaction profiles this runtime knows and the input paths each offers (per hand).
const std::map<std::string, std::set<std::string>>& profiles() {
  static const std::map<std::string, std::set<std::string>> p = {
      {"/interaction_profiles/khr/simple_controller",
       {"input/select/click", "input/menu/click", "input/grip/pose", "input/aim/pose", "output/haptic"}},
      {"/interaction_profiles/oculus/touch_controller",
       {"input/trigger/value", "input/squeeze/value", "input/x/click", "input/y/click", "input/a/click",
        "input/b/click", "input/menu/click", "input/grip/pose", "input/aim/pose", "output/haptic",
        "input/thumbstick", "input/trigger/touch"}},
      {"/interaction_profiles/valve/index_controller",
       {"input/trigger/value", "input/squeeze/value", "input/a/click", "input/b/click", "input/system/click",
        "input/grip/pose", "input/aim/pose", "output/haptic", "input/trigger/click"}},
      {"/interaction_profiles/htc/vive_controller",
       {"input/trigger/value", "input/squeeze/click", "input/menu/click", "input/trackpad/click",
        "input/grip/pose", "input/aim/pose", "output/haptic"}},
      {"/interaction_profiles/microsoft/motion_controller",
       {"input/trigger/value", "input/squeeze/click", "input/menu/click", "input/thumbstick/click",
        "input/trackpad/click", "input/grip/pose", "input/aim/pose", "output/haptic"}},
  };
  return p;
}

// Input component a binding path names ("/user/hand/left/input/trigger/value" -> hand, rest).
bool splitBinding(const std::string& path, std::string& hand, std::string& rest) {
  for (const char* h : {"/user/hand/left/", "/user/hand/right/"}) {
    if (path.rfind(h, 0) == 0) {
      hand = std::string(h).substr(0, std::strlen(h) - 1);
      rest = path.substr(std::strlen(h));
      return true;
    }
  }
  return false;
}

// ---- The API --------------------------------------------------------------------------

#define LOCK std::lock_guard<std::recursive_mutex> lock(reg().mutex)

XRAPI_ATTR XrResult XRAPI_CALL rtGetInstanceProcAddr(XrInstance instance, const char* name,
                                                     PFN_xrVoidFunction* fn);

// What this runtime offers: Vulkan always; depth layers unless TROCAR_XR_TEST_DEPTH=0.
std::vector<std::pair<const char*, uint32_t>> offeredExtensions() {
  std::vector<std::pair<const char*, uint32_t>> e{{XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, 2}};
  const char* depth = std::getenv("TROCAR_XR_TEST_DEPTH");
  if (!depth || std::string(depth) != "0")
    e.emplace_back(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME,
                   XR_KHR_composition_layer_depth_SPEC_VERSION);
  return e;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateInstanceExtensionProperties(const char* layer, uint32_t capacity,
                                                                      uint32_t* count,
                                                                      XrExtensionProperties* props) {
  if (layer) return XR_ERROR_API_LAYER_NOT_PRESENT;
  const std::vector<std::pair<const char*, uint32_t>> offered = offeredExtensions();
  *count = static_cast<uint32_t>(offered.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < offered.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  for (size_t e = 0; e < offered.size(); ++e) {
    std::strcpy(props[e].extensionName, offered[e].first);
    props[e].extensionVersion = offered[e].second;
  }
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateInstance(const XrInstanceCreateInfo* info, XrInstance* out) {
  LOCK;
  if (!info || info->type != XR_TYPE_INSTANCE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
  auto inst = std::make_unique<Instance>();
  const auto offered = offeredExtensions();
  for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
    const char* name = info->enabledExtensionNames[i];
    if (std::none_of(offered.begin(), offered.end(),
                     [&](const auto& e) { return std::strcmp(e.first, name) == 0; }))
      return XR_ERROR_EXTENSION_NOT_PRESENT;
    inst->extensions.emplace_back(name);
  }
  if (XR_VERSION_MAJOR(info->applicationInfo.apiVersion) != 1) return XR_ERROR_API_VERSION_UNSUPPORTED;
  if (reg().instances.empty()) {
    reg().configure();
    reg().events.clear();
  }
  *out = reinterpret_cast<XrInstance>(inst.get());
  reg().instances.insert(inst.release());
  logLine("instance created");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroyInstance(XrInstance instance) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  for (Session* s : std::set<Session*>(reg().sessions)) {
    if (s->instance == i) {
      reg().sessions.erase(s);
      delete s;
    }
  }
  for (ActionSet* a : std::set<ActionSet*>(reg().actionSets)) {
    if (a->instance == i) {
      reg().actionSets.erase(a);
      delete a;
    }
  }
  reg().instances.erase(i);
  delete i;
  logLine("instance destroyed");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetInstanceProperties(XrInstance instance, XrInstanceProperties* props) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  props->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
  std::snprintf(props->runtimeName, XR_MAX_RUNTIME_NAME_SIZE, "Trocar headless test runtime");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtPollEvent(XrInstance instance, XrEventDataBuffer* out) {
  LOCK;
  Instance* inst = lookup(reg().instances, instance);
  if (!inst) return XR_ERROR_HANDLE_INVALID;
  // Scripted runtime events fire when their time has come.
  for (Session* s : reg().sessions) {
    if (s->instance != inst || s->beginTimeNs < 0) continue;
    const double t = sessionSeconds(s, s->displayTimeNs);
    while (s->nextEvent < reg().script.events.size() && reg().script.events[s->nextEvent].first <= t) {
      const std::string& what = reg().script.events[s->nextEvent++].second;
      if (what == "exit" && s->running) {
        if (s->state == XR_SESSION_STATE_FOCUSED) setState(s, XR_SESSION_STATE_VISIBLE);
        if (s->state == XR_SESSION_STATE_VISIBLE) setState(s, XR_SESSION_STATE_SYNCHRONIZED);
        setState(s, XR_SESSION_STATE_STOPPING);
      } else if (what == "loss") {
        setState(s, XR_SESSION_STATE_LOSS_PENDING);
      } else if (what == "unfocus" && s->state == XR_SESSION_STATE_FOCUSED) {
        setState(s, XR_SESSION_STATE_VISIBLE);
      } else if (what == "focus" && s->state == XR_SESSION_STATE_VISIBLE) {
        setState(s, XR_SESSION_STATE_FOCUSED);
      }
    }
  }
  if (reg().events.empty()) return XR_EVENT_UNAVAILABLE;
  *out = reg().events.front();
  reg().events.pop_front();
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtResultToString(XrInstance, XrResult value,
                                                char buffer[XR_MAX_RESULT_STRING_SIZE]) {
  std::snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "XR_RESULT_%d", static_cast<int>(value));
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtStructureTypeToString(XrInstance, XrStructureType value,
                                                       char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
  std::snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "XR_STRUCTURE_TYPE_%d", static_cast<int>(value));
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetSystem(XrInstance instance, const XrSystemGetInfo* info, XrSystemId* id) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY) return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
  *id = kSystemId;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetSystemProperties(XrInstance instance, XrSystemId id,
                                                     XrSystemProperties* p) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (id != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  p->systemId = kSystemId;
  p->vendorId = 0;
  std::snprintf(p->systemName, XR_MAX_SYSTEM_NAME_SIZE, "Trocar test headset");
  p->graphicsProperties = {kEyeWidth, kEyeHeight, 1};
  p->trackingProperties = {XR_TRUE, XR_TRUE};
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateViewConfigurations(XrInstance instance, XrSystemId id,
                                                             uint32_t capacity, uint32_t* count,
                                                             XrViewConfigurationType* types) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (id != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  *count = 1;
  if (capacity == 0) return XR_SUCCESS;
  types[0] = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetViewConfigurationProperties(XrInstance instance, XrSystemId id,
                                                                XrViewConfigurationType type,
                                                                XrViewConfigurationProperties* p) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  (void)id;
  p->viewConfigurationType = type;
  p->fovMutable = XR_FALSE;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateViewConfigurationViews(XrInstance instance, XrSystemId id,
                                                                 XrViewConfigurationType type,
                                                                 uint32_t capacity, uint32_t* count,
                                                                 XrViewConfigurationView* views) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (id != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  *count = 2;
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
  for (uint32_t i = 0; i < 2; ++i) {
    views[i].recommendedImageRectWidth = kEyeWidth;
    views[i].maxImageRectWidth = kEyeWidth * 2;
    views[i].recommendedImageRectHeight = kEyeHeight;
    views[i].maxImageRectHeight = kEyeHeight * 2;
    views[i].recommendedSwapchainSampleCount = 1;
    views[i].maxSwapchainSampleCount = 1;
  }
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateEnvironmentBlendModes(XrInstance instance, XrSystemId,
                                                                XrViewConfigurationType, uint32_t capacity,
                                                                uint32_t* count,
                                                                XrEnvironmentBlendMode* modes) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  const auto& offered = reg().blendModes;
  *count = static_cast<uint32_t>(offered.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < offered.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  std::copy(offered.begin(), offered.end(), modes);
  return XR_SUCCESS;
}

// ---- XR_KHR_vulkan_enable2 --------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL rtGetVulkanGraphicsRequirements2KHR(XrInstance instance, XrSystemId id,
                                                                   XrGraphicsRequirementsVulkanKHR* req) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (!hasExtension(i, XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME)) return XR_ERROR_FUNCTION_UNSUPPORTED;
  if (id != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  req->minApiVersionSupported = XR_MAKE_VERSION(1, 1, 0);
  req->maxApiVersionSupported = XR_MAKE_VERSION(1, 3, 0);
  i->vulkanRequirementsQueried = true;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateVulkanInstanceKHR(XrInstance instance,
                                                         const XrVulkanInstanceCreateInfoKHR* info,
                                                         VkInstance* out, VkResult* vkResult) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (info->systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (!info->pfnGetInstanceProcAddr || !info->vulkanCreateInfo) return XR_ERROR_VALIDATION_FAILURE;
  auto create = reinterpret_cast<PFN_vkCreateInstance>(
      info->pfnGetInstanceProcAddr(VK_NULL_HANDLE, "vkCreateInstance"));
  *vkResult = create(info->vulkanCreateInfo, info->vulkanAllocator, out);
  if (*vkResult == VK_SUCCESS) i->vkInstance = *out;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetVulkanGraphicsDevice2KHR(XrInstance instance,
                                                             const XrVulkanGraphicsDeviceGetInfoKHR* info,
                                                             VkPhysicalDevice* out) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (info->systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(info->vulkanInstance, &count, nullptr);
  if (count == 0) return XR_ERROR_RUNTIME_FAILURE;
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(info->vulkanInstance, &count, devices.data());
  *out = devices[0];
  i->vkPhysical = devices[0];
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateVulkanDeviceKHR(XrInstance instance,
                                                       const XrVulkanDeviceCreateInfoKHR* info, VkDevice* out,
                                                       VkResult* vkResult) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (info->systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  if (info->vulkanPhysicalDevice != i->vkPhysical)
    return XR_ERROR_VALIDATION_FAILURE;  // must be the one we gave
  auto create =
      reinterpret_cast<PFN_vkCreateDevice>(info->pfnGetInstanceProcAddr(i->vkInstance, "vkCreateDevice"));
  *vkResult = create(info->vulkanPhysicalDevice, info->vulkanCreateInfo, info->vulkanAllocator, out);
  return XR_SUCCESS;
}

// ---- Session ------------------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL rtCreateSession(XrInstance instance, const XrSessionCreateInfo* info,
                                               XrSession* out) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (info->systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
  const auto* binding = static_cast<const XrGraphicsBindingVulkanKHR*>(info->next);
  if (!binding || binding->type != XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR)
    return XR_ERROR_GRAPHICS_DEVICE_INVALID;
  if (!i->vulkanRequirementsQueried) return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
  auto s = std::make_unique<Session>();
  s->instance = i;
  s->binding = *binding;
  vkGetDeviceQueue(binding->device, binding->queueFamilyIndex, binding->queueIndex, &s->queue);
  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.queueFamilyIndex = binding->queueFamilyIndex;
  if (vkCreateCommandPool(binding->device, &pool, nullptr, &s->pool) != VK_SUCCESS)
    return XR_ERROR_RUNTIME_FAILURE;
  s->displayTimeNs = nowNs();
  Session* raw = s.release();
  reg().sessions.insert(raw);
  *out = reinterpret_cast<XrSession>(raw);
  setState(raw, XR_SESSION_STATE_IDLE);
  setState(raw, XR_SESSION_STATE_READY);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroySession(XrSession session) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  writePngs(s);
  for (Swapchain* sc : std::set<Swapchain*>(reg().swapchains)) {
    if (sc->session == s) destroySwapchain(sc);
  }
  for (Space* sp : std::set<Space*>(reg().spaces)) {
    if (sp->session == s) {
      reg().spaces.erase(sp);
      delete sp;
    }
  }
  vkDestroyCommandPool(s->binding.device, s->pool, nullptr);
  reg().sessions.erase(s);
  delete s;
  logLine("session destroyed");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtBeginSession(XrSession session, const XrSessionBeginInfo* info) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (s->running) return XR_ERROR_SESSION_RUNNING;
  if (s->state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
  if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
    return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  }
  s->running = true;
  logLine("session begun");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEndSession(XrSession session) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
  if (s->state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
  writePngs(s);
  s->running = false;
  setState(s, XR_SESSION_STATE_IDLE);
  setState(s, XR_SESSION_STATE_EXITING);
  logLine("session ended frames=%llu", static_cast<unsigned long long>(s->frames));
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtRequestExitSession(XrSession session) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
  logLine("exit requested t=%.3f", sessionSeconds(s, s->displayTimeNs));
  if (s->state == XR_SESSION_STATE_FOCUSED) setState(s, XR_SESSION_STATE_VISIBLE);
  if (s->state == XR_SESSION_STATE_VISIBLE) setState(s, XR_SESSION_STATE_SYNCHRONIZED);
  if (s->state != XR_SESSION_STATE_STOPPING) setState(s, XR_SESSION_STATE_STOPPING);
  return XR_SUCCESS;
}

// ---- Spaces --------------------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateReferenceSpaces(XrSession session, uint32_t capacity,
                                                          uint32_t* count, XrReferenceSpaceType* types) {
  LOCK;
  if (!lookup(reg().sessions, session)) return XR_ERROR_HANDLE_INVALID;
  *count = 3;
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < 3) return XR_ERROR_SIZE_INSUFFICIENT;
  types[0] = XR_REFERENCE_SPACE_TYPE_VIEW;
  types[1] = XR_REFERENCE_SPACE_TYPE_LOCAL;
  types[2] = XR_REFERENCE_SPACE_TYPE_STAGE;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateReferenceSpace(XrSession session,
                                                      const XrReferenceSpaceCreateInfo* info, XrSpace* out) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  auto sp = std::make_unique<Space>();
  sp->session = s;
  sp->offset = info->poseInReferenceSpace;
  switch (info->referenceSpaceType) {
    case XR_REFERENCE_SPACE_TYPE_VIEW: sp->kind = SpaceKind::kView; break;
    case XR_REFERENCE_SPACE_TYPE_LOCAL: sp->kind = SpaceKind::kLocal; break;
    case XR_REFERENCE_SPACE_TYPE_STAGE: sp->kind = SpaceKind::kStage; break;
    default: return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
  }
  *out = reinterpret_cast<XrSpace>(sp.get());
  reg().spaces.insert(sp.release());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateActionSpace(XrSession session, const XrActionSpaceCreateInfo* info,
                                                   XrSpace* out) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  Action* a = lookup(reg().actions, info->action);
  if (!a) return XR_ERROR_HANDLE_INVALID;
  if (a->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
  if (info->subactionPath != XR_NULL_PATH &&
      std::find(a->subactions.begin(), a->subactions.end(), info->subactionPath) == a->subactions.end()) {
    return XR_ERROR_PATH_UNSUPPORTED;
  }
  auto sp = std::make_unique<Space>();
  sp->session = s;
  sp->kind = SpaceKind::kAction;
  sp->action = a;
  sp->subaction = info->subactionPath;
  sp->offset = info->poseInActionSpace;
  *out = reinterpret_cast<XrSpace>(sp.get());
  reg().spaces.insert(sp.release());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroySpace(XrSpace space) {
  LOCK;
  Space* sp = lookup(reg().spaces, space);
  if (!sp) return XR_ERROR_HANDLE_INVALID;
  reg().spaces.erase(sp);
  delete sp;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtLocateSpace(XrSpace space, XrSpace base, XrTime time,
                                             XrSpaceLocation* location) {
  LOCK;
  Space* sp = lookup(reg().spaces, space);
  Space* b = lookup(reg().spaces, base);
  if (!sp || !b) return XR_ERROR_HANDLE_INVALID;
  if (time <= 0) return XR_ERROR_TIME_INVALID;
  XrPosef pose{};
  const bool tracked = spacePose(sp, time, pose);
  // Base spaces other than LOCAL/STAGE are not needed by Trocar.
  if (b->kind != SpaceKind::kLocal && b->kind != SpaceKind::kStage) return XR_ERROR_VALIDATION_FAILURE;
  location->pose = pose;
  location->locationFlags =
      tracked ? (XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT |
                 XR_SPACE_LOCATION_POSITION_TRACKED_BIT | XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT)
              : 0;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtLocateViews(XrSession session, const XrViewLocateInfo* info,
                                             XrViewState* state, uint32_t capacity, uint32_t* count,
                                             XrView* views) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  Space* base = lookup(reg().spaces, info->space);
  if (!base) return XR_ERROR_HANDLE_INVALID;
  if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
    return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
  }
  if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
  *count = 2;
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
  Space head;
  head.session = s;
  head.kind = SpaceKind::kView;
  for (uint32_t eye = 0; eye < 2; ++eye) {
    head.offset = {{0, 0, 0, 1}, {eye == 0 ? -0.032f : 0.032f, 0, 0}};  // 64 mm IPD
    spacePose(&head, info->displayTime, views[eye].pose);
    // Asymmetric, as real headsets report: wider on the outer side.
    views[eye].fov = eye == 0 ? XrFovf{-0.82f, 0.70f, 0.76f, -0.84f} : XrFovf{-0.70f, 0.82f, 0.76f, -0.84f};
  }
  state->viewStateFlags = XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT |
                          XR_VIEW_STATE_POSITION_TRACKED_BIT | XR_VIEW_STATE_ORIENTATION_TRACKED_BIT;
  if (s->frames >= reg().lostFrom && s->frames < reg().lostTo) {
    // Tracking lost: no valid bits, and poses that are not poses (as some runtimes leave them).
    state->viewStateFlags = 0;
    for (uint32_t eye = 0; eye < 2; ++eye) views[eye].pose = XrPosef{{0, 0, 0, 0}, {0, 0, 0}};
    logLine("views invalid at frame %llu", static_cast<unsigned long long>(s->frames));
  }
  return XR_SUCCESS;
}

// ---- Swapchains -----------------------------------------------------------------------------

const std::array<int64_t, 5> kFormats{VK_FORMAT_R8G8B8A8_SRGB, VK_FORMAT_B8G8R8A8_SRGB,
                                      VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_D32_SFLOAT, VK_FORMAT_D16_UNORM};

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateSwapchainFormats(XrSession session, uint32_t capacity,
                                                           uint32_t* count, int64_t* formats) {
  LOCK;
  if (!lookup(reg().sessions, session)) return XR_ERROR_HANDLE_INVALID;
  *count = static_cast<uint32_t>(kFormats.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < kFormats.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  std::copy(kFormats.begin(), kFormats.end(), formats);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateSwapchain(XrSession session, const XrSwapchainCreateInfo* info,
                                                 XrSwapchain* out) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (std::find(kFormats.begin(), kFormats.end(), info->format) == kFormats.end()) {
    return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
  }
  if (info->width == 0 || info->height == 0 || info->arraySize == 0 || info->arraySize > 2 ||
      info->faceCount != 1 || info->mipCount != 1 || info->sampleCount != 1) {
    return XR_ERROR_VALIDATION_FAILURE;
  }
  // A depth format is a depth attachment, never a colour one (and the other way round).
  const bool depth = isDepthFormat(info->format);
  const XrSwapchainUsageFlags wrongUse =
      depth ? XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT : XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
  if (info->usageFlags & wrongUse) return XR_ERROR_FEATURE_UNSUPPORTED;
  auto sc = std::make_unique<Swapchain>();
  sc->session = s;
  sc->info = *info;
  sc->depth = depth;
  VkDevice device = s->binding.device;
  VkPhysicalDeviceMemoryProperties props{};
  vkGetPhysicalDeviceMemoryProperties(s->binding.physicalDevice, &props);
  for (int k = 0; k < 3; ++k) {
    VkImageCreateInfo ii{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ii.imageType = VK_IMAGE_TYPE_2D;
    ii.format = static_cast<VkFormat>(info->format);
    ii.extent = {info->width, info->height, 1};
    ii.mipLevels = 1;
    ii.arrayLayers = info->arraySize;
    ii.samples = VK_SAMPLE_COUNT_1_BIT;
    ii.usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT;  // the compositor (PNG copy) reads them
    if (info->usageFlags & XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT)
      ii.usage |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    if (info->usageFlags & XR_SWAPCHAIN_USAGE_SAMPLED_BIT) ii.usage |= VK_IMAGE_USAGE_SAMPLED_BIT;
    if (info->usageFlags & XR_SWAPCHAIN_USAGE_TRANSFER_DST_BIT) ii.usage |= VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    if (info->usageFlags & XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT)
      ii.usage |= VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
    VkImage image = VK_NULL_HANDLE;
    if (vkCreateImage(device, &ii, nullptr, &image) != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
    VkMemoryRequirements req{};
    vkGetImageMemoryRequirements(device, image, &req);
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    for (uint32_t m = 0; m < props.memoryTypeCount; ++m) {
      if ((req.memoryTypeBits & (1u << m)) &&
          (props.memoryTypes[m].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
        ai.memoryTypeIndex = m;
        break;
      }
    }
    VkDeviceMemory memory = VK_NULL_HANDLE;
    if (vkAllocateMemory(device, &ai, nullptr, &memory) != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
    vkBindImageMemory(device, image, memory, 0);
    sc->images.push_back(image);
    sc->memory.push_back(memory);
  }
  // Images are handed out in COLOR_ATTACHMENT_OPTIMAL (depth: DEPTH_STENCIL_ATTACHMENT_OPTIMAL),
  // as the Vulkan binding promises.
  VkCommandBufferAllocateInfo ca{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ca.commandPool = s->pool;
  ca.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ca.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  vkAllocateCommandBuffers(device, &ca, &cmd);
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  for (VkImage image : sc->images) {
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.dstAccessMask =
        depth ? VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT : VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    b.newLayout =
        depth ? VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = image;
    b.subresourceRange = {depth ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0,
                          info->arraySize};
    vkCmdPipelineBarrier(
        cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
        depth ? VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT : VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, 0,
        0, nullptr, 0, nullptr, 1, &b);
  }
  vkEndCommandBuffer(cmd);
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  vkQueueSubmit(s->queue, 1, &submit, VK_NULL_HANDLE);
  vkQueueWaitIdle(s->queue);
  vkFreeCommandBuffers(device, s->pool, 1, &cmd);
  *out = reinterpret_cast<XrSwapchain>(sc.get());
  reg().swapchains.insert(sc.release());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroySwapchain(XrSwapchain swapchain) {
  LOCK;
  Swapchain* sc = lookup(reg().swapchains, swapchain);
  if (!sc) return XR_ERROR_HANDLE_INVALID;
  Session* s = sc->session;
  if (s->lastSwapchain == sc || s->lastQuad == sc || s->lastDepth == sc) writePngs(s);
  destroySwapchain(sc);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEnumerateSwapchainImages(XrSwapchain swapchain, uint32_t capacity,
                                                          uint32_t* count,
                                                          XrSwapchainImageBaseHeader* images) {
  LOCK;
  Swapchain* sc = lookup(reg().swapchains, swapchain);
  if (!sc) return XR_ERROR_HANDLE_INVALID;
  *count = static_cast<uint32_t>(sc->images.size());
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < sc->images.size()) return XR_ERROR_SIZE_INSUFFICIENT;
  auto* vk = reinterpret_cast<XrSwapchainImageVulkanKHR*>(images);
  for (size_t k = 0; k < sc->images.size(); ++k) {
    if (vk[k].type != XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR) return XR_ERROR_VALIDATION_FAILURE;
    vk[k].image = sc->images[k];
  }
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtAcquireSwapchainImage(XrSwapchain swapchain,
                                                       const XrSwapchainImageAcquireInfo*, uint32_t* index) {
  LOCK;
  Swapchain* sc = lookup(reg().swapchains, swapchain);
  if (!sc) return XR_ERROR_HANDLE_INVALID;
  if (sc->acquired.size() >= sc->images.size()) return XR_ERROR_CALL_ORDER_INVALID;
  *index = sc->next;
  sc->acquired.push_back(sc->next);
  sc->next = (sc->next + 1) % static_cast<uint32_t>(sc->images.size());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtWaitSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageWaitInfo*) {
  LOCK;
  Swapchain* sc = lookup(reg().swapchains, swapchain);
  if (!sc) return XR_ERROR_HANDLE_INVALID;
  if (sc->acquired.empty() || sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
  sc->waited = true;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtReleaseSwapchainImage(XrSwapchain swapchain,
                                                       const XrSwapchainImageReleaseInfo*) {
  LOCK;
  Swapchain* sc = lookup(reg().swapchains, swapchain);
  if (!sc) return XR_ERROR_HANDLE_INVALID;
  if (sc->acquired.empty() || !sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
  sc->lastReleased = sc->acquired.front();
  sc->acquired.pop_front();
  sc->waited = false;
  return XR_SUCCESS;
}

// ---- Frame loop ---------------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL rtWaitFrame(XrSession session, const XrFrameWaitInfo*, XrFrameState* state) {
  int64_t wakeAt = 0;
  {
    LOCK;
    Session* s = lookup(reg().sessions, session);
    if (!s) return XR_ERROR_HANDLE_INVALID;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->waitedFrames > 0) return XR_ERROR_CALL_ORDER_INVALID;  // this runtime allows one frame in flight
    // The next display refresh: one period on, or (when the app is slower than the display)
    // the first refresh after now, as a real compositor would schedule it.
    s->displayTimeNs += kFramePeriodNs;
    if (!reg().fast) {
      const int64_t now = nowNs();
      if (s->displayTimeNs < now + kFramePeriodNs) {
        s->displayTimeNs += ((now + kFramePeriodNs - s->displayTimeNs) / kFramePeriodNs + 1) * kFramePeriodNs;
      }
    }
    if (s->beginTimeNs < 0) s->beginTimeNs = s->displayTimeNs;
    s->waitedFrames++;
    state->predictedDisplayTime = s->displayTimeNs;
    state->predictedDisplayPeriod = kFramePeriodNs;
    state->shouldRender =
        (s->state == XR_SESSION_STATE_VISIBLE || s->state == XR_SESSION_STATE_FOCUSED) ? XR_TRUE : XR_FALSE;
    wakeAt = reg().fast ? 0 : s->displayTimeNs - kFramePeriodNs;
  }
  // Pace like a display: return one period before the predicted display time.
  const int64_t sleepNs = wakeAt - nowNs();
  if (sleepNs > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(sleepNs));
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtBeginFrame(XrSession session, const XrFrameBeginInfo*) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
  if (s->waitedFrames == 0) return XR_ERROR_CALL_ORDER_INVALID;
  s->waitedFrames--;
  const bool discarded = s->frameBegun;
  s->frameBegun = true;
  return discarded ? XR_FRAME_DISCARDED : XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtEndFrame(XrSession session, const XrFrameEndInfo* info) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
  if (!s->frameBegun) return XR_ERROR_CALL_ORDER_INVALID;
  if (info->displayTime != s->displayTimeNs) return XR_ERROR_TIME_INVALID;
  if (std::find(reg().blendModes.begin(), reg().blendModes.end(), info->environmentBlendMode) ==
      reg().blendModes.end())
    return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
  uint32_t views = 0, quads = 0, depths = 0;
  for (uint32_t l = 0; l < info->layerCount; ++l) {
    const XrCompositionLayerBaseHeader* layer = info->layers[l];
    if (!layer) return XR_ERROR_LAYER_INVALID;
    if (!lookup(reg().spaces, layer->space)) return XR_ERROR_HANDLE_INVALID;
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
      const auto* p = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
      if (p->viewCount != 2) return XR_ERROR_VALIDATION_FAILURE;
      for (uint32_t v = 0; v < 2; ++v) {
        const XrSwapchainSubImage& sub = p->views[v].subImage;
        Swapchain* sc = lookup(reg().swapchains, sub.swapchain);
        if (!sc) return XR_ERROR_HANDLE_INVALID;
        if (sc->lastReleased < 0) return XR_ERROR_LAYER_INVALID;  // never released an image
        if (sub.imageArrayIndex >= sc->info.arraySize) return XR_ERROR_VALIDATION_FAILURE;
        // A projection view's pose must be a pose: a unit quaternion (the spec's POSE_INVALID).
        const XrQuaternionf& q = p->views[v].pose.orientation;
        if (std::abs(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w - 1.0f) > 0.01f) {
          logLine("xrEndFrame: POSE_INVALID");
          return XR_ERROR_POSE_INVALID;
        }
        if (sub.imageRect.extent.width <= 0 ||
            sub.imageRect.offset.x + sub.imageRect.extent.width > static_cast<int32_t>(sc->info.width)) {
          return XR_ERROR_SWAPCHAIN_RECT_INVALID;
        }
        if (sc->depth) return XR_ERROR_VALIDATION_FAILURE;  // a depth image as the picture
        s->lastSwapchain = sc;
        s->lastImage = static_cast<uint32_t>(sc->lastReleased);
        ++views;
        // Depth chained on the view: the extension enabled, a released image of a depth
        // swapchain, the rectangle inside it, a depth range inside [0, 1], distinct planes.
        for (auto* next = static_cast<const XrBaseInStructure*>(p->views[v].next); next; next = next->next) {
          if (next->type != XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR) continue;
          if (!hasExtension(s->instance, XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME))
            return XR_ERROR_VALIDATION_FAILURE;
          const auto* d = reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(next);
          Swapchain* dc = lookup(reg().swapchains, d->subImage.swapchain);
          if (!dc) return XR_ERROR_HANDLE_INVALID;
          if (!dc->depth || dc->lastReleased < 0 || d->subImage.imageArrayIndex >= dc->info.arraySize)
            return XR_ERROR_VALIDATION_FAILURE;
          const XrRect2Di& r = d->subImage.imageRect;
          if (r.extent.width <= 0 || r.extent.height <= 0 || r.offset.x < 0 || r.offset.y < 0 ||
              r.offset.x + r.extent.width > static_cast<int32_t>(dc->info.width) ||
              r.offset.y + r.extent.height > static_cast<int32_t>(dc->info.height))
            return XR_ERROR_SWAPCHAIN_RECT_INVALID;
          if (!(d->minDepth >= 0.0f && d->minDepth < d->maxDepth && d->maxDepth <= 1.0f) ||
              !(d->nearZ >= 0.0f && d->farZ >= 0.0f && d->nearZ != d->farZ))
            return XR_ERROR_VALIDATION_FAILURE;
          s->lastDepth = dc;
          s->lastDepthImage = static_cast<uint32_t>(dc->lastReleased);
          s->lastDepthInfo = *d;
          ++depths;
        }
      }
    } else if (layer->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
      // A quad: a released image of a live swapchain, a rectangle inside it, a real size, a pose.
      const auto* q = reinterpret_cast<const XrCompositionLayerQuad*>(layer);
      Swapchain* sc = lookup(reg().swapchains, q->subImage.swapchain);
      if (!sc) return XR_ERROR_HANDLE_INVALID;
      if (sc->lastReleased < 0) return XR_ERROR_LAYER_INVALID;
      if (q->subImage.imageArrayIndex >= sc->info.arraySize) return XR_ERROR_VALIDATION_FAILURE;
      if (q->subImage.imageRect.extent.width <= 0 || q->subImage.imageRect.extent.height <= 0 ||
          q->subImage.imageRect.offset.x + q->subImage.imageRect.extent.width >
              static_cast<int32_t>(sc->info.width) ||
          q->subImage.imageRect.offset.y + q->subImage.imageRect.extent.height >
              static_cast<int32_t>(sc->info.height))
        return XR_ERROR_SWAPCHAIN_RECT_INVALID;
      if (!(q->size.width > 0.0f) || !(q->size.height > 0.0f)) return XR_ERROR_VALIDATION_FAILURE;
      const XrQuaternionf& o = q->pose.orientation;
      if (std::abs(o.x * o.x + o.y * o.y + o.z * o.z + o.w * o.w - 1.0f) > 0.01f)
        return XR_ERROR_POSE_INVALID;
      s->lastQuad = sc;
      s->lastQuadImage = static_cast<uint32_t>(sc->lastReleased);
      ++quads;
    } else {
      return XR_ERROR_LAYER_INVALID;
    }
  }
  s->frameBegun = false;
  ++s->frames;
  logLine("frame %llu t=%.3f layers=%u views=%u quads=%u blend=%d depth=%u",
          static_cast<unsigned long long>(s->frames), sessionSeconds(s, info->displayTime), info->layerCount,
          views, quads, static_cast<int>(info->environmentBlendMode), depths);
  // The compositor shows the first frames, then the app gets input focus.
  if (s->state == XR_SESSION_STATE_READY) {
    setState(s, XR_SESSION_STATE_SYNCHRONIZED);
    setState(s, XR_SESSION_STATE_VISIBLE);
    setState(s, XR_SESSION_STATE_FOCUSED);
  }
  return XR_SUCCESS;
}

// ---- Paths and actions ---------------------------------------------------------------------

XRAPI_ATTR XrResult XRAPI_CALL rtStringToPath(XrInstance instance, const char* text, XrPath* path) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  const std::string s(text);
  if (s.empty() || s[0] != '/' || s.back() == '/' || s.find("//") != std::string::npos)
    return XR_ERROR_PATH_FORMAT_INVALID;
  *path = pathFor(s);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtPathToString(XrInstance instance, XrPath path, uint32_t capacity,
                                              uint32_t* count, char* buffer) {
  LOCK;
  if (!lookup(reg().instances, instance)) return XR_ERROR_HANDLE_INVALID;
  if (path == XR_NULL_PATH || path >= reg().paths.size()) return XR_ERROR_PATH_INVALID;
  const std::string& s = reg().paths[path];
  *count = static_cast<uint32_t>(s.size() + 1);
  if (capacity == 0) return XR_SUCCESS;
  if (capacity < *count) return XR_ERROR_SIZE_INSUFFICIENT;
  std::memcpy(buffer, s.c_str(), s.size() + 1);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateActionSet(XrInstance instance, const XrActionSetCreateInfo* info,
                                                 XrActionSet* out) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (info->actionSetName[0] == '\0') return XR_ERROR_NAME_INVALID;
  auto set = std::make_unique<ActionSet>();
  set->instance = i;
  set->name = info->actionSetName;
  *out = reinterpret_cast<XrActionSet>(set.get());
  reg().actionSets.insert(set.release());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroyActionSet(XrActionSet set) {
  LOCK;
  ActionSet* a = lookup(reg().actionSets, set);
  if (!a) return XR_ERROR_HANDLE_INVALID;
  for (Action* act : std::set<Action*>(reg().actions)) {
    if (act->set == a) {
      reg().actions.erase(act);
      delete act;
    }
  }
  reg().actionSets.erase(a);
  delete a;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtCreateAction(XrActionSet set, const XrActionCreateInfo* info,
                                              XrAction* out) {
  LOCK;
  ActionSet* a = lookup(reg().actionSets, set);
  if (!a) return XR_ERROR_HANDLE_INVALID;
  if (a->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
  auto act = std::make_unique<Action>();
  act->set = a;
  act->name = info->actionName;
  act->type = info->actionType;
  act->subactions.assign(info->subactionPaths, info->subactionPaths + info->countSubactionPaths);
  *out = reinterpret_cast<XrAction>(act.get());
  reg().actions.insert(act.release());
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtDestroyAction(XrAction action) {
  LOCK;
  Action* a = lookup(reg().actions, action);
  if (!a) return XR_ERROR_HANDLE_INVALID;
  reg().actions.erase(a);
  delete a;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL
rtSuggestInteractionProfileBindings(XrInstance instance, const XrInteractionProfileSuggestedBinding* s) {
  LOCK;
  Instance* i = lookup(reg().instances, instance);
  if (!i) return XR_ERROR_HANDLE_INVALID;
  if (s->interactionProfile >= reg().paths.size()) return XR_ERROR_PATH_INVALID;
  auto profile = profiles().find(reg().paths[s->interactionProfile]);
  if (profile == profiles().end()) return XR_ERROR_PATH_UNSUPPORTED;
  std::vector<std::pair<Action*, XrPath>> bindings;
  for (uint32_t k = 0; k < s->countSuggestedBindings; ++k) {
    Action* a = lookup(reg().actions, s->suggestedBindings[k].action);
    if (!a) return XR_ERROR_HANDLE_INVALID;
    if (a->set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    const XrPath b = s->suggestedBindings[k].binding;
    if (b >= reg().paths.size()) return XR_ERROR_PATH_INVALID;
    std::string hand;
    std::string rest;
    if (!splitBinding(reg().paths[b], hand, rest) || !profile->second.count(rest)) {
      logLine("binding refused %s for %s", reg().paths[b].c_str(), profile->first.c_str());
      return XR_ERROR_PATH_UNSUPPORTED;
    }
    bindings.emplace_back(a, b);
  }
  i->suggested[s->interactionProfile] = std::move(bindings);
  logLine("bindings accepted %s (%u)", profile->first.c_str(), s->countSuggestedBindings);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtAttachSessionActionSets(XrSession session,
                                                         const XrSessionActionSetsAttachInfo* info) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (!s->attachedSets.empty()) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
  for (uint32_t k = 0; k < info->countActionSets; ++k) {
    ActionSet* a = lookup(reg().actionSets, info->actionSets[k]);
    if (!a) return XR_ERROR_HANDLE_INVALID;
    a->attached = true;
    s->attachedSets.insert(a);
  }
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtSyncActions(XrSession session, const XrActionsSyncInfo* info) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  for (uint32_t k = 0; k < info->countActiveActionSets; ++k) {
    ActionSet* a = lookup(reg().actionSets, info->activeActionSets[k].actionSet);
    if (!a) return XR_ERROR_HANDLE_INVALID;
    if (!s->attachedSets.count(a)) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  }
  if (s->state != XR_SESSION_STATE_FOCUSED) {
    s->synced = false;
    return XR_SESSION_NOT_FOCUSED;
  }
  const double t = sessionSeconds(s, s->displayTimeNs);
  for (int h = 0; h < 2; ++h) {
    s->handTracked[static_cast<size_t>(h)] =
        reg().script.sample(h == 0 ? "left" : "right", t, s->hands[static_cast<size_t>(h)]);
  }
  s->synced = true;
  return XR_SUCCESS;
}

int handOf(XrPath subaction) {
  if (subaction == pathFor("/user/hand/left")) return 0;
  if (subaction == pathFor("/user/hand/right")) return 1;
  return -1;
}

// Validates a state query; returns the hand index (or -1 for XR_NULL_PATH).
XrResult checkState(const XrActionStateGetInfo* info, XrActionType type, Session*& s, Action*& a, int& hand,
                    XrSession session) {
  s = lookup(reg().sessions, session);
  a = lookup(reg().actions, info->action);
  if (!s || !a) return XR_ERROR_HANDLE_INVALID;
  if (!s->attachedSets.count(a->set)) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  if (a->type != type) return XR_ERROR_ACTION_TYPE_MISMATCH;
  hand = handOf(info->subactionPath);
  if (info->subactionPath != XR_NULL_PATH &&
      std::find(a->subactions.begin(), a->subactions.end(), info->subactionPath) == a->subactions.end()) {
    return XR_ERROR_PATH_UNSUPPORTED;
  }
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetActionStateFloat(XrSession session, const XrActionStateGetInfo* info,
                                                     XrActionStateFloat* state) {
  LOCK;
  Session* s;
  Action* a;
  int hand;
  if (XrResult r = checkState(info, XR_ACTION_TYPE_FLOAT_INPUT, s, a, hand, session); r != XR_SUCCESS)
    return r;
  const bool active = s->synced && hand >= 0 && s->handTracked[static_cast<size_t>(hand)];
  const bool isSqueeze = a->name.find("squeeze") != std::string::npos;
  state->currentState = active ? s->hands[static_cast<size_t>(hand)][isSqueeze ? 8 : 7] : 0.0f;
  state->isActive = active ? XR_TRUE : XR_FALSE;
  state->changedSinceLastSync = XR_FALSE;
  state->lastChangeTime = s->displayTimeNs;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetActionStateBoolean(XrSession session, const XrActionStateGetInfo* info,
                                                       XrActionStateBoolean* state) {
  LOCK;
  Session* s;
  Action* a;
  int hand;
  if (XrResult r = checkState(info, XR_ACTION_TYPE_BOOLEAN_INPUT, s, a, hand, session); r != XR_SUCCESS)
    return r;
  state->isActive =
      (s->synced && hand >= 0 && s->handTracked[static_cast<size_t>(hand)]) ? XR_TRUE : XR_FALSE;
  // The state and when it changed, as a runtime reports it (lastChangeTime: the change's own
  // time, which a slow app sees frames later).
  const std::string button = std::string(hand == 0 ? "left/" : "right/") + a->name;
  const auto [down, since] = reg().script.held(button, sessionSeconds(s, s->displayTimeNs));
  state->currentState = state->isActive && down ? XR_TRUE : XR_FALSE;
  state->changedSinceLastSync = XR_FALSE;
  state->lastChangeTime = s->beginTimeNs + static_cast<XrTime>(since * 1e9);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetActionStatePose(XrSession session, const XrActionStateGetInfo* info,
                                                    XrActionStatePose* state) {
  LOCK;
  Session* s;
  Action* a;
  int hand;
  if (XrResult r = checkState(info, XR_ACTION_TYPE_POSE_INPUT, s, a, hand, session); r != XR_SUCCESS)
    return r;
  state->isActive =
      (s->synced && hand >= 0 && s->handTracked[static_cast<size_t>(hand)]) ? XR_TRUE : XR_FALSE;
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtApplyHapticFeedback(XrSession session, const XrHapticActionInfo* info,
                                                     const XrHapticBaseHeader* haptic) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  Action* a = lookup(reg().actions, info->action);
  if (!s || !a) return XR_ERROR_HANDLE_INVALID;
  if (!s->attachedSets.count(a->set)) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  if (a->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
  if (!haptic || haptic->type != XR_TYPE_HAPTIC_VIBRATION) return XR_ERROR_VALIDATION_FAILURE;
  const auto* v = reinterpret_cast<const XrHapticVibration*>(haptic);
  if (v->amplitude < 0.0f || v->amplitude > 1.0f) return XR_ERROR_VALIDATION_FAILURE;
  const int hand = handOf(info->subactionPath);
  if (s->state != XR_SESSION_STATE_FOCUSED) return XR_SESSION_NOT_FOCUSED;
  logLine("haptic %s t=%.3f amplitude=%.3f frequency=%.1f duration_ms=%.1f",
          hand == 0   ? "left"
          : hand == 1 ? "right"
                      : "both",
          sessionSeconds(s, s->displayTimeNs), static_cast<double>(v->amplitude),
          static_cast<double>(v->frequency), static_cast<double>(v->duration) * 1e-6);
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtStopHapticFeedback(XrSession session, const XrHapticActionInfo* info) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  Action* a = lookup(reg().actions, info->action);
  if (!s || !a) return XR_ERROR_HANDLE_INVALID;
  if (!s->attachedSets.count(a->set)) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  logLine("haptic-stop %s", handOf(info->subactionPath) == 0 ? "left" : "right");
  return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL rtGetCurrentInteractionProfile(XrSession session, XrPath topLevel,
                                                              XrInteractionProfileState* state) {
  LOCK;
  Session* s = lookup(reg().sessions, session);
  if (!s) return XR_ERROR_HANDLE_INVALID;
  if (s->attachedSets.empty()) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
  (void)topLevel;
  // The "connected" controllers are the first profile the app suggested.
  state->interactionProfile =
      s->instance->suggested.empty() ? XR_NULL_PATH : s->instance->suggested.begin()->first;
  return XR_SUCCESS;
}

struct Entry {
  const char* name;
  PFN_xrVoidFunction fn;
};

#define ENTRY(name, fn) \
  { name, reinterpret_cast<PFN_xrVoidFunction>(fn) }
const Entry kEntries[] = {
    ENTRY("xrGetInstanceProcAddr", rtGetInstanceProcAddr),
    ENTRY("xrEnumerateInstanceExtensionProperties", rtEnumerateInstanceExtensionProperties),
    ENTRY("xrCreateInstance", rtCreateInstance),
    ENTRY("xrDestroyInstance", rtDestroyInstance),
    ENTRY("xrGetInstanceProperties", rtGetInstanceProperties),
    ENTRY("xrPollEvent", rtPollEvent),
    ENTRY("xrResultToString", rtResultToString),
    ENTRY("xrStructureTypeToString", rtStructureTypeToString),
    ENTRY("xrGetSystem", rtGetSystem),
    ENTRY("xrGetSystemProperties", rtGetSystemProperties),
    ENTRY("xrEnumerateViewConfigurations", rtEnumerateViewConfigurations),
    ENTRY("xrGetViewConfigurationProperties", rtGetViewConfigurationProperties),
    ENTRY("xrEnumerateViewConfigurationViews", rtEnumerateViewConfigurationViews),
    ENTRY("xrEnumerateEnvironmentBlendModes", rtEnumerateEnvironmentBlendModes),
    ENTRY("xrGetVulkanGraphicsRequirements2KHR", rtGetVulkanGraphicsRequirements2KHR),
    ENTRY("xrCreateVulkanInstanceKHR", rtCreateVulkanInstanceKHR),
    ENTRY("xrGetVulkanGraphicsDevice2KHR", rtGetVulkanGraphicsDevice2KHR),
    ENTRY("xrCreateVulkanDeviceKHR", rtCreateVulkanDeviceKHR),
    ENTRY("xrCreateSession", rtCreateSession),
    ENTRY("xrDestroySession", rtDestroySession),
    ENTRY("xrBeginSession", rtBeginSession),
    ENTRY("xrEndSession", rtEndSession),
    ENTRY("xrRequestExitSession", rtRequestExitSession),
    ENTRY("xrEnumerateReferenceSpaces", rtEnumerateReferenceSpaces),
    ENTRY("xrCreateReferenceSpace", rtCreateReferenceSpace),
    ENTRY("xrCreateActionSpace", rtCreateActionSpace),
    ENTRY("xrDestroySpace", rtDestroySpace),
    ENTRY("xrLocateSpace", rtLocateSpace),
    ENTRY("xrLocateViews", rtLocateViews),
    ENTRY("xrEnumerateSwapchainFormats", rtEnumerateSwapchainFormats),
    ENTRY("xrCreateSwapchain", rtCreateSwapchain),
    ENTRY("xrDestroySwapchain", rtDestroySwapchain),
    ENTRY("xrEnumerateSwapchainImages", rtEnumerateSwapchainImages),
    ENTRY("xrAcquireSwapchainImage", rtAcquireSwapchainImage),
    ENTRY("xrWaitSwapchainImage", rtWaitSwapchainImage),
    ENTRY("xrReleaseSwapchainImage", rtReleaseSwapchainImage),
    ENTRY("xrWaitFrame", rtWaitFrame),
    ENTRY("xrBeginFrame", rtBeginFrame),
    ENTRY("xrEndFrame", rtEndFrame),
    ENTRY("xrStringToPath", rtStringToPath),
    ENTRY("xrPathToString", rtPathToString),
    ENTRY("xrCreateActionSet", rtCreateActionSet),
    ENTRY("xrDestroyActionSet", rtDestroyActionSet),
    ENTRY("xrCreateAction", rtCreateAction),
    ENTRY("xrDestroyAction", rtDestroyAction),
    ENTRY("xrSuggestInteractionProfileBindings", rtSuggestInteractionProfileBindings),
    ENTRY("xrAttachSessionActionSets", rtAttachSessionActionSets),
    ENTRY("xrSyncActions", rtSyncActions),
    ENTRY("xrGetActionStateFloat", rtGetActionStateFloat),
    ENTRY("xrGetActionStateBoolean", rtGetActionStateBoolean),
    ENTRY("xrGetActionStatePose", rtGetActionStatePose),
    ENTRY("xrApplyHapticFeedback", rtApplyHapticFeedback),
    ENTRY("xrStopHapticFeedback", rtStopHapticFeedback),
    ENTRY("xrGetCurrentInteractionProfile", rtGetCurrentInteractionProfile),
};

XRAPI_ATTR XrResult XRAPI_CALL rtGetInstanceProcAddr(XrInstance instance, const char* name,
                                                     PFN_xrVoidFunction* fn) {
  if (!name || !fn) return XR_ERROR_VALIDATION_FAILURE;
  *fn = nullptr;
  for (const Entry& e : kEntries) {
    if (std::strcmp(e.name, name) != 0) continue;
    // Without an instance only the pre-instance functions may be asked for.
    const bool global = std::strcmp(name, "xrEnumerateInstanceExtensionProperties") == 0 ||
                        std::strcmp(name, "xrCreateInstance") == 0 ||
                        std::strcmp(name, "xrEnumerateApiLayerProperties") == 0 ||
                        std::strcmp(name, "xrGetInstanceProcAddr") == 0;
    if (instance == XR_NULL_HANDLE && !global) return XR_ERROR_HANDLE_INVALID;
    *fn = e.fn;
    return XR_SUCCESS;
  }
  return XR_ERROR_FUNCTION_UNSUPPORTED;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) XrResult xrNegotiateLoaderRuntimeInterface(
    const XrNegotiateLoaderInfo* loaderInfo, XrNegotiateRuntimeRequest* request) {
  if (!loaderInfo || !request || loaderInfo->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO ||
      request->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST ||
      loaderInfo->minInterfaceVersion > 1 || loaderInfo->maxInterfaceVersion < 1) {
    return XR_ERROR_INITIALIZATION_FAILED;
  }
  request->runtimeInterfaceVersion = 1;
  request->runtimeApiVersion = XR_CURRENT_API_VERSION;
  request->getInstanceProcAddr = rtGetInstanceProcAddr;
  return XR_SUCCESS;
}
