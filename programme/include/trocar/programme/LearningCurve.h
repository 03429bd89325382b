#pragma once
// The learning-curve page: for each trainee and scenario, the score and key metrics over
// attempts with the pass mark, the curriculum's targets and the benchmark's thresholds drawn,
// and a table of the attempts. One self-contained HTML file (inline SVG, no scripts), like
// the score reports.

#include <trocar/programme/History.h>
#include <trocar/programme/Progress.h>

#include <string>
#include <vector>

namespace trocar::programme {

// `curriculum`: may be null; with one, its targets are drawn and each trainee's progress shown.
std::string learningCurveHtml(const std::vector<Attempt>& attempts, const scenario::Curriculum* curriculum);

}  // namespace trocar::programme
