// The history database: schema, migrations, storing and reading attempts (History.h).

#include <trocar/core/File.h>
#include <trocar/programme/History.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/scoring/Calibration.h>

#include "Database.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>

namespace trocar::programme {

namespace {

using detail::Database;
using detail::Param;
using detail::Row;

// Version 1: attempts and their metric values. Version 2 adds the curriculum an attempt was
// started from, its benchmark verdict, and each metric's threshold and verdict.
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE trocar_schema (version INTEGER NOT NULL);
CREATE TABLE attempts (
  id {ID},
  trainee TEXT NOT NULL,
  scenario TEXT NOT NULL,
  scenario_title TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL DEFAULT '',
  scoring_hash TEXT NOT NULL DEFAULT '',
  recorded_with TEXT NOT NULL DEFAULT '',
  scored_with TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  scored_at TEXT NOT NULL,
  duration_s {REAL} NOT NULL,
  score {REAL} NOT NULL,
  pass_score {REAL} NOT NULL,
  passed INTEGER NOT NULL,
  completed INTEGER NOT NULL,
  critical_error INTEGER NOT NULL,
  recording TEXT NOT NULL DEFAULT '',
  recording_digest TEXT UNIQUE,
  source TEXT NOT NULL
);
CREATE INDEX attempts_by_trainee ON attempts (trainee, scenario, started_at);
CREATE TABLE metrics (
  attempt_id {INT64} NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value {REAL} NOT NULL,
  PRIMARY KEY (attempt_id, name)
);
INSERT INTO trocar_schema (version) VALUES (1);
)SQL";

constexpr const char* kMigrateTo2 = R"SQL(
ALTER TABLE attempts ADD COLUMN curriculum TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN benchmark_met INTEGER;
ALTER TABLE metrics ADD COLUMN threshold {REAL};
ALTER TABLE metrics ADD COLUMN met INTEGER;
UPDATE trocar_schema SET version = 2;
)SQL";

// migrations[v] takes version v to v + 1.
const std::map<int, const char*>& migrations() {
  static const std::map<int, const char*> steps{{1, kMigrateTo2}};
  return steps;
}

std::string dialect(std::string sql, bool postgres) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at + to.size()))
      sql.replace(at, from.size(), to);
  };
  replace("{ID}", postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY");
  replace("{REAL}", postgres ? "DOUBLE PRECISION" : "REAL");
  replace("{INT64}", postgres ? "BIGINT" : "INTEGER");
  return sql;
}

double toDouble(const std::optional<std::string>& s) {
  return s ? std::strtod(s->c_str(), nullptr) : 0.0;
}
int64_t toInt(const std::optional<std::string>& s) {
  return s ? std::strtoll(s->c_str(), nullptr, 10) : 0;
}
std::string toText(const std::optional<std::string>& s) {
  return s.value_or("");
}
Param flag(bool b) {
  return int64_t{b ? 1 : 0};
}
Param optionalFlag(std::optional<bool> b) {
  return b ? flag(*b) : Param{};
}

// Ends a transaction: commits when `body` succeeded, else rolls back and returns its error.
template <typename T>
Result<T> finish(Database& db, Result<T> body) {
  if (body.ok()) {
    if (auto c = db.script("COMMIT"); !c.ok()) {
      (void)db.script("ROLLBACK");
      return c.error();
    }
    return body;
  }
  (void)db.script("ROLLBACK");
  return body;
}

class DatabaseHistory final : public History {
 public:
  explicit DatabaseHistory(std::unique_ptr<Database> db) : mDb(std::move(db)) {}

  Result<void> prepare() {
    TROCAR_TRY(mDb->begin());
    return finish(*mDb, migrate());
  }

  Result<int64_t> record(const Attempt& a) override {
    TROCAR_TRY(mDb->begin());
    return finish(*mDb, store(a));
  }

  Result<std::vector<Attempt>> attempts(const AttemptFilter& filter) override {
    std::string where = " WHERE 1 = 1";
    std::vector<Param> params;
    if (!filter.trainee.empty()) {
      where += " AND trainee = ?";
      params.emplace_back(filter.trainee);
    }
    if (!filter.scenario.empty()) {
      where += " AND scenario = ?";
      params.emplace_back(filter.scenario);
    }
    auto rows = mDb->query(
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY trainee, scenario ORDER BY started_at, id), trainee, "
        "scenario, scenario_title, content_hash, scoring_hash, recorded_with, scored_with, started_at, "
        "scored_at, duration_s, score, pass_score, passed, completed, critical_error, benchmark_met, "
        "recording, recording_digest, source, curriculum FROM attempts" +
            where +
            (filter.inTimeOrder ? " ORDER BY started_at, id" : " ORDER BY trainee, scenario, started_at, id"),
        params);
    if (!rows.ok()) return rows.error();
    std::vector<Attempt> out;
    std::map<int64_t, size_t> byId;
    for (const Row& r : rows.value()) {
      Attempt a;
      a.id = toInt(r[0]);
      a.number = static_cast<uint32_t>(toInt(r[1]));
      a.trainee = toText(r[2]);
      a.scenario = toText(r[3]);
      a.scenarioTitle = toText(r[4]);
      a.contentHash = toText(r[5]);
      a.scoringHash = toText(r[6]);
      a.recordedWith = toText(r[7]);
      a.scoredWith = toText(r[8]);
      a.startedAt = toText(r[9]);
      a.scoredAt = toText(r[10]);
      a.durationS = toDouble(r[11]);
      a.score = toDouble(r[12]);
      a.passScore = toDouble(r[13]);
      a.passed = toInt(r[14]) != 0;
      a.completed = toInt(r[15]) != 0;
      a.criticalError = toInt(r[16]) != 0;
      if (r[17]) a.benchmarkMet = toInt(r[17]) != 0;
      a.recording = toText(r[18]);
      a.recordingDigest = toText(r[19]);
      a.source = toText(r[20]);
      a.curriculum = toText(r[21]);
      byId[a.id] = out.size();
      out.push_back(std::move(a));
    }
    auto metrics = mDb->query(
        "SELECT attempt_id, name, value, threshold, met FROM metrics WHERE attempt_id IN (SELECT id FROM "
        "attempts" +
            where + ")",
        params);
    if (!metrics.ok()) return metrics.error();
    for (const Row& r : metrics.value()) {
      auto it = byId.find(toInt(r[0]));
      if (it == byId.end()) continue;
      AttemptMetric m;
      m.name = toText(r[1]);
      m.value = toDouble(r[2]);
      if (r[3]) m.threshold = toDouble(r[3]);
      if (r[4]) m.met = toInt(r[4]) != 0;
      out[it->second].metrics.push_back(std::move(m));
    }
    // Each attempt's metrics in the benchmark table's order, as reports list them.
    auto rank = [](const std::string& name) {
      const auto table = scenario::benchmarkMetricTable();
      for (size_t i = 0; i < table.size(); ++i)
        if (name == table[i].name) return i;
      return table.size();
    };
    for (Attempt& a : out)
      std::sort(a.metrics.begin(), a.metrics.end(), [&](const AttemptMetric& x, const AttemptMetric& y) {
        return rank(x.name) < rank(y.name) || (rank(x.name) == rank(y.name) && x.name < y.name);
      });
    return out;
  }

  int schemaVersion() const override { return mVersion; }
  std::string describe() const override { return mDb->describe(); }

 private:
  Result<void> migrate() {
    // Openers racing to create a new server database take turns (SQLite: BEGIN IMMEDIATE).
    if (mDb->postgres()) TROCAR_TRY(mDb->query("SELECT pg_advisory_xact_lock(7302017)"));
    auto exists =
        mDb->query(mDb->postgres() ? "SELECT count(*) FROM information_schema.tables WHERE "
                                     "table_schema = current_schema() AND table_name = 'trocar_schema'"
                                   : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                     "name = 'trocar_schema'");
    if (!exists.ok()) return exists.error();
    if (toInt(exists.value().at(0).at(0)) == 0) {
      auto tables =
          mDb->query(mDb->postgres() ? "SELECT count(*) FROM information_schema.tables WHERE "
                                       "table_schema = current_schema() AND table_name = 'attempts'"
                                     : "SELECT count(*) FROM sqlite_master WHERE name = 'attempts'");
      if (!tables.ok()) return tables.error();
      if (toInt(tables.value().at(0).at(0)) != 0)
        return makeError(ErrorCode::kMismatch,
                         "history " + mDb->describe() + " has an 'attempts' table that Trocar did not make",
                         "give Trocar a database (or file) of its own with --db");
      TROCAR_TRY(mDb->script(dialect(kSchemaV1, mDb->postgres())));
    }
    auto version = mDb->query("SELECT version FROM trocar_schema");
    if (!version.ok()) return version.error();
    if (version.value().size() != 1)
      return makeError(ErrorCode::kMismatch,
                       "history " + mDb->describe() + ": its schema version is unreadable",
                       "give Trocar a database (or file) of its own with --db");
    int v = static_cast<int>(toInt(version.value()[0][0]));
    if (v > kSchemaVersion)
      return makeError(ErrorCode::kMismatch,
                       "history " + mDb->describe() + " has schema version " + std::to_string(v) +
                           ", newer than this build's " + std::to_string(kSchemaVersion),
                       "use a newer trocar with it (nothing was changed)");
    for (; v < kSchemaVersion; ++v) {
      auto step = migrations().find(v);
      if (step == migrations().end())
        return makeError(ErrorCode::kMismatch, "history " + mDb->describe() +
                                                   ": no migration from schema version " + std::to_string(v));
      TROCAR_TRY(mDb->script(dialect(step->second, mDb->postgres())));
    }
    mVersion = kSchemaVersion;
    return success();
  }

  Result<int64_t> store(const Attempt& a) {
    const Param digest = a.recordingDigest.empty() ? Param{} : Param{a.recordingDigest};
    auto id = mDb->query(
        "INSERT INTO attempts (trainee, scenario, scenario_title, content_hash, scoring_hash, recorded_with, "
        "scored_with, started_at, scored_at, duration_s, score, pass_score, passed, completed, "
        "critical_error, "
        "recording, recording_digest, source, curriculum, benchmark_met) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (recording_digest) DO UPDATE SET scenario_title = excluded.scenario_title, "
        "scoring_hash = excluded.scoring_hash, scored_with = excluded.scored_with, scored_at = "
        "excluded.scored_at, duration_s = excluded.duration_s, score = excluded.score, pass_score = "
        "excluded.pass_score, passed = excluded.passed, completed = excluded.completed, critical_error = "
        "excluded.critical_error, benchmark_met = excluded.benchmark_met, recording = excluded.recording, "
        "curriculum = CASE WHEN excluded.curriculum <> '' THEN excluded.curriculum ELSE attempts.curriculum "
        "END "
        "RETURNING id",
        {a.trainee,      a.scenario,   a.scenarioTitle, a.contentHash,     a.scoringHash,
         a.recordedWith, a.scoredWith, a.startedAt,     a.scoredAt,        a.durationS,
         a.score,        a.passScore,  flag(a.passed),  flag(a.completed), flag(a.criticalError),
         a.recording,    digest,       a.source,        a.curriculum,      optionalFlag(a.benchmarkMet)});
    if (!id.ok()) return id.error();
    if (id.value().size() != 1) return makeError(ErrorCode::kIo, "history: the attempt was not stored");
    const int64_t attemptId = toInt(id.value()[0][0]);
    TROCAR_TRY(mDb->query("DELETE FROM metrics WHERE attempt_id = ?", {attemptId}));
    for (const AttemptMetric& m : a.metrics) {
      TROCAR_TRY(mDb->query(
          "INSERT INTO metrics (attempt_id, name, value, threshold, met) VALUES (?, ?, ?, ?, ?)",
          {attemptId, m.name, m.value, m.threshold ? Param{*m.threshold} : Param{}, optionalFlag(m.met)}));
    }
    return attemptId;
  }

  std::unique_ptr<Database> mDb;
  int mVersion = 0;
};

bool startsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

const AttemptMetric* Attempt::metric(const std::string& name) const {
  for (const AttemptMetric& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

std::string isoUtc(int64_t unixSeconds) {
  const auto t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

Attempt attemptFrom(const scoring::ScoreReport& r, const std::string& recording, const std::string& source,
                    const std::string& scoredAt, const std::string& curriculum) {
  Attempt a;
  a.trainee = r.run.traineeId.empty() ? "anonymous" : r.run.traineeId;
  a.scenario = r.scenarioId;
  a.scenarioTitle = r.scenarioTitle;
  a.contentHash = r.contentHash;
  a.scoringHash = r.scoringHash;
  a.recordedWith = r.run.recordedWith;
  a.scoredWith = r.scoredWith;
  a.startedAt = r.run.startedAtUnix > 0 ? isoUtc(r.run.startedAtUnix) : scoredAt;
  a.scoredAt = scoredAt;
  a.durationS = r.taskTimeS;
  a.score = r.score;
  a.passScore = r.passScore;
  a.passed = r.passed;
  a.completed =
      !r.steps.empty() && std::all_of(r.steps.begin(), r.steps.end(), [](const scoring::StepStatus& s) {
        return s.state == scoring::StepState::kDone || s.state == scoring::StepState::kDoneOutOfOrder;
      });
  a.criticalError = r.criticalError;
  if (!r.benchmark.empty()) a.benchmarkMet = r.benchmarkMet();
  a.recording = recording;
  a.recordingDigest = r.recordingDigest;
  a.source = source;
  a.curriculum = curriculum;
  for (const scoring::MetricValue& v : scoring::benchmarkMetrics(r)) {
    AttemptMetric m;
    m.name = v.name;
    m.value = v.value;
    for (const scoring::BenchmarkVerdict& b : r.benchmark) {
      if (b.name != v.name) continue;
      m.threshold = b.threshold;
      m.met = b.met;
    }
    a.metrics.push_back(std::move(m));
  }
  return a;
}

std::string History::defaultUrl() {
  if (const char* env = std::getenv("TROCAR_DB"); env && *env) return env;
  // An installation's shared history: the first line of <config>/history.url that is not a comment.
  if (auto text = readFileText(dataDirectories().config / "history.url"); text.ok()) {
    std::istringstream lines(text.value());
    for (std::string line; std::getline(lines, line);) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      const auto last = line.find_last_not_of(" \t\r");
      return line.substr(first, last - first + 1);
    }
  }
  return "sqlite:" + (dataDirectories().data / "history.sqlite").string();
}

Result<std::unique_ptr<History>> History::open(const std::string& given) {
  const std::string url = given.empty() ? defaultUrl() : given;
  Result<std::unique_ptr<Database>> db = makeError(ErrorCode::kInvalidInput, "no history");
  if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) {
    db = detail::openPostgres(url);
  } else if (startsWith(url, "postgresql:")) {
    db = detail::openPostgres(url.substr(11));  // postgresql:host=... dbname=...
  } else if (startsWith(url, "sqlite:")) {
    db = detail::openSqlite(url.substr(7));
  } else if (url.find("://") != std::string::npos || url.empty()) {
    return makeError(ErrorCode::kInvalidInput, "'" + url + "' is not a history database",
                     "give sqlite:PATH, a file path, or postgresql://user@host:port/db");
  } else {
    db = detail::openSqlite(url);
  }
  if (!db.ok()) return db.error();
  auto history = std::make_unique<DatabaseHistory>(std::move(db.value()));
  TROCAR_TRY(history->prepare());
  return std::unique_ptr<History>(std::move(history));
}

std::string schemaScript(int version, bool postgres) {
  if (version != 1) return {};
  return dialect(kSchemaV1, postgres);
}

}  // namespace trocar::programme
