#include "TissueMesh.h"

#include "Marking.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace trocar::physics::detail {
namespace {

Error meshError(const std::string& tissue, const std::string& what, const std::string& hint) {
  return makeError(ErrorCode::kInvalidInput, "tissue '" + tissue + "': " + what, hint);
}

double tetSignedVolume(const Vec3& a, const Vec3& b, const Vec3& c, const Vec3& d) {
  glm::dvec3 ab(b - a), ac(c - a), ad(d - a);
  return glm::dot(glm::cross(ab, ac), ad) / 6.0;
}

uint32_t findRoot(std::vector<uint32_t>& parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

void unite(std::vector<uint32_t>& parent, uint32_t a, uint32_t b) {
  a = findRoot(parent, a);
  b = findRoot(parent, b);
  if (a == b) return;
  // The lower index becomes the root: deterministic, and the root is the piece's smallest node.
  if (a < b)
    parent[b] = a;
  else
    parent[a] = b;
}

// Segment p->q against triangle (a, b, c): returns the segment parameter of the crossing,
// or a negative value when there is none (Moller-Trumbore, double precision).
double segmentTriangle(const Vec3& p, const Vec3& q, const Vec3& a, const Vec3& b, const Vec3& c) {
  glm::dvec3 dir(q - p), e1(b - a), e2(c - a);
  glm::dvec3 h = glm::cross(dir, e2);
  double det = glm::dot(e1, h);
  if (std::abs(det) < 1e-18) return -1.0;  // parallel
  double inv = 1.0 / det;
  glm::dvec3 s = glm::dvec3(p) - glm::dvec3(a);
  double u = inv * glm::dot(s, h);
  if (u < 0.0 || u > 1.0) return -1.0;
  glm::dvec3 qv = glm::cross(s, e1);
  double v = inv * glm::dot(dir, qv);
  if (v < 0.0 || u + v > 1.0) return -1.0;
  double t = inv * glm::dot(e2, qv);
  return (t >= 0.0 && t <= 1.0) ? t : -1.0;
}

}  // namespace

// Boundary faces: tet faces that appear exactly once, wound outward, in a fixed order.
std::vector<std::array<uint32_t, 3>> boundaryFaces(const std::vector<std::array<uint32_t, 4>>& tets) {
  std::map<std::array<uint32_t, 3>, std::pair<int, std::array<uint32_t, 3>>> faces;
  for (const auto& t : tets) {
    // Faces opposite each vertex, wound so the normal points away from that vertex.
    const std::array<std::array<uint32_t, 3>, 4> local = {
        {{t[1], t[2], t[3]}, {t[0], t[3], t[2]}, {t[0], t[1], t[3]}, {t[0], t[2], t[1]}}};
    for (const auto& f : local) {
      std::array<uint32_t, 3> key = f;
      std::sort(key.begin(), key.end());
      auto& entry = faces[key];
      entry.first++;
      entry.second = f;
    }
  }
  std::vector<std::array<uint32_t, 3>> out;
  for (const auto& [key, entry] : faces) {
    if (entry.first == 1) out.push_back(entry.second);
  }
  return out;
}

std::vector<std::array<uint32_t, 2>> TissueMesh::edges() const {
  std::vector<std::array<uint32_t, 2>> out;
  auto add = [&out](uint32_t a, uint32_t b) { out.push_back({std::min(a, b), std::max(a, b)}); };
  for (const auto& t : triangles) {
    add(t[0], t[1]);
    add(t[1], t[2]);
    add(t[2], t[0]);
  }
  for (const auto& t : tets) {
    add(t[0], t[1]);
    add(t[0], t[2]);
    add(t[0], t[3]);
    add(t[1], t[2]);
    add(t[1], t[3]);
    add(t[2], t[3]);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::array<uint32_t, 2>> TissueMesh::solveOrder() const {
  const std::vector<std::array<uint32_t, 2>> sorted = edges();
  std::vector<std::array<uint32_t, 2>> out;
  out.reserve(sorted.size());
  auto independent = [&out](const std::array<uint32_t, 2>& e) {
    for (size_t k = out.size() > kSolveGap ? out.size() - kSolveGap : 0; k < out.size(); ++k) {
      if (out[k][0] == e[0] || out[k][0] == e[1] || out[k][1] == e[0] || out[k][1] == e[1]) return false;
    }
    return true;
  };
  std::vector<size_t> window;  // indices into `sorted`, oldest first
  size_t next = 0;
  while (out.size() < sorted.size()) {
    while (window.size() < kSolveWindow && next < sorted.size()) window.push_back(next++);
    size_t pick = 0;
    // The oldest goes when it has waited a window's length, or when no edge is independent.
    if (window[0] + kSolveWindow > out.size()) {
      while (pick < window.size() && !independent(sorted[window[pick]])) ++pick;
      if (pick == window.size()) pick = 0;
    }
    out.push_back(sorted[window[pick]]);
    window.erase(window.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

std::vector<double> TissueMesh::lumpedMeasure() const {
  std::vector<double> measure(rest.size(), 0.0);
  if (!tets.empty()) {
    for (const auto& t : tets) {
      double v = std::abs(tetSignedVolume(rest[t[0]], rest[t[1]], rest[t[2]], rest[t[3]])) / 4.0;
      for (uint32_t n : t) measure[n] += v;
    }
  } else {
    for (const auto& t : triangles) {
      glm::dvec3 ab(rest[t[1]] - rest[t[0]]), ac(rest[t[2]] - rest[t[0]]);
      double a = glm::length(glm::cross(ab, ac)) / 6.0;  // area / 3
      for (uint32_t n : t) measure[n] += a;
    }
  }
  return measure;
}

std::vector<float> TissueMesh::nodeMasses(float totalMass) const {
  std::vector<double> measure = lumpedMeasure();
  double sum = std::accumulate(measure.begin(), measure.end(), 0.0);
  std::vector<float> masses(rest.size(), 0.0f);
  std::vector<double> share(rest.size(), 0.0);
  size_t freeNodes = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (fixed[i]) continue;
    share[i] = sum > 0.0 ? measure[i] / sum : 0.0;
    ++freeNodes;
  }
  if (freeNodes == 0) return masses;
  // No node lighter than a fifth of the mean: the slivers that overlapping cuts leave along
  // their line would otherwise hold nodes so light that their springs explode at the tick
  // rate. Then rescale so the free nodes still carry the whole mass.
  const double floorShare = 0.2 / static_cast<double>(freeNodes);
  double total = 0.0;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (fixed[i]) continue;
    share[i] = std::max(share[i], floorShare);
    total += share[i];
  }
  for (size_t i = 0; i < rest.size(); ++i) {
    if (!fixed[i]) masses[i] = static_cast<float>(static_cast<double>(totalMass) * share[i] / total);
  }
  return masses;
}

std::vector<uint32_t> TissueMesh::pieces(uint32_t* pieceCount) const {
  std::vector<uint32_t> parent(rest.size());
  std::iota(parent.begin(), parent.end(), 0u);
  for (const auto& t : triangles) {
    unite(parent, t[0], t[1]);
    unite(parent, t[0], t[2]);
  }
  for (const auto& t : tets) {
    unite(parent, t[0], t[1]);
    unite(parent, t[0], t[2]);
    unite(parent, t[0], t[3]);
  }
  std::vector<uint32_t> piece(rest.size(), kInvalidIndex);
  std::vector<uint32_t> rootToPiece(rest.size(), kInvalidIndex);
  uint32_t count = 0;
  for (uint32_t i = 0; i < rest.size(); ++i) {
    uint32_t r = findRoot(parent, i);
    if (rootToPiece[r] == kInvalidIndex) rootToPiece[r] = count++;
    piece[i] = rootToPiece[r];
  }
  if (pieceCount) *pieceCount = count;
  return piece;
}

Result<TissueMesh> buildClothMesh(const std::string& name, const ClothGeometry& cloth) {
  if (cloth.cellsX < 1 || cloth.cellsZ < 1 || cloth.cellsX > 512 || cloth.cellsZ > 512) {
    return meshError(name, "cloth cells must be between 1 and 512 in each direction",
                     "use e.g. cells: [32, 32] (about 1,000 nodes)");
  }
  if (!(cloth.size.x > 0.0f) || !(cloth.size.y > 0.0f)) {
    return meshError(name, "cloth size must be positive", "give the size in metres, e.g. [0.1, 0.1]");
  }
  TissueMesh mesh;
  mesh.kind = TissueKind::kCloth;
  mesh.gridX = cloth.cellsX + 1;
  mesh.gridZ = cloth.cellsZ + 1;
  for (uint32_t iz = 0; iz < mesh.gridZ; ++iz) {
    for (uint32_t ix = 0; ix < mesh.gridX; ++ix) {
      Vec2 uv(cloth.size.x * (static_cast<float>(ix) / cloth.cellsX - 0.5f),
              cloth.size.y * (static_cast<float>(iz) / cloth.cellsZ - 0.5f));
      mesh.clothCoords.push_back(uv);
      mesh.rest.push_back(cloth.pose.transformPoint(Vec3(uv.x, 0.0f, uv.y)));
    }
  }
  auto at = [&](uint32_t ix, uint32_t iz) { return iz * mesh.gridX + ix; };
  for (uint32_t iz = 0; iz < cloth.cellsZ; ++iz) {
    for (uint32_t ix = 0; ix < cloth.cellsX; ++ix) {
      // Alternate the diagonal so the sheet has no preferred shear direction.
      // Winding: counter-clockwise seen from +Y (the sheet's up side).
      uint32_t a = at(ix, iz), b = at(ix + 1, iz), c = at(ix, iz + 1), d = at(ix + 1, iz + 1);
      if ((ix + iz) % 2 == 0) {
        mesh.triangles.push_back({a, c, d});
        mesh.triangles.push_back({a, d, b});
      } else {
        mesh.triangles.push_back({a, c, b});
        mesh.triangles.push_back({b, c, d});
      }
    }
  }
  mesh.fixed.assign(mesh.rest.size(), 0);
  mesh.originalNodeCount = static_cast<uint32_t>(mesh.rest.size());
  return mesh;
}

Result<TissueMesh> buildTetMesh(const std::string& name, const TetMesh& input) {
  if (input.nodes.size() < 4 || input.tets.empty()) {
    return meshError(name, "a volumetric tissue needs at least 4 nodes and one tetrahedron",
                     "check the .node/.ele or .msh file");
  }
  TissueMesh mesh;
  mesh.kind = TissueKind::kVolumetric;
  mesh.rest = input.nodes;
  for (size_t i = 0; i < input.tets.size(); ++i) {
    auto t = input.tets[i];
    for (uint32_t n : t) {
      if (n >= input.nodes.size()) {
        return meshError(name,
                         "tetrahedron " + std::to_string(i) + " refers to node " + std::to_string(n) +
                             " but there are only " + std::to_string(input.nodes.size()) + " nodes",
                         "node indices are 0-based");
      }
    }
    double v = tetSignedVolume(mesh.rest[t[0]], mesh.rest[t[1]], mesh.rest[t[2]], mesh.rest[t[3]]);
    if (std::abs(v) < 1e-15) {
      return meshError(name, "tetrahedron " + std::to_string(i) + " is degenerate (zero volume)",
                       "remesh with a quality constraint");
    }
    if (v < 0.0) std::swap(t[2], t[3]);  // orient to positive volume
    mesh.tets.push_back(t);
  }
  mesh.triangles = boundaryFaces(mesh.tets);
  mesh.fixed.assign(mesh.rest.size(), 0);
  mesh.originalNodeCount = static_cast<uint32_t>(mesh.rest.size());
  return mesh;
}

Result<TissueMesh> buildSurfaceMesh(const std::string& name, const SurfaceMesh& input) {
  if (input.vertices.size() < 4 || input.triangles.size() < 4) {
    return meshError(name, "a closed surface needs at least 4 vertices and 4 triangles",
                     "check the mesh file");
  }
  TissueMesh mesh;
  mesh.kind = TissueKind::kSurface;
  mesh.rest = input.vertices;
  for (size_t i = 0; i < input.triangles.size(); ++i) {
    const auto& t = input.triangles[i];
    for (uint32_t n : t) {
      if (n >= input.vertices.size()) {
        return meshError(name,
                         "triangle " + std::to_string(i) + " refers to vertex " + std::to_string(n) + " of " +
                             std::to_string(input.vertices.size()),
                         "vertex indices are 0-based");
      }
    }
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2]) {
      return meshError(name, "triangle " + std::to_string(i) + " repeats a vertex",
                       "remove degenerate triangles");
    }
    mesh.triangles.push_back(t);
  }
  mesh.fixed.assign(mesh.rest.size(), 0);
  mesh.originalNodeCount = static_cast<uint32_t>(mesh.rest.size());
  return mesh;
}

std::vector<uint32_t> selectNodes(const NodeSelector& s, const TissueMesh& mesh) {
  std::vector<uint32_t> out;
  const uint32_t n = static_cast<uint32_t>(mesh.nodeCount());
  switch (s.kind) {
    case NodeSelector::Kind::kIndices:
      for (uint32_t i : s.indices) {
        if (i < n) out.push_back(i);
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    case NodeSelector::Kind::kCorners:
      if (mesh.gridX == 0) return out;
      out = {0, mesh.gridX - 1, (mesh.gridZ - 1) * mesh.gridX, mesh.gridZ * mesh.gridX - 1};
      return out;
    case NodeSelector::Kind::kBorder:
      if (mesh.gridX == 0) return out;
      for (uint32_t i = 0; i < mesh.originalNodeCount; ++i) {
        uint32_t ix = i % mesh.gridX, iz = i / mesh.gridX;
        if (ix == 0 || iz == 0 || ix + 1 == mesh.gridX || iz + 1 == mesh.gridZ) out.push_back(i);
      }
      return out;
    default:
      for (uint32_t i = 0; i < n; ++i) {
        if (selectsCutNode(s, mesh, i, false, false)) out.push_back(i);
      }
      return out;
  }
}

bool selectsCutNode(const NodeSelector& s, const TissueMesh& mesh, uint32_t node, bool parentA,
                    bool parentB) {
  return selectsPoint(s, mesh.rest[node], mesh.clothCoords.empty() ? nullptr : &mesh.clothCoords[node],
                      parentA, parentB);
}

bool selectsPoint(const NodeSelector& s, const Vec3& p, const Vec2* cloth, bool parentA, bool parentB) {
  switch (s.kind) {
    case NodeSelector::Kind::kSphere: return glm::length(p - s.center) <= s.radius;
    case NodeSelector::Kind::kBox: {
      Vec3 d = glm::abs(p - s.center);
      return d.x <= s.halfExtents.x && d.y <= s.halfExtents.y && d.z <= s.halfExtents.z;
    }
    case NodeSelector::Kind::kMarkingCircle:
      // A node on the marked line belongs to the inside (1 um tolerance for float rounding).
      return cloth && glm::length(*cloth - s.center2d) <= s.radius + 1e-6f;
    case NodeSelector::Kind::kMarking: return selectedByMarking(s, p);
    case NodeSelector::Kind::kIndices:
    case NodeSelector::Kind::kCorners:
    case NodeSelector::Kind::kBorder: return parentA && parentB;
  }
  return false;
}

// How a tet is split by the crossings on its edges: kept whole, a corner cut off (the three
// edges around `apex` crossed), or two prisms (four edges crossed, two vertices per side;
// `uncut` the two edges that stay whole).
struct TetSplit {
  enum class Kind { kKeep, kCorner, kPrisms } kind = Kind::kKeep;
  size_t apex = 4;
  std::array<size_t, 2> uncut{};
};

constexpr std::array<std::array<size_t, 2>, 6> kTetEdges = {{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}};

template <typename CrossingMap, typename FreshMap>
TetSplit classifyTet(const std::array<uint32_t, 4>& tet, const CrossingMap& crossing, const FreshMap& fresh) {
  TetSplit split;
  std::array<bool, 6> cut{};
  int cuts = 0, freshCuts = 0;
  for (size_t k = 0; k < 6; ++k) {
    const uint32_t a = tet[kTetEdges[k][0]], b = tet[kTetEdges[k][1]];
    const std::array<uint32_t, 2> e{std::min(a, b), std::max(a, b)};
    if (!crossing.count(e)) continue;
    cut[k] = true;
    ++cuts;
    if (fresh.count(e)) ++freshCuts;
  }
  if (freshCuts == 0 || cuts < 3 || cuts > 4) return split;
  std::array<int, 4> degree{};  // per vertex: how many of its three edges are cut
  for (size_t k = 0; k < 6; ++k) {
    if (!cut[k]) continue;
    degree[kTetEdges[k][0]]++;
    degree[kTetEdges[k][1]]++;
  }
  if (cuts == 3) {
    for (size_t i = 0; i < 4; ++i) {
      if (degree[i] == 3) split = {TetSplit::Kind::kCorner, i, {}};
    }
    return split;  // three cuts not around one vertex: not a planar section, kept
  }
  size_t found = 0;
  for (size_t k = 0; k < 6; ++k) {
    if (!cut[k] && found < 2) split.uncut[found++] = k;
  }
  if (found == 2 && degree[0] == 2 && degree[1] == 2 && degree[2] == 2 && degree[3] == 2)
    split.kind = TetSplit::Kind::kPrisms;
  return split;
}

// Splits the tetrahedra the blade crosses. A tet crossed on the three edges around one
// vertex becomes a corner tet and a prism; crossed on four edges (two vertices per side),
// two prisms. Each prism is cut into three tets. Tets crossed on fewer edges are crack
// tips and stay whole (their crossings stay pending); other patterns (a strongly curved
// blade) are left whole too. Boundary faces are recomputed, so cut faces become surface.
//
// The material opens only where the cut has gone all round: a crossing on an edge that a
// whole tet still has (a crack tip's edge) makes one node, shared by the pieces on both
// sides, so pieces cut beside a crack tip stay joined to each other there instead of
// hinging on a corner. Once no whole tet has the edge, the node gets its twin and the pieces
// on the blade's far side move to it.
template <typename CrossingMap, typename FreshMap, typename NodeFor, typename SideOf, typename TwinOf>
void splitTets(TissueMesh& mesh, const std::vector<Vec3>& x, CrossingMap& crossing, const FreshMap& fresh,
               NodeFor&& nodeFor, SideOf&& sideOf, TwinOf&& twinOf, std::vector<uint32_t>& origin) {
  using EdgeKey = std::array<uint32_t, 2>;
  auto key = [](uint32_t a, uint32_t b) { return EdgeKey{std::min(a, b), std::max(a, b)}; };
  std::vector<TetSplit> splits(mesh.tets.size());
  std::map<EdgeKey, bool> whole;  // edges of the tets that stay whole
  for (size_t i = 0; i < mesh.tets.size(); ++i) {
    splits[i] = classifyTet(mesh.tets[i], crossing, fresh);
    if (splits[i].kind != TetSplit::Kind::kKeep) continue;
    for (const auto& k : kTetEdges) whole[key(mesh.tets[i][k[0]], mesh.tets[i][k[1]])] = true;
  }
  std::vector<std::array<uint32_t, 4>> out;
  out.reserve(mesh.tets.size() + 8 * fresh.size());
  origin.clear();
  origin.reserve(out.capacity());
  uint32_t splitting = 0;  // the tet being split
  auto keep = [&](const std::array<uint32_t, 4>& t) {
    out.push_back(t);
    origin.push_back(splitting);
  };
  // Adds a tet, oriented to positive rest volume; drops slivers of zero volume.
  auto emit = [&](std::array<uint32_t, 4> t) {
    const auto& r = mesh.rest;
    double v = tetSignedVolume(r[t[0]], r[t[1]], r[t[2]], r[t[3]]);
    if (std::abs(v) < 1e-18) return;
    if (v < 0.0) std::swap(t[2], t[3]);
    keep(t);
  };
  // Prism (a0 a1 a2) over (b0 b1 b2) with edges ai-bi: three tets.
  auto prism = [&](uint32_t a0, uint32_t a1, uint32_t a2, uint32_t b0, uint32_t b1, uint32_t b2) {
    emit({a0, a1, a2, b0});
    emit({a1, a2, b0, b1});
    emit({a2, b0, b1, b2});
  };
  // The copy of the crossing on edge (from, to) on the side of point `ref`, or the other; the
  // one shared node while a whole tet still has the edge.
  auto node = [&](uint32_t from, uint32_t to, const Vec3& ref, bool sameSide) {
    auto& c = crossing.at(key(from, to));
    if (whole.count(c.edge)) {
      c.shared = true;
      return nodeFor(c, true);
    }
    return nodeFor(c, sideOf(c, ref) == sameSide);
  };
  for (; splitting < mesh.tets.size(); ++splitting) {
    const auto& tet = mesh.tets[splitting];
    const TetSplit& split = splits[splitting];
    if (split.kind == TetSplit::Kind::kKeep) {
      keep(tet);
      continue;
    }
    if (split.kind == TetSplit::Kind::kCorner) {
      uint32_t a = tet[split.apex];
      std::array<uint32_t, 3> o{};
      for (size_t i = 0, j = 0; i < 4; ++i) {
        if (i != split.apex) o[j++] = tet[i];
      }
      const Vec3 ax = x[a];  // a copy: creating nodes grows x
      // The corner takes the copies on a's side; the prism beyond takes the others.
      emit({a, node(a, o[0], ax, true), node(a, o[1], ax, true), node(a, o[2], ax, true)});
      prism(node(a, o[0], ax, false), node(a, o[1], ax, false), node(a, o[2], ax, false), o[0], o[1], o[2]);
      continue;
    }
    // Four cuts: the two uncut edges join the two vertices on each side.
    uint32_t a = tet[kTetEdges[split.uncut[0]][0]], b = tet[kTetEdges[split.uncut[0]][1]];
    uint32_t c = tet[kTetEdges[split.uncut[1]][0]], d = tet[kTetEdges[split.uncut[1]][1]];
    const Vec3 ax = x[a];  // a copy: creating nodes grows x
    // Side {a, b}: prism (a, ac, ad) over (b, bc, bd). Side {c, d}: (c, ac, bc) over (d, ad, bd).
    prism(a, node(a, c, ax, true), node(a, d, ax, true), b, node(b, c, ax, true), node(b, d, ax, true));
    prism(c, node(a, c, ax, false), node(b, c, ax, false), d, node(a, d, ax, false), node(b, d, ax, false));
  }
  // Shared nodes whose edge no whole tet has any more: the pieces on the far side of the
  // blade that made the crossing (by their centre) take its twin.
  for (auto& [e, c] : crossing) {
    if (!c.shared || whole.count(e)) continue;
    c.shared = false;
    const uint32_t twin = twinOf(c);
    for (auto& t : out) {
      auto it = std::find(t.begin(), t.end(), c.node);
      if (it == t.end()) continue;
      const Vec3 centre = 0.25f * (x[t[0]] + x[t[1]] + x[t[2]] + x[t[3]]);
      if (!sideOf(c, centre)) *it = twin;
    }
  }
  mesh.tets = std::move(out);
  mesh.triangles = boundaryFaces(mesh.tets);
}

CutResult cutMesh(TissueMesh& mesh, NodeState state, const std::array<Vec3, 4>& quad,
                  const std::vector<uint32_t>* candidates) {
  CutResult result;
  std::vector<Vec3>& x = *state.positions;
  std::vector<Vec3>& v = *state.velocities;

  glm::dvec3 normal = glm::cross(glm::dvec3(quad[2] - quad[0]), glm::dvec3(quad[3] - quad[1]));
  if (glm::length(normal) < 1e-18) return result;
  normal = glm::normalize(normal);
  glm::dvec3 center =
      (glm::dvec3(quad[0]) + glm::dvec3(quad[1]) + glm::dvec3(quad[2]) + glm::dvec3(quad[3])) / 4.0;

  using Crossing = TissueMesh::Crossing;
  using EdgeKey = std::array<uint32_t, 2>;
  // 1. Crossings: the pending ones from earlier cuts, then this blade's.
  std::map<EdgeKey, Crossing> crossing;
  std::map<EdgeKey, bool> fresh;
  for (const Crossing& c : mesh.pending) crossing[c.edge] = c;
  // The edges to test: those of the candidate triangles, or else of every face or tet whose
  // box meets the blade's (an edge outside it cannot cross the blade), each once, in order.
  std::vector<EdgeKey> tested;
  auto addEdges = [&](const auto& cell) {
    for (size_t i = 0; i < cell.size(); ++i) {
      for (size_t j = i + 1; j < cell.size(); ++j)
        tested.push_back({std::min(cell[i], cell[j]), std::max(cell[i], cell[j])});
    }
  };
  if (candidates != nullptr) {
    for (uint32_t f : *candidates) addEdges(mesh.triangles[f]);
  } else {
    Vec3 lo = quad[0], hi = quad[0];
    for (const Vec3& q : quad) {
      lo = glm::min(lo, q);
      hi = glm::max(hi, q);
    }
    auto meets = [&](const auto& cell) {
      Vec3 clo = x[cell[0]], chi = x[cell[0]];
      for (uint32_t n : cell) {
        clo = glm::min(clo, x[n]);
        chi = glm::max(chi, x[n]);
      }
      return glm::all(glm::lessThanEqual(clo, hi + Vec3(1e-6f))) &&
             glm::all(glm::greaterThanEqual(chi, lo - Vec3(1e-6f)));
    };
    if (mesh.tets.empty()) {
      for (const auto& f : mesh.triangles) {
        if (meets(f)) addEdges(f);
      }
    } else {
      for (const auto& t : mesh.tets) {
        if (meets(t)) addEdges(t);
      }
    }
  }
  std::sort(tested.begin(), tested.end());
  tested.erase(std::unique(tested.begin(), tested.end()), tested.end());
  for (const auto& e : tested) {
    if (crossing.count(e)) continue;
    double t = segmentTriangle(x[e[0]], x[e[1]], quad[0], quad[1], quad[2]);
    if (t < 0.0) t = segmentTriangle(x[e[0]], x[e[1]], quad[0], quad[2], quad[3]);
    if (t < 0.0) continue;
    double len = glm::length(glm::dvec3(x[e[1]] - x[e[0]]));
    double tMin = len > 0.0 ? std::min(0.1, 0.0005 / len) : 0.1;
    Crossing c;
    c.edge = e;
    c.t = static_cast<float>(std::clamp(t, tMin, 1.0 - tMin));
    c.normal = normal;
    c.center = center;
    crossing[e] = c;
    fresh[e] = true;
    result.path.push_back(glm::mix(x[e[0]], x[e[1]], c.t));
    result.crossings.push_back({e, c.t});
  }
  if (fresh.empty()) return result;
  result.splitEdges = static_cast<uint32_t>(fresh.size());
  // The nodes at the ends of a crossed edge: only faces and tets with one of them change.
  const size_t nodesBefore = mesh.nodeCount();
  std::vector<uint8_t> touched(nodesBefore, 0);
  for (const auto& [e, c] : crossing) touched[e[0]] = touched[e[1]] = 1;
  auto touches = [&](const auto& cell) {
    return std::any_of(cell.begin(), cell.end(), [&](uint32_t n) { return n < nodesBefore && touched[n]; });
  };

  // Nodes are created on first use, so no node exists that no face references.
  auto createNode = [&](const Crossing& c) {
    const auto& e = c.edge;
    uint32_t id = static_cast<uint32_t>(mesh.nodeCount());
    mesh.rest.push_back(glm::mix(mesh.rest[e[0]], mesh.rest[e[1]], c.t));
    if (!mesh.clothCoords.empty())
      mesh.clothCoords.push_back(glm::mix(mesh.clothCoords[e[0]], mesh.clothCoords[e[1]], c.t));
    x.push_back(glm::mix(x[e[0]], x[e[1]], c.t));
    v.push_back(glm::mix(v[e[0]], v[e[1]], c.t));
    mesh.fixed.push_back(0);
    result.newNodeParents.push_back(e);
    return id;
  };
  // One copy of each crossing per side of the blade that made it; `positive` is the side.
  auto nodeFor = [&](Crossing& c, bool positive) {
    uint32_t& id = positive ? c.node : c.twin;
    if (id == kInvalidIndex) id = createNode(c);
    return id;
  };
  auto sideOf = [](const Crossing& c, const Vec3& p) {
    return glm::dot(glm::dvec3(p) - c.center, c.normal) >= 0.0;
  };
  auto key = [](uint32_t a, uint32_t b) { return EdgeKey{std::min(a, b), std::max(a, b)}; };

  if (!mesh.tets.empty()) {
    // A shared node (see splitTets) is the crossing's `node`; its twin, made when the cut
    // has gone all round the edge, starts where the node is now.
    auto twinOf = [&](Crossing& c) {
      if (c.twin == kInvalidIndex) {
        c.twin = createNode(c);
        x.back() = x[c.node];
        v.back() = v[c.node];
      }
      return c.twin;
    };
    splitTets(mesh, x, crossing, fresh, nodeFor, sideOf, twinOf, result.tetOrigin);
  } else {
    // 2. Split the triangles this blade crosses.
    std::vector<std::array<uint32_t, 3>> out;
    out.reserve(mesh.triangles.size() + 2 * fresh.size());
    for (const auto& tri : mesh.triangles) {
      if (!touches(tri)) {
        out.push_back(tri);
        continue;
      }
      std::array<Crossing*, 3> m{};
      int cuts = 0, freshCuts = 0;
      for (size_t k = 0; k < 3; ++k) {
        EdgeKey e = key(tri[k], tri[(k + 1) % 3]);
        auto it = crossing.find(e);
        if (it == crossing.end()) continue;
        m[k] = &it->second;
        ++cuts;
        if (fresh.count(e)) ++freshCuts;
      }
      // One crossing: a crack tip, whole for now. Two or three, none from this blade: the tips
      // of two earlier strokes end in this face, and the crack joins them through it.
      if (cuts == 1 || (freshCuts == 0 && cuts == 0)) {
        out.push_back(tri);
        continue;
      }
      // Three crossings: two cracks meet in this face (one stroke's tip and the next's, or a
      // curved stroke). Every corner is cut off; the sliver between the cracks goes, so
      // neither crack is left bridged.
      if (cuts == 3) {
        for (size_t k = 0; k < 3; ++k) {
          const uint32_t a = tri[k];
          Crossing& next = *m[k];            // edge (k, k+1)
          Crossing& prev = *m[(k + 2) % 3];  // edge (k+2, k)
          out.push_back({a, nodeFor(next, sideOf(next, x[a])), nodeFor(prev, sideOf(prev, x[a]))});
        }
        continue;
      }
      size_t r = 0;
      while (!(m[r] && m[(r + 2) % 3])) ++r;
      uint32_t a = tri[r], b = tri[(r + 1) % 3], c = tri[(r + 2) % 3];
      Crossing& cab = *m[r];
      Crossing& cca = *m[(r + 2) % 3];
      // The chord from one crossing to the other cuts vertex a off. The corner face takes the
      // copies on a's side of each crossing's blade, the other two faces the opposite copies,
      // so neighbours that share a crossing agree on which copy belongs to which side.
      bool abSide = sideOf(cab, x[a]);
      bool caSide = sideOf(cca, x[a]);
      out.push_back({a, nodeFor(cab, abSide), nodeFor(cca, caSide)});
      out.push_back({nodeFor(cab, !abSide), b, c});
      out.push_back({nodeFor(cab, !abSide), c, nodeFor(cca, !caSide)});
    }
    mesh.triangles = std::move(out);
  }

  // 3. Crossings whose edge is still whole somewhere stay pending for the next cut.
  // (Only a face or tet with both ends of a crossed edge can have it.)
  std::map<EdgeKey, bool> whole;
  auto wholeEdges = [&](const auto& cells) {
    for (const auto& cell : cells) {
      if (!touches(cell)) continue;
      for (size_t i = 0; i < cell.size(); ++i) {
        for (size_t j = i + 1; j < cell.size(); ++j)
          whole[{std::min(cell[i], cell[j]), std::max(cell[i], cell[j])}] = true;
      }
    }
  };
  if (mesh.tets.empty())
    wholeEdges(mesh.triangles);
  else
    wholeEdges(mesh.tets);
  mesh.pending.clear();
  for (const auto& [e, c] : crossing) {
    if (whole.count(e)) mesh.pending.push_back(c);
  }

  // 4. The cut path: crossings ordered along the quad's first edge direction.
  glm::dvec3 axis = glm::normalize(glm::dvec3(quad[1] - quad[0]));
  std::sort(result.path.begin(), result.path.end(), [&](const Vec3& p, const Vec3& q) {
    return glm::dot(glm::dvec3(p), axis) < glm::dot(glm::dvec3(q), axis);
  });
  if (mesh.tets.empty()) {
    for (size_t i = 1; i < result.path.size(); ++i)
      result.length += glm::length(result.path[i] - result.path[i - 1]);
  } else if (!result.path.empty()) {
    // A volume cut is a surface: its length is its extent along the blade.
    result.length = static_cast<float>(glm::dot(glm::dvec3(result.path.back() - result.path.front()), axis));
  }
  return result;
}

}  // namespace trocar::physics::detail
