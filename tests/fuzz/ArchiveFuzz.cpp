// libFuzzer target for the readers of what CGAL ships its volumes in: a tar's headers, a gzip
// stream, and an INRIMAGE-4 file (header and voxels). Any bytes give a result or an error,
// never a crash or a huge allocation. The first byte picks: '0' a tar, '1' gzip'd bytes (then
// read as a tar, as a .tar.gz is), '2' an INRIMAGE file, '3' gzip'd INRIMAGE (.inr.gz). See
// ScenarioFuzz.cpp for how to run.
#include "FuzzInput.h"

#include <trocar/assets/Archive.h>
#include <trocar/assets/Volume.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {
constexpr size_t kLimit = size_t{64} << 20;  // inflated bytes: a bomb is an error, not a crash
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trocar::fuzz::quietLogs();
  if (size == 0) return 0;
  const unsigned pick = static_cast<uint8_t>(data[0] - '0') % 4u;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string inflated(bytes);
  if (pick == 1 || pick == 3) {
    auto g = trocar::assets::gunzip(bytes, "fuzz.gz", kLimit);
    trocar::fuzz::say(g);
    if (!g.ok()) return 0;
    inflated = std::move(g).value();
  }
  if (pick <= 1) {
    auto entries = trocar::assets::listTar(inflated, "fuzz.tar");
    trocar::fuzz::say(entries);
    if (entries.ok()) {
      for (const auto& e : entries.value()) {
        if (e.offset + e.size > inflated.size()) __builtin_trap();  // an entry past the end
      }
    }
    return 0;
  }
  auto v = trocar::assets::parseInrimage(inflated, "fuzz.inr");
  trocar::fuzz::say(v);
  return 0;
}
