#pragma once
// The trainee's panel: scenario title, the current prompt, a timer and the checklist with
// each step's state, and the score when the run ends. Drawn with Dear ImGui; call inside an
// ImGui frame (render::UiPanel::build). As a HUD it sits in the window's top-left corner; as
// a VR panel it fills its texture (shown on a quad in the room).

#include <array>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace trocar::ui {

enum class StepState { kPending, kNext, kDone, kFailed };

struct ChecklistLine {
  std::string title;
  StepState state = StepState::kPending;
};

struct PanelState {
  std::string title;
  std::string prompt;
  double elapsedS = 0.0;
  double limitS = 0.0;  // 0: no limit shown
  std::vector<ChecklistLine> steps;
  std::vector<std::string> warnings;  // live: "Too much force (right hand)", "Left tool out of view"
  std::optional<double> score;        // set when the run has ended
  bool passed = false;
  std::vector<std::pair<std::string, double>> breakdown;  // results: OSATS-style domains, 1..5
  bool paused = false;
  std::array<std::string, 2> instruments;  // in the left and right hand ("grasper"), or empty
  std::vector<std::string> notices;        // what just happened: errors, a dropped or lost object
  std::vector<std::string> debrief;        // once ended: how it went (time, errors grouped, metrics)
  std::string nextHint;                    // once ended: what to do next ("N: new attempt ...")
};

enum class PanelPlacement {
  kHud,       // a compact window in the top-left corner of the desktop window
  kFillView,  // the whole ImGui display (a VR panel texture)
};

void drawTrainingPanel(const PanelState& state, PanelPlacement placement);

// "m:ss" for a duration in seconds (negative counts as 0).
std::string formatClock(double seconds);

}  // namespace trocar::ui
