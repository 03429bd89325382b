// Bleeding: a tissue marked as a vessel bleeds where it is cut, from each side of the cut
// that no clip closes, until a clip closes that side.
#include "WorldImpl.h"

namespace trocar::physics {

namespace {
constexpr float kSameWound = 0.005f;  // m: a cut this close to an open end keeps it open
constexpr float kClipReach = 0.03f;   // m: a clip this close on a bleeding side stops it
}  // namespace

void World::Impl::startBleeding(uint32_t ti, const Vec3& normal, const Vec3& centre, const Vec3& at,
                                const Tool* tool) {
  const Tissue& t = tissues[ti];
  if (!t.vessel) return;
  // Which sides of the cut a clip on this vessel closes.
  bool closed[2] = {false, false};
  for (const Clip& c : clips) {
    if (c.tissue != ti) continue;
    const float d = glm::dot(toVec(c.body->getWorldTransform().getOrigin()) - centre, normal);
    closed[d > 0.0f ? 0 : 1] = true;
  }
  float started = 0.0f;
  for (int s = 0; s < 2; ++s) {
    if (closed[s]) continue;
    const Vec3 side = s == 0 ? normal : -normal;
    const bool open = std::any_of(bleeds.begin(), bleeds.end(), [&](const Bleed& b) {
      return b.active && b.tissue == ti && glm::dot(b.side, side) > 0.0f &&
             glm::length(b.position - at) < kSameWound;
    });
    if (open) continue;
    bleeds.push_back({ti, at, side, t.bleedMlPerS, true, 0.0});
    started += t.bleedMlPerS;
  }
  if (started == 0.0f) return;
  Event e = makeEvent(EventKind::kBleeding, tool);
  e.tissue = {ti};
  e.value = started;
  e.position = at;
  events.push_back(std::move(e));
}

void World::Impl::stopBleeding(uint32_t ti, const btVector3& clipCentre) {
  const Vec3 clip = toVec(clipCentre);
  for (Bleed& b : bleeds) {
    if (b.active && b.tissue == ti && glm::dot(clip - b.position, b.side) > 0.0f &&
        glm::length(clip - b.position) < kClipReach)
      b.active = false;
  }
}

void World::Impl::bleed() {
  for (Bleed& b : bleeds) {
    if (!b.active) continue;
    const double lost = static_cast<double>(b.mlPerS) * static_cast<double>(dt);
    b.ml += lost;
    bloodLossMl += lost;
  }
}

}  // namespace trocar::physics
