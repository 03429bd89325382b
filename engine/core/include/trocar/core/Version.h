#pragma once
// What build this is: printed by `trocar --version`, stored in recordings (a replay is
// bit-exact only against the same build).

#include <string>

namespace trocar {

struct BuildInfo {
  const char* version;    // semantic version of the project, "0.1.0"
  const char* gitHash;    // short commit hash, "-dirty" when built from a modified tree
  const char* buildType;  // CMake build type
};

const BuildInfo& buildInfo();
// "trocar 0.1.0 (abc123def456, Release)"
std::string versionString();
// Identifies the build for recordings: "0.1.0+abc123def456.Release".
std::string buildId();

}  // namespace trocar
