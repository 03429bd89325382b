#include "SoftBodySolver.h"

#include <BulletCollision/CollisionDispatch/btCollisionObjectWrapper.h>
#include <BulletSoftBody/btSoftBodyInternals.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace trocar::physics::detail {

void SoftBodySolver::processCollision(btSoftBody* body, const btCollisionObjectWrapper* rigid) {
  if ((body->m_cfg.collisions & btSoftBody::fCollision::RVSmask) != btSoftBody::fCollision::SDF_RS) {
    body->defaultCollisionHandler(rigid);
    return;
  }
  // Set up as btSoftBody::defaultCollisionHandler's SDF_RS case (Bullet 3.24; its time margin is 0).
  btSoftColliders::CollideSDF_RS collide;
  collide.psb = body;
  collide.m_colObj1Wrap = rigid;
  collide.m_rigidBody = const_cast<btRigidBody*>(btRigidBody::upcast(rigid->getCollisionObject()));
  const btScalar margin = body->getCollisionShape()->getMargin();
  collide.dynmargin = margin;
  collide.stamargin = margin;
  // The field is trilinear over voxels of voxelsz: what it reports is at least the true
  // distance less a voxel diagonal, and the true distance at least the distance to the box.
  const btScalar voxel = body->getWorldInfo()->m_sparsesdf.voxelsz;
  const btScalar reach = margin + voxel * std::sqrt(3.0f) + 0.001f;
  btVector3 lo, hi;
  rigid->getCollisionShape()->getAabb(rigid->getWorldTransform(), lo, hi);
  lo -= btVector3(reach, reach, reach);
  hi += btVector3(reach, reach, reach);
  for (int i = 0, n = body->m_nodes.size(); i < n; ++i) {
    btSoftBody::Node& node = body->m_nodes[i];
    const btVector3& x = node.m_x;
    if (x.x() >= lo.x() && x.y() >= lo.y() && x.z() >= lo.z() && x.x() <= hi.x() && x.y() <= hi.y() &&
        x.z() <= hi.z()) {
      collide.DoNode(node);
    }
  }
}

void SoftBodySolver::updateSoftBodies() {
  for (int i = 0; i < m_softBodySet.size(); ++i) {
    btSoftBody& body = *m_softBodySet[i];
    const btSoftBody::Config& cfg = body.m_cfg;
    const bool readsNormals = cfg.kVC > 0 || cfg.kPR != 0 || cfg.kLF > 0 || cfg.kDG > 0 ||
                              (cfg.collisions & btSoftBody::fCollision::VF_SS) != 0;
    if (body.isActive() && readsNormals) body.integrateMotion();
  }
}

void appendBendingLinks(btSoftBody& body, btSoftBody::Material* material) {
  const int n = body.m_nodes.size();
  std::vector<std::vector<int>> neighbours(static_cast<size_t>(n));
  for (int l = 0; l < body.m_links.size(); ++l) {
    const int a = static_cast<int>(body.m_links[l].m_n[0] - &body.m_nodes[0]);
    const int b = static_cast<int>(body.m_links[l].m_n[1] - &body.m_nodes[0]);
    neighbours[static_cast<size_t>(a)].push_back(b);
    neighbours[static_cast<size_t>(b)].push_back(a);
  }
  std::vector<int> seen(static_cast<size_t>(n), -1);  // the lower node whose row marked it
  std::vector<int> row;
  for (int j = 0; j < n; ++j) {
    const auto& near = neighbours[static_cast<size_t>(j)];
    seen[static_cast<size_t>(j)] = j;
    for (int k : near) seen[static_cast<size_t>(k)] = j;  // itself and its own links: not bending
    row.clear();
    for (int k : near) {
      for (int i : neighbours[static_cast<size_t>(k)]) {
        if (i > j && seen[static_cast<size_t>(i)] != j) {
          seen[static_cast<size_t>(i)] = j;
          row.push_back(i);
        }
      }
    }
    std::sort(row.begin(), row.end());
    for (int i : row) {
      body.appendLink(i, j, material);
      body.m_links[body.m_links.size() - 1].m_bbending = -1;  // the flag's bit set (a signed 1-bit field)
    }
  }
}

}  // namespace trocar::physics::detail
