#include <trocar/assets/Anatomy.h>

#include <glm/geometric.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace trocar::assets {
namespace {

// Padded sample grid: sample (a, b, c) is voxel (a - 1, b - 1, c - 1); outside is 0.
struct Padded {
  const Mask& m;
  int nx, ny, nz;  // padded sizes
  explicit Padded(const Mask& mask)
      : m(mask),
        nx(static_cast<int>(mask.dims[0]) + 2),
        ny(static_cast<int>(mask.dims[1]) + 2),
        nz(static_cast<int>(mask.dims[2]) + 2) {}
  bool at(int a, int b, int c) const {
    if (a < 1 || b < 1 || c < 1 || a > nx - 2 || b > ny - 2 || c > nz - 2) return false;
    return m.in[(static_cast<size_t>(c - 1) * m.dims[1] + static_cast<size_t>(b - 1)) * m.dims[0] +
                static_cast<size_t>(a - 1)] != 0;
  }
};

glm::vec3 toStage(const glm::dmat4& m, const glm::dvec3& index) {
  return glm::vec3(m * glm::dvec4(index, 1.0));
}

uint64_t edgeKey(uint32_t a, uint32_t b) {
  return (static_cast<uint64_t>(std::min(a, b)) << 32) | std::max(a, b);
}

}  // namespace

Mask fillPinches(Mask m) {
  const int nx = static_cast<int>(m.dims[0]), ny = static_cast<int>(m.dims[1]),
            nz = static_cast<int>(m.dims[2]);
  // Corners of a block by bits (1: +i, 2: +j, 4: +k); a set of corners is connected when
  // its members are linked by cube edges (one bit apart).
  auto connected = [](uint8_t set) {
    if (set == 0) return true;
    uint8_t reached = static_cast<uint8_t>(set & -set), last = 0;
    while (reached != last) {
      last = reached;
      for (int c = 0; c < 8; ++c) {
        if (!(reached >> c & 1)) continue;
        for (int b = 0; b < 3; ++b) {
          const int d = c ^ (1 << b);
          if (set >> d & 1) reached = static_cast<uint8_t>(reached | (1 << d));
        }
      }
    }
    return reached == set;
  };
  auto at = [&](int i, int j, int k) -> uint8_t* {
    static uint8_t outside = 0;
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
      outside = 0;
      return &outside;
    }
    return &m.in[(static_cast<size_t>(k) * static_cast<size_t>(ny) + static_cast<size_t>(j)) *
                     static_cast<size_t>(nx) +
                 static_cast<size_t>(i)];
  };
  for (bool changed = true; changed;) {
    changed = false;
    // Blocks start one voxel outside the grid, so pinches against its border count too.
    for (int k = -1; k < nz; ++k) {
      for (int j = -1; j < ny; ++j) {
        for (int i = -1; i < nx; ++i) {
          uint8_t inside = 0;
          for (int c = 0; c < 8; ++c) {
            if (*at(i + (c & 1), j + (c >> 1 & 1), k + (c >> 2 & 1)))
              inside = static_cast<uint8_t>(inside | (1 << c));
          }
          if (connected(inside) && connected(static_cast<uint8_t>(~inside))) continue;
          for (int c = 0; c < 8; ++c) {
            const int a = i + (c & 1), b = j + (c >> 1 & 1), d = k + (c >> 2 & 1);
            if (a >= 0 && b >= 0 && d >= 0 && a < nx && b < ny && d < nz) *at(a, b, d) = 1;
          }
          changed = true;
        }
      }
    }
  }
  return m;
}

SurfaceMesh surfaceNets(const Mask& mask, const glm::dmat4& indexToStage) {
  const Padded p(mask);
  SurfaceMesh out;
  // Cells are cubes between samples (a..a+1, b..b+1, c..c+1), a in [0, nx - 1).
  std::unordered_map<uint64_t, uint32_t> vertexOfCell;
  auto cellKey = [&](int a, int b, int c) {
    return (static_cast<uint64_t>(c) * static_cast<uint64_t>(p.ny) + static_cast<uint64_t>(b)) *
               static_cast<uint64_t>(p.nx) +
           static_cast<uint64_t>(a);
  };
  auto vertex = [&](int a, int b, int c) -> uint32_t {
    const uint64_t key = cellKey(a, b, c);
    auto it = vertexOfCell.find(key);
    if (it != vertexOfCell.end()) return it->second;
    // The mean of the midpoints of the cell's edges whose ends differ.
    glm::dvec3 sum(0.0);
    int crossings = 0;
    static const int kEdges[12][6] = {{0, 0, 0, 1, 0, 0}, {0, 1, 0, 1, 1, 0}, {0, 0, 1, 1, 0, 1},
                                      {0, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 1, 0}, {1, 0, 0, 1, 1, 0},
                                      {0, 0, 1, 0, 1, 1}, {1, 0, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 1},
                                      {1, 0, 0, 1, 0, 1}, {0, 1, 0, 0, 1, 1}, {1, 1, 0, 1, 1, 1}};
    for (const auto& e : kEdges) {
      if (p.at(a + e[0], b + e[1], c + e[2]) != p.at(a + e[3], b + e[4], c + e[5])) {
        sum += glm::dvec3(a + 0.5 * (e[0] + e[3]), b + 0.5 * (e[1] + e[4]), c + 0.5 * (e[2] + e[5]));
        ++crossings;
      }
    }
    const glm::dvec3 padded = sum / static_cast<double>(std::max(1, crossings));
    const uint32_t id = static_cast<uint32_t>(out.positions.size());
    out.positions.push_back(toStage(indexToStage, padded - glm::dvec3(1.0)));
    vertexOfCell.emplace(key, id);
    return id;
  };
  // A face for every sample edge that crosses the boundary: the four cells around it,
  // ordered so the face points from inside to outside (in index space).
  auto quad = [&](uint32_t q0, uint32_t q1, uint32_t q2, uint32_t q3, bool flip) {
    if (flip) std::swap(q1, q3);
    out.indices.insert(out.indices.end(), {q0, q1, q2, q0, q2, q3});
  };
  for (int c = 0; c < p.nz; ++c) {
    for (int b = 0; b < p.ny; ++b) {
      for (int a = 0; a < p.nx; ++a) {
        const bool here = p.at(a, b, c);
        if (a + 1 < p.nx && b > 0 && c > 0 && here != p.at(a + 1, b, c)) {
          quad(vertex(a, b - 1, c - 1), vertex(a, b, c - 1), vertex(a, b, c), vertex(a, b - 1, c), !here);
        }
        if (b + 1 < p.ny && a > 0 && c > 0 && here != p.at(a, b + 1, c)) {
          quad(vertex(a - 1, b, c - 1), vertex(a - 1, b, c), vertex(a, b, c), vertex(a, b, c - 1), !here);
        }
        if (c + 1 < p.nz && a > 0 && b > 0 && here != p.at(a, b, c + 1)) {
          quad(vertex(a - 1, b - 1, c), vertex(a, b - 1, c), vertex(a, b, c), vertex(a - 1, b, c), !here);
        }
      }
    }
  }
  // A mirroring index-to-stage map (most scans) turns the faces inside out: turn them back.
  if (glm::determinant(glm::dmat3(indexToStage)) < 0.0) {
    for (size_t t = 0; t + 2 < out.indices.size(); t += 3) std::swap(out.indices[t + 1], out.indices[t + 2]);
  }
  computeNormals(out);
  return out;
}

void smoothTaubin(SurfaceMesh& mesh, int iterations, float lambda, float mu) {
  const size_t n = mesh.positions.size();
  std::vector<std::vector<uint32_t>> next(n);
  for (size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
    for (int k = 0; k < 3; ++k) {
      const uint32_t a = mesh.indices[t + static_cast<size_t>(k)],
                     b = mesh.indices[t + static_cast<size_t>((k + 1) % 3)];
      next[a].push_back(b);
      next[b].push_back(a);
    }
  }
  for (auto& list : next) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  std::vector<glm::vec3> moved(n);
  auto pass = [&](float factor) {
    for (size_t i = 0; i < n; ++i) {
      if (next[i].empty()) {
        moved[i] = mesh.positions[i];
        continue;
      }
      glm::vec3 mean(0.0f);
      for (uint32_t j : next[i]) mean += mesh.positions[j];
      mean /= static_cast<float>(next[i].size());
      moved[i] = mesh.positions[i] + factor * (mean - mesh.positions[i]);
    }
    mesh.positions.swap(moved);
  };
  for (int it = 0; it < iterations; ++it) {
    pass(lambda);
    pass(mu);
  }
  computeNormals(mesh);
}

void splitNonManifold(SurfaceMesh& mesh) {
  // Edges and the faces on them; an edge of more than two faces joins two sheets.
  std::unordered_map<uint64_t, std::vector<uint32_t>> facesOf;
  const uint32_t faces = static_cast<uint32_t>(mesh.triangleCount());
  for (uint32_t f = 0; f < faces; ++f) {
    for (int k = 0; k < 3; ++k) {
      facesOf[edgeKey(mesh.indices[3 * f + static_cast<uint32_t>(k)],
                      mesh.indices[3 * f + static_cast<uint32_t>((k + 1) % 3)])]
          .push_back(f);
    }
  }
  std::vector<std::vector<uint32_t>> around(mesh.positions.size());
  for (uint32_t f = 0; f < faces; ++f) {
    for (int k = 0; k < 3; ++k) around[mesh.indices[3 * f + static_cast<uint32_t>(k)]].push_back(f);
  }
  const size_t original = mesh.positions.size();
  for (uint32_t v = 0; v < original; ++v) {
    const auto& fs = around[v];
    if (fs.size() < 2) continue;
    // Fans: faces round v joined through edges (v, w) that have exactly two faces.
    std::vector<int> fan(fs.size(), -1);
    int fans = 0;
    for (size_t start = 0; start < fs.size(); ++start) {
      if (fan[start] >= 0) continue;
      std::vector<size_t> stack{start};
      fan[start] = fans;
      while (!stack.empty()) {
        const uint32_t f = fs[stack.back()];
        stack.pop_back();
        for (int k = 0; k < 3; ++k) {
          const uint32_t w = mesh.indices[3 * f + static_cast<uint32_t>(k)];
          if (w == v) continue;
          const auto& pair = facesOf[edgeKey(v, w)];
          if (pair.size() != 2) continue;
          const uint32_t g = pair[0] == f ? pair[1] : pair[0];
          for (size_t j = 0; j < fs.size(); ++j) {
            if (fs[j] == g && fan[j] < 0) {
              fan[j] = fan[start];
              stack.push_back(j);
            }
          }
        }
      }
      ++fans;
    }
    // Every fan after the first gets its own copy of the vertex.
    for (int extra = 1; extra < fans; ++extra) {
      const uint32_t copy = static_cast<uint32_t>(mesh.positions.size());
      mesh.positions.push_back(mesh.positions[v]);
      for (size_t j = 0; j < fs.size(); ++j) {
        if (fan[j] != extra) continue;
        for (int k = 0; k < 3; ++k) {
          uint32_t& idx = mesh.indices[3 * fs[j] + static_cast<uint32_t>(k)];
          if (idx == v) idx = copy;
        }
      }
    }
  }
  computeNormals(mesh);
}

void computeNormals(SurfaceMesh& mesh) {
  mesh.normals.assign(mesh.positions.size(), glm::vec3(0.0f));
  for (size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
    const uint32_t a = mesh.indices[t], b = mesh.indices[t + 1], c = mesh.indices[t + 2];
    const glm::vec3 n =
        glm::cross(mesh.positions[b] - mesh.positions[a], mesh.positions[c] - mesh.positions[a]);
    mesh.normals[a] += n;
    mesh.normals[b] += n;
    mesh.normals[c] += n;
  }
  for (auto& n : mesh.normals) {
    const float l = glm::length(n);
    n = l > 0.0f ? n / l : glm::vec3(0.0f, 1.0f, 0.0f);
  }
}

MeshCheck checkMesh(const SurfaceMesh& mesh) {
  MeshCheck c;
  std::unordered_map<uint64_t, int> faces;
  for (size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
    for (int k = 0; k < 3; ++k) {
      ++faces[edgeKey(mesh.indices[t + static_cast<size_t>(k)],
                      mesh.indices[t + static_cast<size_t>((k + 1) % 3)])];
    }
    const glm::dvec3 a(mesh.positions[mesh.indices[t]]), b(mesh.positions[mesh.indices[t + 1]]),
        d(mesh.positions[mesh.indices[t + 2]]);
    c.volumeM3 += glm::dot(a, glm::cross(b, d)) / 6.0;
  }
  for (const auto& [edge, count] : faces) {
    if (count == 1) ++c.boundaryEdges;
    if (count > 2) ++c.nonManifoldEdges;
  }
  return c;
}

namespace {

// Corner k of a hex (bit 0: +i, bit 1: +j, bit 2: +k); six tets around the 0-7 diagonal.
constexpr int kHexTets[6][4] = {{0, 1, 3, 7}, {0, 3, 2, 7}, {0, 2, 6, 7},
                                {0, 6, 4, 7}, {0, 4, 5, 7}, {0, 5, 1, 7}};

struct CoarseGrid {
  uint32_t cell;
  std::array<uint32_t, 3> cells;
  std::vector<uint8_t> occupied;
};

CoarseGrid coarse(const Mask& m, uint32_t cell, float fill) {
  CoarseGrid g;
  g.cell = cell;
  for (int a = 0; a < 3; ++a)
    g.cells[static_cast<size_t>(a)] = (m.dims[static_cast<size_t>(a)] + cell - 1) / cell;
  std::vector<uint32_t> inside(static_cast<size_t>(g.cells[0]) * g.cells[1] * g.cells[2], 0);
  for (uint32_t k = 0; k < m.dims[2]; ++k) {
    for (uint32_t j = 0; j < m.dims[1]; ++j) {
      for (uint32_t i = 0; i < m.dims[0]; ++i) {
        if (!m.in[(static_cast<size_t>(k) * m.dims[1] + j) * m.dims[0] + i]) continue;
        ++inside[(static_cast<size_t>(k / cell) * g.cells[1] + j / cell) * g.cells[0] + i / cell];
      }
    }
  }
  const double need = std::max(1.0, static_cast<double>(fill) * cell * cell * cell);
  g.occupied.resize(inside.size());
  for (size_t c = 0; c < inside.size(); ++c) g.occupied[c] = inside[c] >= need ? 1 : 0;
  return g;
}

}  // namespace

TetVolume voxelTets(const Mask& m, const glm::dmat4& indexToStage, uint32_t cellVoxels, float fill) {
  const CoarseGrid g = coarse(m, std::max(1u, cellVoxels), fill);
  TetVolume out;
  out.cellVoxels = g.cell;
  std::unordered_map<uint64_t, uint32_t> nodeOf;
  const uint64_t px = g.cells[0] + 1, py = g.cells[1] + 1;
  auto node = [&](uint32_t i, uint32_t j, uint32_t k) {
    const uint64_t key = (static_cast<uint64_t>(k) * py + j) * px + i;
    auto it = nodeOf.find(key);
    if (it != nodeOf.end()) return it->second;
    // Grid point (i, j, k) is the corner of voxel (i c, j c, k c) facing the origin.
    const glm::dvec3 index = glm::dvec3(i, j, k) * static_cast<double>(g.cell) - glm::dvec3(0.5);
    const uint32_t id = static_cast<uint32_t>(out.nodes.size());
    out.nodes.push_back(toStage(indexToStage, index));
    nodeOf.emplace(key, id);
    return id;
  };
  for (uint32_t k = 0; k < g.cells[2]; ++k) {
    for (uint32_t j = 0; j < g.cells[1]; ++j) {
      for (uint32_t i = 0; i < g.cells[0]; ++i) {
        if (!g.occupied[(static_cast<size_t>(k) * g.cells[1] + j) * g.cells[0] + i]) continue;
        uint32_t corner[8];
        for (uint32_t c = 0; c < 8; ++c)
          corner[c] = node(i + (c & 1u), j + ((c >> 1) & 1u), k + ((c >> 2) & 1u));
        for (const auto& t : kHexTets) {
          std::array<uint32_t, 4> tet = {corner[t[0]], corner[t[1]], corner[t[2]], corner[t[3]]};
          const glm::vec3 a = out.nodes[tet[0]];
          const float v =
              glm::dot(out.nodes[tet[1]] - a, glm::cross(out.nodes[tet[2]] - a, out.nodes[tet[3]] - a));
          if (v < 0.0f) std::swap(tet[2], tet[3]);
          out.tets.push_back(tet);
        }
      }
    }
  }
  return out;
}

uint32_t cellForBudget(const Mask& m, uint32_t maxNodes, float fill) {
  const uint32_t largest = std::max({m.dims[0], m.dims[1], m.dims[2], 1u});
  // A cell of edge c holds at most c^3 voxels and every node is shared by at most 8 cells of
  // 8 nodes each, so a mesh has at least voxels / c^3 nodes: cells too fine for the budget
  // by that count are skipped without building their grids.
  const double voxels = static_cast<double>(m.count());
  uint32_t first = 1;
  while (first < largest && voxels > static_cast<double>(maxNodes) * first * first * first) ++first;
  for (uint32_t cell = first; cell <= largest; ++cell) {
    const CoarseGrid g = coarse(m, cell, fill);
    std::vector<uint8_t> used(static_cast<size_t>(g.cells[0] + 1) * (g.cells[1] + 1) * (g.cells[2] + 1), 0);
    for (uint32_t k = 0; k < g.cells[2]; ++k)
      for (uint32_t j = 0; j < g.cells[1]; ++j)
        for (uint32_t i = 0; i < g.cells[0]; ++i) {
          if (!g.occupied[(static_cast<size_t>(k) * g.cells[1] + j) * g.cells[0] + i]) continue;
          for (uint32_t c = 0; c < 8; ++c) {
            used[(static_cast<size_t>(k + ((c >> 2) & 1u)) * (g.cells[1] + 1) + j + ((c >> 1) & 1u)) *
                     (g.cells[0] + 1) +
                 i + (c & 1u)] = 1;
          }
        }
    if (static_cast<size_t>(std::count(used.begin(), used.end(), uint8_t{1})) <= maxNodes) return cell;
  }
  return largest;
}

Embedding embed(const SurfaceMesh& surface, const TetVolume& volume) {
  Embedding e;
  e.tet.resize(surface.positions.size());
  e.weights.resize(surface.positions.size());
  // Tets binned on a grid of about their own size, for the search.
  glm::vec3 lo(1e30f), hi(-1e30f);
  for (const auto& n : volume.nodes) {
    lo = glm::min(lo, n);
    hi = glm::max(hi, n);
  }
  float bin = 1e30f;
  for (size_t t = 0; t < std::min<size_t>(volume.tets.size(), 64); ++t) {
    bin = std::min(bin, glm::length(volume.nodes[volume.tets[t][0]] - volume.nodes[volume.tets[t][3]]));
  }
  if (volume.tets.empty() || !(bin > 0.0f)) return e;
  auto binOf = [&](glm::vec3 p) { return glm::ivec3(glm::floor((p - lo) / bin)); };
  std::map<std::array<int, 3>, std::vector<uint32_t>> bins;
  for (uint32_t t = 0; t < volume.tets.size(); ++t) {
    glm::vec3 c(0.0f);
    for (uint32_t n : volume.tets[t]) c += volume.nodes[n];
    const glm::ivec3 b = binOf(c * 0.25f);
    bins[{b.x, b.y, b.z}].push_back(t);
  }
  auto weights = [&](uint32_t t, glm::vec3 p) {
    const auto& tet = volume.tets[t];
    const glm::vec3 a = volume.nodes[tet[0]];
    const glm::mat3 m(volume.nodes[tet[1]] - a, volume.nodes[tet[2]] - a, volume.nodes[tet[3]] - a);
    const glm::vec3 w = glm::inverse(m) * (p - a);
    return glm::vec4(1.0f - w.x - w.y - w.z, w.x, w.y, w.z);
  };
  for (size_t v = 0; v < surface.positions.size(); ++v) {
    const glm::vec3 p = surface.positions[v];
    const glm::ivec3 b = binOf(p);
    float best = -1e30f;
    for (int radius = 1; radius <= 3 && best < 0.0f; ++radius) {
      for (int dz = -radius; dz <= radius; ++dz)
        for (int dy = -radius; dy <= radius; ++dy)
          for (int dx = -radius; dx <= radius; ++dx) {
            auto it = bins.find({b.x + dx, b.y + dy, b.z + dz});
            if (it == bins.end()) continue;
            for (uint32_t t : it->second) {
              const glm::vec4 w = weights(t, p);
              const float worst = std::min({w.x, w.y, w.z, w.w});
              if (worst > best) {
                best = worst;
                e.tet[v] = t;
                e.weights[v] = w;
              }
            }
          }
    }
    e.maxOutside = std::max(e.maxOutside, -best);
  }
  return e;
}

}  // namespace trocar::assets
