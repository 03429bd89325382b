// Sensing and events: what each instrument touches, forces and damage, the laparoscope's view,
// rigid objects coming to rest (placed, dropped).
#include "WorldImpl.h"

namespace trocar::physics {

void World::Impl::senseContacts(Tool& tool) {
  // Tissues: this tick's surface contacts (the contact stage), in tissue order.
  std::vector<uint32_t> touched;
  std::vector<uint32_t> touchedNodes;  // of the first touched tissue
  for (const auto& c : tool.contacts) {
    if (std::find(touched.begin(), touched.end(), c.tissue) == touched.end()) touched.push_back(c.tissue);
  }
  std::sort(touched.begin(), touched.end());
  for (const auto& c : tool.contacts) {
    if (!touched.empty() && c.tissue == touched.front()) touchedNodes.push_back(c.point.heaviestNode());
  }
  std::sort(touchedNodes.begin(), touchedNodes.end());
  touchedNodes.erase(std::unique(touchedNodes.begin(), touchedNodes.end()), touchedNodes.end());
  if (tool.graspTissue != kInvalidIndex &&
      std::find(touched.begin(), touched.end(), tool.graspTissue) == touched.end()) {
    touched.push_back(tool.graspTissue);
    std::sort(touched.begin(), touched.end());
    if (touchedNodes.empty()) touchedNodes = tool.graspNodes;
  }
  // Contact begin/end per tissue, in tissue order.
  for (uint32_t ti : touched) {
    if (!std::binary_search(tool.touchedTissues.begin(), tool.touchedTissues.end(), ti)) {
      Event e = makeEvent(EventKind::kContactBegin, &tool);
      e.tissue = {ti};
      e.regions = ti == touched.front() ? regionsOf(tissues[ti], touchedNodes) : std::vector<uint32_t>{};
      e.position = toVec(toolTipTransform(tool).getOrigin());
      events.push_back(std::move(e));
    }
  }
  for (uint32_t ti : tool.touchedTissues) {
    if (!std::binary_search(touched.begin(), touched.end(), ti)) {
      Event e = makeEvent(EventKind::kContactEnd, &tool);
      e.tissue = {ti};
      e.position = toVec(toolTipTransform(tool).getOrigin());
      events.push_back(std::move(e));
    }
  }
  tool.touchedTissues = touched;
  // Rigid objects (not the ground, not other tools): from the contact manifolds.
  uint32_t rigidHit = kInvalidIndex;
  int manifolds = dispatcher.getNumManifolds();
  for (int i = 0; i < manifolds && rigidHit == kInvalidIndex; ++i) {
    btPersistentManifold* m = dispatcher.getManifoldByIndexInternal(i);
    if (m->getNumContacts() == 0) continue;
    const btCollisionObject* other = nullptr;
    if (m->getBody0() == tool.body.get())
      other = m->getBody1();
    else if (m->getBody1() == tool.body.get())
      other = m->getBody0();
    if (!other) continue;
    for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
      if (rigids[ri].body.get() == other) {
        rigidHit = ri;
        break;
      }
    }
  }
  if (rigidHit != tool.touchedRigid) {
    if (tool.touchedRigid != kInvalidIndex) {
      Event e = makeEvent(EventKind::kContactEnd, &tool);
      e.rigid = {tool.touchedRigid};
      events.push_back(std::move(e));
    }
    if (rigidHit != kInvalidIndex) {
      Event e = makeEvent(EventKind::kContactBegin, &tool);
      e.rigid = {rigidHit};
      e.position = toVec(toolTipTransform(tool).getOrigin());
      events.push_back(std::move(e));
    }
    tool.touchedRigid = rigidHit;
  }

  InstrumentState& s = tool.state;
  s.present = true;
  s.tipPose = toPose(toolTipTransform(tool));
  s.targetPose = tool.target;
  s.inContact = !touched.empty() || rigidHit != kInvalidIndex;
  s.touchedTissue = touched.empty() ? TissueId{} : TissueId{touched.front()};
  s.touchedRegions =
      touched.empty() ? std::vector<uint32_t>{} : regionsOf(tissues[touched.front()], touchedNodes);
  s.touchedRigid = RigidId{rigidHit};
  s.grasping = tool.graspTissue != kInvalidIndex || tool.graspConstraint != nullptr;

  // Forces on tissue: the coupling force while touching or holding it.
  float force = glm::length(s.couplingForce);
  if (!touched.empty()) {
    Tissue& t = tissues[touched.front()];
    for (uint32_t r : s.touchedRegions) {
      auto& stats = t.regionStats[r];
      stats.peakForceN = std::max(stats.peakForceN, force);
      if (force > t.material.damageForceN) stats.secondsAboveDamage += static_cast<double>(dt);
    }
    float level = std::min(1.0f, force / std::max(t.material.damageForceN, 1e-3f));
    for (uint32_t n : touchedNodes) t.stress[n] = std::max(t.stress[n], level);
    bool above = force > t.material.damageForceN;
    if (above && !tool.aboveDamage) {
      Event e = makeEvent(EventKind::kDamage, &tool);
      e.tissue = s.touchedTissue;
      e.regions = s.touchedRegions;
      e.value = force;
      e.position = toVec(toolTipTransform(tool).getOrigin());
      events.push_back(std::move(e));
    }
    tool.aboveDamage = above;
    // Grasp tear-out: the tissue cannot hold the grasp against this pull.
    if (tool.graspTissue != kInvalidIndex && force > tissues[tool.graspTissue].material.tearForceN) {
      Event d = makeEvent(EventKind::kDamage, &tool);
      d.tissue = {tool.graspTissue};
      d.regions = regionsOf(tissues[tool.graspTissue], tool.graspNodes);
      d.value = force;
      d.torn = true;
      d.position = toVec(toolTipTransform(tool).getOrigin());
      Event r = d;
      r.kind = EventKind::kRelease;
      releaseGrasp(tool);
      s.grasping = false;
      events.push_back(std::move(d));
      events.push_back(std::move(r));
    }
  } else {
    tool.aboveDamage = false;
  }

  // Out of the laparoscope's view.
  if (settings.camera) {
    const bool inView = inCameraView(s.tipPose.position);
    if (!inView != tool.outOfView) {
      tool.outOfView = !inView;
      Event e = makeEvent(tool.outOfView ? EventKind::kOutOfViewBegin : EventKind::kOutOfViewEnd, &tool);
      e.position = s.tipPose.position;
      events.push_back(std::move(e));
    }
  }
}

bool World::Impl::inCameraView(const Vec3& point) const {
  const auto& cam = *settings.camera;
  const Vec3 p = cam.pose.inverse().transformPoint(point);
  const float depth = -p.z;
  const float tanHalf = std::tan(cam.verticalFovRad * 0.5f);
  return depth >= cam.nearM && depth <= cam.farM && std::abs(p.y) <= depth * tanHalf &&
         std::abs(p.x) <= depth * tanHalf * cam.aspect;
}

void World::Impl::trackRigids() {
  const Tick restTicks = FixedStepClock(settings.tickHz).ticksIn(kRestSeconds);
  for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
    Rigid& r = rigids[ri];
    if (!r.released) continue;
    if (heldByAnyTool(ri)) {  // picked up again before it came to rest
      r.released = false;
      continue;
    }
    bool resting = r.body->getLinearVelocity().length() < kRestLinearSpeed &&
                   r.body->getAngularVelocity().length() < kRestAngularSpeed;
    r.restTicks = resting ? r.restTicks + 1 : 0;
    if (r.restTicks < restTicks) continue;
    r.released = false;
    Vec3 p = toVec(r.body->getCenterOfMassPosition());
    uint32_t zone = kInvalidIndex;
    for (uint32_t zi = 0; zi < zones.size() && zone == kInvalidIndex; ++zi) {
      if (!zones[zi].around.empty()) {
        // Over a post: its centre inside the post's outline, below its top.
        for (uint32_t post : zones[zi].around) {
          const Rigid& r2 = rigids[post];
          const Vec3 q = toVec(r2.body->getWorldTransform().invXform(toBt(p)));
          const Vec3& h = r2.settings.halfExtents;
          const float reach = std::max(h.x, h.z) + kAroundSlack;
          if (q.x * q.x + q.z * q.z <= reach * reach && std::abs(q.y) <= h.y) zone = zi;
        }
        continue;
      }
      Vec3 d = glm::abs(p - zones[zi].settings.center);
      const Vec3& h = zones[zi].settings.halfExtents;
      if (d.x <= h.x && d.y <= h.y && d.z <= h.z) zone = zi;
    }
    Event e = makeEvent(zone == kInvalidIndex ? EventKind::kDropped : EventKind::kPlaced, nullptr);
    e.rigid = {ri};
    e.zone = {zone};
    e.position = p;
    // A drop is lost (FLS: "dropped out of the field of view") when it lands outside the
    // laparoscope's picture; with no laparoscope, every drop is.
    if (zone == kInvalidIndex) e.value = settings.camera && inCameraView(p) ? 0.0f : 1.0f;
    events.push_back(std::move(e));
  }
}

}  // namespace trocar::physics
