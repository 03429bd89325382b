// `trocar validate SCENARIO...`: the instructor's check. Every error of every file, with
// file:line:column, what is wrong and what to do; exit 0 when all are valid, 2 otherwise.

#include "Commands.h"

#include <trocar/core/Hash.h>
#include <trocar/scenario/Sanity.h>
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
    bool json = false, explain = false;
  };
  auto options = std::make_shared<Options>();
  cmd->add_option("SCENARIO", options->files, "Scenario files (YAML)")->required();
  cmd->add_flag("--json", options->json, "Print a JSON list, one entry per file");
  cmd->add_flag(
      "--explain", options->explain,
      "Also print each tissue's bounds, node spacing and pinned nodes, and what each region selects");
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
        // Valid, but probably not what was meant (Sanity.h): said, never fatal.
        const scenario::Sanity sanity = scenario::checkSanity(s);
        entry["warnings"] = nlohmann::json::array();
        for (const Error& w : sanity.warnings) {
          nlohmann::json jw{{"message", w.message}, {"hint", w.hint}, {"file", w.where.file}};
          if (w.where.line) jw["line"] = w.where.line;
          if (w.where.column) jw["column"] = w.where.column;
          entry["warnings"].push_back(jw);
          if (!options->json) {
            std::fprintf(stderr, "%s: warning: %s%s\n", w.where.toString().c_str(), w.message.c_str(),
                         w.hint.empty() ? "" : ("\n  hint: " + w.hint).c_str());
          }
        }
        if (options->explain) {
          auto vec = [](const Vec3& v) { return nlohmann::json::array({v.x, v.y, v.z}); };
          for (const auto& t : sanity.tissues) {
            entry["tissues"].push_back({{"id", t.id},
                                        {"bounds_m", {vec(t.lo), vec(t.hi)}},
                                        {"nodes", t.nodes},
                                        {"pinned", t.pinned},
                                        {"node_spacing_m", t.spacingM},
                                        {"mass_kg", t.massKg}});
            if (!options->json) {
              const glm::dvec3 lo(t.lo), hi(t.hi), size = (hi - lo) * 1000.0;
              std::printf(
                  "tissue %s: %zu nodes (%zu pinned), %.1f x %.1f x %.1f mm from (%.3f, %.3f, %.3f) to "
                  "(%.3f, %.3f, %.3f) m, node spacing %.1f mm, %g kg\n",
                  t.id.c_str(), t.nodes, t.pinned, size.x, size.y, size.z, lo.x, lo.y, lo.z, hi.x, hi.y, hi.z,
                  static_cast<double>(t.spacingM) * 1000.0, static_cast<double>(t.massKg));
            }
          }
          for (const auto& g : sanity.regions) {
            entry["regions"].push_back({{"id", g.id},
                                        {"tissue", g.tissue},
                                        {"nodes", g.nodes},
                                        {"bounds_m", {vec(g.lo), vec(g.hi)}}});
            if (!options->json) {
              const glm::dvec3 lo(g.lo), hi(g.hi);
              std::printf("region %s on %s: %zu node(s) from (%.3f, %.3f, %.3f) to (%.3f, %.3f, %.3f) m\n",
                          g.id.c_str(), g.tissue.c_str(), g.nodes, lo.x, lo.y, lo.z, hi.x, hi.y, hi.z);
            }
          }
        }
        entry["id"] = s.id;
        entry["content_hash"] = hashToHex(s.contentHash);  // what recordings must match to replay
        entry["scoring_hash"] = hashToHex(s.scoringHash);  // what re-scores them when it changes
        if (!options->json) {
          std::printf("ok: %s (%s: %zu tissue(s), %zu object(s), %zu checklist step(s)%s)\n", file.c_str(),
                      s.id.c_str(), s.tissues.size(), s.objects.size(), s.checklist.size(),
                      sanity.warnings.empty()
                          ? ""
                          : (", " + std::to_string(sanity.warnings.size()) + " warning(s)").c_str());
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
