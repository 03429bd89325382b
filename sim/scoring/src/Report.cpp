#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Version.h>
#include <trocar/scoring/Calibration.h>
#include <trocar/scoring/Formula.h>
#include <trocar/scoring/Report.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace trocar::scoring {

using physics::EventKind;

struct Scorer::Impl {
  scenario::ScoringDesc scoring;
  std::vector<scenario::RegionDesc> regions;
  uint32_t damageEvents = 0;
  uint32_t dropsOutside = 0;
  uint32_t placed = 0, dropped = 0;
  std::string id, title, contentHash, scoringHash, recording;
  bool hasObjects = false;
  RunInfo run;
  std::vector<double> weights;
  ChecklistEngine engine;
  std::array<MotionRecorder, 2> motion;
  std::array<bool, 2> outOfView{};
  std::array<bool, 2> present{};
  double now = 0.0;
  double dt;
  Tick plotEvery;
  std::array<Vec3, 2> lastPlotTip{};
  std::vector<double> plotTime;
  std::array<std::vector<double>, 2> plotSpeed, plotForce;
  feedback::FeedbackMapper feedback;
  std::vector<float> damageForceN;  // per tissue
  // Hesitations: stretches of at least kHesitationS in which no instrument tip moved
  // kHesitationM from where the stretch began, before the checklist was complete.
  static constexpr double kHesitationS = 2.0;
  static constexpr float kHesitationM = 0.005f;
  std::array<Vec3, 2> stillFrom{};
  double stillSince = 0.0;
  bool stillCounts = false;  // the checklist was incomplete when the stretch began
  uint32_t hesitations = 0;
  double hesitationS = 0.0;

  static std::vector<float> damageForces(const scenario::ScenarioDesc& s) {
    std::vector<float> out;
    for (const auto& t : s.tissues) out.push_back(t.settings.material.damageForceN);
    return out;
  }

  Impl(const scenario::ScenarioDesc& s, const physics::World& w, std::string rec)
      : scoring(s.scoring),
        regions(s.regions),
        id(s.id),
        title(s.title),
        contentHash(hashToHex(s.contentHash)),
        scoringHash(hashToHex(s.scoringHash)),
        recording(std::move(rec)),
        engine(s, w),
        motion{MotionRecorder(settingsFor(s)), MotionRecorder(settingsFor(s))},
        dt(1.0 / s.tickHz),
        plotEvery(std::max<Tick>(1, s.tickHz / 20)),
        feedback(s.feedback, damageForces(s), s.tickHz),
        damageForceN(damageForces(s)) {
    for (const auto& step : s.checklist) weights.push_back(step.weight);
    hasObjects = !s.objects.empty();
  }

  void closeStillStretch();  // counts the stretch that ends now, if it was a hesitation

  static MetricSettings settingsFor(const scenario::ScenarioDesc& s) {
    MetricSettings m;
    m.dt = 1.0 / s.tickHz;
    // The force limit: the scenario's, else the most delicate tissue's damage threshold.
    if (s.scoring.forceLimitN) {
      m.forceLimitN = *s.scoring.forceLimitN;
    } else if (!s.tissues.empty()) {
      double lowest = 1e9;
      for (const auto& t : s.tissues)
        lowest = std::min(lowest, static_cast<double>(t.settings.material.damageForceN));
      m.forceLimitN = lowest;
    }
    return m;
  }
};

Scorer::Scorer(const scenario::ScenarioDesc& scenario, const physics::World& world, std::string recording)
    : mImpl(std::make_unique<Impl>(scenario, world, std::move(recording))) {}
Scorer::~Scorer() = default;
const ChecklistEngine& Scorer::checklist() const {
  return mImpl->engine;
}
const feedback::FeedbackMapper& Scorer::feedback() const {
  return mImpl->feedback;
}

void Scorer::setRun(const RunInfo& run) {
  mImpl->run = run;
}

void Scorer::onTick(const session::TickRecord& r) {
  Impl& s = *mImpl;
  auto doneCount = [&] {
    uint32_t n = 0;
    for (const StepStatus& st : s.engine.steps())
      n += (st.state == StepState::kDone || st.state == StepState::kDoneOutOfOrder) ? 1u : 0u;
    return n;
  };
  const uint32_t doneBefore = doneCount();
  const bool failedBefore = s.engine.failed();
  s.engine.onTick(r);
  s.feedback.onTick(*r.world, r.events, r.tick, doneCount() - doneBefore, s.engine.failed() && !failedBefore);
  s.now = r.world->clock().secondsAt(r.tick);
  for (const auto& e : r.events) {
    if (e.kind == EventKind::kDamage) ++s.damageEvents;
    if (e.kind == EventKind::kDropped && !e.zone.valid() && e.value > 0.5f) ++s.dropsOutside;
    if (e.kind == EventKind::kDropped && !e.zone.valid()) ++s.dropped;
    if (e.kind == EventKind::kPlaced) ++s.placed;
    if (!e.hand) continue;
    if (e.kind == EventKind::kOutOfViewBegin) s.outOfView[static_cast<size_t>(*e.hand)] = true;
    if (e.kind == EventKind::kOutOfViewEnd) s.outOfView[static_cast<size_t>(*e.hand)] = false;
  }
  const bool plot = r.tick % s.plotEvery == 0;
  if (plot) s.plotTime.push_back(s.now);
  bool moved = false;
  for (size_t h = 0; h < 2; ++h) {
    const physics::InstrumentState& st = r.world->instrument(static_cast<physics::Hand>(h));
    s.present[h] = st.present;
    if (!st.present) continue;
    float force = glm::length(st.couplingForce);
    float ratio = -1.0f;
    if (st.touchedTissue.valid() && st.touchedTissue.index < s.damageForceN.size() &&
        s.damageForceN[st.touchedTissue.index] > 0.0f)
      ratio = force / s.damageForceN[st.touchedTissue.index];
    s.motion[h].add({st.tipPose.position, force, st.inContact, s.outOfView[h], ratio});
    moved = moved || glm::length(st.tipPose.position - s.stillFrom[h]) > Impl::kHesitationM;
    if (plot) {
      double speed = s.plotSpeed[h].empty()
                         ? 0.0
                         : static_cast<double>(glm::length(st.tipPose.position - s.lastPlotTip[h])) /
                               (static_cast<double>(s.plotEvery) * s.dt);
      s.plotSpeed[h].push_back(speed);
      s.plotForce[h].push_back(static_cast<double>(force));
      s.lastPlotTip[h] = st.tipPose.position;
    }
  }
  if (moved) {
    s.closeStillStretch();
    for (size_t h = 0; h < 2; ++h)
      s.stillFrom[h] = r.world->instrument(static_cast<physics::Hand>(h)).tipPose.position;
    s.stillSince = s.now;
    s.stillCounts = !s.engine.complete();
  }
}

void Scorer::Impl::closeStillStretch() {
  if (stillCounts && now - stillSince >= kHesitationS) {
    ++hesitations;
    hesitationS += now - stillSince;
  }
  stillCounts = false;
}

namespace {

// 5 at `expert`, 1 at `novice`, linear between, clamped (either direction of "better").
double scale(double value, double expert, double novice) {
  double t = (value - expert) / (novice - expert);
  return std::clamp(5.0 - 4.0 * t, 1.0, 5.0);
}

// OSATS-style domains from the run's metrics (how, and why these metrics: REPORT.md).
OsatsDomains domains(const scenario::ScoringDesc& scoring, const std::vector<double>& weights,
                     const ScoreReport& r) {
  const scenario::OsatsThresholds& th = scoring.osats;
  OsatsDomains d;
  // Progress: the checklist weight done, and the part of it done in order.
  double total = 0.0, done = 0.0, inOrder = 0.0;
  for (size_t i = 0; i < r.steps.size(); ++i) {
    total += weights[i];
    if (r.steps[i].state == StepState::kDone) inOrder += weights[i];
    if (r.steps[i].state == StepState::kDone || r.steps[i].state == StepState::kDoneOutOfOrder)
      done += weights[i];
  }
  const double progress = total > 0.0 ? done / total : 0.0;
  const MotionMetrics& left = r.instruments[0];
  const MotionMetrics& right = r.instruments[1];
  // Respect for tissue: force on each tissue against its own damage threshold, less for each
  // damage event and each object dropped outside its zones.
  const double ratio = std::max(left.tissueForceRatioP95, right.tissueForceRatioP95);
  const double tissueContact = left.tissueContactS + right.tissueContactS;
  double respect =
      tissueContact > 0.0 ? scale(ratio, th.expertTissueForceRatio, th.noviceTissueForceRatio) : 5.0;
  respect -= 0.5 * static_cast<double>(r.damageEvents) + 0.5 * (r.objects ? r.objects->dropped : 0u);
  d.respectForTissue = std::clamp(respect, 1.0, 5.0);
  // Time and motion: time and tool-tip path per unit of progress, over the experts' (the
  // benchmark's means; the path also from reference_path_m). Nothing done scores 1.
  const scenario::Benchmark* benchmark = scoring.benchmark ? &*scoring.benchmark : nullptr;
  const scenario::MetricBenchmark* refTime = benchmark ? benchmark->find("task_time_s") : nullptr;
  const scenario::MetricBenchmark* refPath = benchmark ? benchmark->find("path_length_m") : nullptr;
  const std::optional<double> pathM =
      refPath && refPath->mean > 0.0 ? std::optional<double>(refPath->mean) : scoring.referencePathM;
  std::vector<double> parts;
  if (progress > 0.0 && refTime && refTime->mean > 0.0)
    parts.push_back(scale(r.taskTimeS / progress / refTime->mean, th.expertTaskRatio, th.noviceTaskRatio));
  if (progress > 0.0 && pathM && *pathM > 0.0) {
    parts.push_back(scale((left.pathLengthM + right.pathLengthM) / progress / *pathM, th.expertTaskRatio,
                          th.noviceTaskRatio));
  }
  if (progress <= 0.0) {
    d.timeAndMotion = 1.0;
  } else if (!parts.empty()) {
    d.timeAndMotion = std::accumulate(parts.begin(), parts.end(), 0.0) / static_cast<double>(parts.size());
  } else {
    // No reference to measure against: the share of the run without hesitation, scaled by progress.
    const double still = r.taskTimeS > 0.0 ? std::min(1.0, r.hesitationS / r.taskTimeS) : 1.0;
    d.timeAndMotion = 1.0 + 4.0 * progress * (1.0 - still);
  }
  // Instrument handling: smoothness of each movement segment (both tools, weighted by time).
  const double segmentTime = left.segmentTimeS + right.segmentTimeS;
  d.instrumentHandling =
      segmentTime > 0.0
          ? scale(
                (left.segmentLdlj * left.segmentTimeS + right.segmentLdlj * right.segmentTimeS) / segmentTime,
                th.expertLdlj, th.noviceLdlj)
          : 1.0;
  // Flow: the share of the checklist done in order, less half a point per interruption (a
  // hesitation, or an object dropped that has to be gone back for).
  const double interruptions = r.hesitations + (r.objects ? r.objects->dropped : 0u);
  d.flow = std::clamp(1.0 + 4.0 * (total > 0.0 ? inOrder / total : 0.0) - 0.5 * interruptions, 1.0, 5.0);
  return d;
}

}  // namespace

ScoreReport Scorer::report(const physics::World& world) const {
  const Impl& s = *mImpl;
  ScoreReport r;
  r.feedback = s.feedback.summary();
  r.run = s.run;
  r.scoredWith = buildId();
  r.scenarioId = s.id;
  r.scenarioTitle = s.title;
  r.contentHash = s.contentHash;
  r.scoringHash = s.scoringHash;
  r.recording = s.recording;
  r.formula = s.scoring.formula;
  r.passScore = s.scoring.passScore;
  r.steps = s.engine.steps();
  r.errors = s.engine.errors();
  r.criticalError = s.engine.failed();
  const bool complete = s.engine.complete();
  double lastDone = 0.0;
  for (const auto& st : r.steps) lastDone = std::max(lastDone, st.doneAtS.value_or(0.0));
  r.taskTimeS = complete ? lastDone : s.now;
  r.penaltyKind = s.scoring.penalty;
  r.bloodLossMl = world.bloodLossMl();
  for (uint32_t t = 0; t < world.tissueCount(); ++t) {
    const physics::TissueId id{t};
    const auto markings = world.markings(id);
    for (uint32_t m = 0; m < markings.size(); ++m) {
      const auto a = world.markingCutAccuracy(id, m);
      r.cutAccuracy.push_back(
          {std::string(world.tissueName(id)), markings[m].name, a.points, a.meanMm, a.maxMm, a.fractionCut});
    }
  }
  using scenario::Formula;
  using scenario::Penalty;
  const bool fls = r.formula == Formula::kFls;
  if (fls && r.penaltyKind == Penalty::kAreaDeviationPercent) {
    // 100 |A_cut - A_circle| / A_circle for the first marked circle: A_cut is the rest area
    // of the piece holding the circle's nodes; an uncut gauze deviates 100%.
    r.penalty = 100.0;
    for (const auto& region : s.regions) {
      if (region.selector.kind != physics::NodeSelector::Kind::kMarkingCircle) continue;
      auto tissue = world.findTissue(region.tissue);
      auto index = tissue ? world.findRegion(*tissue, region.id) : std::nullopt;
      if (!index) break;
      double radius = static_cast<double>(region.selector.radius);
      double circle = 3.14159265358979323846 * radius * radius;
      if (world.pieceCount(*tissue) > 1) {
        r.penalty = std::min(100.0, 100.0 * std::abs(world.pieceRestArea(*tissue, *index) - circle) / circle);
      }
      break;
    }
  } else if (fls && r.penaltyKind == Penalty::kPegsDropped) {
    r.penalty = s.scoring.penaltyPerItem * s.dropsOutside;
  } else {
    for (const auto& e : r.errors) r.penalty += e.penalty;
  }
  const bool errorPenaltiesApply = s.scoring.errorPenaltiesApply();
  for (auto& e : r.errors) {
    if (!errorPenaltiesApply) e.penalty = 0.0;  // the formula scores something else
    auto group = std::find_if(r.errorGroups.begin(), r.errorGroups.end(),
                              [&](const ErrorGroup& g) { return g.id == e.id; });
    if (group == r.errorGroups.end()) {
      r.errorGroups.push_back({e.id, e.title, 0, e.timeS, e.timeS, false, 0.0});
      group = r.errorGroups.end() - 1;
    }
    ++group->count;
    group->lastS = e.timeS;
    group->critical = group->critical || e.critical;
    group->penalty += e.penalty;
  }
  if (fls) {
    r.score =
        complete ? flsScore({r.taskTimeS, s.scoring.cutoffS, r.penalty, s.scoring.referenceScore}) : 0.0;
  } else {
    ChecklistInputs in;
    for (size_t i = 0; i < r.steps.size(); ++i) {
      in.totalWeight += s.weights[i];
      if (r.steps[i].state == StepState::kDone || r.steps[i].state == StepState::kDoneOutOfOrder)
        in.doneWeight += s.weights[i];
    }
    in.penalties = r.penalty;
    r.score = checklistScore(in);
  }
  r.passed = !r.criticalError && r.score >= r.passScore;
  for (size_t h = 0; h < 2; ++h) r.instruments[h] = s.motion[h].compute();
  if (r.instruments[1].pathLengthM > 0.0)
    r.bimanualRatio = r.instruments[0].pathLengthM / r.instruments[1].pathLengthM;
  if (s.scoring.referencePathM) {
    r.economyOfMotion =
        (r.instruments[0].pathLengthM + r.instruments[1].pathLengthM) / *s.scoring.referencePathM;
  }
  r.damageEvents = s.damageEvents;
  r.hesitations = s.hesitations;
  r.hesitationS = s.hesitationS;
  if (s.stillCounts && s.now - s.stillSince >= Impl::kHesitationS) {  // the stretch still open
    ++r.hesitations;
    r.hesitationS += s.now - s.stillSince;
  }
  if (s.hasObjects) r.objects = ScoreReport::ObjectCounts{s.placed, s.dropped, s.dropsOutside};
  r.hasTissues = world.tissueCount() > 0;
  r.osats = domains(s.scoring, s.weights, r);
  if (s.scoring.benchmark) {
    r.benchmark = judge(*s.scoring.benchmark, r);
    r.benchmarkFile = s.scoring.benchmark->file.filename().string();
    r.benchmarkPolicy = s.scoring.benchmark->policy;
    r.benchmarkRequired = s.scoring.benchmarkRequired;
    if (r.benchmarkRequired && !r.benchmarkMet()) r.passed = false;
  }
  r.finalStateHash = hashToHex(world.stateHash());
  r.plotTime = s.plotTime;
  r.plotSpeed = s.plotSpeed;
  r.plotForce = s.plotForce;
  return r;
}

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

nlohmann::json metricsJson(const MotionMetrics& m) {
  return {{"duration_s", m.durationS},
          {"path_length_m", m.pathLengthM},
          {"mean_speed_m_s", m.meanSpeed},
          {"peak_speed_m_s", m.peakSpeed},
          {"mean_acceleration_m_s2", m.meanAcceleration},
          {"peak_acceleration_m_s2", m.peakAcceleration},
          {"movements", m.movements},
          {"idle_time_s", m.idleTimeS},
          {"log_dimensionless_jerk", m.logDimensionlessJerk},
          {"segments", m.segments},
          {"segment_ldlj", m.segmentLdlj},
          {"tissue_contact_s", m.tissueContactS},
          {"peak_tissue_force_ratio", m.peakTissueForceRatio},
          {"tissue_force_ratio_p95", m.tissueForceRatioP95},
          {"mean_force_n", m.meanForceN},
          {"peak_force_n", m.peakForceN},
          {"time_above_force_limit_s", m.timeAboveForceLimitS},
          {"out_of_view_s", m.outOfViewS}};
}

std::string fmt(double v, int decimals = 2) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", decimals, v);
  return b;
}

// An SVG line chart of up to two series against time.
std::string svgPlot(const std::string& title, const std::string& unit, const std::vector<double>& t,
                    const std::array<std::vector<double>, 2>& series) {
  const double w = 640, h = 180, left = 48, bottom = 24, top = 20;
  double tMax = t.empty() ? 1.0 : std::max(t.back(), 1e-6);
  double yMax = 1e-9;
  for (const auto& s : series) {
    for (double v : s) yMax = std::max(yMax, v);
  }
  std::ostringstream svg;
  svg << "<svg width=\"" << w << "\" height=\"" << h << "\" role=\"img\" aria-label=\"" << xmlEscape(title)
      << "\">";
  svg << "<text x=\"" << left << "\" y=\"14\" font-size=\"13\">" << xmlEscape(title) << " (" << unit
      << ", peak " << fmt(yMax) << ")</text>";
  svg << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w << "\" y2=\"" << h - bottom
      << "\" stroke=\"#888\"/>";
  svg << "<text x=\"" << w - 40 << "\" y=\"" << h - 6 << "\" font-size=\"11\">" << fmt(tMax, 1)
      << " s</text>";
  const char* colours[2] = {"#1f77b4", "#d62728"};
  for (size_t k = 0; k < 2; ++k) {
    if (series[k].empty()) continue;
    svg << "<polyline fill=\"none\" stroke=\"" << colours[k] << "\" stroke-width=\"1.5\" points=\"";
    for (size_t i = 0; i < series[k].size() && i < t.size(); ++i) {
      double x = left + (w - left - 8) * t[i] / tMax;
      double y = (h - bottom) - (h - bottom - top) * series[k][i] / yMax;
      svg << fmt(x, 1) << "," << fmt(y, 1) << " ";
    }
    svg << "\"/>";
  }
  svg << "<text x=\"" << left << "\" y=\"" << h - 6 << "\" font-size=\"11\" fill=\"" << colours[0]
      << "\">left</text><text x=\"" << left + 40 << "\" y=\"" << h - 6 << "\" font-size=\"11\" fill=\""
      << colours[1] << "\">right</text></svg>";
  return svg.str();
}

}  // namespace

nlohmann::json feedbackJson(const feedback::FeedbackSummary& f) {
  nlohmann::json sounds = nlohmann::json::object();
  for (const auto& [name, count] : f.soundCues) sounds[name] = count;
  auto hands = [](const auto& v) { return nlohmann::json{{"left", v[0]}, {"right", v[1]}}; };
  return {{"haptic_pulses", hands(f.hapticPulses)},
          {"vibration_seconds", hands(f.vibrationSeconds)},
          {"peak_amplitude", hands(f.peakAmplitude)},
          {"excessive_force_seconds", hands(f.excessiveForceSeconds)},
          {"sound_cues", sounds}};
}

std::string isoTime(int64_t unixSeconds) {
  const std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string toJson(const ScoreReport& r) {
  nlohmann::json cutAccuracy = nlohmann::json::array();
  for (const auto& a : r.cutAccuracy) {
    cutAccuracy.push_back({{"tissue", a.tissue},
                           {"marking", a.marking},
                           {"points", a.points},
                           {"mean_mm", a.meanMm},
                           {"max_mm", a.maxMm},
                           {"fraction_cut", a.fractionCut}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : r.steps) {
    nlohmann::json j{{"id", s.id}, {"title", s.title}, {"state", toString(s.state)}};
    j["active_since_s"] = s.activeSinceS ? nlohmann::json(*s.activeSinceS) : nlohmann::json(nullptr);
    j["done_at_s"] = s.doneAtS ? nlohmann::json(*s.doneAtS) : nlohmann::json(nullptr);
    j["failed_at_s"] = s.failedAtS ? nlohmann::json(*s.failedAtS) : nlohmann::json(nullptr);
    steps.push_back(j);
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : r.errors) {
    errors.push_back({{"id", e.id},
                      {"title", e.title},
                      {"tick", e.tick},
                      {"time_s", e.timeS},
                      {"penalty", e.penalty},
                      {"critical", e.critical},
                      {"cause", e.cause}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : r.errorGroups) {
    groups.push_back({{"id", g.id},
                      {"title", g.title},
                      {"count", g.count},
                      {"first_s", g.firstS},
                      {"last_s", g.lastS},
                      {"critical", g.critical},
                      {"penalty", g.penalty}});
  }
  nlohmann::json metrics{{"left", metricsJson(r.instruments[0])}, {"right", metricsJson(r.instruments[1])},
                         {"bimanual_ratio", r.bimanualRatio},     {"damage_events", r.damageEvents},
                         {"blood_loss_ml", r.bloodLossMl},        {"cut_accuracy", cutAccuracy}};
  if (r.economyOfMotion) metrics["economy_of_motion"] = *r.economyOfMotion;
  metrics["hesitations"] = r.hesitations;
  metrics["hesitation_s"] = r.hesitationS;
  if (r.objects) {
    metrics["objects"] = {
        {"placed", r.objects->placed}, {"dropped", r.objects->dropped}, {"lost", r.objects->lost}};
  }
  nlohmann::json formula{{"name", scenario::toString(r.formula)},
                         {"task_time_s", r.taskTimeS},
                         {"penalty", r.penalty},
                         {"penalty_kind", scenario::toString(r.penaltyKind)}};
  // The formula's own accuracy measure, by its name (it is also the penalty).
  const bool fls = r.formula == scenario::Formula::kFls;
  if (fls && r.penaltyKind == scenario::Penalty::kAreaDeviationPercent)
    formula["area_deviation_percent"] = r.penalty;
  if (fls && r.penaltyKind == scenario::Penalty::kPegsDropped && r.objects)
    formula["pegs_lost"] = r.objects->lost;
  nlohmann::json j{
      {"schema", "trocar.report/1"},
      {"run",
       {{"trainee", r.run.traineeId.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.run.traineeId)},
        {"started_at",
         r.run.startedAtUnix > 0 ? nlohmann::json(isoTime(r.run.startedAtUnix)) : nlohmann::json(nullptr)},
        {"recorded_with", r.run.recordedWith},
        {"scored_with", r.scoredWith}}},
      {"scenario",
       {{"id", r.scenarioId},
        {"title", r.scenarioTitle},
        {"content_hash", r.contentHash},
        {"scoring_hash", r.scoringHash}}},
      {"recording", r.recording},
      {"recording_digest",
       r.recordingDigest.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.recordingDigest)},
      {"formula", formula},
      {"passed", r.passed},
      {"score", r.score},
      {"pass_score", r.passScore},
      {"critical_error", r.criticalError},
      {"steps", steps},
      {"errors", errors},
      {"error_groups", groups},
      {"metrics", metrics},
      {"osats",
       {{"respect_for_tissue", r.osats.respectForTissue},
        {"time_and_motion", r.osats.timeAndMotion},
        {"instrument_handling", r.osats.instrumentHandling},
        {"flow", r.osats.flow}}},
      {"feedback", feedbackJson(r.feedback)},
      {"final_state_hash", r.finalStateHash}};
  if (!r.benchmarkFile.empty()) {
    nlohmann::json metricsAgainst = nlohmann::json::array();
    for (const BenchmarkVerdict& v : r.benchmark) {
      metricsAgainst.push_back({{"name", v.name},
                                {"value", v.value ? nlohmann::json(*v.value) : nlohmann::json(nullptr)},
                                {"threshold", v.threshold},
                                {"better", scenario::toString(v.better)},
                                {"met", v.met}});
    }
    j["benchmark"] = {{"file", r.benchmarkFile},
                      {"policy", scenario::toString(r.benchmarkPolicy)},
                      {"required", r.benchmarkRequired},
                      {"all_met", r.benchmarkMet()},
                      {"metrics", metricsAgainst}};
  }
  return j.dump(2) + "\n";
}

std::string toJUnit(const ScoreReport& r) {
  int failures = 0;
  std::ostringstream cases;
  for (const auto& s : r.steps) {
    cases << "  <testcase classname=\"" << xmlEscape(r.scenarioId) << "\" name=\"" << xmlEscape(s.title)
          << "\"";
    if (s.doneAtS) cases << " time=\"" << fmt(*s.doneAtS, 3) << "\"";
    cases << ">";
    if (s.state != StepState::kDone) {
      ++failures;
      std::string why = s.state == StepState::kDoneOutOfOrder ? "done out of order"
                        : s.state == StepState::kFailed       ? "ran over its time limit"
                                                              : "not done";
      cases << "<failure message=\"" << xmlEscape(s.title + ": " + why) << "\"/>";
    }
    cases << "</testcase>\n";
  }
  cases << "  <testcase classname=\"" << xmlEscape(r.scenarioId) << "\" name=\"pass mark\">";
  if (!r.passed) {
    ++failures;
    std::string why = r.criticalError
                          ? "a critical error failed the attempt"
                          : "scored " + fmt(r.score) + ", below the pass mark of " + fmt(r.passScore);
    cases << "<failure message=\"" << xmlEscape(why) << "\"/>";
  }
  cases << "</testcase>\n";
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"" << xmlEscape(r.scenarioId)
      << "\" tests=\"" << r.steps.size() + 1 << "\" failures=\"" << failures << "\">\n"
      << cases.str() << "</testsuite>\n";
  return out.str();
}

std::string toHtml(const ScoreReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << xmlEscape(r.scenarioTitle)
    << " - Trocar report</title><style>body{font-family:sans-serif;margin:24px;max-width:720px}"
       ".pass{color:#2a7d2a}.fail{color:#b22}td,th{padding:2px 10px;text-align:left}</style></head><body>";
  h << "<h1>" << xmlEscape(r.scenarioTitle) << "</h1>";
  h << "<p><small>trainee "
    << (r.run.traineeId.empty() ? std::string("not given") : xmlEscape(r.run.traineeId))
    << (r.run.startedAtUnix > 0 ? ", started " + isoTime(r.run.startedAtUnix) : std::string())
    << (r.run.recordedWith.empty() ? std::string() : ", run with build " + xmlEscape(r.run.recordedWith))
    << ", scored with build " << xmlEscape(r.scoredWith) << "</small></p>";
  h << "<p class=\"" << (r.passed ? "pass" : "fail") << "\"><strong>" << (r.passed ? "Passed" : "Not passed")
    << "</strong>: score " << fmt(r.score) << " (pass mark " << fmt(r.passScore) << ", "
    << scenario::toString(r.formula) << "), task time " << fmt(r.taskTimeS, 1) << " s"
    << (r.criticalError ? ", critical error" : "") << "</p>";
  if (r.formula == scenario::Formula::kFls && r.penaltyKind == scenario::Penalty::kAreaDeviationPercent) {
    h << "<p>Accuracy: the piece cut out differs in area from the marked circle by " << fmt(r.penalty, 1)
      << "&nbsp;% (the FLS penalty; 100&nbsp;% when nothing was cut out)</p>";
  }
  if (r.objects) {
    h << "<p>Objects: " << r.objects->placed << " placed, " << r.objects->dropped << " dropped, "
      << r.objects->lost << " lost"
      << (r.penaltyKind == scenario::Penalty::kPegsDropped ? " (the FLS penalty counts the lost)" : "")
      << "</p>";
  }
  h << "<h2>Steps</h2><table><tr><th>step</th><th>state</th><th>done at</th></tr>";
  for (const auto& s : r.steps) {
    h << "<tr><td>" << xmlEscape(s.title) << "</td><td>" << toString(s.state) << "</td><td>"
      << (s.doneAtS ? fmt(*s.doneAtS, 1) + " s" : "") << "</td></tr>";
  }
  h << "</table>";
  // Step timeline: per step its whole title, then a bar from activation to completion; under
  // them a time axis (steps of 1, 2 or 5 times a power of ten, about six of them) with each
  // error as a red mark.
  const double end = std::max({r.taskTimeS, r.plotTime.empty() ? 1.0 : r.plotTime.back(), 1e-3});
  constexpr double kLeft = 10.0, kWidth = 610.0;
  auto xAt = [&](double t) { return kLeft + kWidth * std::clamp(t / end, 0.0, 1.0); };
  const size_t axisY = 34 * r.steps.size() + 8;
  h << "<svg width=\"640\" height=\"" << axisY + 34 << "\" role=\"img\" aria-label=\"step timeline\">";
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const auto& s = r.steps[i];
    double from = s.activeSinceS.value_or(0.0), to = s.doneAtS.value_or(s.failedAtS.value_or(end));
    const char* colour = s.state == StepState::kDone             ? "#2a7d2a"
                         : s.state == StepState::kDoneOutOfOrder ? "#c80"
                                                                 : "#b22";
    h << "<text x=\"" << kLeft << "\" y=\"" << 34 * i + 12 << "\" font-size=\"12\">" << xmlEscape(s.title)
      << "</text>";
    h << "<rect x=\"" << fmt(xAt(from), 1) << "\" y=\"" << 34 * i + 16 << "\" width=\""
      << fmt(std::max(2.0, xAt(to) - xAt(from)), 1) << "\" height=\"12\" fill=\"" << colour << "\"/>";
  }
  const double decade = std::pow(10.0, std::floor(std::log10(end / 6.0)));
  double step = decade;
  for (double m : {2.0, 5.0, 10.0}) {
    if (end / step <= 7.0) break;
    step = decade * m;
  }
  h << "<line x1=\"" << kLeft << "\" y1=\"" << axisY << "\" x2=\"" << kLeft + kWidth << "\" y2=\"" << axisY
    << "\" stroke=\"#555\"/>";
  for (int k = 0; k * step <= end + 1e-9; ++k) {
    const double t = k * step;
    h << "<line x1=\"" << fmt(xAt(t), 1) << "\" y1=\"" << axisY << "\" x2=\"" << fmt(xAt(t), 1) << "\" y2=\""
      << axisY + 5 << "\" stroke=\"#555\"/><text x=\"" << fmt(xAt(t), 1) << "\" y=\"" << axisY + 18
      << "\" font-size=\"11\" text-anchor=\"middle\">" << fmt(t, step < 1.0 ? 1 : 0) << " s</text>";
  }
  for (const auto& e : r.errors) {
    h << "<line x1=\"" << fmt(xAt(e.timeS), 1) << "\" y1=\"" << axisY - 8 << "\" x2=\""
      << fmt(xAt(e.timeS), 1) << "\" y2=\"" << axisY << "\" stroke=\"#b22\" stroke-width=\"2\"><title>"
      << xmlEscape(e.title) << ", " << fmt(e.timeS, 1) << " s</title></line>";
  }
  h << "</svg>";
  if (!r.errorGroups.empty()) {  // by rule: how often, when first and last, what it cost
    h << "<h2>Errors</h2><ul>";
    for (const auto& g : r.errorGroups) {
      h << "<li>" << xmlEscape(g.title) << (g.critical ? " (critical)" : "");
      if (g.count > 1) {
        h << " &times;" << g.count << ", " << fmt(g.firstS, 1) << "&ndash;" << fmt(g.lastS, 1) << " s";
      } else {
        h << ", " << fmt(g.firstS, 1) << " s";
      }
      h << (g.penalty > 0 ? ": &minus;" + fmt(g.penalty, 1) : "") << "</li>";
    }
    h << "</ul>";
  }
  h << "<h2>Motion</h2>" << svgPlot("Tool tip speed", "m/s", r.plotTime, r.plotSpeed)
    << svgPlot("Interaction force", "N", r.plotTime, r.plotForce);
  h << "<table><tr><th></th><th>left</th><th>right</th></tr>";
  auto row = [&](const char* name, double a, double b, int d) {
    h << "<tr><td>" << name << "</td><td>" << fmt(a, d) << "</td><td>" << fmt(b, d) << "</td></tr>";
  };
  row("path length (m)", r.instruments[0].pathLengthM, r.instruments[1].pathLengthM, 3);
  row("movements", r.instruments[0].movements, r.instruments[1].movements, 0);
  row("idle time (s)", r.instruments[0].idleTimeS, r.instruments[1].idleTimeS, 1);
  row("peak force (N)", r.instruments[0].peakForceN, r.instruments[1].peakForceN, 2);
  row("smoothness per movement (LDLJ)", r.instruments[0].segmentLdlj, r.instruments[1].segmentLdlj, 1);
  if (r.hasTissues) {
    row("tissue force / its limit (95th pct)", r.instruments[0].tissueForceRatioP95,
        r.instruments[1].tissueForceRatioP95, 2);
  }
  h << "</table>";
  if (!r.cutAccuracy.empty()) {
    h << "<h2>Cut accuracy</h2><table><tr><th>marked line</th><th>cut</th><th>mean distance</th>"
         "<th>largest</th></tr>";
    for (const auto& a : r.cutAccuracy) {
      h << "<tr><td>" << xmlEscape(a.marking) << " on " << xmlEscape(a.tissue) << "</td><td>"
        << fmt(100.0 * a.fractionCut, 0) << "%</td><td>"
        << (a.points > 0 ? fmt(a.meanMm, 1) + " mm" : std::string("-")) << "</td><td>"
        << (a.points > 0 ? fmt(a.maxMm, 1) + " mm" : std::string("-")) << "</td></tr>";
    }
    h << "</table><p>How far the cut lies from each marked line, measured on the tissue at rest where the "
         "cut crossed its surface (approach cuts over 1 cm away left out). FLS pattern cutting: within "
         "2 mm.</p>";
  }
  if (r.bloodLossMl > 0.0) {
    h << "<h2>Bleeding</h2><p>" << fmt(r.bloodLossMl, 1)
      << " ml of blood lost from vessels cut where no clip closed them.</p>";
  }
  if (!r.benchmarkFile.empty()) {
    size_t met = 0;
    for (const BenchmarkVerdict& v : r.benchmark) met += v.met ? 1 : 0;
    h << "<h2>Against the expert benchmark</h2><p>" << met << " of " << r.benchmark.size() << " metrics met ("
      << scenario::toString(r.benchmarkPolicy) << " thresholds from " << xmlEscape(r.benchmarkFile) << ")"
      << (r.benchmarkRequired ? "; passing needs every one met" : "")
      << "</p><table><tr><th>metric</th><th>this run</th><th>threshold</th><th></th></tr>";
    for (const BenchmarkVerdict& v : r.benchmark) {
      const scenario::MetricInfo* info = scenario::metricInfo(v.name);
      const std::string unit = info && *info->unit ? std::string("&nbsp;") + info->unit : std::string();
      h << "<tr><td title=\"" << xmlEscape(info ? info->meaning : "") << "\">"
        << xmlEscape(info ? info->label : v.name) << "</td><td>"
        << (v.value ? fmt(*v.value, 2) + unit : std::string("not measured")) << "</td><td>"
        << (v.better == scenario::Better::kLower ? "&le; " : "&ge; ") << fmt(v.threshold, 2) << unit
        << "</td><td class=\"" << (v.met ? "pass\">met" : "fail\">not met") << "</td></tr>";
    }
    h << "</table>";
  }
  h << "<h2>OSATS-style domains (1-5)</h2><table>";
  h << "<tr><td>respect for tissue</td><td>" << fmt(r.osats.respectForTissue, 1) << "</td></tr>"
    << "<tr><td>time and motion</td><td>" << fmt(r.osats.timeAndMotion, 1) << "</td></tr>"
    << "<tr><td>instrument handling</td><td>" << fmt(r.osats.instrumentHandling, 1) << "</td></tr>"
    << "<tr><td>flow</td><td>" << fmt(r.osats.flow, 1) << "</td></tr></table>";
  h << "<p><small>scenario " << xmlEscape(r.scenarioId) << " (simulation " << r.contentHash << ", scoring "
    << r.scoringHash << "), final state " << r.finalStateHash << "</small></p></body></html>\n";
  return h.str();
}

Result<void> writeReports(const ScoreReport& report, const std::filesystem::path& json,
                          const std::filesystem::path& junit, const std::filesystem::path& html) {
  if (!json.empty()) TROCAR_TRY(writeFileAtomic(json, toJson(report)));
  if (!junit.empty()) TROCAR_TRY(writeFileAtomic(junit, toJUnit(report)));
  if (!html.empty()) TROCAR_TRY(writeFileAtomic(html, toHtml(report)));
  return success();
}

}  // namespace trocar::scoring
