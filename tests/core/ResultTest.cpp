#include <trocar/core/Result.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <memory>

namespace trocar {
namespace {

Result<int> parsePositive(int x) {
  if (x <= 0) {
    return makeError(ErrorCode::kInvalidInput, "value must be positive", SourceLocation{"a.yaml", 3, 7},
                     "use a number above zero");
  }
  return x;
}

Result<int> doubled(int x) {
  TROCAR_TRY(parsePositive(x));
  return 2 * x;
}

TEST(Result, CarriesValue) {
  Result<int> r = parsePositive(5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 5);
}

TEST(Result, CarriesErrorWithLocationAndHint) {
  Result<int> r = parsePositive(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().where.line, 3u);
  EXPECT_EQ(r.error().toString(),
            "a.yaml:3:7: error: value must be positive (hint: use a number above zero)");
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_EQ(doubled(4).value(), 8);
  Result<int> r = doubled(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "value must be positive");
}

TEST(Result, VoidResult) {
  Result<void> good = success();
  EXPECT_TRUE(good.ok());
  Result<void> bad = makeError(ErrorCode::kIo, "disk full");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().toString(), "error: disk full");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(42);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 42);
}

TEST(Result, LocationFormats) {
  EXPECT_EQ((SourceLocation{"f", 2, 0}.toString()), "f:2");
  SourceLocation binary{"rec.trec"};
  binary.byteOffset = 120;
  EXPECT_EQ(binary.toString(), "rec.trec @ byte 120");
  EXPECT_TRUE(SourceLocation{}.empty());
}

TEST(Result, WrongAccessIsAPreconditionFailure) {
  test::ThrowingChecks checks;
  Result<int> bad = parsePositive(0);
  EXPECT_THROW((void)bad.value(), test::CheckFailed);
  Result<int> good = parsePositive(1);
  EXPECT_THROW((void)good.error(), test::CheckFailed);
}

}  // namespace
}  // namespace trocar
