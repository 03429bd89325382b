// Cutting: scissors closing, scalpel sweeps, tearing, rebuilding a cut body, detached pieces.
#include "WorldImpl.h"

namespace trocar::physics {

void World::Impl::rebuild(uint32_t ti, const std::vector<Vec3>& x, const std::vector<Vec3>& v) {
  Tissue& t = tissues[ti];
  t.topologyVersion++;
  buildBody(t, &x, &v);
  for (auto& tool : tools) tool.sides.sides.clear();  // its triangles are numbered anew
  for (auto& clip : clips) {
    if (clip.tissue == ti) anchorNodes(t, clip.nodes, clip.body.get());
    for (const auto& held : clip.sheets) {
      if (held.tissue == ti) anchorNodes(t, held.nodes, clip.body.get());
    }
  }
}

void World::Impl::tearOverstretched(uint32_t ti) {
  Tissue& t = tissues[ti];
  if (t.mesh.kind != TissueKind::kCloth) return;
  constexpr float kTearStretch = 3.0f;
  auto limit = [&](uint32_t a, uint32_t b) {  // squared lengths: this runs every tick
    const Vec3 r = t.mesh.rest[a] - t.mesh.rest[b];
    return kTearStretch * kTearStretch * glm::dot(r, r);
  };
  auto stretched = [&](uint32_t a, uint32_t b) {
    const btVector3 d = t.body->m_nodes[static_cast<int>(a)].m_x - t.body->m_nodes[static_cast<int>(b)].m_x;
    return d.length2() > limit(a, b);
  };
  // Most ticks nothing is: each edge once (an edge's two triangles ask the same question).
  if (t.tearEdgesVersion != t.topologyVersion) {
    t.tearEdges = t.mesh.edges();
    t.tearLimits.resize(t.tearEdges.size());
    for (size_t k = 0; k < t.tearEdges.size(); ++k)
      t.tearLimits[k] = limit(t.tearEdges[k][0], t.tearEdges[k][1]);
    t.tearEdgesVersion = t.topologyVersion;
  }
  bool any = false;
  for (size_t k = 0; k < t.tearEdges.size() && !any; ++k) {
    const btVector3 d = t.body->m_nodes[static_cast<int>(t.tearEdges[k][0])].m_x -
                        t.body->m_nodes[static_cast<int>(t.tearEdges[k][1])].m_x;
    any = d.length2() > t.tearLimits[k];
  }
  if (!any) return;
  std::vector<std::array<uint32_t, 3>> kept;
  kept.reserve(t.mesh.triangles.size());
  for (const auto& f : t.mesh.triangles) {
    if (!stretched(f[0], f[1]) && !stretched(f[1], f[2]) && !stretched(f[2], f[0])) kept.push_back(f);
  }
  if (kept.size() == t.mesh.triangles.size()) return;
  TROCAR_LOG_DEBUG("tissue '%s' tore at tick %llu: %zu faces", t.name.c_str(),
                   static_cast<unsigned long long>(tick), t.mesh.triangles.size() - kept.size());
  std::vector<Vec3> x, v;
  currentState(t, x, v);
  t.mesh.triangles = std::move(kept);
  std::map<std::array<uint32_t, 2>, bool> whole;
  for (const auto& e : t.mesh.edges()) whole[e] = true;
  std::erase_if(t.mesh.pending, [&](const auto& c) { return !whole.count(c.edge); });
  rebuild(ti, x, v);
  reportDetached(ti, nullptr);
}

uint32_t World::Impl::cut(uint32_t ti, const std::array<Vec3, 4>& quad, Tool* tool, bool sweep) {
  Tissue& t = tissues[ti];
  std::vector<Vec3> x, v;
  currentState(t, x, v);
  // An embedded detailed surface is cut where the blade crosses it (only its triangles near
  // the blade are tested), then carried into the pieces of the tets the blade splits.
  detail::CutResult surfaceCut;
  std::vector<Vec3> positions;
  if (t.embedded) {
    btVector3 lo = toBt(quad[0]), hi = lo;
    for (const Vec3& q : quad) {
      lo.setMin(toBt(q));
      hi.setMax(toBt(q));
    }
    detail::ContactSurface& surface = surfaceOf(t);
    detail::refresh(surface, *t.body);
    const std::span<const uint32_t> nearBlade = detail::near(surface, *t.body, lo, hi);
    if (!nearBlade.empty()) {
      const std::vector<uint32_t> candidates(nearBlade.begin(), nearBlade.end());
      detail::embeddedPositions(*t.embedded, x, positions);
      surfaceCut = detail::cutEmbedding(*t.embedded, positions, quad, candidates);
    }
  }
  const uint32_t before = static_cast<uint32_t>(t.mesh.nodeCount());
  const size_t tetsBefore = t.mesh.tets.size();
  // A pack's tets are parted only by a blade in its material: one that crosses the drawn
  // surface or lies inside it. Its coarse tets reach up to a cell beyond what is drawn; a
  // blade passing through that margin (the skin above a skull) cuts nothing of it.
  const bool inMaterial = !t.embedded || !surfaceCut.crossings.empty() || insideDrawn(ti, toBt(quad[1])) ||
                          insideDrawn(ti, toBt(quad[2])) ||
                          insideDrawn(ti, toBt(0.25f * (quad[0] + quad[1] + quad[2] + quad[3])));
  detail::CutResult result = inMaterial ? detail::cutMesh(t.mesh, {&x, &v}, quad) : detail::CutResult{};
  if (result.splitEdges == 0 && surfaceCut.splitEdges == 0) return 0;
  if (t.embedded) {
    const uint32_t firstNew =
        static_cast<uint32_t>(t.embedded->mesh.nodeCount()) - surfaceCut.newNodeParents.size();
    if (positions.empty()) detail::embeddedPositions(*t.embedded, x, positions);
    detail::reembed(*t.embedded, t.mesh, x, positions, firstNew, surfaceCut, result.tetOrigin, tetsBefore);
  }
  // Regions and fixed flags for the new nodes.
  for (size_t r = 0; r < t.regionSelectors.size(); ++r) {
    t.regionMask[r].resize(t.mesh.nodeCount(), 0);
    for (uint32_t i = before; i < t.mesh.nodeCount(); ++i) {
      const auto& parents = result.newNodeParents[i - before];
      bool in = detail::selectsCutNode(t.regionSelectors[r], t.mesh, i, t.regionMask[r][parents[0]] != 0,
                                       t.regionMask[r][parents[1]] != 0);
      t.regionMask[r][i] = in ? 1 : 0;
      if (in) t.regionNodes[r].push_back(i);
    }
  }
  if (result.splitEdges > 0) {
    rebuild(ti, x, v);
  } else {  // only the detailed surface changed: the body stands, the contact surface is new
    t.topologyVersion++;
    for (auto& other : tools) other.sides.sides.clear();
  }
  // What the cut looks like: on a pack the detailed surface's cut, where the blade crossed it.
  const detail::CutResult& shown = surfaceCut.splitEdges > 0 ? surfaceCut : result;
  float length = shown.length;
  // A scalpel stroke continues its incision (within 5 mm of where the last sweep cut):
  // one path, and the event's length is how far the incision grew.
  Tool* stroke = sweep ? tool : nullptr;
  constexpr float kStrokeGap = 0.005f;
  if (stroke && stroke->strokeTissue == ti &&
      glm::length(shown.path.front() - stroke->strokeLast) < kStrokeGap) {
    length += glm::length(shown.path.front() - stroke->strokeLast);
    auto& path = t.cuts[stroke->strokePath];
    path.insert(path.end(), shown.path.begin(), shown.path.end());
  } else {
    t.cuts.push_back(shown.path);
    if (stroke) {
      stroke->strokeTissue = ti;
      stroke->strokePath = t.cuts.size() - 1;
    }
  }
  if (stroke) stroke->strokeLast = shown.path.back();
  Event e = makeEvent(EventKind::kCut, tool);
  e.tissue = {ti};
  // The regions the cut path crosses: a crossing (a crack tip too, which makes no node yet)
  // that lies in the region at rest, or on an edge between two of its nodes; on a pack, a
  // crossing of its detailed surface too.
  for (uint32_t r = 0; r < t.regionSelectors.size(); ++r) {
    bool crossed = false;
    for (const auto& [edge, along] : result.crossings) {
      const Vec3 rest = glm::mix(t.mesh.rest[edge[0]], t.mesh.rest[edge[1]], along);
      Vec2 cloth(0.0f);
      if (!t.mesh.clothCoords.empty())
        cloth = glm::mix(t.mesh.clothCoords[edge[0]], t.mesh.clothCoords[edge[1]], along);
      if (detail::selectsPoint(t.regionSelectors[r], rest, t.mesh.clothCoords.empty() ? nullptr : &cloth,
                               t.regionMask[r][edge[0]] != 0, t.regionMask[r][edge[1]] != 0)) {
        crossed = true;
        break;
      }
    }
    for (size_t k = 0; !crossed && k < surfaceCut.crossings.size(); ++k) {
      const auto& [edge, along] = surfaceCut.crossings[k];
      const auto& rest = t.embedded->mesh.rest;
      crossed = detail::selectsPoint(t.regionSelectors[r], glm::mix(rest[edge[0]], rest[edge[1]], along),
                                     nullptr, false, false);
    }
    if (crossed) e.regions.push_back(r);
  }
  e.value = length;
  e.position = shown.path.empty() ? Vec3(0.0f) : shown.path[shown.path.size() / 2];
  const Vec3 at = e.position;
  events.push_back(std::move(e));
  if (t.vessel) {
    const Vec3 normal = glm::cross(quad[2] - quad[0], quad[3] - quad[1]);
    if (glm::length(normal) > 0.0f)
      startBleeding(ti, glm::normalize(normal), 0.25f * (quad[0] + quad[1] + quad[2] + quad[3]), at, tool);
  }
  reportDetached(ti, tool);
  return result.splitEdges + surfaceCut.splitEdges;
}

bool World::Impl::insideDrawn(uint32_t ti, const btVector3& p) {
  Tissue& t = tissues[ti];
  detail::ContactSurface& surface = surfaceOf(t);  // refreshed by cut() this tick
  if (!(p.x() >= surface.lo.x() && p.y() >= surface.lo.y() && p.z() >= surface.lo.z() &&
        p.x() <= surface.hi.x() && p.y() <= surface.hi.y() && p.z() <= surface.hi.z()))
    return false;
  // Slightly off the axes, so the ray does not run along a grid of faces.
  const btVector3 d = btVector3(0.0123f, 1.0f, 0.0311f).normalized();
  btScalar reach = (surface.hi - surface.lo).length();
  const uint32_t f = detail::nearestRayHit(surface, *t.body, p, d, &reach);
  if (f == kInvalidIndex) return false;
  const auto& tri = surface.triangles[f];
  // Leaving through the nearest face: p was inside.
  return (surface.x[tri[1]] - surface.x[tri[0]]).cross(surface.x[tri[2]] - surface.x[tri[0]]).dot(d) > 0;
}

void World::Impl::reportDetached(uint32_t ti, const Tool* tool) {
  Tissue& t = tissues[ti];
  if (t.pieceCount < 2) return;
  std::vector<uint32_t> size(t.pieceCount, 0), minNode(t.pieceCount, kInvalidIndex);
  std::vector<uint8_t> anchored(t.pieceCount, 0);
  for (uint32_t n = 0; n < t.piece.size(); ++n) {
    uint32_t p = t.piece[n];
    size[p]++;
    minNode[p] = std::min(minNode[p], n);
    if (t.mesh.fixed[n]) anchored[p] = 1;
  }
  uint32_t largest = 0;
  for (uint32_t p = 1; p < t.pieceCount; ++p) {
    if (size[p] > size[largest]) largest = p;
  }
  for (uint32_t p = 0; p < t.pieceCount; ++p) {
    bool detached = t.hasFixed ? !anchored[p] : p != largest;
    if (!detached) continue;
    if (std::find(t.reportedDetached.begin(), t.reportedDetached.end(), minNode[p]) !=
        t.reportedDetached.end()) {
      continue;
    }
    t.reportedDetached.push_back(minNode[p]);
    Event e = makeEvent(EventKind::kDetached, tool);
    e.tissue = {ti};
    // Regions the piece holds: over half of the region's nodes lie in it (a cut made of
    // overlapping snips leaves slivers along the line that take a few of them).
    Vec3 centroid(0.0f);
    for (uint32_t r = 0; r < t.regionNodes.size(); ++r) {
      const auto& nodes = t.regionNodes[r];
      if (nodes.empty()) continue;
      size_t in = static_cast<size_t>(
          std::count_if(nodes.begin(), nodes.end(), [&](uint32_t n) { return t.piece[n] == p; }));
      if (2 * in > nodes.size()) e.regions.push_back(r);
    }
    for (uint32_t n = 0; n < t.piece.size(); ++n) {
      if (t.piece[n] == p) centroid += toVec(t.body->m_nodes[static_cast<int>(n)].m_x);
    }
    e.position = centroid / static_cast<float>(size[p]);
    e.value = static_cast<float>(size[p]);
    events.push_back(std::move(e));
  }
}

void World::Impl::scalpelSweep(Tool& tool) {
  btTransform tip = toolTipTransform(tool);
  btVector3 a = tip.getOrigin();
  btVector3 b = tip * btVector3(0, 0, tool.settings.spec.jawLength);
  // The blade sweeps from where it last swept, once it has moved 0.1 mm from there: a slow,
  // careful stroke (a few mm/s, under 0.1 mm a tick) cuts as a fast one does.
  constexpr float kSweepStep = 1e-4f;
  if (tool.hasBlade && (a - tool.bladeA).length() <= kSweepStep && (b - tool.bladeB).length() <= kSweepStep)
    return;
  if (tool.hasBlade) {
    std::array<Vec3, 4> quad = {toVec(tool.bladeA), toVec(a), toVec(b), toVec(tool.bladeB)};
    for (uint32_t ti = 0; ti < tissues.size(); ++ti) cut(ti, quad, &tool, /*sweep=*/true);
  }
  tool.bladeA = a;
  tool.bladeB = b;
  tool.hasBlade = true;
}

void World::Impl::snip(Tool& tool) {
  const auto& spec = tool.settings.spec;
  // The blades sweep the tool's local Y-Z plane between the tip and the hinge.
  btTransform tip = toolTipTransform(tool);
  float half = spec.jawLength * std::sin(std::max(tool.openAngleAtClose, 0.2f) * 0.5f);
  std::array<Vec3, 4> quad = {toVec(tip * btVector3(0, -half, 0)), toVec(tip * btVector3(0, half, 0)),
                              toVec(tip * btVector3(0, half, spec.jawLength)),
                              toVec(tip * btVector3(0, -half, spec.jawLength))};
  for (uint32_t ti = 0; ti < tissues.size(); ++ti) cut(ti, quad, &tool);
}

}  // namespace trocar::physics
