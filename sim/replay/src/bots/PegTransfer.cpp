// controller: peg-transfer — the FLS peg-transfer technique. For each peg in turn the
// giving grasper picks it up where it lies now, lifts it to the middle of the board, the
// other grasper takes it from the side, the first lets go and backs off, and the taker sets
// it down on its side, in the next free spot of a 2 x 3 grid. All pegs go left to right,
// then all come back. A novice is slower (`pace`) and fumbles chosen transfers (`fumble:
// [n, ...]`, 1-based transfer numbers): the peg slips from the giving grasper over the middle
// of the board (a drop outside both sides), and is picked up again from where it landed.

#include "Controller.h"

#include <cmath>

namespace trocar::replay::bots {
namespace {

using instruments::Hand;

struct Setup {
  HandRig rigs[2];
  std::vector<std::string> pegs;  // object ids, in transfer order
  Vec3 pegHalf{0.004f, 0.006f, 0.004f};
  Vec3 zoneCentre[2];  // [0] left, [1] right: where pegs are set down
  float boardTop = 0.91f;
  double pace = 1.0;        // time scale: 1 = expert
  std::vector<int> fumble;  // transfer numbers (1-based) where the peg is dropped once
};

Vec3 pegNow(const session::Session& s, const std::string& peg) {
  return s.world().rigidPose(*s.world().findRigid(peg)).position;
}

// The top of the peg as it lies now (standing, or fallen over onto its side).
Vec3 pegTop(const session::Session& s, const std::string& peg, const Vec3& half) {
  const Pose pose = s.world().rigidPose(*s.world().findRigid(peg));
  const glm::mat3 r = glm::mat3_cast(pose.orientation);
  const float up = std::abs(r[0][1]) * half.x + std::abs(r[1][1]) * half.y + std::abs(r[2][1]) * half.z;
  return pose.position + Vec3(0.0f, up, 0.0f);
}

// The k-th set-down spot of a side: a 2 x 3 grid, 1.8 x 2.5 cm apart, filled from the far
// row and the outer column, so the shaft (which rises towards its port, outwards and to the
// front) never passes low over a peg already set down.
Vec3 spot(const Setup& setup, int side, int k) {
  const Vec3 c = setup.zoneCentre[side];
  const float outwards = side == 0 ? -1.0f : 1.0f;
  const float x = outwards * (k % 2 == 0 ? 0.009f : -0.009f);
  const float z = -0.025f + 0.025f * static_cast<float>(k / 2);
  return {c.x + x, setup.boardTop + setup.pegHalf.y, c.z + z};
}

}  // namespace

Result<std::unique_ptr<Bot>> makePegTransfer(Params& p, const scenario::ScenarioDesc& desc) {
  auto setup = std::make_shared<Setup>();
  for (Hand h : {Hand::kLeft, Hand::kRight}) {
    auto rig = handRig(desc, h, instruments::InstrumentKind::kGrasper, "peg-transfer");
    if (!rig.ok()) return rig.error();
    setup->rigs[static_cast<size_t>(h)] = rig.value();
  }
  auto prefix = p.text("pegs", "peg-");
  auto fromZone = p.text("left_zone", "left-side");
  auto toZone = p.text("right_zone", "right-side");
  auto pace = p.number("pace", 1.0, 0.5, 5.0);
  for (const auto* r : {&prefix, &fromZone, &toZone})
    if (!r->ok()) return r->error();
  if (!pace.ok()) return pace.error();
  setup->pace = pace.value();
  const YAML::Node fumbleNode = p.node("fumble");
  if (fumbleNode) {
    if (!fumbleNode.IsSequence())
      return p.error(fumbleNode, "fumble must be a list of transfer numbers", "e.g. [3, 9]");
    for (const auto& n : fumbleNode) {
      int v = 0;
      try {
        v = n.as<int>();
      } catch (const YAML::Exception&) {
        v = 0;
      }
      if (v < 1) return p.error(n, "fumble: transfer numbers start at 1", "e.g. [3, 9]");
      setup->fumble.push_back(v);
    }
  }
  // The pegs (objects whose id starts with the prefix, in file order) and the board top.
  float boardTop = -1.0f;
  for (uint32_t i = 0; i < desc.objects.size(); ++i) {
    const auto& o = desc.objects[i].settings;
    if (o.name.rfind(prefix.value(), 0) == 0 && o.massKg > 0.0f) {
      setup->pegs.push_back(o.name);
      setup->pegHalf = o.halfExtents;
    } else if (o.massKg <= 0.0f) {
      boardTop = std::max(boardTop, o.pose.position.y + o.halfExtents.y);
    }
  }
  int found = 0;
  for (const auto& z : desc.zones) {
    if (z.name == fromZone.value()) setup->zoneCentre[0] = z.center, ++found;
    if (z.name == toZone.value()) setup->zoneCentre[1] = z.center, ++found;
  }
  if (setup->pegs.empty() || found != 2 || boardTop < 0.0f) {
    return makeError(ErrorCode::kInvalidInput,
                     "peg-transfer: scenario '" + desc.id + "' needs objects '" + prefix.value() +
                         "*', a static board and zones '" + fromZone.value() + "' and '" + toZone.value() +
                         "'",
                     "set pegs:, left_zone: and right_zone: to the scenario's names");
  }
  setup->boardTop = boardTop;

  const double k = setup->pace;
  const float carryY = boardTop + 0.04f;
  std::vector<Step> steps;
  double t = 0.0;
  // At rest: both tips 4 cm above the board, over their sides.
  steps.push_back({t, [setup, carryY](const session::Session&, Script& script, double at) {
                     script.add(at, Hand::kLeft, setup->rigs[0],
                                {setup->zoneCentre[0].x, carryY, setup->zoneCentre[0].z}, 0.0f);
                     script.add(at, Hand::kRight, setup->rigs[1],
                                {setup->zoneCentre[1].x, carryY, setup->zoneCentre[1].z}, 0.0f);
                   }});
  t = 0.3;
  int transfer = 0;
  for (int leg = 0; leg < 2; ++leg) {
    const Hand giver = leg == 0 ? Hand::kLeft : Hand::kRight;
    const Hand taker = leg == 0 ? Hand::kRight : Hand::kLeft;
    const int toSide = leg == 0 ? 1 : 0;
    for (size_t i = 0; i < setup->pegs.size(); ++i) {
      ++transfer;
      const std::string peg = setup->pegs[i];
      const bool fumble =
          std::find(setup->fumble.begin(), setup->fumble.end(), transfer) != setup->fumble.end();
      const int slot = static_cast<int>(i);
      // Pick up: over the peg, down onto its top, close, lift to the middle of the board.
      auto pickUp = [setup, peg, giver, k, carryY](const session::Session& s, Script& script, double at) {
        const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
        // The tip comes to rest just on the top (pressing down would push a fallen peg away).
        const Vec3 top = pegTop(s, peg, setup->pegHalf) + Vec3(0.0f, g.spec.shaftRadius - 0.0005f, 0.0f);
        const Vec3 mid(0.0f, carryY, top.z);
        script.add(at + 0.45 * k, giver, g, top + Vec3(0.0f, 0.02f, 0.0f), 0.0f);
        script.add(at + 0.75 * k, giver, g, top, 0.0f);
        script.add(at + 0.9 * k, giver, g, top, 1.0f);
        // Straight up first, clear of the other pegs, then across.
        script.add(at + 1.15 * k, giver, g, Vec3(top.x, carryY, top.z), 1.0f);
        script.add(at + 1.5 * k, giver, g, mid + Vec3(giver == Hand::kLeft ? -0.004f : 0.004f, 0.0f, 0.0f),
                   1.0f);
      };
      steps.push_back({t, pickUp});
      t += 1.5 * k;
      if (fumble) {  // it slips out of the jaws, falls onto the middle of the board; again
        steps.push_back({t, [setup, giver, k](const session::Session& s, Script& script, double at) {
                           const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
                           const Vec3 tip = s.world().instrument(giver).tipPose.position;
                           script.add(at, giver, g, tip, 1.0f);
                           script.add(at + 0.1 * k, giver, g, tip, 0.0f);
                           script.add(at + 0.6 * k, giver, g, tip + Vec3(0.0f, 0.01f, 0.0f), 0.0f);
                         }});
        t += 1.2 * k;
        steps.push_back({t, pickUp});
        t += 1.5 * k;
      }
      // Hand-off: the taker closes on the peg's side, the giver lets go and backs off.
      steps.push_back(
          {t, [setup, peg, giver, taker, k](const session::Session& s, Script& script, double at) {
             const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
             const HandRig& r = setup->rigs[static_cast<size_t>(taker)];
             const Vec3 c = pegNow(s, peg);
             const float side = taker == Hand::kRight ? 1.0f : -1.0f;
             // Tip against the peg's side, a little low: the jaw centre, 1/4 of the
             // jaw back up the shaft, lands inside the peg's reach.
             const Vec3 grip = c + Vec3(side * 0.004f, -0.003f, -0.002f);
             script.add(at + 0.3 * k, taker, r, grip + Vec3(side * 0.015f, 0.01f, 0.0f), 0.0f);
             script.add(at + 0.55 * k, taker, r, grip, 0.0f);
             script.add(at + 0.7 * k, taker, r, grip, 1.0f);
             const Vec3 held = c + Vec3(-side * 0.004f, setup->pegHalf.y - 0.001f, 0.0f);
             script.add(at + 0.7 * k, giver, g, held, 1.0f);
             script.add(at + 0.85 * k, giver, g, held, 0.0f);
             script.add(at + 1.15 * k, giver, g, held + Vec3(-side * 0.02f, 0.02f, 0.0f), 0.0f);
           }});
      t += 0.85 * k;
      // Set down: over the spot, down to 3 mm above the board, open, rise.
      steps.push_back(
          {t, [setup, taker, toSide, slot, k](const session::Session&, Script& script, double at) {
             const HandRig& r = setup->rigs[static_cast<size_t>(taker)];
             const float side = taker == Hand::kRight ? 1.0f : -1.0f;
             // The peg hangs 3 mm above the tip (it was taken low on its side): set
             // it down with its foot 3 mm above the board.
             const Vec3 target = spot(*setup, toSide, slot) + Vec3(side * 0.005f, 0.0f, 0.0f);
             // Across high enough that the peg's foot (9 mm below the tip) clears
             // the pegs already down (their tops 24 mm above the board).
             script.add(at + 0.45 * k, taker, r, target + Vec3(0.0f, 0.03f, 0.0f), 1.0f);
             script.add(at + 0.7 * k, taker, r, target, 1.0f);
             script.add(at + 0.8 * k, taker, r, target, 0.0f);
             script.add(at + 1.0 * k, taker, r, target + Vec3(0.0f, 0.02f, 0.0f), 0.0f);
           }});
      t += 1.0 * k;
    }
  }
  return std::unique_ptr<Bot>(std::make_unique<StepBot>(std::move(steps), t + 1.0));
}

}  // namespace trocar::replay::bots
