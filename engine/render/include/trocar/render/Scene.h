#pragma once
// What the renderer draws, as plain data: meshes (static, or dynamic and updated every frame),
// materials, per-eye views, the endoscope camera of the laparoscopic view and an ImGui panel.
// Nothing here knows about surgery: the application turns a simulation snapshot into a
// FrameScene (tools/trocar/app/ScenePresenter).
//
// Units and frames: metres, the stage frame (right-handed, +Y up, -Z forward). Colours are
// linear RGB in [0, 1]; the sRGB targets encode them on write.

#include <trocar/core/Math.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace trocar::render {

class ExternalTarget;

// Handle to a mesh owned by the Renderer (lives as long as the renderer).
struct MeshId {
  uint32_t value = UINT32_MAX;
  bool valid() const { return value != UINT32_MAX; }
  bool operator==(const MeshId&) const = default;
};

struct MeshData {
  std::vector<Vec3> positions;
  std::vector<Vec3> normals;      // one per position, unit
  std::vector<Vec2> uvs;          // empty, or one per position
  std::vector<uint32_t> indices;  // triangles, counter-clockwise seen from outside
};

// One frame's new state of a dynamic (deforming) mesh. Spans must stay valid until drawFrame
// returns. Indices and uvs are uploaded only when topologyVersion differs from the last upload
// (after a cut), vertex data every time.
struct DynamicMeshUpdate {
  MeshId mesh;
  std::span<const Vec3> positions;
  std::span<const Vec3> normals;
  std::span<const float> stress;   // per vertex [0, 1], or empty
  std::span<const float> cutEdge;  // per vertex [0, 1]: 1 on an edge a cut made, or empty
  std::span<const Vec2> uvs;       // texture coordinates (the gauze's weave), or empty
  std::span<const Vec3> rest;      // per vertex: rest position (ink is drawn there), or empty
  std::span<const uint32_t> indices;
  uint32_t topologyVersion = 0;
};

enum class Shading : uint32_t {
  kTissue = 0,   // wrap diffuse + wet specular
  kFabric = 1,   // tissue shading plus a woven pattern in uv space (gauze)
  kPlastic = 2,  // diffuse + broad specular
  kMetal = 3,    // tinted sharp specular, dark diffuse
  kScreen = 4,   // unlit; shows `texture`
};

enum class TextureSource : uint32_t {
  kNone = 0,
  kEndoscope = 1,  // what the endoscope camera saw this frame (laparoscopic monitor)
  kUiPanel = 2,    // the ImGui panel rendered this frame (VR checklist quad)
};

struct Material {
  Vec3 color{0.8f};
  float roughness = 0.5f;  // 0 mirror .. 1 matte
  float wetness = 0.0f;    // 0..1: strength of a tight, bright highlight (moist tissue)
  float wrap = 0.0f;       // 0..1: diffuse light reaching past the terminator (soft, subsurface look)
  Shading shading = Shading::kPlastic;
  TextureSource texture = TextureSource::kNone;
  Vec3 damageColor{0.42f, 0.03f, 0.03f};  // blended in by per-vertex stress
  float damageStrength = 0.0f;            // 0 disables the stress tint
  // Ink lines FrameScene::ink[inkFirst, inkFirst + inkCount), drawn inkWidth wide (m) where
  // the surface's rest position (DynamicMeshUpdate::rest) lies on them: markings follow the
  // tissue as it deforms and is cut. inkCount 0 = none.
  uint32_t inkFirst = 0;
  uint32_t inkCount = 0;
  float inkWidth = 0.0f;
};

// A line inked on surfaces (a marking), in their rest frame; see Material::inkFirst.
struct InkLine {
  std::span<const Vec3> points;  // at least two
  bool closed = false;           // the last point joins the first
};

// Which passes draw an item (bit set).
inline constexpr uint32_t kInMainView = 1u;   // the eye(s) / window
inline constexpr uint32_t kInEndoscope = 2u;  // the laparoscope's camera
inline constexpr uint32_t kInAllViews = kInMainView | kInEndoscope;

struct DrawItem {
  MeshId mesh;
  Mat4 model{1.0f};  // rigid or uniformly scaled (normals use its upper 3x3)
  Material material;
  uint32_t visibility = kInAllViews;  // items showing the endoscope texture never enter its pass
};

struct View {
  Mat4 view{1.0f};        // world -> eye
  Mat4 projection{1.0f};  // eye -> Vulkan clip (y down, depth 0..1)
  Vec3 eye{0.0f};         // eye position, world
};

// Field of view as OpenXR gives it (radians; left and down are negative for a centred eye).
struct Fov {
  float left = -0.8f;
  float right = 0.8f;
  float up = 0.8f;
  float down = -0.8f;
};

// sRGB-encoded colour (as people write colours) -> linear (what Material.color holds).
Vec3 srgbToLinear(Vec3 srgb);

Mat4 projectionFromFov(const Fov& fov, float nearM, float farM);
Mat4 perspective(float verticalFovRad, float aspect, float nearM, float farM);
View viewFromPose(const Pose& eyePose, const Mat4& projection);  // camera looks down its -Z

// A laparoscope's lamp: a light at the lens that falls off with the square of the distance
// (`intensity` at `referenceM`, intensity x (referenceM / d)^2 at d, at most 4 x intensity
// closer than referenceM / 2), and the darkening towards the picture's edge a scope's optics
// give: light x (1 - vignette x r^2), r = 0 at the picture's centre and 1 at its corners.
struct ScopeLight {
  float intensity = 0.0f;  // 0: none
  float referenceM = 0.08f;
  float vignette = 0.0f;
};

struct Endoscope {
  View camera;
  uint32_t width = 640;
  uint32_t height = 480;
  Vec4 clearColor{0.10f, 0.04f, 0.03f, 1.0f};  // the body cavity's dark red
  // Inside the body the scope's lamp lights the field; of the room's key light and headlight
  // only `roomLight` of the key light gets in (light through the trocars and the wall).
  ScopeLight light{2.0f, 0.08f, 0.5f};
  float roomLight = 0.3f;
};

// An ImGui panel. `build` issues ImGui calls (between NewFrame and Render, on the render
// thread). As an overlay it is drawn over a mono target (desktop HUD, target size); otherwise
// it is rendered into a width x height texture that items with TextureSource::kUiPanel show.
struct UiPanel {
  std::function<void()> build;
  std::function<void()> platformNewFrame;  // e.g. ImGui_ImplGlfw_NewFrame for desktop input; may be empty
  float deltaSeconds = 1.0f / 60.0f;
  bool overlay = false;
  uint32_t width = 512;
  uint32_t height = 512;
};

// An instrument's shaft, which shades what lies between it and the shadow light: a capsule
// from `a` to `b` of `radius` (0: none).
struct ShadowCaster {
  Vec3 a{0.0f};
  Vec3 b{0.0f};
  float radius = 0.0f;
};

struct FrameScene {
  std::array<View, 2> views{};            // [1] is used by stereo targets only
  Vec3 lightDirection{0.3f, 1.0f, 0.4f};  // towards the key light
  Vec3 lightColor{1.0f, 0.97f, 0.92f};
  Vec3 ambient{0.10f, 0.11f, 0.13f};
  float headlight = 0.35f;  // light from the viewer (the trainee's headlamp), the same at any distance
  ScopeLight scopeLight;    // a laparoscope's lamp at the viewer (the endoscope's picture)
  Vec4 clearColor{0.20f, 0.22f, 0.25f, 1.0f};
  // The instruments' shadows, worked out per pixel (soft, their penumbra widening away from
  // the shaft): from a point lamp when `shadowLight` is set (a box trainer's, beside the
  // laparoscope), else from the key light. Each takes up to kShadowDepth of the direct light.
  std::array<ShadowCaster, 2> shadowCasters{};
  std::optional<Vec3> shadowLight;
  std::vector<DrawItem> draws;
  std::vector<DynamicMeshUpdate> updates;  // applied before drawing
  std::vector<InkLine> ink;            // markings (Material::inkFirst); spans live until drawFrame returns
  std::optional<Endoscope> endoscope;  // draws everything but the items showing it
  const UiPanel* ui = nullptr;
  // Also copies the UI panel's picture (`ui`, not an overlay) into this target's current image,
  // in the same submission, left as a colour attachment (an OpenXR quad layer's swapchain).
  ExternalTarget* uiCopy = nullptr;
};

// Lights `scene` as the endoscope's picture is lit: its lamp, only `roomLight` of the room's
// key light and no headlight (the renderer's endoscope pass; a picture drawn as the
// endoscope's own, ScenePresenter::showEndoscopeOnly).
void useEndoscopeLighting(FrameScene& scene, const Endoscope& scope);

// Simple meshes (metres), centred on the origin unless said.
MeshData makeBox(Vec3 halfExtents);
// An equilateral ring (the FLS transfer triangle) in the x-z plane, centroid at the origin,
// centred on y = 0: `side` its outer side, `bar` the width of its sides; one side faces -z.
MeshData makeTriangleRing(float side, float bar, float thickness);
MeshData makeCylinder(float radius, float length, uint32_t segments);  // along +Y, base at y = 0
MeshData makeSphere(float radius, uint32_t segments);
MeshData makeQuad(float width, float height);  // in XY facing +Z, uv (0,0) top-left .. (1,1)

}  // namespace trocar::render
