#pragma once
// A curriculum: scenarios in order, each with its proficiency rule (proficiency-based
// progression: a trainee moves on when proficient, not after a fixed number of attempts).
//
//   format: trocar.curriculum/1
//   id: fls-manual-skills
//   title: FLS manual skills
//   steps:
//     - scenario: fls-peg-transfer          # a scenario id (scenarios/<id>/scenario.yaml)
//       targets:                             # every one met in the same attempt (no compensation)
//         task_time_s: {max: 48}
//         pegs_dropped: {max: 0}
//       benchmark: false                     # true: also every metric of the scenario's benchmark
//       consecutive: 2                       # proficient attempts in a row, at least once
//       total: 12                            # proficient attempts in all (the run above counts)
//
// Target names are the benchmark metrics (scenario::benchmarkMetricTable; sim/scoring/REPORT.md).
// An attempt that did not complete the checklist is not proficient. The rule's evaluation is
// programme::progressOf; this header reads and checks the file (errors at file:line:column).

#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trocar::scenario {

struct ProficiencyTarget {
  std::string metric;              // a benchmark metric's name
  std::optional<double> min, max;  // the value must lie within (either may be absent)
  bool met(double value) const { return (!min || value >= *min) && (!max || value <= *max); }
  std::string toString() const;  // "task_time_s <= 48"
};

struct CurriculumStep {
  std::string scenario;  // id
  std::string title;     // optional; the scenario's own title where empty
  std::vector<ProficiencyTarget> targets;
  bool benchmark = false;    // also every metric of the scenario's benchmark met
  uint32_t consecutive = 1;  // a run of this many proficient attempts, at least once
  uint32_t total = 1;        // and this many proficient attempts in all
  SourceLocation where;      // the step's `scenario:` in the file
};

struct Curriculum {
  std::filesystem::path file;
  std::string id, title;
  std::vector<CurriculumStep> steps;
  const CurriculumStep* find(const std::string& scenarioId) const;
};

struct CurriculumLoad {
  std::optional<Curriculum> curriculum;
  std::vector<Error> errors;  // every problem, each at file:line:column
};
CurriculumLoad loadCurriculumFile(const std::filesystem::path& file);
CurriculumLoad parseCurriculum(const std::string& text, const std::filesystem::path& file);

}  // namespace trocar::scenario
