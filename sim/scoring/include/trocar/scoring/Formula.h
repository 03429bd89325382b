#pragma once
// Score formulas.
//
// FLS (MISTELS) task score: max(0, cutoff - time - penalty), optionally normalised to a
// reference (expert) score: 100 * score / reference. The penalty is task specific: pattern
// cutting uses the percentage of area deviation from the marked circle, peg transfer the
// pegs dropped outside the field (each as scored by the task's rules).
//
// Checklist: 100 * (sum of done step weights) / (sum of all weights) minus error penalties,
// at least 0; a critical error fails the attempt whatever the score.

#include <optional>

namespace trocar::scoring {

struct FlsInputs {
  double taskTimeS = 0.0;
  double cutoffS = 300.0;
  double penalty = 0.0;
  std::optional<double> referenceScore;
};

double flsScore(const FlsInputs& in);

struct ChecklistInputs {
  double doneWeight = 0.0;
  double totalWeight = 0.0;
  double penalties = 0.0;
};

double checklistScore(const ChecklistInputs& in);

}  // namespace trocar::scoring
