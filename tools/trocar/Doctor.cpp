// `trocar doctor`: what this machine offers. Every probe runs on its own thread with a
// time limit, so a driver or runtime that hangs is reported instead of hanging doctor.

#include "Commands.h"

#include <trocar/audio/SystemInfo.h>
#include <trocar/core/File.h>
#include <trocar/core/Log.h>
#include <trocar/core/Version.h>
#include <trocar/programme/History.h>
#include <trocar/render/SystemInfo.h>
#include <trocar/xr/SystemInfo.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace trocar::cli {
namespace {

using nlohmann::json;
constexpr auto kProbeTimeout = std::chrono::seconds(15);

// Runs `probe` on a detached thread; returns its result, or an error if it does not
// finish in time. A hung probe thread is left behind; doctor exits without joining it.
template <typename T>
Result<T> runWithTimeout(const char* what, Result<T> (*probe)(), bool* hung) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  std::thread([promise, probe] { promise->set_value(probe()); }).detach();
  if (future.wait_for(kProbeTimeout) != std::future_status::ready) {
    *hung = true;
    return makeError(ErrorCode::kUnavailable, std::string(what) + " did not answer within 15 s",
                     "a driver or runtime is hanging; check it outside Trocar");
  }
  return future.get();
}

// Drivers and loaders (OpenXR loader, ALSA, Mesa) print their own complaints to stderr
// while being probed; doctor reports the outcome itself, so their noise is muted unless
// --log-level debug asks for it.
class MutedStderr {
 public:
  explicit MutedStderr(bool mute) {
    if (!mute) return;
    std::fflush(stderr);
    mSaved = ::dup(STDERR_FILENO);
    int devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (mSaved >= 0 && devNull >= 0) ::dup2(devNull, STDERR_FILENO);
    if (devNull >= 0) ::close(devNull);
  }
  ~MutedStderr() {
    if (mSaved < 0) return;
    std::fflush(stderr);
    ::dup2(mSaved, STDERR_FILENO);
    ::close(mSaved);
  }
  MutedStderr(const MutedStderr&) = delete;
  MutedStderr& operator=(const MutedStderr&) = delete;

 private:
  int mSaved = -1;
};

json errorJson(const Error& error) {
  json j{{"available", false}, {"reason", error.message}};
  if (!error.hint.empty()) j["hint"] = error.hint;
  return j;
}

json vulkanJson(const Result<render::VulkanSystemInfo>& r) {
  if (!r.ok()) return errorJson(r.error());
  json devices = json::array();
  for (const auto& d : r.value().devices) {
    devices.push_back({{"name", d.name},
                       {"type", d.type},
                       {"api_version", d.apiVersion},
                       {"driver_version", d.driverVersion},
                       {"multiview", d.multiview},
                       {"max_multiview_views", d.maxMultiviewViews},
                       {"software", d.isSoftware}});
  }
  return {{"available", true}, {"instance_version", r.value().instanceVersion}, {"devices", devices}};
}

json openxrJson(const Result<xr::OpenXrRuntimeInfo>& r) {
  if (!r.ok()) return errorJson(r.error());
  const auto& i = r.value();
  json j{{"available", true},
         {"runtime", i.runtimeName},
         {"runtime_version", i.runtimeVersion},
         {"vulkan_enable2", i.vulkanEnable2},
         {"headset", i.headsetConnected}};
  if (i.headsetConnected)
    j["system"] = i.systemName;
  else
    j["headset_reason"] = i.headsetReason;
  return j;
}

json audioJson(const Result<audio::AudioSystemInfo>& r) {
  if (!r.ok()) return errorJson(r.error());
  const auto& i = r.value();
  return {{"available", true},      {"device", i.defaultDevice}, {"devices", i.devices},
          {"renderer", i.renderer}, {"version", i.version},      {"loopback", i.loopback}};
}

json displayJson(const Result<render::DisplayInfo>& r) {
  if (!r.ok()) return errorJson(r.error());
  const auto& i = r.value();
  return {{"available", true},    {"kind", i.kind},   {"name", i.name},
          {"monitor", i.monitor}, {"width", i.width}, {"height", i.height}};
}

void printSection(const char* title, const json& j) {
  std::printf("%-9s", title);
  if (!j.value("available", false)) {
    std::printf("not available: %s\n", j.value("reason", "").c_str());
    if (j.contains("hint")) std::printf("         hint: %s\n", j["hint"].get<std::string>().c_str());
    return;
  }
  std::printf("ok\n");
}

void printText(const json& report) {
  std::printf("%s\n\n", report["version"].get<std::string>().c_str());
  const json& vk = report["vulkan"];
  printSection("Vulkan", vk);
  if (vk.value("available", false)) {
    std::printf("         instance %s\n", vk["instance_version"].get<std::string>().c_str());
    for (const auto& d : vk["devices"]) {
      std::printf("         - %s (%s, Vulkan %s, multiview %s)%s\n", d["name"].get<std::string>().c_str(),
                  d["type"].get<std::string>().c_str(), d["api_version"].get<std::string>().c_str(),
                  d["multiview"].get<bool>()
                      ? ("yes, " + std::to_string(d["max_multiview_views"].get<int>()) + " views").c_str()
                      : "no",
                  d["software"].get<bool>() ? "  [software: tests only, not for timings]" : "");
    }
  }
  const json& xr = report["openxr"];
  printSection("OpenXR", xr);
  if (xr.value("available", false)) {
    std::printf("         runtime %s %s, XR_KHR_vulkan_enable2 %s\n",
                xr["runtime"].get<std::string>().c_str(), xr["runtime_version"].get<std::string>().c_str(),
                xr["vulkan_enable2"].get<bool>() ? "yes" : "NO");
    if (xr["headset"].get<bool>())
      std::printf("         headset %s\n", xr["system"].get<std::string>().c_str());
    else
      std::printf("         no headset: %s\n", xr["headset_reason"].get<std::string>().c_str());
  }
  const json& al = report["audio"];
  printSection("Audio", al);
  if (al.value("available", false)) {
    std::printf("         %s (%s %s), loopback %s\n", al["device"].get<std::string>().c_str(),
                al["renderer"].get<std::string>().c_str(), al["version"].get<std::string>().c_str(),
                al["loopback"].get<bool>() ? "yes" : "no");
  }
  const json& display = report["display"];
  printSection("Display", display);
  if (display.value("available", false)) {
    std::printf("         %s %s, %dx%d\n", display["kind"].get<std::string>().c_str(),
                display["name"].get<std::string>().c_str(), display["width"].get<int>(),
                display["height"].get<int>());
  }
  const json& dirs = report["directories"];
  std::printf(
      "Data     recordings %s\n         cache      %s\n         config     %s\n         history    %s\n",
      dirs["recordings"].get<std::string>().c_str(), dirs["cache"].get<std::string>().c_str(),
      dirs["config"].get<std::string>().c_str(), dirs["history"].get<std::string>().c_str());
  std::printf("\nRig for `trocar run --rig auto`: %s\n", report["auto_rig"].get<std::string>().c_str());
}

}  // namespace

Runner addDoctorCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "Report what this machine offers: Vulkan, OpenXR, audio, display");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  return [cmd, json]() -> int {
    (void)cmd;
    bool hung = false;
    std::optional<MutedStderr> muted(std::in_place, !logEnabled(LogLevel::kDebug));
    auto vk = runWithTimeout<render::VulkanSystemInfo>("Vulkan", &render::queryVulkanSystem, &hung);
    auto xr = runWithTimeout<xr::OpenXrRuntimeInfo>("OpenXR", &xr::queryOpenXrRuntime, &hung);
    auto al = runWithTimeout<audio::AudioSystemInfo>("OpenAL", &audio::queryAudioSystem, &hung);
    auto display = runWithTimeout<render::DisplayInfo>("display", &render::queryDisplay, &hung);
    muted.reset();
    DataDirectories dirs = dataDirectories();

    nlohmann::json report;
    report["schema"] = "trocar.doctor/1";
    report["version"] = versionString();
    report["build_id"] = buildId();
    report["vulkan"] = vulkanJson(vk);
    report["openxr"] = openxrJson(xr);
    report["audio"] = audioJson(al);
    report["display"] = displayJson(display);
    report["directories"] = {{"data", dirs.data.string()},
                             {"recordings", dirs.recordings.string()},
                             {"cache", dirs.cache.string()},
                             {"config", dirs.config.string()},
                             {"history", programme::History::defaultUrl()}};
    bool headset = xr.ok() && xr.value().headsetConnected;
    report["auto_rig"] = headset ? "openxr" : display.ok() ? "desktop" : "headless";

    if (*json)
      std::cout << report.dump(2) << std::endl;
    else
      printText(report);
    std::fflush(stdout);
    // Missing devices are information, not failure: doctor exits 0 unless a probe hung.
    if (hung) std::_Exit(4);
    return 0;
  };
}

}  // namespace trocar::cli
