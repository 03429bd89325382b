#pragma once
// The checklist engine: turns a session's event stream and state into step states and
// errors, exactly as the scenario's checklist and error rules say. It is a SessionListener,
// so live runs and replays are scored by the same code from the same ticks.
//
// Meaning of conditions (syntax: trocar/scenario/Expression.h). Every condition has a
// number value; true is any non-zero value.
//   grasped(hand, target)   1 while that hand holds the tissue/region/object (from Grasp/Release)
//   contact(hand, target)   1 while that hand's instrument touches it
//   cut(tissue[, region])   cuts so far on the tissue (crossing the region, if given)
//   detached(tissue[, region])  pieces detached so far (containing the region, if given)
//   clips(tissue or region) clips applied so far
//   placed(object, zone)    objects (a '*' pattern counts all matches) at rest in the zone now
//   dropped(object[, zone]) drops so far (inside the zone, if given)
//   outside(zone)           drops so far that landed outside the zone
//   damage(tissue or region) damage events so far
//   out_of_view(hand)       1 while the instrument is out of the laparoscope's view
//   done(step)              1 once the step is done
//   time()                  seconds since the start
//   all(...), any(...), not(c), count(c) (times c became true), within(s, c) (c true no later
//   than s seconds after the step became active; for error rules, after the start),
//   held(s, c) (1 once c has been true without a break for s seconds)
//   force(target)           newtons: the larger coupling force of the instruments touching or
//                           holding the tissue/region/object now (0 when none does)
//   a >= b, a <= b, a == b, a != b, a > b, a < b

#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trocar::scoring {

enum class StepState : uint8_t { kPending, kActive, kDone, kDoneOutOfOrder, kFailed };
const char* toString(StepState state);

struct StepStatus {
  std::string id;
  std::string title;
  StepState state = StepState::kPending;
  std::optional<double> activeSinceS;  // when its prerequisites were all done
  std::optional<double> doneAtS;
  std::optional<double> failedAtS;
};

struct ErrorOccurrence {
  std::string id;
  std::string title;
  Tick tick = 0;
  double timeS = 0.0;
  double penalty = 0.0;
  bool critical = false;
  std::string cause;  // the rule's condition text
};

class ChecklistEngine : public session::SessionListener {
 public:
  // Names in the scenario's conditions are resolved against `world` (built from the same
  // scenario). The engine keeps references to neither after construction.
  ChecklistEngine(const scenario::ScenarioDesc& scenario, const physics::World& world);
  ~ChecklistEngine() override;

  void onTick(const session::TickRecord& record) override;

  const std::vector<StepStatus>& steps() const;
  const std::vector<ErrorOccurrence>& errors() const;
  bool failed() const;         // a critical error happened
  bool complete() const;       // every step done (in order or not)
  std::string prompt() const;  // what the trainee should do next ("" when complete)

 private:
  struct Impl;
  std::unique_ptr<Impl> mImpl;
};

}  // namespace trocar::scoring
