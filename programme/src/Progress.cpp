// Proficiency-based progression (Progress.h).

#include <trocar/programme/Progress.h>

#include <cstdio>

namespace trocar::programme {

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", v);
  return text;
}

// "<= 48", ">= 1", "within [1, 2]".
std::string bound(const scenario::ProficiencyTarget& t) {
  if (t.min && t.max) return "within [" + number(*t.min) + ", " + number(*t.max) + "]";
  return t.max ? "<= " + number(*t.max) : ">= " + number(t.min.value_or(0.0));
}

}  // namespace

AttemptVerdict judgeAttempt(const scenario::CurriculumStep& step, const Attempt& a) {
  AttemptVerdict v;
  if (!a.completed) v.misses.emplace_back("the checklist was not completed");
  for (const scenario::ProficiencyTarget& t : step.targets) {
    const AttemptMetric* m = a.metric(t.metric);
    if (!m) {
      // An attempt that stopped early measures no time or path: its first miss says why.
      if (a.completed) v.misses.push_back(t.metric + " not measured (target " + bound(t) + ")");
      continue;
    }
    if (!t.met(m->value))
      v.misses.push_back(t.metric + " " + number(m->value) + " (target " + bound(t) + ")");
  }
  if (step.benchmark) {
    if (!a.benchmarkMet) {
      v.misses.emplace_back("no benchmark verdict (the scenario has no benchmark)");
    } else {
      for (const AttemptMetric& m : a.metrics) {
        if (m.met && !*m.met && m.threshold)
          v.misses.push_back(m.name + " " + number(m.value) + " (benchmark " + number(*m.threshold) + ")");
      }
      if (!*a.benchmarkMet && v.misses.empty()) v.misses.emplace_back("a benchmark metric was not met");
    }
  }
  v.proficient = v.misses.empty();
  return v;
}

Progress progressOf(const scenario::Curriculum& curriculum, const std::vector<Attempt>& attempts) {
  Progress p;
  for (const scenario::CurriculumStep& step : curriculum.steps) {
    StepProgress s;
    s.step = &step;
    for (const Attempt& a : attempts) {
      if (a.scenario != step.scenario) continue;
      AttemptVerdict v = judgeAttempt(step, a);
      ++s.attempts;
      if (v.proficient) {
        ++s.proficient;
        ++s.streak;
        s.bestStreak = std::max(s.bestStreak, s.streak);
      } else {
        s.streak = 0;
      }
      if (s.bestStreak >= step.consecutive && s.proficient >= step.total) s.achieved = true;
      s.latest = std::move(v);
    }
    if (!s.achieved && !p.next) p.next = p.steps.size();
    p.steps.push_back(std::move(s));
  }
  return p;
}

std::vector<std::string> standingLines(const scenario::Curriculum& curriculum,
                                       const std::vector<Attempt>& attempts, const std::string& scenarioId) {
  const Progress p = progressOf(curriculum, attempts);
  std::vector<std::string> lines;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const StepProgress& s = p.steps[i];
    if (s.step->scenario != scenarioId) continue;
    const std::string name = curriculum.title.empty() ? curriculum.id : curriculum.title;
    lines.push_back("Curriculum " + name + ", step " + std::to_string(i + 1) + " of " +
                    std::to_string(p.steps.size()) + ": " +
                    (s.step->title.empty() ? s.step->scenario : s.step->title));
    if (s.latest) {
      std::string verdict =
          s.latest->proficient ? "This attempt was proficient" : "This attempt was not proficient: ";
      for (size_t m = 0; m < s.latest->misses.size(); ++m) verdict += (m ? "; " : "") + s.latest->misses[m];
      lines.push_back(verdict);
    }
    lines.push_back("Proficient attempts " + std::to_string(s.proficient) + " of " +
                    std::to_string(s.step->total) + ", best run " + std::to_string(s.bestStreak) + " of " +
                    std::to_string(s.step->consecutive) + " in a row");
    if (p.complete()) {
      lines.emplace_back("Proficient in every step of the curriculum");
    } else if (s.achieved) {
      const scenario::CurriculumStep& next = *p.steps[*p.next].step;
      lines.push_back("Step achieved. Next: " + (next.title.empty() ? next.scenario : next.title));
    }
  }
  return lines;
}

}  // namespace trocar::programme
