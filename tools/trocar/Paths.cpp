#include "Paths.h"

#include <cstdlib>
#include <vector>

namespace trocar::cli {

std::filesystem::path findShipped(const std::filesystem::path& relative) {
  std::vector<std::filesystem::path> bases;
  if (const char* d = std::getenv("TROCAR_DATA_DIR"); d && *d) bases.emplace_back(d);
  std::error_code ec;
  const auto exe = selfExecutable();
  if (exe.has_parent_path()) {
    for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      bases.push_back(dir);
    }
  }
  bases.emplace_back(".");
  for (const auto& base : bases) {
    if (std::filesystem::exists(base / relative, ec)) return base / relative;
  }
  return relative;
}

std::filesystem::path selfExecutable() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("trocar") : exe;
}

std::string shellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::filesystem::path scenarioById(const std::string& id) {
  return findShipped(std::filesystem::path("scenarios") / id / "scenario.yaml");
}

}  // namespace trocar::cli
