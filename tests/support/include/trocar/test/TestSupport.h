#pragma once
// Helpers shared by Trocar's tests.

#include <trocar/core/Assert.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace trocar::test {

// Thrown by ThrowingChecks so a test can EXPECT_THROW on a precondition or assert.
struct CheckFailed : std::runtime_error {
  CheckKind kind;
  CheckFailed(CheckKind k, const std::string& what) : std::runtime_error(what), kind(k) {}
};

// Installs a check handler that throws CheckFailed for the scope's lifetime.
class ThrowingChecks {
 public:
  ThrowingChecks();
  ~ThrowingChecks();
  ThrowingChecks(const ThrowingChecks&) = delete;
  ThrowingChecks& operator=(const ThrowingChecks&) = delete;

 private:
  CheckHandler mPrevious;
};

// A fresh directory under the system temp dir, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return mPath; }
  std::filesystem::path operator/(const std::string& name) const { return mPath / name; }

 private:
  std::filesystem::path mPath;
};

// Path of the `trocar` executable built alongside the tests: $TROCAR_EXE, else the path
// CMake compiled into the test (TROCAR_EXE_PATH), else `trocar` on PATH.
inline std::filesystem::path trocarExecutable() {
  if (const char* env = std::getenv("TROCAR_EXE")) return env;
#ifdef TROCAR_EXE_PATH
  return TROCAR_EXE_PATH;
#else
  return "trocar";
#endif
}

// Writes `text` to `path` (whole file); fails the calling test through an exception if it cannot.
void writeText(const std::filesystem::path& path, const std::string& text);

struct CommandResult {
  int exitCode = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a shell command line, capturing stdout and stderr separately. Sets TROCAR_DB (when
// unset) to a history in the test cache, so commands never write into the user's history.
CommandResult runCommand(const std::string& commandLine);

}  // namespace trocar::test
