#pragma once
// The score of a session and the reports written from it.
//
// Scorer listens to a Session (live or replay, identical ticks => identical report) and
// combines the checklist engine, per-instrument metrics and the scenario's formula.
// Reports (all written atomically):
//   JSON  schema "trocar.report/1", documented in sim/scoring/REPORT.md
//   JUnit one test case per checklist step and one for the pass mark
//   HTML  self-contained (no network): summary, step timeline, inline SVG plots of tool
//         speed and force over time

#include <trocar/core/Result.h>
#include <trocar/feedback/Feedback.h>
#include <trocar/scoring/Checklist.h>
#include <trocar/scoring/Metrics.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trocar::scoring {

// OSATS-style domains on 1..5 (5 best), from metrics that separate the reference experts
// from the novices (sim/scoring/REPORT.md). Thresholds: the "expert" value scores 5, the
// "novice" value 1, linear in between, clamped.
struct OsatsDomains {
  double respectForTissue = 0.0;    // tissue force against each tissue's threshold, damage, drops
  double timeAndMotion = 0.0;       // time and path per unit of progress, against the experts'
  double instrumentHandling = 0.0;  // smoothness (LDLJ) per movement segment
  double flow = 0.0;                // steps done in order, less hesitations and drops
};

// Who ran an attempt, when, and with which build (a recording's header says; Scorer::setRun).
struct RunInfo {
  std::string traineeId;      // pseudonymous; empty when none was given
  int64_t startedAtUnix = 0;  // 0: not known
  std::string recordedWith;   // the build that ran it
};

// One error rule's occurrences: how often, first and last time, and the penalty the formula
// took for them.
struct ErrorGroup {
  std::string id, title;
  uint32_t count = 0;
  double firstS = 0.0, lastS = 0.0;
  bool critical = false;
  double penalty = 0.0;
};

// One benchmark metric against a run: its value (none when the run did not measure it, which
// counts as not met), the threshold and whether it was met.
struct BenchmarkVerdict {
  std::string name;
  std::optional<double> value;
  double threshold = 0.0;
  scenario::Better better = scenario::Better::kLower;
  bool met = false;
};

struct ScoreReport {
  RunInfo run;
  std::string scoredWith;  // the build that scored it
  std::string scenarioId;
  std::string scenarioTitle;
  std::string contentHash;  // hex: what the run simulated (ScenarioDesc::contentHash)
  std::string scoringHash;  // hex: the rules it was scored by (ScenarioDesc::scoringHash)
  std::string recording;    // recording id or file; empty for a live run without recording
  // The recording file's digest ("blake2b-256:<hex>"), set by whoever writes the report beside
  // a finished recording (`trocar run`, `trocar replay`); `trocar verify` checks it.
  std::string recordingDigest;
  scenario::Formula formula = scenario::Formula::kChecklist;
  double taskTimeS = 0.0;
  double penalty = 0.0;
  double score = 0.0;
  double passScore = 0.0;
  bool criticalError = false;
  bool passed = false;
  std::vector<StepStatus> steps;
  // Each error as it happened. `penalty` is what the formula took for it: 0 where the formula
  // scores something else (fls with area_deviation_percent or pegs_dropped).
  std::vector<ErrorOccurrence> errors;
  std::vector<ErrorGroup> errorGroups;         // the same, by rule, in order of first occurrence
  std::array<MotionMetrics, 2> instruments{};  // left, right
  double bimanualRatio = 0.0;                  // left path / right path (0 if right is 0)
  std::optional<double> economyOfMotion;       // total path / the scenario's reference path, if it has one
  uint32_t damageEvents = 0;                   // tissue damage events (tear-outs included)
  // Stretches of 2 s or more in which no instrument tip moved 5 mm, before the checklist was
  // complete: how many, and their total length.
  uint32_t hesitations = 0;
  double hesitationS = 0.0;
  // Objects (pegs) where the scenario has any: placed in a zone, come to rest outside every
  // zone, and of those the ones lost (out of the laparoscope's view, or in an open view).
  struct ObjectCounts {
    uint32_t placed = 0, dropped = 0, lost = 0;
  };
  std::optional<ObjectCounts> objects;
  double bloodLossMl = 0.0;  // from cut vessels (physics::World::bloodLossMl)
  scenario::Penalty penaltyKind = scenario::Penalty::kErrors;  // what `penalty` measures
  // How the cuts followed each marked line (physics::World::markingCutAccuracy), in the
  // scenario's order; FLS pattern cutting asks for within 2 mm.
  struct CutAccuracy {
    std::string tissue, marking;  // ids
    uint32_t points = 0;
    double meanMm = 0.0, maxMm = 0.0, fractionCut = 0.0;
  };
  std::vector<CutAccuracy> cutAccuracy;
  OsatsDomains osats;
  bool hasTissues = false;  // the scenario has tissues (tissue force and damage are measured)
  // Against the scenario's benchmark, where it has one (Calibration.h); with
  // `benchmark_required`, `passed` needs every metric met.
  std::vector<BenchmarkVerdict> benchmark;
  std::string benchmarkFile;  // as the scenario names it; empty without a benchmark
  scenario::ThresholdPolicy benchmarkPolicy = scenario::ThresholdPolicy::kExpertMean;
  bool benchmarkRequired = false;
  bool benchmarkMet() const {
    return std::all_of(benchmark.begin(), benchmark.end(), [](const BenchmarkVerdict& v) { return v.met; });
  }
  std::string finalStateHash;  // hex
  // Plot series (sampled at 20 Hz): time, tip speed per hand, force per hand.
  std::vector<double> plotTime;
  std::array<std::vector<double>, 2> plotSpeed, plotForce;
  feedback::FeedbackSummary feedback;  // the cue stream the trainee was given (haptics, sounds)
};

class Scorer : public session::SessionListener {
 public:
  Scorer(const scenario::ScenarioDesc& scenario, const physics::World& world, std::string recording = {});
  ~Scorer() override;
  void onTick(const session::TickRecord& record) override;
  const ChecklistEngine& checklist() const;
  // Haptic and sound cues from the same ticks (deterministic, so replays reproduce them).
  const feedback::FeedbackMapper& feedback() const;
  // Who ran the attempt and when, for the report (default: nobody known).
  void setRun(const RunInfo& run);
  // The report after the last tick so far (callable repeatedly).
  ScoreReport report(const physics::World& world) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> mImpl;
};

// UTC to the second as reports write it: 2026-12-05T10:02:13Z.
std::string isoTime(int64_t unixSeconds);

std::string toJson(const ScoreReport& report);
std::string toJUnit(const ScoreReport& report);
std::string toHtml(const ScoreReport& report);

// Text made safe for XML and HTML, in elements and quoted attributes.
std::string xmlEscape(const std::string& s);

Result<void> writeReports(const ScoreReport& report, const std::filesystem::path& json,
                          const std::filesystem::path& junit, const std::filesystem::path& html);

}  // namespace trocar::scoring
