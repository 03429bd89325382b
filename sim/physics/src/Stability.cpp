// Stability: the NaN/runaway guard and the decay of stress.
#include "WorldImpl.h"

namespace trocar::physics {

void World::Impl::saveGood(Tissue& t) {
  const int n = t.body->m_nodes.size();
  for (int i = 0; i < n; ++i) {
    t.goodX[static_cast<size_t>(i)] = t.body->m_nodes[i].m_x;
    t.goodV[static_cast<size_t>(i)] = t.body->m_nodes[i].m_v;
  }
}

void World::Impl::guardStability() {
  const float maxSpeed2 = settings.maxNodeSpeed * settings.maxNodeSpeed;
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    Tissue& t = tissues[ti];
    bool bad = false;
    for (int i = 0; i < t.body->m_nodes.size() && !bad; ++i) {
      const btSoftBody::Node& n = t.body->m_nodes[i];
      bad = !finite(n.m_x) || !finite(n.m_v) || n.m_v.length2() > maxSpeed2;
    }
    if (!bad) {
      saveGood(t);
      continue;
    }
    // The last good state may already hold the start of the runaway (a node flung far from
    // its neighbours, still under the speed limit), and would go bad again at once: put
    // every node that lies over three rest lengths from its neighbours' mean back there.
    std::vector<btVector3> sum(t.goodX.size(), btVector3(0, 0, 0));
    std::vector<float> reach(t.goodX.size(), 0.0f);
    std::vector<uint32_t> count(t.goodX.size(), 0);
    for (const auto& e : t.mesh.edges()) {
      const float rest = glm::length(t.mesh.rest[e[0]] - t.mesh.rest[e[1]]);
      for (int k = 0; k < 2; ++k) {
        sum[e[k]] += t.goodX[e[1 - k]];
        reach[e[k]] = std::max(reach[e[k]], rest);
        ++count[e[k]];
      }
    }
    uint32_t repaired = 0;
    for (size_t i = 0; i < t.goodX.size(); ++i) {
      if (count[i] == 0 || t.mesh.fixed[i]) continue;
      const btVector3 mean = sum[i] / static_cast<btScalar>(count[i]);
      if ((t.goodX[i] - mean).length() > 3.0f * reach[i] || !finite(t.goodX[i])) {
        t.goodX[i] = mean;
        ++repaired;
      }
    }
    for (int i = 0; i < t.body->m_nodes.size(); ++i) {
      btSoftBody::Node& n = t.body->m_nodes[i];
      n.m_x = t.goodX[static_cast<size_t>(i)];
      n.m_q = n.m_x;
      n.m_v = btVector3(0, 0, 0);
      n.m_f = btVector3(0, 0, 0);
    }
    t.body->updateBounds();
    Event e = makeEvent(EventKind::kInstability, nullptr);
    e.tissue = {ti};
    events.push_back(std::move(e));
    // Logged the first time and then every 1000th, so a case that keeps failing cannot flood the log.
    if (t.instabilities++ % 1000 == 0) {
      TROCAR_LOG_WARN(
          "tissue '%s' became unstable at tick %llu (%u times so far); restored its last good "
          "state, %u nodes put back beside their neighbours",
          t.name.c_str(), static_cast<unsigned long long>(tick), t.instabilities, repaired);
    }
  }
  for (uint32_t ri = 0; ri < rigids.size(); ++ri) {
    Rigid& r = rigids[ri];
    const btTransform& tr = r.body->getWorldTransform();
    if (finite(tr.getOrigin()) && finite(r.body->getLinearVelocity()) &&
        finite(r.body->getAngularVelocity())) {
      r.good = tr;
      continue;
    }
    r.body->setWorldTransform(r.good);
    r.body->setLinearVelocity(btVector3(0, 0, 0));
    r.body->setAngularVelocity(btVector3(0, 0, 0));
    Event e = makeEvent(EventKind::kInstability, nullptr);
    e.rigid = {ri};
    events.push_back(std::move(e));
  }
}

void World::Impl::decayStress() {
  for (auto& t : tissues) {
    for (float& s : t.stress) s *= 0.98f;
  }
}

}  // namespace trocar::physics
