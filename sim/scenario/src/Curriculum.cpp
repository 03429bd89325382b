// Curriculum files: reading and checking (every error at file:line:column).

#include <trocar/core/File.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/scenario/Curriculum.h>

#include "YamlContext.h"

#include <yaml-cpp/yaml.h>

#include <set>

namespace trocar::scenario {

namespace {

using detail::Ctx;
using detail::didYouMean;
namespace fs = std::filesystem;

constexpr const char* kFormat = "trocar.curriculum/1";
constexpr uint32_t kMaxRepetitions = 1000;

bool isIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return s.front() != '.';
}

std::optional<uint32_t> count(Ctx& ctx, const YAML::Node& n, const std::string& what) {
  auto v = ctx.number(n, what, 1, kMaxRepetitions);
  if (!v) return std::nullopt;
  if (*v != static_cast<double>(static_cast<uint32_t>(*v))) {
    ctx.error(n, what + " must be a whole number of attempts");
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

void readTargets(Ctx& ctx, const YAML::Node& targets, CurriculumStep& step) {
  if (!ctx.isMap(targets, "targets")) return;
  std::vector<std::string> known;
  for (const MetricInfo& m : benchmarkMetricTable()) known.emplace_back(m.name);
  for (auto it = targets.begin(); it != targets.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (!metricInfo(name)) {
      std::string hint = didYouMean(name, known);
      ctx.error(it->first, "unknown metric '" + name + "'",
                hint.empty() ? "known: " + detail::join(known) : hint);
      continue;
    }
    const YAML::Node bound = it->second;
    const std::string what = "target " + name;
    if (!bound.IsMap()) {
      ctx.error(bound, what + " must be {max: X} or {min: X} (or both)", "e.g. task_time_s: {max: 48}");
      continue;
    }
    ctx.checkKeys(bound, {"min", "max"}, what);
    ProficiencyTarget t;
    t.metric = name;
    if (YAML::Node x = bound["min"]) t.min = ctx.number(x, what + ".min", -1e9, 1e9);
    if (YAML::Node x = bound["max"]) t.max = ctx.number(x, what + ".max", -1e9, 1e9);
    if (!bound["min"] && !bound["max"]) {
      ctx.error(bound, what + " has neither min nor max", "e.g. task_time_s: {max: 48}");
      continue;
    }
    if (t.min && t.max && *t.min > *t.max) {
      ctx.error(bound, what + ": min " + Ctx::fmt(*t.min) + " is above max " + Ctx::fmt(*t.max),
                "no attempt could meet it; swap them");
      continue;
    }
    if (t.min || t.max) step.targets.push_back(std::move(t));
  }
}

}  // namespace

std::string ProficiencyTarget::toString() const {
  std::string out = metric;
  if (min && max) return Ctx::fmt(*min) + " <= " + metric + " <= " + Ctx::fmt(*max);
  if (min) out += " >= " + Ctx::fmt(*min);
  if (max) out += " <= " + Ctx::fmt(*max);
  return out;
}

const CurriculumStep* Curriculum::find(const std::string& scenarioId) const {
  for (const CurriculumStep& s : steps)
    if (s.scenario == scenarioId) return &s;
  return nullptr;
}

CurriculumLoad parseCurriculum(const std::string& text, const fs::path& file) {
  CurriculumLoad out;
  Ctx ctx(file, out.errors);
  SourceLocation top;
  top.file = file.string();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where = top;
    if (e.mark.line >= 0) {
      where.line = static_cast<uint32_t>(e.mark.line) + 1;
      where.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    ctx.error(where, "not valid YAML: " + e.msg, detail::yamlSyntaxHint(e.msg));
    return out;
  }
  if (!root.IsMap()) {
    ctx.error(top, "a curriculum is a mapping (format:, id:, title:, steps:)",
              "see sim/scenario/include/trocar/scenario/Curriculum.h for an example");
    return out;
  }
  Curriculum c;
  c.file = file;
  try {
    ctx.checkKeys(root, {"format", "id", "title", "steps"}, "a curriculum");
    if (YAML::Node f = root["format"]) {
      auto format = ctx.text(f, "format");
      if (format && *format != kFormat)
        ctx.error(f, "format '" + *format + "' is not " + kFormat, std::string("write format: ") + kFormat);
    } else {
      ctx.error(top, "the curriculum has no 'format'", std::string("add format: ") + kFormat);
    }
    if (YAML::Node id = root["id"]) {
      auto name = ctx.text(id, "id");
      if (name && !isIdentifier(*name))
        ctx.error(id, "id '" + *name + "' is not a plain name",
                  "letters, digits, '-', '_' and '.', 1-64 of them");
      else if (name)
        c.id = *name;
    } else {
      ctx.error(top, "the curriculum has no 'id'", "add id: a-short-name (it goes into history and xAPI)");
    }
    if (YAML::Node t = root["title"]) c.title = ctx.text(t, "title").value_or("");
    YAML::Node steps = root["steps"];
    if (!steps) {
      ctx.error(top, "the curriculum has no 'steps'",
                "list its scenarios under steps:, each with scenario: ID");
    } else if (ctx.isList(steps, "steps")) {
      if (steps.size() == 0) ctx.error(steps, "the curriculum has no steps", "list at least one scenario");
      std::set<std::string> seen;
      for (const YAML::Node& item : steps) {
        if (!ctx.isMap(item, "each step")) continue;
        ctx.checkKeys(item, {"scenario", "title", "targets", "benchmark", "consecutive", "total"}, "a step");
        CurriculumStep step;
        step.where = ctx.at(item);
        if (YAML::Node s = item["scenario"]) {
          step.where = ctx.at(s);
          auto id = ctx.text(s, "scenario");
          if (id && !isIdentifier(*id)) {
            ctx.error(s, "scenario '" + *id + "' is not a scenario id", "the folder name under scenarios/");
          } else if (id && !seen.insert(*id).second) {
            ctx.error(s, "scenario '" + *id + "' is already a step of this curriculum",
                      "list each scenario once");
          } else if (id) {
            step.scenario = *id;
          }
        } else {
          ctx.error(item, "this step names no scenario", "add scenario: ID");
        }
        if (YAML::Node t = item["title"]) step.title = ctx.text(t, "title").value_or("");
        if (YAML::Node t = item["targets"]) readTargets(ctx, t, step);
        if (YAML::Node b = item["benchmark"]) step.benchmark = ctx.boolean(b, "benchmark").value_or(false);
        if (YAML::Node n = item["consecutive"]) step.consecutive = count(ctx, n, "consecutive").value_or(1);
        step.total = step.consecutive;
        if (YAML::Node n = item["total"]) {
          auto total = count(ctx, n, "total");
          if (total && *total < step.consecutive)
            ctx.error(n,
                      "total " + std::to_string(*total) + " is below consecutive " +
                          std::to_string(step.consecutive),
                      "the consecutive attempts count towards the total; give a total at least as large");
          else if (total)
            step.total = *total;
        }
        if (!item["targets"] && !step.benchmark && item["scenario"])
          ctx.error(step.where,
                    "step '" + step.scenario +
                        "' has no targets and no benchmark: any completed "
                        "attempt would be proficient",
                    "add targets: (e.g. task_time_s: {max: 48}) or benchmark: true");
        c.steps.push_back(std::move(step));
      }
    }
  } catch (const YAML::Exception& e) {
    ctx.error(top, std::string("cannot read the curriculum: ") + e.what());
  }
  if (out.errors.empty()) out.curriculum = std::move(c);
  return out;
}

CurriculumLoad loadCurriculumFile(const fs::path& file) {
  CurriculumLoad out;
  constexpr uintmax_t kMaxBytes = 1u << 20;
  std::error_code ec;
  if (auto size = fs::file_size(file, ec); !ec && size > kMaxBytes) {
    SourceLocation where;
    where.file = file.string();
    out.errors.push_back(
        makeError(ErrorCode::kInvalidInput,
                  "the file is " + std::to_string(size) + " bytes; a curriculum is at most 1 MiB", where,
                  "is this the right file?"));
    return out;
  }
  auto text = readFileText(file);
  if (!text.ok()) {
    out.errors.push_back(text.error());
    return out;
  }
  return parseCurriculum(text.value(), file);
}

}  // namespace trocar::scenario
