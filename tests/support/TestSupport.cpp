#include <trocar/test/TestSupport.h>

#include <trocar/core/File.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace trocar::test {
namespace {
void throwingHandler(const CheckFailure& failure) {
  throw CheckFailed(failure.kind,
                    std::string(failure.expression) + ": " + (failure.message ? failure.message : ""));
}
}  // namespace

ThrowingChecks::ThrowingChecks() : mPrevious(setCheckHandler(&throwingHandler)) {}
ThrowingChecks::~ThrowingChecks() {
  setCheckHandler(mPrevious);
}

TempDir::TempDir() {
  auto dir = makeTempDirectory("trocar-test");
  if (!dir.ok()) throw std::runtime_error(dir.error().toString());
  mPath = dir.value();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(mPath, ec);
}

void writeText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

CommandResult runCommand(const std::string& commandLine) {
  // Attempts that the commands store in a history (`trocar run`, `replay --history`) go into
  // the build's test cache, never the user's own history, unless a test names one.
  if (!std::getenv("TROCAR_DB")) {
    const char* cache = std::getenv("TROCAR_CACHE_DIR");
    const std::filesystem::path base =
        cache && *cache ? std::filesystem::path(cache) : std::filesystem::temp_directory_path();
    ::setenv("TROCAR_DB", ("sqlite:" + (base / "test-history.sqlite").string()).c_str(), 0);
  }
  TempDir dir;
  std::string out = (dir / "out").string();
  std::string err = (dir / "err").string();
  std::string full = commandLine + " >'" + out + "' 2>'" + err + "' </dev/null";
  int status = std::system(full.c_str());
  CommandResult result;
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  result.out = slurp(out);
  result.err = slurp(err);
  return result;
}

}  // namespace trocar::test
