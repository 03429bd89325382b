#include <trocar/physics/Snapshot.h>

#include <algorithm>
#include <cmath>

namespace trocar::physics {

Vec3 clothPointNow(const TissueSnapshot& t, const Pose& clothPose, Vec2 clothXZ) {
  const Pose toCloth = clothPose.inverse();
  auto local = [&](uint32_t n) {
    Vec3 p = toCloth.transformPoint(t.restPositions[n]);
    return Vec2(p.x, p.z);
  };
  // The rest triangle holding the point (the cloth is flat at rest). With cuts, several
  // hold it (one each side of a cut, or a scrap cut off); take the one that moved least, so
  // a scrap that fell away is never the answer.
  float bestOutside = 1e9f, bestMoved = 1e9f;
  const Vec3 atRest = clothPose.transformPoint(Vec3(clothXZ.x, 0.0f, clothXZ.y));
  Vec3 best = atRest;
  for (size_t i = 0; i + 2 < t.indices.size(); i += 3) {
    const uint32_t a = t.indices[i], b = t.indices[i + 1], c = t.indices[i + 2];
    Vec2 pa = local(a), pb = local(b), pc = local(c);
    float d = (pb.x - pa.x) * (pc.y - pa.y) - (pc.x - pa.x) * (pb.y - pa.y);
    if (std::abs(d) < 1e-12f) continue;
    float u = ((pb.x - clothXZ.x) * (pc.y - clothXZ.y) - (pc.x - clothXZ.x) * (pb.y - clothXZ.y)) / d;
    float v = ((pc.x - clothXZ.x) * (pa.y - clothXZ.y) - (pa.x - clothXZ.x) * (pc.y - clothXZ.y)) / d;
    float w = 1.0f - u - v;
    float outside = std::max({0.0f, -u, -v, -w});
    const Vec3 p = t.positions[a] * u + t.positions[b] * v + t.positions[c] * w;
    const float moved = glm::length(p - atRest);
    if (outside < bestOutside || (outside == bestOutside && moved < bestMoved)) {
      bestOutside = outside;
      bestMoved = moved;
      best = p;
    }
  }
  return best;
}

}  // namespace trocar::physics
