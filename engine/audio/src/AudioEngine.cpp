#include <trocar/audio/AudioEngine.h>

#include <trocar/core/Assert.h>
#include <trocar/core/File.h>

#include <AL/al.h>
#include <AL/alc.h>
#include <AL/alext.h>

#include <algorithm>
#include <cstring>

namespace trocar::audio {
namespace {

uint32_t u32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t{p[3]} << 24);
}
uint16_t u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

Error wavError(const std::string& name, uint64_t offset, const std::string& what,
               const std::string& hint = {}) {
  SourceLocation where;
  where.file = name;
  where.byteOffset = offset;
  return makeError(ErrorCode::kInvalidInput, what, where,
                   hint.empty() ? "use a PCM WAV (8/16-bit or 32-bit float, mono or stereo)" : hint);
}

}  // namespace

Result<WavData> parseWav(std::span<const uint8_t> b, const std::string& name) {
  if (b.size() < 12)
    return wavError(name, 0, "file too short for a RIFF header (" + std::to_string(b.size()) + " bytes)");
  if (std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0) {
    return wavError(name, 0, "not a RIFF/WAVE file");
  }
  uint16_t format = 0;
  uint16_t channels = 0;
  uint32_t rate = 0;
  uint16_t bits = 0;
  bool haveFormat = false;
  size_t at = 12;
  while (at + 8 <= b.size()) {
    const uint32_t size = u32(b.data() + at + 4);
    const size_t body = at + 8;
    if (size > b.size() - body) {
      return wavError(name, at,
                      "chunk '" + std::string(reinterpret_cast<const char*>(b.data() + at), 4) + "' says " +
                          std::to_string(size) + " bytes but only " + std::to_string(b.size() - body) +
                          " remain (truncated file)");
    }
    if (std::memcmp(b.data() + at, "fmt ", 4) == 0) {
      if (size < 16) return wavError(name, at, "fmt chunk too small");
      format = u16(b.data() + body);
      channels = u16(b.data() + body + 2);
      rate = u32(b.data() + body + 4);
      bits = u16(b.data() + body + 14);
      if (format == 0xFFFE && size >= 26) format = u16(b.data() + body + 24);  // WAVE_FORMAT_EXTENSIBLE
      const bool pcm = format == 1 && (bits == 8 || bits == 16);
      const bool flt = format == 3 && bits == 32;
      if (!pcm && !flt) {
        return wavError(name, body,
                        "unsupported encoding (format " + std::to_string(format) + ", " +
                            std::to_string(bits) + " bits)");
      }
      if (channels < 1 || channels > 2)
        return wavError(name, body + 2, std::to_string(channels) + " channels");
      if (rate < 1000 || rate > 384000)
        return wavError(name, body + 4, "sample rate " + std::to_string(rate));
      haveFormat = true;
    } else if (std::memcmp(b.data() + at, "data", 4) == 0) {
      if (!haveFormat) return wavError(name, at, "data chunk before the fmt chunk");
      WavData out;
      out.sampleRate = rate;
      out.channels = channels;
      const size_t bytesPer = bits / 8;
      const size_t count = size / bytesPer;
      out.samples.resize(count);
      for (size_t i = 0; i < count; ++i) {
        const uint8_t* p = b.data() + body + i * bytesPer;
        if (bits == 8) {
          out.samples[i] = (static_cast<float>(p[0]) - 128.0f) / 128.0f;
        } else if (bits == 16) {
          out.samples[i] = static_cast<float>(static_cast<int16_t>(u16(p))) / 32768.0f;
        } else {
          float f;
          std::memcpy(&f, p, 4);
          out.samples[i] = std::clamp(f, -1.0f, 1.0f);
        }
      }
      if (out.samples.empty()) return wavError(name, at, "the data chunk is empty");
      return out;
    }
    at = body + size + (size & 1u);  // chunks are word-aligned
  }
  return wavError(name, b.size(), haveFormat ? "no data chunk" : "no fmt chunk");
}

Result<WavData> loadWav(const std::filesystem::path& path) {
  auto bytes = readFileBytes(path);
  if (!bytes) return bytes.error();
  return parseWav(bytes.value(), path.string());
}

std::vector<uint8_t> encodeWav16(std::span<const float> mono, uint32_t rate) {
  std::vector<uint8_t> out;
  auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto put16 = [&](uint16_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
  };
  const uint32_t dataBytes = static_cast<uint32_t>(mono.size() * 2);
  out.insert(out.end(), {'R', 'I', 'F', 'F'});
  put32(36 + dataBytes);
  out.insert(out.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put32(16);
  put16(1);
  put16(1);
  put32(rate);
  put32(rate * 2);
  put16(2);
  put16(16);
  out.insert(out.end(), {'d', 'a', 't', 'a'});
  put32(dataBytes);
  for (float s : mono) {
    const auto v = static_cast<int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f));
    put16(static_cast<uint16_t>(v));
  }
  return out;
}

struct AudioEngine::State {
  AudioSettings settings;
  ALCdevice* device = nullptr;
  ALCcontext* context = nullptr;
  LPALCRENDERSAMPLESSOFT renderSamples = nullptr;
  std::vector<ALuint> buffers;
  std::vector<ALuint> sources;
  size_t next = 0;

  ~State() {
    if (context) {
      alcMakeContextCurrent(context);
      if (!sources.empty()) {
        alSourceStopv(static_cast<ALsizei>(sources.size()), sources.data());
        alDeleteSources(static_cast<ALsizei>(sources.size()), sources.data());
      }
      if (!buffers.empty()) alDeleteBuffers(static_cast<ALsizei>(buffers.size()), buffers.data());
      alcMakeContextCurrent(nullptr);
      alcDestroyContext(context);
    }
    if (device) alcCloseDevice(device);
  }
};

AudioEngine::AudioEngine(std::unique_ptr<State> state) : mState(std::move(state)) {}
AudioEngine::~AudioEngine() = default;

Result<std::unique_ptr<AudioEngine>> AudioEngine::create(const AudioSettings& settings) {
  auto s = std::make_unique<State>();
  s->settings = settings;
  std::vector<ALCint> attrs;
  if (settings.mode == AudioMode::kLoopback) {
    if (!alcIsExtensionPresent(nullptr, "ALC_SOFT_loopback")) {
      return makeError(ErrorCode::kUnsupported, "OpenAL has no loopback device (ALC_SOFT_loopback)");
    }
    auto openLoopback = reinterpret_cast<LPALCLOOPBACKOPENDEVICESOFT>(
        alcGetProcAddress(nullptr, "alcLoopbackOpenDeviceSOFT"));
    s->renderSamples =
        reinterpret_cast<LPALCRENDERSAMPLESSOFT>(alcGetProcAddress(nullptr, "alcRenderSamplesSOFT"));
    s->device = openLoopback ? openLoopback(nullptr) : nullptr;
    if (!s->device || !s->renderSamples)
      return makeError(ErrorCode::kUnavailable, "cannot open the OpenAL loopback device");
    attrs = {ALC_FORMAT_CHANNELS_SOFT,
             ALC_STEREO_SOFT,
             ALC_FORMAT_TYPE_SOFT,
             ALC_FLOAT_SOFT,
             ALC_FREQUENCY,
             static_cast<ALCint>(settings.sampleRate),
             ALC_HRTF_SOFT,
             ALC_FALSE,
             0};
  } else {
    s->device = alcOpenDevice(nullptr);
    if (!s->device) {
      return makeError(ErrorCode::kUnavailable, "OpenAL could not open the default output device",
                       "connect a sound device, or ignore: Trocar runs silently");
    }
    attrs = {0};
  }
  s->context = alcCreateContext(s->device, attrs.data());
  if (!s->context || !alcMakeContextCurrent(s->context)) {
    return makeError(ErrorCode::kUnavailable, "OpenAL could not create a context");
  }
  alDistanceModel(AL_INVERSE_DISTANCE_CLAMPED);
  s->sources.resize(settings.maxVoices);
  alGenSources(static_cast<ALsizei>(s->sources.size()), s->sources.data());
  if (alGetError() != AL_NO_ERROR)
    return makeError(ErrorCode::kUnavailable, "OpenAL could not create sources");
  for (ALuint src : s->sources) {
    alSourcef(src, AL_REFERENCE_DISTANCE, 0.3f);  // tools are within arm's reach
    alSourcef(src, AL_ROLLOFF_FACTOR, 1.0f);
  }
  return std::unique_ptr<AudioEngine>(new AudioEngine(std::move(s)));
}

Result<SoundId> AudioEngine::addSound(const WavData& wav) {
  TROCAR_PRECONDITION(wav.channels >= 1 && !wav.samples.empty(), "addSound: empty sound");
  alcMakeContextCurrent(mState->context);
  std::vector<int16_t> mono(wav.samples.size() / wav.channels);
  for (size_t i = 0; i < mono.size(); ++i) {
    float sum = 0.0f;
    for (uint16_t c = 0; c < wav.channels; ++c) sum += wav.samples[i * wav.channels + c];
    mono[i] = static_cast<int16_t>(std::lround(std::clamp(sum / wav.channels, -1.0f, 1.0f) * 32767.0f));
  }
  ALuint buffer = 0;
  alGenBuffers(1, &buffer);
  alBufferData(buffer, AL_FORMAT_MONO16, mono.data(), static_cast<ALsizei>(mono.size() * 2),
               static_cast<ALsizei>(wav.sampleRate));
  if (alGetError() != AL_NO_ERROR) return makeError(ErrorCode::kUnavailable, "OpenAL refused the sound data");
  mState->buffers.push_back(buffer);
  return SoundId{static_cast<uint32_t>(mState->buffers.size() - 1)};
}

void AudioEngine::setListener(const Pose& head) {
  alcMakeContextCurrent(mState->context);
  alListener3f(AL_POSITION, head.position.x, head.position.y, head.position.z);
  const Vec3 at = head.transformVector({0.0f, 0.0f, -1.0f});
  const Vec3 up = head.transformVector({0.0f, 1.0f, 0.0f});
  const ALfloat orientation[6] = {at.x, at.y, at.z, up.x, up.y, up.z};
  alListenerfv(AL_ORIENTATION, orientation);
}

bool AudioEngine::play(SoundId sound, const Vec3& position, float gain) {
  State& s = *mState;
  if (!sound.valid() || sound.value >= s.buffers.size()) return false;
  alcMakeContextCurrent(s.context);
  // A free voice, else the one started longest ago.
  ALuint voice = 0;
  for (size_t k = 0; k < s.sources.size() && !voice; ++k) {
    const ALuint src = s.sources[(s.next + k) % s.sources.size()];
    ALint state = AL_STOPPED;
    alGetSourcei(src, AL_SOURCE_STATE, &state);
    if (state != AL_PLAYING) voice = src;
  }
  if (!voice) voice = s.sources[s.next % s.sources.size()];
  s.next = (s.next + 1) % s.sources.size();
  alSourceStop(voice);
  alSourcei(voice, AL_BUFFER, static_cast<ALint>(s.buffers[sound.value]));
  alSource3f(voice, AL_POSITION, position.x, position.y, position.z);
  alSourcef(voice, AL_GAIN, gain);
  alSourcePlay(voice);
  return alGetError() == AL_NO_ERROR;
}

uint32_t AudioEngine::voicesPlaying() const {
  alcMakeContextCurrent(mState->context);
  uint32_t n = 0;
  for (ALuint src : mState->sources) {
    ALint state = AL_STOPPED;
    alGetSourcei(src, AL_SOURCE_STATE, &state);
    n += state == AL_PLAYING ? 1u : 0u;
  }
  return n;
}

std::vector<float> AudioEngine::render(uint32_t frames) {
  TROCAR_PRECONDITION(mState->renderSamples, "render() needs the loopback device");
  alcMakeContextCurrent(mState->context);
  std::vector<float> out(size_t{frames} * 2);
  mState->renderSamples(mState->device, out.data(), static_cast<ALCsizei>(frames));
  return out;
}

uint32_t AudioEngine::sampleRate() const {
  return mState->settings.sampleRate;
}

}  // namespace trocar::audio
