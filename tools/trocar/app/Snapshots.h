#pragma once
// Pictures of a session at its checkpoints (`trocar replay --snapshots DIR`): what the trainee
// saw, rendered offscreen. Laparoscopic scenarios show the endoscope's picture (the monitor);
// open ones the view from the recorded head pose.

#include <trocar/core/Result.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <filesystem>
#include <memory>
#include <string>

namespace trocar::app {

struct SnapshotSettings {
  std::filesystem::path dir;
  std::string prefix;     // file names: <prefix>-<tick>.png
  uint32_t width = 1280;  // laparoscopic: the endoscope's picture this wide, its own aspect
  uint32_t height = 720;
};

// A SessionListener that writes one PNG per checkpoint tick. Errors (a full disk) are kept,
// not thrown: the replay goes on and the caller reads error() afterwards.
class SnapshotWriter final : public session::SessionListener {
 public:
  static Result<std::unique_ptr<SnapshotWriter>> create(const scenario::ScenarioDesc& scenario,
                                                        const SnapshotSettings& settings);
  ~SnapshotWriter() override;
  void onTick(const session::TickRecord& record) override;
  // Writes the picture of `world` now (also used for the final state).
  Result<void> write(const physics::World& world, const Pose& head, Tick tick);
  // The picture of the end (from the last head pose seen), unless the last tick was a
  // checkpoint and has one; errors are kept as onTick's are.
  void finish(const physics::World& world);
  const std::optional<Error>& error() const;
  size_t written() const;

 private:
  struct State;
  explicit SnapshotWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

}  // namespace trocar::app
