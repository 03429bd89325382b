#pragma once
// A GLFW window with Vulkan drawing into it, for the tools' own windows (`replay --watch`,
// `author`): GLFW, the Vulkan context, the renderer and the window's target, made in order and
// released in the reverse order (the renderer finished first).

#include <trocar/core/Result.h>
#include <trocar/render/Renderer.h>
#include <trocar/render/Targets.h>

#include <filesystem>
#include <memory>
#include <string>

struct GLFWwindow;

namespace trocar::app {

class ToolWindow {
 public:
  struct Settings {
    std::string title;
    int width = 1280;
    int height = 720;
    bool validation = false;
    std::string gpu;
    std::string noDisplay = "no display";  // the error without one ("no display to ...")
    std::string noDisplayHint;             // and what to do
  };
  // kUnavailable without a display.
  static Result<std::unique_ptr<ToolWindow>> open(const Settings& settings);
  ~ToolWindow();

  GLFWwindow* window() const { return mWindow; }
  render::Context& context() { return *mContext; }
  render::Renderer& renderer() { return *mRenderer; }
  render::WindowTarget& target() { return *mTarget; }
  // `scene` drawn again offscreen at the window's size, with its overlay, written as PNG.
  Result<void> screenshot(const render::FrameScene& scene, const std::filesystem::path& file);

 private:
  ToolWindow() = default;
  bool mGlfw = false;
  GLFWwindow* mWindow = nullptr;
  std::unique_ptr<render::Context> mContext;
  std::unique_ptr<render::Renderer> mRenderer;
  std::unique_ptr<render::WindowTarget> mTarget;
};

}  // namespace trocar::app
