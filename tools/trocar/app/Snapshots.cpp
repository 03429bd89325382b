#include "Snapshots.h"

#include "ScenePresenter.h"

#include <trocar/render/Context.h>
#include <trocar/render/Image.h>
#include <trocar/render/Renderer.h>
#include <trocar/render/Targets.h>

#include <cstdio>
#include <cstdlib>

namespace trocar::app {

struct SnapshotWriter::State {
  SnapshotSettings settings;
  bool laparoscopic = false;
  std::unique_ptr<render::Context> ctx;
  std::unique_ptr<render::Renderer> renderer;
  std::unique_ptr<render::OffscreenTarget> target;
  std::unique_ptr<ScenePresenter> presenter;
  physics::WorldSnapshot snapshot;
  std::optional<Error> error;
  size_t written = 0;
  Pose lastHead;
  Tick lastTick = 0;
  bool lastPictured = false;

  ~State() {
    if (renderer) renderer->finish();
    presenter.reset();
    target.reset();
    renderer.reset();
  }
};

SnapshotWriter::SnapshotWriter(std::unique_ptr<State> state) : mState(std::move(state)) {}
SnapshotWriter::~SnapshotWriter() = default;

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::create(const scenario::ScenarioDesc& scenario,
                                                               const SnapshotSettings& settings) {
  auto s = std::make_unique<State>();
  s->settings = settings;
  std::error_code ec;
  std::filesystem::create_directories(settings.dir, ec);
  if (ec) {
    return makeError(ErrorCode::kIo, "cannot create the snapshot folder: " + ec.message(),
                     SourceLocation{settings.dir.string()});
  }
  render::ContextSettings cs;
  const char* validation = std::getenv("TROCAR_VK_VALIDATION");
  cs.validation = validation && std::string(validation) == "1";
  auto ctx = render::Context::create(cs);
  if (!ctx) return ctx.error();
  s->ctx = std::move(ctx.value());
  auto renderer = render::Renderer::create(*s->ctx);
  if (!renderer) return renderer.error();
  s->renderer = std::move(renderer.value());
  s->laparoscopic = scenario.view == scenario::ViewKind::kLaparoscopic && scenario.camera.has_value();
  render::OffscreenSettings ts;
  ts.width = settings.width;
  ts.height =
      s->laparoscopic ? static_cast<uint32_t>(settings.width / scenario.camera->aspect) : settings.height;
  auto target = render::OffscreenTarget::create(*s->ctx, ts);
  if (!target) return target.error();
  s->target = std::move(target.value());
  auto presenter = ScenePresenter::create(*s->renderer, scenario);
  if (!presenter) return presenter.error();
  s->presenter = std::move(presenter.value());
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(std::move(s)));
}

Result<void> SnapshotWriter::write(const physics::World& world, const Pose& head, Tick tick) {
  State& s = *mState;
  world.snapshot(s.snapshot);
  render::FrameScene scene;
  s.presenter->buildFrame(s.snapshot, scene);
  const VkExtent2D extent = s.target->extent();
  if (s.laparoscopic && scene.endoscope) {
    ScenePresenter::showEndoscopeOnly(scene);  // the monitor's picture itself
  } else {
    scene.views[0] =
        monoView(head, 1.0f, static_cast<float>(extent.width) / static_cast<float>(extent.height));
  }
  auto drawn = s.renderer->drawFrame(*s.target, scene);
  if (!drawn) return drawn.error();
  auto pixels = s.target->readPixels(0);
  if (!pixels) return pixels.error();
  char name[64];
  std::snprintf(name, sizeof(name), "-%08llu.png", static_cast<unsigned long long>(tick));
  auto written = render::writePng(s.settings.dir / (s.settings.prefix + name), pixels.value());
  if (written) ++s.written;
  return written;
}

void SnapshotWriter::onTick(const session::TickRecord& record) {
  if (record.input) mState->lastHead = record.input->head;
  mState->lastTick = record.tick;
  mState->lastPictured = record.checkpoint.has_value();
  if (!record.checkpoint || mState->error || !record.world || !record.input) return;
  auto r = write(*record.world, record.input->head, record.tick);
  if (!r) mState->error = r.error();
}

void SnapshotWriter::finish(const physics::World& world) {
  if (mState->lastPictured || mState->error) return;
  auto r = write(world, mState->lastHead, mState->lastTick);
  if (!r) mState->error = r.error();
}

const std::optional<Error>& SnapshotWriter::error() const {
  return mState->error;
}
size_t SnapshotWriter::written() const {
  return mState->written;
}

}  // namespace trocar::app
