#include <trocar/core/Bytes.h>
#include <trocar/core/Isolate.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace trocar {
namespace {

// The child's answer: tag 0 and the work's bytes, or tag 1 and its Error.
std::vector<uint8_t> encode(const Result<std::vector<uint8_t>>& result) {
  ByteWriter w;
  if (result.ok()) {
    w.put(uint8_t{0});
    w.putVector(result.value());
    return std::move(w.bytes());
  }
  const Error& e = result.error();
  w.put(uint8_t{1});
  w.put(static_cast<uint8_t>(e.code));
  w.putString(e.message);
  w.putString(e.where.file);
  w.put(e.where.line);
  w.put(e.where.column);
  w.put(static_cast<uint8_t>(e.where.byteOffset.has_value()));
  w.put(e.where.byteOffset.value_or(0));
  w.putString(e.hint);
  return std::move(w.bytes());
}

bool decode(const std::vector<uint8_t>& bytes, Result<std::vector<uint8_t>>& out) {
  ByteReader r(bytes);
  const uint8_t tag = r.get<uint8_t>();
  if (tag == 0) {
    auto payload = r.getVector<uint8_t>(bytes.size());
    if (!r.ok()) return false;
    out = std::move(payload);
    return true;
  }
  Error e;
  const uint8_t code = r.get<uint8_t>();
  if (code > static_cast<uint8_t>(ErrorCode::kDivergence)) return false;
  e.code = static_cast<ErrorCode>(code);
  e.message = r.getString(bytes.size());
  e.where.file = r.getString(bytes.size());
  e.where.line = r.get<uint32_t>();
  e.where.column = r.get<uint32_t>();
  const bool hasOffset = r.get<uint8_t>() != 0;
  const uint64_t offset = r.get<uint64_t>();
  if (hasOffset) e.where.byteOffset = offset;
  e.hint = r.getString(bytes.size());
  if (tag != 1 || !r.ok()) return false;
  out = std::move(e);
  return true;
}

bool writeAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + sent, bytes.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::vector<uint8_t>> runIsolated(const std::string& reader, const std::filesystem::path& file,
                                         double timeoutS,
                                         const std::function<Result<std::vector<uint8_t>>()>& work) {
  SourceLocation where;
  where.file = file.string();
  int fds[2];
  if (pipe(fds) != 0) {
    return makeError(ErrorCode::kIo, reader + " could not start: pipe: " + std::strerror(errno), where,
                     "too many open files? close some programs and try again");
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t child = fork();
  if (child < 0) {
    const int err = errno;
    close(fds[0]);
    close(fds[1]);
    return makeError(ErrorCode::kIo, reader + " could not start: fork: " + std::strerror(err), where,
                     "free some memory and try again");
  }
  if (child == 0) {
    close(fds[0]);
    // Die of a crash as the crash (the parent names the signal), not through handlers
    // inherited from the parent (a fuzzer's or a sanitizer's, which report and exit).
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) signal(sig, SIG_DFL);
    const bool sent = writeAll(fds[1], encode(work()));
    // No destructors, atexit handlers or leak report here: the parent owns all of that.
    _exit(sent ? 0 : 3);
  }
  close(fds[1]);
  std::vector<uint8_t> bytes;
  bool late = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutS);
  uint8_t buffer[1 << 16];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      late = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready <= 0) continue;  // a signal or a second without news: look at the clock again
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: done, or dead
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  close(fds[0]);
  if (late) kill(child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  const char* kHint = "the file is probably malformed: export or copy it again";
  if (late) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.0f", timeoutS);
    return makeError(ErrorCode::kInvalidInput, reader + " did not finish in " + seconds + " s; stopped",
                     where, kHint);
  }
  if (WIFSIGNALED(status)) {
    return makeError(ErrorCode::kInvalidInput,
                     reader + " crashed on it (" + strsignal(WTERMSIG(status)) + ")", where, kHint);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    // Something in the child ended it (exit() in a library, a sanitizer's report).
    return makeError(ErrorCode::kInvalidInput,
                     reader + " gave up on it (exit status " + std::to_string(WEXITSTATUS(status)) + ")",
                     where, kHint);
  }
  Result<std::vector<uint8_t>> out = std::vector<uint8_t>{};
  if (!WIFEXITED(status) || !decode(bytes, out)) {
    return makeError(ErrorCode::kIo,
                     reader + " gave no usable answer (exit status " +
                         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")",
                     where, "try again; if it persists, report it with the file");
  }
  return out;
}

}  // namespace trocar
