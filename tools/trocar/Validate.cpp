// `trocar validate SCENARIO...`: the instructor's check. Every error of every file, with
// file:line:column, what is wrong and what to do; exit 0 when all are valid, 2 otherwise.

#include "Commands.h"

#include <trocar/core/Hash.h>
#include <trocar/scenario/Scenario.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace trocar::cli {

Runner addValidateCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("validate", "Check scenario files; report every error with file:line:column");
  struct Options {
    std::vector<std::string> files;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("SCENARIO", options->files, "Scenario files (YAML)")->required();
  cmd->add_flag("--json", options->json, "Print a JSON list, one entry per file");
  return [options]() -> int {
    bool allValid = true;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& file : options->files) {
      scenario::LoadResult r = scenario::loadScenarioFile(file);
      allValid = allValid && r.ok();
      nlohmann::json entry{{"file", file}, {"valid", r.ok()}, {"errors", nlohmann::json::array()}};
      for (const Error& e : r.errors) {
        nlohmann::json je{{"message", e.message}, {"hint", e.hint}, {"file", e.where.file}};
        if (e.where.line) je["line"] = e.where.line;
        if (e.where.column) je["column"] = e.where.column;
        if (e.where.byteOffset) je["byte_offset"] = *e.where.byteOffset;
        entry["errors"].push_back(je);
        if (!options->json) std::fprintf(stderr, "%s\n", e.toString().c_str());
      }
      if (r.ok()) {
        const auto& s = *r.scenario;
        entry["id"] = s.id;
        entry["content_hash"] = hashToHex(s.contentHash);  // what recordings must match to replay
        entry["scoring_hash"] = hashToHex(s.scoringHash);  // what re-scores them when it changes
        if (!options->json) {
          std::printf("ok: %s (%s: %zu tissue(s), %zu object(s), %zu checklist step(s))\n", file.c_str(),
                      s.id.c_str(), s.tissues.size(), s.objects.size(), s.checklist.size());
        }
      } else if (!options->json) {
        std::printf("invalid: %s (%zu error(s))\n", file.c_str(), r.errors.size());
      }
      out.push_back(entry);
    }
    if (options->json) std::cout << out.dump(2) << std::endl;
    return allValid ? 0 : 2;
  };
}

}  // namespace trocar::cli
