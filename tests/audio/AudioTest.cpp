// Audio through OpenAL Soft's loopback device (no sound hardware needed; the test reads what
// would have been played): WAV reading with precise errors, a source to the right is louder
// in the right channel, a cue plays when it happens and not again, the voice limit holds, and
// the build's synthesised sounds all load.
#include <trocar/audio/AudioEngine.h>
#include <trocar/core/File.h>

#include "SoundPlayer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trocar::audio {
namespace {

const std::filesystem::path kSounds = std::filesystem::path(TROCAR_BUILD_DIR) / "assets/sounds";

std::vector<float> toneSamples(float hz, float seconds, uint32_t rate = 48000) {
  std::vector<float> s(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = 0.5f * std::sin(6.2831853f * hz * static_cast<float>(i) / rate);
  return s;
}

// RMS of one channel (0 left, 1 right) of interleaved stereo.
double rms(const std::vector<float>& stereo, int channel) {
  double sum = 0.0;
  for (size_t i = static_cast<size_t>(channel); i < stereo.size(); i += 2)
    sum += static_cast<double>(stereo[i]) * static_cast<double>(stereo[i]);
  return std::sqrt(sum / static_cast<double>(stereo.size() / 2));
}

TEST(Wav, RoundTripAndPreciseErrors) {
  const auto tone = toneSamples(440.0f, 0.01f);
  const auto bytes = encodeWav16(tone, 48000);
  auto wav = parseWav(bytes, "tone.wav");
  ASSERT_TRUE(wav.ok()) << wav.error().toString();
  EXPECT_EQ(wav.value().sampleRate, 48000u);
  EXPECT_EQ(wav.value().channels, 1);
  ASSERT_EQ(wav.value().samples.size(), tone.size());
  for (size_t i = 0; i < tone.size(); ++i) EXPECT_NEAR(wav.value().samples[i], tone[i], 1.0 / 32767.0 + 1e-6);

  auto truncated = parseWav(std::span(bytes).first(bytes.size() - 10), "cut.wav");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().where.byteOffset, 36u) << "the data chunk header";
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);

  std::vector<uint8_t> notRiff = bytes;
  notRiff[0] = 'X';
  EXPECT_EQ(parseWav(notRiff, "x.wav").error().message, "not a RIFF/WAVE file");

  std::vector<uint8_t> adpcm = bytes;
  adpcm[20] = 2;  // format tag 2: MS ADPCM
  auto unsupported = parseWav(adpcm, "adpcm.wav");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().where.byteOffset, 20u);
  EXPECT_EQ(parseWav(std::span(bytes).first(5), "tiny.wav").error().where.byteOffset, 0u);
}

TEST(Loopback, SourceToTheRightIsLouderOnTheRight) {
  auto engine = AudioEngine::create({AudioMode::kLoopback});
  ASSERT_TRUE(engine.ok()) << engine.error().toString();
  AudioEngine& a = *engine.value();
  WavData wav{48000, 1, toneSamples(1000.0f, 0.2f)};
  const SoundId id = a.addSound(wav).value();
  a.setListener(Pose{});  // at the origin, looking down -Z: +X is to the right
  const auto silence = a.render(4800);
  EXPECT_LT(rms(silence, 0) + rms(silence, 1), 1e-6) << "nothing plays before play()";
  ASSERT_TRUE(a.play(id, {0.5f, 0.0f, -0.2f}));
  const auto right = a.render(4800);
  EXPECT_GT(rms(right, 1), 0.01);
  EXPECT_GT(rms(right, 1), 1.5 * rms(right, 0));
  a.render(9600);  // let it finish
  ASSERT_TRUE(a.play(id, {-0.5f, 0.0f, -0.2f}));
  const auto left = a.render(4800);
  EXPECT_GT(rms(left, 0), 1.5 * rms(left, 1));
  // Turning the head round swaps the sides.
  a.render(9600);
  Pose turned;
  turned.orientation = glm::angleAxis(kPi, Vec3(0.0f, 1.0f, 0.0f));
  a.setListener(turned);
  ASSERT_TRUE(a.play(id, {0.5f, 0.0f, -0.2f}));
  const auto swapped = a.render(4800);
  EXPECT_GT(rms(swapped, 0), 1.5 * rms(swapped, 1));
}

TEST(Loopback, VoiceLimitHolds) {
  AudioSettings s;
  s.mode = AudioMode::kLoopback;
  s.maxVoices = 2;
  auto engine = AudioEngine::create(s);
  ASSERT_TRUE(engine.ok());
  const SoundId id = engine.value()->addSound({48000, 1, toneSamples(500.0f, 0.5f)}).value();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(engine.value()->play(id, {0.0f, 0.0f, -1.0f}));
  engine.value()->render(480);
  EXPECT_EQ(engine.value()->voicesPlaying(), 2u);
}

TEST(Sounds, EverySynthesisedCueLoads) {
  for (size_t i = 0; i < feedback::kSoundCueCount; ++i) {
    const std::string name = feedback::toString(static_cast<feedback::SoundCue>(i));
    auto wav = loadWav(kSounds / (name + ".wav"));
    ASSERT_TRUE(wav.ok()) << wav.error().toString();
    EXPECT_EQ(wav.value().sampleRate, 48000u);
    EXPECT_GT(wav.value().samples.size(), 1000u) << name;
  }
}

// A cut cue at the right tool's tip: energy in the rendered samples right after the cue, on
// the right; the same cue state again plays nothing new.
TEST(SoundPlayer, PlaysEachCueOnceWhereItHappened) {
  auto player = app::SoundPlayer::create(kSounds, {AudioMode::kLoopback});
  ASSERT_TRUE(player.ok()) << player.error().toString();
  app::SoundPlayer& p = *player.value();
  feedback::CueState cues;
  const Pose head{{0.0f, 1.6f, 0.0f}, Quat(1, 0, 0, 0)};
  p.update(head, cues);
  const auto before = p.engine().render(2400);
  EXPECT_LT(rms(before, 0) + rms(before, 1), 1e-6);
  cues.recentSounds.push_back({1, feedback::SoundCue::kCut, {0.3f, 1.4f, -0.3f}, 1.0});
  p.update(head, cues);
  EXPECT_EQ(p.played(), 1u);
  const auto after = p.engine().render(2400);  // 50 ms: the snip is 60 ms long
  EXPECT_GT(rms(after, 1), 0.005);
  EXPECT_GT(rms(after, 1), rms(after, 0));
  p.engine().render(4800);
  p.update(head, cues);  // nothing new
  EXPECT_EQ(p.played(), 1u);
  const auto later = p.engine().render(2400);
  EXPECT_LT(rms(later, 0) + rms(later, 1), 1e-6);
}

TEST(SoundPlayer, MissingSoundFileIsANamedError) {
  auto player = app::SoundPlayer::create("/nonexistent/sounds", {AudioMode::kLoopback});
  ASSERT_FALSE(player.ok());
  EXPECT_NE(player.error().toString().find("contact.wav"), std::string::npos) << player.error().toString();
}

}  // namespace
}  // namespace trocar::audio
