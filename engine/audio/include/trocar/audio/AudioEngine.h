#pragma once
// Sound through OpenAL Soft: a device (the system's default output, or the loopback device whose
// samples the caller renders and reads, for tests), a bank of mono sounds, 3D sources placed at
// the tool tips, a listener that follows the head, and a limit on simultaneous voices (the
// oldest voice is reused when all are busy).
//
// Thread: one thread. Positions in the stage frame (metres, +Y up, -Z forward).

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace trocar::audio {

// A decoded WAV: mono or stereo PCM (8/16-bit integer or 32-bit float) as float samples.
struct WavData {
  uint32_t sampleRate = 0;
  uint16_t channels = 0;
  std::vector<float> samples;  // interleaved, [-1, 1]
};

// Parses a RIFF/WAVE file. Errors name the byte offset and what is wrong (truncated chunk,
// unsupported encoding, no data).
Result<WavData> parseWav(std::span<const uint8_t> bytes, const std::string& name);
Result<WavData> loadWav(const std::filesystem::path& path);
// 16-bit PCM mono WAV bytes (what the sound synthesiser writes).
std::vector<uint8_t> encodeWav16(std::span<const float> mono, uint32_t sampleRate);

enum class AudioMode : uint8_t {
  kSystem,    // the default output device
  kLoopback,  // no hardware: render() returns what would have been played
};

struct AudioSettings {
  AudioMode mode = AudioMode::kSystem;
  uint32_t sampleRate = 48000;  // loopback
  uint32_t maxVoices = 12;
};

struct SoundId {
  uint32_t value = UINT32_MAX;
  bool valid() const { return value != UINT32_MAX; }
};

class AudioEngine {
 public:
  // kUnavailable when no device opens (the caller runs silently with one warning).
  static Result<std::unique_ptr<AudioEngine>> create(const AudioSettings& settings = {});
  ~AudioEngine();
  AudioEngine(const AudioEngine&) = delete;
  AudioEngine& operator=(const AudioEngine&) = delete;

  // Stereo sounds are mixed down to mono (3D sources must be mono).
  Result<SoundId> addSound(const WavData& wav);
  void setListener(const Pose& head);
  // Starts `sound` at `position`; returns false if it could not be started.
  bool play(SoundId sound, const Vec3& position, float gain = 1.0f);
  uint32_t voicesPlaying() const;
  // Loopback only: the next `frames` stereo frames, interleaved L R (precondition: loopback).
  std::vector<float> render(uint32_t frames);
  uint32_t sampleRate() const;

 private:
  struct State;
  explicit AudioEngine(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

}  // namespace trocar::audio
