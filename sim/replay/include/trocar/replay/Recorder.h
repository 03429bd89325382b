#pragma once
// Recorder: a SessionListener that records every consumed InputFrame and checkpoint to a
// .trec file. The tick loop only appends to an in-memory batch; every half second of sim
// time the batch goes to a writer thread that compresses, appends and fsyncs it. At most one
// batch is ever waiting for the disk: if the writer is still busy with the last one when the
// next is full, the tick loop waits for it. So a crash loses at most one second of sim time
// (tickHz ticks: the batch being written and the one being filled), however slow the disk;
// with a disk that keeps up (the usual case) the tick loop never waits.
//
// Replayer: rebuilds the session from the scenario, feeds the recorded frames through the
// same Session::step(), compares every checkpoint, and scores the run.

#include <trocar/replay/Recording.h>
#include <trocar/replay/Bot.h>
#include <trocar/replay/Timeline.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/scoring/Report.h>
#include <trocar/session/Session.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace trocar::replay {

struct RecorderOptions {
  // Tests: each batch's write takes this much longer, as on a slow or stalled disk.
  std::chrono::milliseconds writerLag{0};
};

class Recorder : public session::SessionListener {
 public:
  static Result<std::unique_ptr<Recorder>> create(const std::filesystem::path& path,
                                                  const RecordingHeader& header,
                                                  const RecorderOptions& options = {});
  ~Recorder() override;  // finishes without a footer if finish() was not called (a crash-like end)

  void onTick(const session::TickRecord& record) override;
  // Flushes everything, writes the footer, syncs and stops the writer thread.
  Result<void> finish(const Footer& footer);
  // The first write error, if any (writing goes on in the background).
  std::optional<Error> writeError() const;

 private:
  struct Batch {
    Tick firstTick = 0;
    std::vector<physics::InputFrame> frames;
    std::vector<Checkpoint> checkpoints;
    std::vector<physics::Event> events;
  };
  Recorder(RecordingWriter writer, uint32_t tickHz, const RecorderOptions& options);
  void run();
  void submit();

  RecordingWriter mWriter;
  uint32_t mTickHz;
  Batch mCurrent;
  Tick mNextTick = 0;
  mutable std::mutex mMutex;
  std::condition_variable mWake;
  std::condition_variable mWritten;
  std::vector<Batch> mQueue;
  uint32_t mUnwritten = 0;  // batches handed to the writer and not yet synced
  RecorderOptions mOptions;
  bool mStopping = false;
  std::optional<Error> mError;
  std::thread mThread;
};

// The header a recording of `scenario` starts with: this build, the scenario's hashes, now.
RecordingHeader headerFor(const scenario::ScenarioDesc& scenario, const std::string& traineeId);

// Who ran a recorded attempt, when, with which build: for its report (Scorer::setRun).
scoring::RunInfo runInfo(const RecordingHeader& header);

// How the scenario a recording was made with compares with `scenario`. A different simulation
// (tissues, objects, instruments, tick, referenced files...) cannot be replayed faithfully;
// different scoring rules (checklist, errors, scoring, feedback) only score it anew. Format-1
// recordings carry one hash of the whole file: any change counts as a different simulation.
struct ScenarioMatch {
  bool sameSimulation = true;
  bool sameScoring = true;
  std::string mismatch;  // what differs, for a message; empty when both match
};
ScenarioMatch matchScenario(const RecordingHeader& header, const scenario::ScenarioDesc& scenario);

enum class ReplayStatus : uint8_t { kPassed, kBelowPassMark, kBadInput, kDivergence };

struct ReplayResult {
  ReplayStatus status = ReplayStatus::kBadInput;
  std::optional<Error> error;         // what made it bad input or diverge
  std::optional<Error> damage;        // the recording was damaged; replayed up to it
  std::vector<std::string> warnings;  // e.g. a different build
  bool rescored = false;              // scored under rules other than those it was recorded with
  std::optional<scoring::ScoreReport> report;
  Tick ticks = 0;
  int exitCode() const;  // 0 passed, 1 below the pass mark, 2 bad input, 3 divergence
};

struct ReplayOptions {
  bool force = false;  // replay against a scenario that simulates differently (matchScenario)
  // Also told of every replayed tick (after scoring), e.g. to draw snapshots; may be null.
  session::SessionListener* listener = nullptr;
  // Told of each phase of every tick (bench); may be null.
  physics::TickProfiler* profiler = nullptr;
  // Called once with the world as the last recorded frame left it (e.g. its final picture).
  std::function<void(const physics::World&)> atEnd;
};

ReplayResult replayRecording(const RecordingContents& recording, const scenario::ScenarioDesc& scenario,
                             const std::string& recordingName, const ReplayOptions& options = {});

struct RecordedRun {
  Tick ticks = 0;
  scoring::ScoreReport report;
};

// Plays `bot` (for `seconds`, or its whole length when 0) through a fresh session of
// `scenario`, recording it to `out` with a footer, and scoring it.
Result<RecordedRun> recordBot(const scenario::ScenarioDesc& scenario, Bot& bot,
                              const std::filesystem::path& out, const std::string& traineeId,
                              double seconds = 0.0);

}  // namespace trocar::replay
