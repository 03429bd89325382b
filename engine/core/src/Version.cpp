#include <trocar/core/Version.h>

namespace trocar {

std::string versionString() {
  const BuildInfo& info = buildInfo();
  return std::string("trocar ") + info.version + " (" + info.gitHash + ", " + info.buildType + ")";
}

std::string buildId() {
  const BuildInfo& info = buildInfo();
  return std::string(info.version) + "+" + info.gitHash + "." + info.buildType;
}

}  // namespace trocar
