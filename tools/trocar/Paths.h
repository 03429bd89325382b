#pragma once
// Where the `trocar` executable finds shipped files (scenarios) when run from anywhere:
// $TROCAR_DATA_DIR, then every folder above the executable (a build tree inside the source
// tree), then the working directory.

#include <filesystem>
#include <string>

namespace trocar::cli {

// The first existing `<base>/<relative>`; `relative` itself when none exists.
std::filesystem::path findShipped(const std::filesystem::path& relative);

// scenarios/<id>/scenario.yaml, found as above.
std::filesystem::path scenarioById(const std::string& id);

}  // namespace trocar::cli
