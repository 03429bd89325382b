#pragma once
// The checklist expression language (syntax version 1), as written in scenario files:
//
//   expr    := compare
//   compare := primary [ ('>=' | '<=' | '==' | '!=' | '>' | '<') primary ]
//   primary := NUMBER | NAME | NAME '(' [ expr { ',' expr } ] ')' | '(' expr ')'
//   NAME    := letters, digits, '-', '_', '*' and '.' (a '*' is a wildcard: peg-*)
//
// e.g. `detached(gauze, inside-circle)`, `clips(cystic-duct) >= 2`,
// `within(30, all(grasped(left, fundus), done(expose)))`. The parser checks syntax; the
// scenario validator checks functions and names; scoring gives them meaning.

#include <trocar/core/Result.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::scenario {

// The functions a condition may call, resolved from their names once, when parsed (kUnknown:
// no such function; the validator says so).
enum class Function : uint8_t {
  kUnknown,
  kGrasped,
  kContact,
  kCut,
  kDetached,
  kClips,
  kPlaced,
  kDropped,
  kOutside,
  kDamage,
  kBleeding,
  kBloodLoss,
  kOutOfView,
  kDone,
  kTime,
  kNot,
  kCount,
  kWithin,
  kHeld,
  kForce,
  kAll,
  kAny,
};
enum class Operator : uint8_t { kGreaterOrEqual, kLessOrEqual, kEqual, kNotEqual, kGreater, kLess };

// What an argument may be.
enum class ArgKind : uint8_t { kHand, kTissue, kRegion, kObject, kZone, kStep, kExpr, kNumber };

// The one table of functions: name, and the arguments each takes (the validator checks calls
// against it; scoring evaluates each Function).
struct FunctionInfo {
  Function function = Function::kUnknown;
  std::string_view name;
  std::vector<std::vector<ArgKind>> args;  // allowed kinds per argument position
  bool variadic = false;                   // all/any: any number of conditions
  size_t optionalFrom = 99;                // arguments from here on may be left out
};
const std::vector<FunctionInfo>& functionTable();
const FunctionInfo* findFunction(std::string_view name);  // null: no such function

struct Expr {
  enum class Kind : uint8_t { kNumber, kName, kCall, kCompare };
  Kind kind = Kind::kName;
  Function function = Function::kUnknown;   // kCall
  Operator op = Operator::kGreaterOrEqual;  // kCompare
  std::string text;                         // kName / kCall: the name; kCompare: the operator
  double number = 0.0;                      // kNumber
  std::vector<Expr> args;                   // kCall: arguments; kCompare: the two sides
  uint32_t offset = 0;                      // byte offset of this node in the expression text
};

// Parses `text`. On error, Error::where.byteOffset holds the offset into `text`.
Result<Expr> parseExpression(std::string_view text);

// Calls `fn(const Expr&)` on every node, parents first.
template <typename Fn>
void visitExpression(const Expr& e, Fn&& fn) {
  fn(e);
  for (const Expr& a : e.args) visitExpression(a, fn);
}

}  // namespace trocar::scenario
