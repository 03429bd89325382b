#include "Controller.h"

#include <cmath>

namespace trocar::replay::bots {

Result<HandRig> handRig(const scenario::ScenarioDesc& s, instruments::Hand hand,
                        instruments::InstrumentKind kind, const std::string& botName) {
  const char* side = hand == instruments::Hand::kLeft ? "left" : "right";
  auto it = s.instruments.find(hand);
  int index = -1;
  if (it != s.instruments.end()) {
    if (it->second.kind == kind) index = 0;
    for (size_t i = 0; i < it->second.exchange.size() && index < 0; ++i) {
      if (it->second.exchange[i] == kind) index = static_cast<int>(i + 1);
    }
  }
  if (index < 0) {
    return makeError(ErrorCode::kInvalidInput,
                     botName + ": this bot needs a " + instruments::toString(kind) + " in the " + side +
                         " hand, and scenario '" + s.id + "' does not have one",
                     "use the bot with the scenario it was written for");
  }
  HandRig rig;
  rig.spec = instruments::defaultSpec(kind);
  rig.instrument = static_cast<uint8_t>(index);
  if (!it->second.port.empty()) {
    for (const auto& p : s.ports) {
      if (p.id == it->second.port) rig.port = p;
    }
  }
  return rig;
}

Pose handForTip(const HandRig& rig, const Vec3& tip, const Vec3& jawDir) {
  // Tool +Z runs from the tip back along the shaft.
  Vec3 z = rig.port ? glm::normalize(rig.port->position - tip) : Vec3(0.0f, 1.0f, 0.0f);
  Vec3 want = glm::length(jawDir) > 0.0f ? jawDir : (std::abs(z.y) < 0.9f ? Vec3(0, 1, 0) : Vec3(1, 0, 0));
  Vec3 y = want - z * glm::dot(want, z);
  if (glm::length(y) < 1e-6f) y = std::abs(z.y) < 0.9f ? Vec3(0, 1, 0) : Vec3(1, 0, 0);
  y = glm::normalize(y - z * glm::dot(y, z));
  Vec3 x = glm::cross(y, z);
  Pose hand;
  hand.orientation = glm::normalize(glm::quat_cast(glm::mat3(x, y, z)));
  hand.position = tip + z * rig.spec.shaftLength;
  return hand;
}

void Script::add(double t, instruments::Hand hand, const HandRig& rig, const Vec3& tip, float trigger,
                 const Vec3& jawDir) {
  const size_t h = static_cast<size_t>(hand);
  if (mTimeline.keys.empty() || mTimeline.keys.back().t < t) {
    Timeline::Key key;
    key.t = t;
    if (!mTimeline.keys.empty()) key.hands = mTimeline.keys.back().hands;
    mTimeline.keys.push_back(key);
  }
  physics::HandInput in;
  in.pose = handForTip(rig, tip, jawDir);
  in.trigger = trigger;
  in.instrument = rig.instrument;
  in.tracked = true;
  // Keys are appended in time order; a key at an earlier time than the last one is a
  // controller bug, caught by the tests (it would be ignored by the sampler).
  Timeline::Key& key = mTimeline.keys.back();
  key.hands[h] = in;
  if (!mTimeline.used[h]) {
    // A hand that starts later holds its first pose from the start.
    mTimeline.used[h] = true;
    for (auto& k : mTimeline.keys) {
      if (!k.hands[h]) k.hands[h] = in;
    }
  }
}

void Script::hold(double t) {
  if (mTimeline.keys.empty() || mTimeline.keys.back().t >= t) return;
  Timeline::Key key = mTimeline.keys.back();
  key.t = t;
  mTimeline.keys.push_back(key);
}

Vec3 clothPointNow(const physics::WorldSnapshot& snap, uint32_t tissue, const Pose& clothPose, Vec2 clothXZ) {
  return physics::clothPointNow(snap.tissues[tissue], clothPose, clothXZ);
}

physics::InputFrame StepBot::next(const session::Session& session) {
  const double now = session.timeSeconds();
  while (mNext < mSteps.size() && mSteps[mNext].start <= now + 1e-9) {
    mScript.hold(mSteps[mNext].start);
    mSteps[mNext].plan(session, mScript, mSteps[mNext].start);
    ++mNext;
  }
  return mScript.sample(now);
}

Error Params::error(const YAML::Node& at, const std::string& what, const std::string& hint) const {
  SourceLocation where;
  where.file = mName;
  if (at.Mark().line >= 0) {
    where.line = static_cast<uint32_t>(at.Mark().line) + 1;
    where.column = static_cast<uint32_t>(at.Mark().column) + 1;
  }
  return makeError(ErrorCode::kInvalidInput, what, where, hint);
}

Result<double> Params::number(const char* key, double fallback, double lo, double hi) {
  mKnown.emplace_back(key);
  const YAML::Node n = mRoot[key];
  if (!n) return fallback;
  char* end = nullptr;
  const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < lo || v > hi) {
    char hint[96];
    std::snprintf(hint, sizeof(hint), "a number from %g to %g", lo, hi);
    return error(n, std::string(key) + " must be a number in range", hint);
  }
  return v;
}

Result<std::string> Params::text(const char* key, const std::string& fallback) {
  mKnown.emplace_back(key);
  const YAML::Node n = mRoot[key];
  if (!n) return fallback;
  if (!n.IsScalar() || n.Scalar().empty())
    return error(n, std::string(key) + " must be a name", "e.g. gauze");
  return n.Scalar();
}

Result<bool> Params::flag(const char* key, bool fallback) {
  mKnown.emplace_back(key);
  const YAML::Node n = mRoot[key];
  if (!n) return fallback;
  if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false"))
    return error(n, std::string(key) + " must be true or false", "e.g. rough_start: true");
  return n.Scalar() == "true";
}

Result<void> Params::finish() {
  for (auto it = mRoot.begin(); it != mRoot.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (std::find(mKnown.begin(), mKnown.end(), key) == mKnown.end()) {
      std::string known;
      for (size_t i = 1; i < mKnown.size(); ++i) known += (i > 1 ? ", " : "") + mKnown[i];
      return error(it->first, "unknown key '" + key + "' for this controller", "known keys: " + known);
    }
  }
  return success();
}

}  // namespace trocar::replay::bots
