#pragma once
// How one person works both instruments with a mouse and keyboard (the desktop rig), kept
// apart from the window so tests drive it with the same events a person makes.
//
//   mouse            moves the active tool's tip across the view
//   wheel            moves it along its shaft: in through its port (laparoscopic) or towards
//                    what it points at (open); Shift + wheel in 1 mm steps instead of 3 mm
//   left button      closes the active tool's jaws while held
//   Space            locks the active tool's jaws closed (a ratchet), or releases the lock
//   Tab              switches hands; the hand let go keeps its place and its jaws (switching
//                    with the left button held locks them closed: the grip is kept)
//   right button     squeezes (the active hand's grip)
//   Z / X            roll the active instrument about its shaft (the knob on its handle)
//   E                exchanges the active hand's instrument (its tray)
//   R                brings both tools back to the start (jaws open)
//   arrows           orbit the camera (open views); + / - move it closer or further
//                    laparoscopic views: arrows pivot the laparoscope about its port, + / -
//                    advance and withdraw it, [ / ] roll it (a 30-degree scope looks around)
//   P  pause  H  help  Esc or N  end the attempt: its debrief; then N  a new one, Esc  quit
//
// A laparoscopic trainer has no ratchet key, but every laparoscopic grasper has a ratchet on
// its handle: holding tissue or a peg with one hand while the other works is done with it.

#include <trocar/scenario/Scenario.h>
#include <trocar/xr/Rig.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace trocar::app {

// A camera on a sphere round a centre, looking at it (open views; the watch window's free
// camera): yaw about the vertical, pitch above the horizontal, distance in metres.
struct OrbitCamera {
  Vec3 center{0.0f};
  float yaw = 0.0f, pitch = 0.7f, distance = 0.45f;
  // Round `center`, starting from `eye` (kept 0.15-1.5 m away and 0.1-1.45 rad up); the
  // defaults where eye is within 5 cm of it.
  static OrbitCamera lookingFrom(const Vec3& center, const Vec3& eye);
  Pose pose() const;
};

// One frame of mouse and keyboard: what moved, what is held, what was pressed this frame.
struct DesktopEvents {
  double frameS = 1.0 / 60.0;  // how long this frame was: held keys move at a rate per second
  Vec2 mouseDelta{0.0f};       // pixels, +x right, +y down
  double wheel = 0.0;          // notches, + = away from the trainee (deeper)
  // Held.
  bool leftButton = false;
  bool rightButton = false;
  bool shift = false;
  bool orbitLeft = false, orbitRight = false, orbitUp = false, orbitDown = false;
  bool zoomIn = false, zoomOut = false;
  bool exchange = false;                               // E (the picker counts presses)
  bool rollLeft = false, rollRight = false;            // Z, X
  bool scopeRollLeft = false, scopeRollRight = false;  // [, ]
  // Pressed this frame.
  bool switchHand = false;  // Tab
  bool ratchet = false;     // Space
  bool reset = false;       // R
  bool pause = false;       // P
  bool restart = false;     // N
  bool help = false;        // H
  bool quit = false;        // Esc
};

class DesktopControls {
 public:
  explicit DesktopControls(const scenario::ScenarioDesc& scenario);

  // One frame of events.
  void apply(const DesktopEvents& e);
  // Both tools back to the start, jaws open and unlocked, right hand active.
  void reset();
  // The laparoscope back where the scenario puts it (a new attempt).
  void resetScope();

  // The camera the view is drawn from (the laparoscope where the trainee put it, or the orbit
  // camera).
  Pose camera() const;
  // Laparoscopic views: where the laparoscope's lens is (the simulation is told, and records
  // it); unset in open views.
  std::optional<Pose> scope() const;
  // The point the laparoscope pivots about (laparoscopic views).
  Vec3 scopePort() const { return mScopePort; }
  // What the hands do this frame (grip pose from the tip, trigger from button and ratchet).
  std::array<xr::HandState, 2> hands() const;

  int active() const { return mActive; }
  const Vec3& tip(int hand) const { return mTips[static_cast<size_t>(hand)]; }
  float roll(int hand) const { return mRoll[static_cast<size_t>(hand)]; }
  bool jawsClosed(int hand) const;
  bool locked(int hand) const { return mLocked[static_cast<size_t>(hand)]; }
  bool helpShown() const { return mHelp; }
  // The direction the wheel moves the hand's tip (unit): along its shaft, inwards.
  Vec3 shaftDirection(int hand) const;

  // Pixels of mouse motion per metre of tip motion across the view.
  static constexpr float kPixelsPerMetre = 1.0f / 0.0003f;
  static constexpr float kWheelStep = 0.003f;      // m per notch
  static constexpr float kFineWheelStep = 0.001f;  // with Shift
  static constexpr float kRollStep = 0.05f;        // rad a frame while Z or X is held (3 deg)
  // The laparoscope: its port 12 cm behind the lens along the shaft; pivoting 0.6 deg, advancing
  // 1 mm and rolling 1.7 deg a frame while a key is held, within 40 deg of where it started and
  // 8 cm either way along its shaft.
  static constexpr float kScopePortDistance = 0.12f;
  static constexpr float kScopePivotStep = 0.01f;
  static constexpr float kScopeAdvanceStep = 0.001f;
  static constexpr float kScopeRollStep = 0.03f;
  static constexpr float kScopeMaxPivot = 0.7f;
  static constexpr float kScopeMaxAdvance = 0.08f;
  // Steps per 60 Hz frame (scaled by DesktopEvents::frameS, so a slow machine moves as fast).
  // How far a frame moves the trigger towards the button: a click squeezes or lets go of the
  // handle over 1/8 s (7.5 frames at 60 Hz), as a hand does, not in one tick.
  static constexpr float kTriggerRate = 0.134f;

  // The help, one line per control.
  static std::vector<std::string> helpLines();

 private:
  const scenario::ScenarioDesc* mScenario;
  Vec3 mCenter{0.0f};  // the field's middle: the tools start above it
  // What the tools must not start inside: each tissue's closed surface at rest (as drawn; a
  // tet mesh's boundary when nothing else is drawn), or a sheet's box a millimetre thick.
  struct RestShape {
    Vec3 lo{0.0f}, hi{0.0f};
    std::vector<Vec3> vertices;
    std::vector<std::array<uint32_t, 3>> triangles;  // none: the box is the shape
  };
  std::vector<RestShape> mTissueShapes;
  std::array<Vec3, 2> mTips{};
  std::array<bool, 2> mLocked{};
  std::array<float, 2> mRoll{};
  std::array<float, 2> mTrigger{};  // follows the jaws' button or ratchet at kTriggerRate  // rad about the
                                    // shaft, + clockwise seen from the handle
  std::array<bool, 2> mButton{};    // the left button held for this hand
  std::array<bool, 2> mSqueeze{};
  std::array<bool, 2> mExchange{};
  int mActive = 1;  // right first: it holds the cutting tool in most tasks
  bool mHelp = false;
  OrbitCamera mOrbit;
  // The laparoscope: the scenario's pose, its shaft and port, and the trainee's moves.
  bool mLaparoscopic = false;
  Pose mScope0;
  Vec3 mShaft0{0.0f, 0.0f, -1.0f};  // from the port into the body
  Vec3 mScopePort{0.0f};
  float mScopeYaw = 0.0f, mScopePitch = 0.0f, mScopeAdvance = 0.0f, mScopeRoll = 0.0f;
};

}  // namespace trocar::app
