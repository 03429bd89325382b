// Quadric-error edge collapse (Garland and Heckbert 1997) that keeps a closed surface
// closed and 2-manifold, so thin structures (a skull's two sheets a few millimetres apart)
// can be decimated to any budget without pinching.
//
// Why not meshoptimizer here: its collapses are checked for geometry only, so two sheets
// close together end up sharing an edge (four faces on it); backing off then leaves the
// skull several times over its budget. An edge collapse keeps a manifold a manifold
// exactly when the link condition holds (Dey et al. 1999): the vertices next to both ends
// are only the two opposite the edge. We check that, refuse collapses that would turn a
// face over, and leave edges that are not between exactly two faces alone.
#include <trocar/assets/Anatomy.h>

#include <glm/geometric.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <queue>
#include <unordered_map>

namespace trocar::assets {
namespace {

// The squared distance to a set of planes as x^T A x + 2 b.x + c (A symmetric: 6 terms).
struct Quadric {
  double a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0;
  double b0 = 0, b1 = 0, b2 = 0, c = 0;

  static Quadric plane(const glm::dvec3& n, double d, double weight) {
    Quadric q;
    q.a00 = weight * n.x * n.x;
    q.a01 = weight * n.x * n.y;
    q.a02 = weight * n.x * n.z;
    q.a11 = weight * n.y * n.y;
    q.a12 = weight * n.y * n.z;
    q.a22 = weight * n.z * n.z;
    q.b0 = weight * n.x * d;
    q.b1 = weight * n.y * d;
    q.b2 = weight * n.z * d;
    q.c = weight * d * d;
    return q;
  }
  Quadric& operator+=(const Quadric& o) {
    a00 += o.a00, a01 += o.a01, a02 += o.a02, a11 += o.a11, a12 += o.a12, a22 += o.a22;
    b0 += o.b0, b1 += o.b1, b2 += o.b2, c += o.c;
    return *this;
  }
  double error(const glm::dvec3& p) const {
    return a00 * p.x * p.x + 2 * a01 * p.x * p.y + 2 * a02 * p.x * p.z + a11 * p.y * p.y +
           2 * a12 * p.y * p.z + a22 * p.z * p.z + 2 * (b0 * p.x + b1 * p.y + b2 * p.z) + c;
  }
  // The point of least error, when A is well conditioned (Cramer's rule).
  bool minimum(glm::dvec3& p) const {
    const double det =
        a00 * (a11 * a22 - a12 * a12) - a01 * (a01 * a22 - a12 * a02) + a02 * (a01 * a12 - a11 * a02);
    const double scale = a00 + a11 + a22;
    if (!(std::fabs(det) > 1e-9 * scale * scale * scale)) return false;
    const double i00 = a11 * a22 - a12 * a12, i01 = a02 * a12 - a01 * a22, i02 = a01 * a12 - a02 * a11;
    const double i11 = a00 * a22 - a02 * a02, i12 = a01 * a02 - a00 * a12, i22 = a00 * a11 - a01 * a01;
    p = -glm::dvec3(i00 * b0 + i01 * b1 + i02 * b2, i01 * b0 + i11 * b1 + i12 * b2,
                    i02 * b0 + i12 * b1 + i22 * b2) /
        det;
    return true;
  }
};

struct Candidate {
  double cost;
  uint32_t a, b;
  uint32_t stampA, stampB;  // the ends' stamps when costed; stale when either moved on
  glm::dvec3 at;            // where the merged vertex goes (valid while the stamps are)
  bool operator>(const Candidate& o) const {
    if (cost != o.cost) return cost > o.cost;
    if (a != o.a) return a > o.a;
    return b > o.b;
  }
};

class Decimator {
 public:
  explicit Decimator(SurfaceMesh& mesh) : mMesh(mesh) {
    const size_t nv = mesh.positions.size(), nf = mesh.triangleCount();
    mPos.resize(nv);
    for (size_t i = 0; i < nv; ++i) mPos[i] = glm::dvec3(mesh.positions[i]);
    mFaces.assign(mesh.indices.begin(), mesh.indices.end());
    mAlive.assign(nf, 1);
    mAround.resize(nv);
    mQuadric.resize(nv);
    mStamp.assign(nv, 0);
    mRemoved.assign(nv, 0);
    mLocked.assign(nv, 0);
    mLiveFaces = nf;
    for (uint32_t f = 0; f < nf; ++f) {
      for (int k = 0; k < 3; ++k) mAround[mFaces[3 * f + static_cast<uint32_t>(k)]].push_back(f);
      const glm::dvec3 p = mPos[mFaces[3 * f]];
      const glm::dvec3 n2 = glm::cross(mPos[mFaces[3 * f + 1]] - p, mPos[mFaces[3 * f + 2]] - p);
      const double twiceArea = glm::length(n2);
      if (twiceArea <= 0.0) continue;
      const glm::dvec3 n = n2 / twiceArea;
      // Area-weighted, so big flat faces hold their plane harder than slivers.
      const Quadric q = Quadric::plane(n, -glm::dot(n, p), 0.5 * twiceArea);
      for (int k = 0; k < 3; ++k) mQuadric[mFaces[3 * f + static_cast<uint32_t>(k)]] += q;
    }
    // Ends of edges not between exactly two faces (holes, fins) never move.
    std::unordered_map<uint64_t, int> count;
    for (uint32_t f = 0; f < nf; ++f) {
      for (int k = 0; k < 3; ++k)
        ++count[key(mFaces[3 * f + static_cast<uint32_t>(k)],
                    mFaces[3 * f + static_cast<uint32_t>((k + 1) % 3)])];
    }
    for (const auto& [e, n] : count) {
      if (n != 2) mLocked[e >> 32] = mLocked[e & 0xffffffffu] = 1;
    }
    for (const auto& [e, n] : count) {
      if (n == 2) push(static_cast<uint32_t>(e >> 32), static_cast<uint32_t>(e & 0xffffffffu));
    }
  }

  void run(size_t targetTriangles) {
    for (;;) {
      const size_t before = mLiveFaces;
      while (mLiveFaces > targetTriangles && !mHeap.empty()) {
        const Candidate c = mHeap.top();
        mHeap.pop();
        if (mRemoved[c.a] || mRemoved[c.b] || mStamp[c.a] != c.stampA || mStamp[c.b] != c.stampB) continue;
        if (collapsible(c.a, c.b, c.at)) collapse(c.a, c.b, c.at);
      }
      if (mLiveFaces <= targetTriangles || mLiveFaces == before) break;
      refill();
    }
    write();
  }

 private:
  static uint64_t key(uint32_t a, uint32_t b) {
    return (static_cast<uint64_t>(std::min(a, b)) << 32) | std::max(a, b);
  }

  // Where the merged vertex goes: the quadric's minimum if it lies near the edge, else the
  // better of the ends and the midpoint.
  void place(uint32_t a, uint32_t b, glm::dvec3& at) const {
    Quadric q = mQuadric[a];
    q += mQuadric[b];
    const glm::dvec3 mid = 0.5 * (mPos[a] + mPos[b]);
    const double len = glm::length(mPos[a] - mPos[b]);
    if (q.minimum(at) && glm::length(at - mid) <= len) return;
    at = mid;
    double best = q.error(mid);
    for (const glm::dvec3& p : {mPos[a], mPos[b]}) {
      const double e = q.error(p);
      if (e < best) best = e, at = p;
    }
  }

  void push(uint32_t a, uint32_t b) {
    if (mLocked[a] || mLocked[b]) return;
    const uint32_t lo = std::min(a, b), hi = std::max(a, b);
    glm::dvec3 at;
    place(lo, hi, at);
    Quadric q = mQuadric[lo];
    q += mQuadric[hi];
    // Cost is never negative in exact arithmetic; round-off can make it so.
    mHeap.push({std::max(0.0, q.error(at)), lo, hi, mStamp[lo], mStamp[hi], at});
  }

  void neighbours(uint32_t v, std::vector<uint32_t>& out) const {
    out.clear();
    for (uint32_t f : mAround[v]) {
      if (!mAlive[f]) continue;
      for (int k = 0; k < 3; ++k) {
        const uint32_t w = mFaces[3 * f + static_cast<uint32_t>(k)];
        if (w != v) out.push_back(w);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }

  bool collapsible(uint32_t a, uint32_t b, const glm::dvec3& at) {
    // The faces on the edge, and their third vertices.
    uint32_t opposite[2];
    int onEdge = 0;
    for (uint32_t f : mAround[a]) {
      if (!mAlive[f]) continue;
      const uint32_t* t = &mFaces[3 * f];
      if (t[0] != b && t[1] != b && t[2] != b) continue;
      if (onEdge == 2) return false;
      opposite[onEdge++] = t[0] != a && t[0] != b ? t[0] : t[1] != a && t[1] != b ? t[1] : t[2];
    }
    if (onEdge != 2 || opposite[0] == opposite[1]) return false;
    // Link condition: the only common neighbours are the two opposite vertices.
    neighbours(a, mNa);
    neighbours(b, mNb);
    size_t common = 0;
    for (size_t i = 0, j = 0; i < mNa.size() && j < mNb.size();) {
      if (mNa[i] < mNb[j]) {
        ++i;
      } else if (mNb[j] < mNa[i]) {
        ++j;
      } else {
        if (mNa[i] != opposite[0] && mNa[i] != opposite[1]) return false;
        ++common, ++i, ++j;
      }
    }
    if (common != 2) return false;
    // A closed surface of fewer than four vertices is no surface: keep tetrahedra whole (the
    // opposite vertices would be left on two faces only).
    for (uint32_t o : opposite) {
      neighbours(o, mNo);
      if (mNo.size() <= 3) return false;
    }
    // No face round either end may turn over or fold to a sliver.
    for (uint32_t v : {a, b}) {
      for (uint32_t f : mAround[v]) {
        if (!mAlive[f]) continue;
        const uint32_t* t = &mFaces[3 * f];
        if ((t[0] == a || t[1] == a || t[2] == a) && (t[0] == b || t[1] == b || t[2] == b)) continue;
        glm::dvec3 p[3], q[3];
        for (int k = 0; k < 3; ++k) {
          p[k] = mPos[t[k]];
          q[k] = t[k] == v ? at : p[k];
        }
        const glm::dvec3 before = glm::cross(p[1] - p[0], p[2] - p[0]);
        const glm::dvec3 after = glm::cross(q[1] - q[0], q[2] - q[0]);
        const double lb = glm::length(before), la = glm::length(after);
        if (la <= 0.0 || glm::dot(before, after) < 0.3 * lb * la) return false;
      }
    }
    return true;
  }

  void collapse(uint32_t a, uint32_t b, const glm::dvec3& at) {
    mPos[a] = at;
    mQuadric[a] += mQuadric[b];
    for (uint32_t f : mAround[b]) {
      if (!mAlive[f]) continue;
      uint32_t* t = &mFaces[3 * f];
      if (t[0] == a || t[1] == a || t[2] == a) {
        mAlive[f] = 0;
        --mLiveFaces;
        continue;
      }
      for (int k = 0; k < 3; ++k) {
        if (t[k] == b) t[k] = a;
      }
      mAround[a].push_back(f);
    }
    mRemoved[b] = 1;
    mAround[b].clear();
    auto& fa = mAround[a];
    fa.erase(std::remove_if(fa.begin(), fa.end(), [&](uint32_t f) { return !mAlive[f]; }), fa.end());
    // Only the edges at a change cost (the other quadrics and positions are as they were);
    // the stamp makes a's old entries stale.
    ++mStamp[a];
    neighbours(a, mNa);
    const std::vector<uint32_t> ring = mNa;
    for (uint32_t w : ring) push(a, w);
  }

  // Edges refused earlier can become collapsible once their neighbourhood changed: cost
  // every live edge again.
  void refill() {
    mHeap = {};
    for (size_t f = 0; f < mAlive.size(); ++f) {
      if (!mAlive[f]) continue;
      for (int k = 0; k < 3; ++k) {
        const uint32_t a = mFaces[3 * f + static_cast<size_t>(k)],
                       b = mFaces[3 * f + static_cast<size_t>((k + 1) % 3)];
        if (a < b) push(a, b);  // each interior edge once (the other face has it as b, a)
      }
    }
  }

  void write() {
    std::vector<uint32_t> remap(mPos.size(), UINT32_MAX);
    std::vector<glm::vec3> positions;
    std::vector<uint32_t> indices;
    for (size_t f = 0; f < mAlive.size(); ++f) {
      if (!mAlive[f]) continue;
      for (int k = 0; k < 3; ++k) {
        const uint32_t v = mFaces[3 * f + static_cast<size_t>(k)];
        if (remap[v] == UINT32_MAX) {
          remap[v] = static_cast<uint32_t>(positions.size());
          positions.push_back(glm::vec3(mPos[v]));
        }
        indices.push_back(remap[v]);
      }
    }
    mMesh.positions = std::move(positions);
    mMesh.indices = std::move(indices);
    computeNormals(mMesh);
  }

  SurfaceMesh& mMesh;
  std::vector<glm::dvec3> mPos;
  std::vector<uint32_t> mFaces;
  std::vector<uint8_t> mAlive;
  std::vector<std::vector<uint32_t>> mAround;
  std::vector<Quadric> mQuadric;
  std::vector<uint32_t> mStamp;
  std::vector<uint8_t> mRemoved, mLocked;
  size_t mLiveFaces = 0;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> mHeap;
  std::vector<uint32_t> mNa, mNb, mNo;  // scratch
};

}  // namespace

void decimate(SurfaceMesh& mesh, size_t targetTriangles) {
  if (mesh.triangleCount() <= targetTriangles || mesh.positions.empty()) return;
  Decimator(mesh).run(targetTriangles);
}

}  // namespace trocar::assets
