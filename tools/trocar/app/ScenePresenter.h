#pragma once
// Turns the simulation into something to draw: builds the room (floor, table, box trainer
// and monitor for laparoscopic scenarios), rigid objects, instruments with moving jaws, clips
// and the deforming tissues, and fills a render::FrameScene from a physics::WorldSnapshot.
//
// This is where sim/ and engine/render meet (DESIGN.md: the application wires them); neither
// module knows the other. Thread: the render thread; it reads snapshots only, never the World.

#include <trocar/core/Result.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/render/Renderer.h>
#include <trocar/scenario/Scenario.h>

#include <array>
#include <memory>
#include <vector>

namespace trocar::app {

// The trainee's eyes. Defaults are an average adult IPD and a typical headset FOV.
struct StereoSettings {
  float ipdM = 0.064f;
  render::Fov leftFov{-0.80f, 0.70f, 0.78f, -0.85f};  // asymmetric, as OpenXR reports
  render::Fov rightFov{-0.70f, 0.80f, 0.78f, -0.85f};
  float nearM = 0.02f;
  float farM = 30.0f;
};

// Eye views from the head pose: each eye ipd/2 along the head's local X.
std::array<render::View, 2> stereoViews(const Pose& head, const StereoSettings& settings);
// One view from the head (desktop window), vertical FOV in radians.
render::View monoView(const Pose& head, float verticalFovRad, float aspect);
// A pose at `eye` looking at `target`, +Y up.
Pose lookAt(const Vec3& eye, const Vec3& target);

class ScenePresenter {
 public:
  static Result<std::unique_ptr<ScenePresenter>> create(render::Renderer& renderer,
                                                        const scenario::ScenarioDesc& scenario);

  // Fills draws, dynamic-mesh updates and (laparoscopic) the endoscope; keeps `views`, lights
  // and `ui` of `out` as the caller set them. The updates point into `snapshot` and into this
  // presenter: keep both alive and unchanged until drawFrame returns.
  void buildFrame(const physics::WorldSnapshot& snapshot, render::FrameScene& out);

  bool laparoscopic() const { return mLaparoscopic; }
  // Turns a built frame into the endoscope's own picture (monitor image, replay snapshots,
  // desktop laparoscopic view): its camera as views[0], no room, no endoscope pass.
  static void showEndoscopeOnly(render::FrameScene& scene);
  // Where the monitor hangs (laparoscopic): tests and the desktop camera aim at it.
  Vec3 monitorCenter() const { return mMonitorCenter; }
  // Where the instruments' shadows in a frame built from `snapshot` fall (the renderer shades
  // them per pixel from scene.shadowCasters; this is for tests, worked out only when asked):
  // rays from the shadow light past points along each shaft (from the tip back, every 2.5 mm
  // over 5 cm) to the tissue or object they meet.
  struct ShadowSpot {
    int hand = 0;
    float along = 0.0f;  // m from the tip
    Vec3 position{0.0f};
  };
  std::vector<ShadowSpot> shadowSpots(const physics::WorldSnapshot& snapshot,
                                      const render::FrameScene& scene) const;
  // The tip-to-surface cue: where each tool's tip would meet a surface if pushed on along its
  // shaft (within kTipCueReachM), and how far that is; drawn as a small ring there.
  struct TipCue {
    int hand = 0;
    float distance = 0.0f;  // m
    Vec3 position{0.0f};
  };
  static constexpr float kTipCueReachM = 0.04f;
  const std::vector<TipCue>& tipCues() const { return mTipCues; }
  // The meshes the frame draws object i and tissue i with (tests pick their draws by them).
  render::MeshId objectMeshId(size_t i) const { return mRigidMeshes.at(i); }
  render::MeshId tissueMeshId(size_t i) const { return mTissues.at(i).mesh; }

 private:
  struct TissueView {
    render::MeshId mesh;
    render::Material material;
    Pose clothFrame;  // cloth: uv = rest position in this frame's X-Z plane
    bool cloth = false;
    uint32_t topologyVersion = UINT32_MAX;
    size_t initialNodes = 0;
    std::vector<uint8_t> initialBoundary;  // per initial node: on an open edge at load
    std::vector<uint8_t> initialSurface;   // per initial node: on the drawn surface at load
    std::vector<Vec2> uvs;
    std::vector<float> cutEdge;
    // A detailed surface following the tets (as the snapshot carries it, split by cuts).
    std::vector<Vec3> embeddedPositions, embeddedNormals;  // this frame's (updates point here)
    std::vector<float> embeddedStress;
    std::vector<Vec2> embeddedUvs;
    Vec3 lo{0.0f}, hi{0.0f};  // this frame's drawn box (for shadow rays)
  };
  struct Meshes {
    render::MeshId floor, table, boxTrainer, monitorBezel, monitorScreen, shaft, jaw, blade, handle, clip,
        zone, port, ghost, disc, cavity, collar;
    std::array<render::MeshId, 2> maryland, metzenbaum, clipJaw;  // [0] upper, [1] lower jaw
  };

  ScenePresenter() = default;
  void refreshTopology(TissueView& view, const physics::TissueSnapshot& snap);
  // The embedded surface where the tets are now; false for tissues without one.
  bool updateEmbedded(TissueView& view, const physics::TissueSnapshot& snap, render::DynamicMeshUpdate& u);
  void addInstrument(const physics::InstrumentSnapshot& tool, std::vector<render::DrawItem>& draws) const;
  // Each tissue's box as drawn this frame (rays that miss it skip its triangles).
  void measureTissues(const physics::WorldSnapshot& snapshot);
  void addTipCues(const physics::WorldSnapshot& snapshot, std::vector<render::DrawItem>& draws);
  // Shadows of the instruments (a depth cue): dark spots where each shaft's shadow falls.
  void addShadows(const physics::WorldSnapshot& snapshot, render::FrameScene& scene) const;
  // The first tissue surface (as drawn this frame) or object a ray meets within `reach` m.
  std::optional<std::pair<Vec3, Vec3>> firstHit(const physics::WorldSnapshot& snapshot, const Vec3& origin,
                                                const Vec3& dir, float reach) const;

  Meshes mMeshes;
  std::vector<render::DrawItem> mStatic;  // room, table, trainer, monitor, zones, ports
  std::vector<render::MeshId> mRigidMeshes;
  std::vector<render::Material> mRigidMaterials;
  std::vector<TissueView> mTissues;
  bool mLaparoscopic = false;
  bool mGhostHand = true;
  std::vector<Vec3> mRigidHalfExtents;  // per object, its box (cylinders and spheres boxed)
  std::vector<TipCue> mTipCues;
  std::optional<Vec3> mShadowLight;  // a point light beside the scope; else the key light
  std::optional<render::Endoscope> mEndoscope;
  Vec3 mMonitorCenter{0.0f};
};

}  // namespace trocar::app
