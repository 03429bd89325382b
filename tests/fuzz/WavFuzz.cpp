// libFuzzer target for the WAV reader (sound assets): any bytes give samples or an error with a
// byte offset, never a crash (see ScenarioFuzz.cpp for how to build and run).
#include <trocar/audio/AudioEngine.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = trocar::audio::parseWav({data, size}, "fuzz.wav");
  (void)result;
  return 0;
}
