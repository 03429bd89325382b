#pragma once
// The desktop rig: a GLFW window instead of a headset, mouse and keyboard instead of
// controllers, mapped by DesktopControls (each hand keeps its place and its jaws; the active
// one follows the mouse; see DesktopControls.h for the keys). Laparoscopic scenarios show the
// endoscope's picture full-window, as a box trainer's monitor does; open ones an orbit camera
// around the field, starting at the scenario's head. The hands' state, the help and a force
// gauge per hand (the stand-in for vibration) are drawn in the overlay.

#include <trocar/render/Targets.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/xr/Rig.h>

#include <array>
#include <memory>

struct GLFWwindow;

namespace trocar::app {

struct DesktopSettings {
  int width = 1280;
  int height = 720;
  bool vsync = true;
};

class DesktopRig final : public xr::Rig {
 public:
  // Fails with kUnavailable when no display is reachable.
  static Result<std::unique_ptr<DesktopRig>> create(const scenario::ScenarioDesc& scenario,
                                                    const DesktopSettings& settings = {});
  ~DesktopRig() override;

  std::string name() const override { return "desktop"; }
  void configureContext(render::ContextSettings& settings) override;
  Result<void> start(render::Context& context) override;
  Result<xr::RigFrame> beginFrame() override;
  render::RenderTarget* target() override;
  Result<void> endFrame() override;
  void applyHaptic(xr::HandSide hand, const xr::HapticPulse& pulse) override;
  void requestExit() override;
  void drawUi() override;
  void stop() override;

  GLFWwindow* window() const;
  struct State;  // opaque (named here for the window's callbacks)

 private:
  explicit DesktopRig(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

// Where the hands should be for tool tips at `tips` (through the scenario's ports where the
// hand has one, else coming from `viewer`): the inverse of instruments::tipTargetFromHand.
Pose handForTip(const scenario::ScenarioDesc& scenario, int hand, const Vec3& tip, const Vec3& viewer);

// The middle of what can be touched: the mean rest position of all tissue nodes.
Vec3 fieldCenter(const scenario::ScenarioDesc& scenario);

}  // namespace trocar::app
