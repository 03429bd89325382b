#include "WorldImpl.h"

namespace trocar::physics {

const char* toString(EventKind kind) {
  switch (kind) {
    case EventKind::kContactBegin: return "contact_begin";
    case EventKind::kContactEnd: return "contact_end";
    case EventKind::kGrasp: return "grasp";
    case EventKind::kRelease: return "release";
    case EventKind::kCut: return "cut";
    case EventKind::kDetached: return "detached";
    case EventKind::kClipApplied: return "clip_applied";
    case EventKind::kDropped: return "dropped";
    case EventKind::kPlaced: return "placed";
    case EventKind::kDamage: return "damage";
    case EventKind::kOutOfViewBegin: return "out_of_view_begin";
    case EventKind::kOutOfViewEnd: return "out_of_view_end";
    case EventKind::kInstability: return "instability";
    case EventKind::kBleeding: return "bleeding";
  }
  return "?";
}

NodeSelector NodeSelector::sphere(Vec3 c, float r) {
  NodeSelector s;
  s.kind = Kind::kSphere;
  s.center = c;
  s.radius = r;
  return s;
}
NodeSelector NodeSelector::box(Vec3 c, Vec3 h) {
  NodeSelector s;
  s.kind = Kind::kBox;
  s.center = c;
  s.halfExtents = h;
  return s;
}
NodeSelector NodeSelector::circle(Vec2 c, float r) {
  NodeSelector s;
  s.kind = Kind::kMarkingCircle;
  s.center2d = c;
  s.radius = r;
  return s;
}
NodeSelector NodeSelector::nodes(std::vector<uint32_t> indices) {
  NodeSelector s;
  s.kind = Kind::kIndices;
  s.indices = std::move(indices);
  return s;
}
NodeSelector NodeSelector::corners() {
  NodeSelector s;
  s.kind = Kind::kCorners;
  return s;
}
NodeSelector NodeSelector::border() {
  NodeSelector s;
  s.kind = Kind::kBorder;
  return s;
}
NodeSelector NodeSelector::markingOf(uint32_t marking) {
  NodeSelector s;
  s.kind = Kind::kMarking;
  s.marking = marking;
  return s;
}

// ---------------------------------------------------------------------------------------

World::Impl::Impl(const WorldSettings& s) : settings(s), dt(static_cast<float>(1.0 / s.tickHz)) {
  world.setGravity(toBt(s.gravity));
  btSoftBodyWorldInfo& info = world.getWorldInfo();
  info.m_gravity = toBt(s.gravity);
  info.air_density = 0;
  info.water_density = 0;
  info.m_broadphase = &broadphase;
  info.m_dispatcher = &dispatcher;
  info.m_sparsesdf.Initialize();
  // Soft-rigid contacts sample each rigid shape's signed distance on a sparse voxel grid.
  // Bullet's default voxel (0.25 m) cannot see a 2.5 mm instrument shaft at all. 2.5 mm
  // sees it (contacts begin within ~1 mm of the surface) at a tenth of the cost of 1 mm
  // voxels (measured: 20k-tick cloth soak 4.7 s vs 50 s).
  info.m_sparsesdf.setDefaultVoxelsz(kSdfVoxel);
  info.m_sparsesdf.Reset();
  // Ground: a big static box (a static plane lets soft bodies fall through; STACK.md).
  groundShape = std::make_unique<btBoxShape>(btVector3(2.0f, 0.05f, 2.0f));
  groundShape->setMargin(kShapeMargin);
  btRigidBody::btRigidBodyConstructionInfo ci(0.0f, nullptr, groundShape.get());
  ci.m_startWorldTransform.setOrigin(btVector3(0, s.groundHeight - 0.05f, 0));
  ci.m_friction = 0.8f;
  ground = std::make_unique<btRigidBody>(ci);
  world.addRigidBody(ground.get());
  if (s.table) {
    tableShape = std::make_unique<btBoxShape>(toBt(s.table->halfExtents));
    tableShape->setMargin(kShapeMargin);
    btRigidBody::btRigidBodyConstructionInfo tci(0.0f, nullptr, tableShape.get());
    tci.m_startWorldTransform.setOrigin(toBt(s.table->center));
    tci.m_friction = 0.8f;
    table = std::make_unique<btRigidBody>(tci);
    world.addRigidBody(table.get());
  }
}

World::Impl::~Impl() {
  for (auto& tool : tools) removeTool(tool);
  for (auto& clip : clips) world.removeRigidBody(clip.body.get());
  for (auto& t : tissues) {
    world.removeSoftBody(t.body);
    delete t.body;
  }
  for (auto& r : rigids) world.removeRigidBody(r.body.get());
  world.removeRigidBody(ground.get());
  if (table) world.removeRigidBody(table.get());
}

void World::Impl::removeTool(Tool& tool) {
  if (!tool.present) return;
  releaseGrasp(tool);
  rejoin(tool);
  world.removeRigidBody(tool.body.get());
  // The soft-body SDF cache is keyed by shape address: forget this shape, or a new shape
  // allocated at the same address would be served its stale distances (and whether that
  // happens depends on the heap, which broke cross-process determinism).
  world.getWorldInfo().m_sparsesdf.RemoveReferences(tool.shape.get());
  tool = Tool{};
}

void World::Impl::buildBody(Tissue& t, const std::vector<Vec3>* x, const std::vector<Vec3>* v) {
  if (t.body) {
    world.removeSoftBody(t.body);
    delete t.body;
    t.body = nullptr;
  }
  const TissueMesh& mesh = t.mesh;
  std::vector<btVector3> rest(mesh.nodeCount());
  for (size_t i = 0; i < rest.size(); ++i) rest[i] = toBt(mesh.rest[i]);
  std::vector<float> masses = mesh.nodeMasses(t.material.massKg);
  std::vector<btScalar> m(masses.begin(), masses.end());
  auto* body = new btSoftBody(&world.getWorldInfo(), static_cast<int>(rest.size()), rest.data(), m.data());
  detail::applyMaterial(*body, t.material, t.kind, t.iterations);
  // Volumes and surfaces solve their links as a sweep of independent neighbours (solveOrder);
  // cloth keeps the sorted sweep, whose tension at 2 iterations the FLS gauze's damage and
  // tear thresholds were set against (solveOrder's made the reference expert's grasp cross
  // the damage force 4 times where it had once).
  const auto links = t.kind == TissueKind::kCloth ? mesh.edges() : mesh.solveOrder();
  for (const auto& e : links) body->appendLink(static_cast<int>(e[0]), static_cast<int>(e[1]));
  for (const auto& f : mesh.triangles) {
    body->appendFace(static_cast<int>(f[0]), static_cast<int>(f[1]), static_cast<int>(f[2]));
  }
  for (const auto& tet : mesh.tets) {
    body->appendTetra(static_cast<int>(tet[0]), static_cast<int>(tet[1]), static_cast<int>(tet[2]),
                      static_cast<int>(tet[3]));
  }
  if (t.kind != TissueKind::kVolumetric && t.material.bend > 0.0f) {
    btSoftBody::Material* bend = body->appendMaterial();
    bend->m_kLST = std::clamp(t.material.bend, 0.0f, 1.0f);
    bend->m_kAST = bend->m_kLST;
    bend->m_kVST = 0.0f;
    detail::appendBendingLinks(*body, bend);
  }
  if (t.kind != TissueKind::kCloth) body->setPose(true, false);  // rest volume for kVC
  body->getCollisionShape()->setMargin(kSoftMargin);
  // Rest lengths/volumes from the rest positions, now; clear the flag so Bullet does not
  // recompute them from the deformed state on the first step.
  body->updateConstants();
  body->m_bUpdateRtCst = false;
  if (x && v) {
    for (size_t i = 0; i < rest.size(); ++i) {
      btSoftBody::Node& n = body->m_nodes[static_cast<int>(i)];
      n.m_x = toBt((*x)[i]);
      n.m_q = n.m_x;
      n.m_v = toBt((*v)[i]);
    }
  }
  body->updateNormals();
  body->updateBounds();
  // Tissue meets tools in the contact stage, not in Bullet; an embedded surface meets the
  // table there too (its nodes lie outside the surface it carries).
  world.addSoftBody(body, kTissueGroup, t.embedded ? 0 : btBroadphaseProxy::AllFilter & ~kToolGroup);
  t.body = body;
  t.goodX.resize(rest.size());
  t.goodV.resize(rest.size());
  saveGood(t);
  t.stress.resize(rest.size(), 0.0f);
  t.piece = mesh.pieces(&t.pieceCount);
}

void World::Impl::currentState(const Tissue& t, std::vector<Vec3>& x, std::vector<Vec3>& v) const {
  const int n = t.body->m_nodes.size();
  x.resize(static_cast<size_t>(n));
  v.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    x[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_x);
    v[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_v);
  }
}

Result<void> World::Impl::layMarkings(Tissue& t, const TissueSettings& s) {
  const TissueMesh& drawn = t.embedded ? t.embedded->mesh : t.mesh;
  const detail::RestSurface surface{drawn.rest, drawn.triangles};
  for (const MarkingSettings& m : s.markings) {
    auto laid = detail::layMarking(m, surface, s.name);
    if (!laid) return laid.error();
    t.markings.push_back(std::move(laid).value());
  }
  if (t.markings.empty()) return {};
  // Keep the triangles within 2 cm of a marking (by their corners' box).
  constexpr float kNear = 0.02f;
  Vec3 lo(std::numeric_limits<float>::max()), hi(-std::numeric_limits<float>::max());
  for (const auto& m : t.markings) {
    for (const Vec3& p : m.line.points) {
      lo = glm::min(lo, p);
      hi = glm::max(hi, p);
    }
  }
  lo -= Vec3(kNear);
  hi += Vec3(kNear);
  std::vector<uint32_t> index(drawn.rest.size(), kInvalidIndex);
  for (const auto& f : drawn.triangles) {
    Vec3 a = glm::min(glm::min(drawn.rest[f[0]], drawn.rest[f[1]]), drawn.rest[f[2]]);
    Vec3 b = glm::max(glm::max(drawn.rest[f[0]], drawn.rest[f[1]]), drawn.rest[f[2]]);
    if (glm::any(glm::lessThan(b, lo)) || glm::any(glm::greaterThan(a, hi))) continue;
    std::array<uint32_t, 3> g{};
    for (size_t k = 0; k < 3; ++k) {
      if (index[f[k]] == kInvalidIndex) {
        index[f[k]] = static_cast<uint32_t>(t.markedRest.size());
        t.markedRest.push_back(drawn.rest[f[k]]);
      }
      g[k] = index[f[k]];
    }
    t.markedTriangles.push_back(g);
  }
  return {};
}

void World::Impl::computeRegions(Tissue& t) {
  t.regionNodes.clear();
  t.regionMask.clear();
  for (const auto& sel : t.regionSelectors) {
    t.regionNodes.push_back(detail::selectNodes(sel, t.mesh));
    std::vector<uint8_t> mask(t.mesh.nodeCount(), 0);
    for (uint32_t n : t.regionNodes.back()) mask[n] = 1;
    t.regionMask.push_back(std::move(mask));
  }
}

std::vector<uint32_t> World::Impl::regionsOf(const Tissue& t, const std::vector<uint32_t>& nodes) const {
  std::vector<uint32_t> out;
  for (uint32_t r = 0; r < t.regionMask.size(); ++r) {
    for (uint32_t n : nodes) {
      if (n < t.regionMask[r].size() && t.regionMask[r][n]) {
        out.push_back(r);
        break;
      }
    }
  }
  return out;
}

void World::Impl::anchorNodes(Tissue& t, const std::vector<uint32_t>& nodes, btRigidBody* body) {
  for (uint32_t n : nodes) {
    btSoftBody::Node& node = t.body->m_nodes[static_cast<int>(n)];
    btVector3 local = body->getWorldTransform().inverse() * node.m_x;
    t.body->appendAnchor(static_cast<int>(n), body, local, false, 1.0f);
  }
}

void World::Impl::drive(Tool& tool, const HandInput& hand) {
  if (tool.letGoRigid != kInvalidIndex) {
    btVector3 a0, a1, b0, b1;
    tool.body->getAabb(a0, a1);
    rigids[tool.letGoRigid].body->getAabb(b0, b1);
    if (!TestAabbAgainstAabb2(a0, a1, b0, b1)) rejoin(tool);
  }
  const instruments::Port* port = tool.settings.port ? &*tool.settings.port : nullptr;
  if (hand.tracked) tool.target = instruments::tipTargetFromHand(hand.pose, tool.settings.spec, port);
  btTransform target =
      toBt(tool.target) * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, tool.comOffset));
  btVector3 targetCom = target.getOrigin();
  if (!tool.hasTarget) {
    tool.prevTargetCom = targetCom;
    tool.hasTarget = true;
  }
  btVector3 targetVel = (targetCom - tool.prevTargetCom) / dt;
  tool.prevTargetCom = targetCom;
  btRigidBody& body = *tool.body;
  const InstrumentSettings& s = tool.settings;
  // Linear virtual coupling: spring-damper toward the hand's target. This is the force
  // the trainee "feels" (feedback) and the force the tool pushes tissue with.
  btVector3 force = s.linearStiffness * (targetCom - body.getCenterOfMassPosition()) +
                    s.linearDamping * (targetVel - body.getLinearVelocity());
  float magnitude = force.length();
  if (magnitude > s.maxForceN) force *= s.maxForceN / magnitude;
  body.applyCentralForce(force);
  tool.state.couplingForce = toVec(force);
  // Angular: velocity drive toward the target orientation (a stiff angular spring on the
  // thin tool would need a far smaller tick to stay stable).
  btQuaternion error = target.getRotation() * body.getWorldTransform().getRotation().inverse();
  if (error.w() < 0) error = -error;
  btScalar angle = error.getAngle();
  btVector3 axis = angle > 1e-6f ? error.getAxis() : btVector3(0, 0, 0);
  btVector3 omega = axis * (angle / (kAngularResponseTicks * dt));
  if (omega.length() > kMaxAngularSpeed) omega *= kMaxAngularSpeed / omega.length();
  body.setAngularVelocity(omega);
  body.activate(true);

  // A tool just passed into the hand keeps its jaws open until the trigger is let go.
  if (!tool.armed && hand.trigger <= kJawOpenTrigger) tool.armed = true;
  const float trigger = tool.armed ? hand.trigger : 0.0f;
  float jaw = instruments::jawAngleFromTrigger(trigger, s.spec);
  bool wasClosed = tool.jawClosed;
  if (!tool.jawClosed && trigger >= kJawCloseTrigger) tool.jawClosed = true;
  if (tool.jawClosed && trigger <= kJawOpenTrigger) tool.jawClosed = false;
  // The widest opening since the jaws last opened: what a closing stroke takes between its
  // blades (the jaws have all but closed by the tick the closure registers).
  if (wasClosed && !tool.jawClosed) tool.openAngleAtClose = jaw;
  if (!tool.jawClosed) tool.openAngleAtClose = std::max(tool.openAngleAtClose, jaw);
  tool.state.jawAngle = jaw;
  if (tool.jawClosed != wasClosed) {
    PhaseScope scope(*this, TickPhase::kTools);
    if (tool.jawClosed)
      onJawClose(tool);
    else
      onJawOpen(tool);
  }
}

detail::ContactSurface& World::Impl::surfaceOf(Tissue& t) {
  if (t.surface.topologyVersion != t.topologyVersion) {
    t.surface = t.embedded ? detail::surfaceOfEmbedding(t.embedded->surface) : detail::surfaceOfMesh(t.mesh);
    t.surface.topologyVersion = t.topologyVersion;
  }
  return t.surface;
}

// Lays a flat cloth mesh over the drawn surfaces of `drapeOver`: each node's drop along the
// sheet's -Y is bounded by what lies under it (the first surface met, less the gap) or by the
// depth; border nodes rest at that bound, and free nodes take the mean height of their grid
// neighbours wherever that is not below their bound (a membrane stretched over supports: the
// discrete obstacle problem, solved by Jacobi sweeps).
Result<void> World::Impl::drapeCloth(const std::string& name, const ClothGeometry& g, TissueMesh& mesh) {
  if (!(g.drapeDepth > 0.0f && g.drapeDepth <= 0.1f) || !(g.drapeGap >= 0.0f && g.drapeGap < g.drapeDepth)) {
    return makeError(ErrorCode::kInvalidInput,
                     "tissue '" + name + "': drape depth must be 0 to 0.1 m, gap 0 to the depth",
                     "e.g. drape: {over: [cystic-duct], gap: 0.001, depth: 0.01}");
  }
  std::vector<Tissue*> under;
  for (const std::string& other : g.drapeOver) {
    auto found =
        std::find_if(tissues.begin(), tissues.end(), [&](const Tissue& t) { return t.name == other; });
    if (found == tissues.end()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + name + "': drape over '" + other + "', which is not a tissue before it",
                       "name tissues listed above this one");
    }
    under.push_back(&*found);
  }
  // Their drawn surfaces, refreshed once (World::castRay refreshes them for every ray).
  for (Tissue* t : under) detail::refresh(surfaceOf(*t), *t->body);
  const Vec3 down = g.pose.orientation * Vec3(0.0f, -1.0f, 0.0f);
  const btVector3 d = toBt(down / glm::length(down));  // as castRay casts: the direction normalised
  const size_t n = mesh.rest.size();
  std::vector<double> bound(n), drop(n);
  // What lies under a node is looked for across its cell (within half a cell each way, on the
  // sheet): a structure narrower than a cell that passes between two rows of nodes still
  // holds the sheet above it, not through it.
  const Vec2 half(0.5f * g.size.x / static_cast<float>(g.cellsX),
                  0.5f * g.size.y / static_cast<float>(g.cellsZ));
  for (size_t i = 0; i < n; ++i) {
    float reach = g.drapeDepth + g.drapeGap;
    for (int sx = -1; sx <= 1; ++sx) {
      for (int sz = -1; sz <= 1; ++sz) {
        const Vec2 uv =
            glm::clamp(mesh.clothCoords[i] + Vec2(static_cast<float>(sx), static_cast<float>(sz)) * half,
                       -0.5f * g.size, 0.5f * g.size);
        const btVector3 o = toBt(g.pose.transformPoint(Vec3(uv.x, 0.0f, uv.y)));
        for (Tissue* t : under) {  // the nearest hit within reach
          btScalar r = reach;
          if (detail::nearestRayHit(surfaceOf(*t), *t->body, o, d, &r) != kInvalidIndex)
            reach = std::min(reach, r);
        }
      }
    }
    bound[i] = static_cast<double>(std::max(0.0f, std::min(g.drapeDepth, reach - g.drapeGap)));
    drop[i] = bound[i];
  }
  const uint32_t nx = mesh.gridX, nz = mesh.gridZ;
  auto border = [&](uint32_t ix, uint32_t iz) { return ix == 0 || iz == 0 || ix + 1 == nx || iz + 1 == nz; };
  // Heights as the drop below the flat sheet: a free node sits no deeper than its bound.
  std::vector<double> next(drop);
  // Converged well within 4 sweeps a node on small sheets; a 256 x 256 sheet is held to about
  // 2e7 node updates (its membrane a little less smooth, never below what it rests on).
  const size_t sweeps = std::clamp<size_t>(20'000'000 / n, 50, 4 * n);
  for (size_t sweep = 0; sweep < sweeps; ++sweep) {
    double change = 0.0;
    for (uint32_t iz = 0; iz < nz; ++iz) {
      for (uint32_t ix = 0; ix < nx; ++ix) {
        const size_t i = static_cast<size_t>(iz) * nx + ix;
        if (border(ix, iz)) continue;
        const double mean = 0.25 * (drop[i - 1] + drop[i + 1] + drop[i - nx] + drop[i + nx]);
        next[i] = std::min(mean, bound[i]);
        change = std::max(change, std::abs(next[i] - drop[i]));
      }
    }
    drop.swap(next);
    if (change < 1e-7) break;
  }
  for (size_t i = 0; i < n; ++i) mesh.rest[i] += static_cast<float>(drop[i]) * down;
  return success();
}

World::World(const WorldSettings& settings)
    : mImpl(std::make_unique<Impl>(settings)), mClock(settings.tickHz) {}
World::~World() = default;

Result<TissueId> World::addTissue(const TissueSettings& s) {
  Result<TissueMesh> mesh = s.kind == TissueKind::kCloth        ? detail::buildClothMesh(s.name, s.cloth)
                            : s.kind == TissueKind::kVolumetric ? detail::buildTetMesh(s.name, s.tetMesh)
                                                                : detail::buildSurfaceMesh(s.name, s.surface);
  if (!mesh.ok()) return mesh.error();
  if (s.kind == TissueKind::kCloth && !s.cloth.drapeOver.empty()) {
    if (auto laid = mImpl->drapeCloth(s.name, s.cloth, mesh.value()); !laid) return laid.error();
  }
  if (!(s.material.massKg > 0.0f)) {
    return makeError(ErrorCode::kInvalidInput, "tissue '" + s.name + "': mass must be positive",
                     "give material.mass_kg in kilograms");
  }
  Impl::Tissue t;
  t.name = s.name;
  t.kind = s.kind;
  t.material = s.material;
  t.iterations = s.solverIterations;
  t.yield = detail::toolYield(s.material, s.kind);
  if (s.vessel && !(s.bleedMlPerS >= 0.0f && s.bleedMlPerS <= 1000.0f)) {
    return makeError(ErrorCode::kInvalidInput, "tissue '" + s.name + "': bleed rate must be 0 to 1000 ml/s",
                     "give bleed_ml_per_s in millilitres a second (a cut cystic artery: about 2)");
  }
  t.vessel = s.vessel;
  t.bleedMlPerS = s.bleedMlPerS;
  t.mesh = std::move(mesh).value();
  if (s.embedded) {
    if (s.kind != TissueKind::kVolumetric) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': an embedded surface needs a tet mesh",
                       "give the tissue a tetmesh, or drop its surface");
    }
    for (const auto& nodes : s.embedded->nodes) {
      for (uint32_t n : nodes) {
        if (n >= t.mesh.nodeCount()) {
          return makeError(ErrorCode::kInvalidInput,
                           "tissue '" + s.name + "': its embedded surface names node " + std::to_string(n) +
                               " of " + std::to_string(t.mesh.nodeCount()),
                           "re-export the embedding with the tet mesh it belongs to");
        }
      }
    }
    if (s.embedded->weights.size() != s.embedded->nodes.size() || s.embedded->indices.size() % 3 != 0) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': its embedded surface is inconsistent",
                       "re-export the surface and its embedding together");
    }
    for (uint32_t v : s.embedded->indices) {
      if (v >= s.embedded->nodes.size()) {
        return makeError(ErrorCode::kInvalidInput,
                         "tissue '" + s.name + "': its embedded surface names vertex " + std::to_string(v) +
                             " of " + std::to_string(s.embedded->nodes.size()),
                         "re-export the surface and its embedding together");
      }
    }
    t.embedded = detail::makeEmbedding(*s.embedded, t.mesh);
  }
  for (const NodeSelector& selector : s.fixed) {
    if ((selector.kind == NodeSelector::Kind::kCorners || selector.kind == NodeSelector::Kind::kBorder) &&
        s.kind != TissueKind::kCloth) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': 'corners' and 'border' apply to cloth only",
                       "select fixed nodes with a box, a sphere or indices");
    }
    std::vector<uint32_t> fixed = detail::selectNodes(selector, t.mesh);
    if (fixed.empty()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': a fixed-node selection selects no node",
                       "check its centre and size against the tissue's position");
    }
    for (uint32_t n : fixed) t.mesh.fixed[n] = 1;
    t.hasFixed = true;
  }
  if (auto laid = mImpl->layMarkings(t, s); !laid) return laid.error();
  // An open line's region: within 1 cm of it, or one node spacing (the mean edge of the
  // tissue's own surface) on coarser meshes.
  float markingBand = 0.01f;
  if (!t.markings.empty() && !t.mesh.triangles.empty()) {
    double edges = 0.0;
    for (const auto& f : t.mesh.triangles) {
      for (int e = 0; e < 3; ++e)
        edges += glm::length(glm::dvec3(t.mesh.rest[f[e]] - t.mesh.rest[f[(e + 1) % 3]]));
    }
    markingBand = std::max(markingBand,
                           static_cast<float>(edges / (3.0 * static_cast<double>(t.mesh.triangles.size()))));
  }
  for (const auto& r : s.regions) {
    t.regionNames.push_back(r.name);
    t.regionSelectors.push_back(r.selector);
    if (r.selector.kind != NodeSelector::Kind::kMarking) continue;
    if (r.selector.marking >= t.markings.size()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': region '" + r.name + "' names marking " +
                           std::to_string(r.selector.marking) + " of " + std::to_string(t.markings.size()),
                       "name one of the tissue's markings");
    }
    t.regionSelectors.back() =
        detail::markingSelector(t.markings[r.selector.marking], r.selector.marking, markingBand);
  }
  mImpl->computeRegions(t);
  for (size_t r = 0; r < t.regionNodes.size(); ++r) {
    if (t.regionNodes[r].empty()) {
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + s.name + "': region '" + t.regionNames[r] + "' selects no node",
                       "move or enlarge the region so it covers part of the tissue");
    }
  }
  t.regionStats.resize(t.regionNames.size());
  const uint32_t index = static_cast<uint32_t>(mImpl->tissues.size());
  for (const std::string& other : s.collidesWith) {
    auto id = findTissue(other);
    if (!id) {
      return makeError(
          ErrorCode::kInvalidInput,
          "tissue '" + s.name + "': collides_with names '" + other + "', which is not a tissue before it",
          "name tissues listed above this one (each pair once)");
    }
    mImpl->tissuePairs.push_back({index, id->index});
  }
  mImpl->tissues.push_back(std::move(t));
  mImpl->buildBody(mImpl->tissues.back(), nullptr, nullptr);
  return TissueId{static_cast<uint32_t>(mImpl->tissues.size() - 1)};
}

Result<RigidId> World::addRigid(const RigidSettings& s) {
  if (s.massKg < 0.0f || !(s.halfExtents.x > 0.0f)) {
    return makeError(ErrorCode::kInvalidInput,
                     "rigid object '" + s.name + "': mass must be >= 0 and size > 0",
                     "mass_kg 0 makes a static object");
  }
  Impl::Rigid r;
  r.name = s.name;
  r.settings = s;
  switch (s.shape) {
    case RigidShape::kBox: {
      auto box = std::make_unique<btBoxShape>(toBt(s.halfExtents));
      box->setMargin(kShapeMargin);
      box->initializePolyhedralFeatures();  // face contacts (several points), not one GJK point
      r.shape = std::move(box);
      break;
    }
    case RigidShape::kSphere:
      r.shape = std::make_unique<btSphereShape>(s.halfExtents.x);
      r.shape->setMargin(kShapeMargin);
      break;
    case RigidShape::kCylinder: {
      // A 24-sided prism with polyhedral contact clipping: Bullet's implicit cylinder meets
      // a flat board in a single rocking point, so a 1 cm peg tips over by itself.
      auto hull = std::make_unique<btConvexHullShape>();
      constexpr int kSides = 24;
      for (int i = 0; i < kSides; ++i) {
        float a = 2.0f * kPi * static_cast<float>(i) / kSides;
        float x = s.halfExtents.x * std::cos(a), z = s.halfExtents.x * std::sin(a);
        hull->addPoint(btVector3(x, -s.halfExtents.y, z), false);
        hull->addPoint(btVector3(x, s.halfExtents.y, z), false);
      }
      hull->recalcLocalAabb();
      // A thin post (an FLS board's) keeps its outline: the margin Bullet adds outside a
      // hull is at most a quarter of the radius.
      hull->setMargin(std::min(kShapeMargin, 0.25f * s.halfExtents.x));
      hull->initializePolyhedralFeatures();
      r.shape = std::move(hull);
      break;
    }
    case RigidShape::kTriangle: {
      // Three boxes round the hole: a post passes through it, as through the FLS kit's.
      auto compound = std::make_unique<btCompoundShape>(false, 3);
      for (const TriangleBar& bar : triangleBars(s.halfExtents)) {
        auto box = std::make_unique<btBoxShape>(btVector3(bar.halfLength, s.halfExtents.y, s.halfExtents.z));
        box->setMargin(std::min(kShapeMargin, 0.5f * std::min(s.halfExtents.y, s.halfExtents.z)));
        box->initializePolyhedralFeatures();
        const btMatrix3x3 basis(bar.along.x, 0, bar.outward.x, 0, 1, 0, bar.along.z, 0, bar.outward.z);
        compound->addChildShape(btTransform(basis, toBt(bar.center)), box.get());
        r.parts.push_back(std::move(box));
      }
      r.shape = std::move(compound);
      break;
    }
  }
  btVector3 inertia(0, 0, 0);
  if (s.massKg > 0.0f) r.shape->calculateLocalInertia(s.massKg, inertia);
  btRigidBody::btRigidBodyConstructionInfo ci(s.massKg, nullptr, r.shape.get(), inertia);
  ci.m_startWorldTransform = toBt(s.pose);
  ci.m_friction = s.friction;
  r.body = std::make_unique<btRigidBody>(ci);
  if (s.massKg > 0.0f) {
    r.body->setActivationState(DISABLE_DEACTIVATION);
    r.body->setDamping(s.linearDamping, s.angularDamping);
    r.body->setRollingFriction(0.005f);  // rubber-like: a peg on its side soon stops
  }
  r.good = r.body->getWorldTransform();
  mImpl->world.addRigidBody(r.body.get());
  mImpl->rigids.push_back(std::move(r));
  return RigidId{static_cast<uint32_t>(mImpl->rigids.size() - 1)};
}

Result<ZoneId> World::addTargetZone(const TargetZoneSettings& s) {
  Impl::Zone zone{s, {}};
  for (const std::string& name : s.around) {
    const auto post = findRigid(name);
    if (!post || mImpl->rigids[post->index].settings.massKg > 0.0f) {
      return makeError(ErrorCode::kInvalidInput,
                       "zone '" + s.name + "': around names '" + name + "', which is not a static object",
                       "name posts (objects with mass_kg 0) added before the zone");
    }
    zone.around.push_back(post->index);
  }
  mImpl->zones.push_back(std::move(zone));
  return ZoneId{static_cast<uint32_t>(mImpl->zones.size() - 1)};
}

void World::setInstrument(Hand hand, const InstrumentSettings& s) {
  Impl::Tool& tool = mImpl->tools[static_cast<size_t>(hand)];
  mImpl->removeTool(tool);
  tool.present = true;
  tool.settings = s;
  // The simulated body is the distal section of the shaft: a capsule from the tip back
  // 4 jaw lengths (the part that meets tissue); its centre sits comOffset behind the tip.
  // Scissor blades are thin: a sheet passes between them instead of being pushed, so their
  // capsule starts at the hinge.
  float radius = s.spec.shaftRadius;
  float length = 4.0f * s.spec.jawLength;
  float start = 0.0f;
  if (s.spec.cutsOnClose()) {
    start = s.spec.jawLength;
    length -= s.spec.jawLength;
  }
  tool.comOffset = start + radius + length * 0.5f;
  tool.shape = std::make_unique<btCapsuleShapeZ>(radius, length);
  btVector3 inertia;
  tool.shape->calculateLocalInertia(s.spec.massKg, inertia);
  btRigidBody::btRigidBodyConstructionInfo ci(s.spec.massKg, nullptr, tool.shape.get(), inertia);
  ci.m_friction = 0.6f;
  tool.body = std::make_unique<btRigidBody>(ci);
  tool.body->setActivationState(DISABLE_DEACTIVATION);
  // A scalpel is sharp: it parts what it sweeps instead of pushing it.
  if (s.spec.cutsBySweep()) {
    tool.body->setCollisionFlags(tool.body->getCollisionFlags() | btCollisionObject::CF_NO_CONTACT_RESPONSE);
  }
  mImpl->world.addRigidBody(tool.body.get(), kToolGroup, btBroadphaseProxy::AllFilter & ~kTissueGroup);
  tool.body->setGravity(btVector3(0, 0, 0));  // the hand carries the tool's weight
  tool.state = InstrumentState{};
  tool.state.present = true;
  tool.hasTarget = false;
}

void World::setInstrumentTray(Hand hand, std::vector<InstrumentSettings> tray) {
  TROCAR_PRECONDITION(!tray.empty(), "an instrument tray holds at least one instrument");
  const size_t h = static_cast<size_t>(hand);
  mImpl->trays[h] = std::move(tray);
  mImpl->trayIndex[h] = 0;
  setInstrument(hand, mImpl->trays[h].front());
}

uint32_t World::trayIndex(Hand hand) const {
  return mImpl->trayIndex[static_cast<size_t>(hand)];
}

const std::vector<Event>& World::step(const InputFrame& input) {
  beginTick(input);
  advancePhysics();
  return finishTick();
}

void World::setProfiler(TickProfiler* profiler) {
  mImpl->profiler = profiler;
}

const char* toString(TickPhase phase) {
  switch (phase) {
    case TickPhase::kInput: return "input";
    case TickPhase::kBullet: return "bullet";
    case TickPhase::kContact: return "contact";
    case TickPhase::kTools: return "grasp_cut_clip";
    case TickPhase::kSensing: return "sensing";
    case TickPhase::kObjects: return "objects";
    case TickPhase::kGuard: return "guard";
    case TickPhase::kTear: return "tear";
    case TickPhase::kCheckpoint: return "checkpoint";
    case TickPhase::kListeners: return "scoring_feedback_recording";
    case TickPhase::kCount: break;
  }
  return "?";
}

void World::beginTick(const InputFrame& input) {
  Impl& w = *mImpl;
  TROCAR_PRECONDITION(!mPhysicsPending, "beginTick twice without advancePhysics/finishTick");
  w.enter(TickPhase::kInput);
  w.events.clear();
  w.tick = mTick;
  if (input.scope && w.settings.camera) w.settings.camera->pose = *input.scope;  // the trainee moved it
  // Instrument exchange: the hand asks for another of its tray's instruments (an index
  // past the tray's end is ignored).
  for (size_t h = 0; h < w.tools.size(); ++h) {
    const uint32_t want = input.hands[h].instrument;
    if (want != w.trayIndex[h] && want < w.trays[h].size()) {
      w.trayIndex[h] = want;
      if (w.tools[h].present) w.onJawOpen(w.tools[h]);  // lets go first (a release event)
      setInstrument(static_cast<Hand>(h), w.trays[h][want]);
      w.tools[h].armed = false;
    }
  }
  // Hands drive the instruments (coupling forces, jaw actions) for this tick.
  for (size_t h = 0; h < w.tools.size(); ++h) {
    Impl::Tool& tool = w.tools[h];
    if (!tool.present) continue;
    if (!tool.hasTarget) {
      // First tick: start the tool body at its target so it does not fly in.
      const instruments::Port* port = tool.settings.port ? &*tool.settings.port : nullptr;
      tool.target = instruments::tipTargetFromHand(input.hands[h].pose, tool.settings.spec, port);
      btTransform start =
          toBt(tool.target) * btTransform(btQuaternion::getIdentity(), btVector3(0, 0, tool.comOffset));
      tool.body->setWorldTransform(start);
      tool.body->setCenterOfMassTransform(start);
    }
    w.drive(tool, input.hands[h]);
  }
  mPhysicsPending = true;
}

void World::advancePhysics() {
  TROCAR_PRECONDITION(mPhysicsPending, "advancePhysics without beginTick");
  mImpl->enter(TickPhase::kBullet);
  // Exactly one Bullet step of dt (maxSubSteps 0: no accumulator inside Bullet).
  mImpl->world.stepSimulation(mImpl->dt, 0, mImpl->dt);
  ++mTick;
  mImpl->tick = mTick;
  mPhysicsPending = false;
  mSensePending = true;
}

const std::vector<Event>& World::finishTick() {
  TROCAR_PRECONDITION(mSensePending, "finishTick without advancePhysics");
  Impl& w = *mImpl;
  // Sense: contacts, forces, damage, view; sweeping cuts; placed/dropped; stability.
  w.enter(TickPhase::kContact);
  w.decayStress();
  w.resolveContacts();
  w.enter(TickPhase::kSensing);
  for (auto& tool : w.tools) {
    if (!tool.present) continue;
    // Sense first: a cut rebuilds the body, whose contacts only exist after the next step.
    w.senseContacts(tool);
    if (tool.settings.spec.cutsBySweep()) {
      Impl::PhaseScope scope(w, TickPhase::kTools);
      w.scalpelSweep(tool);
    }
  }
  w.bleed();
  w.enter(TickPhase::kObjects);
  w.trackRigids();
  w.enter(TickPhase::kGuard);
  w.guardStability();
  w.enter(TickPhase::kTear);
  for (uint32_t ti = 0; ti < w.tissues.size(); ++ti) w.tearOverstretched(ti);
  mSensePending = false;
  return w.events;
}

double World::bloodLossMl() const {
  return mImpl->bloodLossMl;
}

Hash64 World::stateHash() const {
  const Impl& w = *mImpl;
  StateHasher h;
  h.add(mTick);
  std::vector<float> buffer;
  for (const auto& t : w.tissues) {
    const int n = t.body->m_nodes.size();
    buffer.resize(static_cast<size_t>(n) * 6);
    for (int i = 0; i < n; ++i) {
      const btSoftBody::Node& node = t.body->m_nodes[i];
      float* out = &buffer[static_cast<size_t>(i) * 6];
      for (int k = 0; k < 3; ++k) {
        out[k] = node.m_x[k];
        out[3 + k] = node.m_v[k];
      }
    }
    h.add(static_cast<uint64_t>(n));
    h.addSpan(std::span<const float>(buffer));
  }
  auto addBody = [&h](const btRigidBody& body) {
    const btTransform& tr = body.getWorldTransform();
    float values[18];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) values[r * 3 + c] = tr.getBasis()[r][c];
      values[9 + r] = tr.getOrigin()[r];
      values[12 + r] = body.getLinearVelocity()[r];
      values[15 + r] = body.getAngularVelocity()[r];
    }
    h.addBytes(values, sizeof(values));
  };
  for (const auto& r : w.rigids) addBody(*r.body);
  for (const auto& c : w.clips) addBody(*c.body);
  for (const auto& tool : w.tools) {
    h.add(static_cast<uint8_t>(tool.present));
    if (!tool.present) continue;
    addBody(*tool.body);
    h.add(tool.state.jawAngle);
    h.add(static_cast<uint32_t>(tool.graspNodes.size()));
  }
  return h.digest();
}

std::optional<Pose> World::scopePose() const {
  const Impl& w = *mImpl;
  return w.settings.camera ? std::optional<Pose>(w.settings.camera->pose) : std::nullopt;
}

void World::snapshot(WorldSnapshot& out) const {
  const Impl& w = *mImpl;
  out.tick = mTick;
  out.scope = w.settings.camera ? std::optional<Pose>(w.settings.camera->pose) : std::nullopt;
  out.tissues.resize(w.tissues.size());
  for (size_t ti = 0; ti < w.tissues.size(); ++ti) {
    const auto& t = w.tissues[ti];
    TissueSnapshot& s = out.tissues[ti];
    const int n = t.body->m_nodes.size();
    s.positions.resize(static_cast<size_t>(n));
    s.normals.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      s.positions[static_cast<size_t>(i)] = toVec(t.body->m_nodes[i].m_x);
      s.normals[static_cast<size_t>(i)] = Vec3(0.0f);
    }
    if (s.topologyVersion != t.topologyVersion || s.indices.size() != t.mesh.triangles.size() * 3) {
      s.indices.clear();
      for (const auto& f : t.mesh.triangles) s.indices.insert(s.indices.end(), f.begin(), f.end());
      s.restPositions = t.mesh.rest;
      s.topologyVersion = t.topologyVersion;
      if (t.embedded) {
        s.embedded = t.embedded->surface;
        s.embeddedCut.assign(t.embedded->cut.begin(), t.embedded->cut.end());
        s.embeddedRest = t.embedded->mesh.rest;
      }
      s.markings.clear();
      for (const auto& m : t.markings) s.markings.push_back(m.line);
    }
    // Area-weighted vertex normals from the current triangles.
    for (const auto& f : t.mesh.triangles) {
      Vec3 nrm = glm::cross(s.positions[f[1]] - s.positions[f[0]], s.positions[f[2]] - s.positions[f[0]]);
      for (uint32_t v : f) s.normals[v] += nrm;
    }
    for (Vec3& nrm : s.normals) {
      float len = glm::length(nrm);
      nrm = len > 0.0f ? nrm / len : Vec3(0.0f, 1.0f, 0.0f);
    }
    s.stress = t.stress;
  }
  out.rigids.resize(w.rigids.size());
  for (size_t i = 0; i < w.rigids.size(); ++i) out.rigids[i] = toPose(w.rigids[i].body->getWorldTransform());
  for (size_t h = 0; h < w.tools.size(); ++h) {
    const auto& tool = w.tools[h];
    out.instruments[h].present = tool.present;
    if (!tool.present) continue;
    out.instruments[h].kind = tool.settings.spec.kind;
    out.instruments[h].tipPose = toPose(w.toolTipTransform(tool));
    out.instruments[h].targetPose = tool.state.targetPose;
    out.instruments[h].jawAngle = tool.state.jawAngle;
  }
  out.clips.resize(w.clips.size());
  for (size_t i = 0; i < w.clips.size(); ++i)
    out.clips[i].pose = toPose(w.clips[i].body->getWorldTransform());
  out.bleeds.resize(w.bleeds.size());
  for (size_t i = 0; i < w.bleeds.size(); ++i)
    out.bleeds[i] = {w.bleeds[i].position, w.bleeds[i].active, static_cast<float>(w.bleeds[i].ml)};
}

const InstrumentState& World::instrument(Hand hand) const {
  return mImpl->tools[static_cast<size_t>(hand)].state;
}
size_t World::tissueCount() const {
  return mImpl->tissues.size();
}
size_t World::rigidCount() const {
  return mImpl->rigids.size();
}

std::string_view World::tissueName(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].name;
}
std::string_view World::rigidName(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return mImpl->rigids[id.index].name;
}
std::string_view World::zoneName(ZoneId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->zones.size(), "unknown zone id");
  return mImpl->zones[id.index].settings.name;
}
std::optional<TissueId> World::findTissue(std::string_view name) const {
  for (uint32_t i = 0; i < mImpl->tissues.size(); ++i) {
    if (mImpl->tissues[i].name == name) return TissueId{i};
  }
  return std::nullopt;
}
std::optional<RigidId> World::findRigid(std::string_view name) const {
  for (uint32_t i = 0; i < mImpl->rigids.size(); ++i) {
    if (mImpl->rigids[i].name == name) return RigidId{i};
  }
  return std::nullopt;
}
std::optional<uint32_t> World::findRegion(TissueId tissue, std::string_view name) const {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  const auto& names = mImpl->tissues[tissue.index].regionNames;
  for (uint32_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return std::nullopt;
}
std::string_view World::regionName(TissueId tissue, uint32_t region) const {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[tissue.index].regionNames.size(), "unknown region");
  return mImpl->tissues[tissue.index].regionNames[region];
}

size_t World::nodeCount(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return static_cast<size_t>(mImpl->tissues[id.index].body->m_nodes.size());
}
Vec3 World::nodePosition(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  return toVec(mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_x);
}
Vec3 World::nodeVelocity(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  return toVec(mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_v);
}
float World::nodeMass(TissueId id, uint32_t node) const {
  TROCAR_PRECONDITION(node < nodeCount(id), "node index out of range");
  btScalar im = mImpl->tissues[id.index].body->m_nodes[static_cast<int>(node)].m_im;
  return im > 0 ? 1.0f / im : 0.0f;
}
float World::totalMass(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].material.massKg;
}
std::span<const uint32_t> World::regionNodes(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[id.index].regionNodes.size(), "unknown region");
  return mImpl->tissues[id.index].regionNodes[region];
}
const std::vector<std::vector<Vec3>>& World::cutPaths(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].cuts;
}
uint32_t World::pieceCount(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  return mImpl->tissues[id.index].pieceCount;
}
std::vector<Marking> World::markings(TissueId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  std::vector<Marking> out;
  for (const auto& m : mImpl->tissues[id.index].markings) out.push_back(m.line);
  return out;
}

World::MarkingCutAccuracy World::markingCutAccuracy(TissueId id, uint32_t marking) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  const auto& t = mImpl->tissues[id.index];
  TROCAR_PRECONDITION(marking < t.markings.size(), "unknown marking");
  const detail::LaidMarking& m = t.markings[marking];
  constexpr double kApproach = 0.01;  // m
  constexpr float kOnSurface = 0.0005f;
  const bool cloth = t.kind == TissueKind::kCloth;
  const detail::TissueMesh& drawn = t.embedded ? t.embedded->mesh : t.mesh;
  const detail::RestSurface loaded{t.markedRest, t.markedTriangles};
  double pitch = static_cast<double>(m.pitch);
  if (cloth && t.mesh.clothCoords.size() >= 2 && t.mesh.gridX >= 2)
    pitch = glm::length(glm::dvec2(t.mesh.clothCoords[1] - t.mesh.clothCoords[0]));
  MarkingCutAccuracy a;
  std::vector<Vec3> near;
  double sum = 0.0;
  for (size_t n = drawn.originalNodeCount; n < drawn.rest.size(); ++n) {
    const Vec3& p = drawn.rest[n];
    const double d = detail::distanceToMarking(m, p);
    if (d > kApproach) continue;
    if (!cloth && detail::distanceToSurface(loaded, p) > kOnSurface) continue;  // inside the tissue
    near.push_back(p);
    sum += d;
    a.maxMm = std::max(a.maxMm, 1000.0 * d);
  }
  a.points = static_cast<uint32_t>(near.size());
  if (near.empty()) return a;
  a.meanMm = 1000.0 * sum / static_cast<double>(near.size());
  // The line in steps of 1 mm (its length over the nearest whole number of them), each
  // sample at the middle of its step.
  const auto& line = m.line.points;
  const size_t segments = m.line.closed ? line.size() : line.size() - 1;
  double length = 0.0;
  for (size_t i = 0; i < segments; ++i)
    length += glm::length(glm::dvec3(line[(i + 1) % line.size()] - line[i]));
  const int samples = std::max(1, static_cast<int>(std::llround(length / 0.001)));
  int cut = 0;
  size_t segment = 0;
  double start = 0.0;  // arc length where `segment` starts
  for (int k = 0; k < samples; ++k) {
    const double at = length * (k + 0.5) / samples;
    double span = glm::length(glm::dvec3(line[(segment + 1) % line.size()] - line[segment]));
    while (segment + 1 < segments && at > start + span) {
      start += span;
      ++segment;
      span = glm::length(glm::dvec3(line[(segment + 1) % line.size()] - line[segment]));
    }
    const glm::dvec3 from(line[segment]), to(line[(segment + 1) % line.size()]);
    const glm::dvec3 s = span > 0.0 ? glm::mix(from, to, std::clamp((at - start) / span, 0.0, 1.0)) : from;
    for (const Vec3& p : near) {
      if (glm::length(glm::dvec3(p) - s) <= pitch) {
        ++cut;
        break;
      }
    }
  }
  a.fractionCut = static_cast<double>(cut) / samples;
  return a;
}

double World::pieceRestArea(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  const auto& t = mImpl->tissues[id.index];
  TROCAR_PRECONDITION(region < t.regionNodes.size(), "unknown region");
  if (t.regionNodes[region].empty()) return 0.0;
  // The piece holding most of the region's nodes (slivers cut off along the line hold a few).
  std::vector<uint32_t> held(t.pieceCount, 0);
  for (uint32_t n : t.regionNodes[region]) held[t.piece[n]]++;
  const uint32_t piece = static_cast<uint32_t>(std::max_element(held.begin(), held.end()) - held.begin());
  double area = 0.0;
  for (const auto& f : t.mesh.triangles) {
    if (t.piece[f[0]] != piece) continue;
    glm::dvec3 ab(t.mesh.rest[f[1]] - t.mesh.rest[f[0]]), ac(t.mesh.rest[f[2]] - t.mesh.rest[f[0]]);
    area += 0.5 * glm::length(glm::cross(ab, ac));
  }
  return area;
}

std::optional<World::SurfaceHit> World::castRay(const Vec3& origin, const Vec3& direction, float maxDistance,
                                                std::optional<TissueId> only) const {
  const float length = glm::length(direction);
  TROCAR_PRECONDITION(length > 0.0f, "castRay needs a direction");
  const btVector3 o = toBt(origin), d = toBt(direction / length);
  std::optional<SurfaceHit> best;
  for (uint32_t ti = 0; ti < mImpl->tissues.size(); ++ti) {
    if (only && only->index != ti) continue;
    Impl::Tissue& t = mImpl->tissues[ti];
    detail::ContactSurface& surface = mImpl->surfaceOf(t);  // a cache: refreshed, not changed
    detail::refresh(surface, *t.body);
    btScalar reach = best ? best->distance : maxDistance;
    const uint32_t f = detail::nearestRayHit(surface, *t.body, o, d, &reach);
    if (f == kInvalidIndex) continue;
    const auto& tri = surface.triangles[f];
    btVector3 n =
        (surface.x[tri[1]] - surface.x[tri[0]]).cross(surface.x[tri[2]] - surface.x[tri[0]]).normalized();
    if (n.dot(d) > 0) n = -n;
    // The hit's barycentric weights on the triangle now, applied to its corners at rest (each
    // corner a weighted sum of nodes: itself, or an embedded vertex's tet).
    const Vec3 p = toVec(o + d * reach);
    const Vec3 a = toVec(surface.x[tri[0]]), b = toVec(surface.x[tri[1]]), c = toVec(surface.x[tri[2]]);
    const Vec3 cross = glm::cross(b - a, c - a);
    const float area = glm::dot(cross, cross);
    auto restOf = [&](uint32_t v) {
      Vec3 r(0.0f);
      for (uint32_t k = 0; k < surface.arity; ++k)
        r += surface.weights[v * surface.arity + k] * t.mesh.rest[surface.nodes[v * surface.arity + k]];
      return r;
    };
    Vec3 rest = restOf(tri[0]);
    if (area > 0.0f) {
      const float wa = glm::dot(glm::cross(c - b, p - b), cross) / area;
      const float wb = glm::dot(glm::cross(a - c, p - c), cross) / area;
      rest = wa * rest + wb * restOf(tri[1]) + (1.0f - wa - wb) * restOf(tri[2]);
    }
    best = SurfaceHit{TissueId{ti}, p, toVec(n), static_cast<float>(reach), rest};
  }
  return best;
}

Pose World::rigidPose(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return toPose(mImpl->rigids[id.index].body->getWorldTransform());
}
Vec3 World::rigidLinearVelocity(RigidId id) const {
  TROCAR_PRECONDITION(id.index < mImpl->rigids.size(), "unknown rigid id");
  return toVec(mImpl->rigids[id.index].body->getLinearVelocity());
}
World::RegionForceStats World::regionForce(TissueId id, uint32_t region) const {
  TROCAR_PRECONDITION(id.index < mImpl->tissues.size(), "unknown tissue id");
  TROCAR_PRECONDITION(region < mImpl->tissues[id.index].regionStats.size(), "unknown region");
  return mImpl->tissues[id.index].regionStats[region];
}

uint32_t World::cutWithQuad(TissueId tissue, const std::array<Vec3, 4>& quad) {
  TROCAR_PRECONDITION(tissue.index < mImpl->tissues.size(), "unknown tissue id");
  mImpl->tick = mTick;
  mImpl->events.clear();
  return mImpl->cut(tissue.index, quad, nullptr);
}

void World::setNodeVelocity(TissueId tissue, uint32_t node, const Vec3& velocity) {
  TROCAR_PRECONDITION(node < nodeCount(tissue), "node index out of range");
  mImpl->tissues[tissue.index].body->m_nodes[static_cast<int>(node)].m_v = toBt(velocity);
}

const std::vector<Event>& World::lastEvents() const {
  return mImpl->events;
}

}  // namespace trocar::physics
