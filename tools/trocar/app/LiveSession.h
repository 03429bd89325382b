#pragma once
// A trainee's run of a scenario: the simulation on its own thread at the scenario's fixed tick,
// the rig's frame loop on the calling thread, meeting in a snapshot exchange; every consumed
// input recorded; scored live. Also the headless variant driven by a bot timeline.
//
// Threads: runLive() starts the sim thread and runs the render/XR loop itself. The sim steps
// tick k when real time reaches k * dt (catching up without skipping ticks if it falls behind,
// and saying by how much); the loop draws the newest snapshot, interpolated between the last
// two by display time, and hands the rig's newest input to the sim. Neither waits for the other.
// `stop` (SIGINT, window close) ends the run cleanly: the recording gets its footer.
//
// Inside (LiveSession.cpp): an Attempt (session, recorder, scorer, its file) is simulated by a
// SimLoop (the sim thread: pacing, pause, lag, live panel, the debrief when it ends); the frame
// loop in runLive reads the rig, hands its input over, sends haptics and sound and draws
// (drawLiveFrame); N finishes the attempt and begins the next one. WatchSession replays with
// the same presenter, panel and snapshots.

#include <trocar/replay/Bot.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/scoring/Report.h>
#include <trocar/ui/TrainingPanel.h>
#include <trocar/xr/Rig.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

namespace trocar::app {

struct LiveSettings {
  std::filesystem::path recording;  // empty: not recorded
  std::string traineeId = "anonymous";
  double durationS = 0.0;   // 0: until the checklist ends or the scenario's time limit
  bool validation = false;  // Vulkan validation layer
  std::string gpu;
  std::filesystem::path screenshot;  // desktop: the last frame with its overlay, as PNG
  std::filesystem::path soundDir;    // <cue>.wav files; empty: silent
  // A demonstration: this bot drives the hands of the first attempt instead of the rig's (the
  // window shows it play); later attempts (N) are the trainee's. Not owned.
  replay::Bot* demonstrator = nullptr;
  // More debrief lines for each finished attempt (a curriculum's verdict and the trainee's
  // standing), called once per attempt on the simulation thread, attempts in order.
  std::function<std::vector<std::string>(const scoring::ScoreReport&)> debriefExtra;
};

struct LiveOutcome {
  // Attempts the trainee restarted (desktop: N), each finished and recorded; the last attempt
  // is `report` below. `recordings` lists the files of attempts after the first.
  struct Attempt {
    std::filesystem::path recording;
    scoring::ScoreReport report;
  };
  std::vector<Attempt> earlier;
  std::vector<std::filesystem::path> recordings;
  scoring::ScoreReport report;
  Tick ticks = 0;
  uint64_t frames = 0;       // frames the rig displayed
  double maxLagS = 0.0;      // largest delay of the simulation behind real time
  bool interrupted = false;  // stopped by the user (Ctrl-C, window closed, headset removed)
  std::string rigName;
};

Result<LiveOutcome> runLive(const scenario::ScenarioDesc& scenario, xr::Rig& rig,
                            const LiveSettings& settings, const std::atomic<bool>& stop);

// No display: the bot's timeline drives the hands, as fast as the machine allows (or paced in
// real time with `realtime`), nothing is drawn.
Result<LiveOutcome> runHeadless(const scenario::ScenarioDesc& scenario, replay::Bot& bot,
                                const LiveSettings& settings, bool realtime, const std::atomic<bool>& stop);

// What the debrief says of an attempt (`ranOut`: its time limit ended it), line by line.
std::vector<std::string> debriefLines(const scoring::ScoreReport& report, bool ranOut);

// Blends two snapshots of the same world (a at time ta, b later): node positions of tissues
// whose topology did not change, rigid, clip and instrument poses. Otherwise `out` = b.
// What a rig frame's hands ask of the simulation: poses, triggers, buttons (the instrument
// exchange is counted separately, from the secondary button's presses).
physics::InputFrame inputFromRig(const xr::RigFrame& frame);

// Instrument exchange: each press of a hand's secondary button (B/Y; E on the desktop)
// passes it the next instrument of its tray (`exchange:` in the scenario), round in turn.
class InstrumentPicker {
 public:
  explicit InstrumentPicker(const scenario::ScenarioDesc& s);
  void reset();
  void apply(physics::InputFrame& in);

 private:
  std::array<size_t, 2> mTraySize{1, 1};
  std::array<uint8_t, 2> mIndex{};
  std::array<bool, 2> mDown{};
};

// Hands move between display frames as hands do, not in steps: the simulation ticks several
// times a frame (500 Hz against 60-90 Hz), and a hand that jumped to each frame's pose would
// yank its instrument (the coupling's force spikes, read as damage on what it touches). Each new
// rig input (a new `serial`) is reached in a straight line over as many ticks as the one before
// it took to come (1 to 25); until then the last. Poses only: buttons, triggers, the head and
// the scope are taken as they come. What comes out is what is recorded, so replays are exact.
class InputRamp {
 public:
  physics::InputFrame next(const physics::InputFrame& latest, uint64_t serial);

 private:
  bool mStarted = false;
  uint64_t mSerial = 0;
  int mSpan = 1, mAt = 0, mSinceLast = 0;
  std::array<Pose, 2> mFrom{}, mTo{}, mNow{};
};

// The trainee's checklist panel as it stands at sim time t (title, prompt, timer, steps).
ui::PanelState checklistPanel(const scenario::ScenarioDesc& scenario, const scoring::Scorer& scorer,
                              double t);

void interpolateSnapshot(const physics::WorldSnapshot& a, const physics::WorldSnapshot& b, float t,
                         physics::WorldSnapshot& out);

}  // namespace trocar::app
