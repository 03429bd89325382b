#pragma once
// Helpers shared by the fuzz targets: an input split into parts (for readers of two files,
// such as a header and its data), and a scratch folder for readers that only take paths.
#include <trocar/core/Log.h>

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::fuzz {

// Once per process: only errors from the readers' logging (a fuzzer feeds millions of inputs).
inline void quietLogs() {
  static const bool quiet = [] {
    trocar::setLogLevel(trocar::LogLevel::kError);
    return true;
  }();
  (void)quiet;
}

// The parts of `text` between lines that read "%%" (so seeds stay readable text files).
inline std::vector<std::string> splitParts(std::string_view text, size_t most) {
  std::vector<std::string> parts;
  constexpr std::string_view kSeparator = "\n%%\n";
  while (parts.size() + 1 < most) {
    const size_t at = text.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.emplace_back(text.substr(0, at + 1));
    text.remove_prefix(at + kSeparator.size());
  }
  parts.emplace_back(text);
  return parts;
}

// One folder per process under TMPDIR, removed at exit.
inline const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "trocar-fuzz-XXXXXX").string();
    const char* made = mkdtemp(templ.data());
    if (!made) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratchDir(), ec);
    });
    return std::filesystem::path(made);
  }();
  return dir;
}

inline std::filesystem::path writeScratch(const std::string& name, std::string_view bytes) {
  const std::filesystem::path path = scratchDir() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// With TROCAR_FUZZ_SAY set, what a reader made of an input ("ok" or its error): for checking
// that seeds are read as meant (`TROCAR_FUZZ_SAY=1 trocar_fuzz_mesh -runs=0 corpus/mesh`).
template <typename R>
void say(const R& result) {
  if (!std::getenv("TROCAR_FUZZ_SAY")) return;
  std::fprintf(stderr, "%s\n", result.ok() ? "ok" : result.error().toString().c_str());
}
inline void say(bool ok) {
  if (std::getenv("TROCAR_FUZZ_SAY")) std::fprintf(stderr, "%s\n", ok ? "ok" : "refused");
}

}  // namespace trocar::fuzz
