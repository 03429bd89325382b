#pragma once
// The OpenXR rig: a head-mounted display through the Khronos loader and whatever runtime is
// active (SteamVR, Monado, Meta, WMR; tests/xr_runtime in CI).
//
// Uses XR_KHR_vulkan_enable2 only: the runtime creates the Vulkan instance and device from the
// renderer's create-infos (configureContext installs the hooks). One stereo array swapchain in
// an sRGB format, STAGE space (LOCAL 1.6 m above the floor when the runtime has no STAGE), a
// projection layer per frame, actions with suggested bindings for five controller profiles,
// haptics through xrApplyHapticFeedback. The whole session state machine is handled in
// beginFrame(); runtime-side exit, session loss and instance loss end the session cleanly.
// The left controller's menu button pauses and resumes the simulation. Where the runtime offers
// XR_KHR_composition_layer_depth (and the device VK_KHR_depth_stencil_resolve), each eye's depth
// goes with its picture, in RigFrame's near and far range, for the runtime's reprojection.

#include <trocar/xr/Rig.h>

#include <memory>
#include <string>
#include <vector>

namespace trocar::xr {

struct OpenXrSettings {
  std::string applicationName = "Trocar";
  double readyTimeoutS = 10.0;  // how long to wait for the runtime to make the session READY
};

// What happened in the session, for logs and tests.
struct OpenXrStats {
  std::vector<std::string> states;            // every session state seen, in order ("READY", "FOCUSED", ...)
  std::vector<std::string> acceptedProfiles;  // interaction profiles the runtime accepted
  uint64_t framesSubmitted = 0;
  uint64_t hapticPulses = 0;
  bool depthSubmitted = false;  // each projection view carries its depth (XR_KHR_composition_layer_depth)
  bool sessionLost = false;
};

class OpenXrRig final : public Rig {
 public:
  // Creates the instance and finds the headset. Errors: kUnavailable with a one-line reason and
  // what to set (XR_RUNTIME_JSON) when no runtime answers or no headset is connected.
  static Result<std::unique_ptr<OpenXrRig>> create(const OpenXrSettings& settings = {});
  ~OpenXrRig() override;

  std::string name() const override;
  void configureContext(render::ContextSettings& settings) override;
  Result<void> start(render::Context& context) override;
  Result<RigFrame> beginFrame() override;
  render::RenderTarget* target() override;
  render::ExternalTarget* panelTarget() override;
  void setPanel(const Pose& pose, Vec2 sizeM) override;
  Result<void> endFrame() override;
  void applyHaptic(HandSide hand, const HapticPulse& pulse) override;
  void requestExit() override;
  void stop() override;

  const OpenXrStats& stats() const;

 private:
  struct State;
  explicit OpenXrRig(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

}  // namespace trocar::xr
