#pragma once
// Where the `trocar` executable finds shipped files (scenarios) when run from anywhere:
// $TROCAR_DATA_DIR, then every folder above the executable (a build tree inside the source
// tree), then the working directory.

#include <filesystem>
#include <string>

namespace trocar::cli {

// The first existing `<base>/<relative>`; `relative` itself when none exists.
std::filesystem::path findShipped(const std::filesystem::path& relative);

// This executable's path (/proc/self/exe); "trocar" when it cannot be read.
std::filesystem::path selfExecutable();

// `s` as one word for sh: single-quoted, its single quotes escaped.
std::string shellQuoted(const std::string& s);

// scenarios/<id>/scenario.yaml, found as above.
std::filesystem::path scenarioById(const std::string& id);

}  // namespace trocar::cli
