#pragma once
// The clock side of a tick profile (physics/Profile.h): time between phase changes, summed per
// phase. Reading the clock ~10 times a tick costs well under 1% of a tick.
#include <trocar/physics/Profile.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace trocar::cli {

class PhaseTimer : public physics::TickProfiler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kPhases = static_cast<size_t>(physics::TickPhase::kCount);

  // Around each tick (the first phase the tick enters is counted from here).
  void tickStarts() {
    mLast = Clock::now();
    mCurrent = physics::TickPhase::kInput;
  }
  void tickEnds() { enter(mCurrent); }
  void enter(physics::TickPhase phase) override {
    const auto now = Clock::now();
    mSeconds[static_cast<size_t>(mCurrent)] += std::chrono::duration<double>(now - mLast).count();
    mLast = now;
    mCurrent = phase;
  }
  // Share of the profiled time per phase, phases that took none left out.
  nlohmann::json shares() const {
    double total = 0.0;
    for (double s : mSeconds) total += s;
    nlohmann::json out = nlohmann::json::object();
    for (size_t p = 0; p < kPhases; ++p) {
      if (mSeconds[p] > 0.0 && total > 0.0)
        out[physics::toString(static_cast<physics::TickPhase>(p))] = mSeconds[p] / total;
    }
    return out;
  }

 private:
  std::array<double, kPhases> mSeconds{};
  Clock::time_point mLast = Clock::now();
  physics::TickPhase mCurrent = physics::TickPhase::kInput;
};

// "bullet 42% contact 11% ..." largest first, shares of 0.5% and more.
inline std::string sharesText(const nlohmann::json& shares) {
  std::vector<std::pair<double, std::string>> list;
  for (const auto& [name, share] : shares.items()) list.push_back({share.get<double>(), name});
  std::sort(list.rbegin(), list.rend());
  std::string out;
  for (const auto& [share, name] : list) {
    if (share < 0.005) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.0f%%", out.empty() ? "" : ", ", name.c_str(), 100.0 * share);
    out += buf;
  }
  return out;
}

}  // namespace trocar::cli
