// Grasping: jaws closing on a tissue's drawn surface or on a rigid object, and letting go.
#include "WorldImpl.h"

namespace trocar::physics {

bool World::Impl::heldByAnyTool(uint32_t rigid) const {
  return std::any_of(tools.begin(), tools.end(),
                     [&](const Tool& t) { return t.present && t.graspRigid == rigid; });
}

void World::Impl::forgetContacts(const btCollisionObject* a, const btCollisionObject* b) {
  for (int i = 0; i < dispatcher.getNumManifolds(); ++i) {
    btPersistentManifold* m = dispatcher.getManifoldByIndexInternal(i);
    if ((m->getBody0() == a && m->getBody1() == b) || (m->getBody0() == b && m->getBody1() == a))
      m->clearManifold();
  }
}

void World::Impl::rejoin(Tool& tool) {
  if (tool.letGoRigid == kInvalidIndex) return;
  btRigidBody* other = rigids[tool.letGoRigid].body.get();
  tool.body->setIgnoreCollisionCheck(other, false);
  other->setIgnoreCollisionCheck(tool.body.get(), false);
  tool.letGoRigid = kInvalidIndex;
}

void World::Impl::releaseGrasp(Tool& tool) {
  if (tool.graspTissue != kInvalidIndex) {
    tool.releasedTissue = tool.graspTissue;
    tool.graspTissue = kInvalidIndex;
    tool.graspNodes.clear();
    tool.graspPoints.clear();
  }
  if (tool.graspConstraint) {
    world.removeConstraint(tool.graspConstraint.get());
    tool.graspConstraint.reset();
    // Let go: it comes to rest as placed or dropped, unless the other hand holds it
    // (a hand-off in the air).
    const uint32_t held = tool.graspRigid;
    tool.graspRigid = kInvalidIndex;
    if (held != kInvalidIndex && !heldByAnyTool(held)) {
      rigids[held].released = true;
      rigids[held].restTicks = 0;
    }
    if (held != kInvalidIndex && tool.body) {
      rejoin(tool);
      tool.body->setIgnoreCollisionCheck(rigids[held].body.get(), true);
      rigids[held].body->setIgnoreCollisionCheck(tool.body.get(), true);
      forgetContacts(tool.body.get(), rigids[held].body.get());
      tool.letGoRigid = held;
    }
  }
}

bool World::Impl::graspSurface(Tool& tool) {
  const auto& spec = tool.settings.spec;
  const btTransform tip = toolTipTransform(tool);
  // The jaws' footprint: five points along them, across their width (1.6 shaft radii),
  // each reaching as far as the closing jaws swept there (their widest opening since they
  // last opened) plus a jaw's half thickness and 1 mm: what lay between them, never what
  // lies beyond them.
  std::vector<btVector3> samples;
  std::vector<float> reaches;
  const float opening = std::sin(0.5f * tool.openAngleAtClose);
  for (float along : {0.1f, 0.3f, 0.5f, 0.7f, 0.9f}) {
    for (float across : {-0.6f, 0.0f, 0.6f}) {
      samples.emplace_back(across * spec.shaftRadius, 0.0f, along * spec.jawLength);
      reaches.push_back((1.0f - along) * spec.jawLength * opening + 0.5f * spec.shaftRadius + 0.001f);
    }
  }
  const float reach = *std::max_element(reaches.begin(), reaches.end());
  uint32_t best = kInvalidIndex;
  float bestDistance = reach;
  btVector3 bestAt(0, 0, 0);
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    Tissue& t = tissues[ti];
    detail::ContactSurface& surface = surfaceOf(t);
    detail::refresh(surface, *t.body);
    for (size_t k = 0; k < samples.size(); ++k) {
      detail::SurfacePoint point;
      btVector3 at;
      float distance = 0.0f;
      if (detail::closestSurfacePoint(surface, *t.body, tip * samples[k], reaches[k], &point, &at,
                                      &distance) &&
          distance < bestDistance) {
        best = ti;
        bestDistance = distance;
        bestAt = at;
      }
    }
  }
  if (best == kInvalidIndex) return false;
  Tissue& t = tissues[best];
  tool.graspTissue = best;
  tool.graspPoints.clear();
  tool.graspNodes.clear();
  for (size_t k = 0; k < samples.size(); ++k) {
    detail::SurfacePoint point;
    btVector3 at;
    float distance = 0.0f;
    if (!detail::closestSurfacePoint(t.surface, *t.body, tip * samples[k], reaches[k], &point, &at,
                                     &distance))
      continue;
    // Held where the jaws closed on it (in the jaws' frame): no jump into the jaws.
    tool.graspPoints.push_back({best, point, tip.inverse() * at});
    for (uint32_t j = 0; j < point.count; ++j) tool.graspNodes.push_back(point.nodes[j]);
  }
  std::sort(tool.graspNodes.begin(), tool.graspNodes.end());
  tool.graspNodes.erase(std::unique(tool.graspNodes.begin(), tool.graspNodes.end()), tool.graspNodes.end());
  Event e = makeEvent(EventKind::kGrasp, &tool);
  e.tissue = {best};
  e.regions = regionsOf(t, tool.graspNodes);
  e.position = toVec(bestAt);
  events.push_back(std::move(e));
  return true;
}

void World::Impl::onJawClose(Tool& tool) {
  const auto& spec = tool.settings.spec;
  if (spec.grasps()) {
    if (!graspSurface(tool)) graspRigidObject(tool);
  } else if (spec.cutsOnClose()) {
    snip(tool);
  } else if (spec.clips()) {
    closeClip(tool);
  }
}

bool World::Impl::graspRigidObject(Tool& tool) {
  const auto& spec = tool.settings.spec;
  // The dynamic one whose box (in its own frame, grown by the grasp radius and the shaft's)
  // holds the jaw centre, nearest first. (Bullet's world AABBs of small hulls are loose
  // by centimetres: not a test for what lies between 5 mm jaws.)
  btTransform tip = toolTipTransform(tool);
  const btVector3 centre = tip * btVector3(0, 0, spec.jawLength * 0.25f);
  uint32_t nearest = kInvalidIndex;
  btScalar nearestDistance = 0;
  for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
    Rigid& r = rigids[ri];
    if (r.settings.massKg <= 0.0f) continue;
    const btVector3 local = r.body->getWorldTransform().inverse() * centre;
    const Vec3& h = r.settings.halfExtents;
    const float pad = spec.graspRadius + spec.shaftRadius;  // the jaws open outside the shaft
    if (r.settings.shape == RigidShape::kTriangle) {
      // Jaws close on a bar: within their reach of one (its box would also reach past the
      // triangle's corners, where nothing is).
      const Vec3 q = toVec(local);
      const auto bars = triangleBars(h);
      const bool onBar = std::any_of(bars.begin(), bars.end(), [&](const TriangleBar& bar) {
        const Vec3 v = q - bar.center;
        return std::abs(glm::dot(v, bar.along)) <= bar.halfLength + pad && std::abs(v.y) <= h.y + pad &&
               std::abs(glm::dot(v, bar.outward)) <= h.z + pad;
      });
      if (!onBar) continue;
    } else if (std::abs(local.x()) > h.x + pad || std::abs(local.y()) > h.y + pad ||
               std::abs(local.z()) > h.z + pad) {
      continue;
    }
    const btScalar d = local.length();
    if (nearest == kInvalidIndex || d < nearestDistance) {
      nearest = ri;
      nearestDistance = d;
    }
  }
  if (nearest != kInvalidIndex) {
    const uint32_t ri = nearest;
    Rigid& r = rigids[ri];
    btTransform frameInTool = tool.body->getWorldTransform().inverse() * r.body->getWorldTransform();
    tool.graspConstraint =
        std::make_unique<btFixedConstraint>(*tool.body, *r.body, frameInTool, btTransform::getIdentity());
    // A grip, not a weld: the constraint yields (CFM) where the object is pressed against
    // something (a peg set down onto the board), instead of fighting the contact between a
    // tool that goes where the hand is and a board that cannot move, which flung pegs.
    for (int axis = 0; axis < 6; ++axis) {
      tool.graspConstraint->setParam(BT_CONSTRAINT_STOP_CFM, kGraspCfm, axis);
      tool.graspConstraint->setParam(BT_CONSTRAINT_STOP_ERP, kGraspErp, axis);
    }
    world.addConstraint(tool.graspConstraint.get(), true);
    // Contacts the pair had: no longer refreshed once linked, they would act on as glue.
    forgetContacts(tool.body.get(), r.body.get());
    if (tool.letGoRigid == ri) rejoin(tool);
    tool.graspRigid = ri;
    r.released = false;
    r.body->activate(true);
    Event e = makeEvent(EventKind::kGrasp, &tool);
    e.rigid = {ri};
    e.position = toVec(centre);
    events.push_back(std::move(e));
    return true;
  }
  return false;
}

void World::Impl::onJawOpen(Tool& tool) {
  if (tool.graspTissue == kInvalidIndex && !tool.graspConstraint) return;
  Event e = makeEvent(EventKind::kRelease, &tool);
  if (tool.graspTissue != kInvalidIndex) {
    e.tissue = {tool.graspTissue};
    e.regions = regionsOf(tissues[tool.graspTissue], tool.graspNodes);
  }
  if (tool.graspRigid != kInvalidIndex) e.rigid = {tool.graspRigid};
  e.position = toVec(toolTipTransform(tool).getOrigin());
  releaseGrasp(tool);
  events.push_back(std::move(e));
}

}  // namespace trocar::physics
