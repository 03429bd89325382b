#include <trocar/audio/SystemInfo.h>

#include <AL/al.h>
#include <AL/alc.h>

namespace trocar::audio {
namespace {

// ALC device lists are NUL-separated, ending with an empty string.
std::vector<std::string> splitDeviceList(const ALCchar* list) {
  std::vector<std::string> out;
  while (list && *list) {
    out.emplace_back(list);
    list += out.back().size() + 1;
  }
  return out;
}

}  // namespace

Result<AudioSystemInfo> queryAudioSystem() {
  AudioSystemInfo info;
  info.loopback = alcIsExtensionPresent(nullptr, "ALC_SOFT_loopback") == ALC_TRUE;
  if (alcIsExtensionPresent(nullptr, "ALC_ENUMERATE_ALL_EXT") == ALC_TRUE) {
    info.devices = splitDeviceList(alcGetString(nullptr, ALC_ALL_DEVICES_SPECIFIER));
  } else {
    info.devices = splitDeviceList(alcGetString(nullptr, ALC_DEVICE_SPECIFIER));
  }
  ALCdevice* device = alcOpenDevice(nullptr);
  if (!device) {
    return makeError(ErrorCode::kUnavailable, "OpenAL could not open the default output device",
                     "no sound hardware or server here; Trocar runs silent (ALSOFT_DRIVERS=null selects "
                     "OpenAL's null output explicitly)");
  }
  if (const ALCchar* name = alcGetString(device, ALC_ALL_DEVICES_SPECIFIER)) info.defaultDevice = name;
  if (info.defaultDevice.empty()) {
    if (const ALCchar* name = alcGetString(device, ALC_DEVICE_SPECIFIER)) info.defaultDevice = name;
  }
  ALCcontext* context = alcCreateContext(device, nullptr);
  if (context && alcMakeContextCurrent(context) == ALC_TRUE) {
    if (const ALchar* renderer = alGetString(AL_RENDERER)) info.renderer = renderer;
    if (const ALchar* version = alGetString(AL_VERSION)) info.version = version;
    alcMakeContextCurrent(nullptr);
  }
  if (context) alcDestroyContext(context);
  alcCloseDevice(device);
  return info;
}

}  // namespace trocar::audio
