#pragma once
// File helpers with the guarantees reports and recordings rely on.
//
//  - writeFileAtomic: readers see the old file or the new one, never a mix, even if the
//    process is killed mid-write or the machine loses power (temp file + fsync + rename +
//    directory fsync).
//  - DurableAppender: append-only writes for recordings; sync() makes everything written so
//    far survive a crash (fdatasync).
// All functions return Result: paths that cannot be opened, full disks, etc. are expected.

#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace trocar {

Result<std::vector<uint8_t>> readFileBytes(const std::filesystem::path& path);
Result<std::string> readFileText(const std::filesystem::path& path);

Result<void> writeFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> bytes);
Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view text);

// Streaming form of writeFileAtomic for large outputs. Nothing is visible at `path`
// until commit(); destroying an uncommitted writer removes its temp file.
class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> open(const std::filesystem::path& path);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  Result<void> write(std::span<const uint8_t> bytes);
  Result<void> write(std::string_view text);
  // fsync the data, rename over `path`, fsync the directory. The writer is closed after.
  Result<void> commit();

  const std::filesystem::path& tempPath() const { return mTempPath; }

 private:
  AtomicFileWriter(std::filesystem::path target, std::filesystem::path temp, int fd);
  void abandon();

  std::filesystem::path mTarget;
  std::filesystem::path mTempPath;
  int mFd = -1;
};

class DurableAppender {
 public:
  // Creates the file if missing (mode 0644); with `truncate` false existing data stays
  // and writes go to the end.
  static Result<DurableAppender> open(const std::filesystem::path& path, bool truncate);
  DurableAppender(DurableAppender&& other) noexcept;
  DurableAppender& operator=(DurableAppender&& other) noexcept;
  DurableAppender(const DurableAppender&) = delete;
  DurableAppender& operator=(const DurableAppender&) = delete;
  ~DurableAppender();

  // Writes all bytes (retrying short writes). Not yet durable until sync().
  Result<void> append(std::span<const uint8_t> bytes);
  // fdatasync: everything appended so far survives a crash or power loss.
  Result<void> sync();
  uint64_t size() const { return mSize; }
  const std::filesystem::path& path() const { return mPath; }

 private:
  DurableAppender(std::filesystem::path path, int fd, uint64_t size);
  std::filesystem::path mPath;
  int mFd = -1;
  uint64_t mSize = 0;
};

// Creates a new, empty, private directory in the system temp directory, named
// `<prefix>-<random>`. The caller removes it.
Result<std::filesystem::path> makeTempDirectory(const std::string& prefix);

// Where Trocar keeps its data, following the XDG base directory spec:
// recordings and reports in $XDG_DATA_HOME/trocar (~/.local/share/trocar), the asset
// cache in $XDG_CACHE_HOME/trocar (~/.cache/trocar), settings in $XDG_CONFIG_HOME/trocar.
// TROCAR_DATA_DIR / TROCAR_CACHE_DIR override the first two (tests, CI).
struct DataDirectories {
  std::filesystem::path data;
  std::filesystem::path recordings;
  std::filesystem::path cache;
  std::filesystem::path config;
};
DataDirectories dataDirectories();

}  // namespace trocar
