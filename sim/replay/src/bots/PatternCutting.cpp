// controller: pattern-cutting — the FLS pattern-cutting technique. The left grasper holds the
// gauze taut just outside the circle; the right scissors cut round the marked circle in
// snips, counter-clockwise from the far side. Before each snip the bot looks where the line
// is now (the gauze moves as it is cut) and puts the blades across it: jaws open, tip
// `depth_m` below the sheet with the blade plane along the line, jaws close slowly, open.
// Snips overlap, so each continues the last one's crack. Round the circle, the loose piece
// shifts under the blades and can leave narrow bridges: `cleanup_snips` more snips each find
// what still holds the piece (from the mesh as it is now) and cut across it.

#include "Controller.h"

#include <cmath>
#include <map>
#include <optional>

namespace trocar::replay::bots {
namespace {

using instruments::Hand;
constexpr double kPi = 3.14159265358979323846;

struct Setup {
  HandRig grasper, scissors;
  uint32_t tissue = 0;
  std::string tissueName;
  Pose clothPose;
  Vec2 centre{0.0f};
  float radius = 0.02f;
  int snips = 16;
  double snipS = 1.0, depth = 0.005, lift = 0.003, offset = 0.0001, wobble = 0.0, bite = 0.009;
  float bladeSpan = 0.01f;  // what the open blades take across: 2 * jaw length * sin(opening / 2)
  float yank = 0.0f;        // a rough start: the grasper jerks the gauze up this far, and back
};

struct State {
  Vec3 scissorsTip{0.0f};
  double crackAngle = kPi / 2.0;  // how far round the cut has come (rad, from the far side)
  Vec2 crackTip{0.0f};            // where it ends, in the cloth's coordinates
  size_t nodesSeen = 0;           // nodes that existed when the last snip was planned
};

Vec3 now(const session::Session& s, const Setup& setup, Vec2 clothXZ) {
  physics::WorldSnapshot snap;
  s.world().snapshot(snap);
  return clothPointNow(snap, setup.tissue, setup.clothPose, clothXZ);
}

// One snip with the tip at `tip`, the blades along `along`: over it (from wherever the
// scissors were), down, close slowly, open.
void snipAt(Script& script, double t, const Setup& setup, const Vec3& tip, const Vec3& along) {
  const HandRig& sc = setup.scissors;
  const double T = setup.snipS;
  script.add(t + 0.15 * T, Hand::kRight, sc, tip + Vec3(0.0f, 0.012f, 0.0f), 0.0f, along);
  script.add(t + 0.3 * T, Hand::kRight, sc, tip, 0.0f, along);
  script.add(t + 0.4 * T, Hand::kRight, sc, tip, 0.0f, along);
  script.add(t + 0.7 * T, Hand::kRight, sc, tip, 1.0f, along);
  script.add(t + 0.9 * T, Hand::kRight, sc, tip, 0.0f, along);
}

// Where the cut piece still hangs on to the sheet: walking the mesh as it is now from the
// circle's centre to the sheet well outside the line, the step nearest the cut's edges is
// the bridge. Returns the point (as it lies now) and the direction across the bridge, in
// the sheet; nothing when the piece is free.
struct Bridge {
  Vec3 at{0.0f};
  Vec3 across{0.0f};
};
std::optional<Bridge> findBridge(const physics::WorldSnapshot& snap, const Setup& setup) {
  const physics::TissueSnapshot& cloth = snap.tissues[setup.tissue];
  const size_t n = cloth.positions.size();
  const Pose toCloth = setup.clothPose.inverse();
  std::vector<Vec2> rest(n);
  std::vector<float> radius(n);
  for (size_t i = 0; i < n; ++i) {
    const Vec3 local = toCloth.transformPoint(cloth.restPositions[i]);
    rest[i] = Vec2(local.x, local.z);
    radius[i] = glm::length(rest[i] - setup.centre);
  }
  // Edges with how many faces share them: one face means an edge of a cut (or of the sheet).
  std::map<std::pair<uint32_t, uint32_t>, int> edges;
  for (size_t f = 0; f + 2 < cloth.indices.size(); f += 3) {
    for (int k = 0; k < 3; ++k) {
      uint32_t a = cloth.indices[f + k], b = cloth.indices[f + (k + 1) % 3];
      ++edges[{std::min(a, b), std::max(a, b)}];
    }
  }
  std::vector<std::vector<uint32_t>> next(n);
  std::vector<bool> cutEdge(n, false);
  const float band = 0.008f;
  for (const auto& [e, faces] : edges) {
    next[e.first].push_back(e.second);
    next[e.second].push_back(e.first);
    if (faces == 1) {
      for (uint32_t v : {e.first, e.second})
        cutEdge[v] = cutEdge[v] || std::abs(radius[v] - setup.radius) < band;
    }
  }
  uint32_t start = 0;
  for (uint32_t i = 1; i < n; ++i) {
    if (!next[i].empty() && (next[start].empty() || radius[i] < radius[start])) start = i;
  }
  std::vector<int64_t> from(n, -2);
  std::vector<uint32_t> queue{start};
  from[start] = -1;
  int64_t out = -1;
  for (size_t q = 0; q < queue.size() && out < 0; ++q) {
    for (uint32_t v : next[queue[q]]) {
      if (from[v] != -2) continue;
      from[v] = queue[q];
      if (radius[v] > setup.radius + 0.012f) {
        out = v;
        break;
      }
      queue.push_back(v);
    }
  }
  if (out < 0) return std::nullopt;
  std::vector<uint32_t> path;
  for (int64_t v = out; v >= 0; v = from[static_cast<size_t>(v)]) path.push_back(static_cast<uint32_t>(v));
  std::vector<bool> onPath(n, false);
  for (uint32_t v : path) onPath[v] = true;
  size_t best = 1;
  float bestGap = 1e9f;
  for (size_t k = 1; k + 1 < path.size(); ++k) {
    const uint32_t v = path[k];
    if (std::abs(radius[v] - setup.radius) > band) continue;
    float gap = 1e9f;
    for (uint32_t w = 0; w < n; ++w) {
      if (cutEdge[w] && !onPath[w]) gap = std::min(gap, glm::length(rest[w] - rest[v]));
    }
    if (gap < bestGap) {
      bestGap = gap;
      best = k;
    }
  }
  const uint32_t v = path[best];
  const Vec3 along = cloth.positions[path[best - 1]] - cloth.positions[path[best + 1]];
  Vec3 across = glm::cross(cloth.normals[v], along);
  if (glm::length(across) < 1e-9f) return std::nullopt;
  return Bridge{cloth.positions[v], glm::normalize(across)};
}

}  // namespace

Result<std::unique_ptr<Bot>> makePatternCutting(Params& p, const scenario::ScenarioDesc& desc) {
  auto setup = std::make_shared<Setup>();
  auto grasper = handRig(desc, Hand::kLeft, instruments::InstrumentKind::kGrasper, "pattern-cutting");
  if (!grasper.ok()) return grasper.error();
  auto scissors = handRig(desc, Hand::kRight, instruments::InstrumentKind::kScissors, "pattern-cutting");
  if (!scissors.ok()) return scissors.error();
  setup->grasper = grasper.value();
  setup->scissors = scissors.value();

  auto tissueName = p.text("tissue", "");
  if (!tissueName.ok()) return tissueName.error();
  auto markingName = p.text("marking", "");
  if (!markingName.ok()) return markingName.error();
  const scenario::TissueDesc* tissue = nullptr;
  const scenario::MarkingDesc* marking = nullptr;
  for (uint32_t i = 0; i < desc.tissues.size() && !marking; ++i) {
    const auto& t = desc.tissues[i];
    if (t.settings.kind != physics::TissueKind::kCloth) continue;
    if (!tissueName.value().empty() && t.settings.name != tissueName.value()) continue;
    for (const auto& m : t.markings) {
      if (!m.circle || m.center3d) continue;
      if (markingName.value().empty() || m.id == markingName.value()) {
        tissue = &t;
        marking = &m;
        setup->tissue = i;
        break;
      }
    }
  }
  if (!marking) {
    return makeError(ErrorCode::kInvalidInput,
                     "pattern-cutting: scenario '" + desc.id + "' has no cloth with a marked circle" +
                         (tissueName.value().empty() ? "" : " on '" + tissueName.value() + "'"),
                     "the bot cuts a cloth's `markings` circle; check tissue: and marking:");
  }
  setup->tissueName = tissue->settings.name;
  setup->clothPose = tissue->settings.cloth.pose;
  setup->centre = marking->center;
  setup->radius = marking->radius;

  setup->bladeSpan =
      2.0f * setup->scissors.spec.jawLength * std::sin(0.5f * setup->scissors.spec.maxJawAngle);
  auto bite = p.number("bite_m", static_cast<double>(setup->bladeSpan) - 0.002, 0.002,
                       static_cast<double>(setup->bladeSpan) - 0.001);
  if (!bite.ok()) return bite.error();
  setup->bite = bite.value();
  // Enough snips to go round and close the loop, unless given.
  const double around = 2.0 * kPi * static_cast<double>(marking->radius) / setup->bite;
  auto snips = p.number("snips", std::ceil(around) + 2.0, 4, 400);
  auto snipS = p.number("snip_seconds", 1.0, 0.2, 30.0);
  auto depth = p.number("depth_m", 0.005, 0.001, 0.012);
  auto lift = p.number("lift_m", 0.003, 0.0, 0.02);
  auto offset = p.number("offset_m", 0.0001, -0.01, 0.01);
  auto wobble = p.number("wobble_m", 0.0, 0.0, 0.01);
  auto yank = p.number("yank_m", 0.0, 0.0, 0.08);
  auto cleanupSnips = p.number("cleanup_snips", 6, 0, 40);
  if (!cleanupSnips.ok()) return cleanupSnips.error();
  const int cleanups = static_cast<int>(cleanupSnips.value());
  for (const Result<double>* r : {&snips, &snipS, &depth, &lift, &offset, &wobble})
    if (!r->ok()) return r->error();
  if (!yank.ok()) return yank.error();
  setup->snips = static_cast<int>(snips.value());
  setup->snipS = snipS.value();
  setup->depth = depth.value();
  setup->lift = lift.value();
  setup->offset = offset.value();
  setup->wobble = wobble.value();
  setup->yank = static_cast<float>(yank.value());

  auto state = std::make_shared<State>();
  // The grasper holds the gauze 15 mm outside the circle, on the grasper's side: the sheet
  // stays taut while the scissors go round, and the shafts never cross.
  const Vec2 hold = setup->centre + Vec2(-(setup->radius + 0.015f), 0.0f);
  std::vector<Step> steps;

  auto grasp = [setup](Vec2 at) {
    return [setup, at](const session::Session& s, Script& script, double t) {
      const Vec3 point = now(s, *setup, at) - Vec3(0.0f, 0.001f, 0.0f);
      const Vec3 lifted = point + Vec3(0.0f, static_cast<float>(setup->lift), 0.0f);
      const HandRig& g = setup->grasper;
      // Over the point, down onto it, close, lift (from wherever the hand was: 0.3 s to get there).
      script.add(t + 0.3, Hand::kLeft, g, point + Vec3(0.0f, 0.015f, 0.0f), 0.0f);
      script.add(t + 0.6, Hand::kLeft, g, point, 0.0f);
      script.add(t + 0.9, Hand::kLeft, g, point, 1.0f);
      if (setup->yank > 0.0f) {  // yanks the gauze up and sideways, then settles back
        script.add(t + 1.2, Hand::kLeft, g, point + Vec3(-0.6f * setup->yank, setup->yank, 0.0f), 1.0f);
        script.add(t + 2.0, Hand::kLeft, g, lifted, 1.0f);
      } else {
        script.add(t + 1.3, Hand::kLeft, g, lifted, 1.0f);
      }
    };
  };
  // One snip continues the crack from its tip: the blades lie along the line from the tip
  // to the point `bite` further round, reaching 1 mm back over the tip so they meet it.
  auto snip = [setup, state](int i) {
    return [setup, state, i](const session::Session& s, Script& script, double t) {
      // The crack tip, in the gauze's own coordinates (it moves as it is cut): of the nodes
      // the last snip made, the one furthest round.
      physics::WorldSnapshot snap;
      s.world().snapshot(snap);
      const physics::TissueSnapshot& cloth = snap.tissues[setup->tissue];
      const Pose toCloth = setup->clothPose.inverse();
      for (size_t n = state->nodesSeen; n < cloth.restPositions.size(); ++n) {
        const Vec3 local = toCloth.transformPoint(cloth.restPositions[n]);
        const Vec2 d = Vec2(local.x, local.z) - setup->centre;
        if (std::abs(static_cast<double>(glm::length(d)) - static_cast<double>(setup->radius)) > 0.005)
          continue;
        double a = std::atan2(static_cast<double>(d.y), static_cast<double>(d.x));
        a = state->crackAngle + std::remainder(a - state->crackAngle, 2.0 * kPi);
        if (a > state->crackAngle &&
            a < state->crackAngle + 2.0 * setup->bite / static_cast<double>(setup->radius)) {
          state->crackAngle = a;
          state->crackTip = setup->centre + d;
        }
      }
      state->nodesSeen = cloth.restPositions.size();
      if (state->crackAngle >= kPi / 2.0 + 2.0 * kPi + 0.05) return;  // round: the piece is out
      const double r = static_cast<double>(setup->radius) + setup->offset + setup->wobble * std::sin(3.7 * i);
      auto onLine = [&](double a) {
        return setup->centre + Vec2(static_cast<float>(r * std::cos(a)), static_cast<float>(r * std::sin(a)));
      };
      auto where = [&](Vec2 clothXZ) {
        return clothPointNow(snap, setup->tissue, setup->clothPose, clothXZ);
      };
      const Vec3 from = where(i == 0 ? onLine(state->crackAngle) : state->crackTip);
      const Vec3 to = where(onLine(state->crackAngle + setup->bite / r));
      if (glm::length(to - from) < 1e-4f) return;  // the line is not where it should be: skip
      const Vec3 along = glm::normalize(to - from);
      const float back = 0.001f;
      const Vec3 mid = from + along * (0.5f * setup->bladeSpan - back);
      const Vec3 shaft =
          glm::normalize(setup->scissors.port ? setup->scissors.port->position - mid : Vec3(0, 1, 0));
      // The blades cross the sheet at `mid`; the tip is `depth` below it along the shaft.
      const Vec3 tip =
          mid - shaft * static_cast<float>(setup->depth / static_cast<double>(std::max(0.2f, shaft.y)));
      snipAt(script, t, *setup, tip, along);
      state->scissorsTip = tip;
    };
  };

  // At rest: both tips 2 cm above the gauze, the grasper over where it will hold, the
  // scissors over the first snip.
  steps.push_back({0.0, [setup, state, hold](const session::Session& s, Script& script, double t) {
                     state->nodesSeen = s.world().nodeCount(physics::TissueId{setup->tissue});
                     const double a = kPi / 2.0;
                     const double r = static_cast<double>(setup->radius);
                     const Vec2 first = setup->centre + Vec2(static_cast<float>(r * std::cos(a)),
                                                             static_cast<float>(r * std::sin(a)));
                     const Vec3 up(0.0f, 0.02f, 0.0f);
                     script.add(t, Hand::kLeft, setup->grasper, now(s, *setup, hold) + up, 0.0f);
                     script.add(t, Hand::kRight, setup->scissors, now(s, *setup, first) + up, 0.0f);
                   }});
  double t = 0.4;
  steps.push_back({t, grasp(hold)});
  t += setup->yank > 0.0f ? 2.1 : 1.4;
  for (int i = 0; i < setup->snips; ++i) {
    steps.push_back({t, snip(i)});
    t += setup->snipS;
  }
  // Look for what still holds the piece and snip it.
  for (int i = 0; i < cleanups; ++i) {
    steps.push_back(
        {t, [setup, state](const session::Session& s, Script& script, double start) {
           physics::WorldSnapshot snap;
           s.world().snapshot(snap);
           const auto bridge = findBridge(snap, *setup);
           if (!bridge) return;
           const Vec3 mid = bridge->at;
           const Vec3 shaft =
               glm::normalize(setup->scissors.port ? setup->scissors.port->position - mid : Vec3(0, 1, 0));
           const Vec3 tip =
               mid - shaft * static_cast<float>(setup->depth / static_cast<double>(std::max(0.2f, shaft.y)));
           snipAt(script, start, *setup, tip, bridge->across);
           state->scissorsTip = tip;
         }});
    t += setup->snipS;
  }
  // Withdraw the scissors.
  steps.push_back({t, [setup, state](const session::Session&, Script& script, double start) {
                     script.add(start + 0.5, Hand::kRight, setup->scissors,
                                state->scissorsTip + Vec3(0.0f, 0.03f, 0.0f), 0.0f);
                   }});
  return std::unique_ptr<Bot>(std::make_unique<StepBot>(std::move(steps), t + 0.5));
}

}  // namespace trocar::replay::bots
