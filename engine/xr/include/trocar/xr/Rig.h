#pragma once
// A rig is what the trainee wears or holds: it paces frames, reports head, eyes and hands, takes
// haptic pulses, and shows each rendered frame. Backends: OpenXR (OpenXrRig.h), desktop window
// with mouse and keyboard, and scripted/headless (tools/trocar/app). The run loop only sees this
// interface.
//
// Frame protocol (render thread): beginFrame() -> draw into the rig's target with the views it
// gave -> endFrame(). Frames, poses and times use the stage frame (metres, +Y up, -Z forward).

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>
#include <trocar/render/Context.h>
#include <trocar/render/Scene.h>
#include <trocar/render/Targets.h>

#include <array>
#include <optional>
#include <cstdint>
#include <string>

namespace trocar::xr {

enum class HandSide : uint8_t { kLeft = 0, kRight = 1 };

struct HandState {
  Pose grip;               // where the hand holds the controller
  Pose aim;                // pointing ray origin and direction (-Z)
  float trigger = 0.0f;    // 0..1
  float squeeze = 0.0f;    // 0..1
  bool primary = false;    // A/X
  bool secondary = false;  // B/Y
  bool menu = false;
  bool tracked = false;
};

struct EyeView {
  Pose pose;
  render::Fov fov;
};

struct RigFrame {
  int64_t displayTimeNs = 0;    // predicted display time (runtime clock)
  double periodS = 1.0 / 60.0;  // expected time between frames
  bool shouldRender = true;     // false: call endFrame without drawing (runtime says so)
  bool running = true;          // false: the session is over (exit requested, lost, window closed)
  Pose head;
  std::array<EyeView, 2> eyes{};
  // The depth range the eyes' projections must use (render::projectionFromFov): the OpenXR rig
  // tells the runtime these when it submits depth.
  float nearM = 0.02f;
  float farM = 30.0f;
  std::array<HandState, 2> hands{};
  bool pauseToggled = false;      // the trainee asked to pause or resume (desktop: P; VR: menu)
  bool restartRequested = false;  // the trainee asked for a new attempt (desktop: N; VR: A/X held 1 s)
  // The trainee asked to end the attempt (desktop: Esc; VR: the menu button held 1 s): its
  // debrief is shown; asked again during the debrief, the session ends.
  bool endRequested = false;
  // The main view is the endoscope's own picture (a desktop laparoscopic run), not the room.
  bool endoscopeView = false;
  // The trainee is there to give input (OpenXR: the session is focused; false with the headset
  // taken off or the system menu up).
  bool focused = true;
  // Where the trainee put the laparoscope (desktop: the arrow keys); unset: where it is.
  std::optional<Pose> scope;
};

struct HapticPulse {
  float amplitude = 0.5f;    // 0..1
  float frequencyHz = 0.0f;  // 0 = the runtime's choice
  double durationS = 0.02;
};

class Rig {
 public:
  virtual ~Rig() = default;
  virtual std::string name() const = 0;
  // What the Vulkan context needs for this rig (instance/device hooks, window extensions).
  virtual void configureContext(render::ContextSettings& settings) = 0;
  // Called once the context exists: sessions, swapchains, windows.
  virtual Result<void> start(render::Context& context) = 0;
  // Waits until the next frame should be drawn and samples input for it.
  virtual Result<RigFrame> beginFrame() = 0;
  // The target this frame draws into (valid between beginFrame and endFrame when shouldRender),
  // or null when the rig shows nothing (headless).
  virtual render::RenderTarget* target() = 0;
  // A target for the UI panel as a compositor layer of its own (OpenXR: a quad layer, sharp
  // text at any distance), valid like target(); null where the rig has none (the panel is then
  // drawn into the scene). setPanel says where it hangs this frame: its centre and facing (+Z
  // towards the viewer), stage frame, and its size in metres.
  virtual render::ExternalTarget* panelTarget() { return nullptr; }
  virtual void setPanel(const Pose& /*pose*/, Vec2 /*sizeM*/) {}
  // Hands the drawn frame to the display (after the renderer submitted it).
  virtual Result<void> endFrame() = 0;
  // A pulse; amplitude 0 (or duration 0) stops any vibration on that hand now.
  virtual void applyHaptic(HandSide hand, const HapticPulse& pulse) = 0;
  // Ask the rig to end the session (OpenXR: xrRequestExitSession); beginFrame reports running
  // = false once it has ended.
  virtual void requestExit() = 0;
  // Issues ImGui calls for rig-specific help or gauges, inside the frame's ImGui frame (desktop
  // overlay). Default: nothing.
  virtual void drawUi() {}
  // Releases everything that lives on the Vulkan device (sessions, swapchains, surfaces); call
  // before the Context is destroyed. Safe to call twice.
  virtual void stop() = 0;
};

}  // namespace trocar::xr
