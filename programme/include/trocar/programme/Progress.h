#pragma once
// Proficiency-based progression through a curriculum (scenario/Curriculum.h): which attempts
// were proficient, and where a trainee stands.
//
// An attempt is proficient at a step when it completed the checklist and met every target
// of the step, and every metric of the scenario's benchmark where the step asks for it: each
// on its own (no compensation: a fast time does not make up for a dropped peg). A step is
// achieved once the trainee has had `consecutive` proficient attempts in a row at least once
// and `total` proficient attempts in all; later attempts do not take it back. The next step
// is the first one not achieved, in the curriculum's order; attempts at later steps still
// count for them.

#include <trocar/programme/History.h>
#include <trocar/scenario/Curriculum.h>

#include <optional>
#include <string>
#include <vector>

namespace trocar::programme {

struct AttemptVerdict {
  bool proficient = false;
  std::vector<std::string> misses;  // why not, one line each: "task_time_s 52.3 (target <= 48)"
};
AttemptVerdict judgeAttempt(const scenario::CurriculumStep& step, const Attempt& attempt);

struct StepProgress {
  const scenario::CurriculumStep* step = nullptr;
  uint32_t attempts = 0;    // at this step's scenario, by this trainee
  uint32_t proficient = 0;  // of them proficient
  uint32_t streak = 0;      // proficient attempts in a row, ending with the latest
  uint32_t bestStreak = 0;
  bool achieved = false;
  std::optional<AttemptVerdict> latest;  // the latest attempt's verdict
};

struct Progress {
  std::vector<StepProgress> steps;  // in the curriculum's order
  std::optional<size_t> next;       // the first step not achieved; none when all are
  bool complete() const { return !next.has_value(); }
};

// `attempts`: one trainee's, in order of time (History::attempts gives them so).
Progress progressOf(const scenario::Curriculum& curriculum, const std::vector<Attempt>& attempts);

// What a trainee is told after an attempt at `scenarioId` (the last of `attempts`, in order of
// time) in a curriculum: this attempt's verdict and why, the step's count and run, and what is
// next. Empty when the scenario is not a step of the curriculum.
std::vector<std::string> standingLines(const scenario::Curriculum& curriculum,
                                       const std::vector<Attempt>& attempts, const std::string& scenarioId);

}  // namespace trocar::programme
