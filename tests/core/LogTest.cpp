#include <trocar/core/Log.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trocar {
namespace {

std::vector<std::string> gLines;
void captureSink(LogLevel, const char* message) {
  gLines.emplace_back(message);
}

TEST(Log, FiltersByLevelAndFormats) {
  LogLevel before = logLevel();
  LogSink previous = setLogSink(&captureSink);
  gLines.clear();
  setLogLevel(LogLevel::kWarn);
  TROCAR_LOG_INFO("hidden %d", 1);
  TROCAR_LOG_WARN("shown %d of %s", 2, "three");
  TROCAR_LOG_ERROR("also shown");
  setLogSink(previous);
  setLogLevel(before);
  ASSERT_EQ(gLines.size(), 2u);
  EXPECT_EQ(gLines[0], "shown 2 of three");
}

TEST(Log, ParsesLevelNames) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(parseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_FALSE(parseLogLevel("loud", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
}

}  // namespace
}  // namespace trocar
