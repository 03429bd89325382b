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

struct Expr {
  enum class Kind : uint8_t { kNumber, kName, kCall, kCompare };
  Kind kind = Kind::kName;
  std::string text;        // kName / kCall: the name; kCompare: the operator
  double number = 0.0;     // kNumber
  std::vector<Expr> args;  // kCall: arguments; kCompare: the two sides
  uint32_t offset = 0;     // byte offset of this node in the expression text
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
