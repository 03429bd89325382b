#include <trocar/core/File.h>
#include <trocar/replay/Timeline.h>

#include "bots/Controller.h"

#include <yaml-cpp/yaml.h>

#include <cmath>

namespace trocar::replay {
namespace {

Error at(const std::string& name, const YAML::Node& n, const std::string& what, const std::string& hint) {
  SourceLocation where;
  where.file = name;
  if (n.Mark().line >= 0) {
    where.line = static_cast<uint32_t>(n.Mark().line) + 1;
    where.column = static_cast<uint32_t>(n.Mark().column) + 1;
  }
  return makeError(ErrorCode::kInvalidInput, what, where, hint);
}

std::optional<double> number(const YAML::Node& n) {
  if (!n.IsScalar()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(n.Scalar().c_str(), &end);
  if (n.Scalar().empty() || end != n.Scalar().c_str() + n.Scalar().size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<Vec3> vec3(const YAML::Node& n) {
  if (!n.IsSequence() || n.size() != 3) return std::nullopt;
  Vec3 v;
  for (size_t i = 0; i < 3; ++i) {
    auto x = number(n[i]);
    if (!x) return std::nullopt;
    v[static_cast<int>(i)] = static_cast<float>(*x);
  }
  return v;
}

}  // namespace

physics::InputFrame Timeline::sample(double t) const {
  physics::InputFrame f;
  for (size_t h = 0; h < physics::kHandCount; ++h) f.hands[h].tracked = false;
  if (keys.empty()) return f;
  size_t i = 0;
  while (i + 1 < keys.size() && keys[i + 1].t <= t) ++i;
  const Key& a = keys[i];
  const Key& b = i + 1 < keys.size() ? keys[i + 1] : keys[i];
  float u = b.t > a.t ? static_cast<float>(std::clamp((t - a.t) / (b.t - a.t), 0.0, 1.0)) : 0.0f;
  for (size_t h = 0; h < physics::kHandCount; ++h) {
    if (!used[h] || !a.hands[h] || !b.hands[h]) continue;
    const physics::HandInput &x = *a.hands[h], &y = *b.hands[h];
    physics::HandInput& out = f.hands[h];
    out.pose = interpolate(x.pose, y.pose, u);
    out.trigger = x.trigger + (y.trigger - x.trigger) * u;
    out.grip = x.grip + (y.grip - x.grip) * u;
    out.instrument = u < 1.0f ? x.instrument : y.instrument;  // a switch, not a blend
    out.tracked = true;
  }
  return f;
}

Result<Timeline> parseTimeline(const std::string& text, const std::string& name,
                               const scenario::ScenarioDesc* scenario) {
  // The scenario's world settled, built the first time a keyframe aims at a region.
  std::unique_ptr<session::Session> atRest;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where;
    where.file = name;
    where.line = static_cast<uint32_t>(std::max(0, e.mark.line)) + 1;
    where.column = static_cast<uint32_t>(std::max(0, e.mark.column)) + 1;
    return makeError(ErrorCode::kInvalidInput, "not valid YAML: " + e.msg, where,
                     "check indentation and brackets");
  }
  if (!root.IsMap() || !root["keyframes"] || !root["keyframes"].IsSequence() ||
      root["keyframes"].size() == 0) {
    return at(name, root, "a timeline needs a non-empty 'keyframes' list",
              "keyframes: [{t: 0, left: {position: [0, 1, -0.3]}}]");
  }
  Timeline tl;
  std::array<std::optional<physics::HandInput>, physics::kHandCount> last{};
  double lastT = -1.0;
  for (const auto& k : root["keyframes"]) {
    if (!k.IsMap())
      return at(name, k, "a keyframe must be a mapping", "{t: seconds, left: {...}, right: {...}}");
    for (auto it = k.begin(); it != k.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (key != "t" && key != "left" && key != "right")
        return at(name, it->first, "unknown key '" + key + "' in a keyframe", "use t, left, right");
    }
    auto t = k["t"] ? number(k["t"]) : std::nullopt;
    if (!t || *t < 0.0 || *t > 36000.0)
      return at(name, k, "a keyframe needs a time t in seconds (0..36000)", "e.g. t: 1.5");
    if (*t <= lastT) return at(name, k["t"], "keyframe times must increase", "sort the keyframes by t");
    lastT = *t;
    Timeline::Key key;
    key.t = *t;
    for (size_t h = 0; h < physics::kHandCount; ++h) {
      const char* handName = h == 0 ? "left" : "right";
      const YAML::Node hn = k[handName];
      if (hn) {
        if (!hn.IsMap())
          return at(name, hn, std::string(handName) + " must be a mapping",
                    "{position: [x, y, z], rotation_deg: [x, y, z], trigger: 0..1}");
        physics::HandInput in = last[h].value_or(physics::HandInput{});
        for (auto it = hn.begin(); it != hn.end(); ++it) {
          std::string f = it->first.IsScalar() ? it->first.Scalar() : "";
          if (f == "position") {
            auto p = vec3(it->second);
            if (!p)
              return at(name, it->second, "position must be [x, y, z] in metres", "e.g. [0, 1.1, -0.3]");
            in.pose.position = *p;
          } else if (f == "rotation_deg") {
            auto r = vec3(it->second);
            if (!r)
              return at(name, it->second, "rotation_deg must be [x, y, z] in degrees",
                        "e.g. [-90, 0, 0] points the tool down");
            Vec3 rad = glm::radians(*r);
            in.pose.orientation = glm::angleAxis(rad.y, Vec3(0, 1, 0)) *
                                  glm::angleAxis(rad.x, Vec3(1, 0, 0)) * glm::angleAxis(rad.z, Vec3(0, 0, 1));
          } else if (f == "trigger" || f == "grip") {
            auto v = number(it->second);
            if (!v || *v < 0.0 || *v > 1.0)
              return at(name, it->second, f + " must be a number in [0, 1]", "0 is released, 1 squeezed");
            (f == "trigger" ? in.trigger : in.grip) = static_cast<float>(*v);
          } else if (f == "tip" || f == "aim") {
            // Where the tool tip goes; the hand pose that puts it there is worked out below,
            // once the keyframe's instrument is known.
            if (!scenario) {
              return at(name, it->first, f + " needs the scenario the timeline is played in",
                        "use it through trocar record SCENARIO --bot FILE");
            }
            continue;
          } else if (f == "instrument") {
            auto v = number(it->second);
            if (!v || *v < 0.0 || *v > 127.0 || *v != std::floor(*v))
              return at(name, it->second, "instrument must be a whole number from 0 to 127",
                        "the index in the hand's instruments: 0 is `kind`, 1 the first of `exchange`");
            in.instrument = static_cast<uint8_t>(*v);
          } else {
            return at(name, it->first, "unknown key '" + f + "' for a hand",
                      "use position (the hand) or tip / aim (the tool tip), rotation_deg, trigger, grip, "
                      "instrument");
          }
        }
        if (const YAML::Node tipNode = hn["tip"] ? hn["tip"] : hn["aim"]) {
          if (hn["tip"] && hn["aim"])
            return at(name, hn["aim"], "a hand has tip or aim, not both", "keep one");
          if (hn["position"] || hn["rotation_deg"]) {
            return at(name, tipNode, "tip and aim set the hand's pose: leave out position and rotation_deg",
                      "give the hand's position, or where the tool tip goes, not both");
          }
          std::optional<Vec3> tip;
          if (hn["tip"]) {
            tip = vec3(tipNode);
            if (!tip)
              return at(name, tipNode, "tip must be [x, y, z] in metres", "e.g. tip: [0, 1.0, -0.45]");
          } else {
            if (!tipNode.IsMap() || !tipNode["region"] || !tipNode["region"].IsScalar()) {
              return at(name, tipNode, "aim must be {region: R} or {region: R, offset_mm: [x, y, z]}",
                        "the tip goes to the middle of the region's nodes at rest, moved by offset_mm");
            }
            const std::string region = tipNode["region"].Scalar();
            const scenario::RegionDesc* desc = nullptr;
            for (const auto& r : scenario->regions)
              if (r.id == region) desc = &r;
            if (!desc) return at(name, tipNode["region"], "no region '" + region + "' in the scenario", "");
            Vec3 offset(0.0f);
            if (const YAML::Node o = tipNode["offset_mm"]) {
              auto v = vec3(o);
              if (!v)
                return at(name, o, "offset_mm must be [x, y, z] in millimetres", "e.g. offset_mm: [0, 5, 0]");
              offset = *v * 0.001f;
            }
            if (!atRest) {
              // Settled for a second with no hands, as the trainee first sees it (a sheet
              // pinned at its corners has sagged by then).
              auto built = scenario::buildSession(*scenario);
              if (!built.ok()) return built.error();
              atRest = std::move(built).value();
              physics::InputFrame none;
              for (auto& hand : none.hands) hand.tracked = false;
              for (uint32_t tick = 0; tick < scenario->tickHz; ++tick) atRest->step(none);
            }
            const physics::World& world = atRest->world();
            const auto tissue = world.findTissue(desc->tissue);
            const auto index = tissue ? world.findRegion(*tissue, region) : std::nullopt;
            const auto nodes = index ? world.regionNodes(*tissue, *index) : std::span<const uint32_t>();
            if (nodes.empty()) return at(name, tipNode["region"], "region '" + region + "' has no nodes", "");
            Vec3 sum(0.0f);
            for (uint32_t n : nodes) sum += world.nodePosition(*tissue, n);
            const Vec3 middle = sum / static_cast<float>(nodes.size());
            // On the drawn surface: where the tool, coming in as it does (down in open surgery,
            // from its port through a laparoscope's), first meets the tissue on its way to the
            // nodes' middle (inside an anatomy pack's detailed surface, or off a curved sheet).
            Vec3 approach(0.0f, -1.0f, 0.0f);
            if (const auto s = scenario->instruments.find(static_cast<instruments::Hand>(h));
                s != scenario->instruments.end() && !s->second.port.empty()) {
              for (const auto& p : scenario->ports) {
                if (p.id == s->second.port && glm::length(middle - p.position) > 1e-4f)
                  approach = glm::normalize(middle - p.position);
              }
            }
            constexpr float kBackM = 0.05f;  // the ray starts this far back along the approach
            const auto hit = world.castRay(middle - approach * kBackM, approach, 2.0f * kBackM, *tissue);
            tip = (hit ? hit->position : middle) + offset;
          }
          const auto hand = static_cast<instruments::Hand>(h);
          const auto setup = scenario->instruments.find(hand);
          if (setup == scenario->instruments.end())
            return at(name, tipNode, std::string("scenario has no ") + handName + " instrument", "");
          std::vector<instruments::InstrumentKind> tray{setup->second.kind};
          tray.insert(tray.end(), setup->second.exchange.begin(), setup->second.exchange.end());
          const instruments::InstrumentKind kind = tray[std::min<size_t>(in.instrument, tray.size() - 1)];
          auto rig = bots::handRig(*scenario, hand, kind, name);
          if (!rig.ok()) return rig.error();
          in.pose = bots::handForTip(rig.value(), *tip, Vec3(0.0f));
        }
        in.tracked = true;
        last[h] = in;
        tl.used[h] = true;
      }
      key.hands[h] = last[h];
    }
    tl.keys.push_back(key);
  }
  // Hands that first appear later hold their first values from the start.
  for (size_t h = 0; h < physics::kHandCount; ++h) {
    std::optional<physics::HandInput> first;
    for (const auto& k : tl.keys) {
      if (k.hands[h]) {
        first = k.hands[h];
        break;
      }
    }
    for (auto& k : tl.keys) {
      if (!k.hands[h]) k.hands[h] = first;
    }
  }
  return tl;
}

Result<Timeline> loadTimeline(const std::filesystem::path& file, const scenario::ScenarioDesc* scenario) {
  auto text = readFileText(file);
  if (!text.ok()) return text.error();
  return parseTimeline(text.value(), file.string(), scenario);
}

}  // namespace trocar::replay
