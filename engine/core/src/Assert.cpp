#include <trocar/core/Assert.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace trocar {
namespace {
std::atomic<CheckHandler> gHandler{nullptr};
}

void defaultCheckHandler(const CheckFailure& failure) {
  const char* kind = failure.kind == CheckKind::kAssert ? "assertion failed" : "precondition failed";
  std::fprintf(stderr, "%s:%u: %s: %s: %s\n", failure.file, static_cast<unsigned>(failure.line), kind,
               failure.expression, failure.message ? failure.message : "");
  std::fflush(stderr);
  std::abort();
}

CheckHandler setCheckHandler(CheckHandler handler) {
  return gHandler.exchange(handler);
}

namespace detail {
void checkFailed(CheckKind kind, const char* expression, const char* message, const char* file,
                 uint32_t line) {
  CheckHandler handler = gHandler.load();
  CheckFailure failure{kind, expression, message, file, line};
  if (handler) {
    handler(failure);
  } else {
    defaultCheckHandler(failure);
  }
}
}  // namespace detail

}  // namespace trocar
