#pragma once
// The renderer: meshes, the scene pipelines (one per target format and view count), the
// laparoscopic endoscope pass, ImGui (panel texture or HUD) and GPU timing.
//
// Per frame: drawFrame(target, scene) waits only for the frame-in-flight slot it is about to
// reuse (two slots by default), streams dynamic meshes through that slot's staging buffer into
// device-local buffers (GPU-side barriers, no CPU stall), draws, submits and presents.
// Thread: one thread (the render thread) for every call. Dear ImGui's backend is process-wide:
// one Renderer at a time may use UI panels.

#include <trocar/core/Result.h>
#include <trocar/render/Context.h>
#include <trocar/render/Scene.h>
#include <trocar/render/Targets.h>

#include <cstdint>
#include <memory>

namespace trocar::render {

struct RendererSettings {
  uint32_t framesInFlight = 2;  // 1..4
};

struct FrameStats {
  uint64_t frameIndex = 0;
  bool skipped = false;  // the target had nothing to draw into (minimised window)
  double cpuMs = 0.0;    // recording + submission on the CPU for this frame
  double gpuMs = -1.0;   // GPU time of the most recent *finished* frame; -1 until known
  uint32_t drawCalls = 0;
  uint64_t uploadedBytes = 0;  // dynamic mesh data streamed this frame
};

class Renderer {
 public:
  static Result<std::unique_ptr<Renderer>> create(Context& ctx, const RendererSettings& settings = {});
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Uploads a static mesh (waits for the copy). Errors: empty mesh, out-of-range indices.
  Result<MeshId> createMesh(const MeshData& data);
  // A mesh whose vertices (and, after cuts, indices) come with each frame's DynamicMeshUpdate.
  MeshId createDynamicMesh();

  Result<FrameStats> drawFrame(RenderTarget& target, const FrameScene& scene);

  // Waits for all submitted frames; afterwards lastGpuMs() is the final frame's GPU time.
  void finish();
  double lastGpuMs() const;

 private:
  struct State;
  explicit Renderer(std::unique_ptr<State> state);
  std::unique_ptr<State> mState;
};

}  // namespace trocar::render
