// `trocar bench render`: frames per second and CPU/GPU frame time for the reference scene in
// stereo (multiview, 4x MSAA) at a given per-eye size, offscreen. On lavapipe this is a
// regression guard only; on a GPU, compare against the 5.5 ms budget at 2 x 2064x2208.

#include "Commands.h"
#include "ReferenceScene.h"
#include "ScenePresenter.h"

#include <trocar/core/Version.h>
#include <trocar/render/Context.h>
#include <trocar/render/Renderer.h>
#include <trocar/render/Targets.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace trocar::cli {
namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

Runner addBenchRenderCommand(CLI::App& bench) {
  auto* cmd = bench.add_subcommand("render", "Stereo frame time of the reference scene (offscreen)");
  struct Options {
    uint32_t width = 1024;
    uint32_t height = 1024;
    int frames = 60;
    std::string scene = "assets/scenes/reference.yaml";
    std::string gpu;
    bool validation = false;
    bool mono = false;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--width", o->width, "Per-eye width in pixels (default 1024)")
      ->check(CLI::Range(16u, 8192u));
  cmd->add_option("--height", o->height, "Per-eye height in pixels (default 1024)")
      ->check(CLI::Range(16u, 8192u));
  cmd->add_option("--frames", o->frames, "Measured frames (after 5 warm-up frames)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--scene", o->scene, "Scenario drawn (default: the render reference scene)");
  cmd->add_option("--gpu", o->gpu, "Use the Vulkan device whose name contains this");
  cmd->add_flag("--validation", o->validation, "Enable the Vulkan validation layer (slower)");
  cmd->add_flag("--mono", o->mono, "One view instead of a stereo pair");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o]() -> int {
    auto posed = app::poseScene(o->scene);
    if (!posed) {
      std::fprintf(stderr, "%s\n", posed.error().toString().c_str());
      return 2;
    }
    render::ContextSettings cs;
    cs.validation = o->validation;
    cs.gpuName = o->gpu;
    auto ctx = render::Context::create(cs);
    if (!ctx) {
      std::fprintf(stderr, "%s\n", ctx.error().toString().c_str());
      return 4;
    }
    auto renderer = render::Renderer::create(*ctx.value());
    if (!renderer) {
      std::fprintf(stderr, "%s\n", renderer.error().toString().c_str());
      return 4;
    }
    render::OffscreenSettings ts;
    ts.width = o->width;
    ts.height = o->height;
    ts.views = o->mono ? 1 : 2;
    auto target = render::OffscreenTarget::create(*ctx.value(), ts);
    if (!target) {
      std::fprintf(stderr, "%s\n", target.error().toString().c_str());
      return 4;
    }
    auto presenter = app::ScenePresenter::create(*renderer.value(), posed.value().desc);
    if (!presenter) {
      std::fprintf(stderr, "%s\n", presenter.error().toString().c_str());
      return 4;
    }
    render::FrameScene scene;
    const Pose head = posed.value().camera;
    app::StereoSettings stereo;
    scene.views = app::stereoViews(head, stereo);
    if (o->mono)
      scene.views[0] =
          app::monoView(head, 1.2f, static_cast<float>(o->width) / static_cast<float>(o->height));

    std::vector<double> cpu;   // the renderer's own CPU time: scene build, recording, submission
    std::vector<double> wall;  // whole frame, including waiting for the GPU slot
    std::vector<double> gpu;
    const int warmup = 5;
    std::chrono::steady_clock::time_point start;
    for (int i = 0; i < warmup + o->frames; ++i) {
      if (i == warmup) start = std::chrono::steady_clock::now();
      const auto frameStart = std::chrono::steady_clock::now();
      presenter.value()->buildFrame(posed.value().snapshot, scene);
      auto stats = renderer.value()->drawFrame(*target.value(), scene);
      if (!stats) {
        std::fprintf(stderr, "%s\n", stats.error().toString().c_str());
        return 4;
      }
      if (i >= warmup) {
        const double frameMs =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frameStart).count();
        wall.push_back(frameMs);
        cpu.push_back(stats.value().cpuMs);
        if (i >= warmup + 2 && stats.value().gpuMs >= 0.0) gpu.push_back(stats.value().gpuMs);
      }
    }
    renderer.value()->finish();
    if (renderer.value()->lastGpuMs() >= 0.0) gpu.push_back(renderer.value()->lastGpuMs());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto messages = ctx.value()->validationMessages();
    nlohmann::json out{{"schema", "trocar.bench.render/1"},
                       {"build", buildId()},
                       {"device", ctx.value()->deviceName()},
                       {"software_device", ctx.value()->isSoftware()},
                       {"views", ts.views},
                       {"width", o->width},
                       {"height", o->height},
                       {"msaa", 4},
                       {"frames", o->frames},
                       {"fps", static_cast<double>(o->frames) / seconds},
                       {"cpu_frame_ms_median", percentile(cpu, 0.5)},
                       {"cpu_frame_ms_p99", percentile(cpu, 0.99)},
                       {"wall_frame_ms_median", percentile(wall, 0.5)},
                       {"gpu_frame_ms_median", percentile(gpu, 0.5)},
                       {"gpu_frame_ms_p99", percentile(gpu, 0.99)},
                       {"validation_messages", messages.size()}};
    if (o->json) {
      std::cout << out.dump(2) << std::endl;
    } else {
      std::printf(
          "device: %s%s\n", ctx.value()->deviceName().c_str(),
          ctx.value()->isSoftware() ? " (software: a regression guard, not a performance figure)" : "");
      std::printf(
          "%u x %ux%u, 4x MSAA, %d frames: %.1f fps, CPU %.2f ms (p99 %.2f), GPU %.2f ms (p99 %.2f)\n"
          "(CPU = recording and submission; a frame also waits for the GPU slot it reuses)\n",
          ts.views, o->width, o->height, o->frames, out["fps"].get<double>(),
          out["cpu_frame_ms_median"].get<double>(), out["cpu_frame_ms_p99"].get<double>(),
          out["gpu_frame_ms_median"].get<double>(), out["gpu_frame_ms_p99"].get<double>());
    }
    return messages.empty() ? 0 : 4;
  };
}

}  // namespace trocar::cli
