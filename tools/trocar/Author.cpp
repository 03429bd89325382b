// `trocar author [SCENARIO]`: the scenario editor (tools/trocar/app/AuthorModel.h). Without a
// window, `--save-as F` writes the scenario in the editor's layout (a check of what Save
// would write) and exits.
#include "Commands.h"
#include "Paths.h"

#include <trocar/core/Log.h>

#include <AuthorModel.h>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace trocar::cli {
namespace {

std::atomic<bool> gAuthorStop{false};
void onAuthorSignal(int) {
  gAuthorStop.store(true);
}

}  // namespace

Runner addAuthorCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("author", "Edit a scenario in a window: see, place, check and try what you write");
  struct Options {
    std::string scenario = "new-scenario.yaml";
    std::string screenshot, select, saveAs, gpu;
    int frames = 0;
    bool validation = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("SCENARIO", o->scenario, "Scenario file (made on the first save when it does not exist)");
  cmd->add_option("--select", o->select, "Start with SECTION/ID selected (regions/inside-circle)");
  cmd->add_option("--screenshot", o->screenshot, "The window's last frame, with its overlay, as PNG");
  cmd->add_option("--frames", o->frames, "Close after this many frames (pictures for tests)");
  cmd->add_option("--save-as", o->saveAs, "No window: write the scenario as the editor saves it, and exit");
  cmd->add_option("--gpu", o->gpu, "Use the Vulkan device whose name contains this");
  cmd->add_flag("--validation", o->validation, "Enable the Vulkan validation layer");
  return [o]() -> int {
    auto opened = app::AuthorModel::open(o->scenario);
    if (!opened) {
      std::fprintf(stderr, "%s\n", opened.error().toString().c_str());
      return 2;
    }
    app::AuthorModel& model = *opened.value();
    for (const app::Problem& p : model.problems())
      std::fprintf(stderr, "%s: %s\n", p.warning ? "warning" : "error", p.error.toString().c_str());
    if (!o->saveAs.empty()) {
      if (auto saved = model.save(o->saveAs); !saved) {
        std::fprintf(stderr, "%s\n", saved.error().toString().c_str());
        return 2;
      }
      return model.compiled().ok() ? 0 : 2;
    }
    app::AuthorSettings settings;
    settings.screenshot = o->screenshot;
    settings.select = o->select;
    settings.frames = o->frames;
    settings.validation = o->validation;
    settings.gpu = o->gpu;
    std::error_code ec;
    settings.trocar = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::signal(SIGINT, onAuthorSignal);
    std::signal(SIGTERM, onAuthorSignal);
    auto ran = app::runAuthorWindow(model, settings, gAuthorStop);
    if (!ran) {
      std::fprintf(stderr, "%s\n", ran.error().toString().c_str());
      return ran.error().code == ErrorCode::kUnavailable || ran.error().code == ErrorCode::kUnsupported ? 4
                                                                                                        : 2;
    }
    if (model.dirty())
      TROCAR_LOG_WARN("author: closed with unsaved changes to %s", model.file().string().c_str());
    return 0;
  };
}

}  // namespace trocar::cli
