#pragma once
// Whether OpenAL Soft can open an output device here. Used by `trocar doctor` and to
// decide between the system device and the silent null device at start-up.

#include <trocar/core/Result.h>

#include <string>
#include <vector>

namespace trocar::audio {

struct AudioSystemInfo {
  std::string defaultDevice;         // what alcOpenDevice(nullptr) opened
  std::vector<std::string> devices;  // all output devices OpenAL lists
  std::string renderer;              // AL_RENDERER, e.g. "OpenAL Soft"
  std::string version;               // AL_VERSION
  bool loopback = false;             // ALC_SOFT_loopback (used by tests to read samples)
};

Result<AudioSystemInfo> queryAudioSystem();

}  // namespace trocar::audio
