#include <trocar/core/Version.h>
#include <trocar/replay/Recorder.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace trocar::replay {

Result<std::unique_ptr<Recorder>> Recorder::create(const std::filesystem::path& path,
                                                   const RecordingHeader& header,
                                                   const RecorderOptions& options) {
  auto writer = RecordingWriter::create(path, header);
  if (!writer.ok()) return writer.error();
  return std::unique_ptr<Recorder>(new Recorder(std::move(writer).value(), header.tickHz, options));
}

Recorder::Recorder(RecordingWriter writer, uint32_t tickHz, const RecorderOptions& options)
    : mWriter(std::move(writer)), mTickHz(tickHz), mOptions(options) {
  mThread = std::thread([this] { run(); });
}

Recorder::~Recorder() {
  {
    std::lock_guard lock(mMutex);
    if (!mCurrent.frames.empty()) {
      mQueue.push_back(std::move(mCurrent));
      ++mUnwritten;
    }
    mStopping = true;
  }
  mWake.notify_one();
  if (mThread.joinable()) mThread.join();
}

void Recorder::onTick(const session::TickRecord& record) {
  // Frame i is the input consumed by the step that produced tick i + 1.
  if (mCurrent.frames.empty()) mCurrent.firstTick = mNextTick;
  mCurrent.frames.push_back(*record.input);
  ++mNextTick;
  if (record.checkpoint) mCurrent.checkpoints.push_back(*record.checkpoint);
  mCurrent.events.insert(mCurrent.events.end(), record.events.begin(), record.events.end());
  // Half a second per batch: with the write itself, a crash loses well under a second.
  if (mCurrent.frames.size() >= std::max<uint32_t>(1, mTickHz / 2)) submit();
}

void Recorder::submit() {
  {
    // The loss bound: never more than one batch waiting for the disk besides this one.
    std::unique_lock lock(mMutex);
    mWritten.wait(lock, [this] { return mUnwritten == 0; });
    mQueue.push_back(std::move(mCurrent));
    ++mUnwritten;
  }
  mCurrent = Batch{};
  mWake.notify_one();
}

void Recorder::run() {
  for (;;) {
    std::vector<Batch> work;
    bool stopping = false;
    {
      std::unique_lock lock(mMutex);
      mWake.wait(lock, [this] { return mStopping || !mQueue.empty(); });
      work.swap(mQueue);
      stopping = mStopping;
    }
    for (const Batch& b : work) {
      if (mOptions.writerLag.count() > 0) std::this_thread::sleep_for(mOptions.writerLag);
      Result<void> r = mWriter.appendFrames(b.firstTick, b.frames);
      if (r.ok() && !b.events.empty()) r = mWriter.appendEvents(b.events);
      for (const Checkpoint& c : b.checkpoints) {
        if (r.ok()) r = mWriter.appendCheckpoint(c);
      }
      if (r.ok()) r = mWriter.sync();
      {
        std::lock_guard lock(mMutex);
        if (!r.ok() && !mError) mError = r.error();
        --mUnwritten;
      }
      mWritten.notify_all();
    }
    if (stopping) return;
  }
}

Result<void> Recorder::finish(const Footer& footer) {
  if (!mCurrent.frames.empty() || !mCurrent.checkpoints.empty() || !mCurrent.events.empty()) submit();
  {
    std::lock_guard lock(mMutex);
    mStopping = true;
  }
  mWake.notify_one();
  if (mThread.joinable()) mThread.join();
  if (auto e = writeError()) return *e;
  return mWriter.finish(footer);
}

std::optional<Error> Recorder::writeError() const {
  std::lock_guard lock(mMutex);
  return mError;
}

int ReplayResult::exitCode() const {
  switch (status) {
    case ReplayStatus::kPassed: return 0;
    case ReplayStatus::kBelowPassMark: return 1;
    case ReplayStatus::kBadInput: return 2;
    case ReplayStatus::kDivergence: return 3;
  }
  return 2;
}

RecordingHeader headerFor(const scenario::ScenarioDesc& scenario, const std::string& traineeId) {
  RecordingHeader h;
  h.buildId = buildId();
  h.scenarioId = scenario.id;
  h.scenarioHash = scenario.contentHash;
  h.scoringHash = scenario.scoringHash;
  h.tickHz = scenario.tickHz;
  h.traineeId = traineeId;
  h.startTimeUnix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return h;
}

scoring::RunInfo runInfo(const RecordingHeader& header) {
  return {header.traineeId, header.startTimeUnix, header.buildId};
}

ScenarioMatch matchScenario(const RecordingHeader& header, const scenario::ScenarioDesc& scenario) {
  ScenarioMatch m;
  if (header.formatVersion < 2) {
    if (header.scenarioHash != scenario.fileHash) {
      m.sameSimulation = m.sameScoring = false;
      m.mismatch = "the scenario file changed since this was recorded (a format-1 recording: recorded " +
                   hashToHex(header.scenarioHash) + ", now " + hashToHex(scenario.fileHash) + ")";
    }
    return m;
  }
  m.sameSimulation = header.scenarioHash == scenario.contentHash;
  m.sameScoring = header.scoringHash == scenario.scoringHash;
  if (!m.sameSimulation) {
    m.mismatch =
        "the scenario simulates differently since this was recorded (tissues, objects, instruments, "
        "tick or files it uses: recorded " +
        hashToHex(header.scenarioHash) + ", now " + hashToHex(scenario.contentHash) + ")";
  } else if (!m.sameScoring) {
    m.mismatch =
        "the scenario's checklist, errors, scoring or feedback changed since this was recorded: "
        "re-scored under the current ones";
  }
  return m;
}

ReplayResult replayRecording(const RecordingContents& rec, const scenario::ScenarioDesc& scenario,
                             const std::string& name, const ReplayOptions& options) {
  ReplayResult result;
  result.damage = rec.damage;
  SourceLocation where;
  where.file = name;
  const ScenarioMatch match = matchScenario(rec.header, scenario);
  if (!match.sameSimulation) {
    if (!options.force) {
      result.error = makeError(ErrorCode::kMismatch, match.mismatch, where,
                               "replay against the original scenario, or pass --force");
      return result;
    }
    result.warnings.push_back(match.mismatch + " (replaying anyway: --force)");
  } else if (!match.sameScoring) {
    result.rescored = true;
    result.warnings.push_back(match.mismatch);
  }
  if (rec.header.buildId != buildId()) {
    result.warnings.push_back("recorded with build " + rec.header.buildId + ", replaying with " + buildId() +
                              ": bit-exactness is promised for the same build only");
  }
  if (rec.header.tickHz != scenario.tickHz) {
    result.error = makeError(ErrorCode::kMismatch,
                             "the recording ticks at " + std::to_string(rec.header.tickHz) +
                                 " Hz, the scenario at " + std::to_string(scenario.tickHz),
                             where, "replay against the scenario it was recorded with");
    return result;
  }
  auto built = scenario::buildSession(scenario);
  if (!built.ok()) {
    result.error = built.error();
    return result;
  }
  session::Session& session = *built.value();
  scoring::Scorer scorer(scenario, session.world(), name);
  scorer.setRun(runInfo(rec.header));
  session.addListener(&scorer);
  if (options.listener) session.addListener(options.listener);
  session.setProfiler(options.profiler);
  size_t next = 0;  // next recorded checkpoint to compare
  for (const physics::InputFrame& frame : rec.frames) {
    session.step(frame);
    const Tick tick = session.tick();
    while (next < rec.checkpoints.size() && rec.checkpoints[next].tick < tick) ++next;
    if (next < rec.checkpoints.size() && rec.checkpoints[next].tick == tick) {
      Hash64 now = session.world().stateHash();
      if (now != rec.checkpoints[next].stateHash) {
        result.status = ReplayStatus::kDivergence;
        result.ticks = tick;
        result.error =
            makeError(ErrorCode::kDivergence,
                      "the replay diverges at tick " + std::to_string(tick) + ": recorded state " +
                          hashToHex(rec.checkpoints[next].stateHash) + ", replayed " + hashToHex(now),
                      where, "the recording was altered, or it came from another build");
        result.report = scorer.report(session.world());
        return result;
      }
      ++next;
    }
  }
  result.ticks = session.tick();
  if (options.atEnd) options.atEnd(session.world());
  if (rec.footer && rec.footer->finalHash != 0 && rec.footer->ticks == result.ticks &&
      rec.footer->finalHash != session.world().stateHash()) {
    result.status = ReplayStatus::kDivergence;
    result.error = makeError(ErrorCode::kDivergence, "the final state differs from the recorded one", where,
                             "the recording was altered, or it came from another build");
    return result;
  }
  result.report = scorer.report(session.world());
  result.status = result.report->passed ? ReplayStatus::kPassed : ReplayStatus::kBelowPassMark;
  // A damaged recording is bad input even though what was whole has been replayed and scored.
  if (rec.damage) result.status = ReplayStatus::kBadInput;
  return result;
}

Result<RecordedRun> recordBot(const scenario::ScenarioDesc& scenario, Bot& bot,
                              const std::filesystem::path& out, const std::string& traineeId,
                              double seconds) {
  auto built = scenario::buildSession(scenario);
  if (!built.ok()) return built.error();
  session::Session& session = *built.value();
  const RecordingHeader header = headerFor(scenario, traineeId);
  auto recorder = Recorder::create(out, header);
  if (!recorder.ok()) return recorder.error();
  scoring::Scorer scorer(scenario, session.world(), out.string());
  scorer.setRun(runInfo(header));
  session.addListener(recorder.value().get());
  session.addListener(&scorer);
  const Tick ticks = session.world().clock().ticksIn(seconds > 0.0 ? seconds : bot.duration());
  for (Tick t = 0; t < ticks; ++t) session.step(bot.next(session));
  RecordedRun run;
  run.ticks = session.tick();
  run.report = scorer.report(session.world());
  char summary[128];
  std::snprintf(summary, sizeof(summary), "score %.2f, %s", run.report.score,
                run.report.passed ? "passed" : "not passed");
  TROCAR_TRY(recorder.value()->finish({session.tick(), session.world().stateHash(), summary}));
  return run;
}

}  // namespace trocar::replay
