#include "ToolWindow.h"

#include <trocar/render/Image.h>

#include <GLFW/glfw3.h>

namespace trocar::app {

Result<std::unique_ptr<ToolWindow>> ToolWindow::open(const Settings& settings) {
  std::unique_ptr<ToolWindow> w(new ToolWindow());
  if (!glfwInit())
    return makeError(ErrorCode::kUnavailable, settings.noDisplay + " (GLFW could not connect)",
                     settings.noDisplayHint);
  w->mGlfw = true;
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
  w->mWindow = glfwCreateWindow(settings.width, settings.height, settings.title.c_str(), nullptr, nullptr);
  if (!w->mWindow) return makeError(ErrorCode::kUnavailable, "GLFW could not open a window");
  render::ContextSettings cs;
  cs.validation = settings.validation;
  cs.gpuName = settings.gpu;
  for (const std::string& e : render::windowInstanceExtensions()) cs.instanceExtensions.push_back(e);
  cs.presentation = true;
  auto ctx = render::Context::create(cs);
  if (!ctx) return ctx.error();
  w->mContext = std::move(ctx.value());
  auto renderer = render::Renderer::create(*w->mContext);
  if (!renderer) return renderer.error();
  w->mRenderer = std::move(renderer.value());
  auto target = render::WindowTarget::create(*w->mContext, w->mWindow, render::WindowSettings{});
  if (!target) return target.error();
  w->mTarget = std::move(target.value());
  return w;
}

ToolWindow::~ToolWindow() {
  if (mRenderer) mRenderer->finish();
  mTarget.reset();
  mRenderer.reset();
  mContext.reset();
  if (mWindow) glfwDestroyWindow(mWindow);
  if (mGlfw) glfwTerminate();
}

Result<void> ToolWindow::screenshot(const render::FrameScene& scene, const std::filesystem::path& file) {
  render::OffscreenSettings os;
  os.width = mTarget->extent().width;
  os.height = mTarget->extent().height;
  os.format = mTarget->format();
  auto shot = render::OffscreenTarget::create(*mContext, os);
  if (!shot) return shot.error();
  TROCAR_TRY(mRenderer->drawFrame(*shot.value(), scene));
  auto pixels = shot.value()->readPixels(0);
  if (!pixels) return pixels.error();
  return render::writePng(file, pixels.value());
}

}  // namespace trocar::app
