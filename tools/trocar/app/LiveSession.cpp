#include "LiveSession.h"

#include "ScenePresenter.h"
#include "SoundPlayer.h"

#include <trocar/core/Log.h>
#include <trocar/core/Version.h>
#include <trocar/render/Image.h>
#include <trocar/render/Renderer.h>
#include <trocar/replay/Recorder.h>
#include <trocar/ui/TrainingPanel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace trocar::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kPublishPeriodS = 1.0 / 240.0;  // snapshots for the display, sim time

ui::StepState toUi(scoring::StepState s) {
  switch (s) {
    case scoring::StepState::kPending: return ui::StepState::kPending;
    case scoring::StepState::kActive: return ui::StepState::kNext;
    case scoring::StepState::kDone:
    case scoring::StepState::kDoneOutOfOrder: return ui::StepState::kDone;
    case scoring::StepState::kFailed: return ui::StepState::kFailed;
  }
  return ui::StepState::kPending;
}

// Live warnings: force above the touched tissue's damage threshold, a tool out of the camera.
std::vector<std::string> liveWarnings(const scoring::Scorer& scorer, const std::array<bool, 2>& outOfView) {
  std::vector<std::string> w;
  const char* hands[2] = {"left", "right"};
  for (size_t h = 0; h < 2; ++h) {
    if (scorer.feedback().cues().hands[h].warning)
      w.push_back(std::string("Too much force (") + hands[h] + " hand)");
    if (outOfView[h]) w.push_back(std::string("The ") + hands[h] + " tool is out of view");
  }
  return w;
}

// What just happened, shown for a few seconds: objects dropped or lost (from the world's
// events, as they came), and errors the checklist scored.
struct Notices {
  static constexpr double kShownS = 5.0;
  std::vector<std::pair<double, std::string>> recent;  // sim time, text

  void add(double t, std::string text) { recent.emplace_back(t, std::move(text)); }
  std::vector<std::string> at(const scenario::ScenarioDesc& scenario, const scoring::Scorer& scorer,
                              double t) const {
    std::vector<std::pair<double, std::string>> all = recent;
    const bool penalised = scenario.scoring.errorPenaltiesApply();
    for (const scoring::ErrorOccurrence& e : scorer.checklist().errors()) {
      char text[256];
      if (penalised && e.penalty > 0.0) {
        std::snprintf(text, sizeof(text), "Error: %s (-%.0f)", e.title.c_str(), e.penalty);
      } else {
        std::snprintf(text, sizeof(text), "Error: %s", e.title.c_str());
      }
      all.emplace_back(e.timeS, text);
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (const auto& [when, text] : all) {
      if (t - when <= kShownS && (out.empty() || out.back() != text)) out.push_back(text);
    }
    if (out.size() > 4) out.erase(out.begin(), out.end() - 4);
    return out;
  }
};

ui::PanelState panelFor(const scenario::ScenarioDesc& scenario, const scoring::Scorer& scorer, double simT,
                        const std::array<bool, 2>& outOfView = {}, const Notices* notices = nullptr) {
  ui::PanelState p;
  p.warnings = liveWarnings(scorer, outOfView);
  if (notices) p.notices = notices->at(scenario, scorer, simT);
  p.title = scenario.title;
  p.prompt = scorer.checklist().prompt();
  p.elapsedS = simT;
  p.limitS = scenario.timeLimitS;
  for (const scoring::StepStatus& s : scorer.checklist().steps()) p.steps.push_back({s.title, toUi(s.state)});
  return p;
}

// Everything a run owns in the simulation: the session, its recorder and its scorer.
struct Core {
  std::unique_ptr<session::Session> session;
  std::unique_ptr<replay::Recorder> recorder;
  std::unique_ptr<scoring::Scorer> scorer;
};

Result<Core> buildCore(const scenario::ScenarioDesc& scenario, const LiveSettings& settings) {
  Core core;
  auto built = scenario::buildSession(scenario);
  if (!built) return built.error();
  core.session = std::move(built.value());
  const replay::RecordingHeader header = replay::headerFor(scenario, settings.traineeId);
  if (!settings.recording.empty()) {
    auto recorder = replay::Recorder::create(settings.recording, header);
    if (!recorder) return recorder.error();
    core.recorder = std::move(recorder.value());
    core.session->addListener(core.recorder.get());
  }
  core.scorer =
      std::make_unique<scoring::Scorer>(scenario, core.session->world(), settings.recording.string());
  core.scorer->setRun(replay::runInfo(header));  // as its replay will say
  core.session->addListener(core.scorer.get());
  return core;
}

// Ends the run: the report, and the recording's footer (so it is complete and replayable).
Result<scoring::ScoreReport> finishCore(Core& core) {
  scoring::ScoreReport report = core.scorer->report(core.session->world());
  if (core.recorder) {
    char summary[128];
    std::snprintf(summary, sizeof(summary), "score %.2f, %s", report.score,
                  report.passed ? "passed" : "not passed");
    TROCAR_TRY(core.recorder->finish({core.session->tick(), core.session->world().stateHash(), summary}));
  }
  return report;
}

bool runOver(const scenario::ScenarioDesc& scenario, const LiveSettings& settings, const Core& core) {
  const double t = core.session->timeSeconds();
  if (settings.durationS > 0.0 && t >= settings.durationS) return true;
  if (t >= scenario.timeLimitS) return true;
  return core.scorer->checklist().complete() || core.scorer->checklist().failed();
}

// Where the simulation and the display meet. The sim publishes; the display takes.
class Exchange {
 public:
  void publish(const physics::World& world, double t, ui::PanelState panel, const feedback::CueState& cues) {
    std::lock_guard lock(mMutex);
    std::swap(mPrev, mLatest);
    mPrevT = mLatestT;
    world.snapshot(mLatest);
    mLatestT = t;
    mPanel = std::move(panel);
    mCues = cues;
  }
  // Forgets the previous attempt: both slots hold the new world's first state.
  void reset(const physics::World& world, ui::PanelState panel, const feedback::CueState& cues) {
    std::lock_guard lock(mMutex);
    world.snapshot(mLatest);
    mPrev = mLatest;
    mPrevT = -1.0;
    mLatestT = 0.0;
    mPanel = std::move(panel);
    mCues = cues;
  }
  feedback::CueState cues() {
    std::lock_guard lock(mMutex);
    return mCues;
  }
  // The snapshot at sim time t (interpolated between the last two), and the panel.
  void take(double t, physics::WorldSnapshot& out, ui::PanelState& panel) {
    std::lock_guard lock(mMutex);
    panel = mPanel;
    if (mPrevT < 0.0 || mLatestT <= mPrevT) {
      out = mLatest;
      return;
    }
    const float alpha = static_cast<float>(std::clamp((t - mPrevT) / (mLatestT - mPrevT), 0.0, 1.0));
    interpolateSnapshot(mPrev, mLatest, alpha, out);
  }
  double latestTime() {
    std::lock_guard lock(mMutex);
    return mLatestT;
  }
  void setInput(const physics::InputFrame& in) {
    std::lock_guard lock(mMutex);
    mInput = in;
    ++mInputSerial;
  }
  // The newest input and its number (one more for each setInput).
  std::pair<physics::InputFrame, uint64_t> input() {
    std::lock_guard lock(mMutex);
    return {mInput, mInputSerial};
  }

 private:
  std::mutex mMutex;
  physics::WorldSnapshot mPrev, mLatest;
  double mPrevT = -1.0;
  double mLatestT = -1.0;
  ui::PanelState mPanel;
  feedback::CueState mCues;
  physics::InputFrame mInput;
  uint64_t mInputSerial = 0;
};

// Sends the cues to the rig once per display frame: event pulses as they are, continuous
// vibration as pulses two frames long (so it is seamless while contact lasts), and a stop as
// soon as it ends (so it ends within a frame).
class HapticSender {
 public:
  void send(xr::Rig& rig, const feedback::CueState& cues, double framePeriodS) {
    for (size_t h = 0; h < 2; ++h) {
      const feedback::HandCue& cue = cues.hands[h];
      const auto hand = static_cast<xr::HandSide>(h);
      if (cue.eventSerial > mSerial[h]) {
        mSerial[h] = cue.eventSerial;
        rig.applyHaptic(
            hand, {cue.event.amplitude, cue.event.frequencyHz, static_cast<double>(cue.event.durationS)});
        mVibrating[h] = true;
      } else if (cue.amplitude > 0.0f) {
        rig.applyHaptic(hand, {cue.amplitude, cue.frequencyHz, 2.0 * framePeriodS});
        mVibrating[h] = true;
      } else if (mVibrating[h]) {
        rig.applyHaptic(hand, {0.0f, 0.0f, 0.0});  // stop now
        mVibrating[h] = false;
      }
    }
  }

 private:
  std::array<uint64_t, 2> mSerial{};
  std::array<bool, 2> mVibrating{};
};

constexpr float kPanelWidthM = 0.40f, kPanelHeightM = 0.30f;  // the VR panel, in the room

// The VR panel hangs left of the starting head, turned towards it, a little below eye level,
// well inside a headset's field of view (about 30 degrees off straight ahead).
Mat4 panelPlacement(const Pose& head) {
  const Quat turn = glm::angleAxis(0.5f, Vec3(0.0f, 1.0f, 0.0f));
  Mat4 m = glm::mat4_cast(turn);
  m[3] = Vec4(head.position + Vec3(-0.32f, -0.18f, -0.55f), 1.0f);
  return m;
}

// The panel with the instrument each hand now holds (its tray's current one).
ui::PanelState withInstruments(const scenario::ScenarioDesc& scenario, const physics::World& world,
                               ui::PanelState panel) {
  for (const auto& [hand, setup] : scenario.instruments) {
    const uint32_t i = world.trayIndex(hand);
    const auto kind = i == 0 || i > setup.exchange.size() ? setup.kind : setup.exchange[i - 1];
    panel.instruments[static_cast<size_t>(hand)] = instruments::toString(kind);
  }
  return panel;
}

// One attempt: its simulation, recording and scorer, and the file it records to.
struct Attempt {
  Core core;
  std::filesystem::path recording;

  static Result<Attempt> begin(const scenario::ScenarioDesc& scenario, const LiveSettings& settings) {
    auto core = buildCore(scenario, settings);
    if (!core) return core.error();
    return Attempt{std::move(core.value()), settings.recording};
  }
  // The recording's footer and the report: the attempt is complete and replayable.
  Result<LiveOutcome::Attempt> finish() {
    auto report = finishCore(core);
    if (!report) return report.error();
    return LiveOutcome::Attempt{recording, std::move(report.value())};
  }
};

// The file of attempt n (n > 1) beside the first one's: <stem>-attempt<n><ext>.
std::filesystem::path attemptFile(const std::filesystem::path& first, uint32_t n) {
  if (first.empty()) return first;
  std::filesystem::path p = first;
  p.replace_filename(first.stem().string() + "-attempt" + std::to_string(n) + first.extension().string());
  return p;
}

// The simulation of one attempt on its own thread: tick k when real time reaches k * dt (a
// pause moves tick 0's time on by its length, so it is not lag; falling behind is said once and
// catching up once), the rig's newest input (or the demonstrator's) each tick, snapshots and
// the live panel published for the display; when the attempt ends (its time, its checklist, or
// stop()) it publishes the debrief and finishes.
class SimLoop {
 public:
  SimLoop(const scenario::ScenarioDesc& scenario, const LiveSettings& settings, Core& core,
          Exchange& exchange, replay::Bot* demonstrator)
      : mScenario(scenario),
        mSettings(settings),
        mCore(core),
        mExchange(exchange),
        mDemonstrator(demonstrator) {}
  ~SimLoop() { stop(); }
  SimLoop(const SimLoop&) = delete;
  SimLoop& operator=(const SimLoop&) = delete;

  void start() {
    mStart = Clock::now();
    mThread = std::thread([this] { run(); });
  }
  // Ends the attempt now: the thread finishes its tick, publishes the debrief and returns.
  void stop() {
    mStop.store(true);
    if (mThread.joinable()) mThread.join();
  }
  bool done() const { return mDone.load(); }
  void togglePause() { mPaused.store(!mPaused.load()); }
  void setPaused(bool paused) { mPaused.store(paused); }
  bool paused() const { return mPaused.load(); }
  double maxLagS() const { return mMaxLag.load(); }
  // Seconds of real time since the attempt started (the display's clock).
  double elapsedS() const { return std::chrono::duration<double>(Clock::now() - mStart).count(); }

 private:
  void publish(double t) {
    ui::PanelState panel = withInstruments(mScenario, mCore.session->world(),
                                           panelFor(mScenario, *mCore.scorer, t, mOutOfView, &mNotices));
    panel.paused = mPaused.load();
    mExchange.publish(mCore.session->world(), t, panel, mCore.scorer->feedback().cues());
  }
  // Waits for the next tick's time; says when the simulation falls behind or catches up.
  void pace(Clock::time_point origin) {
    const double dt = 1.0 / static_cast<double>(mScenario.tickHz);
    const auto due = origin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                  static_cast<double>(mCore.session->tick() + 1) * dt));
    const auto now = Clock::now();
    if (now < due) {
      std::this_thread::sleep_until(due);
      if (mBehind) {
        TROCAR_LOG_INFO("simulation caught up with real time (it was up to %.2f s behind)", mWorstBehind);
        mBehind = false;
      }
      return;
    }
    const double lag = std::chrono::duration<double>(now - due).count();
    if (lag > mMaxLag.load()) mMaxLag.store(lag);
    mWorstBehind = mBehind ? std::max(mWorstBehind, lag) : lag;
    if (lag > 0.1 && !mBehind) {
      TROCAR_LOG_WARN("simulation fell %.2f s behind real time (this machine is too slow for %u Hz)", lag,
                      mScenario.tickHz);
      mBehind = true;
    }
  }
  void tick() {
    const double before = mCore.session->timeSeconds();
    physics::InputFrame input;
    if (mDemonstrator) {
      input = mDemonstrator->next(*mCore.session);
    } else {
      const auto [latest, serial] = mExchange.input();
      input = mRamp.next(latest, serial);
    }
    for (const physics::Event& e : mCore.session->step(input)) {
      if (e.kind == physics::EventKind::kDropped && e.rigid.valid()) {
        const std::string name(mCore.session->world().rigidName(e.rigid));
        mNotices.add(before, name + (e.value >= 1.0f ? " is lost (out of the field)" : " was dropped"));
      }
      if (!e.hand) continue;
      if (e.kind == physics::EventKind::kOutOfViewBegin) mOutOfView[static_cast<size_t>(*e.hand)] = true;
      if (e.kind == physics::EventKind::kOutOfViewEnd) mOutOfView[static_cast<size_t>(*e.hand)] = false;
    }
  }
  void publishDebrief() {
    const double t = mCore.session->timeSeconds();
    ui::PanelState final =
        withInstruments(mScenario, mCore.session->world(), panelFor(mScenario, *mCore.scorer, t));
    const scoring::ScoreReport report = mCore.scorer->report(mCore.session->world());
    final.score = report.score;
    final.passed = report.passed;
    final.warnings.clear();
    final.debrief = debriefLines(report, runOver(mScenario, mSettings, mCore));
    if (mSettings.debriefExtra) {
      std::vector<std::string> more = mSettings.debriefExtra(report);
      final.debrief.insert(final.debrief.end(), more.begin(), more.end());
    }
    final.nextHint = "N: a new attempt   Esc: quit";
    final.breakdown = {{"Respect for tissue", report.osats.respectForTissue},
                       {"Time and motion", report.osats.timeAndMotion},
                       {"Instrument handling", report.osats.instrumentHandling},
                       {"Flow of operation", report.osats.flow}};
    mExchange.publish(mCore.session->world(), t, final, mCore.scorer->feedback().cues());
  }
  void run() {
    Clock::time_point origin = mStart;  // real time of tick 0; moved on by each pause
    // When the pause began (a plain value and a flag: GCC -O3 wrongly calls an optional's
    // time_point maybe-uninitialized here).
    Clock::time_point pausedSince{};
    bool pausing = false;
    double nextPublish = kPublishPeriodS;
    while (!mStop.load() && !runOver(mScenario, mSettings, mCore)) {
      if (mPaused.load()) {
        if (!pausing) {
          pausing = true;
          pausedSince = Clock::now();
          publish(mCore.session->timeSeconds());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (pausing) {  // a pause is not lag: tick 0 moves on by exactly its length
        origin += Clock::now() - pausedSince;
        pausing = false;
      }
      pace(origin);
      tick();
      const double t = mCore.session->timeSeconds();
      if (t >= nextPublish) {
        publish(t);
        nextPublish = t + kPublishPeriodS;
      }
    }
    publishDebrief();
    mDone.store(true);
  }

  const scenario::ScenarioDesc& mScenario;
  const LiveSettings& mSettings;
  Core& mCore;
  Exchange& mExchange;
  replay::Bot* mDemonstrator;
  std::thread mThread;
  Clock::time_point mStart = Clock::now();
  std::atomic<bool> mStop{false}, mDone{false}, mPaused{false};
  std::atomic<double> mMaxLag{0.0};
  bool mBehind = false;  // said to be behind real time, not yet caught up
  double mWorstBehind = 0.0;
  std::array<bool, 2> mOutOfView{};
  Notices mNotices;
  InputRamp mRamp;
};

// What a live run draws with: the device, the renderer, the scene and the panels.
struct Display {
  std::unique_ptr<render::Context> ctx;
  std::unique_ptr<render::Renderer> renderer;
  std::unique_ptr<ScenePresenter> presenter;
  render::MeshId panelQuad;

  ~Display() {
    if (renderer) renderer->finish();
    presenter.reset();
    renderer.reset();
    ctx.reset();
  }
};

// One display frame: the newest snapshot (interpolated), the scene from the rig's eyes (the
// endoscope's picture on a desktop laparoscopic view), the checklist as an overlay (desktop)
// or a quad in the room (stereo: it hangs where the first head pose put it).
Result<void> drawLiveFrame(Display& d, xr::Rig& rig, const xr::RigFrame& f, render::FrameScene& scene,
                           const physics::WorldSnapshot& snapshot, render::UiPanel& overlay,
                           render::UiPanel& vrPanel, std::optional<Pose>& panelHead) {
  render::RenderTarget* target = rig.target();
  if (!f.shouldRender || !target) return {};
  d.presenter->buildFrame(snapshot, scene);
  const bool stereo = target->viewCount() == 2;
  for (size_t e = 0; e < (stereo ? 2u : 1u); ++e) {
    scene.views[e] =
        render::viewFromPose(f.eyes[e].pose, render::projectionFromFov(f.eyes[e].fov, f.nearM, f.farM));
  }
  if (f.endoscopeView) {
    ScenePresenter::showEndoscopeOnly(scene);
    scene.views[0].projection = render::projectionFromFov(f.eyes[0].fov, 0.005f, 2.0f);
  }
  render::Material screen;
  screen.shading = render::Shading::kScreen;
  screen.texture = render::TextureSource::kUiPanel;
  render::ExternalTarget* panelTarget = stereo ? rig.panelTarget() : nullptr;
  if (stereo) {
    if (!panelHead) panelHead = f.head;
    const Mat4 placement = panelPlacement(*panelHead);
    scene.ui = &vrPanel;
    if (panelTarget) {  // a compositor layer of its own: the panel's picture is copied into it
      scene.uiCopy = panelTarget;
      rig.setPanel(Pose{Vec3(placement[3]), glm::quat_cast(Mat3(placement))}, {kPanelWidthM, kPanelHeightM});
    } else {
      scene.uiCopy = nullptr;
      scene.draws.push_back({d.panelQuad, placement, screen, render::kInMainView});
    }
  } else {
    scene.ui = &overlay;
  }
  auto drawn = d.renderer->drawFrame(*target, scene);
  if (!drawn) return drawn.error();
  return {};
}

// The desktop's last frame again, offscreen, with its overlay (--screenshot).
void writeScreenshot(Display& d, xr::Rig& rig, const render::FrameScene& scene,
                     const std::filesystem::path& path) {
  render::OffscreenSettings os;
  os.width = rig.target()->extent().width;
  os.height = rig.target()->extent().height;
  os.format = rig.target()->format();
  auto shot = render::OffscreenTarget::create(*d.ctx, os);
  auto drawn = shot ? d.renderer->drawFrame(*shot.value(), scene) : Result<render::FrameStats>(shot.error());
  auto pixels = drawn ? shot.value()->readPixels(0) : Result<render::ImageRgba8>(drawn.error());
  auto written = pixels ? render::writePng(path, pixels.value()) : Result<void>(pixels.error());
  if (!written) TROCAR_LOG_ERROR("screenshot: %s", written.error().toString().c_str());
}

}  // namespace

// How an attempt went, for the debrief: how it ended and when, the errors grouped (how often,
// first when), and the measures a trainee can act on: path, force, cut accuracy, bleeding, the
// expert benchmark's metrics not met (the panel shows the OSATS-style domains above it).
std::vector<std::string> debriefLines(const scoring::ScoreReport& r, bool ranOut) {
  std::vector<std::string> lines;
  bool complete = true;
  for (const auto& s : r.steps)
    complete =
        complete && (s.state == scoring::StepState::kDone || s.state == scoring::StepState::kDoneOutOfOrder);
  const char* how = complete          ? "task done"
                    : r.criticalError ? "a critical error ended it"
                    : ranOut          ? "time is up"
                                      : "ended early";
  lines.push_back("Time " + ui::formatClock(r.taskTimeS) + " (" + how + ")");
  for (const auto& g : r.errorGroups) {
    lines.push_back("Error: " + g.title + (g.count > 1 ? " x" + std::to_string(g.count) : std::string()) +
                    " (first at " + ui::formatClock(g.firstS) + ")");
  }
  if (r.errorGroups.empty()) lines.push_back("No errors");
  char text[256];
  std::snprintf(text, sizeof(text), "Path: left %.2f m, right %.2f m   Peak force: left %.1f N, right %.1f N",
                r.instruments[0].pathLengthM, r.instruments[1].pathLengthM, r.instruments[0].peakForceN,
                r.instruments[1].peakForceN);
  lines.push_back(text);
  for (const auto& a : r.cutAccuracy) {
    if (a.points == 0) continue;
    std::snprintf(text, sizeof(text),
                  "Cut along '%s': %.0f%% of it, %.1f mm from it on average (%.1f at most)",
                  a.marking.c_str(), 100.0 * a.fractionCut, a.meanMm, a.maxMm);
    lines.push_back(text);
  }
  if (r.bloodLossMl > 0.0) {
    std::snprintf(text, sizeof(text), "Blood lost: %.1f ml", r.bloodLossMl);
    lines.push_back(text);
  }
  // Against the experts: how many of the benchmark's metrics were met, and the first few that
  // were not, with what it takes (the trainee's next target).
  if (!r.benchmark.empty()) {
    size_t met = 0;
    for (const auto& v : r.benchmark) met += v.met ? 1 : 0;
    std::snprintf(text, sizeof(text), "Expert benchmark: %zu of %zu met%s", met, r.benchmark.size(),
                  r.benchmarkRequired && met < r.benchmark.size() ? " (all are needed to pass)" : "");
    lines.push_back(text);
    size_t shown = 0;
    for (const auto& v : r.benchmark) {
      if (v.met || shown == 4) continue;
      const scenario::MetricInfo* info = scenario::metricInfo(v.name);
      const std::string unit = info && *info->unit ? std::string(" ") + info->unit : std::string();
      const char* what = info ? info->label : v.name.c_str();
      const char* needs = v.better == scenario::Better::kLower ? "<=" : ">=";
      if (v.value) {
        std::snprintf(text, sizeof(text), "  not met: %s %.2f%s (experts: %s %.2f%s)", what, *v.value,
                      unit.c_str(), needs, v.threshold, unit.c_str());
      } else {
        std::snprintf(text, sizeof(text), "  not met: %s, not measured (experts: %s %.2f%s)", what, needs,
                      v.threshold, unit.c_str());
      }
      lines.push_back(text);
      ++shown;
    }
  }
  return lines;
}

InstrumentPicker::InstrumentPicker(const scenario::ScenarioDesc& s) {
  for (const auto& [hand, setup] : s.instruments)
    mTraySize[static_cast<size_t>(hand)] = 1 + setup.exchange.size();
}

void InstrumentPicker::reset() {
  mIndex = {};
  mDown = {};
}

void InstrumentPicker::apply(physics::InputFrame& in) {
  for (size_t h = 0; h < 2; ++h) {
    const bool pressed = (in.hands[h].buttons & 2u) != 0;
    if (pressed && !mDown[h] && mTraySize[h] > 1)
      mIndex[h] = static_cast<uint8_t>((mIndex[h] + 1) % mTraySize[h]);
    mDown[h] = pressed;
    in.hands[h].instrument = mIndex[h];
  }
}

physics::InputFrame InputRamp::next(const physics::InputFrame& latest, uint64_t serial) {
  physics::InputFrame out = latest;
  ++mSinceLast;
  if (!mStarted || serial != mSerial) {
    mSpan = mStarted ? std::clamp(mSinceLast, 1, 25) : 1;
    mStarted = true;
    mSerial = serial;
    mSinceLast = 0;
    mAt = 0;
    mFrom = mNow;
    for (size_t h = 0; h < 2; ++h) mTo[h] = latest.hands[h].pose;
  }
  mAt = std::min(mAt + 1, mSpan);
  const float t = static_cast<float>(mAt) / static_cast<float>(mSpan);
  for (size_t h = 0; h < 2; ++h) {
    // A hand that was not tracked, or jumped more than 5 cm (tools reset), goes straight there.
    const bool jump = glm::length(mTo[h].position - mFrom[h].position) > 0.05f || !latest.hands[h].tracked;
    mNow[h] = jump ? mTo[h] : interpolate(mFrom[h], mTo[h], t);
    out.hands[h].pose = mNow[h];
  }
  return out;
}

ui::PanelState checklistPanel(const scenario::ScenarioDesc& scenario, const scoring::Scorer& scorer,
                              double t) {
  return panelFor(scenario, scorer, t);
}

physics::InputFrame inputFromRig(const xr::RigFrame& frame) {
  physics::InputFrame in;
  in.head = frame.head;
  for (size_t h = 0; h < 2; ++h) {
    const xr::HandState& s = frame.hands[h];
    physics::HandInput& hand = in.hands[h];
    hand.pose = s.grip;
    hand.trigger = s.trigger;
    hand.grip = s.squeeze;
    hand.buttons = (s.primary ? 1u : 0u) | (s.secondary ? 2u : 0u) | (s.menu ? 4u : 0u);
    hand.tracked = s.tracked;
  }
  in.scope = frame.scope;
  return in;
}

void interpolateSnapshot(const physics::WorldSnapshot& a, const physics::WorldSnapshot& b, float t,
                         physics::WorldSnapshot& out) {
  out = b;
  if (a.tissues.size() == b.tissues.size()) {
    for (size_t i = 0; i < b.tissues.size(); ++i) {
      const auto& ta = a.tissues[i];
      auto& to = out.tissues[i];
      if (ta.topologyVersion != to.topologyVersion || ta.positions.size() != to.positions.size()) continue;
      for (size_t n = 0; n < to.positions.size(); ++n)
        to.positions[n] = glm::mix(ta.positions[n], to.positions[n], t);
    }
  }
  if (a.rigids.size() == b.rigids.size()) {
    for (size_t i = 0; i < b.rigids.size(); ++i) out.rigids[i] = interpolate(a.rigids[i], b.rigids[i], t);
  }
  for (size_t h = 0; h < out.instruments.size(); ++h) {
    if (a.instruments[h].present && b.instruments[h].present) {
      out.instruments[h].tipPose = interpolate(a.instruments[h].tipPose, b.instruments[h].tipPose, t);
      out.instruments[h].jawAngle = glm::mix(a.instruments[h].jawAngle, b.instruments[h].jawAngle, t);
    }
  }
}

Result<LiveOutcome> runLive(const scenario::ScenarioDesc& scenario, xr::Rig& rig,
                            const LiveSettings& settings, const std::atomic<bool>& stop) {
  LiveOutcome outcome;
  outcome.rigName = rig.name();
  auto first = Attempt::begin(scenario, settings);
  if (!first) return first.error();
  Attempt attempt = std::move(first.value());

  Display d;
  render::ContextSettings cs;
  cs.validation = settings.validation;
  cs.gpuName = settings.gpu;
  rig.configureContext(cs);
  auto ctx = render::Context::create(cs);
  if (!ctx) return ctx.error();
  d.ctx = std::move(ctx.value());
  auto renderer = render::Renderer::create(*d.ctx);
  if (!renderer) return renderer.error();
  d.renderer = std::move(renderer.value());
  if (auto started = rig.start(*d.ctx); !started) return started.error();
  struct RigStop {
    xr::Rig& rig;
    Display& d;
    ~RigStop() {
      if (d.renderer) d.renderer->finish();
      rig.stop();
    }
  } rigStop{rig, d};
  auto presenter = ScenePresenter::create(*d.renderer, scenario);
  if (!presenter) return presenter.error();
  d.presenter = std::move(presenter.value());
  auto panelQuad = d.renderer->createMesh(render::makeQuad(kPanelWidthM, kPanelHeightM));
  if (!panelQuad) return panelQuad.error();
  d.panelQuad = panelQuad.value();

  std::unique_ptr<SoundPlayer> sound;
  if (!settings.soundDir.empty()) {
    auto player = SoundPlayer::create(settings.soundDir);
    if (player) {
      sound = std::move(player.value());
    } else {
      TROCAR_LOG_WARN("audio: %s; running silently", player.error().toString().c_str());
    }
  }

  Exchange exchange;
  InstrumentPicker picker(scenario);
  exchange.reset(attempt.core.session->world(), panelFor(scenario, *attempt.core.scorer, 0.0),
                 attempt.core.scorer->feedback().cues());
  auto sim = std::make_unique<SimLoop>(scenario, settings, attempt.core, exchange, settings.demonstrator);
  sim->start();
  uint32_t attemptNumber = 1;

  // The attempt lifecycle: a new attempt finishes this one (footer, report) and starts the next
  // in a fresh world, recorded beside the first (<stem>-attempt<n>).
  auto nextAttempt = [&]() -> Result<void> {
    sim->stop();
    outcome.maxLagS = std::max(outcome.maxLagS, sim->maxLagS());
    auto done = attempt.finish();
    if (!done) return done.error();
    outcome.earlier.push_back(std::move(done.value()));
    LiveSettings next = settings;
    next.recording = attemptFile(settings.recording, attemptNumber + 1);
    auto fresh = Attempt::begin(scenario, next);
    if (!fresh) return fresh.error();
    sim.reset();  // it refers to the old attempt's core
    attempt = std::move(fresh.value());
    outcome.recordings.push_back(next.recording);
    auto view = ScenePresenter::create(*d.renderer, scenario);
    if (!view) return view.error();
    d.presenter = std::move(view.value());
    exchange.reset(attempt.core.session->world(), panelFor(scenario, *attempt.core.scorer, 0.0),
                   attempt.core.scorer->feedback().cues());
    picker.reset();
    ++attemptNumber;
    // The demonstration was the first attempt; this one is the trainee's.
    sim = std::make_unique<SimLoop>(scenario, settings, attempt.core, exchange, nullptr);
    sim->start();
    TROCAR_LOG_INFO("attempt %u started", attemptNumber);
    return {};
  };

  render::UiPanel overlay;
  overlay.overlay = true;
  render::UiPanel vrPanel;
  vrPanel.width = 640;  // 25 lines of text: the debrief fits
  vrPanel.height = 480;
  ui::PanelState panelState;
  overlay.build = [&] {
    ui::drawTrainingPanel(panelState, ui::PanelPlacement::kHud);
    rig.drawUi();
  };
  vrPanel.build = [&] { ui::drawTrainingPanel(panelState, ui::PanelPlacement::kFillView); };
  physics::WorldSnapshot snapshot;
  render::FrameScene scene;
  HapticSender haptics;
  bool exitRequested = false;
  bool awayPaused = false;
  std::optional<Error> failure;
  std::optional<Pose> panelHead;
  while (true) {
    const bool over = sim->done() && settings.durationS > 0.0;  // timed runs end by themselves
    if ((stop.load() || over) && !exitRequested) {
      rig.requestExit();
      exitRequested = true;
      outcome.interrupted = stop.load();
    }
    auto frame = rig.beginFrame();
    if (!frame) {
      failure = frame.error();
      break;
    }
    if (!frame.value().running) {
      outcome.interrupted = outcome.interrupted || !sim->done();
      break;
    }
    const xr::RigFrame& f = frame.value();
    if (f.pauseToggled) sim->togglePause();
    // The trainee away (the headset taken off): the attempt waits for them, and goes on when
    // they are back (a pause they asked for stays theirs).
    if (!f.focused && !awayPaused && !sim->done() && !sim->paused()) {
      sim->setPaused(true);
      awayPaused = true;
      TROCAR_LOG_INFO("attempt %u paused: the trainee is away (no input focus)", attemptNumber);
    } else if (f.focused && awayPaused) {
      sim->setPaused(false);
      awayPaused = false;
      TROCAR_LOG_INFO("attempt %u goes on: the trainee is back", attemptNumber);
    }
    // Esc or N while the attempt runs ends it: the sim publishes the debrief as it stops. In
    // the debrief Esc quits and N starts a new attempt.
    const bool debriefing = sim->done();
    if ((f.endRequested || f.restartRequested) && !debriefing && !exitRequested) {
      sim->stop();
      TROCAR_LOG_INFO("attempt %u ended by the trainee: debrief", attemptNumber);
    } else if (f.endRequested && !exitRequested) {
      rig.requestExit();
      exitRequested = true;
    } else if (f.restartRequested && !exitRequested) {
      if (auto started = nextAttempt(); !started) {
        failure = started.error();
        break;
      }
    }
    physics::InputFrame input = inputFromRig(f);
    picker.apply(input);
    exchange.setInput(input);
    const feedback::CueState cues = exchange.cues();
    haptics.send(rig, cues, f.periodS);
    if (sound) sound->update(f.head, cues);
    exchange.take(std::min(sim->elapsedS() - kPublishPeriodS, exchange.latestTime()), snapshot, panelState);
    if (rig.target() && rig.target()->viewCount() == 2 && !panelState.nextHint.empty())
      panelState.nextHint = "Hold A or X: a new attempt   Hold Menu: quit";  // the headset's buttons
    if (auto drawn = drawLiveFrame(d, rig, f, scene, snapshot, overlay, vrPanel, panelHead); !drawn) {
      failure = drawn.error();
      (void)rig.endFrame();
      break;
    }
    if (auto ended = rig.endFrame(); !ended) {
      failure = ended.error();
      break;
    }
    ++outcome.frames;
  }
  sim->stop();
  outcome.maxLagS = std::max(outcome.maxLagS, sim->maxLagS());

  if (!settings.screenshot.empty() && rig.target() && rig.target()->viewCount() == 1 && !failure)
    writeScreenshot(d, rig, scene, settings.screenshot);

  outcome.ticks = attempt.core.session->tick();
  auto report = finishCore(attempt.core);
  if (!report) return report.error();
  outcome.report = std::move(report.value());
  if (failure) return *failure;
  return outcome;
}

Result<LiveOutcome> runHeadless(const scenario::ScenarioDesc& scenario, replay::Bot& bot,
                                const LiveSettings& settings, bool realtime, const std::atomic<bool>& stop) {
  LiveOutcome outcome;
  outcome.rigName = "headless";
  auto core = buildCore(scenario, settings);
  if (!core) return core.error();
  Core& c = core.value();
  LiveSettings limits = settings;
  if (limits.durationS <= 0.0) limits.durationS = bot.duration() + 1.0;  // the bot, then a second to settle
  const double dt = 1.0 / static_cast<double>(scenario.tickHz);
  const Clock::time_point start = Clock::now();
  while (!runOver(scenario, limits, c)) {
    if (stop.load()) {
      outcome.interrupted = true;
      break;
    }
    if (realtime) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(c.session->tick() + 1) * dt)));
    }
    c.session->step(bot.next(*c.session));
  }
  outcome.ticks = c.session->tick();
  auto report = finishCore(c);
  if (!report) return report.error();
  outcome.report = std::move(report.value());
  return outcome;
}

}  // namespace trocar::app
