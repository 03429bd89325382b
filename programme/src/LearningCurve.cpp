// The learning-curve page (LearningCurve.h).

#include <trocar/programme/LearningCurve.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/scoring/Report.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace trocar::programme {

namespace {

std::string esc(const std::string& s) {
  return scoring::xmlEscape(s);
}

std::string fmt(double v, int decimals = 1) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", decimals, v);
  return b;
}

struct Line {
  double value;
  std::string label, colour;
};

// A chart of one value over attempts (1..n), with horizontal reference lines.
std::string chart(const std::string& title, const std::string& unit,
                  const std::vector<std::optional<double>>& ys, const std::vector<Line>& lines) {
  const double w = 640, h = 200, left = 52, right = 16, bottom = 28, top = 22;
  double lo = 0.0, hi = 1e-9;
  bool any = false;
  for (const auto& y : ys) {
    if (!y) continue;
    lo = any ? std::min(lo, *y) : std::min(0.0, *y);
    hi = std::max(hi, *y);
    any = true;
  }
  for (const Line& l : lines) {
    lo = std::min(lo, l.value);
    hi = std::max(hi, l.value);
  }
  if (hi - lo < 1e-6) hi = lo + 1.0;  // a flat series (no drops at all) still has an axis
  hi += 0.08 * (hi - lo);
  const size_t n = std::max<size_t>(ys.size(), 2);
  auto X = [&](size_t i) {
    return left + (w - left - right) * static_cast<double>(i) / static_cast<double>(n - 1);
  };
  auto Y = [&](double v) { return (h - bottom) - (h - bottom - top) * (v - lo) / (hi - lo); };
  std::ostringstream svg;
  svg << "<svg width=\"" << w << "\" height=\"" << h << "\" role=\"img\" aria-label=\"" << esc(title) << "\">"
      << "<text x=\"" << left << "\" y=\"15\" font-size=\"13\">" << esc(title)
      << (unit.empty() ? "" : " (" + esc(unit) + ")") << "</text>"
      << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\""
      << h - bottom << "\" stroke=\"#888\"/><line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left
      << "\" y2=\"" << h - bottom << "\" stroke=\"#888\"/>"
      << "<text x=\"4\" y=\"" << fmt(Y(hi) + 10) << "\" font-size=\"11\">" << fmt(hi) << "</text>"
      << "<text x=\"4\" y=\"" << fmt(Y(lo)) << "\" font-size=\"11\">" << fmt(lo) << "</text>"
      << "<text x=\"" << left << "\" y=\"" << h - 8 << "\" font-size=\"11\">attempt 1</text>"
      << "<text x=\"" << w - right - 60 << "\" y=\"" << h - 8 << "\" font-size=\"11\">attempt " << ys.size()
      << "</text>";
  for (size_t k = 0; k < lines.size(); ++k) {
    const Line& l = lines[k];
    // Labels alternate between the right and the left end, so lines at one value stay readable.
    const bool atRight = k % 2 == 0;
    svg << "<line class=\"ref\" x1=\"" << left << "\" y1=\"" << fmt(Y(l.value)) << "\" x2=\"" << w - right
        << "\" y2=\"" << fmt(Y(l.value)) << "\" stroke=\"" << l.colour << "\" stroke-dasharray=\"5,4\"/>"
        << "<text x=\"" << (atRight ? w - right - 4 : left + 4) << "\" y=\"" << fmt(Y(l.value) - 3)
        << "\" font-size=\"11\" fill=\"" << l.colour << "\" text-anchor=\"" << (atRight ? "end" : "start")
        << "\">" << esc(l.label) << " " << fmt(l.value) << "</text>";
  }
  svg << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < ys.size(); ++i)
    if (ys[i]) svg << fmt(X(i)) << "," << fmt(Y(*ys[i])) << " ";
  svg << "\"/>";
  for (size_t i = 0; i < ys.size(); ++i)
    if (ys[i])
      svg << "<circle cx=\"" << fmt(X(i)) << "\" cy=\"" << fmt(Y(*ys[i]))
          << "\" r=\"3\" fill=\"#1f77b4\"><title>attempt " << i + 1 << ": " << fmt(*ys[i], 2)
          << "</title></circle>";
  svg << "</svg>";
  return svg.str();
}

}  // namespace

std::string learningCurveHtml(const std::vector<Attempt>& attempts, const scenario::Curriculum* curriculum) {
  // Trainee -> scenario -> attempts (already in order of time).
  std::map<std::string, std::map<std::string, std::vector<const Attempt*>>> groups;
  for (const Attempt& a : attempts) groups[a.trainee][a.scenario].push_back(&a);
  std::ostringstream h;
  h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Learning curves - "
       "Trocar</title>"
       "<style>body{font-family:sans-serif;margin:24px;max-width:760px}.pass{color:#2a7d2a}.fail{color:#b22}"
       "td,th{padding:2px "
       "8px;text-align:left;white-space:nowrap}table{border-collapse:collapse}tr:nth-child(even){background:#"
       "f4f4f4}"
       "</style></head><body><h1>Learning curves</h1>";
  h << "<p><small>" << attempts.size() << (attempts.size() == 1 ? " attempt, " : " attempts, ")
    << groups.size() << (groups.size() == 1 ? " trainee" : " trainees")
    << (curriculum ? ", curriculum " + esc(curriculum->title.empty() ? curriculum->id : curriculum->title)
                   : "")
    << ". Trainee ids are pseudonymous.</small></p>";
  if (attempts.empty()) h << "<p>No attempts recorded.</p>";
  for (const auto& [trainee, byScenario] : groups) {
    h << "<h2>Trainee " << esc(trainee) << "</h2>";
    if (curriculum) {
      std::vector<Attempt> mine;
      for (const auto& [id, list] : byScenario)
        for (const Attempt* a : list) mine.push_back(*a);
      std::sort(mine.begin(), mine.end(),
                [](const Attempt& x, const Attempt& y) { return x.startedAt < y.startedAt; });
      const Progress p = progressOf(*curriculum, mine);
      h << "<table><tr><th>step</th><th>attempts</th><th>proficient</th><th>best run</th><th>state</th></tr>";
      for (size_t i = 0; i < p.steps.size(); ++i) {
        const StepProgress& s = p.steps[i];
        h << "<tr><td>" << esc(s.step->title.empty() ? s.step->scenario : s.step->title) << "</td><td>"
          << s.attempts << "</td><td>" << s.proficient << " of " << s.step->total << "</td><td>"
          << s.bestStreak << " of " << s.step->consecutive << "</td><td class=\""
          << (s.achieved ? "pass\">proficient" : "fail\">") << (!s.achieved && p.next == i ? "next" : "")
          << "</td></tr>";
      }
      h << "</table>";
    }
    for (const auto& [scenarioId, list] : byScenario) {
      const Attempt& last = *list.back();
      h << "<h3>" << esc(last.scenarioTitle.empty() ? scenarioId : last.scenarioTitle) << "</h3>";
      const scenario::CurriculumStep* step = curriculum ? curriculum->find(scenarioId) : nullptr;
      std::vector<std::optional<double>> scores;
      for (const Attempt* a : list) scores.emplace_back(a->score);
      h << chart("Score", "", scores, {{last.passScore, "pass mark", "#2a7d2a"}});
      // The metrics the curriculum targets, else task time; with their targets and thresholds.
      std::vector<std::string> keys;
      if (step)
        for (const auto& t : step->targets) keys.push_back(t.metric);
      if (keys.empty()) keys.emplace_back("task_time_s");
      for (const std::string& key : keys) {
        std::vector<std::optional<double>> ys;
        std::optional<double> threshold;
        for (const Attempt* a : list) {
          const AttemptMetric* m = a->metric(key);
          ys.push_back(m ? std::optional<double>(m->value) : std::nullopt);
          if (m && m->threshold) threshold = m->threshold;
        }
        std::vector<Line> lines;
        if (step)
          for (const auto& t : step->targets) {
            if (t.metric != key) continue;
            if (t.max) lines.push_back({*t.max, "target", "#b22"});
            if (t.min) lines.push_back({*t.min, "target", "#b22"});
          }
        if (threshold) lines.push_back({*threshold, "benchmark", "#8a5a00"});
        const scenario::MetricInfo* info = scenario::metricInfo(key);
        h << chart(info ? info->label : key, info ? info->unit : "", ys, lines);
      }
      h << "<table><tr><th>#</th><th>started (UTC)</th><th>task time (s)</th><th>score</th><th>result</th>";
      if (step) h << "<th>proficient</th>";
      h << "</tr>";
      for (const Attempt* a : list) {
        h << "<tr><td>" << a->number << "</td><td>" << esc(a->startedAt) << "</td><td>" << fmt(a->durationS)
          << "</td><td>" << fmt(a->score) << "</td><td class=\"" << (a->passed ? "pass\">passed" : "fail\">")
          << (a->passed      ? ""
              : a->completed ? "failed"
                             : "not completed")
          << "</td>";
        if (step) {
          const AttemptVerdict v = judgeAttempt(*step, *a);
          h << "<td>" << (v.proficient ? "yes" : "no: " + esc(v.misses.front())) << "</td>";
        }
        h << "</tr>";
      }
      h << "</table>";
    }
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace trocar::programme
