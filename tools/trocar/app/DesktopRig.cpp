#include "DesktopRig.h"

#include "ScenePresenter.h"

#include <trocar/instruments/Instrument.h>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace trocar::app {

Vec3 fieldCenter(const scenario::ScenarioDesc& scenario) {
  Vec3 sum(0.0f);
  size_t n = 0;
  for (const scenario::TissueDesc& t : scenario.tissues) {
    switch (t.settings.kind) {
      case physics::TissueKind::kCloth:
        sum += t.settings.cloth.pose.position;
        ++n;
        break;
      case physics::TissueKind::kVolumetric:
        for (const Vec3& p : t.settings.tetMesh.nodes) sum += p;
        n += t.settings.tetMesh.nodes.size();
        break;
      case physics::TissueKind::kSurface:
        for (const Vec3& p : t.settings.surface.vertices) sum += p;
        n += t.settings.surface.vertices.size();
        break;
    }
  }
  if (n == 0) return {0.0f, scenario.tableHeight + 0.05f, -0.45f};
  return sum / static_cast<float>(n);
}

Pose handForTip(const scenario::ScenarioDesc& scenario, int hand, const Vec3& tip, const Vec3& viewer) {
  const auto setup = scenario.instruments.find(static_cast<instruments::Hand>(hand));
  const instruments::InstrumentKind kind =
      setup != scenario.instruments.end() ? setup->second.kind : instruments::InstrumentKind::kGrasper;
  const float length = instruments::defaultSpec(kind).shaftLength;
  Vec3 back;
  const instruments::Port* port = nullptr;
  if (setup != scenario.instruments.end()) {
    for (const instruments::Port& p : scenario.ports) {
      if (p.id == setup->second.port) port = &p;
    }
  }
  if (port && glm::length(port->position - tip) > 1e-4f) {
    back = glm::normalize(port->position - tip);  // the shaft runs from the tip out through the port
  } else {
    // Open surgery: the tool comes from the viewer's side of the field, left or right.
    const Vec3 toViewer = viewer - tip;
    const Vec3 side = glm::normalize(glm::cross(Vec3(0.0f, 1.0f, 0.0f), toViewer + Vec3(0.0f, 0.0f, 1e-3f)));
    back = glm::normalize(glm::normalize(toViewer) + (hand == 0 ? 0.6f : -0.6f) * side);
  }
  return lookAt(tip + back * length, tip);
}

struct DesktopRig::State {
  scenario::ScenarioDesc scenario;
  DesktopSettings settings;
  GLFWwindow* window = nullptr;
  bool glfwReady = false;
  std::unique_ptr<render::WindowTarget> target;
  bool exitRequested = false;
  int active = 1;  // right hand first: it holds the cutting tool in most tasks
  Vec3 center{0.0f};
  std::array<Vec3, 2> tips{};
  double lastX = 0.0;
  double lastY = 0.0;
  double scroll = 0.0;
  float yaw = 0.0f;
  float pitch = 0.7f;
  float distance = 0.45f;
  bool tabDown = false;
  bool pDown = false;
  bool nDown = false;
  std::array<float, 2> gauge{};  // latest vibration amplitude per hand

  void resetTips() {
    tips[0] = center + Vec3(-0.03f, 0.02f, 0.0f);
    tips[1] = center + Vec3(0.03f, 0.02f, 0.0f);
  }

  Pose camera() const {
    if (scenario.view == scenario::ViewKind::kLaparoscopic && scenario.camera) return scenario.camera->pose;
    const Vec3 offset(distance * std::cos(pitch) * std::sin(yaw), distance * std::sin(pitch),
                      distance * std::cos(pitch) * std::cos(yaw));
    return lookAt(center + offset, center);
  }

  ~State() {
    target.reset();
    if (window) glfwDestroyWindow(window);
    if (glfwReady) glfwTerminate();
  }
};

namespace {
// Wheel steps accumulate in the double the window's user pointer names (State::scroll).
void onScroll(GLFWwindow* w, double /*x*/, double y) {
  *static_cast<double*>(glfwGetWindowUserPointer(w)) += y;
}
}  // namespace

DesktopRig::DesktopRig(std::unique_ptr<State> state) : mState(std::move(state)) {}
DesktopRig::~DesktopRig() = default;
GLFWwindow* DesktopRig::window() const {
  return mState->window;
}
render::RenderTarget* DesktopRig::target() {
  return mState->target.get();
}

Result<std::unique_ptr<DesktopRig>> DesktopRig::create(const scenario::ScenarioDesc& scenario,
                                                       const DesktopSettings& settings) {
  auto s = std::make_unique<State>();
  s->scenario = scenario;
  s->settings = settings;
  if (!glfwInit()) {
    return makeError(ErrorCode::kUnavailable, "no display for a desktop window (GLFW could not connect)",
                     "set DISPLAY, run under xvfb-run, or use --rig headless");
  }
  s->glfwReady = true;
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
  const std::string title = "Trocar - " + scenario.title;
  s->window = glfwCreateWindow(settings.width, settings.height, title.c_str(), nullptr, nullptr);
  if (!s->window) return makeError(ErrorCode::kUnavailable, "GLFW could not open a window");
  glfwSetWindowUserPointer(s->window, &s->scroll);
  glfwSetScrollCallback(s->window, onScroll);
  glfwGetCursorPos(s->window, &s->lastX, &s->lastY);
  s->center = fieldCenter(scenario);
  s->resetTips();
  return std::unique_ptr<DesktopRig>(new DesktopRig(std::move(s)));
}

void DesktopRig::configureContext(render::ContextSettings& cs) {
  for (const std::string& e : render::windowInstanceExtensions()) cs.instanceExtensions.push_back(e);
  cs.presentation = true;
}

Result<void> DesktopRig::start(render::Context& context) {
  render::WindowSettings ws;
  ws.vsync = mState->settings.vsync;
  auto target = render::WindowTarget::create(context, mState->window, ws);
  if (!target) return target.error();
  mState->target = std::move(target.value());
  return {};
}

Result<xr::RigFrame> DesktopRig::beginFrame() {
  State& s = *mState;
  xr::RigFrame frame;
  glfwPollEvents();
  if (s.exitRequested || glfwWindowShouldClose(s.window)) {
    frame.running = false;
    return frame;
  }
  GLFWwindow* w = s.window;
  const bool tab = glfwGetKey(w, GLFW_KEY_TAB) == GLFW_PRESS;
  if (tab && !s.tabDown) s.active = 1 - s.active;
  s.tabDown = tab;
  const bool n = glfwGetKey(w, GLFW_KEY_N) == GLFW_PRESS;
  frame.restartRequested = n && !s.nDown;
  s.nDown = n;
  if (frame.restartRequested) s.resetTips();
  const bool p = glfwGetKey(w, GLFW_KEY_P) == GLFW_PRESS;
  frame.pauseToggled = p && !s.pDown;
  s.pDown = p;
  if (glfwGetKey(w, GLFW_KEY_R) == GLFW_PRESS) s.resetTips();
  if (glfwGetKey(w, GLFW_KEY_ESCAPE) == GLFW_PRESS) s.exitRequested = true;
  const float orbit = 0.02f;
  if (glfwGetKey(w, GLFW_KEY_LEFT) == GLFW_PRESS) s.yaw -= orbit;
  if (glfwGetKey(w, GLFW_KEY_RIGHT) == GLFW_PRESS) s.yaw += orbit;
  if (glfwGetKey(w, GLFW_KEY_UP) == GLFW_PRESS) s.pitch = std::min(1.45f, s.pitch + orbit);
  if (glfwGetKey(w, GLFW_KEY_DOWN) == GLFW_PRESS) s.pitch = std::max(0.1f, s.pitch - orbit);

  const Pose cam = s.camera();
  const Vec3 right = cam.transformVector({1.0f, 0.0f, 0.0f});
  const Vec3 up = cam.transformVector({0.0f, 1.0f, 0.0f});
  const Vec3 forward = cam.transformVector({0.0f, 0.0f, -1.0f});
  double x = 0.0;
  double y = 0.0;
  glfwGetCursorPos(w, &x, &y);
  const float metresPerPixel = 0.0003f;
  Vec3& tip = s.tips[static_cast<size_t>(s.active)];
  tip += right * static_cast<float>(x - s.lastX) * metresPerPixel -
         up * static_cast<float>(y - s.lastY) * metresPerPixel;
  tip += forward * static_cast<float>(s.scroll) * 0.005f;
  s.scroll = 0.0;
  s.lastX = x;
  s.lastY = y;

  int width = 1;
  int height = 1;
  glfwGetFramebufferSize(w, &width, &height);
  const float aspect = height > 0 ? static_cast<float>(width) / static_cast<float>(height) : 1.0f;
  float vfov = 1.0f;
  if (s.scenario.view == scenario::ViewKind::kLaparoscopic && s.scenario.camera)
    vfov = s.scenario.camera->verticalFovRad;
  const float halfV = vfov * 0.5f;
  const float halfH = std::atan(std::tan(halfV) * aspect);
  frame.head = cam;
  frame.endoscopeView = s.scenario.view == scenario::ViewKind::kLaparoscopic && s.scenario.camera.has_value();
  frame.eyes[0] = {cam, {-halfH, halfH, halfV, -halfV}};
  frame.eyes[1] = frame.eyes[0];
  for (int h = 0; h < 2; ++h) {
    xr::HandState& hand = frame.hands[static_cast<size_t>(h)];
    hand.tracked = true;
    hand.grip = handForTip(s.scenario, h, s.tips[static_cast<size_t>(h)], cam.position);
    hand.aim = hand.grip;
    if (h == s.active) {
      hand.trigger = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS ? 1.0f : 0.0f;
      hand.squeeze = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS ? 1.0f : 0.0f;
      hand.secondary = glfwGetKey(w, GLFW_KEY_E) == GLFW_PRESS;  // exchange the instrument
    }
  }
  frame.shouldRender = width > 0 && height > 0;
  frame.periodS = 1.0 / 60.0;
  frame.displayTimeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
  return frame;
}

Result<void> DesktopRig::endFrame() {
  return {};
}

void DesktopRig::applyHaptic(xr::HandSide hand, const xr::HapticPulse& pulse) {
  mState->gauge[static_cast<size_t>(hand)] = pulse.amplitude;
}

void DesktopRig::requestExit() {
  mState->exitRequested = true;
}

void DesktopRig::drawUi() {
  State& s = *mState;
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x - 12.0f, io.DisplaySize.y - 12.0f), ImGuiCond_Always,
                          ImVec2(1, 1));
  ImGui::SetNextWindowBgAlpha(0.7f);
  ImGui::Begin("Controls", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove);
  ImGui::Text("Active: %s hand (Tab switches)", s.active == 0 ? "left" : "right");
  ImGui::TextUnformatted("Mouse: move tip  Wheel: depth  L: close jaws  R-button: squeeze");
  ImGui::TextUnformatted("R: reset tools  P: pause  N: new attempt  Arrows: orbit  Esc: end");
  for (int h = 0; h < 2; ++h) {
    ImGui::Text("%s force", h == 0 ? "Left " : "Right");
    ImGui::SameLine();
    ImGui::ProgressBar(s.gauge[static_cast<size_t>(h)], ImVec2(160.0f, 0.0f), "");
  }
  ImGui::End();
}

void DesktopRig::stop() {
  mState->target.reset();
}

}  // namespace trocar::app
