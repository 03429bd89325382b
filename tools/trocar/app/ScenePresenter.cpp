#include "ScenePresenter.h"

#include "DesktopRig.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace trocar::app {
namespace {

// Whether origin + t dir (0 <= t <= reach) passes through the box [lo, hi] (slab test).
bool rayMeetsBox(const Vec3& origin, const Vec3& dir, float reach, const Vec3& lo, const Vec3& hi) {
  float near = 0.0f, far = reach;
  for (int k = 0; k < 3; ++k) {
    if (std::abs(dir[k]) < 1e-9f) {
      if (origin[k] < lo[k] || origin[k] > hi[k]) return false;
      continue;
    }
    float t0 = (lo[k] - origin[k]) / dir[k], t1 = (hi[k] - origin[k]) / dir[k];
    if (t0 > t1) std::swap(t0, t1);
    near = std::max(near, t0);
    far = std::min(far, t1);
    if (near > far) return false;
  }
  return true;
}

using render::Material;
using render::Shading;
using render::srgbToLinear;

Mat4 toMatrix(const Pose& p) {
  Mat4 m = glm::mat4_cast(p.orientation);
  m[3] = Vec4(p.position, 1.0f);
  return m;
}

Mat4 translate(const Vec3& t) {
  Mat4 m(1.0f);
  m[3] = Vec4(t, 1.0f);
  return m;
}

Mat4 scale(const Vec3& s) {
  Mat4 m(1.0f);
  m[0][0] = s.x;
  m[1][1] = s.y;
  m[2][2] = s.z;
  return m;
}

Mat4 rotateX(float radians) {
  return glm::mat4_cast(glm::angleAxis(radians, Vec3(1.0f, 0.0f, 0.0f)));
}

Material plastic(Vec3 srgb, float roughness = 0.5f) {
  Material m;
  m.color = srgbToLinear(srgb);
  m.roughness = roughness;
  m.shading = Shading::kPlastic;
  return m;
}

// Wet tissue seen from inside the body (the cavity's walls and floor).
Material lining(Vec3 srgb, float wetness) {
  Material mat;
  mat.color = render::srgbToLinear(srgb);
  mat.roughness = 0.45f;
  mat.wetness = wetness;
  mat.wrap = 0.3f;
  mat.shading = Shading::kTissue;
  return mat;
}

Material metal(Vec3 srgb, float roughness = 0.25f) {
  Material m = plastic(srgb, roughness);
  m.shading = Shading::kMetal;
  return m;
}

// One jaw or blade as the instrument has it: a bar from the hinge (z = 0) to the tip
// (z = -length), tapering in width and thickness, its centre line curving sideways by `curve`
// at the tip (Maryland jaws, Metzenbaum blades). Its gripping face is y = 0; the bar lies on
// +y (the upper jaw) or -y (`lower`). Flat-shaded, counter-clockwise seen from outside.
render::MeshData makeJaw(float length, Vec2 width, Vec2 thickness, float curve, bool lower) {
  constexpr int kSegments = 8;
  render::MeshData m;
  auto quad = [&](Vec3 a, Vec3 b, Vec3 c, Vec3 d, const Vec3& outward) {
    Vec3 n = glm::cross(b - a, c - a);
    if (glm::length(n) < 1e-12f) n = outward;
    n = glm::normalize(n);
    if (glm::dot(n, outward) < 0.0f) {  // wound the other way: keep it counter-clockwise outside
      std::swap(b, d);
      n = -n;
    }
    const auto base = static_cast<uint32_t>(m.positions.size());
    for (const Vec3& p : {a, b, c, d}) {
      m.positions.push_back(p);
      m.normals.push_back(n);
    }
    m.indices.insert(m.indices.end(), {base, base + 1, base + 2, base, base + 2, base + 3});
  };
  const float side = lower ? -1.0f : 1.0f;
  // Corners of the cross-section at t (0 hinge .. 1 tip): [inner-left, inner-right, outer-right, outer-left].
  auto section = [&](float t) {
    const float z = -t * length, x = curve * t * t;
    const float w = 0.5f * glm::mix(width.x, width.y, t), h = side * glm::mix(thickness.x, thickness.y, t);
    return std::array<Vec3, 4>{Vec3(x - w, 0.0f, z), Vec3(x + w, 0.0f, z), Vec3(x + w, h, z),
                               Vec3(x - w, h, z)};
  };
  for (int i = 0; i < kSegments; ++i) {
    const auto a = section(static_cast<float>(i) / kSegments),
               b = section(static_cast<float>(i + 1) / kSegments);
    const Vec3 middle = (a[0] + a[2] + b[0] + b[2]) * 0.25f;
    for (int k = 0; k < 4; ++k) {
      const int l = (k + 1) % 4;
      const Vec3 faceMiddle = (a[k] + a[l] + b[k] + b[l]) * 0.25f;
      quad(a[k], a[l], b[l], b[k], faceMiddle - middle);
    }
  }
  const auto hingeEnd = section(0.0f), tipEnd = section(1.0f);
  quad(hingeEnd[0], hingeEnd[1], hingeEnd[2], hingeEnd[3], Vec3(0.0f, 0.0f, 1.0f));
  quad(tipEnd[0], tipEnd[1], tipEnd[2], tipEnd[3], Vec3(0.0f, 0.0f, -1.0f));
  return m;
}

Vec3 handleColor(instruments::InstrumentKind kind) {
  switch (kind) {
    case instruments::InstrumentKind::kGrasper: return {0.15f, 0.35f, 0.75f};
    case instruments::InstrumentKind::kScissors: return {0.85f, 0.45f, 0.10f};
    case instruments::InstrumentKind::kScalpel: return {0.55f, 0.55f, 0.58f};
    case instruments::InstrumentKind::kClipApplier: return {0.20f, 0.60f, 0.30f};
  }
  return {0.5f, 0.5f, 0.5f};
}

// Rigid objects: what is fixed (a peg board, a post) in the board's matt grey; what is moved
// (pegs, transfer objects) in six distinct colours, in creation order, none the board's.
constexpr Vec3 kFixedObjectColor{0.55f, 0.56f, 0.58f};
constexpr std::array<Vec3, 6> kObjectColors{{{0.85f, 0.20f, 0.20f},
                                             {0.20f, 0.45f, 0.85f},
                                             {0.95f, 0.75f, 0.15f},
                                             {0.30f, 0.70f, 0.35f},
                                             {0.60f, 0.35f, 0.75f},
                                             {0.15f, 0.78f, 0.82f}}};

render::MeshData objectMesh(const physics::RigidSettings& s) {
  using physics::RigidShape;
  render::MeshData m;
  switch (s.shape) {
    case RigidShape::kBox: m = render::makeBox(s.halfExtents); break;
    case RigidShape::kSphere: m = render::makeSphere(s.halfExtents.x, 24); break;
    case RigidShape::kCylinder:
      m = render::makeCylinder(s.halfExtents.x, 2.0f * s.halfExtents.y, 24);
      for (Vec3& p : m.positions) p.y -= s.halfExtents.y;  // centred like the physics body
      break;
    case RigidShape::kTriangle:
      m = render::makeTriangleRing(2.0f * s.halfExtents.x, 2.0f * s.halfExtents.z, 2.0f * s.halfExtents.y);
      break;
  }
  return m;
}

}  // namespace

Pose lookAt(const Vec3& eye, const Vec3& target) {
  const Vec3 forward = glm::normalize(target - eye);
  Vec3 right = glm::cross(forward, Vec3(0.0f, 1.0f, 0.0f));
  if (glm::length(right) < 1e-6f) right = Vec3(1.0f, 0.0f, 0.0f);
  right = glm::normalize(right);
  const Vec3 up = glm::cross(right, forward);
  Mat3 basis(right, up, -forward);  // columns: local X, Y, Z (the camera looks down -Z)
  return {eye, glm::quat_cast(basis)};
}

std::array<render::View, 2> stereoViews(const Pose& head, const StereoSettings& s) {
  std::array<render::View, 2> views;
  for (int eye = 0; eye < 2; ++eye) {
    Pose p = head;
    p.position = head.transformPoint(Vec3((eye == 0 ? -0.5f : 0.5f) * s.ipdM, 0.0f, 0.0f));
    const render::Fov& fov = eye == 0 ? s.leftFov : s.rightFov;
    views[static_cast<size_t>(eye)] =
        render::viewFromPose(p, render::projectionFromFov(fov, s.nearM, s.farM));
  }
  return views;
}

namespace {
// A frame lying on a surface at `point` (its Y along the normal `n`), lifted `lift` off it.
Mat4 onSurface(const Vec3& point, const Vec3& n, float lift) {
  const Vec3 side = std::abs(n.y) < 0.9f ? Vec3(0.0f, 1.0f, 0.0f) : Vec3(1.0f, 0.0f, 0.0f);
  const Vec3 x = glm::normalize(glm::cross(side, n)), z = glm::cross(x, n);
  Mat4 frame(1.0f);
  frame[0] = Vec4(x, 0.0f);
  frame[1] = Vec4(n, 0.0f);
  frame[2] = Vec4(z, 0.0f);
  frame[3] = Vec4(point + n * lift, 1.0f);
  return frame;
}
}  // namespace

render::View monoView(const Pose& head, float verticalFovRad, float aspect) {
  return render::viewFromPose(head, render::perspective(verticalFovRad, aspect, 0.02f, 30.0f));
}

Result<std::unique_ptr<ScenePresenter>> ScenePresenter::create(render::Renderer& renderer,
                                                               const scenario::ScenarioDesc& scenario) {
  std::unique_ptr<ScenePresenter> p(new ScenePresenter());
  auto mesh = [&](const render::MeshData& data) -> Result<render::MeshId> {
    return renderer.createMesh(data);
  };
  struct Want {
    render::MeshId* id;
    render::MeshData data;
  };
  Meshes& m = p->mMeshes;
  std::vector<Want> wants;
  wants.push_back({&m.floor, render::makeBox({3.0f, 0.005f, 3.0f})});
  wants.push_back({&m.table, render::makeBox({0.5f, 0.5f, 0.5f})});       // scaled to the table
  wants.push_back({&m.boxTrainer, render::makeBox({0.5f, 0.5f, 0.5f})});  // scaled per scenario
  wants.push_back({&m.monitorBezel, render::makeBox({0.5f, 0.5f, 0.5f})});
  wants.push_back({&m.monitorScreen, render::makeQuad(1.0f, 1.0f)});
  wants.push_back({&m.shaft, render::makeCylinder(1.0f, 1.0f, 16)});  // unit, scaled to the tool
  wants.push_back({&m.jaw, render::makeBox({0.5f, 0.5f, 0.5f})});
  wants.push_back({&m.blade, render::makeBox({0.5f, 0.5f, 0.5f})});
  wants.push_back({&m.handle, render::makeBox({0.012f, 0.03f, 0.05f})});
  wants.push_back({&m.clip, render::makeBox({0.0007f, 0.0007f, 0.004f})});
  wants.push_back({&m.zone, render::makeBox({0.5f, 0.5f, 0.5f})});
  wants.push_back({&m.port, render::makeCylinder(0.006f, 0.012f, 16)});
  wants.push_back({&m.ghost, render::makeSphere(0.0025f, 12)});
  wants.push_back({&m.disc, render::makeCylinder(1.0f, 1.0f, 20)});  // unit, flattened to a spot
  wants.push_back({&m.cavity, render::makeSphere(1.0f, 48)});        // unit, scaled round the field
  wants.push_back({&m.collar, render::makeCylinder(1.0f, 1.0f, 16)});
  // The instruments' working ends at their real sizes (5 mm instruments, 15 mm jaws): a
  // Maryland dissector's curved, tapering jaws; curved Metzenbaum scissors' thin blades; a clip
  // applier's broad straight jaws.
  {
    const instruments::InstrumentSpec g = instruments::defaultSpec(instruments::InstrumentKind::kGrasper);
    const float r = g.shaftRadius, length = g.jawLength;
    for (size_t lower = 0; lower < 2; ++lower) {
      wants.push_back({&m.maryland[lower],
                       makeJaw(length, {1.7f * r, 0.7f * r}, {1.0f * r, 0.55f * r}, 0.003f, lower == 1)});
      wants.push_back({&m.metzenbaum[lower],
                       makeJaw(length, {1.1f * r, 0.35f * r}, {0.55f * r, 0.3f * r}, 0.0025f, lower == 1)});
      wants.push_back(
          {&m.clipJaw[lower], makeJaw(length, {2.0f * r, 1.6f * r}, {0.9f * r, 0.7f * r}, 0.0f, lower == 1)});
    }
  }
  for (Want& w : wants) {
    auto id = mesh(w.data);
    if (!id) return id.error();
    *w.id = id.value();
  }

  const float table = scenario.tableHeight;
  p->mGhostHand = scenario.feedback.ghostHand;
  // A laparoscopic procedure on tissue (not a box trainer's task on a gauze or pegs) is seen
  // inside an abdomen: the laparoscope sees the cavity's lining, not the room.
  const bool laparoscopic = scenario.view == scenario::ViewKind::kLaparoscopic && scenario.camera.has_value();
  const bool abdomen = laparoscopic && std::any_of(scenario.tissues.begin(), scenario.tissues.end(),
                                                   [](const scenario::TissueDesc& t) {
                                                     return t.settings.kind != physics::TissueKind::kCloth;
                                                   });
  const uint32_t room = abdomen ? render::kInMainView : render::kInAllViews;
  p->mStatic.push_back(
      {m.floor, translate({0.0f, -0.005f, 0.0f}), plastic({0.28f, 0.28f, 0.30f}, 0.9f), room});
  const physics::WorldSettings::Table tableBox = scenario::tableBox(scenario);  // as in the physics
  p->mStatic.push_back({m.table, translate(tableBox.center) * scale(2.0f * tableBox.halfExtents),
                        plastic({0.40f, 0.42f, 0.45f}, 0.7f), room});
  if (abdomen) {
    // The posterior wall where the table top is (organs rest on it) and a dome of peritoneum
    // round the field, the laparoscope and the ports (the instruments enter through it).
    Vec3 centre = fieldCenter(scenario);
    centre.y = table;
    std::vector<Vec3> inside{scenario.camera->pose.position};
    for (const instruments::Port& port : scenario.ports) inside.push_back(port.position);
    Vec3 radii(0.2f, 0.12f, 0.2f);
    for (const Vec3& v : inside) {
      radii.x = std::max(radii.x, std::abs(v.x - centre.x) * 1.6f + 0.04f);
      radii.z = std::max(radii.z, std::abs(v.z - centre.z) * 1.6f + 0.04f);
      radii.y = std::max(radii.y, (v.y - table) * 1.25f + 0.03f);
    }
    p->mStatic.push_back(
        {m.table,
         translate({centre.x, table - 0.005f, centre.z}) * scale({2.0f * radii.x, 0.01f, 2.0f * radii.z}),
         lining({0.80f, 0.46f, 0.40f}, 0.7f), render::kInEndoscope});
    p->mStatic.push_back({m.cavity, translate(centre) * scale(radii), lining({0.86f, 0.56f, 0.50f}, 0.6f),
                          render::kInEndoscope});
  }

  for (const physics::TargetZoneSettings& z : scenario.zones) {
    if (!z.around.empty()) continue;  // its posts are what is seen
    const Vec3 c(z.center.x, z.center.y - z.halfExtents.y + 0.0008f, z.center.z);
    p->mStatic.push_back({m.zone,
                          translate(c) * scale({2.0f * z.halfExtents.x, 0.0016f, 2.0f * z.halfExtents.z}),
                          plastic({0.25f, 0.65f, 0.35f}, 0.8f)});
  }

  p->mLaparoscopic = laparoscopic;
  if (p->mLaparoscopic) {
    const auto& cam = *scenario.camera;
    render::Endoscope scope;
    scope.camera = render::viewFromPose(
        cam.pose,
        render::perspective(cam.verticalFovRad, cam.aspect, cam.nearM, std::max(cam.farM, cam.nearM * 2.0f)));
    scope.width = 640;
    scope.height = static_cast<uint32_t>(std::lround(640.0f / cam.aspect));
    // The camera's exposure is set for the field: the lamp gives its full light at the
    // distance from the lens to the middle of what is there to touch.
    scope.light.referenceM = std::max(0.05f, glm::distance(cam.pose.position, fieldCenter(scenario)));
    p->mEndoscope = scope;
    // The shadow light: at the scope, 5 cm above its lens (a box trainer's lamp; a lens's own
    // coaxial light would hide every shadow behind what casts it). A tip's shadow falls below
    // it in the picture and meets it as the tip meets the surface, the cue trainees learn.
    p->mShadowLight = cam.pose.position + cam.pose.transformVector({0.0f, 0.05f, 0.0f});

    // The box trainer: an opaque box from the table up to just under the ports, hiding the
    // field from the trainee's direct view (they watch the monitor, as in a real box trainer).
    Vec3 lo(-0.2f, table, -0.6f);
    Vec3 hi(0.2f, table + 0.25f, -0.3f);
    if (!scenario.ports.empty()) {
      lo = Vec3(1e9f);
      hi = Vec3(-1e9f);
      for (const instruments::Port& port : scenario.ports) {
        lo = glm::min(lo, port.position);
        hi = glm::max(hi, port.position);
      }
      lo = Vec3(lo.x - 0.14f, table, lo.z - 0.28f);
      hi = Vec3(hi.x + 0.14f, hi.y - 0.003f, hi.z + 0.06f);
    }
    const Vec3 centre = (lo + hi) * 0.5f;
    p->mStatic.push_back({m.boxTrainer, translate(centre) * scale(hi - lo),
                          plastic({0.12f, 0.12f, 0.13f}, 0.8f), render::kInMainView});
    for (const instruments::Port& port : scenario.ports) {
      p->mStatic.push_back({m.port, translate(port.position - Vec3(0.0f, 0.006f, 0.0f)),
                            plastic({0.05f, 0.05f, 0.05f}, 0.6f), render::kInMainView});
    }
    // The monitor hangs in front of the trainee, a little below eye level, beyond the trainer.
    const float width = 0.64f;
    const float height = width / cam.aspect;
    p->mMonitorCenter = Vec3(scenario.head.position.x, scenario.head.position.y - 0.25f, lo.z - 0.25f);
    p->mStatic.push_back({m.monitorBezel,
                          translate(p->mMonitorCenter - Vec3(0.0f, 0.0f, 0.026f)) *
                              scale({width + 0.04f, height + 0.04f, 0.05f}),
                          plastic({0.03f, 0.03f, 0.035f}, 0.4f), render::kInMainView});
    Material screen;
    screen.shading = Shading::kScreen;
    screen.texture = render::TextureSource::kEndoscope;
    p->mStatic.push_back({m.monitorScreen, translate(p->mMonitorCenter) * scale({width, height, 1.0f}),
                          screen, render::kInMainView});
  }

  size_t moved = 0;
  for (size_t i = 0; i < scenario.objects.size(); ++i) {
    auto id = mesh(objectMesh(scenario.objects[i].settings));
    if (!id) return id.error();
    p->mRigidMeshes.push_back(id.value());
    const bool fixed = scenario.objects[i].settings.massKg <= 0.0f;
    p->mRigidMaterials.push_back(fixed ? plastic(kFixedObjectColor, 0.8f)
                                       : plastic(kObjectColors[moved++ % kObjectColors.size()], 0.45f));
    p->mRigidHalfExtents.push_back(scenario.objects[i].settings.halfExtents);
  }

  for (const scenario::TissueDesc& t : scenario.tissues) {
    TissueView view;
    view.mesh = renderer.createDynamicMesh();
    view.cloth = t.settings.kind == physics::TissueKind::kCloth;
    view.clothFrame = t.settings.cloth.pose;
    Material& mat = view.material;
    mat.color = srgbToLinear(t.appearance.color);
    mat.shading = t.appearance.look == scenario::TissueLook::kFabric ? Shading::kFabric : Shading::kTissue;
    mat.wetness = t.appearance.wetness;
    mat.roughness = t.appearance.look == scenario::TissueLook::kFabric ? 0.9f : 0.35f;
    mat.wrap = t.appearance.look == scenario::TissueLook::kFabric ? 0.3f : 0.6f;
    mat.damageStrength = scenario.feedback.stressTint ? 0.85f : 0.0f;
    mat.inkWidth = 0.0012f;  // markings: a 1.2 mm pen line
    p->mTissues.push_back(std::move(view));
  }
  return p;
}

bool ScenePresenter::updateEmbedded(TissueView& view, const physics::TissueSnapshot& snap,
                                    render::DynamicMeshUpdate& u) {
  const physics::EmbeddedSurface& e = snap.embedded;
  const size_t n = e.nodes.size();
  if (n == 0 || snap.embeddedCut.size() != n) return false;
  std::vector<Vec3>& positions = view.embeddedPositions;
  std::vector<Vec3>& normals = view.embeddedNormals;
  positions.resize(n);
  view.embeddedStress.resize(n);
  for (size_t v = 0; v < n; ++v) {
    Vec3 p(0.0f);
    float stress = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const uint32_t node = e.nodes[v][static_cast<size_t>(k)];
      if (node >= snap.positions.size()) return false;
      const float w = e.weights[v][static_cast<size_t>(k)];
      p += w * snap.positions[node];
      if (node < snap.stress.size()) stress += w * snap.stress[node];
    }
    positions[v] = p;
    view.embeddedStress[v] = std::clamp(stress, 0.0f, 1.0f);
  }
  normals.assign(n, Vec3(0.0f));
  for (size_t t = 0; t + 2 < e.indices.size(); t += 3) {
    const uint32_t a = e.indices[t], b = e.indices[t + 1], c = e.indices[t + 2];
    const Vec3 nrm = glm::cross(positions[b] - positions[a], positions[c] - positions[a]);
    normals[a] += nrm;
    normals[b] += nrm;
    normals[c] += nrm;
  }
  for (auto& nrm : normals) {
    const float l = glm::length(nrm);
    nrm = l > 0.0f ? nrm / l : Vec3(0.0f, 1.0f, 0.0f);
  }
  if (view.embeddedUvs.size() != n) view.embeddedUvs.assign(n, Vec2(0.0f));
  u.positions = positions;
  u.normals = normals;
  u.stress = view.embeddedStress;
  u.cutEdge = snap.embeddedCut;
  u.uvs = view.embeddedUvs;
  if (snap.embeddedRest.size() == n) u.rest = snap.embeddedRest;
  u.indices = e.indices;
  u.topologyVersion = 0x40000000u + snap.topologyVersion;  // its own: indices are re-read when it changes
  return true;
}

void ScenePresenter::refreshTopology(TissueView& view, const physics::TissueSnapshot& snap) {
  const size_t n = snap.positions.size();
  // Open edges: edges used by exactly one triangle.
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  edges.reserve(snap.indices.size());
  for (size_t i = 0; i + 2 < snap.indices.size(); i += 3) {
    for (int e = 0; e < 3; ++e) {
      uint32_t a = snap.indices[i + static_cast<size_t>(e)];
      uint32_t b = snap.indices[i + static_cast<size_t>((e + 1) % 3)];
      edges.emplace_back(std::min(a, b), std::max(a, b));
    }
  }
  std::sort(edges.begin(), edges.end());
  std::vector<uint8_t> boundary(n, 0);
  for (size_t i = 0; i < edges.size();) {
    size_t j = i;
    while (j < edges.size() && edges[j] == edges[i]) ++j;
    if (j - i == 1) boundary[edges[i].first] = boundary[edges[i].second] = 1;
    i = j;
  }
  std::vector<uint8_t> surface(n, 0);
  for (uint32_t idx : snap.indices) surface[idx] = 1;

  if (view.topologyVersion == UINT32_MAX) {  // first sight: what "uncut" looks like
    view.initialNodes = n;
    view.initialBoundary = boundary;
    view.initialSurface = surface;
  }
  view.cutEdge.assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    const bool created = i >= view.initialNodes;
    const bool newlyOpen = boundary[i] && (created || !view.initialBoundary[i]);
    const bool newlyExposed = surface[i] && (created || !view.initialSurface[i]);
    if (newlyOpen || newlyExposed) view.cutEdge[i] = 1.0f;
  }
  view.uvs.resize(n);
  const Pose toCloth = view.clothFrame.inverse();
  for (size_t i = 0; i < n; ++i) {
    const Vec3 rest = i < snap.restPositions.size() ? snap.restPositions[i] : snap.positions[i];
    const Vec3 local = view.cloth ? toCloth.transformPoint(rest) : rest;
    view.uvs[i] = Vec2(local.x, local.z);
  }
  view.topologyVersion = snap.topologyVersion;
}

void ScenePresenter::addInstrument(const physics::InstrumentSnapshot& tool,
                                   std::vector<render::DrawItem>& draws) const {
  const instruments::InstrumentSpec spec = instruments::defaultSpec(tool.kind);
  const Mat4 frame = toMatrix(tool.tipPose);
  const float r = spec.shaftRadius;
  const float hinge = spec.jawLength;
  // Shaft: the unit cylinder runs along +Y; the tool's shaft runs along its +Z from the hinge.
  const Mat4 shaft =
      frame * translate({0.0f, 0.0f, hinge}) * rotateX(0.5f * kPi) * scale({r, spec.shaftLength - hinge, r});
  draws.push_back({mMeshes.shaft, shaft, plastic({0.06f, 0.06f, 0.07f}, 0.35f)});
  draws.push_back({mMeshes.handle, frame * translate({0.0f, -0.02f, spec.shaftLength + 0.04f}),
                   plastic(handleColor(tool.kind), 0.4f)});
  const Material steel = metal({0.78f, 0.78f, 0.80f}, 0.2f);
  if (tool.kind == instruments::InstrumentKind::kScalpel) {
    draws.push_back({mMeshes.blade,
                     frame * translate({0.0f, 0.0f, hinge * 0.5f}) * scale({0.0004f, 2.4f * r, hinge}),
                     steel});
    return;
  }
  // A steel collar where the jaws leave the insulated shaft.
  draws.push_back({mMeshes.collar,
                   frame * translate({0.0f, 0.0f, hinge - 0.0005f}) * rotateX(0.5f * kPi) *
                       scale({1.02f * r, 0.004f, 1.02f * r}),
                   steel});
  // Two jaws hinged `hinge` behind the tip, opening symmetrically in the Y-Z plane.
  const auto& jaws = tool.kind == instruments::InstrumentKind::kScissors      ? mMeshes.metzenbaum
                     : tool.kind == instruments::InstrumentKind::kClipApplier ? mMeshes.clipJaw
                                                                              : mMeshes.maryland;
  for (int side = 0; side < 2; ++side) {
    const float sign = side == 0 ? 1.0f : -1.0f;
    const Mat4 jaw = frame * translate({0.0f, 0.0f, hinge}) * rotateX(sign * 0.5f * tool.jawAngle);
    draws.push_back({jaws[static_cast<size_t>(side)], jaw, steel});
  }
}

std::optional<std::pair<Vec3, Vec3>> ScenePresenter::firstHit(const physics::WorldSnapshot& snapshot,
                                                              const Vec3& origin, const Vec3& dir,
                                                              float reach) const {
  float best = reach;
  std::optional<std::pair<Vec3, Vec3>> hit;
  // Tissues, as this frame draws them (a pack's detailed surface where it has one).
  for (size_t i = 0; i < snapshot.tissues.size() && i < mTissues.size(); ++i) {
    const physics::TissueSnapshot& snap = snapshot.tissues[i];
    const TissueView& view = mTissues[i];
    const bool embedded =
        !snap.embedded.indices.empty() && view.embeddedPositions.size() == snap.embedded.nodes.size();
    const std::vector<Vec3>& x = embedded ? view.embeddedPositions : snap.positions;
    const std::vector<uint32_t>& indices = embedded ? snap.embedded.indices : snap.indices;
    if (!rayMeetsBox(origin, dir, best, view.lo, view.hi)) continue;  // the tissue's box this frame
    for (size_t t = 0; t + 2 < indices.size(); t += 3) {
      if (indices[t] >= x.size() || indices[t + 1] >= x.size() || indices[t + 2] >= x.size()) continue;
      const Vec3 a = x[indices[t]], e1 = x[indices[t + 1]] - a, e2 = x[indices[t + 2]] - a;
      const Vec3 p = glm::cross(dir, e2);
      const float det = glm::dot(e1, p);
      if (std::abs(det) < 1e-12f) continue;
      const Vec3 s = origin - a;
      const float u = glm::dot(s, p) / det;
      if (u < 0.0f || u > 1.0f) continue;
      const Vec3 q = glm::cross(s, e1);
      const float v = glm::dot(dir, q) / det;
      if (v < 0.0f || u + v > 1.0f) continue;
      const float d = glm::dot(e2, q) / det;
      if (d <= 0.0f || d >= best) continue;
      best = d;
      Vec3 n = glm::normalize(glm::cross(e1, e2));
      if (glm::dot(n, dir) > 0.0f) n = -n;
      hit = std::make_pair(origin + d * dir, n);
    }
  }
  // Objects, as boxes in their own frames (slab test).
  for (size_t i = 0; i < snapshot.rigids.size() && i < mRigidHalfExtents.size(); ++i) {
    const Pose& pose = snapshot.rigids[i];
    const Pose inv = pose.inverse();
    const Vec3 o = inv.transformPoint(origin), d = inv.transformVector(dir);
    const Vec3 h = mRigidHalfExtents[i];
    float near = 0.0f, far = best;
    int axis = -1;
    bool miss = false;
    for (int k = 0; k < 3 && !miss; ++k) {
      if (std::abs(d[k]) < 1e-9f) {
        miss = std::abs(o[k]) > h[k];
        continue;
      }
      float t0 = (-h[k] - o[k]) / d[k], t1 = (h[k] - o[k]) / d[k];
      if (t0 > t1) std::swap(t0, t1);
      if (t0 > near) {
        near = t0;
        axis = k;
      }
      far = std::min(far, t1);
      miss = near > far;
    }
    if (miss || axis < 0 || near <= 0.0f || near >= best) continue;
    best = near;
    Vec3 n(0.0f);
    n[axis] = d[axis] > 0.0f ? -1.0f : 1.0f;
    hit = std::make_pair(origin + near * dir, pose.transformVector(n));
  }
  return hit;
}

// Each tissue's box as drawn this frame: a ray that misses it skips its triangles.
void ScenePresenter::measureTissues(const physics::WorldSnapshot& snapshot) {
  for (size_t i = 0; i < snapshot.tissues.size() && i < mTissues.size(); ++i) {
    const physics::TissueSnapshot& snap = snapshot.tissues[i];
    TissueView& view = mTissues[i];
    const bool embedded =
        !snap.embedded.indices.empty() && view.embeddedPositions.size() == snap.embedded.nodes.size();
    const std::vector<Vec3>& x = embedded ? view.embeddedPositions : snap.positions;
    view.lo = Vec3(std::numeric_limits<float>::max());
    view.hi = Vec3(-std::numeric_limits<float>::max());
    for (const Vec3& p : x) {
      view.lo = glm::min(view.lo, p);
      view.hi = glm::max(view.hi, p);
    }
  }
}

void ScenePresenter::addTipCues(const physics::WorldSnapshot& snapshot,
                                std::vector<render::DrawItem>& draws) {
  for (int h = 0; h < 2; ++h) {
    const physics::InstrumentSnapshot& tool = snapshot.instruments[static_cast<size_t>(h)];
    if (!tool.present) continue;
    const Vec3 ahead = tool.tipPose.transformVector({0.0f, 0.0f, -1.0f});  // on along the shaft
    const auto hit = firstHit(snapshot, tool.tipPose.position, ahead, kTipCueReachM);
    if (!hit) continue;
    const float distance = glm::length(hit->first - tool.tipPose.position);
    mTipCues.push_back({h, distance, hit->first});
    // A spot of light where the tip would meet the surface, the shaft's width at contact and
    // growing to 2.6 times it at 4 cm; amber, turning green within 3 mm.
    const float f = std::clamp(distance / kTipCueReachM, 0.0f, 1.0f);
    const float radius = instruments::defaultSpec(tool.kind).shaftRadius * (1.0f + 1.6f * f);
    const Vec3 colour = distance < 0.003f ? Vec3(0.2f, 0.95f, 0.35f) : Vec3(1.0f, 0.7f, 0.15f);
    draws.push_back({mMeshes.disc,
                     onSurface(hit->first, hit->second, 0.0004f) * scale({radius, 0.0002f, radius}),
                     plastic(colour, 0.2f)});
  }
}

void ScenePresenter::addShadows(const physics::WorldSnapshot& snapshot, render::FrameScene& scene) const {
  // The renderer shades each pixel whose ray to the shadow light passes a shaft (soft, per
  // pixel): the last 30 cm of each shaft, from its tip.
  constexpr float kShaftInView = 0.3f;
  scene.shadowLight = mShadowLight;
  for (int h = 0; h < 2; ++h) {
    const physics::InstrumentSnapshot& tool = snapshot.instruments[static_cast<size_t>(h)];
    if (!tool.present) continue;
    const Vec3 back = tool.tipPose.transformVector({0.0f, 0.0f, 1.0f});  // from the tip up the shaft
    scene.shadowCasters[static_cast<size_t>(h)] = {tool.tipPose.position,
                                                   tool.tipPose.position + back * kShaftInView,
                                                   instruments::defaultSpec(tool.kind).shaftRadius};
  }
}

std::vector<ScenePresenter::ShadowSpot> ScenePresenter::shadowSpots(const physics::WorldSnapshot& snapshot,
                                                                    const render::FrameScene& scene) const {
  std::vector<ShadowSpot> spots;
  for (int h = 0; h < 2; ++h) {
    const render::ShadowCaster& shaft = scene.shadowCasters[static_cast<size_t>(h)];
    if (shaft.radius <= 0.0f) continue;
    const Vec3 back = glm::normalize(shaft.b - shaft.a);
    for (int k = 0; k <= 20; ++k) {
      const float along = 0.0025f * static_cast<float>(k);
      const Vec3 point = shaft.a + back * along;
      const Vec3 dir = scene.shadowLight ? glm::normalize(point - *scene.shadowLight)
                                         : -glm::normalize(scene.lightDirection);
      // Start just past the shaft, so it does not shadow itself.
      const auto hit = firstHit(snapshot, point + dir * (1.5f * shaft.radius), dir, 0.3f);
      if (hit) spots.push_back({h, along, hit->first});
    }
  }
  return spots;
}

void ScenePresenter::showEndoscopeOnly(render::FrameScene& scene) {
  if (!scene.endoscope) return;
  scene.views[0] = scene.endoscope->camera;
  scene.clearColor = scene.endoscope->clearColor;
  render::useEndoscopeLighting(scene, *scene.endoscope);  // lit as the endoscope's pass is
  scene.endoscope.reset();
  std::erase_if(scene.draws,
                [](const render::DrawItem& d) { return !(d.visibility & render::kInEndoscope); });
  for (render::DrawItem& d : scene.draws) d.visibility |= render::kInMainView;  // now the main view's
}

void ScenePresenter::buildFrame(const physics::WorldSnapshot& snapshot, render::FrameScene& out) {
  out.draws = mStatic;
  out.updates.clear();
  out.ink.clear();
  out.endoscope = mEndoscope;
  if (out.endoscope && snapshot.scope) {  // the laparoscope where the trainee has put it
    out.endoscope->camera = render::viewFromPose(*snapshot.scope, mEndoscope->camera.projection);
    mShadowLight = snapshot.scope->position + snapshot.scope->transformVector({0.0f, 0.05f, 0.0f});
  }
  for (size_t i = 0; i < snapshot.rigids.size() && i < mRigidMeshes.size(); ++i) {
    out.draws.push_back({mRigidMeshes[i], toMatrix(snapshot.rigids[i]), mRigidMaterials[i]});
  }
  for (const physics::InstrumentSnapshot& tool : snapshot.instruments) {
    if (!tool.present) continue;
    addInstrument(tool, out.draws);
    // Pseudo-haptics: the tool stays where the tissue holds it; a small ghost marks where the
    // hand has gone, so the trainee sees how hard they are pushing.
    if (mGhostHand && glm::length(tool.targetPose.position - tool.tipPose.position) > 0.003f) {
      render::Material ghost = plastic({0.55f, 0.80f, 1.0f}, 0.3f);
      out.draws.push_back({mMeshes.ghost, toMatrix({tool.targetPose.position, Quat(1, 0, 0, 0)}), ghost});
    }
  }
  for (const physics::ClipSnapshot& clip : snapshot.clips) {
    out.draws.push_back({mMeshes.clip, toMatrix(clip.pose), metal({0.70f, 0.70f, 0.74f}, 0.3f)});
  }
  // Blood at each open end of a cut vessel: a wet pool that grows with what it lost (4 mm
  // across at first, 2 cm at 40 ml), bright while it still bleeds, darker once clipped.
  for (const physics::BleedSnapshot& bleed : snapshot.bleeds) {
    render::Material blood;
    blood.color = srgbToLinear(bleed.active ? Vec3(0.62f, 0.03f, 0.03f) : Vec3(0.32f, 0.02f, 0.02f));
    blood.shading = Shading::kTissue;
    blood.wetness = 1.0f;
    blood.roughness = 0.15f;
    const float radius = std::min(0.01f, 0.002f + 0.0025f * std::cbrt(std::max(bleed.ml, 0.0f)));
    out.draws.push_back(
        {mMeshes.ghost, toMatrix({bleed.position, Quat(1, 0, 0, 0)}) * scale(Vec3(radius / 0.0025f)), blood});
  }
  for (size_t i = 0; i < snapshot.tissues.size() && i < mTissues.size(); ++i) {
    const physics::TissueSnapshot& snap = snapshot.tissues[i];
    TissueView& view = mTissues[i];
    if (view.topologyVersion != snap.topologyVersion || view.uvs.size() != snap.positions.size()) {
      refreshTopology(view, snap);
    }
    render::DynamicMeshUpdate u;
    u.mesh = view.mesh;
    // Markings: inked where the surface's rest position lies on their lines.
    render::Material material = view.material;
    material.inkFirst = static_cast<uint32_t>(out.ink.size());
    material.inkCount = static_cast<uint32_t>(snap.markings.size());
    for (const physics::Marking& m : snap.markings) out.ink.push_back({m.points, m.closed});
    if (updateEmbedded(view, snap, u)) {
      out.updates.push_back(u);
      out.draws.push_back({view.mesh, Mat4(1.0f), material});
      continue;
    }
    u.positions = snap.positions;
    u.normals = snap.normals;
    if (snap.stress.size() == snap.positions.size()) u.stress = snap.stress;
    u.cutEdge = view.cutEdge;
    u.uvs = view.uvs;
    if (snap.restPositions.size() == snap.positions.size()) u.rest = snap.restPositions;
    u.indices = snap.indices;
    u.topologyVersion = snap.topologyVersion;
    out.updates.push_back(u);
    out.draws.push_back({view.mesh, Mat4(1.0f), material});
  }
  mTipCues.clear();
  out.shadowCasters = {};
  out.shadowLight.reset();
  bool anyTool = false;
  for (const auto& tool : snapshot.instruments) anyTool = anyTool || tool.present;
  if (!anyTool) return;  // no tool: no cue, no shadow, no ray to cast
  measureTissues(snapshot);
  addTipCues(snapshot, out.draws);  // last: tests take the cue off the end
  addShadows(snapshot, out);
}

}  // namespace trocar::app
