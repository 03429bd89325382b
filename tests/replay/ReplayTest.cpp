// Record a scripted session, replay it: identical hashes and report; a tampered frame
// diverges at the next checkpoint; a changed scenario is refused by hash.
#include <trocar/core/File.h>
#include <trocar/core/Version.h>
#include <trocar/replay/Recorder.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstring>

namespace trocar::replay {
namespace {

const char* kScenario = R"yaml(trocar: 1
id: replay-test
title: Grasp and lift
tissues:
  - id: membrane
    generate: {cloth: {size: [0.1, 0.1], cells: [16, 16], position: [0, 0.1, 0]}}
    fixed: border
instruments: {left: grasper}
checklist:
  - {id: grasp, title: Grasp the membrane, done_when: "grasped(left, membrane)"}
scoring: {formula: checklist, pass_score: 50}
)yaml";

physics::InputFrame script(int t) {
  physics::InputFrame in;
  Quat down = glm::angleAxis(-kPi / 2.0f, Vec3(1, 0, 0));
  float y = t < 300 ? 0.09f : 0.09f + 0.02f * std::min(1.0f, static_cast<float>(t - 300) / 300.0f);
  in.hands[0].pose = {Vec3(-0.02f, y, 0.0f) + down * Vec3(0.0f, 0.0f, 0.36f), down};
  in.hands[0].trigger = t >= 200 ? 1.0f : 0.0f;
  return in;
}

struct Recorded {
  scenario::ScenarioDesc scenario;
  std::string liveJson;
  std::filesystem::path file;
};

// 1,300 ticks (2.6 s): checkpoints at 500 and 1000.
Recorded record(const std::filesystem::path& dir) {
  Recorded out;
  out.scenario = *scenario::loadScenarioText(kScenario, "replay-test.yaml").scenario;
  out.file = dir / "run.trec";
  auto session = std::move(scenario::buildSession(out.scenario)).value();
  const RecordingHeader header = headerFor(out.scenario, "t-1");
  auto recorder = std::move(Recorder::create(out.file, header)).value();
  scoring::Scorer scorer(out.scenario, session->world(), "run.trec");
  scorer.setRun(runInfo(header));
  session->addListener(recorder.get());
  session->addListener(&scorer);
  for (int t = 0; t < 1300; ++t) session->step(script(t));
  EXPECT_TRUE(recorder->finish({session->tick(), session->world().stateHash(), "done"}).ok());
  out.liveJson = scoring::toJson(scorer.report(session->world()));
  return out;
}

TEST(Replay, RoundTripGivesIdenticalHashesAndReport) {
  test::TempDir dir;
  Recorded rec = record(dir.path());
  auto contents = readRecording(rec.file);
  ASSERT_TRUE(contents.ok()) << contents.error().toString();
  EXPECT_TRUE(contents.value().complete());
  EXPECT_EQ(contents.value().frames.size(), 1300u);
  ASSERT_EQ(contents.value().checkpoints.size(), 2u);
  EXPECT_EQ(contents.value().checkpoints[0].tick, 500u);
  // The live run's events are in the recording, the left hand's grasp among them.
  ASSERT_FALSE(contents.value().events.empty());
  EXPECT_TRUE(std::any_of(contents.value().events.begin(), contents.value().events.end(),
                          [](const physics::Event& e) {
                            return e.kind == physics::EventKind::kGrasp && e.hand == physics::Hand::kLeft;
                          }));
  ReplayResult r = replayRecording(contents.value(), rec.scenario, "run.trec");
  ASSERT_FALSE(r.error.has_value()) << r.error->toString();
  EXPECT_EQ(r.status, ReplayStatus::kPassed);
  EXPECT_EQ(r.exitCode(), 0);
  EXPECT_EQ(r.ticks, 1300u);
  EXPECT_EQ(scoring::toJson(*r.report), rec.liveJson) << "byte-for-byte the live report";
}

TEST(Replay, TamperedFrameDivergesAtTheNextCheckpoint) {
  test::TempDir dir;
  Recorded rec = record(dir.path());
  auto contents = std::move(readRecording(rec.file)).value();
  // As if someone edited frame 700 and fixed up the CRC: the jaws open for one tick.
  contents.frames[700].hands[0].trigger = 0.0f;
  ReplayResult r = replayRecording(contents, rec.scenario, "run.trec");
  EXPECT_EQ(r.status, ReplayStatus::kDivergence);
  EXPECT_EQ(r.exitCode(), 3);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->message.find("diverges at tick 1000"), std::string::npos) << r.error->message;
}

// Other scoring rules only score a recording anew: a pass mark above what the run scored
// (one checklist step of one, 100 points) turns the same run, to the same final state, into a
// fail, with a notice. Comments, quoting and the title change nothing at all.
TEST(Replay, ChangedScoringReScoresTheRecording) {
  test::TempDir dir;
  Recorded rec = record(dir.path());
  auto contents = std::move(readRecording(rec.file)).value();
  EXPECT_EQ(contents.header.formatVersion, 2u);
  EXPECT_EQ(contents.header.scoringHash, rec.scenario.scoringHash);
  const ReplayResult original = replayRecording(contents, rec.scenario, "run.trec");
  ASSERT_TRUE(original.report.has_value());
  EXPECT_DOUBLE_EQ(original.report->score, 100.0);

  std::string stricter = kScenario;
  stricter.replace(stricter.find("pass_score: 50"), 14, "pass_score: 101");
  auto rules = *scenario::loadScenarioText(stricter, "replay-test.yaml").scenario;
  EXPECT_EQ(rules.contentHash, rec.scenario.contentHash) << "the simulation is the same";
  EXPECT_NE(rules.scoringHash, rec.scenario.scoringHash);
  const ReplayResult rescored = replayRecording(contents, rules, "run.trec");
  ASSERT_FALSE(rescored.error.has_value()) << rescored.error->toString();
  EXPECT_TRUE(rescored.rescored);
  EXPECT_EQ(rescored.exitCode(), 1) << "below the new pass mark";
  ASSERT_TRUE(rescored.report.has_value());
  EXPECT_DOUBLE_EQ(rescored.report->score, 100.0);
  EXPECT_DOUBLE_EQ(rescored.report->passScore, 101.0);
  EXPECT_EQ(rescored.report->finalStateHash, original.report->finalStateHash);
  ASSERT_EQ(rescored.warnings.size(), 1u);
  EXPECT_NE(rescored.warnings[0].find("re-scored"), std::string::npos) << rescored.warnings[0];

  std::string reworded = kScenario;
  reworded.replace(reworded.find("title: Grasp and lift"), 21, "title: 'Grasp, then lift'  # reworded");
  auto same = *scenario::loadScenarioText(reworded, "replay-test.yaml").scenario;
  EXPECT_EQ(same.contentHash, rec.scenario.contentHash);
  EXPECT_EQ(same.scoringHash, rec.scenario.scoringHash);
  EXPECT_NE(same.fileHash, rec.scenario.fileHash);
  const ReplayResult again = replayRecording(contents, same, "run.trec");
  EXPECT_FALSE(again.rescored);
  EXPECT_EQ(again.exitCode(), 0);
}

// A tissue made stiffer simulates differently: refused, and with --force replayed with a
// warning (the stiffer membrane need not follow the recorded run).
TEST(Replay, ChangedSimulationIsRefusedUnlessForced) {
  test::TempDir dir;
  Recorded rec = record(dir.path());
  auto contents = std::move(readRecording(rec.file)).value();
  std::string edited = kScenario;
  edited.replace(edited.find("    fixed: border"), 17, "    fixed: border\n    material: {stretch: 0.5}");
  auto changed = *scenario::loadScenarioText(edited, "replay-test.yaml").scenario;
  EXPECT_NE(changed.contentHash, rec.scenario.contentHash);
  EXPECT_EQ(changed.scoringHash, rec.scenario.scoringHash);
  ReplayResult refused = replayRecording(contents, changed, "run.trec");
  EXPECT_EQ(refused.exitCode(), 2);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_NE(refused.error->message.find("simulates differently"), std::string::npos)
      << refused.error->message;
  EXPECT_NE(refused.error->message.find("recorded " + hashToHex(rec.scenario.contentHash)),
            std::string::npos);
  EXPECT_NE(refused.error->message.find("now " + hashToHex(changed.contentHash)), std::string::npos);
  ReplayResult forced = replayRecording(contents, changed, "run.trec", {true});
  EXPECT_NE(forced.exitCode(), 2);
  ASSERT_FALSE(forced.warnings.empty());
  EXPECT_NE(forced.warnings[0].find("--force"), std::string::npos);
}

// A format-1 recording (one hash of the scenario file's bytes, no scoring hash) still replays
// against the file it was made with, and any change to that file refuses it.
TEST(Replay, FormatOneRecordingsAreCheckedAgainstTheWholeFile) {
  test::TempDir dir;
  Recorded rec = record(dir.path());
  auto bytes = std::move(readFileBytes(rec.file)).value();
  // Header: magic (8), version (4), build id and scenario id (u32 length + text), then the
  // two hashes; format 1 has one, of the file.
  const size_t hashes = 8 + 4 + 4 + buildId().size() + 4 + rec.scenario.id.size();
  bytes[8] = 1;
  const Hash64 file = rec.scenario.fileHash;
  std::memcpy(bytes.data() + hashes, &file, 8);
  bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(hashes + 8),
              bytes.begin() + static_cast<std::ptrdiff_t>(hashes + 16));
  ASSERT_TRUE(writeFileAtomic(dir / "v1.trec", std::span<const uint8_t>(bytes)).ok());
  auto v1 = readRecording(dir / "v1.trec");
  ASSERT_TRUE(v1.ok()) << v1.error().toString();
  EXPECT_EQ(v1.value().header.formatVersion, 1u);
  EXPECT_EQ(v1.value().frames.size(), 1300u);
  EXPECT_EQ(replayRecording(v1.value(), rec.scenario, "v1.trec").exitCode(), 0);
  std::string edited = kScenario;
  edited.replace(edited.find("pass_score: 50"), 14, "pass_score: 60");
  auto changed = *scenario::loadScenarioText(edited, "replay-test.yaml").scenario;
  ReplayResult refused = replayRecording(v1.value(), changed, "v1.trec");
  EXPECT_EQ(refused.exitCode(), 2);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_NE(refused.error->message.find("format-1"), std::string::npos) << refused.error->message;
}

}  // namespace
}  // namespace trocar::replay

namespace trocar::replay {
namespace {

// A child records a session at full speed and reports its tick every 50 ticks; it is
// SIGKILLed at a random moment (3 seeds). The file replays up to its last chunk, says it is
// incomplete, and has lost at most one second (tickHz = 500 ticks) of what was simulated. The
// bound holds however slow the disk: with `lagMs`, every batch's write takes that much longer
// (250 ticks of this session are simulated in far less), so without the recorder's
// back-pressure the unwritten batches pile up and a kill loses several seconds.
void killWhileRecording(std::chrono::milliseconds lag) {
  for (unsigned seed : {1u, 2u, 3u}) {
    test::TempDir dir;
    auto path = dir / "crash.trec";
    auto desc = *scenario::loadScenarioText(kScenario, "replay-test.yaml").scenario;
    int pipeFd[2];
    ASSERT_EQ(::pipe(pipeFd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipeFd[0]);
      auto session = std::move(scenario::buildSession(desc)).value();
      RecordingHeader h;
      h.scenarioId = desc.id;
      h.scenarioHash = desc.contentHash;
      h.tickHz = desc.tickHz;
      RecorderOptions options;
      options.writerLag = lag;
      auto recorder = Recorder::create(path, h, options);
      if (!recorder.ok()) ::_exit(10);
      session->addListener(recorder.value().get());
      for (int t = 0;; ++t) {
        session->step(script(t % 1300));
        if (session->tick() % 50 == 0) {
          uint64_t tick = session->tick();
          if (::write(pipeFd[1], &tick, sizeof(tick)) != sizeof(tick)) ::_exit(11);
        }
      }
    }
    ::close(pipeFd[1]);
    // Let it run for 2..4 s of sim time (by its own reports), then kill it.
    uint64_t target = 1000 + 333 * seed, last = 0, tick = 0;
    while (last < target && ::read(pipeFd[0], &tick, sizeof(tick)) == sizeof(tick)) last = tick;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(pipeFd[0]);
    auto r = readRecording(path);
    ASSERT_TRUE(r.ok()) << r.error().toString();
    EXPECT_FALSE(r.value().complete()) << "seed " << seed;
    EXPECT_GE(r.value().frames.size() + desc.tickHz, last)
        << "seed " << seed << ": lost more than a second (" << last << " ticks simulated, "
        << r.value().frames.size() << " recorded)";
    ReplayResult replayed = replayRecording(r.value(), desc, "crash.trec");
    EXPECT_NE(replayed.status, ReplayStatus::kDivergence) << "seed " << seed;
  }
}

TEST(Replay, SigkillAtRandomMomentsLosesAtMostASecond) {
  killWhileRecording(std::chrono::milliseconds(0));
}

TEST(Replay, SigkillWithALaggingDiskLosesAtMostASecond) {
  killWhileRecording(std::chrono::milliseconds(400));
}

}  // namespace
}  // namespace trocar::replay
