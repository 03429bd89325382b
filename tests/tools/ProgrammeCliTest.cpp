// End-to-end: the programme layer as an instructor and a trainee use it: re-scored and live
// attempts go into a history, `trocar history` lists them (JSON, a learning-curve page, xAPI),
// `trocar progress` says where a trainee stands, `run --curriculum` starts what is next.
#include <trocar/test/PostgresServer.h>
#include <trocar/test/TestSupport.h>

#include <trocar/programme/Xapi.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace trocar {
namespace {

std::string trocar(const std::string& args) {
  return "'" + test::trocarExecutable().string() + "' " + args;
}
const std::string kHeadless = "env -u DISPLAY -u WAYLAND_DISPLAY XR_RUNTIME_JSON=/nonexistent.json ";

std::string source(const std::string& relative) {
  return (std::filesystem::path(TROCAR_SOURCE_DIR) / relative).string();
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json expected(const std::string& name) {
  return nlohmann::json::parse(
      slurp(source("scenarios/fls-peg-transfer/recordings/" + name + ".expected.json")));
}

// The peg transfer's reference recordings re-scored into `db`.
void replayPegTransfer(const std::string& db) {
  auto r = test::runCommand(trocar("replay '" + source("scenarios/fls-peg-transfer/recordings/expert.trec") +
                                   "' '" + source("scenarios/fls-peg-transfer/recordings/novice.trec") +
                                   "' --db '" + db + "'"));
  ASSERT_EQ(r.exitCode, 1) << r.err;  // the novice is below the pass mark
}

TEST(ProgrammeCli, ReplaysGoIntoTheHistoryOnceEachAndAreListed) {
  test::TempDir dir;
  const std::string db = (dir / "history.sqlite").string();
  replayPegTransfer(db);
  replayPegTransfer(db);  // again: the same recordings, not new attempts
  auto listed = test::runCommand(trocar("history --db '" + db + "' --json"));
  ASSERT_EQ(listed.exitCode, 0) << listed.err;
  const auto attempts = nlohmann::json::parse(listed.out);
  ASSERT_EQ(attempts.size(), 2u) << attempts.dump(2);
  for (const auto& a : attempts) {
    const nlohmann::json e = expected(a["trainee"].get<std::string>());
    EXPECT_EQ(a["score"].get<double>(), e["score"].get<double>()) << a["trainee"];
    EXPECT_EQ(a["passed"], e["passed"]);
    EXPECT_EQ(a["recording_digest"], e["recording_digest"]);
    EXPECT_EQ(a["attempt"], 1);
    EXPECT_EQ(a["source"], "replay");
    EXPECT_EQ(a["completed"], true);
    EXPECT_EQ(a["metrics"]["pegs_dropped"]["value"].get<double>(), a["trainee"] == "expert" ? 0.0 : 2.0);
  }

  // The learning-curve page and xAPI statements of the same attempts.
  const auto page = dir / "curves.html";
  auto html = test::runCommand(trocar("history --db '" + db + "' --curriculum fls-manual-skills --html '" +
                                      page.string() + "' --xapi -"));
  ASSERT_EQ(html.exitCode, 0) << html.err;
  const std::string text = slurp(page);
  char score[32];
  std::snprintf(score, sizeof(score), "attempt 1: %.2f", expected("novice")["score"].get<double>());
  EXPECT_NE(text.find(score), std::string::npos) << score;
  EXPECT_NE(text.find("target 48.0"), std::string::npos);
  const auto statements = nlohmann::json::parse(html.out);
  ASSERT_EQ(statements.size(), 2u);
  for (const auto& s : statements) {
    EXPECT_TRUE(programme::validateXapiStatement(s).empty()) << s.dump(2);
    EXPECT_EQ(s["context"]["contextActivities"]["grouping"][0]["id"],
              "https://trocar.invalid/curricula/fls-manual-skills");
  }
  EXPECT_EQ(statements[0]["verb"]["display"]["en-US"], "passed");  // expert, then novice
  EXPECT_EQ(statements[1]["verb"]["display"]["en-US"], "failed");

  // A person is named only through the installation's mapping, and a bad mapping says where.
  test::writeText(dir / "actors.yaml",
                  "actors:\n  expert: {name: An Expert, mbox: \"mailto:e@example.org\"}\n");
  auto mapped = test::runCommand(
      trocar("history --db '" + db + "' --xapi - --xapi-actors '" + (dir / "actors.yaml").string() + "'"));
  ASSERT_EQ(mapped.exitCode, 0) << mapped.err;
  EXPECT_EQ(nlohmann::json::parse(mapped.out)[0]["actor"]["mbox"], "mailto:e@example.org");
  EXPECT_FALSE(nlohmann::json::parse(mapped.out)[1]["actor"].contains("name"));
  test::writeText(dir / "bad.yaml", "actors:\n  expert: {mbox: e@example.org}\n");
  auto bad = test::runCommand(
      trocar("history --db '" + db + "' --xapi - --xapi-actors '" + (dir / "bad.yaml").string() + "'"));
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("bad.yaml:2:18"), std::string::npos) << bad.err;
}

TEST(ProgrammeCli, ProgressSaysWhereATraineeStandsAndRunStartsWhatIsNext) {
  test::TempDir dir;
  const std::string db = (dir / "history.sqlite").string();
  replayPegTransfer(db);
  auto novice = test::runCommand(trocar("progress novice --db '" + db + "' --json"));
  ASSERT_EQ(novice.exitCode, 0) << novice.err;
  auto p = nlohmann::json::parse(novice.out);
  EXPECT_EQ(p["next"], "fls-peg-transfer");
  EXPECT_EQ(p["steps"][0]["attempts"], 1);
  EXPECT_EQ(p["steps"][0]["proficient"], 0);
  const std::string misses = p["steps"][0]["latest_misses"].dump();
  EXPECT_NE(misses.find("task_time_s 79.2 (target <= 48)"), std::string::npos) << misses;
  EXPECT_NE(misses.find("pegs_dropped 2 (target <= 0)"), std::string::npos) << misses;
  auto expert =
      nlohmann::json::parse(test::runCommand(trocar("progress expert --db '" + db + "' --json")).out);
  EXPECT_EQ(expert["steps"][0]["proficient"], 1);    // 47.6 s, nothing dropped
  EXPECT_EQ(expert["steps"][0]["achieved"], false);  // 1 of 12
  auto text = test::runCommand(trocar("progress expert --db '" + db + "'"));
  EXPECT_NE(
      text.out.find("next: fls-peg-transfer  (trocar run --curriculum fls-manual-skills --trainee expert)"),
      std::string::npos)
      << text.out;

  // A curriculum in which the expert's one proficient transfer is enough: the next step is
  // pattern cutting, and `run --curriculum` starts it and stores the attempt under it.
  const auto quick = dir / "quick.yaml";
  test::writeText(quick,
                  "format: trocar.curriculum/1\nid: quick\nsteps:\n"
                  "  - scenario: fls-peg-transfer\n    targets: {task_time_s: {max: 48}}\n"
                  "  - scenario: fls-pattern-cutting\n    targets: {task_time_s: {max: 98}}\n");
  auto run = test::runCommand(kHeadless + trocar("run --curriculum '" + quick.string() +
                                                 "' --trainee expert --rig headless --duration 1 --db '" +
                                                 db + "' --record '" + (dir / "a.trec").string() + "'"));
  ASSERT_EQ(run.exitCode, 0) << run.err;
  EXPECT_NE(run.err.find("curriculum quick: step 2 of 2, fls-pattern-cutting"), std::string::npos) << run.err;
  EXPECT_NE(
      run.err.find("Curriculum quick, step 2 of 2: fls-pattern-cutting\nThis attempt was not proficient: the "
                   "checklist was not completed\nProficient attempts 0 of 1, best run 0 of 1 in a row\n"),
      std::string::npos)
      << run.err;
  auto cut = nlohmann::json::parse(
      test::runCommand(
          trocar("history --db '" + db + "' --json --trainee expert --scenario fls-pattern-cutting"))
          .out);
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0]["curriculum"], "quick");
  EXPECT_EQ(cut[0]["source"], "run");
  EXPECT_EQ(cut[0]["completed"], false);  // one second is not enough to cut a circle

  // Mistakes are bad input, with where and what to do.
  auto anonymous = test::runCommand(
      kHeadless + trocar("run --curriculum fls-manual-skills --rig headless --db '" + db + "'"));
  EXPECT_EQ(anonymous.exitCode, 2);
  EXPECT_NE(anonymous.err.find("--curriculum needs --trainee"), std::string::npos) << anonymous.err;
  test::writeText(
      dir / "broken.yaml",
      "format: trocar.curriculum/1\nid: b\nsteps:\n  - scenario: x\n    targets: {time: {max: 4}}\n");
  auto broken = test::runCommand(
      trocar("progress T --db '" + db + "' --curriculum '" + (dir / "broken.yaml").string() + "'"));
  EXPECT_EQ(broken.exitCode, 2);
  EXPECT_NE(broken.err.find("broken.yaml:5:15: error: unknown metric 'time'"), std::string::npos)
      << broken.err;
  auto missing = test::runCommand(trocar("progress T --db '" + db + "' --curriculum nonesuch"));
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("no curriculum 'nonesuch'"), std::string::npos) << missing.err;
}

TEST(ProgrammeCli, EveryRecordedRunIsStoredUnlessToldNot) {
  test::TempDir dir;
  const std::string db = "sqlite:" + (dir / "h.sqlite").string();
  auto run = test::runCommand(
      kHeadless + "TROCAR_DB='" + db + "' " +
      trocar("run --rig headless --duration 1 --trainee T6 --record '" + (dir / "a.trec").string() + "'"));
  ASSERT_EQ(run.exitCode, 0) << run.err;
  auto quiet =
      test::runCommand(kHeadless + "TROCAR_DB='" + db + "' " +
                       trocar("run --rig headless --duration 1 --trainee T6 --no-history --record '" +
                              (dir / "b.trec").string() + "'"));
  ASSERT_EQ(quiet.exitCode, 0) << quiet.err;
  auto listed =
      nlohmann::json::parse(test::runCommand("TROCAR_DB='" + db + "' " + trocar("history --json")).out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["trainee"], "T6");
  EXPECT_EQ(listed[0]["scenario"], "fls-peg-transfer");
  EXPECT_EQ(listed[0]["recording"], (dir / "a.trec").string());
  // A history that cannot be opened does not lose the run: it is recorded and reported, with a warning.
  test::writeText(dir / "junk.sqlite",
                  "not a database, only text, but long enough to look like a file header\n");
  auto junk = test::runCommand(kHeadless + trocar("run --rig headless --duration 1 --trainee T6 --db '" +
                                                  (dir / "junk.sqlite").string() + "' --record '" +
                                                  (dir / "c.trec").string() + "'"));
  EXPECT_EQ(junk.exitCode, 0) << junk.err;
  EXPECT_NE(junk.err.find("warning: the attempt is not in the history"), std::string::npos) << junk.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "c.json"));
}

// A demonstration (--bot in a window) is the bot's attempt: recorded, but not the trainee's in
// the history, so it counts towards no curriculum.
TEST(ProgrammeCli, ADemonstrationIsNotTheTraineesAttempt) {
  test::TempDir dir;
  const std::string db = "sqlite:" + (dir / "h.sqlite").string();
  auto r = test::runCommand("XR_RUNTIME_JSON=/nonexistent.json ALSOFT_DRIVERS=nonexistent xvfb-run -a " +
                            trocar("run --rig desktop --duration 2 --trainee T8 --bot '" +
                                   source("scenarios/fls-peg-transfer/bots/expert.yaml") + "' --db '" + db +
                                   "' --record '" + (dir / "demo.trec").string() + "'"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "demo.json"));  // recorded and reported
  auto listed = nlohmann::json::parse(test::runCommand(trocar("history --json --db '" + db + "'")).out);
  EXPECT_EQ(listed.size(), 0u) << listed.dump(2);
}

// An installation names its shared history once, in <config>/history.url; $TROCAR_DB still wins.
TEST(ProgrammeCli, AnInstallationsConfigurationNamesTheHistory) {
  test::TempDir dir;
  const auto shared = dir / "shared.sqlite";
  std::filesystem::create_directories(dir / "config/trocar");
  test::writeText(dir / "config/trocar/history.url",
                  "# the programme's history\n\n  sqlite:" + shared.string() + "  \n");
  const std::string env = "env -u TROCAR_DB XDG_CONFIG_HOME='" + (dir / "config").string() + "' ";
  auto r = test::runCommand(
      env + trocar("replay '" + source("scenarios/fls-peg-transfer/recordings/expert.trec") + "' --history"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(shared));
  auto listed = test::runCommand(env + trocar("history"));
  EXPECT_NE(listed.out.find("sqlite " + shared.string() + ": 1 attempt\n"), std::string::npos) << listed.out;
  auto other = test::runCommand(env + "TROCAR_DB='sqlite:" + (dir / "other.sqlite").string() + "' " +
                                trocar("history"));
  EXPECT_NE(other.out.find("other.sqlite: 0 attempts"), std::string::npos) << other.out;
}

// A single-node Slurm cluster in a folder (tools/slurm/local-cluster.sh), stopped at scope end.
class LocalSlurm {
 public:
  explicit LocalSlurm(const std::filesystem::path& dir) : mDir(dir) {
    // One CPU for jobs: the array's tasks take turns rather than load the machine's other tests.
    auto r = test::runCommand("'" + source("tools/slurm/local-cluster.sh") + "' start '" + dir.string() +
                              "' " + std::to_string(20000 + (::getpid() % 20000) * 2) + " 1");
    mStarted = r.exitCode == 0;
    mWhy = r.err;
  }
  ~LocalSlurm() {
    if (mStarted)
      test::runCommand("'" + source("tools/slurm/local-cluster.sh") + "' stop '" + mDir.string() + "'");
  }
  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;
  bool started() const { return mStarted; }
  const std::string& why() const { return mWhy; }
  std::string env() const { return "SLURM_CONF='" + (mDir / "slurm.conf").string() + "' "; }

 private:
  std::filesystem::path mDir;
  bool mStarted = false;
  std::string mWhy;
};

// A programme's recordings re-scored on a (one-node) Slurm cluster into a shared PostgreSQL
// history: the "done when", end to end.
TEST(ProgrammeCli, ReScoringOnASlurmClusterLandsEveryResultInASharedPostgresHistoryOnce) {
  test::TempDir dir;
  test::PostgresServer server;
  ASSERT_TRUE(server.running()) << server.why();
  LocalSlurm slurm(dir / "cluster");
  ASSERT_TRUE(slurm.started()) << slurm.why();
  const std::string db = server.freshDatabase();
  const std::vector<std::string> recordings = {
      source("scenarios/fls-peg-transfer/recordings/expert.trec"),
      source("scenarios/fls-peg-transfer/recordings/novice.trec"),
      source("scenarios/fls-pattern-cutting/recordings/expert.trec")};
  std::string files;
  for (const auto& r : recordings) files += "'" + r + "' ";
  const auto job = dir / "job";
  auto submitted = test::runCommand(slurm.env() + trocar("replay " + files + "--slurm '" + job.string() +
                                                         "' --batch 2 --db '" + db + "' --submit"));
  ASSERT_EQ(submitted.exitCode, 0) << submitted.err << submitted.out;
  EXPECT_NE(submitted.out.find("3 recordings in 2 array tasks"), std::string::npos) << submitted.out;
  EXPECT_NE(submitted.out.find("submitted: array job"), std::string::npos) << submitted.out;
  // The summary job runs after the array; wait for what it writes.
  for (int i = 0; i < 1200 && !std::filesystem::exists(job / "summary.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  ASSERT_TRUE(std::filesystem::exists(job / "summary.json"))
      << test::runCommand("tail -n 30 '" + (dir / "cluster/log/slurmctld.log").string() + "' '" +
                          job.string() + "'/logs/*")
             .out;
  const auto summary = nlohmann::json::parse(slurp(job / "summary.json"));
  EXPECT_EQ(summary["complete"], true) << summary.dump(2);
  EXPECT_EQ(summary["recordings"], 3);
  EXPECT_EQ(summary["in_history_once"], 3);
  EXPECT_EQ(summary["passed"], 2);
  EXPECT_EQ(summary["below_pass_mark"], 1);
  EXPECT_TRUE(summary["missing"].empty());
  EXPECT_TRUE(summary["duplicated"].empty());
  EXPECT_EQ(summary["history"].get<std::string>().rfind("postgresql ", 0), 0u) << summary["history"];
  // The history holds each re-scored attempt once, scored as the expected reports say.
  auto listed = nlohmann::json::parse(test::runCommand(trocar("history --json --db '" + db + "'")).out);
  ASSERT_EQ(listed.size(), 3u) << listed.dump(2);
  for (const auto& a : listed) {
    EXPECT_EQ(a["source"], "replay");
    const std::string scenario = a["scenario"].get<std::string>();
    const auto e = nlohmann::json::parse(slurp(source("scenarios/" + scenario + "/recordings/" +
                                                      a["trainee"].get<std::string>() + ".expected.json")));
    EXPECT_EQ(a["score"].get<double>(), e["score"].get<double>()) << scenario;
  }
  // The summary job again, by hand, after one result file went missing: it says which.
  std::filesystem::remove(job / "results/task-1.json");
  auto merged = test::runCommand(trocar("replay --merge '" + job.string() + "' --db '" + db + "'"));
  EXPECT_EQ(merged.exitCode, 3) << merged.out << merged.err;
  EXPECT_NE(slurp(job / "summary.json").find("fls-pattern-cutting/recordings/expert.trec"),
            std::string::npos);
  // A folder that already holds a job is not overwritten.
  auto again =
      test::runCommand(trocar("replay " + files + "--slurm '" + job.string() + "' --db '" + db + "'"));
  EXPECT_EQ(again.exitCode, 2);
  EXPECT_NE(again.err.find("already holds a re-scoring job"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace trocar
