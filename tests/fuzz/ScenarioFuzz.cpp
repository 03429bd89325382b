// libFuzzer target for the scenario loader: any bytes must give errors or a scenario,
// never a crash, a hang or a sanitizer report. Build with the `fuzz` preset (clang):
//   cmake --preset fuzz && cmake --build --preset fuzz
//   build/fuzz/tests/fuzz/trocar_fuzz_scenario -max_total_time=60 tests/fuzz/corpus/scenario
#include "FuzzInput.h"

#include <trocar/core/Log.h>
#include <trocar/scenario/Scenario.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trocar::fuzz::quietLogs();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = trocar::scenario::loadScenarioText(text, "fuzz.yaml");
  (void)result;
  return 0;
}
