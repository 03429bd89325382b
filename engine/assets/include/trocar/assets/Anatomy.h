#pragma once
// From a structure's mask to what a scenario simulates and draws: a smooth closed render
// surface (surface nets, Taubin smoothing that keeps volume, decimation to a budget), a
// coarse tetrahedral mesh from the voxels (hexes of a coarser grid, six positive tets
// each) and the surface embedded in the tets (barycentric weights), so tissue simulates
// on few nodes and renders in detail.

#include <trocar/assets/Volume.h>

#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

namespace trocar::assets {

struct SurfaceMesh {
  std::vector<glm::vec3> positions;  // stage frame, m
  std::vector<glm::vec3> normals;    // per vertex, unit, outward
  std::vector<uint32_t> indices;     // 3 per triangle, counter-clockwise seen from outside
  size_t triangleCount() const { return indices.size() / 3; }
};

// The mask made safe to mesh: wherever the voxels inside (or outside) a 2 x 2 x 2 block
// touch only along an edge or at a corner, the block is filled, until none does. The
// surface of the result is a 2-manifold.
Mask fillPinches(Mask m);

// The boundary of the mask as a closed surface (one vertex per boundary cell of the voxel
// grid, at the mean of its crossing edges; faces outward), in the stage frame.
SurfaceMesh surfaceNets(const Mask& m, const glm::dmat4& indexToStage);
// Taubin's lambda|mu smoothing: shrink-free low-pass (the enclosed volume changes little).
void smoothTaubin(SurfaceMesh& mesh, int iterations, float lambda = 0.5f, float mu = -0.53f);
// Quadric-error edge collapse to at most `targetTriangles` (fewer only where every further
// collapse would break the surface), unused vertices dropped. A closed 2-manifold stays
// one: collapses must pass the link condition and turn no face over; edges not between two
// faces stay put. Deterministic.
void decimate(SurfaceMesh& mesh, size_t targetTriangles);
// Where two sheets meet at an edge or a vertex (more than two faces on an edge, or faces
// round a vertex in separate fans), each sheet gets its own copy of the vertices.
void splitNonManifold(SurfaceMesh& mesh);
// Area-weighted vertex normals.
void computeNormals(SurfaceMesh& mesh);

struct MeshCheck {
  size_t boundaryEdges = 0;     // edges with one triangle: holes
  size_t nonManifoldEdges = 0;  // edges with more than two
  double volumeM3 = 0.0;        // enclosed (divergence theorem), positive when outward
  bool closedManifold() const { return boundaryEdges == 0 && nonManifoldEdges == 0; }
};
MeshCheck checkMesh(const SurfaceMesh& mesh);

struct TetVolume {
  std::vector<glm::vec3> nodes;               // stage frame, m
  std::vector<std::array<uint32_t, 4>> tets;  // positive volume
  uint32_t cellVoxels = 1;                    // coarse cell edge, in voxels
};
// The voxels on a grid `cellVoxels` times coarser: every coarse cell holding more than
// `fill` of its voxels inside (by default any) becomes a hex of six tets (split on the
// cell's main diagonal, so neighbours share faces), nodes shared. With any, the tets cover
// every inside voxel, so the surface embeds inside them.
TetVolume voxelTets(const Mask& m, const glm::dmat4& indexToStage, uint32_t cellVoxels, float fill = 0.0f);
// The finest cell (edge in voxels) whose tet mesh has at most `maxNodes` nodes: the most
// detail the budget allows (a whole-structure cell when nothing finer fits).
uint32_t cellForBudget(const Mask& m, uint32_t maxNodes, float fill = 0.0f);

// Each surface vertex as a tet and four barycentric weights (summing to 1; slightly outside
// the tet when the vertex lies just outside the tet mesh).
struct Embedding {
  std::vector<uint32_t> tet;
  std::vector<glm::vec4> weights;
  float maxOutside = 0.0f;  // how far outside (most negative weight, negated); 0 = all inside
};
Embedding embed(const SurfaceMesh& surface, const TetVolume& volume);

}  // namespace trocar::assets
