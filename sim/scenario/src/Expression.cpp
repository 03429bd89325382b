#include <trocar/scenario/Expression.h>

#include <cctype>
#include <charconv>

namespace trocar::scenario {
namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '*' || c == '.';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : mText(text) {}

  Result<Expr> parse() {
    auto e = compare(0);
    if (!e.ok()) return e;
    skipSpace();
    if (mPos != mText.size()) {
      // The words people write for logic: `A and B`, `A or B`, `not A`.
      const std::string_view rest = mText.substr(mPos);
      for (auto [word, hint] : {std::pair{std::string_view("and"), "write all(A, B) for A and B"},
                                std::pair{std::string_view("or"), "write any(A, B) for A or B"},
                                std::pair{std::string_view("&&"), "write all(A, B) for A and B"},
                                std::pair{std::string_view("||"), "write any(A, B) for A or B"}}) {
        if (rest.substr(0, word.size()) == word &&
            (rest.size() == word.size() || !isNameChar(rest[word.size()]) || word[0] == '&' ||
             word[0] == '|')) {
          Error joined = fail("'" + std::string(word) + "' joins conditions only as a function");
          joined.hint = hint;
          return joined;
        }
      }
      return fail("unexpected '" + std::string(1, mText[mPos]) + "' after the expression");
    }
    return e;
  }

 private:
  // Deep nesting is an error, not a stack overflow: 64 levels is far beyond any checklist.
  static constexpr int kMaxDepth = 64;

  Error fail(const std::string& what) const {
    SourceLocation where;
    where.byteOffset = mPos;
    return makeError(ErrorCode::kInvalidInput, what, where,
                     "expressions look like detached(gauze, inside-circle) or clips(duct) >= 2");
  }

  void skipSpace() {
    while (mPos < mText.size() && std::isspace(static_cast<unsigned char>(mText[mPos]))) ++mPos;
  }

  Result<Expr> compare(int depth) {
    auto left = primary(depth);
    if (!left.ok()) return left;
    skipSpace();
    static const std::pair<const char*, Operator> kOps[] = {
        {">=", Operator::kGreaterOrEqual}, {"<=", Operator::kLessOrEqual}, {"==", Operator::kEqual},
        {"!=", Operator::kNotEqual},       {">", Operator::kGreater},      {"<", Operator::kLess}};
    for (const auto& [op, which] : kOps) {
      std::string_view o(op);
      if (mText.substr(mPos, o.size()) != o) continue;
      Expr cmp;
      cmp.kind = Expr::Kind::kCompare;
      cmp.op = which;
      cmp.text = op;
      cmp.offset = static_cast<uint32_t>(mPos);
      mPos += o.size();
      auto right = primary(depth);
      if (!right.ok()) return right;
      cmp.args.push_back(std::move(left).value());
      cmp.args.push_back(std::move(right).value());
      return cmp;
    }
    return left;
  }

  Result<Expr> primary(int depth) {
    if (depth > kMaxDepth) return fail("expression nested more than 64 levels deep");
    skipSpace();
    if (mPos >= mText.size()) return fail("expression ends too early");
    char c = mText[mPos];
    if (c == '(') {
      ++mPos;
      auto inner = compare(depth + 1);
      if (!inner.ok()) return inner;
      skipSpace();
      if (mPos >= mText.size() || mText[mPos] != ')') return fail("missing ')'");
      ++mPos;
      return inner;
    }
    Expr e;
    e.offset = static_cast<uint32_t>(mPos);
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && mPos + 1 < mText.size() && std::isdigit(static_cast<unsigned char>(mText[mPos + 1])))) {
      size_t start = mPos;
      while (mPos < mText.size() &&
             (std::isdigit(static_cast<unsigned char>(mText[mPos])) || mText[mPos] == '.'))
        ++mPos;
      std::string number(mText.substr(start, mPos - start));
      char* end = nullptr;
      e.kind = Expr::Kind::kNumber;
      e.number = std::strtod(number.c_str(), &end);
      if (end != number.c_str() + number.size()) {
        mPos = start;
        return fail("'" + number + "' is not a number");
      }
      if (mPos < mText.size() && isNameChar(mText[mPos])) return fail("a number cannot run into a name");
      return e;
    }
    if (!isNameChar(c)) return fail("expected a name, a number or '(' but found '" + std::string(1, c) + "'");
    size_t start = mPos;
    while (mPos < mText.size() && isNameChar(mText[mPos])) ++mPos;
    e.text = std::string(mText.substr(start, mPos - start));
    skipSpace();
    if (mPos < mText.size() && mText[mPos] == '(') {
      e.kind = Expr::Kind::kCall;
      if (const FunctionInfo* f = findFunction(e.text)) e.function = f->function;
      ++mPos;
      skipSpace();
      if (mPos < mText.size() && mText[mPos] == ')') {
        ++mPos;
        return e;
      }
      for (;;) {
        auto arg = compare(depth + 1);
        if (!arg.ok()) return arg;
        e.args.push_back(std::move(arg).value());
        skipSpace();
        if (mPos < mText.size() && mText[mPos] == ',') {
          ++mPos;
          continue;
        }
        if (mPos < mText.size() && mText[mPos] == ')') {
          ++mPos;
          return e;
        }
        return fail("expected ',' or ')' in the arguments of " + e.text + "(...)");
      }
    }
    e.kind = Expr::Kind::kName;
    return e;
  }

  std::string_view mText;
  size_t mPos = 0;
};

}  // namespace

const std::vector<FunctionInfo>& functionTable() {
  using K = ArgKind;
  using F = Function;
  static const std::vector<FunctionInfo> table = {
      {F::kGrasped, "grasped", {{K::kHand}, {K::kTissue, K::kRegion, K::kObject}}},
      {F::kContact, "contact", {{K::kHand}, {K::kTissue, K::kRegion, K::kObject}}},
      {F::kCut, "cut", {{K::kTissue}, {K::kRegion}}, false, 1},
      {F::kDetached, "detached", {{K::kTissue}, {K::kRegion}}, false, 1},
      {F::kClips, "clips", {{K::kTissue, K::kRegion}}},
      {F::kPlaced, "placed", {{K::kObject}, {K::kZone}}},
      {F::kDropped, "dropped", {{K::kObject}, {K::kZone}}, false, 1},
      {F::kOutside, "outside", {{K::kZone}}},
      {F::kDamage, "damage", {{K::kTissue, K::kRegion}}},
      {F::kBleeding, "bleeding", {{K::kTissue}}},
      {F::kBloodLoss, "blood_loss", {}},
      {F::kOutOfView, "out_of_view", {{K::kHand}}},
      {F::kDone, "done", {{K::kStep}}},
      {F::kTime, "time", {}},
      {F::kNot, "not", {{K::kExpr}}},
      {F::kCount, "count", {{K::kExpr}}},
      {F::kWithin, "within", {{K::kNumber}, {K::kExpr}}},
      {F::kHeld, "held", {{K::kNumber}, {K::kExpr}}},
      {F::kForce, "force", {{K::kTissue, K::kRegion, K::kObject}}},
      {F::kAll, "all", {{K::kExpr}}, true},
      {F::kAny, "any", {{K::kExpr}}, true},
  };
  return table;
}

const FunctionInfo* findFunction(std::string_view name) {
  for (const FunctionInfo& f : functionTable()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<Expr> parseExpression(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace trocar::scenario
