// libFuzzer target for the volume readers' headers and sidecars: NRRD (attached, and a
// detached .nhdr with its data file), MetaImage (.mha, and .mhd with its .raw), NIfTI (.nii),
// and the label-names sidecar of `trocar import volume --labels`. Any bytes give a volume or
// an error, never a crash or a huge allocation. The first byte picks the reader; a header and
// its data file are the input's parts either side of a "%%" line (the header names the data
// file "fuzz.raw"). See ScenarioFuzz.cpp for how to run.
#include "FuzzInput.h"

#include <trocar/assets/Volume.h>
#include <trocar/core/Log.h>

#include <cstddef>
#include <cstdint>
#include <string>

using trocar::fuzz::splitParts;
using trocar::fuzz::writeScratch;

// A reader that has not answered by then is stopped (ITK loops on some headers), and that is
// the right answer: an error for the file. The volumes here are 2x2x2 voxels, read in 0.1 s.
constexpr double kTimeoutS = 2.0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trocar::fuzz::quietLogs();
  if (size == 0) return 0;
  // Seeds start with the digit of their reader: "0", "1", ...
  const unsigned pick = static_cast<uint8_t>(data[0] - '0') % 6u;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto parts = splitParts(text, 2);
  const std::string_view attached = parts[0];
  const std::string_view detached = parts.size() > 1 ? std::string_view(parts[1]) : std::string_view();
  if (pick == 0) {
    auto names = trocar::assets::parseLabelNames(std::string(text), "fuzz-labels.txt");
    trocar::fuzz::say(names);
    return 0;
  }
  // The header's file name picks ITK's reader; a detached header's data goes to fuzz.raw.
  struct Reader {
    const char* name;
    bool detached;
  };
  static const Reader kReaders[] = {{"fuzz.nrrd", false},
                                    {"fuzz.nhdr", true},
                                    {"fuzz.mha", false},
                                    {"fuzz.mhd", true},
                                    {"fuzz.nii", false}};
  const Reader& reader = kReaders[pick - 1];
  if (reader.detached) writeScratch("fuzz.raw", detached);
  auto v =
      trocar::assets::readVolume(writeScratch(reader.name, reader.detached ? attached : text), kTimeoutS);
  trocar::fuzz::say(v);
  return 0;
}
