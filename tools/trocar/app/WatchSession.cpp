#include "WatchSession.h"

#include "DesktopControls.h"
#include "DesktopRig.h"
#include "LiveSession.h"
#include "ScenePresenter.h"
#include "Snapshots.h"
#include "ToolWindow.h"

#include <trocar/core/Log.h>
#include <trocar/render/Image.h>
#include <trocar/render/Renderer.h>
#include <trocar/replay/Recorder.h>
#include <trocar/ui/TrainingPanel.h>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace trocar::app {

std::vector<TimelineMark> timelineMarks(const scoring::ScoreReport& report, uint32_t tickHz) {
  auto toTick = [tickHz](double s) {
    return static_cast<Tick>(std::llround(s * static_cast<double>(tickHz)));
  };
  std::vector<TimelineMark> marks;
  for (const scoring::StepStatus& s : report.steps) {
    if (s.doneAtS) marks.push_back({toTick(*s.doneAtS), TimelineMark::Kind::kStep, "Done: " + s.title});
    if (s.failedAtS)
      marks.push_back({toTick(*s.failedAtS), TimelineMark::Kind::kFailed, "Failed: " + s.title});
  }
  for (const scoring::ErrorOccurrence& e : report.errors)
    marks.push_back({e.tick, TimelineMark::Kind::kError, "Error: " + e.title});
  std::stable_sort(marks.begin(), marks.end(), [](const auto& a, const auto& b) { return a.tick < b.tick; });
  return marks;
}

struct Playback::State {
  scenario::ScenarioDesc scenario;
  const replay::RecordingContents* recording = nullptr;
  std::string name;
  std::unique_ptr<session::Session> session;
  std::unique_ptr<scoring::Scorer> scorer;
  size_t nextCheckpoint = 0;
  std::optional<Tick> diverged;

  Result<void> rebuild() {
    scorer.reset();
    session.reset();
    auto built = scenario::buildSession(scenario);
    if (!built) return built.error();
    session = std::move(built.value());
    scorer = std::make_unique<scoring::Scorer>(scenario, session->world(), name);
    scorer->setRun(replay::runInfo(recording->header));
    session->addListener(scorer.get());
    nextCheckpoint = 0;
    return {};
  }
};

Playback::Playback(std::unique_ptr<State> state) : mState(std::move(state)) {}
Playback::~Playback() = default;

Result<std::unique_ptr<Playback>> Playback::create(const scenario::ScenarioDesc& scenario,
                                                   const replay::RecordingContents& recording,
                                                   const std::string& name) {
  auto s = std::make_unique<State>();
  s->scenario = scenario;
  s->recording = &recording;
  s->name = name;
  TROCAR_TRY(s->rebuild());
  return std::unique_ptr<Playback>(new Playback(std::move(s)));
}

Result<bool> Playback::stepTowards(Tick target, Tick maxTicks) {
  State& s = *mState;
  target = std::min(target, lastTick());
  if (target < s.session->tick()) TROCAR_TRY(s.rebuild());
  const auto& checkpoints = s.recording->checkpoints;
  for (Tick n = 0; s.session->tick() < target && n < maxTicks; ++n) {
    s.session->step(s.recording->frames[s.session->tick()]);
    const Tick tick = s.session->tick();
    while (s.nextCheckpoint < checkpoints.size() && checkpoints[s.nextCheckpoint].tick < tick)
      ++s.nextCheckpoint;
    if (s.nextCheckpoint < checkpoints.size() && checkpoints[s.nextCheckpoint].tick == tick) {
      if (!s.diverged && s.session->world().stateHash() != checkpoints[s.nextCheckpoint].stateHash)
        s.diverged = tick;
      ++s.nextCheckpoint;
    }
  }
  return s.session->tick() == target;
}

Tick Playback::tick() const {
  return mState->session->tick();
}
Tick Playback::lastTick() const {
  return static_cast<Tick>(mState->recording->frames.size());
}
uint32_t Playback::tickHz() const {
  return mState->scenario.tickHz;
}
const physics::World& Playback::world() const {
  return mState->session->world();
}
const scoring::Scorer& Playback::scorer() const {
  return *mState->scorer;
}
Pose Playback::head() const {
  const auto& frames = mState->recording->frames;
  if (frames.empty()) return mState->scenario.head;
  const Tick t = tick();
  return frames[t == 0 ? 0 : std::min<size_t>(t - 1, frames.size() - 1)].head;
}
std::optional<Tick> Playback::divergedAt() const {
  return mState->diverged;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::array<double, 8> kSpeeds = {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0};
constexpr float kTimelineMargin = 24.0f;  // px either side of the timeline bar
constexpr float kTimelineHeight = 22.0f;  // px, the bar; it sits 40 px above the window's bottom

// The whole run scored in the background (the timeline's marks), while the window plays.
struct Analysis {
  std::atomic<bool> done{false};
  std::atomic<bool> cancel{false};
  std::vector<TimelineMark> marks;  // read once done
  std::optional<scoring::ScoreReport> report;
  std::string problem;
};

// Keys seen as presses, once each, even when pressed and let go within a frame.
struct Keys {
  std::array<bool, GLFW_KEY_LAST + 1> pressed{};
  std::array<bool, 2> clicked{};  // left, right: pressed since the UI last looked
  double scroll = 0.0;
};

void onKey(GLFWwindow* w, int key, int /*scancode*/, int action, int /*mods*/) {
  auto* keys = static_cast<Keys*>(glfwGetWindowUserPointer(w));
  if ((action == GLFW_PRESS || action == GLFW_REPEAT) && key >= 0 && key <= GLFW_KEY_LAST)
    keys->pressed[static_cast<size_t>(key)] = true;
}
void onButton(GLFWwindow* w, int button, int action, int /*mods*/) {
  if (action == GLFW_PRESS && button >= 0 && button < 2)
    static_cast<Keys*>(glfwGetWindowUserPointer(w))->clicked[static_cast<size_t>(button)] = true;
}
void onScroll(GLFWwindow* w, double /*x*/, double y) {
  static_cast<Keys*>(glfwGetWindowUserPointer(w))->scroll += y;
}

std::string clock(double s) {
  char text[32];
  std::snprintf(text, sizeof(text), "%d:%04.1f", static_cast<int>(s) / 60, std::fmod(std::max(0.0, s), 60.0));
  return text;
}

}  // namespace

Result<void> watchRecording(const scenario::ScenarioDesc& scenario,
                            const replay::RecordingContents& recording, const std::string& name,
                            const WatchSettings& settings, const std::atomic<bool>& stop) {
  if (const replay::ScenarioMatch match = replay::matchScenario(recording.header, scenario);
      !match.mismatch.empty()) {
    TROCAR_LOG_WARN("%s: %s%s", name.c_str(), match.mismatch.c_str(),
                    match.sameSimulation ? "" : "; what is shown may differ from the run");
  }
  auto playback = Playback::create(scenario, recording, name);
  if (!playback) return playback.error();
  Playback& play = *playback.value();
  const double hz = static_cast<double>(scenario.tickHz);

  Analysis analysis;
  std::thread analyser([&] {  // its own world, stepped in slices so that quitting stops it soon
    auto whole = Playback::create(scenario, recording, name);
    if (!whole) {
      analysis.problem = whole.error().message;
      analysis.done.store(true);
      return;
    }
    Playback& p = *whole.value();
    while (!analysis.cancel.load()) {
      auto stepped = p.stepTowards(p.lastTick(), 500);
      if (!stepped) {
        analysis.problem = stepped.error().message;
        break;
      }
      if (stepped.value()) {
        analysis.report = p.scorer().report(p.world());
        analysis.marks = timelineMarks(*analysis.report, scenario.tickHz);
        if (const auto d = p.divergedAt())
          analysis.problem = "the replay diverges at tick " + std::to_string(*d) + ": another build?";
        TROCAR_LOG_INFO("watch: %s scored: %zu marks on the timeline", name.c_str(), analysis.marks.size());
        break;
      }
    }
    analysis.done.store(true);
  });
  struct JoinOnExit {
    Analysis& a;
    std::thread& t;
    ~JoinOnExit() {
      a.cancel.store(true);
      t.join();
    }
  } joinAnalyser{analysis, analyser};

  ToolWindow::Settings tw;
  tw.title = "Trocar - watching " + std::filesystem::path(name).filename().string();
  tw.width = settings.width;
  tw.height = settings.height;
  tw.validation = settings.validation;
  tw.gpu = settings.gpu;
  tw.noDisplay = "no display to watch a recording in";
  tw.noDisplayHint =
      "set DISPLAY or run under xvfb-run; `trocar replay --snapshots DIR` draws pictures without one";
  auto opened = ToolWindow::open(tw);
  if (!opened) return opened.error();
  ToolWindow& tool = *opened.value();
  GLFWwindow* window = tool.window();
  Keys keys;
  glfwSetWindowUserPointer(window, &keys);
  glfwSetKeyCallback(window, onKey);
  glfwSetScrollCallback(window, onScroll);
  glfwSetMouseButtonCallback(window, onButton);
  render::Renderer& r = tool.renderer();
  auto presenter = ScenePresenter::create(r, scenario);
  if (!presenter) return presenter.error();
  std::unique_ptr<SnapshotWriter> pictures;  // made on the first S

  const bool laparoscopic = scenario.view == scenario::ViewKind::kLaparoscopic && scenario.camera.has_value();
  // The free camera starts where the trainee looked from: the laparoscope, else the head.
  OrbitCamera orbit = OrbitCamera::lookingFrom(
      fieldCenter(scenario), laparoscopic ? scenario.camera->pose.position : scenario.head.position);
  bool freeCamera = false;
  bool playing = settings.startS <= 0.0;
  bool help = false;
  size_t speed = 3;                        // 1x
  double position = settings.startS * hz;  // ticks, fractional while playing
  std::string saved;                       // the last picture saved, shown for a while
  Clock::time_point savedAt{};
  ImVec2 lastMouse(0.0f, 0.0f);
  bool dragging = false;
  const Tick last = play.lastTick();

  physics::WorldSnapshot snapshot;
  render::FrameScene scene;
  render::UiPanel overlay;
  overlay.overlay = true;
  bool seeking = false;
  bool saveWanted = false;
  overlay.platformNewFrame = [&] {
    ImGuiIO& io = ImGui::GetIO();
    double x = 0.0, y = 0.0;
    glfwGetCursorPos(window, &x, &y);
    io.MousePos = ImVec2(static_cast<float>(x), static_cast<float>(y));
    // A click shorter than a frame is still seen as a press for one frame.
    io.MouseDown[0] = glfwGetMouseButton(window, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS || keys.clicked[0];
    io.MouseDown[1] = glfwGetMouseButton(window, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS || keys.clicked[1];
    keys.clicked = {};
  };
  overlay.build = [&] {
    ui::PanelState panel = checklistPanel(scenario, play.scorer(), static_cast<double>(play.tick()) / hz);
    ui::drawTrainingPanel(panel, ui::PanelPlacement::kHud);
    const ImGuiIO& io = ImGui::GetIO();
    const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoFocusOnAppearing;
    // The player: state, time, speed, what the view is; the help on H.
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x - 12.0f, 12.0f), ImGuiCond_Always, ImVec2(1, 0));
    ImGui::SetNextWindowBgAlpha(0.7f);
    ImGui::Begin("Player", nullptr, fixed | ImGuiWindowFlags_AlwaysAutoResize);
    ImGui::Text("%s  %s / %s  at %gx", playing ? "Playing" : "Paused",
                clock(static_cast<double>(play.tick()) / hz).c_str(),
                clock(static_cast<double>(last) / hz).c_str(), kSpeeds[speed]);
    ImGui::Text("Trainee %s   View: %s", recording.header.traineeId.c_str(),
                freeCamera     ? "free camera"
                : laparoscopic ? "the laparoscope"
                               : "the trainee's eyes");
    if (seeking)
      ImGui::Text("Seeking: %.0f%%", 100.0 * static_cast<double>(play.tick()) / std::max(1.0, position));
    if (!analysis.done.load()) {
      ImGui::TextUnformatted("Scoring the whole run for the timeline...");
    } else if (analysis.report) {
      ImGui::Text("Score %.1f (pass %.1f): %s", analysis.report->score, analysis.report->passScore,
                  analysis.report->passed ? "passed" : "not passed");
    }
    if (!analysis.problem.empty())
      ImGui::TextColored(ImVec4(1, 0.5f, 0.3f, 1), "%s", analysis.problem.c_str());
    if (const auto d = play.divergedAt())
      ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "This build diverges from the recording at %s",
                         clock(static_cast<double>(*d) / hz).c_str());
    if (!saved.empty() && Clock::now() - savedAt < std::chrono::seconds(4))
      ImGui::Text("Saved %s", saved.c_str());
    if (help) {
      for (const char* line :
           {"Space  play / pause", "Left / Right  back / on 5 s (Shift: 1 tick)",
            ", / .  previous / next mark", "[ / ]  slower / faster", "Home / End  start / end",
            "click or drag the timeline  jump there", "V  the trainee's view / a free camera",
            "drag (free camera)  orbit   wheel  closer / further", "S  save this view as a picture",
            "H  help   Esc or Q  quit"})
        ImGui::TextUnformatted(line);
    } else {
      ImGui::TextUnformatted("Space: play/pause  ,/.: marks  V: camera  H: help");
    }
    ImGui::End();

    // The timeline: steps (green), failed steps and errors (red), the playhead; click to jump.
    const float width = io.DisplaySize.x - 2.0f * kTimelineMargin;
    ImGui::SetNextWindowPos(
        ImVec2(kTimelineMargin - 8.0f, io.DisplaySize.y - 40.0f - kTimelineHeight - 8.0f));
    ImGui::SetNextWindowSize(ImVec2(width + 16.0f, kTimelineHeight + 16.0f + ImGui::GetTextLineHeight()));
    ImGui::SetNextWindowBgAlpha(0.6f);
    ImGui::Begin("Timeline", nullptr, fixed);
    const ImVec2 origin(kTimelineMargin, io.DisplaySize.y - 40.0f - kTimelineHeight);
    ImGui::SetCursorScreenPos(origin);
    ImGui::InvisibleButton("bar", ImVec2(width, kTimelineHeight));
    if (ImGui::IsItemActive() && last > 0) {
      const float f = std::clamp((io.MousePos.x - origin.x) / width, 0.0f, 1.0f);
      position = std::round(static_cast<double>(f) * static_cast<double>(last));
      playing = false;
    }
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(origin, ImVec2(origin.x + width, origin.y + kTimelineHeight),
                        IM_COL32(60, 64, 70, 255));
    auto xOf = [&](Tick t) {
      return origin.x + width * static_cast<float>(static_cast<double>(t) / std::max<double>(1.0, last));
    };
    std::string hovered;
    if (analysis.done.load()) {
      for (const TimelineMark& m : analysis.marks) {
        const float x = xOf(m.tick);
        const ImU32 colour =
            m.kind == TimelineMark::Kind::kStep ? IM_COL32(90, 200, 110, 255) : IM_COL32(230, 70, 60, 255);
        draw->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + kTimelineHeight), colour, 2.0f);
        if (std::abs(io.MousePos.x - x) < 3.0f && io.MousePos.y >= origin.y &&
            io.MousePos.y <= origin.y + kTimelineHeight)
          hovered = m.label + " at " + clock(static_cast<double>(m.tick) / hz);
      }
    }
    const float head = xOf(play.tick());
    draw->AddTriangleFilled(ImVec2(head - 6.0f, origin.y - 6.0f), ImVec2(head + 6.0f, origin.y - 6.0f),
                            ImVec2(head, origin.y + 2.0f), IM_COL32(255, 255, 255, 255));
    draw->AddLine(ImVec2(head, origin.y), ImVec2(head, origin.y + kTimelineHeight),
                  IM_COL32(255, 255, 255, 255), 2.0f);
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + kTimelineHeight + 2.0f));
    ImGui::TextUnformatted(hovered.empty() ? "Steps green, errors red: click to jump" : hovered.c_str());
    ImGui::End();
  };

  Result<void> outcome;
  Clock::time_point lastFrame = Clock::now();
  while (!stop.load() && !glfwWindowShouldClose(window)) {
    glfwPollEvents();
    auto pressed = [&](int key) {
      const bool p = keys.pressed[static_cast<size_t>(key)];
      keys.pressed[static_cast<size_t>(key)] = false;
      return p;
    };
    const bool shift = glfwGetKey(window, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS ||
                       glfwGetKey(window, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS;
    if (pressed(GLFW_KEY_ESCAPE) || pressed(GLFW_KEY_Q)) break;
    if (pressed(GLFW_KEY_SPACE)) {
      playing = !playing;
      if (playing && play.tick() >= last) position = 0.0;  // from the start again
    }
    if (pressed(GLFW_KEY_H)) help = !help;
    if (pressed(GLFW_KEY_V)) freeCamera = !freeCamera;
    if (pressed(GLFW_KEY_LEFT_BRACKET) && speed > 0) --speed;
    if (pressed(GLFW_KEY_RIGHT_BRACKET) && speed + 1 < kSpeeds.size()) ++speed;
    const double step = shift ? 1.0 : 5.0 * hz;
    if (pressed(GLFW_KEY_LEFT)) position = std::max(0.0, std::floor(position) - step);
    if (pressed(GLFW_KEY_RIGHT)) position = std::floor(position) + step;
    if (pressed(GLFW_KEY_HOME)) position = 0.0;
    if (pressed(GLFW_KEY_END)) position = static_cast<double>(last);
    const bool prevMark = pressed(GLFW_KEY_COMMA);
    const bool nextMark = pressed(GLFW_KEY_PERIOD);
    if ((prevMark || nextMark) && analysis.done.load()) {
      const Tick now = static_cast<Tick>(std::floor(position));
      const TimelineMark* pick = nullptr;
      for (const TimelineMark& m : analysis.marks) {
        if (nextMark && m.tick > now) {
          pick = &m;
          break;
        }
        if (prevMark && m.tick < now) pick = &m;
      }
      if (pick) {
        position = static_cast<double>(pick->tick);
        playing = false;
        TROCAR_LOG_INFO("watch: at %s (tick %llu)", pick->label.c_str(),
                        static_cast<unsigned long long>(pick->tick));
      }
    }
    // The free camera: drag to orbit (outside the panels), wheel for distance.
    double mx = 0.0, my = 0.0;
    glfwGetCursorPos(window, &mx, &my);
    const ImVec2 mouse(static_cast<float>(mx), static_cast<float>(my));
    const bool overUi = ImGui::GetCurrentContext() && ImGui::GetIO().WantCaptureMouse;
    const bool down = glfwGetMouseButton(window, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS ||
                      glfwGetMouseButton(window, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS;
    if (down && (dragging || !overUi)) {
      if (dragging && freeCamera) {
        orbit.yaw -= 0.01f * (mouse.x - lastMouse.x);
        orbit.pitch = std::clamp(orbit.pitch + 0.01f * (mouse.y - lastMouse.y), -0.2f, 1.5f);
      }
      dragging = true;
    } else {
      dragging = false;
    }
    lastMouse = mouse;
    if (keys.scroll != 0.0 && freeCamera)
      orbit.distance =
          std::clamp(orbit.distance * std::pow(0.9f, static_cast<float>(keys.scroll)), 0.05f, 2.0f);
    keys.scroll = 0.0;

    // Play: the position moves with real time at the chosen speed; the world follows it, for
    // at most 30 ms of stepping a frame (150 ms while seeking) (a long seek takes several frames).
    const Clock::time_point now = Clock::now();
    const double frameS = std::chrono::duration<double>(now - lastFrame).count();
    lastFrame = now;
    if (playing) position += std::min(frameS, 0.1) * hz * kSpeeds[speed];
    position = std::clamp(position, 0.0, static_cast<double>(last));
    if (playing && position >= static_cast<double>(last)) playing = false;
    const Tick want = static_cast<Tick>(std::floor(position));
    const Clock::time_point budget = now + std::chrono::milliseconds(playing ? 30 : 150);
    bool there = play.tick() == want;
    while (!there && Clock::now() < budget) {
      auto stepped = play.stepTowards(want, 25);
      if (!stepped) {
        outcome = stepped.error();
        break;
      }
      there = stepped.value();
    }
    if (!outcome) break;
    seeking = !there && !playing;

    if (pressed(GLFW_KEY_S)) saveWanted = true;  // kept until a seek arrives
    if (saveWanted && there) {
      saveWanted = false;
      if (!pictures) {
        SnapshotSettings ss;
        ss.dir = settings.snapshotDir;
        ss.prefix = settings.prefix;
        auto made = SnapshotWriter::create(scenario, ss);
        if (made) {
          pictures = std::move(made.value());
        } else {
          TROCAR_LOG_ERROR("watch: cannot save pictures: %s", made.error().toString().c_str());
        }
      }
      if (pictures) {
        if (auto written = pictures->write(play.world(), play.head(), play.tick()); written) {
          char file[64];
          std::snprintf(file, sizeof(file), "%s-%08llu.png", settings.prefix.c_str(),
                        static_cast<unsigned long long>(play.tick()));
          saved = (settings.snapshotDir / file).string();
          savedAt = Clock::now();
          TROCAR_LOG_INFO("watch: saved %s", saved.c_str());
        } else {
          TROCAR_LOG_ERROR("watch: %s", written.error().toString().c_str());
        }
      }
    }

    play.world().snapshot(snapshot);
    presenter.value()->buildFrame(snapshot, scene);
    int width = 1, height = 1;
    glfwGetFramebufferSize(window, &width, &height);
    if (width <= 0 || height <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const float aspect = static_cast<float>(width) / static_cast<float>(height);
    if (freeCamera) {
      // Around the field; in a box trainer, what the laparoscope sees (its walls would hide it).
      if (laparoscopic) ScenePresenter::showEndoscopeOnly(scene);
      scene.endoscope.reset();
      scene.views[0] = monoView(orbit.pose(), 1.0f, aspect);
    } else if (laparoscopic && scene.endoscope) {
      ScenePresenter::showEndoscopeOnly(scene);
      scene.views[0].projection = render::perspective(scenario.camera->verticalFovRad, aspect, 0.005f, 2.0f);
    } else {
      scene.views[0] = monoView(play.head(), 1.0f, aspect);
    }
    overlay.deltaSeconds = static_cast<float>(std::max(frameS, 1e-3));
    scene.ui = &overlay;
    if (auto drawn = r.drawFrame(tool.target(), scene); !drawn) {
      outcome = drawn.error();
      break;
    }
  }
  if (!settings.screenshot.empty() && outcome) {  // the last frame again, offscreen, with its overlay
    if (auto shot = tool.screenshot(scene, settings.screenshot); !shot)
      TROCAR_LOG_ERROR("screenshot: %s", shot.error().toString().c_str());
  }
  r.finish();
  pictures.reset();
  presenter.value().reset();
  return outcome;
}

}  // namespace trocar::app
