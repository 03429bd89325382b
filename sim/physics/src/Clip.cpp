// Clips: a clip applier closing a clip on tissue.
#include "WorldImpl.h"

#include <limits>

namespace trocar::physics {

void World::Impl::closeClip(Tool& tool) {
  const auto& spec = tool.settings.spec;
  // A clip closes on what lies across its jaws: nodes in the jaws' plane (3 mm thick),
  // between the open jaws in the half of their length nearest the tip (where a clip
  // closes), or pressed just beyond the tip (the grasp radius). Of the tissues with such
  // nodes, the one whose drawn surface comes nearest the jaws' middle in that space is the
  // one between them: a coarse tet mesh's nodes reach well beyond its drawn surface (an
  // anatomy pack's cells are centimetres), so counting nodes alone would clip a liver the
  // jaws only come near. Without drawn surface in the jaws, the most nodes decide. A sheet
  // (peritoneum over a duct) lying across the jaws is taken with the structure it covers: the
  // clip is the structure's whenever one has drawn surface in the jaws.
  const btTransform tip = toolTipTransform(tool);
  const btTransform toTool = tip.inverse();
  const float half = spec.jawLength * std::sin(std::max(tool.openAngleAtClose, 0.2f) * 0.5f);
  auto between = [&](const btVector3& p) {
    return std::abs(p.x()) <= kClipHalfWidth && std::abs(p.y()) <= half && p.z() >= -spec.graspRadius &&
           p.z() <= 0.5f * spec.jawLength;
  };
  uint32_t best = kInvalidIndex;
  float bestGap = std::numeric_limits<float>::infinity();
  std::vector<uint32_t> bestNodes;
  std::vector<Clip::Held> sheets;  // sheets with nodes in the jaws
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) {
    std::vector<uint32_t> in;
    const btSoftBody& body = *tissues[ti].body;
    for (int i = 0; i < body.m_nodes.size(); ++i) {
      if (between(toTool * body.m_nodes[i].m_x)) in.push_back(static_cast<uint32_t>(i));
    }
    if (in.empty()) continue;
    const bool sheet = tissues[ti].kind == TissueKind::kCloth;
    if (sheet) sheets.push_back({ti, in});
    // The drawn surface's nearest approach to the jaws' middle, within the jaws.
    const detail::ContactSurface& drawn = tissues[ti].surface;
    float gap = std::numeric_limits<float>::infinity();
    const size_t vertices = drawn.arity ? drawn.nodes.size() / drawn.arity : 0;
    for (size_t v = 0; v < vertices; ++v) {
      btVector3 x(0, 0, 0);
      for (uint32_t k = 0; k < drawn.arity; ++k) {
        const size_t at = v * drawn.arity + k;
        x += drawn.weights[at] * body.m_nodes[static_cast<int>(drawn.nodes[at])].m_x;
      }
      const btVector3 p = toTool * x;
      if (between(p)) gap = std::min(gap, static_cast<float>(std::abs(p.y())));
    }
    const bool bestSheet = best != kInvalidIndex && tissues[best].kind == TissueKind::kCloth;
    const bool hasSurface = gap < std::numeric_limits<float>::infinity();
    const bool bestHasSurface = bestGap < std::numeric_limits<float>::infinity();
    const bool nearer = gap < bestGap;
    const bool tie = gap == bestGap && in.size() > bestNodes.size();
    // A structure with drawn surface in the jaws wins over a sheet, and a sheet never over it.
    const bool overSheet = bestSheet && !sheet && hasSurface;
    const bool underStructure = sheet && !bestSheet && bestHasSurface;
    if (overSheet || (!underStructure && (nearer || tie))) {
      best = ti;
      bestGap = gap;
      bestNodes = std::move(in);
    }
  }
  if (best != kInvalidIndex) {
    btVector3 centre(0, 0, 0);
    for (uint32_t n : bestNodes) centre += tissues[best].body->m_nodes[static_cast<int>(n)].m_x;
    applyClip(tool, best, bestNodes, centre / static_cast<btScalar>(bestNodes.size()));
    // A clip on a structure closes through the sheets across it, and holds them where they lie.
    if (tissues[best].kind != TissueKind::kCloth) {
      Clip& clip = clips.back();
      for (Clip::Held& held : sheets) {
        anchorNodes(tissues[held.tissue], held.nodes, clip.body.get());
        clip.sheets.push_back(std::move(held));
      }
    }
  }
}

void World::Impl::applyClip(Tool& tool, uint32_t ti, const std::vector<uint32_t>& nodes,
                            const btVector3& centre) {
  Tissue& t = tissues[ti];
  Clip clip;
  clip.tissue = ti;
  clip.nodes = nodes;
  // A titanium ligation clip: about 2 x 3 x 9 mm, 0.05 g; it rides on the tissue only.
  clip.shape = std::make_unique<btBoxShape>(btVector3(0.001f, 0.0015f, 0.0045f));
  clip.shape->setMargin(0.0002f);
  btVector3 inertia;
  clip.shape->calculateLocalInertia(0.00005f, inertia);
  btRigidBody::btRigidBodyConstructionInfo ci(0.00005f, nullptr, clip.shape.get(), inertia);
  ci.m_startWorldTransform = btTransform(toolTipTransform(tool).getRotation(), centre);
  clip.body = std::make_unique<btRigidBody>(ci);
  clip.body->setCollisionFlags(clip.body->getCollisionFlags() | btCollisionObject::CF_NO_CONTACT_RESPONSE);
  clip.body->setActivationState(DISABLE_DEACTIVATION);
  // Clips ride on tissue through their anchors; Bullet need not test tissue nodes against them.
  world.addRigidBody(clip.body.get(), btBroadphaseProxy::DefaultFilter,
                     btBroadphaseProxy::AllFilter & ~kTissueGroup & ~kToolGroup);
  anchorNodes(t, nodes, clip.body.get());
  // Position along the structure: the clipped nodes' mean rest position projected on the
  // tissue's longest rest-bounds axis, as a fraction [0, 1] from its low end.
  Vec3 lo(1e9f), hi(-1e9f);
  for (const Vec3& p : t.mesh.rest) {
    lo = glm::min(lo, p);
    hi = glm::max(hi, p);
  }
  Vec3 extent = hi - lo;
  int axis = extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2);
  Vec3 mean(0.0f);
  for (uint32_t n : nodes) mean += t.mesh.rest[n];
  mean /= static_cast<float>(nodes.size());
  float along = extent[axis] > 0.0f ? (mean[axis] - lo[axis]) / extent[axis] : 0.0f;
  Event e = makeEvent(EventKind::kClipApplied, &tool);
  e.tissue = {ti};
  e.regions = regionsOf(t, nodes);
  e.value = along;
  e.position = toVec(centre);
  events.push_back(std::move(e));
  clips.push_back(std::move(clip));
  stopBleeding(ti, centre);
}

}  // namespace trocar::physics
