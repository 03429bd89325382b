// libFuzzer target for the recording reader: any bytes give a recording, damage or an
// error, never a crash (see ScenarioFuzz.cpp for how to build and run).
#include <trocar/replay/Recording.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = trocar::replay::readRecordingBytes({data, size}, "fuzz.trec");
  (void)result;
  return 0;
}
