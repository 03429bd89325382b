// libFuzzer target for the curriculum reader (scenario/Curriculum.h): any bytes must give
// errors or a curriculum, never a crash, a hang or a sanitizer report.
#include "FuzzInput.h"

#include <trocar/scenario/Curriculum.h>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trocar::fuzz::quietLogs();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto result = trocar::scenario::parseCurriculum(text, "fuzz.yaml");
  if (result.curriculum)
    for (const auto& step : result.curriculum->steps)
      for (const auto& t : step.targets) (void)t.toString();
  return 0;
}
