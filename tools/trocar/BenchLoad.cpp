// `trocar bench load`: how long each scenario takes to load (parse, validate, import and
// build its world), cold (empty asset cache) and cached. Budget: cached <= 1 s.

#include "Commands.h"

#include <trocar/core/File.h>
#include <trocar/scenario/Scenario.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

namespace trocar::cli {
namespace {

double loadMs(const std::filesystem::path& file, bool* ok) {
  auto start = std::chrono::steady_clock::now();
  auto r = scenario::loadScenarioFile(file);
  bool built = false;
  if (r.ok()) built = scenario::buildSession(*r.scenario).ok();
  *ok = r.ok() && built;
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

Runner addBenchLoadCommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("load", "Scenario load time, cold and with the asset cache");
  struct Options {
    std::string dir = "scenarios";
    bool json = false;
    int runs = 5;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("--dir", options->dir, "Folder searched for */scenario.yaml (default: scenarios)");
  cmd->add_option("--runs", options->runs, "Runs per measurement; the median is reported")
      ->check(CLI::Range(1, 100));
  cmd->add_flag("--json", options->json, "Print one JSON object");
  return [options]() -> int {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(options->dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() == "scenario.yaml") files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr,
                   "error: no */scenario.yaml under '%s' (hint: run from the repository or pass --dir)\n",
                   options->dir.c_str());
      return 2;
    }
    // A private cache: "cold" empties it before every run, "cached" keeps it.
    auto cacheDir = makeTempDirectory("trocar-bench-cache");
    if (!cacheDir.ok()) {
      std::fprintf(stderr, "%s\n", cacheDir.error().toString().c_str());
      return 4;
    }
    const std::filesystem::path cache = cacheDir.value();
    ::setenv("TROCAR_CACHE_DIR", cache.c_str(), 1);
    nlohmann::json out{{"schema", "trocar.bench.load/1"}, {"scenarios", nlohmann::json::array()}};
    int status = 0;
    for (const auto& file : files) {
      std::vector<double> cold, cached;
      bool ok = true;
      for (int i = 0; i < options->runs && ok; ++i) {
        std::filesystem::remove_all(cache, ec);
        cold.push_back(loadMs(file, &ok));
      }
      for (int i = 0; i < options->runs && ok; ++i) cached.push_back(loadMs(file, &ok));
      if (!ok) {
        std::fprintf(stderr, "error: %s does not load; run `trocar validate %s`\n", file.c_str(),
                     file.c_str());
        status = 2;
        continue;
      }
      out["scenarios"].push_back({{"name", file.parent_path().filename().string()},
                                  {"file", file.string()},
                                  {"cold_ms", median(cold)},
                                  {"cached_ms", median(cached)}});
    }
    std::filesystem::remove_all(cache, ec);
    if (options->json) {
      std::cout << out.dump(2) << std::endl;
    } else {
      std::printf("%-28s %10s %10s\n", "scenario", "cold_ms", "cached_ms");
      for (const auto& s : out["scenarios"]) {
        std::printf("%-28s %10.1f %10.1f\n", s["name"].get<std::string>().c_str(), s["cold_ms"].get<double>(),
                    s["cached_ms"].get<double>());
      }
    }
    return status;
  };
}

}  // namespace trocar::cli
