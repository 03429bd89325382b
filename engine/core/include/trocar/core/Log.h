#pragma once
// Logging to stderr with levels. The level comes from TROCAR_LOG_LEVEL
// (error|warn|info|debug|trace) at first use, or setLogLevel(). Tests run at warn.
// Thread-safe: each message is written with one call, whole.
// Never call from the sim tick loop at info or below in normal operation.

#include <cstdarg>

namespace trocar {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
bool logEnabled(LogLevel level);
// Parses "error", "warn", "info", "debug", "trace"; returns false for anything else.
bool parseLogLevel(const char* text, LogLevel* out);

// Where log lines go; default writes "[trocar level] message\n" to stderr.
using LogSink = void (*)(LogLevel level, const char* message);
LogSink setLogSink(LogSink sink);  // nullptr restores stderr; returns the previous sink

void logMessage(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace trocar

#define TROCAR_LOG(level, ...)                                                 \
  do {                                                                         \
    if (::trocar::logEnabled(level)) ::trocar::logMessage(level, __VA_ARGS__); \
  } while (0)
#define TROCAR_LOG_ERROR(...) TROCAR_LOG(::trocar::LogLevel::kError, __VA_ARGS__)
#define TROCAR_LOG_WARN(...) TROCAR_LOG(::trocar::LogLevel::kWarn, __VA_ARGS__)
#define TROCAR_LOG_INFO(...) TROCAR_LOG(::trocar::LogLevel::kInfo, __VA_ARGS__)
#define TROCAR_LOG_DEBUG(...) TROCAR_LOG(::trocar::LogLevel::kDebug, __VA_ARGS__)
