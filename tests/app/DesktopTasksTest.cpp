// A person at the desktop does the other reference tasks with mouse and keyboard events only
// (DesktopPerson.h): the driver aims at what is drawn (the marked line on the gauze where the
// gauze is now, the tool as drawn) and the rig's own mapping makes the hands. FLS peg transfer
// is in DesktopControlsTest.
#include "DesktopPerson.h"

#include <trocar/physics/Snapshot.h>
#include <trocar/scoring/Report.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <vector>

namespace trocar::app {
namespace {

using test::Person;

scenario::ScenarioDesc load(const std::string& id) {
  scenario::LoadResult loaded = scenario::loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                                           "scenarios" / id / "scenario.yaml");
  EXPECT_TRUE(loaded.ok());
  return std::move(*loaded.scenario);
}

// Where the circle still hangs on to the sheet, as one sees it lift and hold: a way through the
// drawn mesh (its edges as they are now) from the piece's middle to the sheet well outside the
// line. Returns where that way crosses the line (the gauze's own x, z), or nothing when the
// piece is free.
std::optional<Vec2> stillHolding(const physics::TissueSnapshot& t, const Pose& clothPose, Vec2 centre,
                                 float radius) {
  const size_t n = t.restPositions.size();
  const Pose toCloth = clothPose.inverse();
  std::vector<Vec2> rest(n);
  for (size_t i = 0; i < n; ++i) {
    const Vec3 p = toCloth.transformPoint(t.restPositions[i]);
    rest[i] = Vec2(p.x, p.z);
  }
  std::vector<std::vector<uint32_t>> next(n);
  for (size_t f = 0; f + 2 < t.indices.size(); f += 3) {
    for (size_t k = 0; k < 3; ++k) {
      const uint32_t a = t.indices[f + k], b = t.indices[f + (k + 1) % 3];
      next[a].push_back(b);
      next[b].push_back(a);
    }
  }
  uint32_t start = 0;
  for (uint32_t i = 1; i < n; ++i) {
    if (!next[i].empty() && glm::length(rest[i] - centre) < glm::length(rest[start] - centre)) start = i;
  }
  std::vector<int64_t> from(n, -2);
  from[start] = -1;
  std::vector<uint32_t> queue{start};
  for (size_t q = 0; q < queue.size(); ++q) {
    for (uint32_t v : next[queue[q]]) {
      if (from[v] != -2) continue;
      from[v] = queue[q];
      if (glm::length(rest[v] - centre) > radius + 0.012f) {
        // Back along the way to where it crosses the line.
        for (int64_t w = v; w >= 0; w = from[static_cast<size_t>(w)]) {
          if (glm::length(rest[static_cast<size_t>(w)] - centre) <= radius)
            return rest[static_cast<size_t>(w)];
        }
        return std::nullopt;
      }
      queue.push_back(v);
    }
  }
  return std::nullopt;
}

// FLS pattern cutting as a trainee does it at the desktop: the left grasper takes the gauze
// 15 mm outside the circle, lifts it a little and locks (Space); Tab to the scissors, which cut
// round the printed line in snips, counter-clockwise from the far side. For each snip the
// person looks where the line is drawn now and where the cut so far ends (its last vertices,
// drawn in the cut colour), rolls the blades along the line (Z / X), brings the open blades
// over it and down through the gauze (mouse and wheel), squeezes and lets go. The circle comes
// out, the task is done and passed, and the cut stays within 2 mm of the line on average.
TEST(DesktopTasks, APersonCutsOutTheCircle) {
  const scenario::ScenarioDesc desc = load("fls-pattern-cutting");
  auto built = scenario::buildSession(desc);
  ASSERT_TRUE(built.ok()) << built.error().toString();
  session::Session& session = *built.value();
  scoring::Scorer scorer(desc, session.world());
  session.addListener(&scorer);
  Person person(desc, session);
  const scenario::TissueDesc& gauze = desc.tissues[0];
  const Pose clothPose = gauze.settings.cloth.pose;
  const Vec2 centre = gauze.markings[0].center;
  const float radius = gauze.markings[0].radius;
  const double r = static_cast<double>(radius);
  auto snapshot = [&] {
    physics::WorldSnapshot s;
    session.world().snapshot(s);
    return s;
  };
  auto seen = [&](Vec2 at) { return physics::clothPointNow(snapshot().tissues[0], clothPose, at); };
  auto onLine = [&](double a) {
    return centre + Vec2(static_cast<float>(r * std::cos(a)), static_cast<float>(r * std::sin(a)));
  };

  // The grasper (left) holds the gauze taut outside the circle, on its own side (once the
  // gauze has settled on its corners: a second's look first).
  person.wait(60);
  if (person.controls().active() != 0) person.press(&DesktopEvents::switchHand);
  const Vec3 hold = seen(centre + Vec2(-(radius + 0.015f), 0.0f)) - Vec3(0.0f, 0.001f, 0.0f);
  person.moveTo(hold + Vec3(0.0f, 0.015f, 0.0f));
  person.moveTo(hold);
  person.wait(8, true);
  person.press(&DesktopEvents::ratchet, true);
  person.moveTo(hold + Vec3(0.0f, 0.003f, 0.0f));
  person.press(&DesktopEvents::switchHand);
  ASSERT_EQ(person.controls().active(), 1);
  ASSERT_TRUE(person.controls().locked(0));

  const instruments::InstrumentSpec scissors =
      instruments::defaultSpec(instruments::InstrumentKind::kScissors);
  const float span = 2.0f * scissors.jawLength * std::sin(0.5f * scissors.maxJawAngle);  // open blades
  const float bite = span - 0.002f;
  const Vec3 port = desc.ports[1].position;
  constexpr double kPi = 3.14159265358979323846;
  double crack = kPi / 2.0;  // how far round the cut has come
  Vec2 crackTip = onLine(crack);
  size_t nodesSeen = snapshot().tissues[0].restPositions.size();
  for (int snip = 0; snip < 40 && crack < kPi / 2.0 + 2.0 * kPi + 0.3; ++snip) {
    // Where the cut ends: of the vertices the last snip made (drawn in the cut colour), the one
    // furthest round the line.
    const physics::WorldSnapshot now = snapshot();
    const Pose toCloth = clothPose.inverse();
    for (size_t n = nodesSeen; n < now.tissues[0].restPositions.size(); ++n) {
      const Vec3 local = toCloth.transformPoint(now.tissues[0].restPositions[n]);
      const Vec2 d = Vec2(local.x, local.z) - centre;
      if (std::abs(glm::length(d) - radius) > 0.005f) continue;
      double a = std::atan2(static_cast<double>(d.y), static_cast<double>(d.x));
      a = crack + std::remainder(a - crack, 2.0 * kPi);
      if (a > crack && a < crack + 2.0 * static_cast<double>(bite) / r) {
        crack = a;
        crackTip = centre + d;
      }
    }
    nodesSeen = now.tissues[0].restPositions.size();
    const Vec3 from = physics::clothPointNow(now.tissues[0], clothPose, snip == 0 ? onLine(crack) : crackTip);
    const Vec3 to =
        physics::clothPointNow(now.tissues[0], clothPose, onLine(crack + static_cast<double>(bite) / r));
    if (glm::length(to - from) < 1e-4f) break;
    const Vec3 along = glm::normalize(to - from);
    // The open blades straddle the line from the cut's end on: their middle over it, the tip
    // 5 mm through the gauze along the shaft.
    const Vec3 mid = from + along * (0.5f * span - 0.001f);
    const Vec3 shaft = glm::normalize(port - mid);
    const Vec3 tip = mid - shaft * (0.005f / std::max(0.2f, shaft.y));
    person.closeJawsAt(tip, along);
  }
  // Round the line without hurting the gauze: the hands move between frames as hands do
  // (InputRamp); with the scissors jumping to each frame's pose the gauze took 200 damage events.
  EXPECT_TRUE(scorer.checklist().errors().empty()) << scorer.checklist().errors().size() << " errors";
  // Where the piece still holds on, a snip across it, along the line there.
  for (int snip = 0; snip < 8; ++snip) {
    const physics::WorldSnapshot now = snapshot();
    const std::optional<Vec2> bridge = stillHolding(now.tissues[0], clothPose, centre, radius);
    if (!bridge) break;
    const Vec2 radial = glm::normalize(*bridge - centre);
    const Vec2 tangent(-radial.y, radial.x);
    const Vec3 at = physics::clothPointNow(now.tissues[0], clothPose, centre + radial * radius);
    const Vec3 along = glm::normalize(
        physics::clothPointNow(now.tissues[0], clothPose, centre + radial * radius + tangent * 0.003f) - at);
    const Vec3 shaft = glm::normalize(port - at);
    const Vec3 tip = at - shaft * (0.005f / std::max(0.2f, shaft.y));
    person.closeJawsAt(tip, along);
  }
  person.moveTo(person.controls().tip(1) + Vec3(0.0f, 0.03f, 0.0f));
  person.wait(60);

  const scoring::ScoreReport report = scorer.report(session.world());
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.steps[0].state, scoring::StepState::kDone) << "the circle came out";
  EXPECT_TRUE(report.passed) << "score " << report.score << " in " << report.taskTimeS << " s";
  ASSERT_FALSE(report.cutAccuracy.empty());
  EXPECT_GT(report.cutAccuracy[0].fractionCut, 0.9);
  EXPECT_LT(report.cutAccuracy[0].meanMm, 2.0) << "FLS asks for within 2 mm of the line";
}

// Where a point of a structure (given at rest) is now: the rest point moved as the nodes
// around it moved (weighted by nearness, within 4 mm), which is how the drawn surface follows
// them.
Vec3 materialPointNow(const physics::TissueSnapshot& t, const Vec3& rest) {
  Vec3 moved(0.0f);
  float weights = 0.0f;
  size_t nearest = 0;
  for (size_t i = 0; i < t.restPositions.size(); ++i) {
    const float d = glm::length(t.restPositions[i] - rest);
    if (d < glm::length(t.restPositions[nearest] - rest)) nearest = i;
    if (d > 0.004f) continue;
    const float w = 1.0f / (d + 1e-4f);
    moved += w * (t.positions[i] - t.restPositions[i]);
    weights += w;
  }
  if (weights == 0.0f) return rest + t.positions[nearest] - t.restPositions[nearest];
  return rest + moved / weights;
}

// The laparoscopic cholecystectomy through the critical view of safety, clipped and divided, at
// the desktop. The person works from what the monitor shows: the gallbladder's free rounded end
// (the fundus), the peritoneum over the triangle with the artery under its middle, the duct and
// the artery running from the gallbladder to the common bile duct. Each target is a point of a
// drawn structure (for a tube, a fraction of the way along it from the gallbladder), where it is
// now, its top found as the eye finds it (the drawn surface straight above). The left grasper
// takes the fundus, locks (Space) and draws it up and away from the liver; Tab; the scissors open the
// peritoneum either side of the artery (blades rolled along it); E for the clip applier: two
// clips on each structure towards the bile duct and one towards the gallbladder (jaws rolled
// across it); E for the scissors: each divided between its clips. Every step is done in order,
// no error, passed.
TEST(DesktopTasks, APersonReachesTheCriticalViewClipsAndDivides) {
  const scenario::ScenarioDesc desc = load("lap-cholecystectomy");
  auto built = scenario::buildSession(desc);
  ASSERT_TRUE(built.ok()) << built.error().toString();
  session::Session& session = *built.value();
  scoring::Scorer scorer(desc, session.world());
  session.addListener(&scorer);
  Person person(desc, session);
  const physics::World& world = session.world();
  auto tissue = [&](const std::string& name) { return world.findTissue(name)->index; };
  auto snapshot = [&] {
    physics::WorldSnapshot s;
    world.snapshot(s);
    return s;
  };
  // The top of the drawn surface straight above a point of `name`, where that point is now.
  auto topOf = [&](const std::string& name, const Vec3& rest) {
    const Vec3 now = materialPointNow(snapshot().tissues[tissue(name)], rest);
    const auto hit = world.castRay(now + Vec3(0.0f, 0.05f, 0.0f), Vec3(0.0f, -1.0f, 0.0f), 0.1f,
                                   physics::TissueId{tissue(name)});
    EXPECT_TRUE(hit.has_value()) << name;
    return hit ? hit->position : now;
  };
  // A tube's axis at rest, from its gallbladder end (low x) to its bile-duct end.
  auto along = [&](const std::string& name, float fraction) {
    const physics::WorldSnapshot now = snapshot();
    Vec3 lo(1e9f), hi(-1e9f);
    for (const Vec3& p : now.tissues[tissue(name)].restPositions) {
      lo = glm::min(lo, p);
      hi = glm::max(hi, p);
    }
    const Vec3 mid = 0.5f * (lo + hi);
    return Vec3(lo.x + fraction * (hi.x - lo.x), mid.y, mid.z);
  };
  auto use = [&](int hand) {
    if (person.controls().active() != hand) person.press(&DesktopEvents::switchHand);
    ASSERT_EQ(person.controls().active(), hand);
  };
  auto tipBelow = [&](const Vec3& at, float depth) {  // the shaft comes down at a slant from its port
    const Vec3 shaft = glm::normalize(desc.ports[1].position - at);
    return at - shaft * (depth / std::max(0.2f, shaft.y));
  };
  // One closing of the right hand's tool at `tip`, its jaws opening along `jaws`; then up.
  auto closeAt = [&](const Vec3& tip, const Vec3& jaws) {
    person.closeJawsAt(tip, jaws);
    person.moveTo(tip + Vec3(0.0f, 0.015f, 0.0f), false, 4.0f);  // out gently: the jaws were round it
  };
  const Vec3 x(1.0f, 0.0f, 0.0f), z(0.0f, 0.0f, 1.0f);
  person.wait(60);  // a look first: everything settles

  // Retract: the fundus, the gallbladder's free rounded end, the one that stands out of its bed
  // towards the laparoscope (4/5 of the way from its middle to its highest point), and up and
  // away from the liver.
  const physics::WorldSnapshot start = snapshot();
  const auto& gb = start.tissues[tissue("gallbladder")].restPositions;
  Vec3 gbMid(0.0f);
  for (const Vec3& p : gb) gbMid += p;
  gbMid /= static_cast<float>(gb.size());
  Vec3 far = gbMid;
  for (const Vec3& p : gb) {
    if (p.y > far.y) far = p;
  }
  // Its top as drawn: the outermost point along that line with gallbladder straight under it.
  Vec3 fundus = gbMid;
  for (float f : {0.8f, 0.7f, 0.6f, 0.5f, 0.4f}) {
    const Vec3 at = gbMid + f * (far - gbMid);
    if (const auto hit = world.castRay(at + Vec3(0.0f, 0.05f, 0.0f), Vec3(0.0f, -1.0f, 0.0f), 0.1f,
                                       physics::TissueId{tissue("gallbladder")})) {
      fundus = hit->position - Vec3(0.0f, 0.001f, 0.0f);
      break;
    }
  }
  Vec3 liverMid(0.0f);
  for (const Vec3& p : start.tissues[tissue("liver")].restPositions) liverMid += p;
  liverMid /= static_cast<float>(start.tissues[tissue("liver")].restPositions.size());
  Vec3 away = fundus - liverMid;
  away.y = std::max(away.y, 0.0f);
  const Vec3 lift = glm::normalize(glm::normalize(away) + Vec3(0.0f, 1.0f, 0.0f));
  use(0);
  person.moveTo(fundus + Vec3(0.0f, 0.03f, 0.0f));                // over it first, clear of the liver
  person.moveTo(fundus + Vec3(0.0f, 0.012f, 0.0f), false, 3.0f);  // then carefully: the liver is beside it
  person.moveTo(fundus, false, 3.0f);
  person.wait(10, true);
  person.press(&DesktopEvents::ratchet, true);
  person.moveTo(fundus + 0.012f * lift, false, 2.0f);  // slowly: it is pulling on the gallbladder
  use(1);

  // The peritoneum either side of the artery, 5.5 mm off it, snipped along it.
  const Vec3 artery = along("cystic-artery", 0.5f);
  const auto& peritoneum = desc.tissues[5].settings.cloth.pose;
  for (float side : {0.0055f, -0.0055f}) {
    const Vec3 atRest(artery.x, peritoneum.position.y, artery.z + side);
    const Vec3 local = peritoneum.inverse().transformPoint(atRest);
    const Vec3 drawn =
        physics::clothPointNow(snapshot().tissues[tissue("peritoneum")], peritoneum, Vec2(local.x, local.z));
    closeAt(tipBelow(drawn, 0.0015f), x);
  }
  person.press(&DesktopEvents::exchange);
  person.wait(10);
  ASSERT_EQ(snapshot().instruments[1].kind, instruments::InstrumentKind::kClipApplier);

  // Clips from above on the top of each tube: two towards the bile duct, one towards the gallbladder.
  for (const auto& [name, fractions] : std::vector<std::pair<std::string, std::vector<float>>>{
           {"cystic-duct", {0.61f, 0.79f, 0.23f}}, {"cystic-artery", {0.62f, 0.82f, 0.18f}}}) {
    for (float f : fractions) closeAt(topOf(name, along(name, f)) + Vec3(0.0f, 0.001f, 0.0f), z);
  }
  person.press(&DesktopEvents::exchange);
  person.wait(10);
  ASSERT_EQ(snapshot().instruments[1].kind, instruments::InstrumentKind::kScissors);

  // Divide each between its clips, the blades across it reaching 2 mm below it.
  closeAt(tipBelow(topOf("cystic-duct", along("cystic-duct", 0.43f)), 0.0045f + 0.0025f), z);
  closeAt(tipBelow(topOf("cystic-artery", along("cystic-artery", 0.40f)), 0.004f + 0.0015f), z);
  person.wait(60);

  const scoring::ScoreReport report = scorer.report(world);
  for (const auto& step : report.steps) EXPECT_EQ(step.state, scoring::StepState::kDone) << step.title;
  for (const auto& e : report.errors) ADD_FAILURE() << "error at " << e.timeS << " s: " << e.title;
  EXPECT_TRUE(report.passed) << "score " << report.score << " in " << report.taskTimeS << " s";
  EXPECT_EQ(report.criticalError, false);
}

}  // namespace
}  // namespace trocar::app
