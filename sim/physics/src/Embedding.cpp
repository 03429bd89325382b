// An anatomy pack's detailed surface through cuts: split where the blade crosses it, each
// vertex re-embedded in the piece of its tet that holds it (Embedding.h).
#include "Embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace trocar::physics::detail {
namespace {

// Barycentric coordinates of p in the tet with corners v; false for a degenerate tet.
bool barycentric(const glm::dvec3& p, const std::array<glm::dvec3, 4>& v, std::array<double, 4>& w) {
  const glm::dmat3 m(v[1] - v[0], v[2] - v[0], v[3] - v[0]);
  if (std::abs(glm::determinant(m)) < 1e-30) return false;
  const glm::dvec3 l = glm::inverse(m) * (p - v[0]);
  w = {1.0 - l.x - l.y - l.z, l.x, l.y, l.z};
  return true;
}

std::array<glm::dvec3, 4> corners(const TissueMesh& volume, const std::vector<Vec3>& x, uint32_t tet) {
  std::array<glm::dvec3, 4> v;
  for (size_t k = 0; k < 4; ++k) v[k] = glm::dvec3(x[volume.tets[tet][k]]);
  return v;
}

// The tet that holds a point best: the largest smallest barycentric coordinate (> 0 inside).
struct Located {
  uint32_t tet = kInvalidIndex;
  double inside = -std::numeric_limits<double>::infinity();
};

void consider(const TissueMesh& volume, const std::vector<Vec3>& x, uint32_t tet, const glm::dvec3& p,
              Located& best) {
  std::array<double, 4> w{};
  if (!barycentric(p, corners(volume, x, tet), w)) return;
  const double inside = std::min({w[0], w[1], w[2], w[3]});
  if (inside > best.inside) best = {tet, inside};
}

// Every tet, for a point that none of its likely tets holds.
Located locateAnywhere(const TissueMesh& volume, const std::vector<Vec3>& x, const glm::dvec3& p) {
  Located best;
  for (uint32_t t = 0; t < volume.tets.size(); ++t) consider(volume, x, t, p, best);
  return best;
}

// Embeds vertex v at p in `tet`.
void place(Embedding& e, const TissueMesh& volume, const std::vector<Vec3>& x, uint32_t v, uint32_t tet,
           const glm::dvec3& p) {
  std::array<double, 4> w{};
  if (!barycentric(p, corners(volume, x, tet), w)) return;
  e.tet[v] = tet;
  for (size_t k = 0; k < 4; ++k) {
    e.surface.nodes[v][k] = volume.tets[tet][k];
    e.surface.weights[v][k] = static_cast<float>(w[k]);
  }
}

}  // namespace

Embedding makeEmbedding(const EmbeddedSurface& surface, const TissueMesh& volume) {
  Embedding e;
  e.surface = surface;
  const size_t n = surface.nodes.size();
  e.tet.assign(n, kInvalidIndex);
  e.cut.assign(n, 0);
  e.mesh.kind = TissueKind::kSurface;
  e.mesh.rest.resize(n);
  e.mesh.fixed.assign(n, 0);
  e.mesh.originalNodeCount = static_cast<uint32_t>(n);
  for (size_t i = 0; i + 2 < surface.indices.size(); i += 3)
    e.mesh.triangles.push_back({surface.indices[i], surface.indices[i + 1], surface.indices[i + 2]});
  std::map<std::array<uint32_t, 4>, uint32_t> byNodes;
  for (uint32_t t = 0; t < volume.tets.size(); ++t) {
    std::array<uint32_t, 4> key = volume.tets[t];
    std::sort(key.begin(), key.end());
    byNodes.emplace(key, t);
  }
  for (uint32_t v = 0; v < n; ++v) {
    Vec3 rest(0.0f);
    for (size_t k = 0; k < 4; ++k) rest += surface.weights[v][k] * volume.rest[surface.nodes[v][k]];
    e.mesh.rest[v] = rest;
    std::array<uint32_t, 4> key = surface.nodes[v];
    std::sort(key.begin(), key.end());
    auto it = byNodes.find(key);
    if (it != byNodes.end()) {
      e.tet[v] = it->second;
      continue;
    }
    // Weights against nodes that are not one of our tets: embed the rest position afresh.
    const Located at = locateAnywhere(volume, volume.rest, glm::dvec3(rest));
    if (at.tet != kInvalidIndex) place(e, volume, volume.rest, v, at.tet, glm::dvec3(rest));
  }
  return e;
}

void embeddedPositions(const Embedding& e, const std::vector<Vec3>& x, std::vector<Vec3>& out) {
  const size_t n = e.surface.nodes.size();
  out.resize(n);
  for (size_t v = 0; v < n; ++v) {
    Vec3 p(0.0f);
    for (size_t k = 0; k < 4; ++k) p += e.surface.weights[v][k] * x[e.surface.nodes[v][k]];
    out[v] = p;
  }
}

CutResult cutEmbedding(Embedding& e, std::vector<Vec3>& positions, const std::array<Vec3, 4>& quad,
                       const std::vector<uint32_t>& candidates) {
  std::vector<Vec3> velocities(positions.size(), Vec3(0.0f));
  return cutMesh(e.mesh, {&positions, &velocities}, quad, &candidates);
}

void reembed(Embedding& e, const TissueMesh& volume, const std::vector<Vec3>& x,
             const std::vector<Vec3>& positions, uint32_t firstNew, const CutResult& surfaceCut,
             const std::vector<uint32_t>& tetOrigin, size_t tetsBefore) {
  const uint32_t total = static_cast<uint32_t>(e.mesh.nodeCount());
  e.surface.nodes.resize(total);
  e.surface.weights.resize(total);
  e.tet.resize(total, kInvalidIndex);
  e.cut.resize(total, 1);
  e.surface.indices.clear();
  e.surface.indices.reserve(e.mesh.triangles.size() * 3);
  for (const auto& f : e.mesh.triangles)
    e.surface.indices.insert(e.surface.indices.end(), f.begin(), f.end());

  // The pieces each tet before the cut became (itself, if the tets did not change).
  const bool split = !tetOrigin.empty();
  std::vector<std::vector<uint32_t>> pieces;
  if (split) {
    pieces.resize(tetsBefore);
    for (uint32_t t = 0; t < tetOrigin.size(); ++t) pieces[tetOrigin[t]].push_back(t);
  }
  auto considerPieces = [&](uint32_t old, const glm::dvec3& p, Located& best) {
    if (old == kInvalidIndex) return;
    if (!split) {
      consider(volume, x, old, p, best);
      return;
    }
    for (uint32_t t : pieces[old]) consider(volume, x, t, p, best);
  };
  // A vertex on a cut lies on the face between the pieces on both sides of the blade; it is
  // found a hair (10 um) towards its own side: towards the middle of a triangle it belongs to.
  std::vector<uint32_t> incident(total, kInvalidIndex);
  for (uint32_t f = 0; f < e.mesh.triangles.size(); ++f) {
    for (uint32_t v : e.mesh.triangles[f]) {
      if (e.cut[v] && incident[v] == kInvalidIndex) incident[v] = f;
    }
  }
  auto probe = [&](uint32_t v) {
    const glm::dvec3 p(positions[v]);
    if (incident[v] == kInvalidIndex) return p;
    glm::dvec3 mid(0.0);
    for (uint32_t u : e.mesh.triangles[incident[v]]) mid += glm::dvec3(positions[u]) / 3.0;
    const double d = glm::length(mid - p);
    return d > 0.0 ? p + (mid - p) * (1e-5 / d) : p;
  };

  // 1. The blade's new vertices, in the pieces of their parents' tets (numbered as before).
  for (uint32_t v = firstNew; v < total; ++v) {
    const auto& parents = surfaceCut.newNodeParents[v - firstNew];
    const glm::dvec3 q = probe(v);
    Located best;
    considerPieces(e.tet[parents[0]], q, best);
    considerPieces(e.tet[parents[1]], q, best);
    if (best.inside < -1e-3) {
      const Located anywhere = locateAnywhere(volume, x, q);
      if (anywhere.inside > best.inside) best = anywhere;
    }
    if (best.tet == kInvalidIndex) {  // no tet at all: ride with a parent
      e.tet[v] = e.tet[parents[0]];
      e.surface.nodes[v] = e.surface.nodes[parents[0]];
      e.surface.weights[v] = e.surface.weights[parents[0]];
      continue;
    }
    place(e, volume, x, v, best.tet, glm::dvec3(positions[v]));
  }
  if (!split) return;
  // 2. Every other vertex of a split tet, into the piece that holds it.
  for (uint32_t v = 0; v < firstNew; ++v) {
    const uint32_t old = e.tet[v];
    if (old == kInvalidIndex) continue;
    if (pieces[old].size() == 1) {  // the same tet, renumbered: weights unchanged
      const uint32_t t = pieces[old][0];
      e.tet[v] = t;
      // unless a node of it was handed to its twin (a crack that has gone all round)
      std::array<uint32_t, 4> now = volume.tets[t], was = e.surface.nodes[v];
      std::sort(now.begin(), now.end());
      std::sort(was.begin(), was.end());
      if (now != was) place(e, volume, x, v, t, glm::dvec3(positions[v]));
      continue;
    }
    Located best;
    considerPieces(old, probe(v), best);
    if (best.tet == kInvalidIndex) best = locateAnywhere(volume, x, probe(v));  // its tet was a sliver
    if (best.tet != kInvalidIndex) place(e, volume, x, v, best.tet, glm::dvec3(positions[v]));
  }
}

}  // namespace trocar::physics::detail
