#include <trocar/core/File.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace trocar {
namespace fs = std::filesystem;
namespace {

Error ioError(const std::string& what, const fs::path& path, int err, std::string hint = {}) {
  SourceLocation where;
  where.file = path.string();
  return makeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, what + ": " + std::strerror(err),
                   where, std::move(hint));
}

Result<void> writeAll(int fd, const fs::path& path, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write", path, errno, "check free disk space and permissions");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return success();
}

// Makes a rename in `dir` durable.
void syncDirectory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Result<std::vector<uint8_t>> readFileBytes(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ioError("cannot open", path, errno, "check the path");
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return makeError(ErrorCode::kInvalidInput, "is a directory, not a file", SourceLocation{path.string()},
                     "give the path of a file");
  }
  std::vector<uint8_t> bytes;
  if (st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ioError("cannot read", path, err);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  ::close(fd);
  return bytes;
}

Result<std::string> readFileText(const fs::path& path) {
  auto bytes = readFileBytes(path);
  if (!bytes.ok()) return bytes.error();
  return std::string(bytes.value().begin(), bytes.value().end());
}

// --- AtomicFileWriter --------------------------------------------------------------

AtomicFileWriter::AtomicFileWriter(fs::path target, fs::path temp, int fd)
    : mTarget(std::move(target)), mTempPath(std::move(temp)), mFd(fd) {}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : mTarget(std::move(other.mTarget)), mTempPath(std::move(other.mTempPath)), mFd(other.mFd) {
  other.mFd = -1;
}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    abandon();
    mTarget = std::move(other.mTarget);
    mTempPath = std::move(other.mTempPath);
    mFd = other.mFd;
    other.mFd = -1;
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() {
  abandon();
}

void AtomicFileWriter::abandon() {
  if (mFd >= 0) {
    ::close(mFd);
    ::unlink(mTempPath.c_str());
    mFd = -1;
  }
}

Result<AtomicFileWriter> AtomicFileWriter::open(const fs::path& path) {
  // The temp file lives in the target's directory so rename() never crosses filesystems.
  fs::path dir = path.parent_path();
  std::string pattern = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0)
    return ioError("cannot create a temporary file next to the target", path, errno,
                   "check that the directory exists and is writable");
  ::fchmod(fd, 0644);
  return AtomicFileWriter(path, fs::path(pattern), fd);
}

Result<void> AtomicFileWriter::write(std::span<const uint8_t> bytes) {
  if (mFd < 0) return makeError(ErrorCode::kIo, "write after commit", SourceLocation{mTarget.string()});
  return writeAll(mFd, mTempPath, bytes.data(), bytes.size());
}

Result<void> AtomicFileWriter::write(std::string_view text) {
  return write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<void> AtomicFileWriter::commit() {
  if (mFd < 0) return makeError(ErrorCode::kIo, "commit twice", SourceLocation{mTarget.string()});
  if (::fsync(mFd) != 0) {
    int err = errno;
    abandon();
    return ioError("cannot flush", mTarget, err, "check free disk space");
  }
  ::close(mFd);
  mFd = -1;
  if (::rename(mTempPath.c_str(), mTarget.c_str()) != 0) {
    int err = errno;
    ::unlink(mTempPath.c_str());
    return ioError("cannot replace", mTarget, err, "check permissions on the directory");
  }
  syncDirectory(mTarget.parent_path());
  return success();
}

Result<void> writeFileAtomic(const fs::path& path, std::span<const uint8_t> bytes) {
  auto writer = AtomicFileWriter::open(path);
  if (!writer.ok()) return writer.error();
  TROCAR_TRY(writer.value().write(bytes));
  return writer.value().commit();
}

Result<void> writeFileAtomic(const fs::path& path, std::string_view text) {
  return writeFileAtomic(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// --- DurableAppender ---------------------------------------------------------------

DurableAppender::DurableAppender(fs::path path, int fd, uint64_t size)
    : mPath(std::move(path)), mFd(fd), mSize(size) {}

DurableAppender::DurableAppender(DurableAppender&& other) noexcept
    : mPath(std::move(other.mPath)), mFd(other.mFd), mSize(other.mSize) {
  other.mFd = -1;
}

DurableAppender& DurableAppender::operator=(DurableAppender&& other) noexcept {
  if (this != &other) {
    if (mFd >= 0) ::close(mFd);
    mPath = std::move(other.mPath);
    mFd = other.mFd;
    mSize = other.mSize;
    other.mFd = -1;
  }
  return *this;
}

DurableAppender::~DurableAppender() {
  if (mFd >= 0) ::close(mFd);
}

Result<DurableAppender> DurableAppender::open(const fs::path& path, bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0)
    return ioError("cannot open for appending", path, errno,
                   "check that the directory exists and is writable");
  struct stat st {};
  ::fstat(fd, &st);
  // A new file's directory entry must be durable too.
  syncDirectory(path.parent_path());
  return DurableAppender(path, fd, static_cast<uint64_t>(st.st_size));
}

Result<void> DurableAppender::append(std::span<const uint8_t> bytes) {
  TROCAR_TRY(writeAll(mFd, mPath, bytes.data(), bytes.size()));
  mSize += bytes.size();
  return success();
}

Result<void> DurableAppender::sync() {
  if (::fdatasync(mFd) != 0) return ioError("cannot sync", mPath, errno, "check free disk space");
  return success();
}

Result<std::filesystem::path> makeTempDirectory(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) {
    return ioError("cannot create a temporary directory", fs::path(pattern).parent_path(), errno,
                   "check TMPDIR and free disk space");
  }
  return fs::path(pattern);
}

// --- Data directories --------------------------------------------------------------

DataDirectories dataDirectories() {
  auto env = [](const char* name) -> fs::path {
    const char* value = std::getenv(name);
    return value && *value ? fs::path(value) : fs::path();
  };
  fs::path home = env("HOME");
  if (home.empty()) home = "/tmp";
  auto xdg = [&](const char* name, const char* fallback) {
    fs::path base = env(name);
    return (base.empty() ? home / fallback : base) / "trocar";
  };
  DataDirectories dirs;
  dirs.data = env("TROCAR_DATA_DIR");
  if (dirs.data.empty()) dirs.data = xdg("XDG_DATA_HOME", ".local/share");
  dirs.recordings = dirs.data / "recordings";
  dirs.cache = env("TROCAR_CACHE_DIR");
  if (dirs.cache.empty()) dirs.cache = xdg("XDG_CACHE_HOME", ".cache");
  dirs.config = xdg("XDG_CONFIG_HOME", ".config");
  return dirs;
}

}  // namespace trocar
