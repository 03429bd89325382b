// The history database (programme/History.h), on SQLite and on a real PostgreSQL server that
// the test starts in a temporary folder (initdb + pg_ctl, a Unix socket only; no mock).
#include <trocar/test/PostgresServer.h>
#include <trocar/test/TestSupport.h>

#include <trocar/programme/History.h>
#include <trocar/scoring/Report.h>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace trocar {
namespace {

using programme::Attempt;
using programme::History;

// ---- Raw access, to build files as an older Trocar left them -------------------------------
void rawSql(const std::string& url, const std::string& sql) {
  if (url.rfind("sqlite:", 0) == 0) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.substr(7).c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  } else {
    PGconn* conn = PQconnectdb(url.c_str());
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PGresult* r = PQexec(conn, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(conn);
  }
}

// ---- The checks, run against either back end ------------------------------------------------
Attempt attempt(const std::string& trainee, const std::string& scenario, const std::string& startedAt,
                double score, const std::string& digest) {
  Attempt a;
  a.trainee = trainee;
  a.scenario = scenario;
  a.scenarioTitle = "Title of " + scenario;
  a.startedAt = startedAt;
  a.scoredAt = "2026-12-06T10:00:00Z";
  a.durationS = score / 2;
  a.score = score;
  a.passScore = 100;
  a.passed = score >= 100;
  a.completed = true;
  a.recording = digest + ".trec";
  a.recordingDigest = digest;
  a.source = "run";
  a.metrics = {{"task_time_s", 79.218, 52.1703213, false},
               {"score", 87.61190476190475, std::nullopt, std::nullopt},
               {"smoothness_ldlj", -12.207242918607717, -11.4136388, true}};
  return a;
}

std::unique_ptr<History> openOrFail(const std::string& url) {
  auto h = History::open(url);
  if (!h.ok()) {
    ADD_FAILURE() << h.error().toString();
    return nullptr;
  }
  return std::move(h.value());
}

// Numbers by start time whatever order rows arrive in; a recording scored again is updated, not added.
void checkAttemptsAreNumberedAndKeyedByRecording(const std::string& url) {
  auto h = openOrFail(url);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->schemaVersion(), programme::kSchemaVersion);
  ASSERT_TRUE(h->record(attempt("T1", "peg", "2026-12-03T09:00:00Z", 90, "d3")).ok());
  ASSERT_TRUE(h->record(attempt("T1", "peg", "2026-12-01T09:00:00Z", 70, "d1")).ok());
  ASSERT_TRUE(h->record(attempt("T1", "peg", "2026-12-02T09:00:00Z", 80, "d2")).ok());
  ASSERT_TRUE(h->record(attempt("T2", "peg", "2026-12-02T09:00:00Z", 60, "d4")).ok());
  Attempt withCurriculum = attempt("T1", "cut", "2026-12-02T10:00:00Z", 99, "d5");
  withCurriculum.curriculum = "fls";
  ASSERT_TRUE(h->record(withCurriculum).ok());
  auto all = h->attempts();
  ASSERT_TRUE(all.ok()) << all.error().toString();
  ASSERT_EQ(all.value().size(), 5u);
  // T1/cut, then T1/peg by time, then T2/peg.
  EXPECT_EQ(all.value()[0].scenario, "cut");
  EXPECT_EQ(all.value()[0].number, 1u);
  EXPECT_EQ(all.value()[1].recordingDigest, "d1");
  EXPECT_EQ(all.value()[1].number, 1u);
  EXPECT_EQ(all.value()[2].recordingDigest, "d2");
  EXPECT_EQ(all.value()[2].number, 2u);
  EXPECT_EQ(all.value()[3].recordingDigest, "d3");
  EXPECT_EQ(all.value()[3].number, 3u);
  EXPECT_EQ(all.value()[4].trainee, "T2");
  EXPECT_EQ(all.value()[4].number, 1u);

  // Re-scored under new rules: the same recording, a new score; its curriculum is kept.
  Attempt rescored = attempt("T1", "cut", "2026-12-02T10:00:00Z", 101, "d5");
  rescored.source = "replay";
  auto id = h->record(rescored);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id.value(), all.value()[0].id);
  auto cut = h->attempts({"T1", "cut"});
  ASSERT_TRUE(cut.ok());
  ASSERT_EQ(cut.value().size(), 1u);
  EXPECT_EQ(cut.value()[0].score, 101.0);
  EXPECT_TRUE(cut.value()[0].passed);
  EXPECT_EQ(cut.value()[0].curriculum, "fls");
  EXPECT_EQ(cut.value()[0].source, "run");  // how it first came in
  EXPECT_EQ(h->attempts().value().size(), 5u);
  EXPECT_EQ(h->attempts({"T1", ""}).value().size(), 4u);
  EXPECT_EQ(h->attempts({"", "peg"}).value().size(), 4u);
  EXPECT_EQ(h->attempts({"nobody", ""}).value().size(), 0u);
  // One trainee's attempts in the order they were made, across scenarios, still numbered per scenario.
  std::vector<std::string> order;
  const auto inTime = h->attempts({"T1", "", true});
  ASSERT_TRUE(inTime.ok());
  for (const Attempt& a : inTime.value()) order.push_back(a.recordingDigest + "#" + std::to_string(a.number));
  EXPECT_EQ(order, (std::vector<std::string>{"d1#1", "d2#2", "d5#1", "d3#3"}));
  // Runs that were not recorded have no digest: each is its own attempt.
  ASSERT_TRUE(h->record(attempt("T3", "peg", "2026-12-05T09:00:00Z", 50, "")).ok());
  ASSERT_TRUE(h->record(attempt("T3", "peg", "2026-12-05T09:01:00Z", 55, "")).ok());
  EXPECT_EQ(h->attempts({"T3", ""}).value().size(), 2u);
  // A second opener sees the same rows (nothing is held in memory).
  auto again = openOrFail(url);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts().value().size(), 7u);
}

// Every stored number comes back exactly, verdicts and their absence included.
void checkMetricsComeBackExactly(const std::string& url) {
  auto h = openOrFail(url);
  ASSERT_TRUE(h);
  Attempt a = attempt("T1", "peg", "2026-12-01T09:00:00Z", 87.61190476190475, "m1");
  a.benchmarkMet = false;
  a.durationS = 0.1 + 0.2;
  ASSERT_TRUE(h->record(a).ok());
  const Attempt b = h->attempts().value().at(0);
  EXPECT_EQ(b.score, 87.61190476190475);
  EXPECT_EQ(b.durationS, 0.1 + 0.2);
  EXPECT_EQ(b.benchmarkMet, std::optional<bool>(false));
  ASSERT_EQ(b.metrics.size(), 3u);
  EXPECT_EQ(b.metrics[0].name, "task_time_s");  // in the benchmark table's order
  EXPECT_EQ(b.metrics[0].threshold, 52.1703213);
  EXPECT_EQ(b.metrics[0].met, std::optional<bool>(false));
  EXPECT_EQ(b.metrics[1].name, "score");
  EXPECT_FALSE(b.metrics[1].threshold.has_value());
  EXPECT_FALSE(b.metrics[1].met.has_value());
  EXPECT_EQ(b.metrics[2].value, -12.207242918607717);
  EXPECT_EQ(b.trainee, "T1");
  EXPECT_EQ(b.scenarioTitle, "Title of peg");
  EXPECT_EQ(b.recording, "m1.trec");
}

// A history made by the first schema is migrated when opened, its rows kept.
void checkMigratesFromVersionOne(const std::string& url, bool postgres) {
  rawSql(url, programme::schemaScript(1, postgres));
  rawSql(url,
         "INSERT INTO attempts (trainee, scenario, started_at, scored_at, duration_s, score, pass_score, "
         "passed, "
         "completed, critical_error, recording_digest, source) VALUES ('T9', 'peg', '2026-01-01T00:00:00Z', "
         "'2026-01-01T00:01:00Z', 47.5, 101.5, 100, 1, 1, 0, 'old', 'run');"
         "INSERT INTO metrics (attempt_id, name, value) VALUES (1, 'task_time_s', 47.5);");
  auto h = openOrFail(url);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->schemaVersion(), 2);
  auto rows = h->attempts();
  ASSERT_TRUE(rows.ok()) << rows.error().toString();
  ASSERT_EQ(rows.value().size(), 1u);
  const Attempt& a = rows.value()[0];
  EXPECT_EQ(a.trainee, "T9");
  EXPECT_EQ(a.score, 101.5);
  EXPECT_EQ(a.curriculum, "");
  EXPECT_FALSE(a.benchmarkMet.has_value());
  ASSERT_EQ(a.metrics.size(), 1u);
  EXPECT_EQ(a.metrics[0].value, 47.5);
  EXPECT_FALSE(a.metrics[0].threshold.has_value());
  // New rows carry what version 2 added; opening again migrates nothing more.
  Attempt b = attempt("T9", "peg", "2026-02-01T00:00:00Z", 105, "new");
  b.curriculum = "fls";
  b.benchmarkMet = true;
  ASSERT_TRUE(h->record(b).ok());
  auto again = openOrFail(url);
  ASSERT_TRUE(again);
  auto both = again->attempts();
  ASSERT_EQ(both.value().size(), 2u);
  EXPECT_EQ(both.value()[1].number, 2u);
  EXPECT_EQ(both.value()[1].curriculum, "fls");
  EXPECT_EQ(both.value()[1].benchmarkMet, std::optional<bool>(true));
}

// Newer schemas and tables Trocar did not make are refused, and left as they are.
void checkRefusesWhatItDoesNotKnow(const std::string& newer, const std::string& foreign) {
  {
    auto h = openOrFail(newer);
    ASSERT_TRUE(h);
  }
  rawSql(newer, "UPDATE trocar_schema SET version = 99");
  auto h = History::open(newer);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, ErrorCode::kMismatch);
  EXPECT_NE(h.error().message.find("schema version 99, newer than"), std::string::npos) << h.error().message;
  rawSql(foreign, "CREATE TABLE attempts (x INTEGER)");
  h = History::open(foreign);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("did not make"), std::string::npos) << h.error().message;
}

// Writers at once (parallel replays, cluster jobs): every attempt arrives, each once.
void checkConcurrentWritersEachArriveOnce(const std::string& url) {
  constexpr int kPerWriter = 15;
  auto writer = [&](int w) {
    auto h = History::open(url);
    ASSERT_TRUE(h.ok()) << h.error().toString();
    for (int i = 0; i < kPerWriter; ++i) {
      // Both writers also store the shared recordings "s0".."s4": those must stay single rows.
      const std::string digest =
          i < 5 ? "s" + std::to_string(i) : "w" + std::to_string(w) + "-" + std::to_string(i);
      char when[32];
      std::snprintf(when, sizeof(when), "2026-12-01T09:%02d:%02dZ", i, w);
      auto id = h.value()->record(attempt(
          "T1", "peg", i < 5 ? "2026-11-30T00:00:0" + std::to_string(i) + "Z" : when, 80 + i, digest));
      ASSERT_TRUE(id.ok()) << id.error().toString();
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  a.join();
  b.join();
  auto h = openOrFail(url);
  ASSERT_TRUE(h);
  auto rows = h->attempts();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows.value().size(), 5u + 2u * (kPerWriter - 5u));
  std::vector<uint32_t> numbers;
  for (const auto& r : rows.value()) numbers.push_back(r.number);
  for (uint32_t i = 0; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], i + 1);
}

// ---- SQLite ---------------------------------------------------------------------------------
std::string sqliteUrl(const test::TempDir& dir, const std::string& name) {
  return "sqlite:" + (dir / name).string();
}

TEST(HistorySqlite, AttemptsAreNumberedAndKeyedByRecording) {
  test::TempDir dir;
  checkAttemptsAreNumberedAndKeyedByRecording(sqliteUrl(dir, "sub/folder/h.sqlite"));  // folders made
}
TEST(HistorySqlite, MetricsComeBackExactly) {
  test::TempDir dir;
  checkMetricsComeBackExactly(sqliteUrl(dir, "h.sqlite"));
}
TEST(HistorySqlite, MigratesFromVersionOne) {
  test::TempDir dir;
  checkMigratesFromVersionOne(sqliteUrl(dir, "h.sqlite"), false);
}
TEST(HistorySqlite, RefusesWhatItDoesNotKnow) {
  test::TempDir dir;
  checkRefusesWhatItDoesNotKnow(sqliteUrl(dir, "newer.sqlite"), sqliteUrl(dir, "foreign.sqlite"));
}
TEST(HistorySqlite, ConcurrentWritersEachArriveOnce) {
  test::TempDir dir;
  checkConcurrentWritersEachArriveOnce(sqliteUrl(dir, "h.sqlite"));
}

TEST(HistorySqlite, AFileThatIsNotAHistoryIsAClearError) {
  test::TempDir dir;
  test::writeText(dir / "junk.sqlite",
                  "this is not a database, just text that is long enough to have a header\n");
  auto h = History::open((dir / "junk.sqlite").string());  // a plain path is SQLite too
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().toString().find("junk.sqlite"), std::string::npos) << h.error().toString();
  EXPECT_NE(h.error().toString().find("not a database"), std::string::npos) << h.error().toString();
  auto bad = History::open("mysql://host/db");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().hint.find("postgresql://"), std::string::npos);
  auto down = History::open("postgresql:///x?host=" + dir.path().string() + "&port=1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
}

TEST(History, AnAttemptIsWhatItsReportSays) {
  scoring::ScoreReport r;
  r.run.traineeId = "T7";
  r.run.startedAtUnix = 1765000000;  // 2025-12-06T05:46:40Z
  r.run.recordedWith = "b1";
  r.scoredWith = "b2";
  r.scenarioId = "fls-peg-transfer";
  r.scenarioTitle = "FLS peg transfer";
  r.taskTimeS = 47.5;
  r.score = 101.0;
  r.passScore = 100.0;
  r.passed = true;
  r.steps = {{"a", "A", scoring::StepState::kDone, 0.0, 20.0, std::nullopt},
             {"b", "B", scoring::StepState::kDoneOutOfOrder, 0.0, 47.5, std::nullopt}};
  r.objects = scoring::ScoreReport::ObjectCounts{12, 1, 0};
  r.benchmark = {{"task_time_s", 47.5, 52.0, scenario::Better::kLower, true},
                 {"pegs_dropped", 1.0, 0.0, scenario::Better::kLower, false}};
  r.recordingDigest = "blake2b-256:ab";
  Attempt a = programme::attemptFrom(r, "x.trec", "run", "2026-12-06T00:00:00Z", "fls");
  EXPECT_EQ(a.trainee, "T7");
  EXPECT_EQ(a.startedAt, "2025-12-06T05:46:40Z");
  EXPECT_TRUE(a.completed);
  EXPECT_EQ(a.benchmarkMet, std::optional<bool>(false));
  ASSERT_NE(a.metric("task_time_s"), nullptr);
  EXPECT_EQ(a.metric("task_time_s")->value, 47.5);
  EXPECT_EQ(a.metric("task_time_s")->met, std::optional<bool>(true));
  ASSERT_NE(a.metric("pegs_dropped"), nullptr);
  EXPECT_EQ(a.metric("pegs_dropped")->value, 1.0);
  EXPECT_EQ(a.metric("pegs_dropped")->threshold, 0.0);
  EXPECT_EQ(a.curriculum, "fls");
  // A step not done: not completed, and task time is not measured.
  r.steps[1].state = scoring::StepState::kActive;
  a = programme::attemptFrom(r, "x.trec", "run", "2026-12-06T00:00:00Z");
  EXPECT_FALSE(a.completed);
  EXPECT_EQ(a.metric("task_time_s"), nullptr);
  // No trainee given: "anonymous"; no start time: the scoring time.
  r.run = {};
  a = programme::attemptFrom(r, "", "replay", "2026-12-06T00:00:00Z");
  EXPECT_EQ(a.trainee, "anonymous");
  EXPECT_EQ(a.startedAt, "2026-12-06T00:00:00Z");
}

// ---- The same checks on a real PostgreSQL server -----------------------------------------------
TEST(HistoryPostgres, TheSameChecksPassOnARealServer) {
  test::PostgresServer server;
  ASSERT_TRUE(server.running()) << server.why();
  {
    SCOPED_TRACE("numbered and keyed by recording");
    checkAttemptsAreNumberedAndKeyedByRecording(server.freshDatabase());
  }
  {
    SCOPED_TRACE("metrics exactly");
    checkMetricsComeBackExactly(server.freshDatabase());
  }
  {
    SCOPED_TRACE("migration");
    checkMigratesFromVersionOne(server.freshDatabase(), true);
  }
  {
    SCOPED_TRACE("refusals");
    checkRefusesWhatItDoesNotKnow(server.freshDatabase(), server.freshDatabase());
  }
  {
    SCOPED_TRACE("concurrent writers");
    checkConcurrentWritersEachArriveOnce(server.freshDatabase());
  }
}

}  // namespace
}  // namespace trocar
