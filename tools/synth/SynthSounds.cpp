// trocar_synth_sounds OUTDIR: writes Trocar's feedback sounds as 16-bit mono WAVs, synthesised
// from simple formulas (no recordings, no third-party audio). Run by the build; the app loads
// them from <build>/assets/sounds (assets/SOURCES lists them).

#include <trocar/audio/AudioEngine.h>
#include <trocar/core/File.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <vector>

namespace {

constexpr uint32_t kRate = 48000;
constexpr float kTwoPi = 6.2831853f;

// Deterministic white noise in [-1, 1].
struct Noise {
  uint32_t state = 0x12345678u;
  float next() {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
};

std::vector<float> synth(float seconds, const std::function<float(float)>& f) {
  std::vector<float> out(static_cast<size_t>(seconds * kRate));
  for (size_t i = 0; i < out.size(); ++i) out[i] = f(static_cast<float>(i) / kRate);
  // 2 ms fade in/out: no clicks at the ends.
  const size_t fade = kRate / 500;
  for (size_t i = 0; i < fade && i < out.size(); ++i) {
    const float g = static_cast<float>(i) / fade;
    out[i] *= g;
    out[out.size() - 1 - i] *= g;
  }
  return out;
}

float tone(float hz, float t) {
  return std::sin(kTwoPi * hz * t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: trocar_synth_sounds OUTDIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  Noise noise;
  const std::vector<std::pair<const char*, std::vector<float>>> sounds = {
      // A soft thump: 120 Hz, decaying in ~20 ms, with a breath of noise.
      {"contact",
       synth(0.08f,
             [&](float t) { return 0.6f * std::exp(-t / 0.02f) * (tone(120, t) + 0.15f * noise.next()); })},
      // A snip: a bright click and a short noise burst.
      {"cut",
       synth(0.06f,
             [&](float t) { return std::exp(-t / 0.008f) * (0.5f * tone(3200, t) + 0.5f * noise.next()); })},
      // Jaws closing: two metallic ticks 30 ms apart.
      {"grasp", synth(0.07f,
                      [&](float t) {
                        const float a =
                            std::exp(-t / 0.006f) + (t > 0.03f ? std::exp(-(t - 0.03f) / 0.006f) : 0.0f);
                        return 0.6f * a * tone(1500, t);
                      })},
      // A clip: a sharp high click over a low knock.
      {"clip", synth(0.05f,
                     [&](float t) {
                       return std::exp(-t / 0.004f) * 0.6f * tone(4000, t) +
                              std::exp(-t / 0.015f) * 0.4f * tone(200, t);
                     })},
      // Step done: a rising two-note chime.
      {"step_complete", synth(0.35f,
                              [&](float t) {
                                const float hz = t < 0.15f ? 880.0f : 1320.0f;
                                const float local = t < 0.15f ? t : t - 0.15f;
                                return 0.5f * std::exp(-local / 0.08f) * tone(hz, t);
                              })},
      // Warning: beep-beep at 440 Hz.
      {"warning", synth(0.45f,
                        [&](float t) {
                          const bool on = t < 0.18f || (t > 0.25f && t < 0.43f);
                          return on ? 0.45f * (tone(440, t) + 0.3f * tone(1320, t)) : 0.0f;
                        })},
      // Bleeding: a low wet gurgle, noise pulsing at 5 Hz over a 90 Hz hum.
      {"bleeding", synth(0.8f,
                         [&](float t) {
                           const float pulse = 0.5f + 0.5f * std::sin(kTwoPi * 5.0f * t);
                           return 0.5f * std::exp(-t / 0.5f) * pulse *
                                  (0.6f * noise.next() + 0.4f * tone(90, t));
                         })},
      // Critical error: a falling tone.
      {"critical_error", synth(0.6f,
                               [&](float t) {
                                 const float hz = 600.0f - 500.0f * t;  // 600 -> 300 Hz
                                 return 0.5f * std::sin(kTwoPi * (600.0f * t - 250.0f * t * t)) *
                                        (hz > 0 ? 1.0f : 0.0f);
                               })},
  };
  for (const auto& [name, samples] : sounds) {
    const auto bytes = trocar::audio::encodeWav16(samples, kRate);
    auto written =
        trocar::writeFileAtomic(dir / (std::string(name) + ".wav"), std::span<const uint8_t>(bytes));
    if (!written) {
      std::fprintf(stderr, "%s\n", written.error().toString().c_str());
      return 1;
    }
  }
  return 0;
}
