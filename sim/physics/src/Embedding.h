#pragma once
// An anatomy pack's detailed surface, carried by its tissue's tets through cuts.
//
// Each vertex of the surface lies in one tet and moves with it (barycentric weights of the
// tet's four nodes). A blade splits the surface's triangles where it crosses them, exactly as
// it splits cloth (cutMesh), and the new vertices are embedded in the tets under them. When a
// cut splits tets, every vertex of a split tet moves to the piece of it that now holds the
// vertex, and a vertex on the blade to the piece on its own side, so the two sides of the
// surface part with the tets. The surface stays the detailed one: nothing falls back to the
// coarse tets' faces.

#include "TissueMesh.h"

#include <array>
#include <cstdint>
#include <vector>

namespace trocar::physics::detail {

struct Embedding {
  EmbeddedSurface surface;    // triangles, and per vertex its tet's nodes and weights
  std::vector<uint32_t> tet;  // per vertex: the tet (of the tissue's TissueMesh::tets) that carries it
  std::vector<uint8_t> cut;   // per vertex: 1 = on a cut (drawn as cut surface)
  // The same surface as a triangle mesh for cutMesh: rest positions and crack tips.
  TissueMesh mesh;
};

// The embedding of `surface` in `volume`: each vertex's tet is the one made of its four nodes,
// or (for an embedding made against other tets) the one that holds its rest position.
Embedding makeEmbedding(const EmbeddedSurface& surface, const TissueMesh& volume);

// Each vertex's position from the nodes' positions `x`.
void embeddedPositions(const Embedding& e, const std::vector<Vec3>& x, std::vector<Vec3>& out);

// Splits the triangles among `candidates` (those near the blade) that the blade crosses.
// `positions` are the vertices' positions (embeddedPositions) and grow with the new vertices,
// which are embedded only by embedNewVertices.
CutResult cutEmbedding(Embedding& e, std::vector<Vec3>& positions, const std::array<Vec3, 4>& quad,
                       const std::vector<uint32_t>& candidates);

// After a cut of the tissue: embeds the vertices the surface cut made (from `firstNew`, with
// their parents in `surfaceCut`), and, if the tets were split (`tetOrigin`, see CutResult),
// moves each vertex of a split tet into the piece that holds it. `x` are the nodes' positions
// after the cut, `positions` the vertices'.
void reembed(Embedding& e, const TissueMesh& volume, const std::vector<Vec3>& x,
             const std::vector<Vec3>& positions, uint32_t firstNew, const CutResult& surfaceCut,
             const std::vector<uint32_t>& tetOrigin, size_t tetsBefore);

}  // namespace trocar::physics::detail
