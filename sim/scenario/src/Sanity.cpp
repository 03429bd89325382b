#include <trocar/scenario/Sanity.h>

#include <trocar/physics/Generators.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace trocar::scenario {
namespace {

std::string mm(double metres) {
  char text[32];
  if (metres >= 1.0)
    std::snprintf(text, sizeof(text), "%.2f m", metres);
  else
    std::snprintf(text, sizeof(text), "%.1f mm", metres * 1000.0);
  return text;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", v);
  return text;
}

// Mean distance from a node to its nearest neighbour (every node when there are up to 2000,
// else 2000 spread evenly), at rest.
float spacing(const physics::World& world, physics::TissueId id) {
  const size_t n = world.nodeCount(id);
  if (n < 2) return 0.0f;
  const size_t step = std::max<size_t>(1, n / 2000);
  double sum = 0.0;
  size_t counted = 0;
  for (size_t i = 0; i < n; i += step) {
    const Vec3 p = world.nodePosition(id, static_cast<uint32_t>(i));
    float best = 1e30f;
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const Vec3 d = world.nodePosition(id, static_cast<uint32_t>(j)) - p;
      best = std::min(best, glm::dot(d, d));
    }
    sum += std::sqrt(static_cast<double>(best));
    ++counted;
  }
  return static_cast<float>(sum / static_cast<double>(counted));
}

}  // namespace

Sanity checkSanity(const ScenarioDesc& s) {
  Sanity out;
  auto warn = [&](const SourceLocation& where, std::string what, std::string hint) {
    out.warnings.push_back(makeError(ErrorCode::kInvalidInput, std::move(what), where, std::move(hint)));
  };
  auto built = buildSession(s);
  if (built.ok()) {
    const physics::World& world = built.value()->world();
    for (const TissueDesc& t : s.tissues) {
      auto id = world.findTissue(t.settings.name);
      if (!id) continue;
      TissueExplain e;
      e.id = t.settings.name;
      e.nodes = world.nodeCount(*id);
      e.massKg = t.settings.material.massKg;
      e.lo = Vec3(1e30f);
      e.hi = Vec3(-1e30f);
      for (uint32_t i = 0; i < e.nodes; ++i) {
        const Vec3 p = world.nodePosition(*id, i);
        e.lo = glm::min(e.lo, p);
        e.hi = glm::max(e.hi, p);
        if (world.nodeMass(*id, i) <= 0.0f) ++e.pinned;
      }
      e.spacingM = spacing(world, *id);
      const Vec3 size = e.hi - e.lo;
      const float across = std::max({size.x, size.y, size.z});
      if (across > 1.0f) {
        warn(t.where,
             "tissue '" + e.id + "' is " + mm(static_cast<double>(across)) +
                 " across: no operating table holds it",
             "lengths are metres: was it written in centimetres or millimetres? (a liver is about 0.2 m)");
      } else if (across < 0.001f) {
        warn(
            t.where,
            "tissue '" + e.id + "' is " + mm(static_cast<double>(across)) + " across: smaller than any organ",
            "lengths are metres: 5 mm is 0.005");
      }
      if (e.pinned == 0) {
        warn(t.where, "tissue '" + e.id + "' is pinned nowhere: it falls away unless something holds it",
             "add fixed: where it is attached (e.g. fixed: border, or a box); ignore if an object holds it");
      }
      if (e.massKg > 3.0f) {
        warn(t.where,
             "tissue '" + e.id + "' weighs " + number(static_cast<double>(e.massKg)) +
                 " kg: more than any organ in the field",
             "mass_kg is kilograms (an adult liver is about 1.5 kg): 5 g is 0.005");
      }
      if (t.settings.material.damageForceN > 50.0f || t.settings.material.tearForceN > 100.0f) {
        warn(t.where,
             "tissue '" + e.id + "' is damaged at " +
                 number(static_cast<double>(t.settings.material.damageForceN)) + " N and torn at " +
                 number(static_cast<double>(t.settings.material.tearForceN)) +
                 " N: far above what tissue stands",
             "tissue is damaged at a few newtons (0.5-20 N) and grasps tear out at up to about 50 N");
      }
      // Its lowest drawn point at rest against the table top: tissue built inside the table
      // is pushed out at once, which can make it unstable (a liver 4 cm into it did).
      float lowest = e.lo.y;  // a sheet's nodes are what it draws
      if (t.settings.kind != physics::TissueKind::kCloth) {
        lowest = 1e30f;
        for (const Vec3& p : physics::restSurface(t.settings).vertices) lowest = std::min(lowest, p.y);
      }
      const float into = s.tableHeight - lowest;
      if (into > 0.005f) {
        warn(t.where,
             "tissue '" + e.id + "' starts " + mm(static_cast<double>(into)) +
                 " into the table (its lowest point at y = " + number(static_cast<double>(lowest)) +
                 " m, the table's top at " + number(static_cast<double>(s.tableHeight)) +
                 " m): the table pushes it out at once",
             "raise the tissue, or lower table_height (in the abdomen the table is the posterior wall under "
             "the field)");
      }
      out.tissues.push_back(e);
    }
    for (const RegionDesc& r : s.regions) {
      auto id = world.findTissue(r.tissue);
      auto index = id ? world.findRegion(*id, r.id) : std::nullopt;
      if (!index) continue;
      RegionExplain e;
      e.id = r.id;
      e.tissue = r.tissue;
      const auto nodes = world.regionNodes(*id, *index);
      e.nodes = nodes.size();
      e.lo = Vec3(1e30f);
      e.hi = Vec3(-1e30f);
      for (uint32_t n : nodes) {
        e.lo = glm::min(e.lo, world.nodePosition(*id, n));
        e.hi = glm::max(e.hi, world.nodePosition(*id, n));
      }
      if (e.nodes == 1) {
        float pitch = 0.0f;
        for (const auto& t : out.tissues)
          if (t.id == r.tissue) pitch = t.spacingM;
        warn(r.where,
             "region '" + r.id + "' selects a single node of '" + r.tissue +
                 "': it is smaller than the node spacing (" + mm(static_cast<double>(pitch)) + ")",
             "make it at least as large as the spacing, or give the tissue finer cells");
      }
      out.regions.push_back(e);
    }
  }
  for (const ObjectDesc& o : s.objects) {
    const float across =
        2.0f * std::max({o.settings.halfExtents.x, o.settings.halfExtents.y, o.settings.halfExtents.z});
    if (across > 1.0f) {
      warn(o.where, "object '" + o.settings.name + "' is " + mm(static_cast<double>(across)) + " across",
           "lengths are metres: was it written in centimetres or millimetres?");
    }
    if (o.settings.massKg > 2.0f) {
      warn(
          o.where,
          "object '" + o.settings.name + "' weighs " + number(static_cast<double>(o.settings.massKg)) + " kg",
          "mass_kg is kilograms: a 2 g peg is 0.002");
    }
  }
  // What the scenario's instruments can do, over both hands' trays.
  bool clips = false, cuts = false, grasps = false;
  for (const auto& [hand, setup] : s.instruments) {
    std::vector<instruments::InstrumentKind> tray{setup.kind};
    tray.insert(tray.end(), setup.exchange.begin(), setup.exchange.end());
    for (auto kind : tray) {
      clips = clips || kind == instruments::InstrumentKind::kClipApplier;
      cuts = cuts || kind == instruments::InstrumentKind::kScissors ||
             kind == instruments::InstrumentKind::kScalpel;
      grasps = grasps || kind == instruments::InstrumentKind::kGrasper;
    }
  }
  auto checkCondition = [&](const Expr& e, const SourceLocation& where, const std::string& what) {
    bool needClip = false, needCut = false, needGrasp = false;
    visitExpression(e, [&](const Expr& x) {
      if (x.kind != Expr::Kind::kCall) return;
      needClip = needClip || x.function == Function::kClips;
      needCut = needCut || x.function == Function::kCut;
      needGrasp = needGrasp || x.function == Function::kGrasped;
    });
    auto say = [&](const char* action, const char* tool) {
      warn(where, what + " needs " + action + ", and no hand of the scenario has " + tool,
           std::string("give a hand the ") + tool + " (instruments: {right: {kind: ..., exchange: [...]}})");
    };
    if (needClip && !clips) say("a clip", "clip_applier");
    if (needCut && !cuts) say("a cut", "scissors or scalpel");
    if (needGrasp && !grasps) say("a grasp", "grasper");
  };
  for (const ChecklistStep& step : s.checklist)
    checkCondition(step.doneWhen, step.where, "step '" + step.id + "'");
  for (const ErrorRule& rule : s.errors)
    checkCondition(rule.when, rule.where, "error rule '" + rule.id + "'");
  // The pass mark against the most the formula gives.
  double most = 100.0;
  if (s.scoring.formula == Formula::kFls) {
    most = s.scoring.cutoffS;
    if (s.scoring.referenceScore) most = 100.0 * most / *s.scoring.referenceScore;
  }
  if (s.scoring.passScore > most) {
    warn(s.scoring.passScoreWhere,
         "pass_score " + number(s.scoring.passScore) + " cannot be reached: the " +
             toString(s.scoring.formula) + " formula scores at most " + number(most),
         s.scoring.formula == Formula::kChecklist
             ? "the checklist formula scores 0-100 (% of step weight done)"
             : "fls scores cutoff_s - time - penalty (x 100 / reference_score)");
  }
  std::stable_sort(out.warnings.begin(), out.warnings.end(), [](const Error& a, const Error& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
  return out;
}

}  // namespace trocar::scenario
