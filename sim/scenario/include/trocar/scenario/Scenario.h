#pragma once
// Scenario files (YAML, schema version 1; the format is documented in scenarios/FORMAT.md)
// turned into a validated ScenarioDesc, and a ScenarioDesc turned into a running Session.
//
// Loading never stops at the first problem: every error in a file is collected, each with
// file:line:column, what is wrong and what to do. Whatever bytes the file holds (empty,
// binary, huge, deeply nested) loading returns errors, never crashes.

#include <trocar/core/Hash.h>
#include <trocar/core/Result.h>
#include <trocar/feedback/Feedback.h>
#include <trocar/physics/Types.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/scenario/Expression.h>
#include <trocar/session/Session.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trocar::scenario {

constexpr int kSchemaVersion = 1;

enum class ViewKind : uint8_t { kOpen, kLaparoscopic };

struct HandSetup {
  instruments::InstrumentKind kind = instruments::InstrumentKind::kGrasper;
  std::string port;  // port id; empty in open surgery
  // Instruments the hand can exchange `kind` for, in order (the hand's tray is kind, then
  // these: HandInput::instrument indexes it).
  std::vector<instruments::InstrumentKind> exchange;
};

// A marking drawn on a tissue (the pattern-cutting circle, an incision line): its geometry is
// physics::TissueSettings::markings[index]. For a circle on cloth, `center` is in metres from
// the cloth's centre in its own X-Z plane.
struct MarkingDesc {
  std::string id;
  uint32_t index = 0;
  bool circle = false;
  bool center3d = false;  // a circle on a tissue other than cloth: `center` is unused
  Vec2 center{0.0f};
  float radius = 0.0f;
};

// How a tissue looks (render only; never affects the simulation or its hash).
enum class TissueLook : uint8_t { kTissue, kFabric };
struct AppearanceDesc {
  TissueLook look = TissueLook::kTissue;
  Vec3 color{0.78f, 0.36f, 0.33f};  // sRGB [0, 1]
  float wetness = 0.6f;             // 0 dry .. 1 glistening
};

// A detailed render surface embedded in a tet mesh (`tetmesh: {surface: F.obj, embed:
// F.embed}`, as `trocar import volume` writes them): each vertex follows four nodes. It is
// the tissue's contact surface too (physics::TissueSettings::embedded).
using physics::EmbeddedSurface;

struct TissueDesc {
  physics::TissueSettings settings;  // name = the tissue id
  SourceLocation where;              // the tissue's entry in the file
  std::vector<MarkingDesc> markings;
  AppearanceDesc appearance;  // default by kind: cloth = white dry fabric, others = wet tissue
};

struct RegionDesc {
  std::string id;
  std::string tissue;
  physics::NodeSelector selector;
  SourceLocation where;
};

struct ObjectDesc {
  physics::RigidSettings settings;  // name = the object id
  SourceLocation where;
};

struct ChecklistStep {
  std::string id;
  std::string title;
  std::string prompt;  // shown to the trainee while the step is next
  Expr doneWhen;
  std::string doneWhenText;
  std::vector<std::string> after;  // steps that must be done first
  std::optional<double> timeLimitS;
  double weight = 1.0;
  SourceLocation where;
};

struct ErrorRule {
  std::string id;
  std::string title;
  Expr when;
  std::string whenText;
  double penalty = 0.0;
  bool critical = false;
  SourceLocation where;
};

struct OsatsThresholds {
  // Each domain scores 5 at the expert value and 1 at the novice value, linear between
  // (sim/scoring/REPORT.md says how each domain is made).
  // 95th percentile of force on a touched tissue over that tissue's damage_force_n.
  double expertTissueForceRatio = 0.5, noviceTissueForceRatio = 1.0;
  // Time (and path) per unit of checklist progress over the benchmark experts' (or the
  // scenario's reference_path_m).
  double expertTaskRatio = 1.0, noviceTaskRatio = 3.0;
  // Movement segments' log dimensionless jerk.
  double expertLdlj = -10.0, noviceLdlj = -14.0;
};

// How a run is scored (`scoring.formula`): weighted checklist steps less error penalties, or
// the FLS formula (cutoff - time - penalty).
enum class Formula : uint8_t { kChecklist, kFls };
// The FLS formula's penalty (`scoring.penalty`): the sum of error-rule penalties, the pattern
// cut's area deviation (100 |A_cut - A_circle| / A_circle for the first marked circle), or the
// pegs lost out of the laparoscope's view (outside every zone in an open view) x penalty_per_item.
enum class Penalty : uint8_t { kErrors, kAreaDeviationPercent, kPegsDropped };
const char* toString(Formula formula);  // "checklist", "fls": as scenarios and reports write them
const char* toString(Penalty penalty);  // "errors", "area_deviation_percent", "pegs_dropped"

struct ScoringDesc {
  Formula formula = Formula::kChecklist;
  double cutoffS = 300.0;  // fls: time budget
  Penalty penalty = Penalty::kErrors;
  // Whether error rules' penalties count: always under the checklist formula; under FLS only
  // with Penalty::kErrors (else the formula's own measure is the penalty).
  bool errorPenaltiesApply() const { return formula == Formula::kChecklist || penalty == Penalty::kErrors; }
  double penaltyPerItem = 10.0;
  double passScore = 0.0;
  SourceLocation passScoreWhere;         // its place in the file (sanity warnings)
  std::optional<double> referenceScore;  // normalise against this when set
  std::optional<double> referencePathM;  // economy of motion = path length / this
  std::optional<double> forceLimitN;     // default: the lowest tissue damage_force_n
  OsatsThresholds osats;
  // How good is good (`scoring.benchmark`, a file `trocar calibrate` writes), and whether a
  // run passes only when it meets every metric of it (`benchmark_required`: no compensation).
  std::optional<Benchmark> benchmark;
  bool benchmarkRequired = false;
};

struct ScenarioDesc {
  std::filesystem::path file;
  // What determines the simulation: the document read as YAML without its checklist, errors,
  // scoring, feedback, title, description, author and version, plus every file it references.
  // A recording replays only against the same (replay::checkScenario).
  Hash64 contentHash = 0;
  Hash64 scoringHash = 0;  // checklist, errors, scoring and feedback: other ones re-score a recording
  Hash64 fileHash = 0;     // the file's bytes and every file it references (format-1 recordings)
  std::string id, title, description, author, version;
  uint32_t tickHz = 500;
  double timeLimitS = 600.0;
  ViewKind view = ViewKind::kOpen;
  std::optional<physics::WorldSettings::Camera> camera;
  std::vector<instruments::Port> ports;
  std::map<instruments::Hand, HandSetup> instruments;
  std::vector<TissueDesc> tissues;
  std::vector<RegionDesc> regions;
  std::vector<ObjectDesc> objects;
  std::vector<physics::TargetZoneSettings> zones;
  std::vector<ChecklistStep> checklist;
  std::vector<ErrorRule> errors;
  ScoringDesc scoring;
  feedback::FeedbackSettings feedback;  // the `feedback:` section, defaults where silent
  Pose head{{0.0f, 1.7f, 0.3f}, Quat(1, 0, 0, 0)};
  float tableHeight = 0.9f;
};

struct LoadResult {
  std::optional<ScenarioDesc> scenario;  // set when there are no errors
  std::vector<Error> errors;             // every error found, in file order
  bool ok() const { return errors.empty() && scenario.has_value(); }
};

// Reads and validates a scenario file, including building its world once (so a region that
// selects no node or a tetrahedron that is inverted is reported at its place in the file).
struct LoadOptions {
  // false: leave out `scoring.benchmark` (trocar calibrate, which makes it, need not find it)
  bool readBenchmark = true;
};
LoadResult loadScenarioFile(const std::filesystem::path& file, const LoadOptions& options = {});
// The same from text; `file` names it in errors and anchors relative paths.
LoadResult loadScenarioText(std::string_view text, const std::filesystem::path& file,
                            const LoadOptions& options = {});

// Builds the session a scenario describes: world settings, tissues, regions, objects,
// zones and instruments. Fails only on geometry errors (which validation already reports).
Result<std::unique_ptr<session::Session>> buildSession(const ScenarioDesc& scenario);

// The table everything stands on (top at `table_height`, 1.2 x 0.8 m, centred under the
// field at z = -0.45 m): in the physics and drawn, the same box.
physics::WorldSettings::Table tableBox(const ScenarioDesc& scenario);

}  // namespace trocar::scenario
