// `trocar run [SCENARIO]`: the trainee application. OpenXR headset, desktop window, or headless
// (a bot drives the hands); records every run by default and prints the score.

#include "Commands.h"
#include "DesktopRig.h"
#include "LiveSession.h"
#include "Paths.h"
#include "Programme.h"
#include "Signing.h"

#include <trocar/core/File.h>
#include <trocar/core/Log.h>
#include <trocar/programme/Progress.h>
#include <trocar/scoring/Report.h>
#include <trocar/xr/OpenXrRig.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <iostream>
#include <memory>
#include <utility>
#include <unistd.h>

namespace trocar::cli {
namespace {

std::atomic<bool> gStop{false};
extern "C" void onSignal(int) {
  gStop.store(true);
}

// The built-in default scenario, found next to the data or the source tree.
std::filesystem::path defaultScenario() {
  return scenarioById("fls-peg-transfer");
}

// The bot that drives a headless run: --bot, else bots/expert.yaml, else the first bot.
std::optional<std::filesystem::path> botFor(const std::filesystem::path& scenarioFile,
                                            const std::string& explicitBot) {
  if (!explicitBot.empty()) return explicitBot;
  const auto dir = scenarioFile.parent_path() / "bots";
  std::error_code ec;
  if (std::filesystem::exists(dir / "expert.yaml", ec)) return dir / "expert.yaml";
  std::vector<std::filesystem::path> bots;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".yaml") bots.push_back(it->path());
  }
  std::sort(bots.begin(), bots.end());
  if (bots.empty()) return std::nullopt;
  return bots.front();
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d-%H%M%S", &tm);
  return text;
}

bool displayReachable() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

}  // namespace

Runner addRunCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("run", "The trainee application: run a scenario (default: FLS peg transfer)");
  struct Options {
    std::string scenario;
    std::string rig = "auto";
    std::string record;
    bool noRecord = false;
    double duration = 0.0;
    std::string trainee = "anonymous";
    std::string bot;
    bool realtime = false;
    std::string screenshot;
    std::string gpu;
    bool validation = false;
    bool json = false;
    std::string curriculum, db;
    bool noHistory = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (default: the built-in FLS peg transfer)");
  cmd->add_option("--rig", o->rig, "auto (headset, else window, else headless), openxr, desktop or headless")
      ->check(CLI::IsMember({"auto", "openxr", "desktop", "headless"}));
  cmd->add_option("--record", o->record,
                  "Recording file (default: a timestamped .trec in the data directory)");
  cmd->add_flag("--no-record", o->noRecord, "Do not record this run");
  cmd->add_option("--duration", o->duration, "End after this many seconds of simulated time")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--trainee", o->trainee, "Pseudonymous trainee id stored in the recording (never a name)");
  cmd->add_option("--bot", o->bot,
                  "The bot that drives the hands: headless, the scenario's by default; with a display or "
                  "headset a demonstration, played in the window (the first attempt)");
  cmd->add_flag("--realtime", o->realtime, "Headless: pace the simulation in real time");
  cmd->add_option("--screenshot", o->screenshot,
                  "Desktop: write the last frame with its overlay to this PNG");
  cmd->add_option("--gpu", o->gpu, "Use the Vulkan device whose name contains this");
  cmd->add_flag("--validation", o->validation, "Enable the Vulkan validation layer");
  cmd->add_flag("--json", o->json, "Print the outcome as one JSON object");
  cmd->add_option("--curriculum", o->curriculum,
                  "Run the trainee's next scenario in this curriculum (file or id, e.g. fls-manual-skills); "
                  "needs --trainee");
  cmd->add_option("--db", o->db,
                  "The history the attempt goes into: sqlite:PATH or PATH, or postgresql://... (default: "
                  "$TROCAR_DB, else <data>/history.sqlite)");
  cmd->add_flag("--no-history", o->noHistory, "Do not store the attempt in the history");
  return [o]() -> int {
    std::filesystem::path file = o->scenario.empty() ? defaultScenario() : std::filesystem::path(o->scenario);
    std::string curriculumId;
    std::optional<scenario::Curriculum> curriculum;
    std::vector<programme::Attempt> priorAttempts;  // the trainee's, in order of time
    if (!o->curriculum.empty()) {
      if (!o->scenario.empty()) {
        std::fprintf(stderr,
                     "error: give a scenario or --curriculum, not both\n  hint: the curriculum chooses the "
                     "trainee's next scenario\n");
        return 2;
      }
      if (o->trainee == "anonymous") {
        std::fprintf(stderr,
                     "error: --curriculum needs --trainee ID\n  hint: progress is kept per trainee (a "
                     "pseudonymous id, never a name)\n");
        return 2;
      }
      if (o->noHistory || o->noRecord) {
        std::fprintf(stderr,
                     "error: a curriculum attempt is recorded and stored in the history\n  hint: drop "
                     "--no-history / --no-record\n");
        return 2;
      }
      curriculum = loadCurriculum(o->curriculum);
      if (!curriculum) return 2;
      auto history = programme::History::open(o->db);
      if (!history) {
        std::fprintf(stderr, "%s\n", history.error().toString().c_str());
        return 2;
      }
      auto attempts = history.value()->attempts({o->trainee, "", true});
      if (!attempts) {
        std::fprintf(stderr, "%s\n", attempts.error().toString().c_str());
        return 2;
      }
      const std::vector<programme::Attempt>& mine = attempts.value();
      const programme::Progress progress = programme::progressOf(*curriculum, mine);
      priorAttempts = mine;
      if (progress.complete()) {
        std::printf("%s is proficient in every step of %s\n", o->trainee.c_str(), curriculum->id.c_str());
        return 0;
      }
      const programme::StepProgress& next = progress.steps[*progress.next];
      file = scenarioById(next.step->scenario);
      curriculumId = curriculum->id;
      std::fprintf(
          stderr, "curriculum %s: step %zu of %zu, %s (%u of %u proficient attempts, best run %u of %u)\n",
          curriculum->id.c_str(), *progress.next + 1, progress.steps.size(), next.step->scenario.c_str(),
          next.proficient, next.step->total, next.bestStreak, next.step->consecutive);
    }
    scenario::LoadResult loaded = scenario::loadScenarioFile(file);
    if (!loaded.ok()) {
      for (const Error& e : loaded.errors) std::fprintf(stderr, "%s\n", e.toString().c_str());
      if (loaded.errors.empty()) std::fprintf(stderr, "%s: cannot load the scenario\n", file.c_str());
      return 2;
    }
    const scenario::ScenarioDesc& desc = *loaded.scenario;

    app::LiveSettings settings;
    settings.traineeId = o->trainee;
    settings.durationS = o->duration;
    settings.validation = o->validation;
    settings.gpu = o->gpu;
    settings.screenshot = o->screenshot;
    settings.soundDir = findShipped("assets/sounds");
    if (!o->noRecord) {
      if (!o->record.empty()) {
        settings.recording = o->record;
      } else {
        const auto dir = dataDirectories().recordings;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) {
          std::fprintf(stderr, "error: cannot create %s: %s (hint: set TROCAR_DATA_DIR or pass --record)\n",
                       dir.c_str(), ec.message().c_str());
          return 4;
        }
        settings.recording = dir / (desc.id + "-" + timestamp() + ".trec");
      }
    }

    // Choose the rig.
    std::unique_ptr<xr::Rig> rig;
    std::string rigKind = o->rig;
    if (rigKind == "auto" || rigKind == "openxr") {
      auto openxr = xr::OpenXrRig::create();
      if (openxr) {
        rig = std::move(openxr.value());
        rigKind = "openxr";
      } else if (rigKind == "openxr") {
        std::fprintf(stderr, "%s\n", openxr.error().toString().c_str());
        return 2;
      } else {
        TROCAR_LOG_INFO("no headset: %s", openxr.error().message.c_str());
      }
    }
    if (!rig && (rigKind == "auto" || rigKind == "desktop")) {
      if (rigKind == "auto" && !displayReachable()) {
        rigKind = "headless";
      } else {
        app::DesktopSettings ds;
        auto desktop = app::DesktopRig::create(desc, ds);
        if (desktop) {
          rig = std::move(desktop.value());
          rigKind = "desktop";
        } else if (rigKind == "desktop") {
          std::fprintf(stderr, "%s\n", desktop.error().toString().c_str());
          return 2;
        } else {
          rigKind = "headless";
        }
      }
    }
    if (o->rig == "auto") {
      std::fprintf(stderr, "rig: %s%s\n", rigKind.c_str(),
                   rigKind == "headless" ? " (no headset, no display: a bot plays the scenario)" : "");
    }

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    if (!settings.recording.empty()) std::fprintf(stderr, "recording to %s\n", settings.recording.c_str());

    Result<app::LiveOutcome> outcome = makeError(ErrorCode::kUnavailable, "no rig");
    std::unique_ptr<replay::Bot> demonstration;
    if (rig && !o->bot.empty()) {
      auto bot = replay::loadBot(o->bot, desc);
      if (!bot) {
        std::fprintf(stderr, "%s\n", bot.error().toString().c_str());
        return 2;
      }
      demonstration = std::move(bot.value());
      settings.demonstrator = demonstration.get();
      std::fprintf(stderr, "bot: %s (a demonstration: it plays, the %s shows it)\n", o->bot.c_str(),
                   rigKind.c_str());
    }
    if (rig && curriculum) {
      // The debrief in the window or headset says where the trainee stands after each attempt.
      // A demonstration (--bot, the first attempt) is the bot's, not the trainee's: it does not count.
      auto seen = std::make_shared<std::vector<programme::Attempt>>(priorAttempts);
      auto demo = std::make_shared<bool>(demonstration != nullptr);
      settings.debriefExtra = [c = *curriculum, seen, demo, id = desc.id,
                               cid = curriculumId](const scoring::ScoreReport& r) {
        if (std::exchange(*demo, false))
          return std::vector<std::string>{"A demonstration: it does not count towards the curriculum"};
        seen->push_back(programme::attemptFrom(r, "", "run", nowUtc(), cid));
        return programme::standingLines(c, *seen, id);
      };
    }
    if (rig) {
      outcome = app::runLive(desc, *rig, settings, gStop);
    } else {
      const auto botFile = botFor(file, o->bot);
      if (!botFile) {
        std::fprintf(stderr,
                     "error: %s has no bot to play it headless (hint: pass --bot BOT.yaml, or run with a "
                     "display: --rig desktop)\n",
                     file.c_str());
        return 2;
      }
      auto bot = replay::loadBot(*botFile, desc);
      if (!bot) {
        std::fprintf(stderr, "%s\n", bot.error().toString().c_str());
        return 2;
      }
      std::fprintf(stderr, "bot: %s\n", botFile->c_str());
      outcome = app::runHeadless(desc, *bot.value(), settings, o->realtime, gStop);
    }
    if (!outcome) {
      std::fprintf(stderr, "%s\n", outcome.error().toString().c_str());
      return outcome.error().code == ErrorCode::kInvalidInput ? 2 : 4;
    }
    const app::LiveOutcome& out = outcome.value();
    const scoring::ScoreReport& report = out.report;
    // Reports next to each recording: earlier attempts (restarted) and the last one.
    // The first attempt of a run with a demonstration bot is the bot's: recorded and reported,
    // but not the trainee's attempt, so not in the history.
    const bool demonstrated = demonstration != nullptr;
    auto writeBeside = [&](const std::filesystem::path& recording, const scoring::ScoreReport& r,
                           std::filesystem::path* jsonOut, std::filesystem::path* htmlOut, bool first) {
      const auto json = std::filesystem::path(recording).replace_extension(".json");
      const auto html = std::filesystem::path(recording).replace_extension(".html");
      const auto junit = std::filesystem::path(recording).replace_extension(".junit.xml");
      scoring::ScoreReport withDigest = r;
      if (auto digest = fileDigest(recording); digest.ok()) withDigest.recordingDigest = digest.value();
      if (auto w = scoring::writeReports(withDigest, json, junit, html); !w)
        std::fprintf(stderr, "%s\n", w.error().toString().c_str());
      if (jsonOut) *jsonOut = json;
      if (htmlOut) *htmlOut = html;
      // The attempt goes into the trainee's history (History.h), keyed by its recording.
      if (!o->noHistory && !(first && demonstrated))
        storeAttempt(o->db, withDigest, recording, "run", curriculumId);
    };
    for (size_t i = 0; i < out.earlier.size(); ++i) {
      const auto& earlier = out.earlier[i];
      if (earlier.recording.empty()) continue;
      writeBeside(earlier.recording, earlier.report, nullptr, nullptr, i == 0);
      std::fprintf(stderr, "earlier attempt: score %.1f, %s\n", earlier.report.score,
                   earlier.recording.c_str());
    }
    if (!out.recordings.empty()) settings.recording = out.recordings.back();
    std::filesystem::path json, html;
    if (!settings.recording.empty())
      writeBeside(settings.recording, report, &json, &html, out.earlier.empty());
    // In a curriculum: where the trainee stands now, on stderr (stdout is the run's outcome).
    if (curriculum) {
      auto history = programme::History::open(o->db);
      auto attempts = history ? history.value()->attempts({o->trainee, "", true})
                              : Result<std::vector<programme::Attempt>>(history.error());
      if (attempts) {
        const std::vector<programme::Attempt>& mine = attempts.value();
        for (const std::string& line : programme::standingLines(*curriculum, mine, desc.id))
          std::fprintf(stderr, "%s\n", line.c_str());
      }
    }
    if (o->json) {
      nlohmann::json j{{"scenario", desc.id},
                       {"rig", out.rigName},
                       {"ticks", out.ticks},
                       {"frames", out.frames},
                       {"score", report.score},
                       {"pass_score", report.passScore},
                       {"passed", report.passed},
                       {"interrupted", out.interrupted},
                       {"max_lag_s", out.maxLagS},
                       {"final_state_hash", report.finalStateHash},
                       {"recording", settings.recording.string()},
                       {"report", json.string()}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::printf("%s on %s: %.1f s%s\n", desc.title.c_str(), out.rigName.c_str(),
                  static_cast<double>(out.ticks) / desc.tickHz, out.interrupted ? " (stopped early)" : "");
      for (const scoring::StepStatus& s : report.steps) {
        std::printf("  [%s] %s\n", scoring::toString(s.state), s.title.c_str());
      }
      std::printf("score %.1f (pass mark %.1f): %s\n", report.score, report.passScore,
                  report.passed ? "PASSED" : "below the pass mark");
      if (!settings.recording.empty()) {
        std::printf("recording: %s\nreport:    %s\n", settings.recording.c_str(), html.c_str());
      }
      if (out.maxLagS > 0.1)
        std::printf("note: the simulation fell up to %.2f s behind real time\n", out.maxLagS);
    }
    return 0;
  };
}

}  // namespace trocar::cli
