#include <trocar/ui/TrainingPanel.h>

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trocar::ui {

std::string formatClock(double seconds) {
  const long total = seconds > 0.0 ? static_cast<long>(std::floor(seconds)) : 0L;
  char text[32];
  std::snprintf(text, sizeof(text), "%ld:%02ld", total / 60, total % 60);
  return text;
}

void drawTrainingPanel(const PanelState& state, PanelPlacement placement) {
  const ImGuiIO& io = ImGui::GetIO();
  ImGuiWindowFlags flags =
      ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove;
  if (placement == PanelPlacement::kFillView) {
    ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
    ImGui::SetNextWindowSize(io.DisplaySize);
    flags |= ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoTitleBar;
    ImGui::SetNextWindowBgAlpha(1.0f);
  } else {
    ImGui::SetNextWindowPos(ImVec2(12.0f, 12.0f));
    ImGui::SetNextWindowSize(ImVec2(std::min(360.0f, io.DisplaySize.x - 24.0f), 0.0f));
    flags |= ImGuiWindowFlags_AlwaysAutoResize;
    ImGui::SetNextWindowBgAlpha(0.85f);
  }
  // The title in the panel, wrapped, not in a title bar that would cut a long one off.
  flags |= ImGuiWindowFlags_NoTitleBar;
  ImGui::Begin("Trocar##panel", nullptr, flags);
  if (placement == PanelPlacement::kFillView)
    ImGui::SetWindowFontScale(std::max(1.0f, io.DisplaySize.y / 400.0f));
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.85f, 0.45f, 1.0f));
  ImGui::TextWrapped("%s", state.title.empty() ? "Trocar" : state.title.c_str());
  ImGui::PopStyleColor();
  ImGui::Separator();
  const ImVec4 red(1.0f, 0.35f, 0.25f, 1.0f);
  if (state.paused) ImGui::TextColored(ImVec4(0.4f, 0.8f, 1.0f, 1.0f), "PAUSED (P resumes)");
  if (state.limitS > 0.0) {
    ImGui::Text("Time %s / %s", formatClock(state.elapsedS).c_str(), formatClock(state.limitS).c_str());
    ImGui::ProgressBar(static_cast<float>(std::min(1.0, state.elapsedS / state.limitS)), ImVec2(-1.0f, 0.0f),
                       "");
    // The last 30 s (or tenth of the time) are counted down.
    const double left = state.limitS - state.elapsedS;
    if (!state.score && left > 0.0 && left <= std::max(30.0, 0.1 * state.limitS))
      ImGui::TextColored(red, "%s left", formatClock(std::ceil(left)).c_str());
  } else {
    ImGui::Text("Time %s", formatClock(state.elapsedS).c_str());
  }
  if (!state.instruments[0].empty() || !state.instruments[1].empty()) {
    ImGui::Text("Left: %s   Right: %s", state.instruments[0].empty() ? "-" : state.instruments[0].c_str(),
                state.instruments[1].empty() ? "-" : state.instruments[1].c_str());
  }
  if (!state.prompt.empty()) {
    ImGui::Spacing();
    ImGui::TextWrapped("%s", state.prompt.c_str());
  }
  for (const std::string& w : state.warnings) ImGui::TextColored(red, "! %s", w.c_str());
  for (const std::string& n : state.notices)
    ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.3f, 1.0f), "%s", n.c_str());
  ImGui::Spacing();
  ImGui::Separator();
  for (const ChecklistLine& step : state.steps) {
    ImVec4 colour(0.75f, 0.75f, 0.75f, 1.0f);
    const char* mark = "[ ]";
    switch (step.state) {
      case StepState::kPending: break;
      case StepState::kNext:
        colour = ImVec4(1.0f, 0.85f, 0.2f, 1.0f);
        mark = "[>]";
        break;
      case StepState::kDone:
        colour = ImVec4(0.3f, 0.9f, 0.4f, 1.0f);
        mark = "[x]";
        break;
      case StepState::kFailed:
        colour = ImVec4(1.0f, 0.3f, 0.3f, 1.0f);
        mark = "[!]";
        break;
    }
    ImGui::TextColored(colour, "%s %s", mark, step.title.c_str());
  }
  if (state.score) {
    ImGui::Separator();
    ImGui::TextColored(state.passed ? ImVec4(0.3f, 0.9f, 0.4f, 1.0f) : ImVec4(1.0f, 0.4f, 0.3f, 1.0f),
                       "Score %.1f  %s", *state.score, state.passed ? "PASS" : "below the pass mark");
    for (const auto& [domain, value] : state.breakdown)
      ImGui::Text("  %-22s %.1f / 5", domain.c_str(), value);
    for (const std::string& line : state.debrief) ImGui::TextWrapped("%s", line.c_str());
    if (!state.nextHint.empty()) {
      ImGui::Spacing();
      ImGui::TextColored(ImVec4(0.4f, 0.8f, 1.0f, 1.0f), "%s", state.nextHint.c_str());
    }
  }
  ImGui::End();
}

}  // namespace trocar::ui
