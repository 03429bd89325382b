// controller: peg-transfer — the FLS peg-transfer technique on the FLS board. For each
// triangle in turn the giving grasper takes it by the bar that faces its port, lifts it off
// its post, carries it to the middle of the board, the other grasper takes it by the bar that
// faces its own port, the first lets go and backs off, and the taker brings the triangle's
// hole over the next free post of its side, lowers it onto the post and lets go. All six go
// left to right, then all come back. A novice is slower (`pace`) and fumbles chosen
// transfers (`fumble: [n, ...]`, 1-based transfer numbers): the triangle slips from the
// giving grasper over the middle of the board (a drop off the posts), and is picked up again
// from where it landed. Everything is aimed at what is drawn: the bars and the posts.

#include "Controller.h"

#include <trocar/physics/Generators.h>

#include <algorithm>
#include <cmath>

namespace trocar::replay::bots {
namespace {

using instruments::Hand;

struct Post {
  Vec3 base{0.0f};  // where it stands on the board
  float top = 0.0f;
};

struct Setup {
  HandRig rigs[2];
  std::vector<std::string> objects;  // triangle ids, in transfer order
  Vec3 half{0.011f, 0.0025f, 0.0015f};
  std::vector<Post> posts[2];  // [0] left, [1] right: in the order they are filled
  float boardTop = 0.91f;
  double pace = 1.0;        // time scale: 1 = expert
  std::vector<int> fumble;  // transfer numbers (1-based) where the triangle is dropped once
};

Pose objectPose(const session::Session& s, const std::string& id) {
  return s.world().rigidPose(*s.world().findRigid(id));
}

// The bar of a triangle as it lies now that faces the rig's port best (not `skip`), and the
// point on top of it where a tip comes to rest.
struct BarNow {
  int index = 0;
  Vec3 top{0.0f};
};
BarNow barFacing(const Setup& setup, const Pose& pose, const HandRig& rig, int skip = -1) {
  const auto bars = physics::triangleBars(setup.half);
  // Without a port (open surgery) the shaft comes straight down: any bar will do, the front one.
  Vec3 toPort = rig.port ? rig.port->position - pose.position : Vec3(0.0f, 0.0f, 1.0f);
  toPort.y = 0.0f;
  toPort = glm::length(toPort) > 1e-6f ? glm::normalize(toPort) : Vec3(0.0f, 0.0f, 1.0f);
  BarNow best;
  float bestDot = -2.0f;
  for (int k = 0; k < 3; ++k) {
    if (k == skip) continue;
    Vec3 out = pose.orientation * bars[static_cast<size_t>(k)].outward;
    out.y = 0.0f;
    const float d = glm::dot(glm::normalize(out + Vec3(1e-6f, 0.0f, 0.0f)), toPort);
    if (d > bestDot) {
      bestDot = d;
      best.index = k;
    }
  }
  const Vec3 mid = pose.position + pose.orientation * bars[static_cast<size_t>(best.index)].center;
  // The tip rests just on the bar (pressing down would push the triangle away).
  const Vec3 up = pose.orientation * Vec3(0.0f, 1.0f, 0.0f);
  best.top = mid + Vec3(0.0f, std::abs(up.y) * setup.half.y + rig.spec.shaftRadius - 0.0005f, 0.0f);
  return best;
}

// A held triangle turns with the instrument, whose shaft turns about its port as the tip
// moves: the way a person keeps it level is the knob, rolling the instrument about its shaft.
// `upInTool` is the triangle's up in the tool's frame (+Z back along the shaft, as
// handForTip builds it); the result is the jaw direction (the tool's +Y) at `tip` that
// brings that up nearest the world's.
Vec3 levelJaws(const HandRig& rig, const Vec3& tip, const Vec3& upInTool) {
  const Vec3 worldUp(0.0f, 1.0f, 0.0f);
  const Vec3 z = rig.port ? glm::normalize(rig.port->position - tip) : worldUp;
  Vec3 e1 = worldUp - z * glm::dot(worldUp, z);
  e1 = glm::length(e1) > 1e-4f ? glm::normalize(e1) : Vec3(1.0f, 0.0f, 0.0f);
  const Vec3 e2 = glm::cross(z, e1);
  // With y = cos(a) e1 + sin(a) e2 and x = y x z, the held up's height is A cos(a) + B sin(a) + C.
  const float A = upInTool.x * glm::dot(glm::cross(e1, z), worldUp) + upInTool.y * glm::dot(e1, worldUp);
  const float B = upInTool.x * glm::dot(glm::cross(e2, z), worldUp) + upInTool.y * glm::dot(e2, worldUp);
  const float a = std::atan2(B, A);
  return std::cos(a) * e1 + std::sin(a) * e2;
}

// The triangle's up (whichever face is up) in the frame of a tool at `tool`.
Vec3 upIn(const glm::quat& tool, const Pose& object) {
  Vec3 up = object.orientation * Vec3(0.0f, 1.0f, 0.0f);
  if (up.y < 0.0f) up = -up;
  return glm::inverse(tool) * up;
}

}  // namespace

Result<std::unique_ptr<Bot>> makePegTransfer(Params& p, const scenario::ScenarioDesc& desc) {
  auto setup = std::make_shared<Setup>();
  for (Hand h : {Hand::kLeft, Hand::kRight}) {
    auto rig = handRig(desc, h, instruments::InstrumentKind::kGrasper, "peg-transfer");
    if (!rig.ok()) return rig.error();
    setup->rigs[static_cast<size_t>(h)] = rig.value();
  }
  auto prefix = p.text("objects", "triangle-");
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
  // The triangles (objects whose id starts with the prefix, in file order), each side's
  // posts (its zone's `around`) and the board's top (the highest other static object).
  std::vector<std::string> postIds;
  for (const auto& z : desc.zones) {
    for (int side = 0; side < 2; ++side) {
      if (z.name != (side == 0 ? fromZone.value() : toZone.value())) continue;
      for (const auto& id : z.around) {
        postIds.push_back(id);
        for (const auto& o : desc.objects) {
          if (o.settings.name != id) continue;
          const Vec3 c = o.settings.pose.position;
          setup->posts[side].push_back(
              {c - Vec3(0.0f, o.settings.halfExtents.y, 0.0f), c.y + o.settings.halfExtents.y});
        }
      }
    }
  }
  float boardTop = -1.0f;
  for (const auto& o : desc.objects) {
    const auto& s = o.settings;
    if (s.name.rfind(prefix.value(), 0) == 0 && s.massKg > 0.0f &&
        s.shape == physics::RigidShape::kTriangle) {
      setup->objects.push_back(s.name);
      setup->half = s.halfExtents;
    } else if (s.massKg <= 0.0f && std::find(postIds.begin(), postIds.end(), s.name) == postIds.end()) {
      boardTop = std::max(boardTop, s.pose.position.y + s.halfExtents.y);
    }
  }
  if (setup->objects.empty() || boardTop < 0.0f || setup->posts[0].size() < setup->objects.size() ||
      setup->posts[1].size() < setup->objects.size()) {
    return makeError(ErrorCode::kInvalidInput,
                     "peg-transfer: scenario '" + desc.id + "' needs triangles '" + prefix.value() +
                         "*', a static board and zones '" + fromZone.value() + "' and '" + toZone.value() +
                         "' around as many posts each",
                     "set objects:, left_zone: and right_zone: to the scenario's names");
  }
  setup->boardTop = boardTop;
  // Posts are filled far row first (the shaft rises to its port in front, so it never passes
  // low over a triangle already set down), the inner one of a row first (likewise outwards).
  for (auto& side : setup->posts) {
    std::sort(side.begin(), side.end(), [](const Post& a, const Post& b) {
      if (std::abs(a.base.z - b.base.z) > 0.005f) return a.base.z < b.base.z;
      return std::abs(a.base.x) < std::abs(b.base.x);
    });
  }

  const double k = setup->pace;
  float highestTop = boardTop;
  for (const auto& side : setup->posts)
    for (const Post& post : side) highestTop = std::max(highestTop, post.top);
  // Carried with the triangle's underside a good centimetre over the posts.
  const float carryY = highestTop + 0.025f;
  Vec3 sideCentre[2] = {Vec3(0.0f), Vec3(0.0f)};
  for (int side = 0; side < 2; ++side) {
    for (const Post& post : setup->posts[side]) sideCentre[side] += post.base;
    sideCentre[side] /= static_cast<float>(setup->posts[side].size());
  }
  std::vector<Step> steps;
  double t = 0.0;
  // At rest: both tips over their sides.
  steps.push_back({t, [setup, carryY, sideCentre](const session::Session&, Script& script, double at) {
                     for (int h = 0; h < 2; ++h) {
                       script.add(at, static_cast<Hand>(h), setup->rigs[h],
                                  {sideCentre[h].x, carryY, sideCentre[h].z}, 0.0f);
                     }
                   }});
  t = 0.3;
  int transfer = 0;
  for (int leg = 0; leg < 2; ++leg) {
    const Hand giver = leg == 0 ? Hand::kLeft : Hand::kRight;
    const Hand taker = leg == 0 ? Hand::kRight : Hand::kLeft;
    const int toSide = leg == 0 ? 1 : 0;
    for (size_t i = 0; i < setup->objects.size(); ++i) {
      ++transfer;
      const std::string object = setup->objects[i];
      const bool fumble =
          std::find(setup->fumble.begin(), setup->fumble.end(), transfer) != setup->fumble.end();
      const Post post = setup->posts[toSide][i];
      // Pick up: over the bar that faces the port, down onto it, close, lift straight up off
      // the post, then across to the middle of the board.
      auto pickUp = [setup, object, giver, k, carryY](const session::Session& s, Script& script, double at) {
        const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
        const BarNow bar = barFacing(*setup, objectPose(s, object), g);
        const float side = giver == Hand::kLeft ? -1.0f : 1.0f;
        // Taken with the jaws as they come (no roll); from then on rolled to keep it level.
        const Vec3 hold = upIn(handForTip(g, bar.top, Vec3(0.0f)).orientation, objectPose(s, object));
        const Vec3 lifted(bar.top.x, carryY, bar.top.z), middle(side * 0.008f, carryY, bar.top.z);
        script.add(at + 0.45 * k, giver, g, bar.top + Vec3(0.0f, 0.02f, 0.0f), 0.0f);
        script.add(at + 0.75 * k, giver, g, bar.top, 0.0f);
        script.add(at + 0.9 * k, giver, g, bar.top, 1.0f);
        script.add(at + 1.2 * k, giver, g, lifted, 1.0f, levelJaws(g, lifted, hold));
        script.add(at + 1.5 * k, giver, g, middle, 1.0f, levelJaws(g, middle, hold));
      };
      steps.push_back({t, pickUp});
      t += 1.5 * k;
      if (fumble) {  // it slips out of the jaws, falls onto the middle of the board; again
        steps.push_back({t, [setup, giver, k](const session::Session& s, Script& script, double at) {
                           const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
                           const Pose tool = s.world().instrument(giver).tipPose;
                           const Vec3 tip = tool.position, jaws = tool.orientation * Vec3(0.0f, 1.0f, 0.0f);
                           script.add(at, giver, g, tip, 1.0f, jaws);
                           script.add(at + 0.1 * k, giver, g, tip, 0.0f, jaws);
                           script.add(at + 0.6 * k, giver, g, tip + Vec3(0.0f, 0.01f, 0.0f), 0.0f, jaws);
                         }});
        t += 1.2 * k;
        steps.push_back({t, pickUp});
        t += 1.5 * k;
      }
      // Hand-off: the taker comes down on the bar facing its port, closes; the giver lets go
      // and backs off.
      steps.push_back(
          {t, [setup, object, giver, taker, k](const session::Session& s, Script& script, double at) {
             const HandRig& g = setup->rigs[static_cast<size_t>(giver)];
             const HandRig& r = setup->rigs[static_cast<size_t>(taker)];
             const Pose pose = objectPose(s, object);
             const BarNow held = barFacing(*setup, pose, g);
             const BarNow grip = barFacing(*setup, pose, r, held.index);
             const float side = taker == Hand::kRight ? 1.0f : -1.0f;
             script.add(at + 0.3 * k, taker, r, grip.top + Vec3(side * 0.01f, 0.015f, 0.0f), 0.0f);
             script.add(at + 0.55 * k, taker, r, grip.top, 0.0f);
             script.add(at + 0.7 * k, taker, r, grip.top, 1.0f);
             const Pose tool = s.world().instrument(giver).tipPose;
             const Vec3 tip = tool.position, jaws = tool.orientation * Vec3(0.0f, 1.0f, 0.0f);
             script.add(at + 0.7 * k, giver, g, tip, 1.0f, jaws);
             script.add(at + 0.85 * k, giver, g, tip, 0.0f, jaws);
             script.add(at + 1.15 * k, giver, g, tip + Vec3(-side * 0.02f, 0.02f, 0.0f), 0.0f);
           }});
      t += 0.85 * k;
      // Over the post: the tip goes where it puts the triangle's centre 8 mm above the post's
      // top (the triangle hangs where it was taken, as it is seen now).
      steps.push_back(
          {t, [setup, object, taker, post, k](const session::Session& s, Script& script, double at) {
             const HandRig& r = setup->rigs[static_cast<size_t>(taker)];

             const Pose tool = s.world().instrument(taker).tipPose, pose = objectPose(s, object);
             const Vec3 hold = upIn(tool.orientation, pose);
             const Vec3 hang = tool.position - pose.position;
             const Vec3 over = Vec3(post.base.x, post.top + 0.012f, post.base.z) + hang;
             const Vec3 high = over + Vec3(0.0f, 0.01f, 0.0f);
             script.add(at + 0.45 * k, taker, r, high, 1.0f, levelJaws(r, high, hold));
             script.add(at + 0.65 * k, taker, r, over, 1.0f, levelJaws(r, over, hold));
           }});
      t += 0.75 * k;
      // Onto it: correct what is left of the hole's offset from the post, as seen, lower the
      // triangle to just above the board, open and rise.
      steps.push_back(
          {t, [setup, object, taker, post, k](const session::Session& s, Script& script, double at) {
             const HandRig& r = setup->rigs[static_cast<size_t>(taker)];
             const Pose pose = objectPose(s, object), tool = s.world().instrument(taker).tipPose;
             const Vec3 c = pose.position, tip = tool.position, hold = upIn(tool.orientation, pose);
             const Vec3 over = tip + Vec3(post.base.x - c.x, 0.0f, post.base.z - c.z);
             const Vec3 low = over + Vec3(0.0f, setup->boardTop + setup->half.y + 0.004f - c.y, 0.0f);
             const Vec3 jaws = levelJaws(r, low, hold);
             script.add(at + 0.15 * k, taker, r, over, 1.0f, levelJaws(r, over, hold));
             script.add(at + 0.5 * k, taker, r, low, 1.0f, jaws);
             script.add(at + 0.6 * k, taker, r, low, 0.0f, jaws);
             script.add(at + 0.85 * k, taker, r, low + Vec3(0.0f, 0.03f, 0.0f), 0.0f, jaws);
           }});
      t += 0.85 * k;
    }
  }
  return std::unique_ptr<Bot>(std::make_unique<StepBot>(std::move(steps), t + 1.0));
}

}  // namespace trocar::replay::bots
