#pragma once
// The programme layer on the command line (Programme.cpp): `trocar history`, `trocar progress`,
// and what `run` and `replay` use to store attempts and to start a curriculum's next scenario.

#include "Commands.h"

#include <trocar/programme/History.h>
#include <trocar/scenario/Curriculum.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trocar::cli {

// Adds `history [--trainee] [--scenario] [--db] [--json] [--html F] [--xapi F] [--curriculum C]`.
Runner addHistoryCommand(CLI::App& app);
// Adds `progress TRAINEE [--curriculum C] [--db] [--json]`.
Runner addProgressCommand(CLI::App& app);

// A curriculum named by file or by id (curricula/<id>.yaml, found as scenarios are); errors
// are printed, file:line:column.
std::optional<scenario::Curriculum> loadCurriculum(const std::string& nameOrFile);
// The default curriculum: the FLS manual skills.
constexpr const char* kDefaultCurriculum = "fls-manual-skills";

// Stores a scored attempt in the history at `url` (History::defaultUrl() when empty); a failure
// is printed as a warning and returns false: the recording and its reports are already written.
bool storeAttempt(const std::string& url, const scoring::ScoreReport& report,
                  const std::filesystem::path& recording, const std::string& source,
                  const std::string& curriculum);

// `trocar replay --slurm DIR`: job scripts that re-score `files` on a Slurm cluster into the
// history, submitted when `submit` (Slurm.cpp). Exit code as the command's.
struct SlurmRequest {
  std::vector<std::string> files;
  std::string dir, db, scenario;
  size_t batch = 1;  // recordings per array task
  bool force = false, submit = false;
};
int emitSlurm(const SlurmRequest& request);
// `trocar replay --merge DIR`: the summary job: every listed recording re-scored once and in
// the history once; writes DIR/summary.json. 0 complete, 3 not, 2 unreadable folder.
int mergeSlurm(const std::string& dir, const std::string& db);

// Now, UTC, ISO 8601.
std::string nowUtc();

}  // namespace trocar::cli
