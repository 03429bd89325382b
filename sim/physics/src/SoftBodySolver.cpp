#include "SoftBodySolver.h"

#include <BulletCollision/CollisionDispatch/btCollisionObjectWrapper.h>
#include <BulletSoftBody/btSoftBodyInternals.h>

#include <cmath>

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

}  // namespace trocar::physics::detail
