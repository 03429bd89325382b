#pragma once
// Two of the three error tiers (the third, expected failures, is Result<T>):
//
//   TROCAR_ASSERT(cond, msg)        a bug in Trocar. Active in every build type.
//   TROCAR_PRECONDITION(cond, msg)  a caller broke an API contract (bad argument, wrong order).
//
// Both call the current failure handler, which by default prints the failure and aborts.
// Tests replace the handler (e.g. with one that throws) to check that a precondition fires.
// A handler that returns lets execution continue past the check: only do that in tests.

#include <cstdint>

namespace trocar {

enum class CheckKind { kAssert, kPrecondition };

struct CheckFailure {
  CheckKind kind;
  const char* expression;
  const char* message;
  const char* file;  // where the check is written (__FILE__, __LINE__)
  uint32_t line;
};

using CheckHandler = void (*)(const CheckFailure&);

// Installs `handler` (nullptr restores the default) and returns the previous one.
// Not thread-safe against concurrent failures; install handlers at start-up or in tests.
CheckHandler setCheckHandler(CheckHandler handler);

// The default: prints "file:line: assertion failed: expr: message" to stderr and aborts.
void defaultCheckHandler(const CheckFailure& failure);

namespace detail {
void checkFailed(CheckKind kind, const char* expression, const char* message, const char* file,
                 uint32_t line);
}

}  // namespace trocar

#define TROCAR_ASSERT(cond, msg)                                                                   \
  do {                                                                                             \
    if (!(cond)) [[unlikely]]                                                                      \
      ::trocar::detail::checkFailed(::trocar::CheckKind::kAssert, #cond, msg, __FILE__, __LINE__); \
  } while (0)

#define TROCAR_PRECONDITION(cond, msg)                                                                   \
  do {                                                                                                   \
    if (!(cond)) [[unlikely]]                                                                            \
      ::trocar::detail::checkFailed(::trocar::CheckKind::kPrecondition, #cond, msg, __FILE__, __LINE__); \
  } while (0)
