#include <trocar/scenario/Expression.h>

#include <gtest/gtest.h>

namespace trocar::scenario {
namespace {

TEST(Expression, ParsesCallsNamesNumbersAndComparisons) {
  auto e = parseExpression("within(30, all(grasped(left, fundus), clips(cystic-duct) >= 2))");
  ASSERT_TRUE(e.ok()) << e.error().toString();
  const Expr& root = e.value();
  EXPECT_EQ(root.kind, Expr::Kind::kCall);
  EXPECT_EQ(root.text, "within");
  ASSERT_EQ(root.args.size(), 2u);
  EXPECT_EQ(root.args[0].kind, Expr::Kind::kNumber);
  EXPECT_EQ(root.args[0].number, 30.0);
  const Expr& all = root.args[1];
  ASSERT_EQ(all.args.size(), 2u);
  EXPECT_EQ(all.args[1].kind, Expr::Kind::kCompare);
  EXPECT_EQ(all.args[1].text, ">=");
  EXPECT_EQ(all.args[1].args[0].args[0].text, "cystic-duct");
  EXPECT_EQ(all.args[1].args[0].args[0].offset, 44u);  // byte offset of 'cystic-duct'
}

TEST(Expression, WildcardsAndParentheses) {
  auto e = parseExpression("(placed(peg-*, right-board))");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().args[0].text, "peg-*");
}

TEST(Expression, ErrorsSayWhereByByteOffset) {
  struct Case {
    const char* text;
    uint64_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"grasped(left, gauze", 19, "expected ',' or ')' in the arguments of grasped(...)"},
      {"cut(gauze))", 10, "unexpected ')' after the expression"},
      {"", 0, "expression ends too early"},
      {"clips(x) >= ", 12, "expression ends too early"},
      {"2abc", 1, "a number cannot run into a name"},
      {"cut(, x)", 4, "expected a name, a number or '(' but found ','"},
  };
  for (const auto& c : cases) {
    auto e = parseExpression(c.text);
    ASSERT_FALSE(e.ok()) << c.text;
    EXPECT_EQ(e.error().message, c.message) << c.text;
    EXPECT_EQ(e.error().where.byteOffset.value_or(999), c.offset) << c.text;
  }
}

TEST(Expression, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  auto e = parseExpression(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("nested"), std::string::npos);
}

}  // namespace
}  // namespace trocar::scenario
