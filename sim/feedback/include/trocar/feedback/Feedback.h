#pragma once
// Haptic-style feedback as a pure function of the simulation: per tick, per hand, how strongly
// the controller should vibrate (from the instrument's coupling force, the feedback force),
// at what frequency (soft tissue or rigid), short distinct pulses for events (grasp, cut, clip),
// a warning pattern above the touched tissue's damage force, and sound cues. Deterministic:
// a replay produces the same cue stream, and the report's `feedback` section comes from it.
//
// The mapping is scenario data (`feedback:` in the scenario file) with defaults here. Devices
// are elsewhere: the run loop sends the cues to the rig (vibration) and audio (sounds).

#include <trocar/core/Math.h>
#include <trocar/physics/Types.h>
#include <trocar/physics/World.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trocar::feedback {

// While touching: amplitude = max(touch, gain * clamp((F - threshold) / (saturation -
// threshold), 0, 1) ^ gamma), F in N. `touch` makes any contact felt: soft tissue often
// yields with almost no force, and a trainee must still know the tool is on it.
struct VibrationCurve {
  float touch = 0.12f;       // 0..1, amplitude of any contact
  float thresholdN = 0.15f;  // below: nothing (resting contact, noise)
  float saturationN = 4.0f;  // at and above: full gain
  float gamma = 0.7f;        // < 1 makes light touches noticeable
  float gain = 1.0f;         // 0..1
};

struct PulseSpec {
  float amplitude = 0.5f;    // 0..1
  float frequencyHz = 0.0f;  // 0: the device's choice
  float durationS = 0.03f;
};

struct FeedbackSettings {
  VibrationCurve contact;
  float softFrequencyHz = 80.0f;    // touching tissue: low buzz
  float rigidFrequencyHz = 180.0f;  // touching a rigid object: higher, harder
  PulseSpec grasp{0.5f, 120.0f, 0.04f};
  PulseSpec cut{0.8f, 250.0f, 0.025f};
  PulseSpec clip{1.0f, 320.0f, 0.015f};
  PulseSpec warning{1.0f, 60.0f, 0.125f};  // repeated every warningPeriodS while forcing too hard
  float warningPeriodS = 0.25f;
  bool ghostHand = true;   // show where the hand is when the tool is held back (pseudo-haptics)
  bool stressTint = true;  // tint tissue by stress and damage
};

enum class SoundCue : uint8_t {
  kContact,
  kCut,
  kGrasp,
  kClip,
  kStepComplete,
  kWarning,
  kCriticalError,
  kBleeding
};
constexpr size_t kSoundCueCount = 8;
const char* toString(SoundCue cue);

// One hand's cues after a tick.
struct HandCue {
  float amplitude = 0.0f;  // continuous vibration now (0: none)
  float frequencyHz = 0.0f;
  bool warning = false;      // force above the touched tissue's damage threshold
  uint64_t eventSerial = 0;  // increments with every event pulse
  PulseSpec event;           // the latest event pulse (valid when eventSerial > 0)
};

struct SoundEvent {
  uint64_t serial = 0;  // increasing over the run
  SoundCue cue = SoundCue::kContact;
  Vec3 position{0.0f};  // where, stage frame (tool tip)
  double timeS = 0.0;
};

struct CueState {
  double timeS = 0.0;
  std::array<HandCue, 2> hands{};
  std::vector<SoundEvent> recentSounds;  // the last few (at most 32), oldest first
};

// What the trainee was given over a run (report's `feedback` section). Haptic pulses are
// counted at a nominal 90 Hz display rate while vibrating, plus one per event pulse, so the
// count is the same in a replay whatever the display did.
struct FeedbackSummary {
  std::array<uint32_t, 2> hapticPulses{};
  std::array<double, 2> vibrationSeconds{};
  std::array<float, 2> peakAmplitude{};
  std::array<double, 2> excessiveForceSeconds{};
  std::map<std::string, uint32_t> soundCues;  // by cue name; absent = 0
};

float vibrationAmplitude(const VibrationCurve& curve, float forceN);

class FeedbackMapper {
 public:
  // damageForceN: per tissue (by TissueId), the force above which it is being damaged.
  FeedbackMapper(const FeedbackSettings& settings, std::vector<float> damageForceN, uint32_t tickHz);

  // Call once per tick after the world stepped. stepsCompleted: checklist steps done this tick;
  // criticalError: a critical error happened this tick.
  void onTick(const physics::World& world, std::span<const physics::Event> events, Tick tick,
              uint32_t stepsCompleted, bool criticalError);

  const CueState& cues() const { return mCues; }
  const FeedbackSummary& summary() const { return mSummary; }
  const FeedbackSettings& settings() const { return mSettings; }

 private:
  void pulse(size_t hand, const PulseSpec& spec);
  void sound(SoundCue cue, const Vec3& at);

  FeedbackSettings mSettings;
  std::vector<float> mDamageForceN;
  double mDt;
  CueState mCues;
  FeedbackSummary mSummary;
  std::array<double, 2> mNextNominalPulse{};
  std::array<double, 2> mWarningSince{-1.0, -1.0};
  uint64_t mSoundSerial = 0;
};

}  // namespace trocar::feedback
