#pragma once
// Plays the feedback module's sound cues through the audio engine: each new cue once, as a 3D
// source where it happened (the tool tip), heard from the trainee's head.

#include <trocar/audio/AudioEngine.h>
#include <trocar/feedback/Feedback.h>

#include <array>
#include <filesystem>
#include <memory>

namespace trocar::app {

class SoundPlayer {
 public:
  // Loads <soundDir>/<cue>.wav for every cue (synthesised by the build). Errors: no device,
  // or a missing or malformed sound file (named, with its byte offset).
  static Result<std::unique_ptr<SoundPlayer>> create(const std::filesystem::path& soundDir,
                                                     const audio::AudioSettings& settings = {});
  // Plays every cue in `cues` newer than the last call; the listener follows `head`.
  void update(const Pose& head, const feedback::CueState& cues);
  uint64_t played() const { return mPlayed; }
  audio::AudioEngine& engine() { return *mEngine; }

 private:
  std::unique_ptr<audio::AudioEngine> mEngine;
  std::array<audio::SoundId, feedback::kSoundCueCount> mSounds{};
  uint64_t mLastSerial = 0;
  uint64_t mPlayed = 0;
};

}  // namespace trocar::app
