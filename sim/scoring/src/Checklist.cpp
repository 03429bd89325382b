#include <trocar/scoring/Checklist.h>

#include <trocar/core/Assert.h>

#include <algorithm>
#include <map>

namespace trocar::scoring {

using physics::Event;
using physics::EventKind;
using scenario::Expr;
using scenario::Function;
using scenario::Operator;

const char* toString(StepState state) {
  switch (state) {
    case StepState::kPending: return "pending";
    case StepState::kActive: return "active";
    case StepState::kDone: return "done";
    case StepState::kDoneOutOfOrder: return "done_out_of_order";
    case StepState::kFailed: return "failed";
  }
  return "?";
}

namespace {

bool globMatches(const std::string& pattern, std::string_view name) {
  size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern == name;
  std::string_view prefix(pattern.data(), star), suffix(pattern.data() + star + 1, pattern.size() - star - 1);
  return name.size() >= prefix.size() + suffix.size() && name.substr(0, prefix.size()) == prefix &&
         name.substr(name.size() - suffix.size()) == suffix;
}

}  // namespace

struct ChecklistEngine::Impl {
  // What a name in a condition refers to.
  struct Target {
    uint32_t tissue = physics::kInvalidIndex;
    uint32_t region = physics::kInvalidIndex;  // with tissue
    std::vector<uint32_t> rigids;              // objects matching a name or pattern
    uint32_t zone = physics::kInvalidIndex;
    int hand = -1;
    std::string step;
  };
  struct Grasp {
    bool active = false;
    uint32_t tissue = physics::kInvalidIndex;
    std::vector<uint32_t> regions;
    uint32_t rigid = physics::kInvalidIndex;
  };
  struct EdgeState {
    bool previous = false;
    double count = 0.0;
    double trueSince = 0.0;  // when the condition last became true
  };

  std::vector<scenario::ChecklistStep> checklist;
  std::vector<scenario::ErrorRule> rules;
  std::vector<StepStatus> steps;
  std::vector<ErrorOccurrence> errors;
  std::vector<double> ruleValue;  // last value of each rule's condition
  std::map<std::string, Target> names;
  std::vector<Event> history;             // cuts, detachments, clips, drops, damage
  std::map<uint32_t, uint32_t> placedIn;  // rigid -> zone while it rests there
  std::array<Grasp, physics::kHandCount> grasps{};
  std::array<bool, physics::kHandCount> outOfView{};
  std::map<const Expr*, EdgeState> edges;
  const physics::World* world = nullptr;  // valid during onTick only
  double now = 0.0;
  bool failed = false;

  Impl(const scenario::ScenarioDesc& s, const physics::World& w) : checklist(s.checklist), rules(s.errors) {
    for (const auto& step : checklist) steps.push_back({step.id, step.title});
    ruleValue.assign(rules.size(), 0.0);
    names["left"].hand = 0;
    names["right"].hand = 1;
    for (uint32_t t = 0; t < w.tissueCount(); ++t) {
      names[std::string(w.tissueName({t}))].tissue = t;
    }
    for (const auto& r : s.regions) {
      auto tissue = w.findTissue(r.tissue);
      if (!tissue) continue;
      auto region = w.findRegion(*tissue, r.id);
      if (!region) continue;
      names[r.id].tissue = tissue->index;
      names[r.id].region = *region;
    }
    for (uint32_t i = 0; i < s.zones.size(); ++i) names[s.zones[i].name].zone = i;
    for (const auto& step : checklist) names[step.id].step = step.id;
    // Object names and patterns are resolved on use (a pattern matches many).
    for (uint32_t i = 0; i < w.rigidCount(); ++i) rigidNames.emplace_back(w.rigidName({i}));
  }

  std::vector<std::string> rigidNames;

  Target resolve(const Expr& e) const {
    if (e.kind != Expr::Kind::kName) return {};
    auto it = names.find(e.text);
    Target t = it == names.end() ? Target{} : it->second;
    for (uint32_t i = 0; i < rigidNames.size(); ++i) {
      if (globMatches(e.text, rigidNames[i])) t.rigids.push_back(i);
    }
    return t;
  }

  // Does an event's tissue/region/object match target `t`?
  static bool matches(const Event& ev, const Target& t) {
    if (t.region != physics::kInvalidIndex) {
      return ev.tissue.index == t.tissue &&
             std::find(ev.regions.begin(), ev.regions.end(), t.region) != ev.regions.end();
    }
    if (t.tissue != physics::kInvalidIndex) return ev.tissue.index == t.tissue;
    if (!t.rigids.empty())
      return std::find(t.rigids.begin(), t.rigids.end(), ev.rigid.index) != t.rigids.end();
    return false;
  }

  double countEvents(EventKind kind, const Target& t, const Target* zone = nullptr) const {
    double n = 0;
    for (const Event& ev : history) {
      if (ev.kind != kind || !matches(ev, t)) continue;
      if (zone && ev.zone.index != zone->zone) continue;
      ++n;
    }
    return n;
  }

  bool handTouches(int hand, const Target& t) const {
    const physics::InstrumentState& s = world->instrument(static_cast<physics::Hand>(hand));
    if (!s.inContact) return false;
    if (t.region != physics::kInvalidIndex) {
      return s.touchedTissue.index == t.tissue &&
             std::find(s.touchedRegions.begin(), s.touchedRegions.end(), t.region) != s.touchedRegions.end();
    }
    if (t.tissue != physics::kInvalidIndex) return s.touchedTissue.index == t.tissue;
    return std::find(t.rigids.begin(), t.rigids.end(), s.touchedRigid.index) != t.rigids.end();
  }

  bool handHolds(int hand, const Target& t) const {
    const Grasp& g = grasps[static_cast<size_t>(hand)];
    if (!g.active) return false;
    if (t.region != physics::kInvalidIndex) {
      return g.tissue == t.tissue &&
             std::find(g.regions.begin(), g.regions.end(), t.region) != g.regions.end();
    }
    if (t.tissue != physics::kInvalidIndex) return g.tissue == t.tissue;
    return std::find(t.rigids.begin(), t.rigids.end(), g.rigid) != t.rigids.end();
  }

  double eval(const Expr& e, std::optional<double> since) {
    switch (e.kind) {
      case Expr::Kind::kNumber: return e.number;
      case Expr::Kind::kName: return 0.0;  // names only appear as arguments
      case Expr::Kind::kCompare: {
        const double a = eval(e.args[0], since), b = eval(e.args[1], since);
        switch (e.op) {
          case Operator::kGreaterOrEqual: return a >= b;
          case Operator::kLessOrEqual: return a <= b;
          case Operator::kEqual: return a == b;
          case Operator::kNotEqual: return a != b;
          case Operator::kGreater: return a > b;
          case Operator::kLess: return a < b;
        }
        return 0.0;
      }
      case Expr::Kind::kCall: return call(e, since);
    }
    return 0.0;
  }

  // One function of the table (Expression.h); every one has its case.
  double call(const Expr& e, std::optional<double> since) {
    auto arg = [&](size_t i) { return resolve(e.args[i]); };
    switch (e.function) {
      case Function::kAll: {
        bool all = true;
        for (const Expr& a : e.args) all = eval(a, since) != 0.0 && all;
        return all;
      }
      case Function::kAny: {
        bool any = false;
        for (const Expr& a : e.args) any = eval(a, since) != 0.0 || any;
        return any;
      }
      case Function::kNot: return eval(e.args[0], since) == 0.0;
      case Function::kCount: {
        EdgeState& s = edges[&e];
        bool value = eval(e.args[0], since) != 0.0;
        if (value && !s.previous) s.count += 1.0;
        s.previous = value;
        return s.count;
      }
      case Function::kWithin: {
        double limit = eval(e.args[0], since);
        double start = since.value_or(0.0);
        return eval(e.args[1], since) != 0.0 && now - start <= limit;
      }
      case Function::kHeld: {
        EdgeState& s = edges[&e];
        const bool value = eval(e.args[1], since) != 0.0;
        if (value && !s.previous) s.trueSince = now;
        s.previous = value;
        return value && now - s.trueSince >= eval(e.args[0], since);
      }
      case Function::kForce: {
        const Target t = arg(0);
        double most = 0.0;
        for (int hand = 0; world && hand < physics::kHandCount; ++hand) {
          if (!handTouches(hand, t) && !handHolds(hand, t)) continue;
          const physics::InstrumentState& s = world->instrument(static_cast<physics::Hand>(hand));
          most = std::max(most, static_cast<double>(glm::length(s.couplingForce)));
        }
        return most;
      }
      case Function::kTime: return now;
      case Function::kDone: {
        const std::string& id = e.args[0].text;
        for (const auto& s : steps) {
          if (s.id == id) return s.state == StepState::kDone || s.state == StepState::kDoneOutOfOrder;
        }
        return 0.0;
      }
      case Function::kGrasped: return handHolds(arg(0).hand, arg(1));
      case Function::kContact: return handTouches(arg(0).hand, arg(1));
      case Function::kOutOfView: return outOfView[static_cast<size_t>(std::max(0, arg(0).hand))];
      case Function::kCut: return countEvents(EventKind::kCut, e.args.size() > 1 ? arg(1) : arg(0));
      case Function::kDetached: return countEvents(EventKind::kDetached, e.args.size() > 1 ? arg(1) : arg(0));
      case Function::kClips: return countEvents(EventKind::kClipApplied, arg(0));
      case Function::kDamage: return countEvents(EventKind::kDamage, arg(0));
      case Function::kBleeding: return countEvents(EventKind::kBleeding, arg(0));
      case Function::kBloodLoss: return world ? world->bloodLossMl() : 0.0;
      case Function::kDropped: {
        Target zone = e.args.size() > 1 ? arg(1) : Target{};
        return countEvents(EventKind::kDropped, arg(0), e.args.size() > 1 ? &zone : nullptr);
      }
      case Function::kOutside: {
        Target zone = arg(0);
        double n = 0;
        for (const Event& ev : history) n += ev.kind == EventKind::kDropped && ev.zone.index != zone.zone;
        return n;
      }
      case Function::kPlaced: {
        Target objects = arg(0), zone = arg(1);
        double n = 0;
        for (const auto& [rigid, z] : placedIn) {
          n += z == zone.zone &&
               std::find(objects.rigids.begin(), objects.rigids.end(), rigid) != objects.rigids.end();
        }
        return n;
      }
      case Function::kUnknown: break;
    }
    TROCAR_ASSERT(false, "a condition calls an unknown function: the scenario validator lets none through");
    return 0.0;
  }

  void absorb(const Event& ev) {
    switch (ev.kind) {
      case EventKind::kGrasp:
        if (ev.hand) {
          Grasp& g = grasps[static_cast<size_t>(*ev.hand)];
          g = {true, ev.tissue.index, ev.regions, ev.rigid.index};
          if (ev.rigid.valid()) placedIn.erase(ev.rigid.index);
        }
        break;
      case EventKind::kRelease:
        if (ev.hand) grasps[static_cast<size_t>(*ev.hand)] = {};
        break;
      case EventKind::kOutOfViewBegin:
      case EventKind::kOutOfViewEnd:
        if (ev.hand) outOfView[static_cast<size_t>(*ev.hand)] = ev.kind == EventKind::kOutOfViewBegin;
        break;
      case EventKind::kPlaced:
        placedIn[ev.rigid.index] = ev.zone.index;
        history.push_back(ev);
        break;
      case EventKind::kDropped:
        placedIn.erase(ev.rigid.index);
        history.push_back(ev);
        break;
      case EventKind::kCut:
      case EventKind::kDetached:
      case EventKind::kClipApplied:
      case EventKind::kBleeding:
      case EventKind::kDamage: history.push_back(ev); break;
      default: break;
    }
  }

  void tick(const session::TickRecord& r) {
    world = r.world;
    now = r.world->clock().secondsAt(r.tick);
    for (const Event& ev : r.events) absorb(ev);
    // Activation: a pending step becomes active once every step it waits for is done.
    auto isDone = [&](const std::string& id) {
      for (const auto& s : steps) {
        if (s.id == id) return s.state == StepState::kDone || s.state == StepState::kDoneOutOfOrder;
      }
      return false;
    };
    // In list order, so a step whose last prerequisite is done this tick (earlier in the
    // list) is active, not out of order, when it is done in the same tick.
    for (size_t i = 0; i < steps.size(); ++i) {
      StepStatus& s = steps[i];
      if (s.state == StepState::kPending &&
          std::all_of(checklist[i].after.begin(), checklist[i].after.end(), isDone)) {
        s.state = StepState::kActive;
        s.activeSinceS = now;
      }
      if (s.state == StepState::kDone || s.state == StepState::kDoneOutOfOrder ||
          s.state == StepState::kFailed)
        continue;
      if (eval(checklist[i].doneWhen, s.activeSinceS) != 0.0) {
        s.state = s.state == StepState::kActive ? StepState::kDone : StepState::kDoneOutOfOrder;
        s.doneAtS = now;
      } else if (s.state == StepState::kActive && checklist[i].timeLimitS &&
                 now - *s.activeSinceS > *checklist[i].timeLimitS) {
        s.state = StepState::kFailed;
        s.failedAtS = now;
      }
    }
    // Error rules: an occurrence each time the condition's value rises.
    for (size_t i = 0; i < rules.size(); ++i) {
      double v = eval(rules[i].when, 0.0);
      double before = ruleValue[i];
      ruleValue[i] = v;
      if (v == 0.0 || v <= before) continue;
      int occurrences = std::max(1, static_cast<int>(v - before));  // several events in one tick
      for (int k = 0; k < occurrences; ++k) {
        errors.push_back({rules[i].id, rules[i].title, r.tick, now, rules[i].penalty, rules[i].critical,
                          rules[i].whenText});
      }
      if (rules[i].critical) failed = true;
    }
    world = nullptr;
  }
};

ChecklistEngine::ChecklistEngine(const scenario::ScenarioDesc& scenario, const physics::World& world)
    : mImpl(std::make_unique<Impl>(scenario, world)) {}
ChecklistEngine::~ChecklistEngine() = default;

void ChecklistEngine::onTick(const session::TickRecord& record) {
  mImpl->tick(record);
}
const std::vector<StepStatus>& ChecklistEngine::steps() const {
  return mImpl->steps;
}
const std::vector<ErrorOccurrence>& ChecklistEngine::errors() const {
  return mImpl->errors;
}
bool ChecklistEngine::failed() const {
  return mImpl->failed;
}

bool ChecklistEngine::complete() const {
  return std::all_of(mImpl->steps.begin(), mImpl->steps.end(), [](const StepStatus& s) {
    return s.state == StepState::kDone || s.state == StepState::kDoneOutOfOrder;
  });
}

std::string ChecklistEngine::prompt() const {
  for (size_t i = 0; i < mImpl->steps.size(); ++i) {
    if (mImpl->steps[i].state != StepState::kActive) continue;
    const auto& step = mImpl->checklist[i];
    return step.prompt.empty() ? "Next: " + step.title : step.prompt;
  }
  return {};
}

}  // namespace trocar::scoring
