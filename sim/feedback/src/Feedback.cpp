#include <trocar/feedback/Feedback.h>

#include <trocar/physics/World.h>

#include <algorithm>
#include <cmath>

namespace trocar::feedback {

namespace {
constexpr double kNominalFrameS = 1.0 / 90.0;
constexpr size_t kRecentSounds = 32;
}  // namespace

const char* toString(SoundCue cue) {
  switch (cue) {
    case SoundCue::kContact: return "contact";
    case SoundCue::kCut: return "cut";
    case SoundCue::kGrasp: return "grasp";
    case SoundCue::kClip: return "clip";
    case SoundCue::kStepComplete: return "step_complete";
    case SoundCue::kWarning: return "warning";
    case SoundCue::kCriticalError: return "critical_error";
    case SoundCue::kBleeding: return "bleeding";
  }
  return "?";
}

float vibrationAmplitude(const VibrationCurve& c, float forceN) {
  if (!(forceN > c.thresholdN)) return 0.0f;
  const float span = std::max(1e-6f, c.saturationN - c.thresholdN);
  const float x = std::min(1.0f, (forceN - c.thresholdN) / span);
  return std::clamp(c.gain * std::pow(x, c.gamma), 0.0f, 1.0f);
}

FeedbackMapper::FeedbackMapper(const FeedbackSettings& settings, std::vector<float> damageForceN,
                               uint32_t tickHz)
    : mSettings(settings), mDamageForceN(std::move(damageForceN)), mDt(1.0 / static_cast<double>(tickHz)) {}

void FeedbackMapper::pulse(size_t hand, const PulseSpec& spec) {
  HandCue& h = mCues.hands[hand];
  ++h.eventSerial;
  h.event = spec;
  ++mSummary.hapticPulses[hand];
  mSummary.peakAmplitude[hand] = std::max(mSummary.peakAmplitude[hand], spec.amplitude);
}

void FeedbackMapper::sound(SoundCue cue, const Vec3& at) {
  mCues.recentSounds.push_back({++mSoundSerial, cue, at, mCues.timeS});
  if (mCues.recentSounds.size() > kRecentSounds) mCues.recentSounds.erase(mCues.recentSounds.begin());
  ++mSummary.soundCues[toString(cue)];
}

void FeedbackMapper::onTick(const physics::World& world, std::span<const physics::Event> events, Tick tick,
                            uint32_t stepsCompleted, bool criticalError) {
  mCues.timeS = static_cast<double>(tick) * mDt;
  const double t = mCues.timeS;
  for (size_t h = 0; h < 2; ++h) {
    const physics::InstrumentState& st = world.instrument(static_cast<physics::Hand>(h));
    HandCue& cue = mCues.hands[h];
    cue.amplitude = 0.0f;
    cue.frequencyHz = 0.0f;
    cue.warning = false;
    if (!st.present || !st.inContact) {
      mWarningSince[h] = -1.0;
      continue;
    }
    const float force = glm::length(st.couplingForce);
    cue.amplitude = std::max(mSettings.contact.touch, vibrationAmplitude(mSettings.contact, force));
    cue.frequencyHz = st.touchedRigid.valid() && !st.touchedTissue.valid() ? mSettings.rigidFrequencyHz
                                                                           : mSettings.softFrequencyHz;
    // Too much force on the touched tissue: a repeating warning pulse and sound.
    if (st.touchedTissue.valid() && st.touchedTissue.index < mDamageForceN.size() &&
        force > mDamageForceN[st.touchedTissue.index]) {
      cue.warning = true;
      mSummary.excessiveForceSeconds[h] += mDt;
      if (mWarningSince[h] < 0.0 || t - mWarningSince[h] >= static_cast<double>(mSettings.warningPeriodS)) {
        mWarningSince[h] = t;
        pulse(h, mSettings.warning);
        sound(SoundCue::kWarning, st.tipPose.position);
      }
    } else {
      mWarningSince[h] = -1.0;
    }
    if (cue.amplitude > 0.0f) {
      mSummary.vibrationSeconds[h] += mDt;
      mSummary.peakAmplitude[h] = std::max(mSummary.peakAmplitude[h], cue.amplitude);
      if (t >= mNextNominalPulse[h]) {
        ++mSummary.hapticPulses[h];
        mNextNominalPulse[h] = t + kNominalFrameS;
      }
    }
  }
  for (const physics::Event& e : events) {
    if (e.kind == physics::EventKind::kBleeding) sound(SoundCue::kBleeding, e.position);
    if (!e.hand) {
      if (e.kind == physics::EventKind::kDetached) sound(SoundCue::kCut, e.position);
      continue;
    }
    const size_t h = static_cast<size_t>(*e.hand);
    switch (e.kind) {
      case physics::EventKind::kContactBegin: sound(SoundCue::kContact, e.position); break;
      case physics::EventKind::kGrasp:
        pulse(h, mSettings.grasp);
        sound(SoundCue::kGrasp, e.position);
        break;
      case physics::EventKind::kCut:
        pulse(h, mSettings.cut);
        sound(SoundCue::kCut, e.position);
        break;
      case physics::EventKind::kClipApplied:
        pulse(h, mSettings.clip);
        sound(SoundCue::kClip, e.position);
        break;
      default: break;
    }
  }
  for (uint32_t i = 0; i < stepsCompleted; ++i) sound(SoundCue::kStepComplete, Vec3(0.0f));
  if (criticalError) sound(SoundCue::kCriticalError, Vec3(0.0f));
}

}  // namespace trocar::feedback
