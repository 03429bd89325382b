#pragma once
// Trocar's own description of a tissue's topology and rest state, independent of Bullet.
// Bullet bodies are (re)built from it: at creation and after every cut. Keeping it here
// makes cutting, piece detection and region bookkeeping plain, testable code.

#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace trocar::physics::detail {

struct TissueMesh {
  TissueKind kind = TissueKind::kCloth;
  std::vector<Vec3> rest;                          // rest (material) positions, stage frame
  std::vector<Vec2> clothCoords;                   // cloth only: (x, z) in m from the cloth centre
  std::vector<std::array<uint32_t, 3>> triangles;  // surface faces (volumetric: boundary)
  std::vector<std::array<uint32_t, 4>> tets;       // volumetric only
  std::vector<uint8_t> fixed;                      // 1 = pinned
  uint32_t originalNodeCount = 0;                  // nodes that existed before any cut
  // Cloth grid (for corner/border selectors).
  uint32_t gridX = 0, gridZ = 0;

  // A blade crossing of an edge that is still whole on one side: a cut that ended inside a
  // triangle (a crack tip). The next cut through that triangle splits it using this
  // crossing, so a cut made of several strokes (scalpel ticks, scissor closures) connects.
  struct Crossing {
    std::array<uint32_t, 2> edge{};
    float t = 0.5f;
    glm::dvec3 normal{0.0}, center{0.0};              // the blade plane that made it
    uint32_t node = 0xFFFFFFFFu, twin = 0xFFFFFFFFu;  // created on first use
    bool shared = false;  // volumes: `node` serves both sides (a whole tet still has the edge)
  };
  std::vector<Crossing> pending;

  size_t nodeCount() const { return rest.size(); }
  // Unique undirected edges (a < b), sorted: links of the spring network.
  std::vector<std::array<uint32_t, 2>> edges() const;
  // The same edges in the order the link solver takes them for volumes and surfaces (a cloth
  // keeps the sorted order: World::Impl::buildBody says why). Bullet's position solve is
  // Gauss-Seidel over the links in order. Sorted edges sweep across the mesh (a correction
  // travels far in one pass) but chain each link's update on the one before through their
  // shared node, so the processor waits out every division in turn. Here each edge shares no
  // node with the kSolveGap edges before it wherever one of the next kSolveWindow sorted edges
  // allows: still a sweep (no edge moves more than the window from its sorted place), with
  // neighbouring links independent, so they overlap.
  static constexpr size_t kSolveWindow = 16, kSolveGap = 4;
  std::vector<std::array<uint32_t, 2>> solveOrder() const;
  // Per-node lumped measure (area for surfaces, volume for tets) used to spread mass.
  std::vector<double> lumpedMeasure() const;
  // Per-node masses summing to totalMass; fixed nodes get 0.
  std::vector<float> nodeMasses(float totalMass) const;
  // Piece (connected component) index per node, pieces numbered by lowest node index.
  std::vector<uint32_t> pieces(uint32_t* pieceCount) const;
};

// Builds the mesh for each geometry kind; errors name the tissue.
Result<TissueMesh> buildClothMesh(const std::string& name, const ClothGeometry& cloth);
Result<TissueMesh> buildTetMesh(const std::string& name, const TetMesh& mesh);
Result<TissueMesh> buildSurfaceMesh(const std::string& name, const SurfaceMesh& mesh);

// Nodes a selector picks (in node order).
std::vector<uint32_t> selectNodes(const NodeSelector& selector, const TissueMesh& mesh);
// Whether a node created by a cut (interpolated between a and b) belongs to a selection:
// geometric selectors test its rest position, index selectors need both parents.
bool selectsCutNode(const NodeSelector& selector, const TissueMesh& mesh, uint32_t node, bool parentA,
                    bool parentB);
// The same for a point of the mesh that need not be a node: at rest position `rest`, cloth
// coordinates `cloth` (cloth only, else null), on an edge whose ends are (not) in the region.
bool selectsPoint(const NodeSelector& selector, const Vec3& rest, const Vec2* cloth, bool parentA,
                  bool parentB);

// The live state of nodes that a cut interpolates along with the rest state.
struct NodeState {
  std::vector<Vec3>* positions;
  std::vector<Vec3>* velocities;
};

struct CutResult {
  uint32_t splitEdges = 0;
  std::vector<Vec3> path;  // crossing points, ordered along the cut
  float length = 0.0f;     // m, along `path`
  // For every node appended by the cut: the two parents it was interpolated from.
  std::vector<std::array<uint32_t, 2>> newNodeParents;
  // Where this blade crossed the mesh: each edge and the fraction along it (from edge[0]),
  // including crossings that are still crack tips and made no node yet.
  std::vector<std::pair<std::array<uint32_t, 2>, float>> crossings;
  // Volumes whose tets were split: for every tet now in the mesh, the tet it came from (its
  // index before the cut). Empty when the tets did not change.
  std::vector<uint32_t> tetOrigin;
};

// Splits every surface triangle that the cutting surface (two triangles: quad[0..2] and
// quad[0,2,3]) crosses, inserting nodes exactly at the edge crossings (clamped so no link is
// shorter than min(10% of its edge, 0.5 mm)) and duplicating them so the two sides separate.
// A triangle the blade only enters (one crossed edge) stays whole until a later cut leaves
// it (see TissueMesh::pending). A volume's tets are split as described in splitTets.
// `candidates`, if given, are the only triangles whose edges the blade may cross (those near
// it); every edge is tested otherwise.
CutResult cutMesh(TissueMesh& mesh, NodeState state, const std::array<Vec3, 4>& quad,
                  const std::vector<uint32_t>* candidates = nullptr);

// Boundary faces: tet faces that appear exactly once, wound outward, in a fixed order.
std::vector<std::array<uint32_t, 3>> boundaryFaces(const std::vector<std::array<uint32_t, 4>>& tets);

}  // namespace trocar::physics::detail
