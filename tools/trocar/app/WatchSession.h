#pragma once
// Watching a recording back (`trocar replay FILE --watch`): the recorded input replayed
// through a fresh world at any speed, paused, stepped and sought, with the trainee's checklist
// as it stood at that moment, a timeline of the steps and errors, and a free camera. For an
// instructor debriefing a trainee; the replay is the same simulation as `trocar replay`, so the
// frame at a tick is the frame the trainee saw at that tick.
//
// Playback is the window-free part (tests drive it directly). Seeking back rebuilds the world
// and replays from tick 0 (Bullet's state cannot be restored); the window spreads that over
// frames so it stays responsive, showing how far the seek has come.

#include <trocar/replay/Recording.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/scoring/Report.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trocar::app {

// A point of interest on the timeline.
struct TimelineMark {
  enum class Kind { kStep, kError, kFailed };
  Tick tick = 0;
  Kind kind = Kind::kStep;
  std::string label;
};

// Marks from a scored run: each step done (or failed) and each error, in tick order.
std::vector<TimelineMark> timelineMarks(const scoring::ScoreReport& report, uint32_t tickHz);

class Playback {
 public:
  static Result<std::unique_ptr<Playback>> create(const scenario::ScenarioDesc& scenario,
                                                  const replay::RecordingContents& recording,
                                                  const std::string& name);
  ~Playback();

  // Steps towards `target` (clamped to the recording's end), rebuilding the world first when
  // it lies behind; returns once there or after `maxTicks` ticks (true when there).
  Result<bool> stepTowards(Tick target, Tick maxTicks = UINT64_MAX);

  Tick tick() const;
  Tick lastTick() const;  // the recording's length in ticks
  uint32_t tickHz() const;
  const physics::World& world() const;
  const scoring::Scorer& scorer() const;
  // The head pose of the input consumed at the current tick (the trainee's view then).
  Pose head() const;
  // The first tick whose state differs from the recording's checkpoint, if one did.
  std::optional<Tick> divergedAt() const;

 private:
  struct State;
  explicit Playback(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

struct WatchSettings {
  std::filesystem::path snapshotDir;  // where S saves the trainee's view (<prefix>-<tick>.png)
  std::string prefix;
  double startS = 0.0;               // where playback starts (paused there when > 0)
  std::filesystem::path screenshot;  // the window's last frame, with its overlay, as PNG
  bool validation = false;
  std::string gpu;
  int width = 1280;
  int height = 720;
};

// Opens the window and plays until it is closed, Esc or Q, or `stop`. kUnavailable without
// a display.
Result<void> watchRecording(const scenario::ScenarioDesc& scenario,
                            const replay::RecordingContents& recording, const std::string& name,
                            const WatchSettings& settings, const std::atomic<bool>& stop);

}  // namespace trocar::app
