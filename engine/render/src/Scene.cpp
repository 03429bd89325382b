#include <trocar/render/Scene.h>

#include <trocar/core/Assert.h>

#include <cmath>

namespace trocar::render {

Vec3 srgbToLinear(Vec3 c) {
  auto f = [](float x) { return x <= 0.04045f ? x / 12.92f : std::pow((x + 0.055f) / 1.055f, 2.4f); };
  return {f(c.r), f(c.g), f(c.b)};
}

Mat4 projectionFromFov(const Fov& fov, float nearM, float farM) {
  TROCAR_PRECONDITION(nearM > 0.0f && farM > nearM, "projection: 0 < near < far");
  const float tanLeft = std::tan(fov.left);
  const float tanRight = std::tan(fov.right);
  const float tanUp = std::tan(fov.up);
  const float tanDown = std::tan(fov.down);
  const float width = tanRight - tanLeft;
  // Vulkan clip space has +Y down: measure height from up to down so y flips.
  const float height = tanDown - tanUp;
  Mat4 m(0.0f);  // glm: m[column][row]
  m[0][0] = 2.0f / width;
  m[2][0] = (tanRight + tanLeft) / width;
  m[1][1] = 2.0f / height;
  m[2][1] = (tanUp + tanDown) / height;
  // Depth 0 at near, 1 at far.
  m[2][2] = -farM / (farM - nearM);
  m[3][2] = -(farM * nearM) / (farM - nearM);
  m[2][3] = -1.0f;
  return m;
}

Mat4 perspective(float verticalFovRad, float aspect, float nearM, float farM) {
  const float halfV = verticalFovRad * 0.5f;
  const float halfH = std::atan(std::tan(halfV) * aspect);
  return projectionFromFov({-halfH, halfH, halfV, -halfV}, nearM, farM);
}

View viewFromPose(const Pose& eyePose, const Mat4& projection) {
  View v;
  const Pose inv = eyePose.inverse();
  v.view = glm::mat4_cast(inv.orientation);
  v.view[3] = Vec4(inv.position, 1.0f);
  v.projection = projection;
  v.eye = eyePose.position;
  return v;
}

namespace {

void addQuad(MeshData& m, Vec3 a, Vec3 b, Vec3 c, Vec3 d, Vec3 n) {
  const uint32_t base = static_cast<uint32_t>(m.positions.size());
  for (const Vec3& p : {a, b, c, d}) {
    m.positions.push_back(p);
    m.normals.push_back(n);
  }
  m.uvs.insert(m.uvs.end(), {Vec2(0, 1), Vec2(1, 1), Vec2(1, 0), Vec2(0, 0)});
  m.indices.insert(m.indices.end(), {base, base + 1, base + 2, base, base + 2, base + 3});
}

}  // namespace

void useEndoscopeLighting(FrameScene& scene, const Endoscope& scope) {
  scene.lightColor *= scope.roomLight;
  scene.headlight = 0.0f;
  scene.scopeLight = scope.light;
}

MeshData makeBox(Vec3 h) {
  MeshData m;
  // Each face counter-clockwise seen from outside.
  addQuad(m, {-h.x, -h.y, h.z}, {h.x, -h.y, h.z}, {h.x, h.y, h.z}, {-h.x, h.y, h.z}, {0, 0, 1});
  addQuad(m, {h.x, -h.y, -h.z}, {-h.x, -h.y, -h.z}, {-h.x, h.y, -h.z}, {h.x, h.y, -h.z}, {0, 0, -1});
  addQuad(m, {h.x, -h.y, h.z}, {h.x, -h.y, -h.z}, {h.x, h.y, -h.z}, {h.x, h.y, h.z}, {1, 0, 0});
  addQuad(m, {-h.x, -h.y, -h.z}, {-h.x, -h.y, h.z}, {-h.x, h.y, h.z}, {-h.x, h.y, -h.z}, {-1, 0, 0});
  addQuad(m, {-h.x, h.y, h.z}, {h.x, h.y, h.z}, {h.x, h.y, -h.z}, {-h.x, h.y, -h.z}, {0, 1, 0});
  addQuad(m, {-h.x, -h.y, -h.z}, {h.x, -h.y, -h.z}, {h.x, -h.y, h.z}, {-h.x, -h.y, h.z}, {0, -1, 0});
  return m;
}

MeshData makeTriangleRing(float side, float bar, float thickness) {
  TROCAR_PRECONDITION(bar > 0.0f && bar < side / std::sqrt(3.0f) * 0.5f, "triangle ring: a hole inside");
  MeshData m;
  // Wound by the normal each face must have, whatever order the corners come in.
  auto face = [&m](Vec3 a, Vec3 b, Vec3 c, Vec3 d, Vec3 n) {
    if (glm::dot(glm::cross(b - a, c - a), n) < 0.0f) {
      std::swap(a, d);
      std::swap(b, c);
    }
    addQuad(m, a, b, c, d, n);
  };
  const float inradius = side / (2.0f * std::sqrt(3.0f));
  const float y = 0.5f * thickness;
  std::array<Vec3, 3> outer, inner;
  for (int i = 0; i < 3; ++i) {  // corners between the sides, at 90, 210 and 330 degrees
    const float a = (90.0f + 120.0f * static_cast<float>(i)) * kPi / 180.0f;
    const Vec3 dir(std::cos(a), 0.0f, std::sin(a));
    outer[static_cast<size_t>(i)] = dir * (2.0f * inradius);
    inner[static_cast<size_t>(i)] = dir * (2.0f * (inradius - bar));
  }
  const Vec3 up(0.0f, y, 0.0f);
  for (size_t i = 0; i < 3; ++i) {
    const size_t j = (i + 1) % 3;
    const Vec3 out = glm::normalize(outer[i] + outer[j]);
    face(outer[i] + up, outer[j] + up, inner[j] + up, inner[i] + up, {0, 1, 0});
    face(outer[i] - up, outer[j] - up, inner[j] - up, inner[i] - up, {0, -1, 0});
    face(outer[i] - up, outer[j] - up, outer[j] + up, outer[i] + up, out);
    face(inner[i] - up, inner[j] - up, inner[j] + up, inner[i] + up, -out);
  }
  return m;
}

MeshData makeCylinder(float radius, float length, uint32_t segments) {
  TROCAR_PRECONDITION(segments >= 3, "cylinder: at least 3 segments");
  MeshData m;
  for (uint32_t i = 0; i <= segments; ++i) {
    const float a = 2.0f * kPi * static_cast<float>(i) / static_cast<float>(segments);
    const Vec3 n(std::cos(a), 0.0f, -std::sin(a));
    const float u = static_cast<float>(i) / static_cast<float>(segments);
    m.positions.push_back(n * radius);
    m.normals.push_back(n);
    m.uvs.emplace_back(u, 1.0f);
    m.positions.push_back(n * radius + Vec3(0.0f, length, 0.0f));
    m.normals.push_back(n);
    m.uvs.emplace_back(u, 0.0f);
  }
  for (uint32_t i = 0; i < segments; ++i) {
    const uint32_t b = i * 2;
    m.indices.insert(m.indices.end(), {b, b + 2, b + 3, b, b + 3, b + 1});
  }
  // Caps.
  for (int cap = 0; cap < 2; ++cap) {
    const float y = cap ? length : 0.0f;
    const Vec3 n(0.0f, cap ? 1.0f : -1.0f, 0.0f);
    const uint32_t centre = static_cast<uint32_t>(m.positions.size());
    m.positions.emplace_back(0.0f, y, 0.0f);
    m.normals.push_back(n);
    m.uvs.emplace_back(0.5f, 0.5f);
    for (uint32_t i = 0; i <= segments; ++i) {
      const float a = 2.0f * kPi * static_cast<float>(i) / static_cast<float>(segments);
      m.positions.emplace_back(std::cos(a) * radius, y, -std::sin(a) * radius);
      m.normals.push_back(n);
      m.uvs.emplace_back(0.5f + 0.5f * std::cos(a), 0.5f + 0.5f * std::sin(a));
    }
    for (uint32_t i = 0; i < segments; ++i) {
      if (cap)
        m.indices.insert(m.indices.end(), {centre, centre + 1 + i, centre + 2 + i});
      else
        m.indices.insert(m.indices.end(), {centre, centre + 2 + i, centre + 1 + i});
    }
  }
  return m;
}

MeshData makeSphere(float radius, uint32_t segments) {
  TROCAR_PRECONDITION(segments >= 4, "sphere: at least 4 segments");
  MeshData m;
  const uint32_t rings = segments / 2;
  for (uint32_t r = 0; r <= rings; ++r) {
    const float theta = kPi * static_cast<float>(r) / static_cast<float>(rings);
    for (uint32_t s = 0; s <= segments; ++s) {
      const float phi = 2.0f * kPi * static_cast<float>(s) / static_cast<float>(segments);
      const Vec3 n(std::sin(theta) * std::cos(phi), std::cos(theta), -std::sin(theta) * std::sin(phi));
      m.positions.push_back(n * radius);
      m.normals.push_back(n);
      m.uvs.emplace_back(static_cast<float>(s) / static_cast<float>(segments),
                         static_cast<float>(r) / static_cast<float>(rings));
    }
  }
  const uint32_t stride = segments + 1;
  for (uint32_t r = 0; r < rings; ++r) {
    for (uint32_t s = 0; s < segments; ++s) {
      const uint32_t a = r * stride + s;
      const uint32_t b = a + stride;
      m.indices.insert(m.indices.end(), {a, b, b + 1, a, b + 1, a + 1});
    }
  }
  return m;
}

MeshData makeQuad(float width, float height) {
  MeshData m;
  const float w = width * 0.5f;
  const float h = height * 0.5f;
  addQuad(m, {-w, -h, 0.0f}, {w, -h, 0.0f}, {w, h, 0.0f}, {-w, h, 0.0f}, {0, 0, 1});
  return m;
}

}  // namespace trocar::render
