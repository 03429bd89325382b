#pragma once
// The history of attempts: every scored run (and, when asked, every replay) as a row of a
// database, so a trainee's progress over attempts can be followed (`trocar history`,
// `trocar progress`). Two back ends with one schema:
//   sqlite:PATH or a plain PATH   an embedded SQLite file (the default:
//                                 <data>/history.sqlite, DataDirectories)
//   postgresql://... postgres://... a PostgreSQL server shared by a programme (libpq URI or
//                                 key=value connection string after the scheme)
//
// An attempt is keyed by its recording's digest: scoring the same recording again (a replay,
// a re-score under new rules, a cluster job run twice) updates its row rather than adding one,
// so each recording counts once. Attempt numbers are not stored: they are the attempt's rank
// by start time among the trainee's attempts at the scenario, worked out when read, so rows
// that arrive out of order (cluster jobs) still number right.
//
// Trainee ids are the pseudonymous ids of the recordings; the history holds no names.
// Schema versions and their migrations: History.cpp (kSchemaVersion).

#include <trocar/core/Result.h>
#include <trocar/scoring/Report.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trocar::programme {

// The schema this build writes; older files and servers are migrated when opened.
constexpr int kSchemaVersion = 2;

struct AttemptMetric {
  std::string name;  // a benchmark metric (scenario::benchmarkMetricTable)
  double value = 0.0;
  // Against the scenario's benchmark, where it had one.
  std::optional<double> threshold;
  std::optional<bool> met;
};

struct Attempt {
  int64_t id = 0;        // the database's; 0 before it is stored
  uint32_t number = 0;   // 1, 2, ... per trainee and scenario, by start time (when read)
  std::string trainee;   // pseudonymous
  std::string scenario;  // id
  std::string scenarioTitle;
  std::string contentHash;   // the simulation it ran (the scenario's version)
  std::string scoringHash;   // the rules it was scored by
  std::string recordedWith;  // build
  std::string scoredWith;    // build
  std::string startedAt;     // UTC, ISO 8601 ("2026-12-06T00:18:40Z"); the recording's
  std::string scoredAt;      // UTC, ISO 8601
  double durationS = 0.0;    // task time
  double score = 0.0, passScore = 0.0;
  bool passed = false;
  bool completed = false;  // every checklist step done
  bool criticalError = false;
  std::optional<bool> benchmarkMet;  // every benchmark metric met; none without a benchmark
  std::string recording;             // path as given
  std::string recordingDigest;       // "blake2b-256:<hex>"; empty when the run was not recorded
  std::string source;                // "run" or "replay"
  std::string curriculum;            // id, when the attempt was started from one
  std::vector<AttemptMetric> metrics;
  const AttemptMetric* metric(const std::string& name) const;
};

// The attempt a score report describes. `scoredAt` is the caller's clock (sim/ reads none).
Attempt attemptFrom(const scoring::ScoreReport& report, const std::string& recording,
                    const std::string& source, const std::string& scoredAt,
                    const std::string& curriculum = {});

// UTC ISO 8601 of a Unix time ("1970-01-01T00:00:00Z").
std::string isoUtc(int64_t unixSeconds);

struct AttemptFilter {
  std::string trainee, scenario;  // empty: any
  bool inTimeOrder = false;       // all by start time, rather than by trainee, scenario and start time
};

class History {
 public:
  virtual ~History() = default;
  // Opens (creating or migrating as needed) the history at `url` (see above); "" opens defaultUrl().
  static Result<std::unique_ptr<History>> open(const std::string& url);
  // The default: $TROCAR_DB, else the URL in <config>/history.url (~/.config/trocar/history.url:
  // an installation's shared server), else sqlite:<data>/history.sqlite.
  static std::string defaultUrl();

  // Stores an attempt, or updates the one with the same recording digest; returns its id.
  virtual Result<int64_t> record(const Attempt& attempt) = 0;
  // Attempts in order of trainee, scenario and start time (or of start time), numbered.
  virtual Result<std::vector<Attempt>> attempts(const AttemptFilter& filter = {}) = 0;
  virtual int schemaVersion() const = 0;
  virtual std::string describe() const = 0;  // "sqlite /path" or "postgresql host/db", no password
};

// The database layout of an earlier schema version, as it was created then: for migration tests.
std::string schemaScript(int version, bool postgres);

}  // namespace trocar::programme
