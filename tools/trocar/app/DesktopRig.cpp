#include "DesktopRig.h"

#include "DesktopControls.h"
#include "ScenePresenter.h"

#include <trocar/instruments/Instrument.h>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

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
  std::unique_ptr<DesktopControls> controls;  // over `scenario`
  bool exitRequested = false;
  double lastX = 0.0;
  double lastY = 0.0;
  double scroll = 0.0;
  std::array<bool, GLFW_KEY_LAST + 1> keyDown{};  // last frame's, for presses
  std::array<float, 2> gauge{};                   // latest vibration amplitude per hand
  std::optional<std::chrono::steady_clock::time_point> lastFrame;

  // True once per press of `key`.
  // Presses seen by the callbacks since the last frame: a key or button pressed and let go
  // within one frame (a slow frame, a quick tap) still counts once.
  std::array<bool, GLFW_KEY_LAST + 1> keyPressed{};
  std::array<bool, GLFW_MOUSE_BUTTON_LAST + 1> buttonPressed{};

  // True once per press of `key`.
  bool pressed(int key) {
    const size_t k = static_cast<size_t>(key);
    const bool down = glfwGetKey(window, key) == GLFW_PRESS;
    const bool edge = keyPressed[k] || (down && !keyDown[k]);
    keyPressed[k] = false;
    keyDown[k] = down;
    return edge;
  }
  // Held now, or pressed since the last frame.
  bool button(int b) {
    const bool down = glfwGetMouseButton(window, b) == GLFW_PRESS || buttonPressed[static_cast<size_t>(b)];
    buttonPressed[static_cast<size_t>(b)] = false;
    return down;
  }
  bool held(int key) const { return glfwGetKey(window, key) == GLFW_PRESS; }

  ~State() {
    target.reset();
    if (window) glfwDestroyWindow(window);
    if (glfwReady) glfwTerminate();
  }
};

namespace {
// Wheel steps accumulate in the double the window's user pointer names (State::scroll).
DesktopRig::State* stateOf(GLFWwindow* w) {
  return static_cast<DesktopRig::State*>(glfwGetWindowUserPointer(w));
}
void onScroll(GLFWwindow* w, double /*x*/, double y) {
  stateOf(w)->scroll += y;
}
void onKey(GLFWwindow* w, int key, int /*scancode*/, int action, int /*mods*/) {
  if (action == GLFW_PRESS && key >= 0 && key <= GLFW_KEY_LAST)
    stateOf(w)->keyPressed[static_cast<size_t>(key)] = true;
}
void onButton(GLFWwindow* w, int b, int action, int /*mods*/) {
  if (action == GLFW_PRESS && b >= 0 && b <= GLFW_MOUSE_BUTTON_LAST)
    stateOf(w)->buttonPressed[static_cast<size_t>(b)] = true;
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
  glfwSetWindowUserPointer(s->window, s.get());
  glfwSetScrollCallback(s->window, onScroll);
  glfwSetKeyCallback(s->window, onKey);
  glfwSetMouseButtonCallback(s->window, onButton);
  glfwGetCursorPos(s->window, &s->lastX, &s->lastY);
  s->controls = std::make_unique<DesktopControls>(s->scenario);
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
  DesktopEvents e;
  const auto now = std::chrono::steady_clock::now();
  if (s.lastFrame) e.frameS = std::min(0.1, std::chrono::duration<double>(now - *s.lastFrame).count());
  s.lastFrame = now;
  double x = 0.0;
  double y = 0.0;
  glfwGetCursorPos(w, &x, &y);
  e.mouseDelta = Vec2(static_cast<float>(x - s.lastX), static_cast<float>(y - s.lastY));
  s.lastX = x;
  s.lastY = y;
  e.wheel = s.scroll;
  s.scroll = 0.0;
  e.leftButton = s.button(GLFW_MOUSE_BUTTON_LEFT);
  e.rightButton = s.button(GLFW_MOUSE_BUTTON_RIGHT);
  e.shift = s.held(GLFW_KEY_LEFT_SHIFT) || s.held(GLFW_KEY_RIGHT_SHIFT);
  e.orbitLeft = s.held(GLFW_KEY_LEFT);
  e.orbitRight = s.held(GLFW_KEY_RIGHT);
  e.orbitUp = s.held(GLFW_KEY_UP);
  e.orbitDown = s.held(GLFW_KEY_DOWN);
  e.zoomIn = s.held(GLFW_KEY_EQUAL) || s.held(GLFW_KEY_KP_ADD);
  e.zoomOut = s.held(GLFW_KEY_MINUS) || s.held(GLFW_KEY_KP_SUBTRACT);
  e.exchange = s.held(GLFW_KEY_E);
  e.rollLeft = s.held(GLFW_KEY_Z);
  e.rollRight = s.held(GLFW_KEY_X);
  e.scopeRollLeft = s.held(GLFW_KEY_LEFT_BRACKET);
  e.scopeRollRight = s.held(GLFW_KEY_RIGHT_BRACKET);
  e.switchHand = s.pressed(GLFW_KEY_TAB);
  e.ratchet = s.pressed(GLFW_KEY_SPACE);
  e.reset = s.pressed(GLFW_KEY_R);
  e.pause = s.pressed(GLFW_KEY_P);
  e.restart = s.pressed(GLFW_KEY_N);
  e.help = s.pressed(GLFW_KEY_H);
  e.quit = s.pressed(GLFW_KEY_ESCAPE);
  s.controls->apply(e);
  frame.restartRequested = e.restart;
  if (e.restart) {  // a new attempt: the tools and the laparoscope where the scenario puts them
    s.controls->reset();
    s.controls->resetScope();
  }
  frame.pauseToggled = e.pause;
  frame.endRequested = e.quit;
  const Pose cam = s.controls->camera();

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
  frame.hands = s.controls->hands();
  frame.scope = s.controls->scope();
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
  const DesktopControls& c = *s.controls;
  for (int h = 0; h < 2; ++h) {
    const char* jaws = c.locked(h) ? "jaws locked" : c.jawsClosed(h) ? "jaws closed" : "jaws open";
    ImGui::Text("%s %s hand: %s", c.active() == h ? ">" : " ", h == 0 ? "Left " : "Right", jaws);
  }
  if (c.helpShown()) {
    for (const std::string& line : DesktopControls::helpLines()) ImGui::TextUnformatted(line.c_str());
  } else {
    ImGui::TextUnformatted("Tab: switch hands  Space: lock jaws  Wheel: along the shaft  H: help");
  }
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
