// `trocar history` and `trocar progress`: a trainee's attempts over time, learning curves,
// xAPI statements, and where a trainee stands in a curriculum (programme/).

#include "Commands.h"
#include "Paths.h"
#include "Programme.h"

#include <trocar/core/File.h>
#include <trocar/programme/LearningCurve.h>
#include <trocar/programme/Progress.h>
#include <trocar/programme/Xapi.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

namespace trocar::cli {

namespace {

std::unique_ptr<programme::History> openHistory(const std::string& url) {
  auto history = programme::History::open(url);
  if (!history.ok()) {
    std::fprintf(stderr, "%s\n", history.error().toString().c_str());
    return nullptr;
  }
  return std::move(history.value());
}

// `actors: {ID: {name: ..., mbox: mailto:...}}`: who a pseudonymous id is, for xAPI only.
std::optional<std::map<std::string, programme::XapiActor>> loadActors(const std::string& file) {
  auto text = readFileText(file);
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", text.error().toString().c_str());
    return std::nullopt;
  }
  auto fail = [&](const YAML::Mark& m, const std::string& what) {
    std::fprintf(stderr,
                 "%s:%d:%d: error: %s\n  hint: write actors: {T01: {name: \"A. Surgeon\", mbox: "
                 "\"mailto:a.surgeon@example.org\"}}\n",
                 file.c_str(), m.line + 1, m.column + 1, what.c_str());
    return std::nullopt;
  };
  YAML::Node root;
  try {
    root = YAML::Load(text.value());
  } catch (const YAML::Exception& e) {
    return fail(e.mark, "not valid YAML: " + e.msg);
  }
  if (!root.IsMap() || !root["actors"] || !root["actors"].IsMap())
    return fail(root.Mark(), "no 'actors:' mapping");
  std::map<std::string, programme::XapiActor> out;
  for (auto it = root["actors"].begin(); it != root["actors"].end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsMap())
      return fail(it->first.Mark(), "each actor is ID: {name, mbox}");
    programme::XapiActor a;
    if (auto n = it->second["name"]; n && n.IsScalar()) a.name = n.Scalar();
    if (auto m = it->second["mbox"]; m && m.IsScalar()) a.mbox = m.Scalar();
    if (!a.mbox.empty() && a.mbox.rfind("mailto:", 0) != 0)
      return fail(it->second["mbox"].Mark(), "mbox '" + a.mbox + "' does not start with mailto:");
    out[it->first.Scalar()] = a;
  }
  return out;
}

bool writeOut(const std::string& file, const std::string& text) {
  if (file == "-") {
    std::cout << text;
    return true;
  }
  if (auto w = writeFileAtomic(file, text); !w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().toString().c_str());
    return false;
  }
  return true;
}

nlohmann::json attemptJson(const programme::Attempt& a) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& m : a.metrics) {
    nlohmann::json j{{"value", m.value}};
    if (m.threshold) j["threshold"] = *m.threshold;
    if (m.met) j["met"] = *m.met;
    metrics[m.name] = j;
  }
  nlohmann::json j{{"id", a.id},
                   {"attempt", a.number},
                   {"trainee", a.trainee},
                   {"scenario", a.scenario},
                   {"scenario_version", a.contentHash},
                   {"scoring_hash", a.scoringHash},
                   {"recorded_with", a.recordedWith},
                   {"scored_with", a.scoredWith},
                   {"started_at", a.startedAt},
                   {"scored_at", a.scoredAt},
                   {"duration_s", a.durationS},
                   {"score", a.score},
                   {"pass_score", a.passScore},
                   {"passed", a.passed},
                   {"completed", a.completed},
                   {"critical_error", a.criticalError},
                   {"recording", a.recording},
                   {"recording_digest", a.recordingDigest},
                   {"source", a.source},
                   {"curriculum", a.curriculum},
                   {"metrics", metrics}};
  j["benchmark_met"] = a.benchmarkMet ? nlohmann::json(*a.benchmarkMet) : nlohmann::json();
  return j;
}

}  // namespace

std::string nowUtc() {
  return programme::isoUtc(static_cast<int64_t>(std::time(nullptr)));
}

std::optional<scenario::Curriculum> loadCurriculum(const std::string& nameOrFile) {
  std::filesystem::path file(nameOrFile);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && file.extension() != ".yaml")
    file = findShipped(std::filesystem::path("curricula") / (nameOrFile + ".yaml"));
  if (!std::filesystem::exists(file, ec)) {
    std::fprintf(stderr,
                 "error: no curriculum '%s'\n  hint: give a curriculum file, or an id from curricula/ (%s)\n",
                 nameOrFile.c_str(), kDefaultCurriculum);
    return std::nullopt;
  }
  scenario::CurriculumLoad loaded = scenario::loadCurriculumFile(file);
  for (const Error& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
  return loaded.curriculum;
}

bool storeAttempt(const std::string& url, const scoring::ScoreReport& report,
                  const std::filesystem::path& recording, const std::string& source,
                  const std::string& curriculum) {
  auto history = programme::History::open(url);
  if (!history.ok()) {
    std::fprintf(stderr, "warning: the attempt is not in the history: %s\n",
                 history.error().toString().c_str());
    return false;
  }
  const programme::Attempt attempt =
      programme::attemptFrom(report, recording.string(), source, nowUtc(), curriculum);
  if (auto id = history.value()->record(attempt); !id.ok()) {
    std::fprintf(stderr, "warning: the attempt is not in the history: %s\n", id.error().toString().c_str());
    return false;
  }
  return true;
}

Runner addHistoryCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("history", "Attempts over time: list them, a learning-curve page, xAPI statements");
  struct Options {
    std::string trainee, scenario, db, html, xapi, curriculum, xapiHome, xapiBase, xapiActors;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--trainee", o->trainee, "Only this trainee's attempts (a pseudonymous id)");
  cmd->add_option("--scenario", o->scenario, "Only attempts at this scenario (its id)");
  cmd->add_option("--db", o->db,
                  "The history: sqlite:PATH or PATH, or postgresql://user@host:port/db (default: "
                  "$TROCAR_DB, else <data>/history.sqlite)");
  cmd->add_flag("--json", o->json, "Print the attempts as JSON");
  cmd->add_option("--html", o->html, "Write the learning-curve page here (self-contained HTML)");
  cmd->add_option("--xapi", o->xapi,
                  "Write one xAPI statement per attempt here, as a JSON array ('-': stdout)");
  cmd->add_option(
      "--curriculum", o->curriculum,
      "Judge attempts against this curriculum (file or id): proficiency in the list and the page, "
      "the grouping in xAPI");
  cmd->add_option("--xapi-home", o->xapiHome, "xAPI: the accounts' home page (the trainee ids' system)");
  cmd->add_option("--xapi-base", o->xapiBase,
                  "xAPI: the base IRI of activities (scenarios/<id>, curricula/<id>)");
  cmd->add_option(
      "--xapi-actors", o->xapiActors,
      "xAPI: a YAML file mapping pseudonymous ids to people (actors: {ID: {name, mbox}}); without "
      "it no name leaves the machine");
  return [o]() -> int {
    std::optional<scenario::Curriculum> curriculum;
    if (!o->curriculum.empty()) {
      curriculum = loadCurriculum(o->curriculum);
      if (!curriculum) return 2;
    }
    programme::XapiSettings xs;
    if (!o->xapiHome.empty()) xs.homePage = o->xapiHome;
    if (!o->xapiBase.empty()) xs.activityBase = o->xapiBase.back() == '/' ? o->xapiBase : o->xapiBase + "/";
    if (!o->xapiActors.empty()) {
      auto actors = loadActors(o->xapiActors);
      if (!actors) return 2;
      xs.actors = std::move(*actors);
    }
    auto history = openHistory(o->db);
    if (!history) return 2;
    auto attempts = history->attempts({o->trainee, o->scenario});
    if (!attempts.ok()) {
      std::fprintf(stderr, "%s\n", attempts.error().toString().c_str());
      return 2;
    }
    const std::vector<programme::Attempt>& list = attempts.value();
    if (!o->html.empty() &&
        !writeOut(o->html, programme::learningCurveHtml(list, curriculum ? &*curriculum : nullptr)))
      return 2;
    if (!o->xapi.empty()) {
      nlohmann::json statements = nlohmann::json::array();
      for (programme::Attempt a : list) {
        if (a.curriculum.empty() && curriculum && curriculum->find(a.scenario)) a.curriculum = curriculum->id;
        statements.push_back(programme::xapiStatement(a, xs));
      }
      if (!writeOut(o->xapi, statements.dump(2) + "\n")) return 2;
    }
    if (o->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& a : list) {
        nlohmann::json j = attemptJson(a);
        if (curriculum) {
          if (const auto* step = curriculum->find(a.scenario)) {
            const programme::AttemptVerdict v = programme::judgeAttempt(*step, a);
            j["proficient"] = v.proficient;
            j["misses"] = v.misses;
          }
        }
        out.push_back(j);
      }
      std::cout << out.dump(2) << std::endl;
    } else if (o->xapi != "-" && o->html != "-") {
      std::printf("%s: %zu attempt%s\n", history->describe().c_str(), list.size(),
                  list.size() == 1 ? "" : "s");
      if (!list.empty())
        std::printf("%-12s %-24s %4s  %-20s %8s %7s  %s\n", "trainee", "scenario", "#", "started (UTC)",
                    "time (s)", "score", "result");
      for (const auto& a : list) {
        std::string result = !a.completed ? "not completed" : a.passed ? "passed" : "failed";
        if (curriculum)
          if (const auto* step = curriculum->find(a.scenario))
            result += programme::judgeAttempt(*step, a).proficient ? ", proficient" : "";
        std::printf("%-12s %-24s %4u  %-20s %8.1f %7.1f  %s\n", a.trainee.c_str(), a.scenario.c_str(),
                    a.number, a.startedAt.c_str(), a.durationS, a.score, result.c_str());
      }
      if (!o->html.empty()) std::printf("learning curves: %s\n", o->html.c_str());
      if (!o->xapi.empty()) std::printf("xAPI statements: %s\n", o->xapi.c_str());
    }
    return 0;
  };
}

Runner addProgressCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("progress", "Where a trainee stands in a curriculum, and what is next");
  struct Options {
    std::string trainee, curriculum = kDefaultCurriculum, db;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("TRAINEE", o->trainee, "The trainee's pseudonymous id")->required();
  cmd->add_option("--curriculum", o->curriculum, "Curriculum file or id (default: fls-manual-skills)");
  cmd->add_option("--db", o->db, "The history (as for `trocar history`)");
  cmd->add_flag("--json", o->json, "Print the progress as JSON");
  return [o]() -> int {
    auto curriculum = loadCurriculum(o->curriculum);
    if (!curriculum) return 2;
    auto history = openHistory(o->db);
    if (!history) return 2;
    auto attempts = history->attempts({o->trainee, "", true});
    if (!attempts.ok()) {
      std::fprintf(stderr, "%s\n", attempts.error().toString().c_str());
      return 2;
    }
    const std::vector<programme::Attempt>& mine = attempts.value();
    const programme::Progress p = programme::progressOf(*curriculum, mine);
    if (o->json) {
      nlohmann::json steps = nlohmann::json::array();
      for (const auto& s : p.steps) {
        nlohmann::json j{{"scenario", s.step->scenario},
                         {"attempts", s.attempts},
                         {"proficient", s.proficient},
                         {"total_required", s.step->total},
                         {"streak", s.streak},
                         {"best_streak", s.bestStreak},
                         {"consecutive_required", s.step->consecutive},
                         {"achieved", s.achieved}};
        if (s.latest) j["latest_misses"] = s.latest->misses;
        steps.push_back(j);
      }
      nlohmann::json out{
          {"trainee", o->trainee},
          {"curriculum", curriculum->id},
          {"complete", p.complete()},
          {"steps", steps},
          {"next", p.next ? nlohmann::json(p.steps[*p.next].step->scenario) : nlohmann::json()}};
      std::cout << out.dump(2) << std::endl;
      return 0;
    }
    std::printf("%s, trainee %s:\n",
                curriculum->title.empty() ? curriculum->id.c_str() : curriculum->title.c_str(),
                o->trainee.c_str());
    for (size_t i = 0; i < p.steps.size(); ++i) {
      const auto& s = p.steps[i];
      std::printf("  %zu. %-24s %s  %u attempts, %u/%u proficient, best run %u/%u\n", i + 1,
                  s.step->scenario.c_str(),
                  s.achieved    ? "PROFICIENT"
                  : p.next == i ? "next      "
                                : "          ",
                  s.attempts, s.proficient, s.step->total, s.bestStreak, s.step->consecutive);
      if (!s.achieved && s.latest && !s.latest->proficient)
        for (const std::string& miss : s.latest->misses)
          std::printf("       last attempt: %s\n", miss.c_str());
    }
    if (p.complete()) {
      std::printf("proficient in every step of the curriculum\n");
    } else {
      std::printf("next: %s  (trocar run --curriculum %s --trainee %s)\n",
                  p.steps[*p.next].step->scenario.c_str(), o->curriculum.c_str(), o->trainee.c_str());
    }
    return 0;
  };
}

}  // namespace trocar::cli
