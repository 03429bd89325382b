#pragma once
// The recording format, `.trec` (DESIGN.md section 4): little-endian, versioned, append-only.
//
//   header   "TROCREC1", u32 format version, then length-prefixed fields: build id,
//            scenario id, u64 scenario content hash, u32 tick rate, u64 seed, trainee id
//            (pseudonymous), i64 start time (unix seconds)
//   chunks   u32 type, u32 stored size, u32 raw size, u32 CRC32C of the stored bytes,
//            then the stored bytes (zstd-compressed payload)
//              1 frames:     u64 first tick, u32 count, count x InputFrame
//              2 checkpoint: u64 tick, u64 state hash
//              3 footer:     u64 tick count, u64 final state hash, summary text
//              4 events:     u32 count, then per event: u64 tick, u8 kind, i8 hand (-1 none),
//                            u32 tissue, u32 rigid, u32 zone, f32 value, 3 x f32 position,
//                            u8 torn, u32 region count, region indices
//              5 scope:      u32 count, then per move: u64 tick, pose (the laparoscope moved
//                            there at that tick: InputFrame::scope); written after the frames
//                            chunk it belongs to, only where the scope moved
//
// Readers validate every chunk and keep everything before the first bad byte: a recording
// cut short by a crash replays up to its last complete chunk and says where it broke.

#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>
#include <trocar/session/Session.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trocar::replay {

// 2: the header carries the scenario's simulation and scoring hashes apart (format 1: one
// hash of the scenario file's bytes). Both are read.
constexpr uint32_t kFormatVersion = 2;

struct RecordingHeader {
  uint32_t formatVersion = kFormatVersion;
  std::string buildId;
  std::string scenarioId;
  Hash64 scenarioHash = 0;  // ScenarioDesc::contentHash (format 1: its fileHash)
  Hash64 scoringHash = 0;   // ScenarioDesc::scoringHash (format 1: none)
  uint32_t tickHz = 500;
  uint64_t seed = 0;
  std::string traineeId;  // pseudonymous, never a name
  int64_t startTimeUnix = 0;
};

using session::Checkpoint;  // (tick, state hash): the session's own checkpoints, recorded

struct Footer {
  Tick ticks = 0;
  Hash64 finalHash = 0;
  std::string summary;
};

// CRC32C (Castagnoli), as used for chunk integrity.
uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);

class RecordingWriter {
 public:
  // Creates (truncates) `path` and writes the header durably.
  static Result<RecordingWriter> create(const std::filesystem::path& path, const RecordingHeader& header);

  // Appends frames for ticks [firstTick, firstTick + frames.size()) as one chunk.
  Result<void> appendFrames(Tick firstTick, std::span<const physics::InputFrame> frames);
  Result<void> appendCheckpoint(const Checkpoint& checkpoint);
  // Appends the events of a stretch of ticks (for assessors' tools; replays recompute them).
  Result<void> appendEvents(std::span<const physics::Event> events);
  // Writes the footer and syncs: the recording is complete.
  Result<void> finish(const Footer& footer);
  // Makes everything appended so far survive a crash.
  Result<void> sync() { return mOut.sync(); }
  uint64_t bytesWritten() const { return mOut.size(); }

 private:
  explicit RecordingWriter(DurableAppender out) : mOut(std::move(out)) {}
  Result<void> appendChunk(uint32_t type, const std::vector<uint8_t>& payload);
  DurableAppender mOut;
};

struct RecordingContents {
  RecordingHeader header;
  std::vector<physics::InputFrame> frames;  // frame i is consumed at tick i (ticks 0..n-1)
  std::vector<Checkpoint> checkpoints;
  std::vector<physics::Event> events;  // as the live run reported them
  std::optional<Footer> footer;        // set when the recording was finished
  std::optional<Error> damage;         // where and why reading stopped early, if it did
  bool complete() const { return footer.has_value() && !damage.has_value(); }
};

// Reads a recording. A bad header is an error; damage after the header (truncation, a bad
// CRC, an impossible size) ends reading there and is reported in `damage`, keeping what
// came before.
Result<RecordingContents> readRecording(const std::filesystem::path& path);
Result<RecordingContents> readRecordingBytes(std::span<const uint8_t> bytes, const std::string& name);

}  // namespace trocar::replay
