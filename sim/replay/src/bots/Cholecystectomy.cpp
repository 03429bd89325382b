// controller: cholecystectomy — the critical view of safety, clip and divide
// (scenarios/lap-cholecystectomy). The left grasper takes the gallbladder's fundus and holds
// it retracted. The right hand opens the peritoneum with the scissors above and below the
// cystic artery, exchanges them for the clip applier, puts two clips on the patient's side
// and one on the gallbladder's side of the cystic duct and then of the artery, takes the
// scissors back and divides each between its clips. Every target is read from the
// scenario's regions as they lie when the step is planned.

#include "Controller.h"

#include <cmath>
#include <optional>

namespace trocar::replay::bots {
namespace {

using instruments::Hand;

struct Target {
  std::string tissue, region;
};

struct Setup {
  HandRig grasper, scissors, clipper;
  double pace = 1.0;              // seconds scale: 1 is the expert's
  float retract = 0.012f;         // m the fundus is drawn up (and as far again aside and back)
  bool skipUpper = false;         // leaves the peritoneum above the artery: no critical view
  bool skipArteryDistal = false;  // no clip on the artery's gallbladder side: it bleeds when cut
};

// A region as it lies now: its nodes' mean, the height of the drawn surface above it, and its
// lowest node.
struct RegionNow {
  Vec3 centre{0.0f};
  float top = 0.0f, bottom = 0.0f;
};

RegionNow regionNow(const physics::World& w, const Target& t) {
  const physics::TissueId id = *w.findTissue(t.tissue);
  const auto nodes = w.regionNodes(id, *w.findRegion(id, t.region));
  RegionNow r;
  r.top = -1e9f;
  r.bottom = 1e9f;
  for (uint32_t n : nodes) {
    const Vec3 p = w.nodePosition(id, n);
    r.centre += p;
    r.top = std::max(r.top, p.y);
    r.bottom = std::min(r.bottom, p.y);
  }
  r.centre /= static_cast<float>(std::max<size_t>(1, nodes.size()));
  // The top as drawn: where a look straight down over the region meets the structure's
  // surface (what the jaws close on), not its highest node.
  if (const auto hit = w.castRay(r.centre + Vec3(0.0f, 0.05f, 0.0f), Vec3(0.0f, -1.0f, 0.0f), 0.1f, id)) {
    r.top = hit->position.y;
  }
  return r;
}

// The tip that puts the point where the shaft crosses `at` this far below it (the shaft
// comes down from its port at a slant).
Vec3 tipBelow(const HandRig& rig, const Vec3& at, float depth) {
  const Vec3 shaft = glm::normalize(rig.port ? rig.port->position - at : Vec3(0, 1, 0));
  return at - shaft * (depth / std::max(0.2f, shaft.y));
}

const Vec3 kUp(0.0f, 1.0f, 0.0f);

// Where the fundus is drawn: up, and away from the liver its bed lies on (from the liver's
// middle through the fundus), as an assistant lifts it off the liver; up and towards the
// patient's right and head without a liver.
Vec3 retractDirection(const physics::World& w, const Vec3& fundus) {
  Vec3 away(-1.0f, 0.0f, -0.5f);
  if (const auto liver = w.findTissue("liver")) {
    Vec3 middle(0.0f);
    const auto n = static_cast<uint32_t>(w.nodeCount(*liver));
    for (uint32_t i = 0; i < n; ++i) middle += w.nodePosition(*liver, i);
    if (n > 0) away = fundus - middle / static_cast<float>(n);
    away.y = std::max(away.y, 0.0f);
  }
  return glm::normalize(glm::normalize(away) + kUp);
}

}  // namespace

Result<std::unique_ptr<Bot>> makeCholecystectomy(Params& p, const scenario::ScenarioDesc& desc) {
  auto setup = std::make_shared<Setup>();
  auto grasper = handRig(desc, Hand::kLeft, instruments::InstrumentKind::kGrasper, "cholecystectomy");
  if (!grasper.ok()) return grasper.error();
  auto scissors = handRig(desc, Hand::kRight, instruments::InstrumentKind::kScissors, "cholecystectomy");
  if (!scissors.ok()) return scissors.error();
  auto clipper = handRig(desc, Hand::kRight, instruments::InstrumentKind::kClipApplier, "cholecystectomy");
  if (!clipper.ok()) return clipper.error();
  setup->grasper = grasper.value();
  setup->scissors = scissors.value();
  setup->clipper = clipper.value();
  auto pace = p.number("pace", 1.0, 0.5, 5.0);
  auto retract = p.number("retract_m", 0.012, 0.0, 0.06);
  auto skip = p.flag("skip_upper_window", false);
  auto skipDistal = p.flag("skip_artery_distal_clip", false);
  if (!skipDistal.ok()) return skipDistal.error();
  setup->skipArteryDistal = skipDistal.value();
  if (!pace.ok()) return pace.error();
  if (!retract.ok()) return retract.error();
  if (!skip.ok()) return skip.error();
  setup->pace = pace.value();
  setup->retract = static_cast<float>(retract.value());
  setup->skipUpper = skip.value();

  // The regions it works on, by the names the scenario gives them.
  const std::vector<Target> needed = {{"gallbladder", "fundus"},
                                      {"peritoneum", "window-lower"},
                                      {"peritoneum", "window-upper"},
                                      {"cystic-duct", "duct-proximal"},
                                      {"cystic-duct", "duct-distal"},
                                      {"cystic-duct", "duct-between"},
                                      {"cystic-artery", "artery-proximal"},
                                      {"cystic-artery", "artery-distal"},
                                      {"cystic-artery", "artery-between"}};
  for (const Target& t : needed) {
    bool found = false;
    for (const auto& r : desc.regions) found = found || (r.id == t.region && r.tissue == t.tissue);
    if (!found) {
      return makeError(ErrorCode::kInvalidInput,
                       "cholecystectomy: scenario '" + desc.id + "' has no region '" + t.region + "' on '" +
                           t.tissue + "'",
                       "the bot is written for scenarios/lap-cholecystectomy and its region names");
    }
  }

  const double k = setup->pace;
  std::vector<Step> steps;
  double t = 0.0;
  // At rest: the grasper over the fundus, the scissors over the triangle, 2 cm up.
  steps.push_back({t, [setup](const session::Session& s, Script& script, double at) {
                     const auto& w = s.world();
                     script.add(at, Hand::kLeft, setup->grasper,
                                regionNow(w, {"gallbladder", "fundus"}).centre + 0.02f * kUp, 0.0f);
                     script.add(at, Hand::kRight, setup->scissors,
                                regionNow(w, {"peritoneum", "window-lower"}).centre + 0.02f * kUp, 0.0f,
                                Vec3(1, 0, 0));
                   }});
  t += 0.4;
  // Retract: onto the top of the fundus, close, draw it up, aside and back.
  steps.push_back({t, [setup, k](const session::Session& s, Script& script, double at) {
                     const RegionNow f = regionNow(s.world(), {"gallbladder", "fundus"});
                     const Vec3 top(f.centre.x, f.top - 0.001f, f.centre.z);
                     const HandRig& g = setup->grasper;
                     const float r = setup->retract;
                     script.add(at + 0.3 * k, Hand::kLeft, g, top + 0.012f * kUp, 0.0f);
                     script.add(at + 0.6 * k, Hand::kLeft, g, top, 0.0f);
                     script.add(at + 0.9 * k, Hand::kLeft, g, top, 1.0f);
                     script.add(at + 1.5 * k, Hand::kLeft, g,
                                top + 1.5f * r * retractDirection(s.world(), f.centre), 1.0f);
                   }});
  t += 1.6 * k;
  // One closing of the right hand's tool with the shaft crossing `region`'s centre `depth`
  // above the tip, the jaws opening along `jawDir`; then up and clear.
  auto act = [setup, k](const Target& target, float depth, Vec3 jawDir, bool clip, float shift) {
    return [=](const session::Session& s, Script& script, double at) {
      const RegionNow r = regionNow(s.world(), target);
      const HandRig& rig = clip ? setup->clipper : setup->scissors;
      Vec3 at3 = r.centre + Vec3(shift, 0.0f, 0.0f);
      // The clip applier closes from above on the top of a duct; the scissors' blades pass
      // through from below.
      const Vec3 tip = clip ? Vec3(at3.x, r.top + 0.0005f, at3.z) : tipBelow(rig, at3, depth);
      script.add(at + 0.3 * k, Hand::kRight, rig, tip + 0.012f * kUp, 0.0f, jawDir);
      script.add(at + 0.5 * k, Hand::kRight, rig, tip, 0.0f, jawDir);
      script.add(at + 0.6 * k, Hand::kRight, rig, tip, 0.0f, jawDir);
      script.add(at + 0.9 * k, Hand::kRight, rig, tip, 1.0f, jawDir);
      script.add(at + 1.1 * k, Hand::kRight, rig, tip, 0.0f, jawDir);
      script.add(at + 1.3 * k, Hand::kRight, rig, tip + 0.015f * kUp, 0.0f, jawDir);
    };
  };
  const double actS = 1.4 * k;
  // Exchange: the hand stays where it is and asks for the other instrument.
  auto exchange = [setup, k](bool toClipper) {
    return [=](const session::Session& s, Script& script, double at) {
      const Vec3 tip = s.world().instrument(Hand::kRight).tipPose.position;
      script.add(at + 0.3 * k, Hand::kRight, toClipper ? setup->clipper : setup->scissors, tip, 0.0f);
    };
  };
  const Vec3 alongX(1, 0, 0), acrossX(0, 0, 1);
  // Dissection: a snip through the peritoneum below the artery, and one above it.
  steps.push_back({t, act({"peritoneum", "window-lower"}, 0.0015f, alongX, false, 0.0f)});
  t += actS;
  if (!setup->skipUpper) {
    steps.push_back({t, act({"peritoneum", "window-upper"}, 0.0015f, alongX, false, 0.0f)});
    t += actS;
  }
  steps.push_back({t, exchange(true)});
  t += 0.5 * k;
  // Two clips towards the common bile duct (3 mm either side of the region's middle), one
  // towards the gallbladder: the duct, then the artery.
  for (const char* structure : {"duct", "artery"}) {
    const std::string tissue = std::string("cystic-") + structure;
    for (float shift : {-0.003f, 0.003f}) {
      steps.push_back({t, act({tissue, std::string(structure) + "-proximal"}, 0.0f, acrossX, true, shift)});
      t += actS;
    }
    if (std::string(structure) == "artery" && setup->skipArteryDistal) continue;
    steps.push_back({t, act({tissue, std::string(structure) + "-distal"}, 0.0f, acrossX, true, 0.0f)});
    t += actS;
  }
  steps.push_back({t, exchange(false)});
  t += 0.5 * k;
  // Divide between the clips: the blades across the structure, reaching 2 to 2.5 mm below it.
  steps.push_back({t, act({"cystic-duct", "duct-between"}, 0.0045f, acrossX, false, 0.0f)});
  t += actS;
  steps.push_back({t, act({"cystic-artery", "artery-between"}, 0.004f, acrossX, false, 0.0f)});
  t += actS;
  return std::unique_ptr<Bot>(std::make_unique<StepBot>(std::move(steps), t + 0.5));
}

}  // namespace trocar::replay::bots
