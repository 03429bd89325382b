// The .trec format: round trip, and every kind of damage read precisely without a crash.
#include <trocar/core/File.h>
#include <trocar/replay/Recording.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <limits>

namespace trocar::replay {
namespace {

physics::InputFrame frame(int i) {
  physics::InputFrame f;
  f.head.position = {0.0f, 1.7f, 0.01f * static_cast<float>(i)};
  for (int h = 0; h < 2; ++h) {
    auto& hand = f.hands[static_cast<size_t>(h)];
    hand.pose.position = {0.1f * static_cast<float>(h), 1.0f, -0.001f * static_cast<float>(i)};
    hand.pose.orientation = glm::angleAxis(0.01f * static_cast<float>(i), Vec3(0, 1, 0));
    hand.trigger = static_cast<float>(i % 10) / 10.0f;
    hand.grip = 0.5f;
    hand.buttons = static_cast<uint32_t>(i);
    hand.tracked = i % 7 != 0;
    hand.instrument = static_cast<uint8_t>((i / 3 + static_cast<int>(h)) % 128);
  }
  if (i % 250 == 100) {  // now and then the laparoscope moves
    f.scope = Pose{{0.0f, 1.25f, -0.2f - 0.001f * static_cast<float>(i)},
                   glm::angleAxis(0.001f * static_cast<float>(i), Vec3(1, 0, 0))};
  }
  return f;
}

bool sameFrame(const physics::InputFrame& a, const physics::InputFrame& b) {
  auto samePose = [](const Pose& x, const Pose& y) {
    return x.position == y.position && x.orientation == y.orientation;
  };
  if (!samePose(a.head, b.head) || a.scope.has_value() != b.scope.has_value()) return false;
  if (a.scope && !samePose(*a.scope, *b.scope)) return false;
  for (size_t h = 0; h < 2; ++h) {
    const auto &x = a.hands[h], &y = b.hands[h];
    if (!samePose(x.pose, y.pose) || x.trigger != y.trigger || x.grip != y.grip || x.buttons != y.buttons ||
        x.tracked != y.tracked || x.instrument != y.instrument) {
      return false;
    }
  }
  return true;
}

RecordingHeader header() {
  RecordingHeader h;
  h.buildId = "0.1.0+test";
  h.scenarioId = "fls-pattern-cutting";
  h.scenarioHash = 0x0123456789abcdefull;
  h.tickHz = 500;
  h.seed = 42;
  h.traineeId = "trainee-7f3a";
  h.startTimeUnix = 1795000000;
  return h;
}

// Writes 3 chunks of 500 frames with a checkpoint after each, then the footer.
std::vector<uint8_t> writeSample(const std::filesystem::path& path) {
  auto w = RecordingWriter::create(path, header());
  EXPECT_TRUE(w.ok());
  std::vector<physics::InputFrame> frames;
  for (int c = 0; c < 3; ++c) {
    frames.clear();
    for (int i = 0; i < 500; ++i) frames.push_back(frame(c * 500 + i));
    EXPECT_TRUE(w.value().appendFrames(static_cast<Tick>(c * 500), frames).ok());
    EXPECT_TRUE(w.value()
                    .appendCheckpoint({static_cast<Tick>((c + 1) * 500), 0x1000u + static_cast<Hash64>(c)})
                    .ok());
  }
  EXPECT_TRUE(w.value().finish({1500, 0xfeedu, "score 202"}).ok());
  return readFileBytes(path).value();
}

TEST(Recording, Crc32cKnownVector) {
  const char* text = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const uint8_t*>(text), 9}), 0xE3069283u);  // the CRC-32C check value
}

TEST(Recording, RoundTrip) {
  test::TempDir dir;
  writeSample(dir / "r.trec");
  auto r = readRecording(dir / "r.trec");
  ASSERT_TRUE(r.ok()) << r.error().toString();
  const auto& c = r.value();
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(c.header.scenarioId, "fls-pattern-cutting");
  EXPECT_EQ(c.header.scenarioHash, 0x0123456789abcdefull);
  EXPECT_EQ(c.header.traineeId, "trainee-7f3a");
  ASSERT_EQ(c.frames.size(), 1500u);
  for (int i = 0; i < 1500; i += 37) EXPECT_TRUE(sameFrame(c.frames[static_cast<size_t>(i)], frame(i))) << i;
  size_t moves = 0;  // the laparoscope's moves come back at their ticks, and only there
  for (int i = 0; i < 1500; ++i) {
    moves += c.frames[static_cast<size_t>(i)].scope ? 1u : 0u;
    EXPECT_TRUE(sameFrame(c.frames[static_cast<size_t>(i)], frame(i))) << i;
  }
  EXPECT_EQ(moves, 6u);
  ASSERT_EQ(c.checkpoints.size(), 3u);
  EXPECT_EQ(c.checkpoints[2], (Checkpoint{1500, 0x1002}));
  EXPECT_EQ(c.footer->summary, "score 202");
}

// Every kind of event the world reports is written and read back (a kind added to
// physics::EventKind must be readable: the reader checks kinds against kLastEventKind).
TEST(Recording, EveryEventKindRoundTrips) {
  test::TempDir dir;
  auto w = RecordingWriter::create(dir / "e.trec", header());
  ASSERT_TRUE(w.ok());
  std::vector<physics::Event> events;
  for (uint8_t k = 0; k <= static_cast<uint8_t>(physics::kLastEventKind); ++k) {
    physics::Event e;
    e.tick = k;
    e.kind = static_cast<physics::EventKind>(k);
    e.value = 0.5f * static_cast<float>(k);
    events.push_back(e);
  }
  ASSERT_TRUE(w.value().appendEvents(events).ok());
  ASSERT_TRUE(w.value().finish({1, 0x1u, "events"}).ok());
  auto r = readRecording(dir / "e.trec");
  ASSERT_TRUE(r.ok()) << r.error().toString();
  ASSERT_FALSE(r.value().damage) << r.value().damage->toString();
  ASSERT_EQ(r.value().events.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(r.value().events[i].kind, events[i].kind) << physics::toString(events[i].kind);
    EXPECT_EQ(r.value().events[i].value, events[i].value);
  }
  EXPECT_STREQ(physics::toString(physics::kLastEventKind), "bleeding");
}

// Truncated at every byte: never a crash; inside the header it is an error, after it the
// frames of every whole chunk are kept and the damage names a byte offset.
TEST(Recording, TruncationAtEveryByte) {
  test::TempDir dir;
  auto bytes = writeSample(dir / "r.trec");
  size_t lastFrames = 0;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto r = readRecordingBytes(std::span<const uint8_t>(bytes.data(), cut), "cut.trec");
    if (!r.ok()) {
      EXPECT_LT(cut, 108u) << "only a damaged header is a hard error";
      continue;
    }
    EXPECT_FALSE(r.value().complete()) << cut;
    EXPECT_GE(r.value().frames.size(), lastFrames) << "more bytes never lose frames";
    lastFrames = r.value().frames.size();
    EXPECT_EQ(r.value().frames.size() % 500, 0u);
    if (r.value().damage) {
      EXPECT_TRUE(r.value().damage->where.byteOffset.has_value());
    }
  }
  EXPECT_EQ(lastFrames, 1500u);
}

// A scope move must be a pose (finite, a unit quaternion) at a tick whose frame came before it.
TEST(Recording, AScopeMoveThatIsNotAPoseIsDamage) {
  test::TempDir dir;
  for (int bad = 0; bad < 2; ++bad) {
    auto w = RecordingWriter::create(dir / "s.trec", header());
    ASSERT_TRUE(w.ok());
    std::vector<physics::InputFrame> frames(10, frame(1));
    frames[4].scope = Pose{{0.0f, 1.0f, 0.0f}, bad == 0 ? Quat(2.0f, 0.0f, 0.0f, 0.0f) : Quat(1, 0, 0, 0)};
    if (bad == 1) frames[4].scope->position.y = std::numeric_limits<float>::quiet_NaN();
    ASSERT_TRUE(w.value().appendFrames(0, frames).ok());
    ASSERT_TRUE(w.value().finish({10, 0x1u, "scope"}).ok());
    auto r = readRecording(dir / "s.trec");
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.value().damage.has_value()) << bad;
    EXPECT_NE(r.value().damage->message.find("type 5"), std::string::npos) << r.value().damage->toString();
    EXPECT_EQ(r.value().frames.size(), 10u) << "the frames before the bad move are kept";
  }
}

TEST(Recording, FlippedByteFailsTheCrcOfItsChunk) {
  test::TempDir dir;
  auto bytes = writeSample(dir / "r.trec");
  auto r0 = readRecordingBytes(bytes, "r.trec");
  ASSERT_TRUE(r0.ok());
  // Flip a byte in the middle of the file: in the second or third frame chunk.
  bytes[bytes.size() / 2] ^= 0x40;
  auto r = readRecordingBytes(bytes, "flipped.trec");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value().damage.has_value());
  EXPECT_NE(r.value().damage->message.find("fails its CRC check"), std::string::npos)
      << r.value().damage->toString();
  EXPECT_LT(*r.value().damage->where.byteOffset, bytes.size() / 2);
  EXPECT_LT(r.value().frames.size(), 1500u);
  EXPECT_FALSE(r.value().complete());
}

TEST(Recording, BadHeadersAndImpossibleSizes) {
  test::TempDir dir;
  auto bytes = writeSample(dir / "r.trec");
  EXPECT_EQ(readRecordingBytes({}, "empty.trec").error().message, "empty file, not a recording");
  auto magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(readRecordingBytes(magic, "m.trec").error().message.find("wrong magic"), std::string::npos);
  auto version = bytes;
  version[8] = 9;
  auto v = readRecordingBytes(version, "v.trec");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "recording format version 9 (this build reads 1 and 2)");
  EXPECT_EQ(*v.error().where.byteOffset, 8u);
  // A huge declared size in the first chunk header: damage, nothing read past it.
  // magic, version, build id, scenario id, simulation and scoring hashes, tick rate, seed,
  // trainee id, start time
  size_t headerEnd = 8 + 4 + 4 + 10 + 4 + 19 + 8 + 8 + 4 + 8 + 4 + 12 + 8;
  auto huge = bytes;
  uint32_t big = 0xFFFFFFF0u;
  std::memcpy(&huge[headerEnd + 4], &big, 4);
  auto h = readRecordingBytes(huge, "huge.trec");
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(h.value().damage.has_value());
  EXPECT_EQ(h.value().damage->message, "chunk 0 declares an impossible size");
  EXPECT_EQ(*h.value().damage->where.byteOffset, headerEnd);
  EXPECT_TRUE(h.value().frames.empty());
}

// A writer killed with SIGKILL after syncing two chunks: both are read back whole.
TEST(Recording, KilledWriterLeavesAReadableRecording) {
  test::TempDir dir;
  auto path = dir / "crash.trec";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto w = RecordingWriter::create(path, header());
    if (!w.ok()) ::_exit(10);
    std::vector<physics::InputFrame> frames(500, frame(1));
    for (int c = 0; c < 2; ++c) {
      if (!w.value().appendFrames(static_cast<Tick>(c * 500), frames).ok() || !w.value().sync().ok())
        ::_exit(11);
    }
    char x = 'r';
    if (::write(ready[1], &x, 1) != 1) ::_exit(12);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char x = 0;
  ASSERT_EQ(::read(ready[0], &x, 1), 1);
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto r = readRecording(path);
  ASSERT_TRUE(r.ok()) << r.error().toString();
  EXPECT_EQ(r.value().frames.size(), 1000u);
  EXPECT_FALSE(r.value().complete()) << "no footer: it says it is incomplete";
  EXPECT_FALSE(r.value().damage.has_value()) << "it ended on a chunk boundary";
}

}  // namespace
}  // namespace trocar::replay
