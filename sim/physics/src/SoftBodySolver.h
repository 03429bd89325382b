#pragma once
// SoftBodySolver: Bullet's default soft-body solver, with two costs removed. Internal to
// sim/physics.
//
// Soft-rigid contact (the cloth or tissue against the table, the ground, a peg). Bullet walks
// the soft body's node tree against the shape's bounding box and asks the shape's sparse
// signed-distance field about every node the walk reaches (btSoftColliders::CollideSDF_RS).
// The tree's leaves are made while the body's margin is still Bullet's default 0.25 m, before
// our 1 mm is set, and a leaf only changes when its node leaves it, so the walk reached nearly
// every node: a gauze 10 cm above the table asked the field ~1,000 times a tick and found
// nothing (a quarter of pattern cutting's replay time). Here the nodes are taken in their
// order and a node is handed to Bullet's own node test only when it lies within reach of the
// shape's box: the contact margin, plus a voxel diagonal (the field is trilinear between
// distances sampled at most that far from the node, and a distance changes no faster than the
// point moves), plus 1 mm. For a convex shape a node out of reach is one the field would have
// answered "no contact" for. (A non-convex shape, a compound, has a field of 0 everywhere in
// Bullet, so before every node whose oversized leaf reached its box "touched" it; now only nodes
// within reach of its box do.) The contacts are listed in node order rather than tree order.
//
// Normals. After each step Bullet recomputes every face and node normal (integrateMotion).
// Only its pressure, volume and aerodynamic forces read them (Trocar computes its own for
// contact and drawing), so a body with none of those, a cloth, skips it.

#include <BulletSoftBody/btDefaultSoftBodySolver.h>
#include <BulletSoftBody/btSoftBody.h>

namespace trocar::physics::detail {

class SoftBodySolver final : public btDefaultSoftBodySolver {
 public:
  using btDefaultSoftBodySolver::processCollision;
  void processCollision(btSoftBody* body, const btCollisionObjectWrapper* rigid) override;
  void updateSoftBodies() override;
};

// Bending links: one between every two nodes two links apart (and not linked), as Bullet's
// generateBendingConstraints(2) makes them and in its order (by the lower node, then the
// higher), so results are unchanged; but from each node's neighbours, not through Bullet's
// node-by-node table, which takes 4 n^2 bytes (416 MB for a 100 x 100 cloth, and past 46,340
// nodes its size overflows and the table is written out of bounds).
void appendBendingLinks(btSoftBody& body, btSoftBody::Material* material);

}  // namespace trocar::physics::detail
