#include <trocar/replay/Recording.h>

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace trocar::replay {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'O', 'C', 'R', 'E', 'C', '1'};
constexpr uint32_t kFrames = 1, kCheckpoint = 2, kFooter = 3, kEvents = 4, kScope = 5;
constexpr uint32_t kMaxChunkBytes = 64u << 20;  // far above any real chunk (1 s of frames)
constexpr size_t kFrameBytes = 7 * 4 + physics::kHandCount * (7 * 4 + 4 + 4 + 4 + 1);

std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // Castagnoli
    t[i] = c;
  }
  return t;
}

class Out {
 public:
  template <typename T>
  void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // x86-64 and aarch64 are little-endian, as the format
    bytes.insert(bytes.end(), b, b + sizeof(T));
  }
  void putString(const std::string& s) {
    put(static_cast<uint32_t>(s.size()));
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void putPose(const Pose& p) {
    for (float f : {p.position.x, p.position.y, p.position.z, p.orientation.w, p.orientation.x,
                    p.orientation.y, p.orientation.z}) {
      put(f);
    }
  }
  std::vector<uint8_t> bytes;
};

class In {
 public:
  In(std::span<const uint8_t> b, size_t pos = 0) : mBytes(b), mPos(pos) {}
  template <typename T>
  bool get(T& v) {
    if (mPos + sizeof(T) > mBytes.size()) return false;
    std::memcpy(&v, mBytes.data() + mPos, sizeof(T));
    mPos += sizeof(T);
    return true;
  }
  bool getString(std::string& s, uint32_t max) {
    uint32_t n = 0;
    if (!get(n) || n > max || mPos + n > mBytes.size()) return false;
    s.assign(reinterpret_cast<const char*>(mBytes.data() + mPos), n);
    mPos += n;
    return true;
  }
  bool getPose(Pose& p) {
    float f[7];
    for (float& x : f) {
      if (!get(x)) return false;
    }
    p.position = {f[0], f[1], f[2]};
    p.orientation = Quat(f[3], f[4], f[5], f[6]);
    return true;
  }
  size_t pos() const { return mPos; }
  size_t remaining() const { return mBytes.size() - mPos; }

 private:
  std::span<const uint8_t> mBytes;
  size_t mPos;
};

Error damageAt(const std::string& name, uint64_t offset, const std::string& what, const std::string& hint) {
  SourceLocation where;
  where.file = name;
  where.byteOffset = offset;
  return makeError(ErrorCode::kInvalidInput, what, where, hint);
}

}  // namespace

uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc) {
  static const std::array<uint32_t, 256> table = makeCrcTable();
  crc = ~crc;
  for (uint8_t b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Result<RecordingWriter> RecordingWriter::create(const std::filesystem::path& path, const RecordingHeader& h) {
  auto out = DurableAppender::open(path, /*truncate=*/true);
  if (!out.ok()) return out.error();
  Out o;
  o.bytes.insert(o.bytes.end(), kMagic, kMagic + 8);
  o.put(kFormatVersion);
  o.putString(h.buildId);
  o.putString(h.scenarioId);
  o.put(h.scenarioHash);
  o.put(h.scoringHash);
  o.put(h.tickHz);
  o.put(h.seed);
  o.putString(h.traineeId);
  o.put(h.startTimeUnix);
  TROCAR_TRY(out.value().append(o.bytes));
  TROCAR_TRY(out.value().sync());
  return RecordingWriter(std::move(out).value());
}

Result<void> RecordingWriter::appendChunk(uint32_t type, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> stored(ZSTD_compressBound(payload.size()));
  size_t n = ZSTD_compress(stored.data(), stored.size(), payload.data(), payload.size(), 3);
  if (ZSTD_isError(n)) return makeError(ErrorCode::kIo, std::string("zstd: ") + ZSTD_getErrorName(n));
  stored.resize(n);
  Out o;
  o.put(type);
  o.put(static_cast<uint32_t>(stored.size()));
  o.put(static_cast<uint32_t>(payload.size()));
  o.put(crc32c(stored));
  o.bytes.insert(o.bytes.end(), stored.begin(), stored.end());
  return mOut.append(o.bytes);  // one write: a chunk is whole or (after a crash) cut short
}

Result<void> RecordingWriter::appendFrames(Tick firstTick, std::span<const physics::InputFrame> frames) {
  Out o;
  o.put(static_cast<uint64_t>(firstTick));
  o.put(static_cast<uint32_t>(frames.size()));
  for (const auto& f : frames) {
    o.putPose(f.head);
    for (const auto& h : f.hands) {
      o.putPose(h.pose);
      o.put(h.trigger);
      o.put(h.grip);
      o.put(h.buttons);
      // One byte: bit 0 tracked, bits 1..7 the instrument (older files: always 0).
      o.put(static_cast<uint8_t>((h.tracked ? 1u : 0u) | (std::min<uint32_t>(h.instrument, 127u) << 1)));
    }
  }
  TROCAR_TRY(appendChunk(kFrames, o.bytes));
  // The laparoscope's moves, where there were any: their own chunk, after their frames.
  Out moves;
  uint32_t count = 0;
  for (const auto& f : frames) count += f.scope ? 1u : 0u;
  if (count == 0) return {};
  moves.put(count);
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].scope) continue;
    moves.put(static_cast<uint64_t>(firstTick + i));
    moves.putPose(*frames[i].scope);
  }
  return appendChunk(kScope, moves.bytes);
}

Result<void> RecordingWriter::appendCheckpoint(const Checkpoint& c) {
  Out o;
  o.put(static_cast<uint64_t>(c.tick));
  o.put(c.stateHash);
  return appendChunk(kCheckpoint, o.bytes);
}

Result<void> RecordingWriter::appendEvents(std::span<const physics::Event> events) {
  Out o;
  o.put(static_cast<uint32_t>(events.size()));
  for (const auto& e : events) {
    o.put(static_cast<uint64_t>(e.tick));
    o.put(static_cast<uint8_t>(e.kind));
    o.put(static_cast<int8_t>(e.hand ? static_cast<int>(*e.hand) : -1));
    o.put(e.tissue.index);
    o.put(e.rigid.index);
    o.put(e.zone.index);
    o.put(e.value);
    o.put(e.position.x);
    o.put(e.position.y);
    o.put(e.position.z);
    o.put(static_cast<uint8_t>(e.torn));
    o.put(static_cast<uint32_t>(e.regions.size()));
    for (uint32_t r : e.regions) o.put(r);
  }
  return appendChunk(kEvents, o.bytes);
}

Result<void> RecordingWriter::finish(const Footer& f) {
  Out o;
  o.put(static_cast<uint64_t>(f.ticks));
  o.put(f.finalHash);
  o.putString(f.summary);
  TROCAR_TRY(appendChunk(kFooter, o.bytes));
  return mOut.sync();
}

Result<RecordingContents> readRecordingBytes(std::span<const uint8_t> bytes, const std::string& name) {
  RecordingContents c;
  In in(bytes);
  SourceLocation where;
  where.file = name;
  where.byteOffset = 0;
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return makeError(ErrorCode::kInvalidInput,
                     bytes.empty() ? "empty file, not a recording" : "not a Trocar recording (wrong magic)",
                     where, "recordings are the .trec files `trocar run` writes");
  }
  uint8_t skip[8];
  for (uint8_t& b : skip) in.get(b);
  uint32_t version = 0;
  in.get(version);
  if (version != 1 && version != kFormatVersion) {
    where.byteOffset = 8;
    return makeError(ErrorCode::kUnsupported,
                     "recording format version " + std::to_string(version) + " (this build reads " +
                         "1 and " + std::to_string(kFormatVersion) + ")",
                     where, "replay it with the Trocar version that recorded it");
  }
  RecordingHeader& h = c.header;
  h.formatVersion = version;
  if (!in.getString(h.buildId, 1024) || !in.getString(h.scenarioId, 1024) || !in.get(h.scenarioHash) ||
      (version >= 2 && !in.get(h.scoringHash)) || !in.get(h.tickHz) || !in.get(h.seed) ||
      !in.getString(h.traineeId, 1024) || !in.get(h.startTimeUnix)) {
    where.byteOffset = in.pos();
    return makeError(ErrorCode::kInvalidInput, "the recording header is cut short or malformed", where,
                     "the file was damaged before its first second was written");
  }
  if (h.tickHz < kMinTickHz || h.tickHz > kMaxTickHz) {
    return makeError(ErrorCode::kInvalidInput,
                     "impossible tick rate " + std::to_string(h.tickHz) + " in the header", where,
                     "the file is damaged");
  }
  // Chunks, until the end or the first damage.
  uint32_t index = 0;
  while (in.remaining() > 0) {
    const size_t start = in.pos();
    uint32_t type = 0, storedSize = 0, rawSize = 0, crc = 0;
    std::string chunk = "chunk " + std::to_string(index);
    if (!in.get(type) || !in.get(storedSize) || !in.get(rawSize) || !in.get(crc)) {
      c.damage = damageAt(name, start, chunk + " header is cut short (the recording was interrupted)",
                          "everything before it is replayed");
      break;
    }
    if (storedSize > kMaxChunkBytes || rawSize > kMaxChunkBytes) {
      c.damage =
          damageAt(name, start, chunk + " declares an impossible size", "the file is damaged from here on");
      break;
    }
    if (in.remaining() < storedSize) {
      c.damage = damageAt(name, start,
                          chunk + " is cut short: " + std::to_string(in.remaining()) + " of " +
                              std::to_string(storedSize) + " bytes (the recording was interrupted)",
                          "everything before it is replayed");
      break;
    }
    std::span<const uint8_t> stored = bytes.subspan(in.pos(), storedSize);
    if (crc32c(stored) != crc) {
      c.damage = damageAt(name, start, chunk + " fails its CRC check", "the file is damaged from here on");
      break;
    }
    std::vector<uint8_t> raw(rawSize);
    size_t n = ZSTD_decompress(raw.data(), raw.size(), stored.data(), stored.size());
    if (ZSTD_isError(n) || n != rawSize) {
      c.damage = damageAt(name, start, chunk + " does not decompress", "the file is damaged from here on");
      break;
    }
    In p(raw);
    bool ok = true;
    if (type == kFrames) {
      uint64_t first = 0;
      uint32_t count = 0;
      ok = p.get(first) && p.get(count) && first == c.frames.size() && raw.size() == 12 + count * kFrameBytes;
      for (uint32_t i = 0; ok && i < count; ++i) {
        physics::InputFrame f;
        ok = p.getPose(f.head);
        for (auto& hand : f.hands) {
          uint8_t tracked = 0;
          ok = ok && p.getPose(hand.pose) && p.get(hand.trigger) && p.get(hand.grip) && p.get(hand.buttons) &&
               p.get(tracked);
          hand.tracked = (tracked & 1u) != 0;
          hand.instrument = static_cast<uint8_t>(tracked >> 1);
        }
        if (ok) c.frames.push_back(f);
      }
    } else if (type == kCheckpoint) {
      Checkpoint cp;
      uint64_t tick = 0;
      ok = p.get(tick) && p.get(cp.stateHash) && p.remaining() == 0;
      cp.tick = tick;
      if (ok) c.checkpoints.push_back(cp);
    } else if (type == kEvents) {
      uint32_t count = 0;
      ok = p.get(count) && count <= raw.size();
      for (uint32_t i = 0; ok && i < count; ++i) {
        physics::Event e;
        uint64_t tick = 0;
        uint8_t kind = 0, torn = 0;
        int8_t hand = -1;
        uint32_t regions = 0;
        ok = p.get(tick) && p.get(kind) && p.get(hand) && p.get(e.tissue.index) && p.get(e.rigid.index) &&
             p.get(e.zone.index) && p.get(e.value) && p.get(e.position.x) && p.get(e.position.y) &&
             p.get(e.position.z) && p.get(torn) && p.get(regions) &&
             kind <= static_cast<uint8_t>(physics::kLastEventKind) && hand >= -1 &&
             hand < static_cast<int8_t>(physics::kHandCount) && regions <= p.remaining() / 4;
        for (uint32_t k = 0; ok && k < regions; ++k) {
          uint32_t r = 0;
          ok = p.get(r);
          e.regions.push_back(r);
        }
        e.tick = tick;
        e.kind = static_cast<physics::EventKind>(kind);
        if (hand >= 0) e.hand = static_cast<physics::Hand>(hand);
        e.torn = torn != 0;
        if (ok) c.events.push_back(std::move(e));
      }
      ok = ok && p.remaining() == 0;
    } else if (type == kScope) {
      uint32_t count = 0;
      ok = p.get(count) && raw.size() == 4 + static_cast<size_t>(count) * (8 + 7 * 4);
      for (uint32_t i = 0; ok && i < count; ++i) {
        uint64_t tick = 0;
        Pose pose;
        ok = p.get(tick) && p.getPose(pose) && tick < c.frames.size() &&  // after its frames
             std::isfinite(pose.position.x) && std::isfinite(pose.position.y) &&
             std::isfinite(pose.position.z) &&
             std::abs(glm::length(pose.orientation) - 1.0f) < 1e-3f;  // a pose, not noise
        if (ok) c.frames[tick].scope = pose;
      }
    } else if (type == kFooter) {
      Footer f;
      uint64_t ticks = 0;
      ok = p.get(ticks) && p.get(f.finalHash) && p.getString(f.summary, 1u << 20) && p.remaining() == 0;
      f.ticks = ticks;
      if (ok) c.footer = f;
    } else {
      ok = false;
    }
    in = In(bytes, start + 16 + storedSize);
    if (!ok) {
      c.damage = damageAt(name, start, chunk + " (type " + std::to_string(type) + ") has malformed contents",
                          "the file is damaged from here on");
      break;
    }
    ++index;
    if (c.footer && in.remaining() > 0) {
      c.damage = damageAt(name, in.pos(), "bytes after the footer",
                          "the file was appended to after it was finished");
      break;
    }
  }
  return c;
}

Result<RecordingContents> readRecording(const std::filesystem::path& path) {
  auto bytes = readFileBytes(path);
  if (!bytes.ok()) return bytes.error();
  return readRecordingBytes(bytes.value(), path.string());
}

}  // namespace trocar::replay
