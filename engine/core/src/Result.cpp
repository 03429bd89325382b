#include <trocar/core/Assert.h>
#include <trocar/core/Result.h>

#include <cstdio>
#include <cstdlib>

namespace trocar {

std::string SourceLocation::toString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  } else if (byteOffset) {
    out += (out.empty() ? "byte " : " @ byte ") + std::to_string(*byteOffset);
  }
  return out;
}

const char* toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kMismatch: return "mismatch";
    case ErrorCode::kDivergence: return "divergence";
  }
  return "error";
}

std::string Error::toString() const {
  std::string out;
  if (!where.empty()) out += where.toString() + ": ";
  out += "error: " + message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

Error makeError(ErrorCode code, std::string message, std::string hint) {
  return Error{code, std::move(message), {}, std::move(hint)};
}

Error makeError(ErrorCode code, std::string message, SourceLocation where, std::string hint) {
  return Error{code, std::move(message), std::move(where), std::move(hint)};
}

namespace detail {
void resultAccessFailed(const char* what, const Error* error) {
  std::string message = what;
  if (error) message += ": " + error->toString();
  checkFailed(CheckKind::kPrecondition, "result access", message.c_str(), __FILE__, __LINE__);
  // A handler that returns cannot make the access valid; stop here.
  std::abort();
}
}  // namespace detail

}  // namespace trocar
