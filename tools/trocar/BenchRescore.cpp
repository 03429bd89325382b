// `trocar bench rescore`: re-scoring throughput, recordings per minute, in one run on this
// machine: `trocar replay --jobs 1`, `--jobs 2`, and a Slurm job array (one task per recording)
// on a one-node cluster started in a temporary folder (tools/slurm/local-cluster.sh). Each run
// stores its attempts in a history of its own, as a programme would.

#include "Commands.h"
#include "Paths.h"

#include <trocar/core/File.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

namespace trocar::cli {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Runner addBenchRescoreCommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand(
      "rescore",
      "Re-scoring throughput (recordings/min): --jobs 1, --jobs 2 and a Slurm array on a local cluster");
  struct Options {
    std::vector<std::string> files;
    bool json = false, noSlurm = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("FILE", o->files, "Recordings (default: every scenarios/*/recordings/*.trec)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_flag("--no-slurm", o->noSlurm, "Leave out the Slurm array");
  return [o]() -> int {
    std::vector<std::string> files = o->files;
    if (files.empty()) {
      std::error_code ec;
      const auto root = findShipped("scenarios");
      for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->path().extension() == ".trec" && it->path().parent_path().filename() == "recordings")
          files.push_back(it->path().string());
      std::sort(files.begin(), files.end());
    }
    if (files.empty()) {
      std::fprintf(stderr, "error: no recordings (hint: run from the repository, or name them)\n");
      return 2;
    }
    auto tmp = makeTempDirectory("trocar-bench-rescore");
    if (!tmp.ok()) {
      std::fprintf(stderr, "%s\n", tmp.error().toString().c_str());
      return 4;
    }
    const std::filesystem::path dir = tmp.value();
    std::error_code ec;
    const std::string exe = shellQuoted(selfExecutable().string());
    std::string list;
    for (const auto& f : files) list += " " + shellQuoted(f);
    const double n = static_cast<double>(files.size());
    nlohmann::json out{{"schema", "trocar.bench.rescore/1"},
                       {"recordings", files.size()},
                       {"runs", nlohmann::json::array()}};
    // Warm-up: scenarios that import anatomy do it once per build (cached); not in the timings.
    std::set<std::string> scenarios;
    for (const auto& f : files) {
      const auto candidate = std::filesystem::path(f).parent_path().parent_path() / "scenario.yaml";
      if (std::filesystem::exists(candidate, ec)) scenarios.insert(shellQuoted(candidate.string()));
    }
    std::string warm;
    for (const auto& s : scenarios) warm += " " + s;
    if (!warm.empty()) (void)std::system((exe + " validate" + warm + " > /dev/null 2>&1").c_str());
    const std::string log = " 2> " + shellQuoted((dir / "replay.log").string());
    auto failed = [&](const char* what) {
      std::fprintf(stderr, "%s failed:\n", what);
      (void)std::system(("tail -n 20 " + shellQuoted((dir / "replay.log").string()) + " >&2").c_str());
    };
    int status = 0;
    for (int jobs : {1, 2}) {
      if (!o->json) std::fprintf(stderr, "replaying %zu recordings with --jobs %d ...\n", files.size(), jobs);
      const auto start = std::chrono::steady_clock::now();
      const int rc =
          std::system((exe + " replay" + list + " --jobs " + std::to_string(jobs) + " --db " +
                       shellQuoted("sqlite:" + (dir / ("jobs" + std::to_string(jobs) + ".sqlite")).string()) +
                       " > /dev/null" + log)
                          .c_str());
      const double t = secondsSince(start);
      if (!WIFEXITED(rc) || WEXITSTATUS(rc) > 1) {
        failed("replay");
        status = 4;
      }
      out["runs"].push_back(
          {{"name", "jobs " + std::to_string(jobs)}, {"seconds", t}, {"per_minute", n * 60 / t}});
    }
    if (!o->noSlurm) {
      const std::string script = findShipped("tools/slurm/local-cluster.sh").string();
      const std::string cluster = (dir / "cluster").string();
      if (!o->json) std::fprintf(stderr, "starting a one-node Slurm cluster ...\n");
      const int up =
          std::system((shellQuoted(script) + " start " + shellQuoted(cluster) + " > /dev/null").c_str());
      if (!WIFEXITED(up) || WEXITSTATUS(up) != 0) {
        out["runs"].push_back({{"name", "slurm"}, {"skipped", "the local cluster did not start"}});
        status = 4;
      } else {
        const std::string env = "SLURM_CONF=" + shellQuoted(cluster + "/slurm.conf") + " ";
        const auto job = dir / "job";
        if (!o->json) std::fprintf(stderr, "re-scoring as a Slurm array ...\n");
        const auto start = std::chrono::steady_clock::now();
        const int rc =
            std::system((env + exe + " replay" + list + " --slurm " + shellQuoted(job.string()) +
                         " --batch 1 --submit --db " +
                         shellQuoted("sqlite:" + (dir / "slurm.sqlite").string()) + " > /dev/null" + log)
                            .c_str());
        if (rc != 0) failed("replay --slurm");
        while (rc == 0 && !std::filesystem::exists(job / "summary.json") && secondsSince(start) < 3600)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const double t = secondsSince(start);
        auto summary = readFileText(job / "summary.json");
        const bool complete = summary.ok() && summary.value().find("\"complete\": true") != std::string::npos;
        if (!complete) status = 4;
        out["runs"].push_back({{"name", "slurm array"},
                               {"seconds", t},
                               {"per_minute", n * 60 / t},
                               {"tasks", files.size()},
                               {"complete", complete}});
        (void)std::system((shellQuoted(script) + " stop " + shellQuoted(cluster) + " > /dev/null").c_str());
      }
    }
    std::filesystem::remove_all(dir, ec);
    if (o->json) {
      std::cout << out.dump(2) << std::endl;
      return status;
    }
    const double base = out["runs"][0]["seconds"].get<double>();
    std::printf("%zu recordings\n%-14s %10s %12s %10s\n", files.size(), "run", "seconds", "per minute",
                "speed-up");
    for (const auto& r : out["runs"]) {
      if (r.contains("skipped")) {
        std::printf("%-14s skipped: %s\n", r["name"].get<std::string>().c_str(),
                    r["skipped"].get<std::string>().c_str());
        continue;
      }
      std::printf("%-14s %10.1f %12.1f %9.2fx\n", r["name"].get<std::string>().c_str(),
                  r["seconds"].get<double>(), r["per_minute"].get<double>(),
                  base / r["seconds"].get<double>());
    }
    return status;
  };
}

}  // namespace trocar::cli
