#include <trocar/scoring/Formula.h>

#include <algorithm>

namespace trocar::scoring {

double flsScore(const FlsInputs& in) {
  double score = std::max(0.0, in.cutoffS - in.taskTimeS - in.penalty);
  if (in.taskTimeS > in.cutoffS) score = 0.0;  // over the cutoff scores nothing
  if (in.referenceScore && *in.referenceScore > 0.0) score = 100.0 * score / *in.referenceScore;
  return score;
}

double checklistScore(const ChecklistInputs& in) {
  if (in.totalWeight <= 0.0) return 0.0;
  return std::max(0.0, 100.0 * in.doneWeight / in.totalWeight - in.penalties);
}

}  // namespace trocar::scoring
