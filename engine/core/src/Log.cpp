#include <trocar/core/Log.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace trocar {
namespace {

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "?";
}

LogLevel levelFromEnvironment() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("TROCAR_LOG_LEVEL")) parseLogLevel(env, &level);
  return level;
}

std::atomic<int> gLevel{-1};  // -1: not yet read from the environment
std::atomic<LogSink> gSink{nullptr};

void stderrSink(LogLevel level, const char* message) {
  // One fprintf call per line keeps lines whole across threads.
  std::fprintf(stderr, "[trocar %s] %s\n", levelName(level), message);
}

}  // namespace

bool parseLogLevel(const char* text, LogLevel* out) {
  static const LogLevel kLevels[] = {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug,
                                     LogLevel::kTrace};
  for (LogLevel level : kLevels) {
    if (std::strcmp(text, levelName(level)) == 0) {
      *out = level;
      return true;
    }
  }
  return false;
}

void setLogLevel(LogLevel level) {
  gLevel.store(static_cast<int>(level));
}

LogLevel logLevel() {
  int level = gLevel.load();
  if (level < 0) {
    level = static_cast<int>(levelFromEnvironment());
    gLevel.store(level);
  }
  return static_cast<LogLevel>(level);
}

bool logEnabled(LogLevel level) {
  return static_cast<int>(level) <= static_cast<int>(logLevel());
}

LogSink setLogSink(LogSink sink) {
  return gSink.exchange(sink);
}

void logMessage(LogLevel level, const char* format, ...) {
  char buffer[2048];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  LogSink sink = gSink.load();
  (sink ? sink : stderrSink)(level, buffer);
}

}  // namespace trocar
