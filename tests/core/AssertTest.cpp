#include <trocar/core/Assert.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <string>

namespace trocar {
namespace {

CheckFailure gLast{};
int gCalls = 0;
void recordingHandler(const CheckFailure& failure) {
  gLast = failure;
  ++gCalls;
}

TEST(Assert, ReplaceableHandlerSeesKindExpressionAndMessage) {
  gCalls = 0;
  CheckHandler previous = setCheckHandler(&recordingHandler);
  int x = 3;
  TROCAR_ASSERT(x == 4, "x must be four");
  TROCAR_PRECONDITION(x > 0, "never fires");
  TROCAR_PRECONDITION(x < 0, "x must be negative");
  setCheckHandler(previous);
  EXPECT_EQ(gCalls, 2);
  EXPECT_EQ(gLast.kind, CheckKind::kPrecondition);
  EXPECT_STREQ(gLast.expression, "x < 0");
  EXPECT_STREQ(gLast.message, "x must be negative");
  EXPECT_GT(gLast.line, 0u);
  EXPECT_NE(std::string(gLast.file).find("AssertTest.cpp"), std::string::npos);
}

TEST(Assert, SetHandlerReturnsThePreviousOne) {
  CheckHandler first = setCheckHandler(&recordingHandler);
  EXPECT_EQ(setCheckHandler(first), &recordingHandler);
}

TEST(AssertDeathTest, DefaultHandlerAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(TROCAR_ASSERT(1 + 1 == 3, "arithmetic is broken"),
               "assertion failed: 1 \\+ 1 == 3: arithmetic is broken");
}

}  // namespace
}  // namespace trocar
