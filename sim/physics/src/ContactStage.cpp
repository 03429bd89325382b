// The contact stage: instruments, the table and named tissue pairs against the drawn contact
// surfaces (Contact.h), solved position-based through the surface weights after Bullet's step.
#include "WorldImpl.h"

#include <bit>

namespace trocar::physics {

void World::Impl::resolveContacts() {
  std::vector<uint8_t> refreshed(tissues.size(), 0), involved(tissues.size(), 0);
  bool any = false;
  for (Tool& tool : tools) {
    tool.contacts.clear();
    if (!tool.present) continue;
    detail::instrumentCapsules(tool.settings.spec, tool.state.jawAngle, toolTipTransform(tool),
                               tool.capsules);
    if (tool.prevCapsules.size() != tool.capsules.size()) tool.prevCapsules = tool.capsules;
    btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
    for (size_t c = 0; c < tool.capsules.size(); ++c) {
      for (const btVector3& p :
           {tool.capsules[c].a, tool.capsules[c].b, tool.prevCapsules[c].a, tool.prevCapsules[c].b}) {
        lo.setMin(p);
        hi.setMax(p);
      }
    }
    const btVector3 pad(0.005f, 0.005f, 0.005f);
    lo -= pad;
    hi += pad;
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      Tissue& t = tissues[ti];
      if (!TestAabbAgainstAabb2(lo, hi, t.body->m_bounds[0], t.body->m_bounds[1])) continue;
      detail::ContactSurface& surface = surfaceOf(t);
      if (!refreshed[ti]) {
        detail::refresh(surface, *t.body);
        refreshed[ti] = 1;
      }
      detail::findContacts(surface, *t.body, ti, tool.capsules, tool.prevCapsules, kSenseMargin, tool.sides,
                           tool.contacts);
    }
    // What a grasper holds lies between its jaws and wraps round them: the tool holds it,
    // it does not push it away; once let go of, it slips out from between the jaws (it is
    // not pushed through one).
    // Scissors and a clip applier take tissue between their blades or jaws: their shaft does
    // not push what the blades are on (a cut's flaps lift along it).
    std::vector<uint32_t> betweenBlades;
    if (!tool.settings.spec.grasps()) {
      for (const auto& c : tool.contacts) {
        if (c.capsule > 0) betweenBlades.push_back(c.tissue);
      }
    }
    bool releasedInJaws = false;
    for (auto& c : tool.contacts) {
      if (c.capsule == 0 &&
          std::find(betweenBlades.begin(), betweenBlades.end(), c.tissue) != betweenBlades.end())
        c.resolve = false;
      if (c.tissue == tool.graspTissue) c.resolve = false;
      if (c.capsule > 0 && c.tissue == tool.releasedTissue) {
        releasedInJaws = true;
        c.resolve = false;
      }
      if (c.resolve) {
        involved[c.tissue] = 1;
        any = true;
      }
    }
    if (!releasedInJaws) tool.releasedTissue = kInvalidIndex;
    if (tool.graspTissue != kInvalidIndex && !tool.graspPoints.empty()) {
      involved[tool.graspTissue] = 1;
      any = true;
    }
  }
  // An embedded surface rests on the table and the floor itself (its nodes, outside it, do
  // not meet them in Bullet): each vertex below a top is held on it.
  staticContacts.clear();
  const float highestTop = settings.table ? std::max(settings.groundHeight,
                                                     settings.table->center.y + settings.table->halfExtents.y)
                                          : settings.groundHeight;
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    Tissue& t = tissues[ti];
    if (!t.embedded) continue;
    // The surface lies inside its tets: nodes all above every top, nothing to do.
    if (t.body->m_bounds[0].y() > highestTop) continue;
    detail::ContactSurface& surface = surfaceOf(t);
    if (!refreshed[ti]) {
      detail::refresh(surface, *t.body);
      refreshed[ti] = 1;
    }
    // Only the vertices that can lie below the highest top.
    const btVector3 reach(surface.hi.x(), highestTop, surface.hi.z());
    for (uint32_t v : detail::near(surface, *t.body, surface.lo, reach, true)) {
      const btVector3& p = surface.x[v];
      float top = settings.groundHeight;
      if (settings.table) {
        const Vec3 c = settings.table->center, h = settings.table->halfExtents;
        const bool over = std::abs(p.x() - c.x) <= h.x && std::abs(p.z() - c.z) <= h.z;
        if (over && p.y() > c.y - h.y - 0.01f) top = c.y + h.y;
      }
      if (p.y() >= top) continue;
      detail::SurfaceContact c;
      c.tissue = ti;
      c.point = detail::vertexPoint(surface, v);
      c.q = btVector3(p.x(), top, p.z());
      c.normal = btVector3(0, -1, 0);  // from the surface toward what it rests on
      staticContacts.push_back(c);
      involved[ti] = 1;
      any = true;
    }
  }
  findRigidContacts(refreshed, involved, any);
  findTissueContacts(refreshed, involved, any);
  if (any) solveContacts(involved);
  for (Tool& tool : tools) {
    if (!tool.present) continue;
    tool.sides.sides.clear();
    for (const auto& c : tool.contacts) {
      if (surfaceOf(tissues[c.tissue]).twoSided)
        tool.sides.sides.push_back({detail::SideMemory::key(c.tissue, c.capsule, c.triangle), c.side});
    }
    std::sort(tool.sides.sides.begin(), tool.sides.sides.end());
    detail::instrumentCapsules(tool.settings.spec, tool.state.jawAngle, toolTipTransform(tool),
                               tool.prevCapsules);
  }
}

void World::Impl::findTissueContacts(std::vector<uint8_t>& refreshed, std::vector<uint8_t>& involved,
                                     bool& any) {
  constexpr float kTissueDepth = 0.005f;
  tissueContacts.clear();
  for (const auto& pair : tissuePairs) {
    Tissue& ta = tissues[pair[0]];
    Tissue& tb = tissues[pair[1]];
    if (!TestAabbAgainstAabb2(ta.body->m_bounds[0], ta.body->m_bounds[1], tb.body->m_bounds[0],
                              tb.body->m_bounds[1])) {
      continue;
    }
    for (int dir = 0; dir < 2; ++dir) {
      const uint32_t ia = pair[static_cast<size_t>(dir)], ib = pair[static_cast<size_t>(1 - dir)];
      detail::ContactSurface& sa = surfaceOf(tissues[ia]);
      detail::ContactSurface& sb = surfaceOf(tissues[ib]);
      for (uint32_t i : {ia, ib}) {
        if (!refreshed[i]) {
          detail::refresh(surfaceOf(tissues[i]), *tissues[i].body);
          refreshed[i] = 1;
        }
      }
      if (sb.twoSided) continue;  // a sheet has no inside to be pushed out of
      const btVector3 pad(kTissueDepth, kTissueDepth, kTissueDepth);
      // Only where the two meet: B's faces within reach of A's bounds (with their boxes),
      // then A's vertices within reach of B's.
      std::vector<uint32_t> faces;
      std::vector<std::pair<btVector3, btVector3>> boxes;
      for (uint32_t f : detail::near(sb, *tissues[ib].body, sa.lo - pad, sa.hi + pad)) {
        const auto& tri = sb.triangles[f];
        const btVector3 &p0 = sb.x[tri[0]], &p1 = sb.x[tri[1]], &p2 = sb.x[tri[2]];
        btVector3 lo = p0, hi = p0;
        lo.setMin(p1);
        lo.setMin(p2);
        hi.setMax(p1);
        hi.setMax(p2);
        if (!TestAabbAgainstAabb2(sa.lo - pad, sa.hi + pad, lo, hi)) continue;
        faces.push_back(f);
        boxes.emplace_back(lo, hi);
      }
      if (faces.empty()) continue;
      for (uint32_t v : detail::near(sa, *tissues[ia].body, sb.lo - pad, sb.hi + pad, true)) {
        const btVector3& x = sa.x[v];
        if (!TestAabbAgainstAabb2(x - pad, x + pad, sb.lo, sb.hi)) continue;
        float bestD2 = kTissueDepth * kTissueDepth;
        int bestTri = -1;
        btVector3 bestBary, bestOn;
        for (size_t k = 0; k < faces.size(); ++k) {
          const uint32_t f = faces[k];
          const auto& tri = sb.triangles[f];
          const btVector3 &p0 = sb.x[tri[0]], &p1 = sb.x[tri[1]], &p2 = sb.x[tri[2]];
          if (!TestAabbAgainstAabb2(x - pad, x + pad, boxes[k].first, boxes[k].second)) continue;
          btVector3 bary;
          const btVector3 on = detail::closestPointOnTriangle(x, p0, p1, p2, &bary);
          const float d2 = static_cast<float>((x - on).length2());
          if (d2 < bestD2) {
            bestD2 = d2;
            bestTri = static_cast<int>(f);
            bestBary = bary;
            bestOn = on;
          }
        }
        if (bestTri < 0) continue;
        const auto& tri = sb.triangles[static_cast<size_t>(bestTri)];
        btVector3 n = (sb.x[tri[1]] - sb.x[tri[0]]).cross(sb.x[tri[2]] - sb.x[tri[0]]);
        if (n.length2() <= 1e-20f) continue;
        n.normalize();
        if ((x - bestOn).dot(n) >= 0) continue;  // outside
        TissueContact c;
        c.a = ia;
        c.b = ib;
        c.onA = detail::vertexPoint(sa, v);
        c.onB = detail::surfacePoint(sb, static_cast<uint32_t>(bestTri), bestBary);
        c.normal = n;
        tissueContacts.push_back(c);
        involved[ia] = involved[ib] = 1;
        any = true;
      }
    }
  }
}

void World::Impl::separateTissues() {
  for (const auto& c : tissueContacts) {
    btSoftBody& a = *tissues[c.a].body;
    btSoftBody& b = *tissues[c.b].body;
    const btScalar depth = (c.onA.position(a) - c.onB.position(b)).dot(c.normal);
    if (depth >= 0) continue;
    btScalar wa = 0, wb = 0;
    for (uint32_t k = 0; k < c.onA.count; ++k)
      wa += c.onA.weights[k] * c.onA.weights[k] * a.m_nodes[static_cast<int>(c.onA.nodes[k])].m_im;
    for (uint32_t k = 0; k < c.onB.count; ++k)
      wb += c.onB.weights[k] * c.onB.weights[k] * b.m_nodes[static_cast<int>(c.onB.nodes[k])].m_im;
    if (wa + wb <= 0) continue;
    c.onA.move(a, c.normal * (-depth * wa / (wa + wb)));
    c.onB.move(b, c.normal * (depth * wb / (wa + wb)));
  }
}

void World::Impl::findRigidContacts(std::vector<uint8_t>& refreshed, std::vector<uint8_t>& involved,
                                    bool& any) {
  rigidContacts.clear();
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    Tissue& t = tissues[ti];
    if (!t.embedded) continue;  // Bullet meets the others' nodes
    for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
      const Rigid& r = rigids[ri];
      const btTransform& pose = r.body->getWorldTransform();
      btVector3 lo, hi;
      r.shape->getAabb(pose, lo, hi);
      if (!TestAabbAgainstAabb2(lo, hi, t.body->m_bounds[0], t.body->m_bounds[1])) continue;
      detail::ContactSurface& surface = surfaceOf(t);
      if (!refreshed[ti]) {
        detail::refresh(surface, *t.body);
        refreshed[ti] = 1;
      }
      if (!TestAabbAgainstAabb2(lo, hi, surface.lo, surface.hi)) continue;
      for (uint32_t v : detail::near(surface, *t.body, lo, hi, true)) {
        const auto inside = detail::insideShape(r.settings.shape, r.settings.halfExtents, pose, surface.x[v]);
        if (!inside) continue;
        RigidContact c;
        c.tissue = ti;
        c.rigid = ri;
        c.point = detail::vertexPoint(surface, v);
        c.normal = inside->normal;
        c.on = inside->on;
        rigidContacts.push_back(c);
        involved[ti] = 1;
        any = true;
      }
    }
  }
}

void World::Impl::separateRigids(std::vector<btVector3>& shifts) {
  for (const auto& c : rigidContacts) {
    btSoftBody& body = *tissues[c.tissue].body;
    Rigid& r = rigids[c.rigid];
    btTransform pose = r.body->getWorldTransform();
    const btVector3 n = pose.getBasis() * c.normal;
    const btScalar depth = (c.point.position(body) - pose * c.on).dot(n);
    if (depth >= 0) continue;
    btScalar wv = 0;
    for (uint32_t k = 0; k < c.point.count; ++k)
      wv += c.point.weights[k] * c.point.weights[k] * body.m_nodes[static_cast<int>(c.point.nodes[k])].m_im;
    const btScalar wr = r.settings.massKg > 0.0f && !heldByAnyTool(c.rigid) ? 1 / r.settings.massKg : 0;
    if (wv + wr <= 0) continue;
    c.point.move(body, n * (-depth * wv / (wv + wr)));
    if (wr > 0) {
      const btVector3 shift = n * (depth * wr / (wv + wr));
      pose.setOrigin(pose.getOrigin() + shift);
      r.body->setWorldTransform(pose);
      r.body->setInterpolationWorldTransform(pose);
      shifts[c.rigid] += shift;
    }
  }
}

World::Impl::Local World::Impl::localRegion(uint32_t ti) const {
  const Tissue& t = tissues[ti];
  const btSoftBody& body = *t.body;
  const btSoftBody::Node* first = body.m_nodes.size() > 0 ? &body.m_nodes[0] : nullptr;
  Tissue::NodeLinks& adj = t.nodeLinks;
  if (adj.body != &body || adj.nodeCount != body.m_nodes.size() || adj.linkCount != body.m_links.size() ||
      adj.version != t.topologyVersion) {
    const auto nodes = static_cast<size_t>(body.m_nodes.size());
    adj.linkStart.assign(nodes + 1, 0);
    for (int i = 0; i < body.m_links.size(); ++i) {
      for (const btSoftBody::Node* n : body.m_links[i].m_n)
        ++adj.linkStart[static_cast<size_t>(n - first) + 1];
    }
    for (size_t i = 0; i < nodes; ++i) adj.linkStart[i + 1] += adj.linkStart[i];
    adj.linkIndex.assign(adj.linkStart.back(), 0);
    std::vector<uint32_t> filled(adj.linkStart.begin(), adj.linkStart.end() - 1);
    for (int i = 0; i < body.m_links.size(); ++i) {
      for (const btSoftBody::Node* n : body.m_links[i].m_n)
        adj.linkIndex[filled[static_cast<size_t>(n - first)]++] = static_cast<uint32_t>(i);
    }
    adj.body = &body;
    adj.nodeCount = body.m_nodes.size();
    adj.linkCount = body.m_links.size();
    adj.version = t.topologyVersion;
  }
  btVector3 lo(1e30f, 1e30f, 1e30f), hi(-1e30f, -1e30f, -1e30f);
  std::vector<uint8_t>& mark = adj.nodeMark;
  mark.assign(static_cast<size_t>(body.m_nodes.size()), 0);
  auto add = [&](const detail::SurfacePoint& p) {
    const btVector3 x = p.position(body);
    lo.setMin(x);
    hi.setMax(x);
    for (uint32_t k = 0; k < p.count; ++k) mark[p.nodes[k]] = 1;
  };
  for (const Tool& tool : tools) {
    for (const auto& c : tool.contacts) {
      if (c.tissue == ti && c.resolve) add(c.point);
    }
    for (const auto& g : tool.graspPoints) {
      if (g.tissue == ti) add(g.point);
    }
  }
  for (const auto& c : staticContacts) {
    if (c.tissue == ti) add(c.point);
  }
  for (const auto& c : tissueContacts) {
    if (c.a == ti) add(c.onA);
    if (c.b == ti) add(c.onB);
  }
  for (const auto& c : rigidContacts) {
    if (c.tissue == ti) add(c.point);
  }
  const btVector3 pad(kLocalReach, kLocalReach, kLocalReach);
  lo -= pad;
  hi += pad;
  Local out;
  // The links of the local nodes, ascending (as a scan of every link would find them).
  std::vector<uint64_t>& bits = adj.linkBits;
  bits.assign((static_cast<size_t>(body.m_links.size()) + 63) / 64, 0);
  for (int i = 0; i < body.m_nodes.size(); ++i) {
    const btVector3& x = body.m_nodes[i].m_x;
    if (mark[static_cast<size_t>(i)] || (x.x() >= lo.x() && x.y() >= lo.y() && x.z() >= lo.z() &&
                                         x.x() <= hi.x() && x.y() <= hi.y() && x.z() <= hi.z())) {
      out.nodes.push_back(i);
      const auto node = static_cast<size_t>(i);
      for (uint32_t k = adj.linkStart[node]; k < adj.linkStart[node + 1]; ++k)
        bits[adj.linkIndex[k] / 64] |= uint64_t{1} << (adj.linkIndex[k] % 64);
    }
  }
  for (size_t w = 0; w < bits.size(); ++w) {
    for (uint64_t word = bits[w]; word != 0; word &= word - 1)
      out.links.push_back(static_cast<int>(w * 64 + static_cast<size_t>(std::countr_zero(word))));
  }
  return out;
}

void World::Impl::projectLinks(btSoftBody& body, const std::vector<int>& links) {
  for (int i : links) {
    btSoftBody::Link& l = body.m_links[i];
    if (l.m_c0 <= 0) continue;
    btSoftBody::Node& a = *l.m_n[0];
    btSoftBody::Node& b = *l.m_n[1];
    const btVector3 del = b.m_x - a.m_x;
    const btScalar len = del.length2();
    if (l.m_c1 + len <= SIMD_EPSILON) continue;
    const btScalar k = (l.m_c1 - len) / (l.m_c0 * (l.m_c1 + len));
    a.m_x -= del * (k * a.m_im);
    b.m_x += del * (k * b.m_im);
  }
}

void World::Impl::solveContacts(const std::vector<uint8_t>& involved) {
  std::vector<std::vector<btVector3>> before(tissues.size());
  std::vector<Local> local(tissues.size());
  int iterations = 1;
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    if (!involved[ti]) continue;
    const btSoftBody& body = *tissues[ti].body;
    local[ti] = localRegion(ti);
    before[ti].resize(local[ti].nodes.size());
    for (size_t k = 0; k < local[ti].nodes.size(); ++k) before[ti][k] = body.m_nodes[local[ti].nodes[k]].m_x;
    iterations = std::max(iterations, static_cast<int>(tissues[ti].iterations));
  }
  auto pushOut = [&](const Tool& tool) {
    for (const auto& c : tool.contacts) {
      if (c.resolve) c.pushOut(*tissues[c.tissue].body);
    }
  };
  auto pullIn = [&](Tool& tool) {
    const btTransform tip = toolTipTransform(tool);
    for (const auto& g : tool.graspPoints) {
      btSoftBody& body = *tissues[g.tissue].body;
      g.point.move(body, tip * g.local - g.point.position(body));
    }
  };
  auto rest = [&] {
    for (const auto& c : staticContacts) c.pushOut(*tissues[c.tissue].body);
  };
  std::vector<btVector3> shifts(rigidContacts.empty() ? 0 : rigids.size(), btVector3(0, 0, 0));
  for (int it = 0; it < iterations; ++it) {
    for (Tool& tool : tools) {
      if (!tool.present) continue;
      pullIn(tool);
      pushOut(tool);
    }
    rest();
    separateTissues();
    separateRigids(shifts);
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
      if (involved[ti]) projectLinks(*tissues[ti].body, local[ti].links);
    }
  }
  // What the tissue could not make room for moves the tool: toward the grasped points
  // (by their mean pull), then out of every surface it still presses into.
  for (Tool& tool : tools) {
    if (!tool.present) continue;
    btVector3 shift(0, 0, 0);
    if (!tool.graspPoints.empty()) {
      const btTransform tip = toolTipTransform(tool);
      for (const auto& g : tool.graspPoints)
        shift += g.point.position(*tissues[g.tissue].body) - tip * g.local;
      shift *= tissues[tool.graspTissue].yield / static_cast<btScalar>(tool.graspPoints.size());
    }
    for (const auto& c : tool.contacts) {
      if (!c.resolve) continue;
      // Its error were the tool already moved by `shift` (as error() with q + shift).
      const btScalar err = (c.q + shift - c.point.position(*tissues[c.tissue].body)).dot(c.normal) - c.gap;
      if (err < 0) shift -= c.normal * (err * tissues[c.tissue].yield);
    }
    if (shift.length2() <= 0) continue;
    btTransform tr = tool.body->getWorldTransform();
    tr.setOrigin(tr.getOrigin() + shift);
    tool.body->setWorldTransform(tr);
    tool.body->setInterpolationWorldTransform(tr);
    const btVector3 dir = shift.normalized();
    const btVector3 v = tool.body->getLinearVelocity();
    const btScalar into = v.dot(dir);
    if (into < 0) tool.body->setLinearVelocity(v - dir * into);
    for (auto& c : tool.contacts) c.q += shift;
  }
  for (Tool& tool : tools) {
    if (tool.present) pushOut(tool);
  }
  rest();
  separateTissues();
  separateRigids(shifts);
  // An object the tissue pushed back stops moving into it (it rests on it).
  for (size_t ri = 0; ri < shifts.size(); ++ri) {
    if (shifts[ri].length2() <= 0) continue;
    btRigidBody& body = *rigids[ri].body;
    const btVector3 dir = shifts[ri].normalized();
    const btVector3 v = body.getLinearVelocity();
    const btScalar into = v.dot(dir);
    if (into < 0) body.setLinearVelocity(v - dir * into);
  }
  const btScalar inverseDt = 1 / static_cast<btScalar>(dt);
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    if (!involved[ti]) continue;
    btSoftBody& body = *tissues[ti].body;
    for (size_t k = 0; k < local[ti].nodes.size(); ++k) {
      btSoftBody::Node& n = body.m_nodes[local[ti].nodes[k]];
      n.m_v += (n.m_x - before[ti][k]) * inverseDt;
    }
    body.updateBounds();
  }
}

}  // namespace trocar::physics
