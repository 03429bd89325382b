#include "SoundPlayer.h"

namespace trocar::app {

Result<std::unique_ptr<SoundPlayer>> SoundPlayer::create(const std::filesystem::path& soundDir,
                                                         const audio::AudioSettings& settings) {
  std::unique_ptr<SoundPlayer> p(new SoundPlayer());
  auto engine = audio::AudioEngine::create(settings);
  if (!engine) return engine.error();
  p->mEngine = std::move(engine.value());
  for (size_t i = 0; i < feedback::kSoundCueCount; ++i) {
    const auto cue = static_cast<feedback::SoundCue>(i);
    auto wav = audio::loadWav(soundDir / (std::string(feedback::toString(cue)) + ".wav"));
    if (!wav) return wav.error();
    auto id = p->mEngine->addSound(wav.value());
    if (!id) return id.error();
    p->mSounds[i] = id.value();
  }
  return p;
}

void SoundPlayer::update(const Pose& head, const feedback::CueState& cues) {
  mEngine->setListener(head);
  for (const feedback::SoundEvent& e : cues.recentSounds) {
    if (e.serial <= mLastSerial) continue;
    mLastSerial = e.serial;
    // Cues without a place (step complete, critical error) sound at the listener.
    const bool placed =
        e.cue != feedback::SoundCue::kStepComplete && e.cue != feedback::SoundCue::kCriticalError;
    if (mEngine->play(mSounds[static_cast<size_t>(e.cue)], placed ? e.position : head.position)) ++mPlayed;
  }
}

}  // namespace trocar::app
