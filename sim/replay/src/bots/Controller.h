#pragma once
// Shared pieces of the controller bots: a keyframe script the controller extends as it plans,
// placing a tool tip through its port, and finding where a point of a cloth lies now.

#include <trocar/instruments/Instrument.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/replay/Bot.h>

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <vector>

namespace trocar::replay::bots {

// A hand's instrument of this kind as the scenario sets it up: its `kind` or one it can
// exchange for.
struct HandRig {
  instruments::InstrumentSpec spec;
  std::optional<instruments::Port> port;
  uint8_t instrument = 0;  // its index in the hand's tray (keys with this rig ask for it)
};
Result<HandRig> handRig(const scenario::ScenarioDesc& s, instruments::Hand hand,
                        instruments::InstrumentKind kind, const std::string& botName);

// The hand pose that puts the tool tip at `tip`, its jaws opening along `jawDir` (projected
// normal to the shaft). Through a port the shaft runs from the tip to the port; in open
// surgery it points down.
Pose handForTip(const HandRig& rig, const Vec3& tip, const Vec3& jawDir);

// Keyframes appended in time order; a hand not given at a key holds its last value.
class Script {
 public:
  void add(double t, instruments::Hand hand, const HandRig& rig, const Vec3& tip, float trigger,
           const Vec3& jawDir = Vec3(0.0f));
  physics::InputFrame sample(double t) const { return mTimeline.sample(t); }
  // Both hands stay where they are until `t`: a key added later moves them from there, not
  // from wherever the previous key was (which would jump the hands the moment it is added).
  void hold(double t);
  double end() const { return mTimeline.duration(); }

 private:
  Timeline mTimeline;
};

// Where the cloth point at `clothXZ` (metres from the cloth's centre in its plane) is now:
// the current positions of the rest triangle that holds it, interpolated.
Vec3 clothPointNow(const physics::WorldSnapshot& snap, uint32_t tissue, const Pose& clothPose, Vec2 clothXZ);

// A planned step: when it starts and what it does (reads the world, adds keyframes).
struct Step {
  double start = 0.0;
  std::function<void(const session::Session&, Script&, double start)> plan;
};

// Runs steps in order as their start times come; the script they write drives the hands.
class StepBot : public Bot {
 public:
  StepBot(std::vector<Step> steps, double duration) : mSteps(std::move(steps)), mDuration(duration) {}
  physics::InputFrame next(const session::Session& session) override;
  double duration() const override { return mDuration; }

 private:
  std::vector<Step> mSteps;
  size_t mNext = 0;
  Script mScript;
  double mDuration;
};

// Reading parameters: every key must be known; numbers in range; errors at file:line:col.
class Params {
 public:
  Params(const YAML::Node& root, std::string name) : mRoot(root), mName(std::move(name)) {}
  Result<double> number(const char* key, double fallback, double lo, double hi);
  Result<std::string> text(const char* key, const std::string& fallback);
  Result<bool> flag(const char* key, bool fallback);
  // The raw node (null when absent), for list-valued keys.
  YAML::Node node(const char* key) {
    mKnown.emplace_back(key);
    return mRoot[key];
  }
  // Fails on keys that no reader asked for (typos).
  Result<void> finish();
  Error error(const YAML::Node& at, const std::string& what, const std::string& hint) const;

 private:
  YAML::Node mRoot;
  std::string mName;
  std::vector<std::string> mKnown{"controller"};
};

Result<std::unique_ptr<Bot>> makeCholecystectomy(Params& p, const scenario::ScenarioDesc& s);
Result<std::unique_ptr<Bot>> makePatternCutting(Params& p, const scenario::ScenarioDesc& s);
Result<std::unique_ptr<Bot>> makePegTransfer(Params& p, const scenario::ScenarioDesc& s);

}  // namespace trocar::replay::bots
