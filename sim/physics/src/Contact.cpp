#include "Contact.h"

#include <trocar/physics/Generators.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace trocar::physics::detail {

bool rayHitsTriangle(const btVector3& origin, const btVector3& direction, const btVector3& p0,
                     const btVector3& p1, const btVector3& p2, btScalar edgeTolerance, btScalar maxT,
                     btScalar* t, btVector3* bary) {
  // Moller-Trumbore.
  const btVector3 e1 = p1 - p0, e2 = p2 - p0;
  const btVector3 h = direction.cross(e2);
  const btScalar det = e1.dot(h);
  if (std::abs(det) < 1e-18f) return false;
  const btScalar inv = 1 / det;
  const btVector3 s = origin - p0;
  const btScalar u = s.dot(h) * inv;
  if (u < -edgeTolerance || u > 1 + edgeTolerance) return false;
  const btVector3 q = s.cross(e1);
  const btScalar v = direction.dot(q) * inv;
  if (v < -edgeTolerance || u + v > 1 + edgeTolerance) return false;
  const btScalar tt = e2.dot(q) * inv;
  if (tt < 0 || tt > maxT) return false;
  *t = tt;
  *bary = btVector3(1 - u - v, u, v);
  return true;
}

namespace {

btVector3 minOf(const btVector3& a, const btVector3& b) {
  return {std::min(a.x(), b.x()), std::min(a.y(), b.y()), std::min(a.z(), b.z())};
}
btVector3 maxOf(const btVector3& a, const btVector3& b) {
  return {std::max(a.x(), b.x()), std::max(a.y(), b.y()), std::max(a.z(), b.z())};
}
bool overlaps(const btVector3& alo, const btVector3& ahi, const btVector3& blo, const btVector3& bhi) {
  return alo.x() <= bhi.x() && blo.x() <= ahi.x() && alo.y() <= bhi.y() && blo.y() <= ahi.y() &&
         alo.z() <= bhi.z() && blo.z() <= ahi.z();
}

// Closest points of segments p1-q1 and p2-q2 (Ericson, Real-Time Collision Detection 5.1.9).
btScalar closestSegmentSegment(const btVector3& p1, const btVector3& q1, const btVector3& p2,
                               const btVector3& q2, btScalar* s, btScalar* t, btVector3* c1, btVector3* c2) {
  const btScalar eps = 1e-12f;
  const btVector3 d1 = q1 - p1, d2 = q2 - p2, r = p1 - p2;
  const btScalar a = d1.dot(d1), e = d2.dot(d2), f = d2.dot(r);
  if (a <= eps && e <= eps) {
    *s = *t = 0;
  } else if (a <= eps) {
    *s = 0;
    *t = std::clamp(f / e, btScalar(0), btScalar(1));
  } else {
    const btScalar c = d1.dot(r);
    if (e <= eps) {
      *t = 0;
      *s = std::clamp(-c / a, btScalar(0), btScalar(1));
    } else {
      const btScalar b = d1.dot(d2), denom = a * e - b * b;
      *s = denom > eps ? std::clamp((b * f - c * e) / denom, btScalar(0), btScalar(1)) : 0;
      *t = (b * *s + f) / e;
      if (*t < 0) {
        *t = 0;
        *s = std::clamp(-c / a, btScalar(0), btScalar(1));
      } else if (*t > 1) {
        *t = 1;
        *s = std::clamp((b - c) / a, btScalar(0), btScalar(1));
      }
    }
  }
  *c1 = p1 + d1 * *s;
  *c2 = p2 + d2 * *t;
  return (*c1 - *c2).length2();
}

// Where segment a-b crosses the triangle's interior, if it does.
bool segmentCrossesTriangle(const btVector3& a, const btVector3& b, const btVector3& p0, const btVector3& p1,
                            const btVector3& p2, btScalar* t, btVector3* bary) {
  return rayHitsTriangle(a, b - a, p0, p1, p2, 0, 1, t, bary);
}

// Barycentric coordinates of the projection of q onto the triangle's plane.
bool projectsInside(const btVector3& q, const btVector3& p0, const btVector3& p1, const btVector3& p2,
                    btVector3* bary) {
  const btVector3 v0 = p1 - p0, v1 = p2 - p0, v2 = q - p0;
  const btScalar d00 = v0.dot(v0), d01 = v0.dot(v1), d11 = v1.dot(v1), d20 = v2.dot(v0), d21 = v2.dot(v1);
  const btScalar denom = d00 * d11 - d01 * d01;
  if (denom <= 1e-24f) return false;
  const btScalar v = (d11 * d20 - d01 * d21) / denom;
  const btScalar w = (d00 * d21 - d01 * d20) / denom;
  const btScalar u = 1 - v - w;
  *bary = btVector3(u, v, w);
  return u >= 0 && v >= 0 && w >= 0;
}

}  // namespace

// ---- Instruments ----------------------------------------------------------------------

void instrumentCapsules(const instruments::InstrumentSpec& spec, float jawAngle, const btTransform& tip,
                        std::vector<Capsule>& out) {
  out.clear();
  const float r = spec.shaftRadius;
  const float hinge = spec.jawLength;
  if (spec.kind == instruments::InstrumentKind::kScalpel) {
    // The blade: 2.4 shaft radii deep, from the tip back to the hinge; it parts what it sweeps.
    out.push_back({tip * btVector3(0, 0, 0), tip * btVector3(0, 0, hinge), 1.2f * r, false});
    return;
  }
  // The distal shaft, from the hinge back: the part that meets tissue in a box trainer. Every
  // instrument's pushes tissue (but a cutting or clipping instrument's not the tissue its
  // blades or jaws are on: see World's contact stage).
  const float shaft = std::min(spec.shaftLength - hinge, 0.12f);
  const bool grasper = spec.kind == instruments::InstrumentKind::kGrasper;
  out.push_back({tip * btVector3(0, 0, hinge), tip * btVector3(0, 0, hinge + shaft), r, true});
  const bool scissors = spec.kind == instruments::InstrumentKind::kScissors;
  const float thickness = scissors ? 0.7f * r : r;
  const float width = scissors ? 0.8f * r : 1.6f * r;
  const float radius = 0.5f * thickness;
  const float side = std::max(0.0f, 0.5f * width - radius);
  // Only a grasper's blunt jaws push tissue: scissor blades and an open clip applier take
  // tissue between them (they cut or clip on closing).
  const bool resolve = grasper;
  for (int s = 0; s < 2; ++s) {
    const float sign = s == 0 ? 1.0f : -1.0f;
    const float th = sign * 0.5f * jawAngle;
    const float c = std::cos(th), sn = std::sin(th);
    // The jaw's centre line in the hinge frame before rotation: y = sign*thickness/2, z from
    // 0 (hinge) to -hinge (tip); rotated about X by th.
    auto at = [&](float x, float z) {
      const float y = sign * radius;
      return tip * btVector3(x, y * c - z * sn, hinge + y * sn + z * c);
    };
    const int lanes = side > 0.0f ? 2 : 1;
    for (int k = 0; k < lanes; ++k) {
      const float x = lanes == 1 ? 0.0f : (k == 0 ? -side : side);
      out.push_back({at(x, -hinge + radius), at(x, 0.0f), radius, resolve});
    }
  }
}

// ---- Surfaces -----------------------------------------------------------------------

ContactSurface surfaceOfMesh(const TissueMesh& mesh) {
  ContactSurface s;
  s.arity = 1;
  s.nodes.resize(mesh.nodeCount());
  s.weights.assign(mesh.nodeCount(), 1.0f);
  for (uint32_t i = 0; i < mesh.nodeCount(); ++i) s.nodes[i] = i;
  s.triangles = mesh.triangles;
  s.twoSided = mesh.kind == TissueKind::kCloth;
  s.halfThickness = s.twoSided ? kClothHalfThickness : 0.0f;
  return s;
}

ContactSurface surfaceOfEmbedding(const EmbeddedSurface& e) {
  ContactSurface s;
  s.arity = 4;
  const size_t n = e.nodes.size();
  s.nodes.resize(n * 4);
  s.weights.resize(n * 4);
  for (size_t v = 0; v < n; ++v) {
    for (size_t k = 0; k < 4; ++k) {
      s.nodes[v * 4 + k] = e.nodes[v][k];
      s.weights[v * 4 + k] = e.weights[v][k];
    }
  }
  for (size_t i = 0; i + 2 < e.indices.size(); i += 3)
    s.triangles.push_back({e.indices[i], e.indices[i + 1], e.indices[i + 2]});
  return s;
}

namespace {

constexpr size_t kPatchTriangles = 64;
constexpr size_t kPatchedSurfaceTriangles = 1024;  // smaller surfaces are scanned whole

btVector3 vertexPosition(const ContactSurface& s, const btSoftBody& body, size_t v) {
  btVector3 p(0, 0, 0);
  for (uint32_t k = 0; k < s.arity; ++k) {
    const size_t i = v * s.arity + k;
    p += body.m_nodes[static_cast<int>(s.nodes[i])].m_x * s.weights[i];
  }
  return p;
}

// 10 bits per axis, interleaved: nearby points get nearby codes.
uint32_t morton(const btVector3& p, const btVector3& lo, const btVector3& size) {
  uint32_t code = 0;
  uint32_t q[3];
  for (int a = 0; a < 3; ++a) {
    const btScalar f = size[a] > 0 ? (p[a] - lo[a]) / size[a] : 0;
    q[a] = static_cast<uint32_t>(std::clamp(f, btScalar(0), btScalar(1)) * 1023.0f);
  }
  for (int bit = 9; bit >= 0; --bit) {
    for (int a = 0; a < 3; ++a) code = (code << 1) | ((q[a] >> bit) & 1u);
  }
  return code;
}

// Groups the triangles of a refreshed surface into patches along a Morton curve.
void buildPatches(ContactSurface& s) {
  std::vector<std::pair<uint32_t, uint32_t>> order(s.triangles.size());
  const btVector3 size = s.hi - s.lo;
  for (uint32_t t = 0; t < s.triangles.size(); ++t) {
    const auto& tri = s.triangles[t];
    order[t] = {morton((s.x[tri[0]] + s.x[tri[1]] + s.x[tri[2]]) / 3, s.lo, size), t};
  }
  std::sort(order.begin(), order.end());
  for (size_t first = 0; first < order.size(); first += kPatchTriangles) {
    ContactSurface::Patch patch;
    for (size_t k = first; k < std::min(order.size(), first + kPatchTriangles); ++k) {
      patch.triangles.push_back(order[k].second);
      for (uint32_t v : s.triangles[order[k].second]) patch.vertices.push_back(v);
    }
    std::sort(patch.triangles.begin(), patch.triangles.end());
    std::sort(patch.vertices.begin(), patch.vertices.end());
    patch.vertices.erase(std::unique(patch.vertices.begin(), patch.vertices.end()), patch.vertices.end());
    for (uint32_t v : patch.vertices) {
      float sum = 0;
      for (uint32_t k = 0; k < s.arity; ++k) {
        sum += std::abs(s.weights[v * s.arity + k]);
        patch.nodes.push_back(s.nodes[v * s.arity + k]);
      }
      patch.spread = std::max(patch.spread, sum);
    }
    std::sort(patch.nodes.begin(), patch.nodes.end());
    patch.nodes.erase(std::unique(patch.nodes.begin(), patch.nodes.end()), patch.nodes.end());
    s.patches.push_back(std::move(patch));
  }
  s.fresh.assign(s.vertexCount(), s.refreshes);
}

// Exact bounds of a patch whose vertices are all up to date, and the nodes' positions now.
void anchorPatch(ContactSurface& s, ContactSurface::Patch& patch, const btSoftBody& body) {
  btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
  for (uint32_t v : patch.vertices) {
    lo = minOf(lo, s.x[v]);
    hi = maxOf(hi, s.x[v]);
  }
  patch.exactLo = patch.lo = lo;
  patch.exactHi = patch.hi = hi;
  patch.anchoredAt = s.refreshes;
  patch.anchor.resize(patch.nodes.size());
  for (size_t k = 0; k < patch.nodes.size(); ++k)
    patch.anchor[k] = body.m_nodes[static_cast<int>(patch.nodes[k])].m_x;
}

// Where a patch's vertices can be now: each is sum(w_k x_k), so it moved by at most
// sum|w_k| times the most any of its nodes moved (per axis) since the exact bounds; padded
// for rounding.
void patchBounds(ContactSurface::Patch& patch, const btSoftBody& body) {
  btVector3 moved(0, 0, 0);
  for (size_t k = 0; k < patch.nodes.size(); ++k) {
    const btVector3 d = (body.m_nodes[static_cast<int>(patch.nodes[k])].m_x - patch.anchor[k]).absolute();
    moved = maxOf(moved, d);
  }
  const btVector3 grow = moved * patch.spread + btVector3(1e-5f, 1e-5f, 1e-5f);
  patch.lo = patch.exactLo - grow;
  patch.hi = patch.exactHi + grow;
}

}  // namespace

void refresh(ContactSurface& s, const btSoftBody& body) {
  const size_t n = s.vertexCount();
  ++s.refreshes;
  if (!s.patches.empty()) {
    btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
    for (auto& patch : s.patches) {
      patchBounds(patch, body);
      lo = minOf(lo, patch.lo);
      hi = maxOf(hi, patch.hi);
    }
    s.lo = lo;
    s.hi = hi;
    return;
  }
  s.x.resize(n);
  btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
  for (size_t v = 0; v < n; ++v) {
    const btVector3 p = vertexPosition(s, body, v);
    s.x[v] = p;
    lo = minOf(lo, p);
    hi = maxOf(hi, p);
  }
  s.lo = lo;
  s.hi = hi;
  if (s.triangles.size() >= kPatchedSurfaceTriangles) {
    buildPatches(s);
    for (auto& patch : s.patches) anchorPatch(s, patch, body);
  }
}

namespace {

// near() with the patch test given: `reaches(patch)` says whether what is asked for can be in it.
template <typename Reaches>
std::span<const uint32_t> nearWhere(ContactSurface& s, const btSoftBody& body, bool vertices,
                                    const Reaches& reaches) {
  if (s.patches.empty()) {
    const size_t count = vertices ? s.vertexCount() : s.triangles.size();
    if (s.all.size() < count) {
      s.all.resize(count);
      for (uint32_t i = 0; i < count; ++i) s.all[i] = i;
    }
    return {s.all.data(), count};
  }
  const ContactSurface::Patch* only = nullptr;  // the one patch reached, while it is one
  size_t reached = 0;
  const size_t count = vertices ? s.vertexCount() : s.triangles.size();
  for (auto& patch : s.patches) {
    if (!reaches(patch)) continue;
    if (patch.anchoredAt != s.refreshes) {  // first reached this refresh
      for (uint32_t v : patch.vertices) {
        if (s.fresh[v] == s.refreshes) continue;
        s.x[v] = vertexPosition(s, body, v);
        s.fresh[v] = s.refreshes;
      }
      anchorPatch(s, patch, body);  // its bounds exact again
    }
    if (reached++ == 0) {
      only = &patch;
      s.bits.assign((count + 63) / 64, 0);
    }
    for (uint32_t i : vertices ? patch.vertices : patch.triangles) s.bits[i / 64] |= uint64_t{1} << (i % 64);
  }
  // Ascending, as a whole scan would visit them; vertices shared by patches once. One
  // patch's own list already is.
  if (reached == 1) return vertices ? only->vertices : only->triangles;
  s.scratch.clear();
  for (size_t w = 0; w < s.bits.size() && reached > 0; ++w) {
    for (uint64_t word = s.bits[w]; word != 0; word &= word - 1)
      s.scratch.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(word))));
  }
  return s.scratch;
}

btScalar segmentPointDistance2(const btVector3& a, const btVector3& b, const btVector3& p) {
  const btVector3 ab = b - a;
  const btScalar len2 = ab.length2();
  const btScalar t = len2 > 0 ? std::clamp((p - a).dot(ab) / len2, btScalar(0), btScalar(1)) : btScalar(0);
  return (a + ab * t - p).length2();
}

}  // namespace

std::span<const uint32_t> near(ContactSurface& s, const btSoftBody& body, const btVector3& lo,
                               const btVector3& hi, bool vertices) {
  return nearWhere(s, body, vertices,
                   [&](const ContactSurface::Patch& patch) { return overlaps(lo, hi, patch.lo, patch.hi); });
}

uint32_t nearestRayHit(ContactSurface& s, const btSoftBody& body, const btVector3& origin,
                       const btVector3& direction, btScalar* reach) {
  const btVector3 end = origin + direction * *reach;
  btVector3 lo = origin, hi = origin;
  lo.setMin(end);
  hi.setMax(end);
  uint32_t hit = kInvalidIndex;
  for (uint32_t f : near(s, body, lo, hi)) {
    const auto& tri = s.triangles[f];
    // Edges and corners count (a ray along a mirror plane of the mesh meets it there).
    btScalar at;
    btVector3 bary;
    if (!rayHitsTriangle(origin, direction, s.x[tri[0]], s.x[tri[1]], s.x[tri[2]], 1e-5f, *reach, &at, &bary))
      continue;
    *reach = at;
    hit = f;
  }
  return hit;
}

btVector3 SurfacePoint::position(const btSoftBody& body) const {
  btVector3 p(0, 0, 0);
  for (uint32_t k = 0; k < count; ++k) p += body.m_nodes[static_cast<int>(nodes[k])].m_x * weights[k];
  return p;
}

uint32_t SurfacePoint::heaviestNode() const {
  uint32_t best = 0;
  for (uint32_t k = 1; k < count; ++k) {
    if (weights[k] > weights[best]) best = k;
  }
  return nodes[best];
}

bool SurfacePoint::move(btSoftBody& body, const btVector3& delta) const {
  btScalar sum = 0;
  for (uint32_t k = 0; k < count; ++k)
    sum += weights[k] * weights[k] * body.m_nodes[static_cast<int>(nodes[k])].m_im;
  if (sum <= 0) return false;
  const btVector3 scaled = delta / sum;
  for (uint32_t k = 0; k < count; ++k) {
    btSoftBody::Node& n = body.m_nodes[static_cast<int>(nodes[k])];
    n.m_x += scaled * (weights[k] * n.m_im);
  }
  return true;
}

SurfacePoint surfacePoint(const ContactSurface& s, uint32_t triangle, const btVector3& bary) {
  SurfacePoint p;
  const auto& tri = s.triangles[triangle];
  for (int c = 0; c < 3; ++c) {
    const float b = static_cast<float>(bary[c]);
    if (b <= 0.0f) continue;
    for (uint32_t k = 0; k < s.arity; ++k) {
      const size_t i = tri[static_cast<size_t>(c)] * s.arity + k;
      const float w = b * s.weights[i];
      if (w <= 0.0f) continue;
      // Merge repeated nodes (neighbouring vertices often share a tet).
      uint32_t j = 0;
      while (j < p.count && p.nodes[j] != s.nodes[i]) ++j;
      if (j == p.count) {
        p.nodes[p.count] = s.nodes[i];
        p.weights[p.count] = 0.0f;
        ++p.count;
      }
      p.weights[j] += w;
    }
  }
  return p;
}

SurfacePoint vertexPoint(const ContactSurface& s, uint32_t vertex) {
  SurfacePoint p;
  for (uint32_t k = 0; k < s.arity; ++k) {
    const size_t i = vertex * s.arity + k;
    if (s.weights[i] <= 0.0f) continue;
    p.nodes[p.count] = s.nodes[i];
    p.weights[p.count] = s.weights[i];
    ++p.count;
  }
  return p;
}

// ---- Geometry ---------------------------------------------------------------------------

btVector3 closestPointOnTriangle(const btVector3& p, const btVector3& a, const btVector3& b,
                                 const btVector3& c, btVector3* bary) {
  // Ericson 5.1.5, with barycentric coordinates of the result.
  const btVector3 ab = b - a, ac = c - a, ap = p - a;
  const btScalar d1 = ab.dot(ap), d2 = ac.dot(ap);
  if (d1 <= 0 && d2 <= 0) {
    *bary = btVector3(1, 0, 0);
    return a;
  }
  const btVector3 bp = p - b;
  const btScalar d3 = ab.dot(bp), d4 = ac.dot(bp);
  if (d3 >= 0 && d4 <= d3) {
    *bary = btVector3(0, 1, 0);
    return b;
  }
  const btScalar vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    const btScalar v = d1 / (d1 - d3);
    *bary = btVector3(1 - v, v, 0);
    return a + ab * v;
  }
  const btVector3 cp = p - c;
  const btScalar d5 = ab.dot(cp), d6 = ac.dot(cp);
  if (d6 >= 0 && d5 <= d6) {
    *bary = btVector3(0, 0, 1);
    return c;
  }
  const btScalar vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    const btScalar w = d2 / (d2 - d6);
    *bary = btVector3(1 - w, 0, w);
    return a + ac * w;
  }
  const btScalar va = d3 * d6 - d5 * d4;
  if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) {
    const btScalar w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    *bary = btVector3(0, 1 - w, w);
    return b + (c - b) * w;
  }
  const btScalar denom = 1 / (va + vb + vc);
  const btScalar v = vb * denom, w = vc * denom;
  *bary = btVector3(1 - v - w, v, w);
  return a + ab * v + ac * w;
}

SegmentTriangle closestSegmentTriangle(const btVector3& a, const btVector3& b, const btVector3& p0,
                                       const btVector3& p1, const btVector3& p2) {
  SegmentTriangle best;
  btScalar t;
  btVector3 bary;
  if (segmentCrossesTriangle(a, b, p0, p1, p2, &t, &bary)) {
    best.distance = 0;
    best.t = t;
    best.onSegment = a + (b - a) * t;
    best.onTriangle = p0 * bary[0] + p1 * bary[1] + p2 * bary[2];
    best.bary = bary;
    return best;
  }
  btScalar bestD2 = 1e30f;
  auto consider = [&](btScalar d2, btScalar tt, const btVector3& onSeg, const btVector3& onTri,
                      const btVector3& br) {
    if (d2 < bestD2) {
      bestD2 = d2;
      best.t = tt;
      best.onSegment = onSeg;
      best.onTriangle = onTri;
      best.bary = br;
    }
  };
  for (int e = 0; e < 2; ++e) {
    const btVector3& q = e == 0 ? a : b;
    const btVector3 on = closestPointOnTriangle(q, p0, p1, p2, &bary);
    consider((q - on).length2(), btScalar(e), q, on, bary);
  }
  const btVector3* corners[3] = {&p0, &p1, &p2};
  for (int e = 0; e < 3; ++e) {
    const btVector3& u = *corners[e];
    const btVector3& v = *corners[(e + 1) % 3];
    btScalar s, tt;
    btVector3 c1, c2;
    const btScalar d2 = closestSegmentSegment(a, b, u, v, &s, &tt, &c1, &c2);
    btVector3 br(0, 0, 0);
    br[e] = 1 - tt;
    br[(e + 1) % 3] = tt;
    consider(d2, s, c1, c2, br);
  }
  best.distance = std::sqrt(bestD2);
  return best;
}

int8_t SideMemory::find(uint64_t k) const {
  auto it = std::lower_bound(sides.begin(), sides.end(), std::make_pair(k, int8_t{-128}));
  return it != sides.end() && it->first == k ? it->second : 0;
}

namespace {

// One capsule against one triangle (see findContacts).
void touchTriangle(const ContactSurface& s, uint32_t tissue, uint32_t capsule, uint32_t ti,
                   const Capsule& now, const Capsule& prev, float senseMargin, const SideMemory& memory,
                   std::vector<SurfaceContact>& out) {
  const float gap = now.radius + s.halfThickness;
  const float reach = gap + senseMargin;
  const btScalar motion = std::max((now.a - prev.a).length(), (now.b - prev.b).length());
  // How far behind a surface an end may be and still count as touching it from the front:
  // what it could have moved since the last tick (a fast tool crossed it), plus a margin.
  const btScalar maxDepth = gap + motion + 0.002f;
  const auto& tri = s.triangles[ti];
  const btVector3& p0 = s.x[tri[0]];
  const btVector3& p1 = s.x[tri[1]];
  const btVector3& p2 = s.x[tri[2]];
  btVector3 n = (p1 - p0).cross(p2 - p0);
  const btScalar area2 = n.length();
  if (area2 <= 1e-14f) return;
  n /= area2;
  // The side the tool is on: a closed surface is touched from outside; a sheet from the
  // side the capsule was on a tick ago (so a tool that crossed it since still pushes it).
  btVector3 side = n;
  const SegmentTriangle c = closestSegmentTriangle(now.a, now.b, p0, p1, p2);
  const btVector3 qPrev = prev.a + (prev.b - prev.a) * c.t;
  btScalar before = (qPrev - p0).dot(n);
  int8_t sideSign = 1;
  if (s.twoSided) {
    sideSign = memory.find(SideMemory::key(tissue, capsule, ti));
    if (sideSign == 0) {
      if (std::abs(before) < 1e-7f) before = (c.onSegment - c.onTriangle).dot(n);
      sideSign = before < 0 ? -1 : 1;
    }
    if (sideSign < 0) side = -n;
  } else if (before < -maxDepth) {
    return;  // the tool was already behind this face (the far side of a closed surface)
  }
  // The deepest end of the capsule over the triangle, if any.
  bool found = false;
  SurfaceContact contact;
  contact.tissue = tissue;
  contact.capsule = capsule;
  contact.triangle = ti;
  contact.side = sideSign;
  contact.gap = gap;
  contact.resolve = now.resolve;
  btScalar bestSep = 1e30f;
  for (int e = 0; e < 2; ++e) {
    const btVector3& q = e == 0 ? now.a : now.b;
    btVector3 bary;
    if (!projectsInside(q, p0, p1, p2, &bary)) continue;
    const btScalar sep = (q - p0).dot(side);
    if (sep >= reach || sep <= -maxDepth || sep >= bestSep) continue;
    bestSep = sep;
    contact.point = surfacePoint(s, ti, bary);
    contact.q = q;
    contact.normal = side;
    found = true;
  }
  if (!found) {
    if (c.distance >= reach) return;
    btVector3 normal = side;
    if (c.distance > 1e-7f) {
      const btVector3 dir = (c.onSegment - c.onTriangle) / c.distance;
      if (dir.dot(side) >= 0) {
        normal = dir;
      } else if (!s.twoSided && dir.dot(side) < -0.5f) {
        return;  // inside a closed surface
      }
    } else {
      // The axis passes through the face: push the face off the axis, toward its side.
      const btVector3 axis = (now.b - now.a).safeNormalize();
      btVector3 perp = side - axis * side.dot(axis);
      if (perp.length2() < 1e-8f) return;
      normal = perp.normalized();
    }
    contact.point = surfacePoint(s, ti, c.bary);
    contact.q = c.onSegment;
    contact.normal = normal;
  }
  if (contact.point.count == 0) return;
  out.push_back(contact);
}

}  // namespace

void findContacts(ContactSurface& s, const btSoftBody& body, uint32_t tissue, std::span<const Capsule> now,
                  std::span<const Capsule> prev, float senseMargin, const SideMemory& memory,
                  std::vector<SurfaceContact>& out) {
  // Each capsule's swept box, and their union: one pass over the triangles.
  std::vector<std::pair<btVector3, btVector3>> boxes(now.size());
  // How near to its axis now a triangle must come for touchTriangle to take it: within reach
  // in front, or as deep behind as an end may have gone since the last tick (plus 1 mm for
  // rounding). Triangles and patches whose bounding spheres stay farther are skipped: a
  // shaft lying across a sheet is near few of the triangles its box holds.
  std::vector<btScalar> within(now.size());
  btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
  for (size_t c = 0; c < now.size(); ++c) {
    const btScalar reach = now[c].radius + s.halfThickness + senseMargin;
    const btVector3 pad(reach, reach, reach);
    boxes[c].first = minOf(minOf(now[c].a, now[c].b), minOf(prev[c].a, prev[c].b)) - pad;
    boxes[c].second = maxOf(maxOf(now[c].a, now[c].b), maxOf(prev[c].a, prev[c].b)) + pad;
    lo = minOf(lo, boxes[c].first);
    hi = maxOf(hi, boxes[c].second);
    const btScalar motion = std::max((now[c].a - prev[c].a).length(), (now[c].b - prev[c].b).length());
    within[c] = now[c].radius + s.halfThickness + std::max(btScalar(senseMargin), motion + 0.002f) + 0.001f;
  }
  if (!overlaps(lo, hi, s.lo, s.hi)) return;
  auto nearAxis = [&](size_t c, const btVector3& centre, btScalar radius) {
    const btScalar r = radius + within[c];
    return segmentPointDistance2(now[c].a, now[c].b, centre) <= r * r;
  };
  const auto triangles = nearWhere(s, body, false, [&](const ContactSurface::Patch& patch) {
    if (!overlaps(lo, hi, patch.lo, patch.hi)) return false;
    const btVector3 centre = (patch.lo + patch.hi) * 0.5f;
    const btScalar radius = (patch.hi - patch.lo).length() * 0.5f;
    for (size_t c = 0; c < now.size(); ++c) {
      if (overlaps(boxes[c].first, boxes[c].second, patch.lo, patch.hi) && nearAxis(c, centre, radius))
        return true;
    }
    return false;
  });
  for (uint32_t ti : triangles) {
    const auto& tri = s.triangles[ti];
    const btVector3& p0 = s.x[tri[0]];
    const btVector3& p1 = s.x[tri[1]];
    const btVector3& p2 = s.x[tri[2]];
    const btVector3 tlo = minOf(minOf(p0, p1), p2), thi = maxOf(maxOf(p0, p1), p2);
    if (!overlaps(lo, hi, tlo, thi)) continue;
    btVector3 centre(0, 0, 0);
    btScalar radius = -1;  // the triangle's bounding sphere, once a capsule's box meets it
    for (size_t c = 0; c < now.size(); ++c) {
      if (!overlaps(boxes[c].first, boxes[c].second, tlo, thi)) continue;
      if (radius < 0) {
        centre = (p0 + p1 + p2) / 3;
        radius =
            std::sqrt(std::max({(p0 - centre).length2(), (p1 - centre).length2(), (p2 - centre).length2()}));
      }
      if (!nearAxis(c, centre, radius)) continue;
      touchTriangle(s, tissue, static_cast<uint32_t>(c), ti, now[c], prev[c], senseMargin, memory, out);
    }
  }
}

bool closestSurfacePoint(ContactSurface& s, const btSoftBody& body, const btVector3& q, float maxDistance,
                         SurfacePoint* point, btVector3* at, float* distance) {
  const btVector3 pad(maxDistance, maxDistance, maxDistance);
  if (!overlaps(q - pad, q + pad, s.lo, s.hi)) return false;
  btScalar best = static_cast<btScalar>(maxDistance) * maxDistance;
  bool found = false;
  for (uint32_t ti : near(s, body, q - pad, q + pad)) {
    const auto& tri = s.triangles[ti];
    const btVector3& p0 = s.x[tri[0]];
    const btVector3& p1 = s.x[tri[1]];
    const btVector3& p2 = s.x[tri[2]];
    if (!overlaps(q - pad, q + pad, minOf(minOf(p0, p1), p2), maxOf(maxOf(p0, p1), p2))) continue;
    btVector3 bary;
    const btVector3 on = closestPointOnTriangle(q, p0, p1, p2, &bary);
    const btScalar d2 = (q - on).length2();
    if (d2 <= best) {
      best = d2;
      *point = surfacePoint(s, ti, bary);
      *at = on;
      found = true;
    }
  }
  if (found) *distance = static_cast<float>(std::sqrt(best));
  return found && point->count > 0;
}

namespace {

btVector3 bt(const Vec3& v) {
  return {v.x, v.y, v.z};
}

// Inside a box of half extents h centred on the origin: out through the nearest face.
std::optional<ShapeDepth> insideBox(const btVector3& q, const btVector3& h) {
  ShapeDepth d;
  d.depth = 1e30f;
  for (int a = 0; a < 3; ++a) {
    const btScalar depth = h[a] - std::abs(q[a]);
    if (depth <= 0) return std::nullopt;
    if (depth < d.depth) {
      d.depth = depth;
      d.normal = btVector3(0, 0, 0);
      d.normal[a] = q[a] < 0 ? -1 : 1;
      d.on = q;
      d.on[a] = q[a] < 0 ? -h[a] : h[a];
    }
  }
  return d;
}

}  // namespace

std::optional<ShapeDepth> insideShape(RigidShape shape, const Vec3& h, const btTransform& pose,
                                      const btVector3& p) {
  const btVector3 q = pose.invXform(p);
  ShapeDepth d;
  switch (shape) {
    case RigidShape::kBox: return insideBox(q, btVector3(h.x, h.y, h.z));
    case RigidShape::kSphere: {
      const btScalar r = q.length();
      if (r >= h.x) return std::nullopt;
      d.depth = h.x - r;
      d.normal = r > 1e-9f ? q / r : btVector3(0, 1, 0);
      d.on = d.normal * h.x;
      return d;
    }
    case RigidShape::kCylinder: {
      const btScalar rho = std::sqrt(q.x() * q.x() + q.z() * q.z());
      const btScalar side = h.x - rho, cap = h.y - std::abs(q.y());
      if (side <= 0 || cap <= 0) return std::nullopt;
      if (cap < side) {
        d.depth = cap;
        d.normal = btVector3(0, q.y() < 0 ? -1 : 1, 0);
        d.on = btVector3(q.x(), q.y() < 0 ? -h.y : h.y, q.z());
      } else {
        d.depth = side;
        d.normal = rho > 1e-9f ? btVector3(q.x() / rho, 0, q.z() / rho) : btVector3(1, 0, 0);
        d.on = btVector3(d.normal.x() * h.x, q.y(), d.normal.z() * h.x);
      }
      return d;
    }
    case RigidShape::kTriangle: {
      // Inside a bar (the deepest, where the corners overlap), out through its nearest face.
      std::optional<ShapeDepth> deepest;
      for (const TriangleBar& bar : triangleBars(h)) {
        const btVector3 along = bt(bar.along), outward = bt(bar.outward), up(0, 1, 0);
        const btVector3 r = q - bt(bar.center);
        const btVector3 local(r.dot(along), r.y(), r.dot(outward));
        auto in = insideBox(local, btVector3(bar.halfLength, h.y, h.z));
        if (!in || (deepest && in->depth <= deepest->depth)) continue;
        const auto toObject = [&](const btVector3& v) {
          return along * v.x() + up * v.y() + outward * v.z();
        };
        in->normal = toObject(in->normal);
        in->on = bt(bar.center) + toObject(in->on);
        deepest = in;
      }
      return deepest;
    }
  }
  return std::nullopt;
}

}  // namespace trocar::physics::detail
