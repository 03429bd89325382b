#pragma once
// Result<T> and Error: how Trocar reports expected failures (files, devices, user input).
//
// An Error says what went wrong, where (file:line:column or a byte offset), and what to do
// about it. Errors never cross a module boundary as exceptions; functions that can fail in
// normal use return Result<T>. Bugs use TROCAR_ASSERT, caller mistakes TROCAR_PRECONDITION
// (see Assert.h).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace trocar {

// Where in an input an error was found. Line and column are 1-based (0 = unknown);
// byteOffset is used for binary inputs (recordings, meshes). Any field may be empty.
struct SourceLocation {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::optional<uint64_t> byteOffset;

  bool empty() const { return file.empty() && line == 0 && !byteOffset; }
  // "file:line:col", "file:line", "file@byte 123" or "file", depending on what is known.
  std::string toString() const;
};

// Broad classes of failure, so callers (and exit codes) can react without parsing messages.
enum class ErrorCode : uint8_t {
  kInvalidInput,  // malformed data: a scenario, a mesh, a recording
  kNotFound,      // a file or device that is not there
  kIo,            // the OS refused: permissions, disk full, short write
  kUnsupported,   // valid request this build or machine cannot serve
  kUnavailable,   // a device or runtime that does not answer (GPU, headset, audio)
  kMismatch,      // inputs that do not belong together (hash, version)
  kDivergence,    // a replay that no longer matches its recording
};

const char* toString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInvalidInput;
  std::string message;   // what is wrong, one sentence, no trailing period needed
  SourceLocation where;  // where it was found
  std::string hint;      // what to do about it; may be empty

  // "where: error: message (hint: ...)" — the one format printed to users.
  std::string toString() const;
};

Error makeError(ErrorCode code, std::string message, std::string hint = {});
Error makeError(ErrorCode code, std::string message, SourceLocation where, std::string hint = {});

// Result<T>: either a value or an Error. Access the value only after checking ok();
// value() on an error (or error() on a value) is a caller mistake and trips a precondition.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : mData(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : mData(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return mData.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() &;
  const T& value() const&;
  T&& value() &&;
  const Error& error() const;

  T valueOr(T fallback) const& { return ok() ? std::get<0>(mData) : std::move(fallback); }

 private:
  std::variant<T, Error> mData;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : mError(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !mError.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const;

 private:
  std::optional<Error> mError;
};

inline Result<void> success() {
  return {};
}

namespace detail {
[[noreturn]] void resultAccessFailed(const char* what, const Error* error);
}

template <typename T>
T& Result<T>::value() & {
  if (!ok()) detail::resultAccessFailed("value() on an error Result", &std::get<1>(mData));
  return std::get<0>(mData);
}
template <typename T>
const T& Result<T>::value() const& {
  if (!ok()) detail::resultAccessFailed("value() on an error Result", &std::get<1>(mData));
  return std::get<0>(mData);
}
template <typename T>
T&& Result<T>::value() && {
  if (!ok()) detail::resultAccessFailed("value() on an error Result", &std::get<1>(mData));
  return std::get<0>(std::move(mData));
}
template <typename T>
const Error& Result<T>::error() const {
  if (ok()) detail::resultAccessFailed("error() on a successful Result", nullptr);
  return std::get<1>(mData);
}
inline const Error& Result<void>::error() const {
  if (ok()) detail::resultAccessFailed("error() on a successful Result", nullptr);
  return *mError;
}

}  // namespace trocar

// Propagate an error from an expression returning Result<...>.
#define TROCAR_TRY(expr)                                         \
  do {                                                           \
    auto trocarTryResult_ = (expr);                              \
    if (!trocarTryResult_.ok()) return trocarTryResult_.error(); \
  } while (0)
