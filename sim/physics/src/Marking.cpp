#include "Marking.h"

#include "Contact.h"

#include <trocar/core/Math.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trocar::physics::detail {
namespace {

constexpr float kSpacing = 0.002f;  // m between the laid line's points, at most
constexpr float kReach = 0.02f;     // m: a corner or centre farther from the surface is an error

struct Nearest {
  Vec3 point{0.0f};
  Vec3 normal{0.0f, 1.0f, 0.0f};  // of the triangle it lies on, outward
  float distance = 0.0f;
};

btVector3 bt(const Vec3& v) {
  return {v.x, v.y, v.z};
}
Vec3 vec(const btVector3& v) {
  return {v.x(), v.y(), v.z()};
}

Nearest nearestOnSurface(const RestSurface& s, const Vec3& p) {
  Nearest best;
  best.distance = std::numeric_limits<float>::max();
  const btVector3 q = bt(p);
  for (const auto& f : s.triangles) {
    const btVector3 a = bt(s.rest[f[0]]), b = bt(s.rest[f[1]]), c = bt(s.rest[f[2]]);
    btVector3 bary;
    const btVector3 x = closestPointOnTriangle(q, a, b, c, &bary);
    const float d = (x - q).length();
    if (d >= best.distance) continue;
    const btVector3 n = (b - a).cross(c - a);
    best = {vec(x), n.length2() > 0 ? vec(n.normalized()) : best.normal, d};
  }
  return best;
}

std::string describe(const Vec3& p) {
  char text[96];
  std::snprintf(text, sizeof(text), "(%.3f, %.3f, %.3f)", static_cast<double>(p.x), static_cast<double>(p.y),
                static_cast<double>(p.z));
  return text;
}

// Two unit vectors spanning the plane of unit normal n.
void planeBasis(const Vec3& n, Vec3& u, Vec3& w) {
  const Vec3 other = std::abs(n.x) < 0.9f ? Vec3(1.0f, 0.0f, 0.0f) : Vec3(0.0f, 1.0f, 0.0f);
  u = glm::normalize(glm::cross(n, other));
  w = glm::cross(n, u);
}

}  // namespace

float distanceToSurface(const RestSurface& surface, const Vec3& p) {
  return nearestOnSurface(surface, p).distance;
}

double distanceToPolyline(std::span<const Vec3> line, bool closed, const Vec3& p) {
  if (line.empty()) return std::numeric_limits<double>::max();
  double best = glm::length(glm::dvec3(p - line[0]));
  const size_t segments = closed ? line.size() : line.size() - 1;
  for (size_t i = 0; i < segments; ++i) {
    const glm::dvec3 a(line[i]), b(line[(i + 1) % line.size()]), q(p);
    const glm::dvec3 ab = b - a;
    const double len2 = glm::dot(ab, ab);
    const double t = len2 > 0.0 ? std::clamp(glm::dot(q - a, ab) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, glm::length(q - (a + t * ab)));
  }
  return best;
}

double distanceToMarking(const LaidMarking& m, const Vec3& p) {
  if (m.circle) {
    const glm::dvec3 v(p - m.center), n(m.normal);
    const double h = glm::dot(v, n);
    const double across = glm::length(v - h * n) - static_cast<double>(m.radius);
    return std::sqrt(across * across + h * h);
  }
  return distanceToPolyline(m.line.points, m.line.closed, p);
}

Result<LaidMarking> layMarking(const MarkingSettings& m, const RestSurface& surface,
                               const std::string& tissue) {
  const std::string where = "tissue '" + tissue + "', marking '" + m.name + "'";
  if (surface.triangles.empty()) {
    return makeError(ErrorCode::kInvalidInput, where + ": the tissue has no surface to draw on");
  }
  LaidMarking out;
  out.line.name = m.name;
  auto onSurface = [&](const Vec3& p, const char* what) -> Result<Nearest> {
    Nearest n = nearestOnSurface(surface, p);
    if (n.distance > kReach) {
      char d[32];
      std::snprintf(d, sizeof(d), "%.1f cm", 100.0 * static_cast<double>(n.distance));
      return makeError(ErrorCode::kInvalidInput,
                       where + ": " + what + " " + describe(p) + " is " + d + " from the tissue's surface",
                       "give points on (within 2 cm of) the surface, in metres in the stage frame at rest");
    }
    return n;
  };
  std::vector<Vec3> corners;
  if (m.radius > 0.0f) {
    auto centre = onSurface(m.center, "the circle's centre");
    if (!centre) return centre.error();
    out.circle = true;
    out.line.closed = true;
    out.center = centre.value().point;
    out.normal = glm::length(m.normal) > 0.0f ? glm::normalize(m.normal) : centre.value().normal;
    out.radius = m.radius;
    Vec3 u, w;
    planeBasis(out.normal, u, w);
    const int samples = std::max(32, static_cast<int>(std::ceil(2.0f * kPi * m.radius / kSpacing)));
    for (int i = 0; i < samples; ++i) {
      const float a = 2.0f * kPi * static_cast<float>(i) / static_cast<float>(samples);
      corners.push_back(out.center + m.radius * (std::cos(a) * u + std::sin(a) * w));
    }
  } else {
    if (m.points.size() < 2) {
      return makeError(ErrorCode::kInvalidInput, where + ": a line needs at least two points");
    }
    for (const Vec3& p : m.points) {
      auto at = onSurface(p, "point");
      if (!at) return at.error();
      corners.push_back(at.value().point);
    }
    out.line.closed = m.closed && corners.size() >= 3;
  }
  // Samples at most kSpacing apart along the corners, each moved onto the surface.
  const size_t segments = out.line.closed ? corners.size() : corners.size() - 1;
  for (size_t i = 0; i < segments; ++i) {
    const Vec3 a = corners[i], b = corners[(i + 1) % corners.size()];
    const int steps = std::max(1, static_cast<int>(std::ceil(glm::length(b - a) / kSpacing)));
    for (int k = 0; k < steps; ++k) {
      const Vec3 p = glm::mix(a, b, static_cast<float>(k) / static_cast<float>(steps));
      out.line.points.push_back(k == 0 && !out.circle ? p : nearestOnSurface(surface, p).point);
    }
  }
  if (!out.line.closed) out.line.points.push_back(corners.back());
  if (!out.circle) {
    Vec3 sum(0.0f), newell(0.0f);
    const auto& pts = out.line.points;
    for (size_t i = 0; i < pts.size(); ++i) {
      const Vec3 &a = pts[i], &b = pts[(i + 1) % pts.size()];
      sum += a;
      newell += Vec3((a.y - b.y) * (a.z + b.z), (a.z - b.z) * (a.x + b.x), (a.x - b.x) * (a.y + b.y));
    }
    out.center = sum / static_cast<float>(pts.size());
    out.normal = glm::length(newell) > 0.0f ? glm::normalize(newell) : Vec3(0.0f, 1.0f, 0.0f);
  }
  // The mesh under the line: the mean length of the edges of the triangles within 1 cm of it.
  double edges = 0.0;
  int count = 0;
  for (const auto& f : surface.triangles) {
    const Vec3 mid = (surface.rest[f[0]] + surface.rest[f[1]] + surface.rest[f[2]]) / 3.0f;
    if (distanceToMarking(out, mid) > 0.01) continue;
    for (int e = 0; e < 3; ++e)
      edges +=
          glm::length(glm::dvec3(surface.rest[f[static_cast<size_t>(e)]] - surface.rest[f[(e + 1) % 3]]));
    count += 3;
  }
  out.pitch = count > 0 ? static_cast<float>(edges / count) : kSpacing;
  return out;
}

NodeSelector markingSelector(const LaidMarking& m, uint32_t index, float band) {
  NodeSelector s = NodeSelector::markingOf(index);
  s.line = m.line.points;
  s.closed = m.line.closed;
  s.center = m.center;
  s.normal = m.normal;
  s.radius = m.circle ? m.radius : 0.0f;
  if (m.line.closed) {
    // Under a closed line: as deep as the line is wide (its mean distance from its centre).
    double spread = 0.0;
    for (const Vec3& p : m.line.points) spread += glm::length(glm::dvec3(p - m.center));
    s.band = std::max(band, static_cast<float>(spread / static_cast<double>(m.line.points.size())));
  } else {
    s.band = band;
  }
  return s;
}

bool selectedByMarking(const NodeSelector& s, const Vec3& p) {
  if (!s.closed) return distanceToPolyline(s.line, false, p) <= static_cast<double>(s.band);
  const Vec3 v = p - s.center;
  const float h = glm::dot(v, s.normal);
  if (std::abs(h) > s.band) return false;
  const Vec3 inPlane = v - h * s.normal;
  if (s.radius > 0.0f) return glm::length(inPlane) <= s.radius + 1e-6f;
  // Crossing number of the line projected onto its plane.
  Vec3 u, w;
  planeBasis(s.normal, u, w);
  const Vec2 q(glm::dot(inPlane, u), glm::dot(inPlane, w));
  bool inside = false;
  for (size_t i = 0, j = s.line.size() - 1; i < s.line.size(); j = i++) {
    const Vec2 a(glm::dot(s.line[i] - s.center, u), glm::dot(s.line[i] - s.center, w));
    const Vec2 b(glm::dot(s.line[j] - s.center, u), glm::dot(s.line[j] - s.center, w));
    if ((a.y > q.y) != (b.y > q.y) && q.x < (b.x - a.x) * (q.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

}  // namespace trocar::physics::detail
