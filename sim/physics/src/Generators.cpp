#include <trocar/core/Assert.h>
#include <trocar/physics/Generators.h>

#include "TissueMesh.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace trocar::physics {

TetMesh generateTetBox(Vec3 h, uint32_t cx, uint32_t cy, uint32_t cz, const Pose& pose) {
  TROCAR_PRECONDITION(cx > 0 && cy > 0 && cz > 0, "a tet box needs at least one cell per axis");
  TetMesh mesh;
  auto id = [&](uint32_t i, uint32_t j, uint32_t k) { return (k * (cy + 1) + j) * (cx + 1) + i; };
  for (uint32_t k = 0; k <= cz; ++k) {
    for (uint32_t j = 0; j <= cy; ++j) {
      for (uint32_t i = 0; i <= cx; ++i) {
        Vec3 p(-h.x + 2.0f * h.x * static_cast<float>(i) / static_cast<float>(cx),
               -h.y + 2.0f * h.y * static_cast<float>(j) / static_cast<float>(cy),
               -h.z + 2.0f * h.z * static_cast<float>(k) / static_cast<float>(cz));
        mesh.nodes.push_back(pose.transformPoint(p));
      }
    }
  }
  // Six tets around the diagonal v0-v6 of each cube (Kuhn subdivision): conforming because
  // every cube uses the same diagonal direction.
  for (uint32_t k = 0; k < cz; ++k) {
    for (uint32_t j = 0; j < cy; ++j) {
      for (uint32_t i = 0; i < cx; ++i) {
        uint32_t v[8] = {id(i, j, k),     id(i + 1, j, k),     id(i + 1, j + 1, k),     id(i, j + 1, k),
                         id(i, j, k + 1), id(i + 1, j, k + 1), id(i + 1, j + 1, k + 1), id(i, j + 1, k + 1)};
        const uint32_t paths[6][2] = {{1, 2}, {2, 3}, {3, 7}, {7, 4}, {4, 5}, {5, 1}};
        for (const auto& p : paths) {
          std::array<uint32_t, 4> t = {v[0], v[p[0]], v[p[1]], v[6]};
          Vec3 a = mesh.nodes[t[0]], b = mesh.nodes[t[1]], c = mesh.nodes[t[2]], d = mesh.nodes[t[3]];
          if (glm::dot(glm::cross(b - a, c - a), d - a) < 0.0f) std::swap(t[2], t[3]);
          mesh.tets.push_back(t);
        }
      }
    }
  }
  return mesh;
}

SurfaceMesh generateSphere(Vec3 radii, uint32_t subdivisions, const Pose& pose) {
  TROCAR_PRECONDITION(subdivisions <= 5, "at most 5 subdivisions (10,242 vertices)");
  const float t = (1.0f + std::sqrt(5.0f)) / 2.0f;
  std::vector<Vec3> v = {{-1, t, 0},  {1, t, 0},  {-1, -t, 0}, {1, -t, 0}, {0, -1, t},  {0, 1, t},
                         {0, -1, -t}, {0, 1, -t}, {t, 0, -1},  {t, 0, 1},  {-t, 0, -1}, {-t, 0, 1}};
  for (Vec3& p : v) p = glm::normalize(p);
  std::vector<std::array<uint32_t, 3>> f = {{0, 11, 5}, {0, 5, 1},  {0, 1, 7},   {0, 7, 10}, {0, 10, 11},
                                            {1, 5, 9},  {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
                                            {3, 9, 4},  {3, 4, 2},  {3, 2, 6},   {3, 6, 8},  {3, 8, 9},
                                            {4, 9, 5},  {2, 4, 11}, {6, 2, 10},  {8, 6, 7},  {9, 8, 1}};
  for (uint32_t s = 0; s < subdivisions; ++s) {
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> mid;
    auto midpoint = [&](uint32_t a, uint32_t b) {
      auto key = std::make_pair(std::min(a, b), std::max(a, b));
      auto it = mid.find(key);
      if (it != mid.end()) return it->second;
      v.push_back(glm::normalize(v[a] + v[b]));
      uint32_t idx = static_cast<uint32_t>(v.size() - 1);
      mid[key] = idx;
      return idx;
    };
    std::vector<std::array<uint32_t, 3>> next;
    for (const auto& tri : f) {
      uint32_t a = midpoint(tri[0], tri[1]), b = midpoint(tri[1], tri[2]), c = midpoint(tri[2], tri[0]);
      next.push_back({tri[0], a, c});
      next.push_back({tri[1], b, a});
      next.push_back({tri[2], c, b});
      next.push_back({a, b, c});
    }
    f = std::move(next);
  }
  SurfaceMesh mesh;
  for (const Vec3& p : v) mesh.vertices.push_back(pose.transformPoint(p * radii));
  mesh.triangles = std::move(f);
  return mesh;
}

SurfaceMesh generateTube(float radius, float length, uint32_t around, uint32_t along, const Pose& pose) {
  TROCAR_PRECONDITION(around >= 3 && along >= 1, "a tube needs at least 3 segments around and 1 along");
  TROCAR_PRECONDITION(radius > 0.0f && length > 0.0f, "a tube needs a positive radius and length");
  SurfaceMesh mesh;
  for (uint32_t j = 0; j <= along; ++j) {
    float x = length * (static_cast<float>(j) / static_cast<float>(along) - 0.5f);
    for (uint32_t i = 0; i < around; ++i) {
      float a = 2.0f * kPi * static_cast<float>(i) / static_cast<float>(around);
      mesh.vertices.push_back(pose.transformPoint(Vec3(x, radius * std::cos(a), radius * std::sin(a))));
    }
  }
  const uint32_t startCap = static_cast<uint32_t>(mesh.vertices.size());
  mesh.vertices.push_back(pose.transformPoint(Vec3(-0.5f * length, 0.0f, 0.0f)));
  const uint32_t endCap = startCap + 1;
  mesh.vertices.push_back(pose.transformPoint(Vec3(0.5f * length, 0.0f, 0.0f)));
  auto at = [around](uint32_t ring, uint32_t i) { return ring * around + i % around; };
  // Outward winding: the ring normal (0, cos a, sin a) and +X along the tube.
  for (uint32_t j = 0; j < along; ++j) {
    for (uint32_t i = 0; i < around; ++i) {
      uint32_t a = at(j, i), b = at(j, i + 1), c = at(j + 1, i), d = at(j + 1, i + 1);
      mesh.triangles.push_back({a, b, d});
      mesh.triangles.push_back({a, d, c});
    }
  }
  for (uint32_t i = 0; i < around; ++i) {
    mesh.triangles.push_back({startCap, at(0, i + 1), at(0, i)});
    mesh.triangles.push_back({endCap, at(along, i), at(along, i + 1)});
  }
  return mesh;
}

SurfaceMesh restSurface(const TissueSettings& tissue) {
  SurfaceMesh out;
  if (tissue.embedded) {
    const EmbeddedSurface& e = *tissue.embedded;
    out.vertices.reserve(e.nodes.size());
    for (size_t v = 0; v < e.nodes.size(); ++v) {
      Vec3 p(0.0f);
      for (size_t k = 0; k < 4; ++k) p += e.weights[v][k] * tissue.tetMesh.nodes[e.nodes[v][k]];
      out.vertices.push_back(p);
    }
    for (size_t i = 0; i + 2 < e.indices.size(); i += 3)
      out.triangles.push_back({e.indices[i], e.indices[i + 1], e.indices[i + 2]});
  } else if (tissue.kind == TissueKind::kSurface) {
    out = tissue.surface;
  } else if (tissue.kind == TissueKind::kVolumetric) {
    out.vertices = tissue.tetMesh.nodes;
    out.triangles = detail::boundaryFaces(tissue.tetMesh.tets);
  }
  return out;
}

std::array<TriangleBar, 3> triangleBars(const Vec3& h) {
  // The outer side is 2 h.x, so the outer edges lie h.x / sqrt(3) from the centroid; a bar's
  // mid-line lies its half width inside that, and is sqrt(3) times that distance long each way.
  const float inradius = h.x / std::sqrt(3.0f);
  const float mid = inradius - h.z;
  std::array<TriangleBar, 3> bars;
  for (int k = 0; k < 3; ++k) {
    const float a = (-90.0f + 120.0f * static_cast<float>(k)) * kPi / 180.0f;
    TriangleBar& b = bars[static_cast<size_t>(k)];
    b.outward = Vec3(std::cos(a), 0.0f, std::sin(a));
    b.along = Vec3(-std::sin(a), 0.0f, std::cos(a));
    b.center = b.outward * mid;
    b.halfLength = std::sqrt(3.0f) * mid;
  }
  return bars;
}

}  // namespace trocar::physics
