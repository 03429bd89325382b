#include "SoftBodySolver.h"
#include "TissueMesh.h"

#include <trocar/physics/Generators.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace trocar::physics::detail {
namespace {

TEST(TissueMesh, ClothGridCounts) {
  ClothGeometry g;
  g.cellsX = 4;
  g.cellsZ = 3;
  auto mesh = buildClothMesh("c", g).value();
  EXPECT_EQ(mesh.nodeCount(), 20u);       // 5 x 4
  EXPECT_EQ(mesh.triangles.size(), 24u);  // 2 per cell
  // Edges: 4 rows of 4 along X = 16, 5 columns of 3 along Z = 15, one diagonal per cell = 12.
  EXPECT_EQ(mesh.edges().size(), 43u);
  uint32_t pieces = 0;
  mesh.pieces(&pieces);
  EXPECT_EQ(pieces, 1u);
}

// The link solver's order: every edge once; none more than the window from its sorted place
// (the solve still sweeps across the mesh); and far fewer links wait on the one just before:
// in sorted order most edges share a node with the last (the same first node), here
// none in a 28 x 28 cloth (and under 2 % with any of the 4 before), and under a fifth as many
// in a tet box, whose nodes have many more links each.
TEST(TissueMesh, LinksAreSolvedAsASweepOfIndependentNeighbours) {
  ClothGeometry g;
  g.cellsX = 28;
  g.cellsZ = 28;
  const TissueMesh cloth = buildClothMesh("c", g).value();
  const TissueMesh box = buildTetMesh("b", generateTetBox({0.04f, 0.01f, 0.04f}, 8, 4, 8)).value();
  auto shares = [](const std::array<uint32_t, 2>& a, const std::array<uint32_t, 2>& b) {
    return a[0] == b[0] || a[0] == b[1] || a[1] == b[0] || a[1] == b[1];
  };
  auto chained = [&shares](const std::vector<std::array<uint32_t, 2>>& order) {
    size_t n = 0;
    for (size_t i = 1; i < order.size(); ++i) n += shares(order[i - 1], order[i]) ? 1 : 0;
    return n;
  };
  for (const TissueMesh* mesh : {&cloth, &box}) {
    const auto sorted = mesh->edges();
    const auto order = mesh->solveOrder();
    auto again = order;
    std::sort(again.begin(), again.end());
    ASSERT_EQ(again, sorted);
    size_t dependent = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      const auto was =
          static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), order[i]) - sorted.begin());
      EXPECT_LE(was, i + TissueMesh::kSolveWindow) << i;
      EXPECT_LE(i, was + TissueMesh::kSolveWindow) << i;
      for (size_t k = i > TissueMesh::kSolveGap ? i - TissueMesh::kSolveGap : 0; k < i; ++k) {
        if (shares(order[k], order[i])) {
          ++dependent;
          break;
        }
      }
    }
    EXPECT_GT(chained(sorted), sorted.size() / 2);
    if (mesh == &cloth) {
      EXPECT_EQ(chained(order), 0u);
      EXPECT_LT(dependent, order.size() / 50);
    } else {
      EXPECT_LT(chained(order), chained(sorted) / 5);
    }
  }
}

// Bending links are Bullet's generateBendingConstraints(2), made from each node's neighbours
// rather than Bullet's node-by-node table: on a 7 x 5 cloth's links (sorted and solve order)
// and a 3 x 2 x 3 tet box's, the same links (node pairs, material, bending flag) in the same
// order as Bullet's own.
TEST(TissueMesh, BendingLinksAreBulletsInBulletsOrder) {
  ClothGeometry g;
  g.cellsX = 7;
  g.cellsZ = 5;
  const TissueMesh cloth = buildClothMesh("c", g).value();
  const TissueMesh box = buildTetMesh("b", TetMesh{generateTetBox({0.01f, 0.01f, 0.01f}, 3, 2, 3)}).value();
  btSoftBodyWorldInfo info;
  using Case = std::pair<const TissueMesh*, std::vector<std::array<uint32_t, 2>>>;
  const std::vector<Case> cases = {
      {&cloth, cloth.edges()}, {&cloth, cloth.solveOrder()}, {&box, box.edges()}};
  for (const Case& one : cases) {
    const TissueMesh* mesh = one.first;  // named, not bound: the lambda below takes them
    const auto& links = one.second;
    auto make = [&] {
      std::vector<btVector3> x;
      for (const Vec3& p : mesh->rest) x.emplace_back(p.x, p.y, p.z);
      std::vector<btScalar> m(x.size(), 1.0f);
      auto body = std::make_unique<btSoftBody>(&info, static_cast<int>(x.size()), x.data(), m.data());
      for (const auto& l : links) body->appendLink(static_cast<int>(l[0]), static_cast<int>(l[1]));
      return body;
    };
    auto theirs = make(), ours = make();
    const int before = theirs->m_links.size();
    theirs->generateBendingConstraints(2, theirs->appendMaterial());
    detail::appendBendingLinks(*ours, ours->appendMaterial());
    ASSERT_GT(theirs->m_links.size(), before) << "bending links were made";
    ASSERT_EQ(ours->m_links.size(), theirs->m_links.size());
    for (int i = 0; i < theirs->m_links.size(); ++i) {
      const btSoftBody::Link& a = theirs->m_links[i];
      const btSoftBody::Link& b = ours->m_links[i];
      for (int e = 0; e < 2; ++e)
        EXPECT_EQ(a.m_n[e] - &theirs->m_nodes[0], b.m_n[e] - &ours->m_nodes[0]) << "link " << i;
      EXPECT_EQ(a.m_material == theirs->m_materials[theirs->m_materials.size() - 1],
                b.m_material == ours->m_materials[ours->m_materials.size() - 1]);
      EXPECT_EQ(a.m_bbending, b.m_bbending) << "link " << i;
    }
  }
}

TEST(TissueMesh, TetBoxIsPositiveAndHasBoundary) {
  TetMesh box = generateTetBox({0.01f, 0.01f, 0.01f}, 2, 2, 2);
  EXPECT_EQ(box.nodes.size(), 27u);
  EXPECT_EQ(box.tets.size(), 48u);
  auto mesh = buildTetMesh("b", box).value();
  // Boundary: 6 faces x 4 squares x 2 triangles.
  EXPECT_EQ(mesh.triangles.size(), 48u);
  // Lumped volume sums to the box volume (0.02^3 m^3).
  auto measure = mesh.lumpedMeasure();
  EXPECT_NEAR(std::accumulate(measure.begin(), measure.end(), 0.0), 8e-6, 1e-12);
}

TEST(TissueMesh, InvertedTetsAreReorientedAndDegenerateOnesRejectedWithIndex) {
  TetMesh m;
  m.nodes = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
  m.tets = {{0, 2, 1, 3}};  // negative orientation
  auto ok = buildTetMesh("t", m);
  ASSERT_TRUE(ok.ok());
  const auto& t = ok.value().tets[0];
  Vec3 a = m.nodes[t[0]], b = m.nodes[t[1]], c = m.nodes[t[2]], d = m.nodes[t[3]];
  EXPECT_GT(glm::dot(glm::cross(b - a, c - a), d - a), 0.0f);
  m.tets.push_back({0, 1, 2, 4});  // all in the z = 0 plane
  auto bad = buildTetMesh("liver", m);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "tissue 'liver': tetrahedron 1 is degenerate (zero volume)");
  m.tets = {{0, 1, 2, 9}};
  auto range = buildTetMesh("liver", m);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message.find("refers to node 9"), std::string::npos);
}

TEST(TissueMesh, SphereIsClosed) {
  SurfaceMesh s = generateSphere({0.02f, 0.02f, 0.02f}, 2);
  EXPECT_EQ(s.vertices.size(), 162u);  // 10 * 4^2 + 2
  EXPECT_EQ(s.triangles.size(), 320u);
  auto mesh = buildSurfaceMesh("s", s).value();
  // Closed: every edge is shared by exactly two triangles -> E = 3F/2.
  EXPECT_EQ(mesh.edges().size(), 480u);
}

TEST(TissueMesh, CutThroughTheMiddleSplitsAStripInTwo) {
  // A 4 x 1 strip along X cut by the plane x = 0.001 (between nodes): two pieces.
  ClothGeometry g;
  g.size = {0.04f, 0.01f};
  g.cellsX = 4;
  g.cellsZ = 1;
  auto mesh = buildClothMesh("strip", g).value();
  std::vector<Vec3> x = mesh.rest, v(mesh.nodeCount(), Vec3(0.0f));
  std::array<Vec3, 4> quad = {Vec3(0.001f, -0.01f, -0.02f), Vec3(0.001f, -0.01f, 0.02f),
                              Vec3(0.001f, 0.01f, 0.02f), Vec3(0.001f, 0.01f, -0.02f)};
  CutResult r = cutMesh(mesh, {&x, &v}, quad);
  EXPECT_EQ(r.splitEdges, 3u);  // two horizontal edges and one diagonal cross x = 0.001
  uint32_t pieces = 0;
  mesh.pieces(&pieces);
  EXPECT_EQ(pieces, 2u);
  // New nodes sit on the cutting plane (exactly: t is not clamped here).
  for (uint32_t i = mesh.originalNodeCount; i < mesh.nodeCount(); ++i) EXPECT_NEAR(x[i].x, 0.001f, 1e-6f);
  EXPECT_NEAR(r.length, 0.01f, 1e-5f);  // straight across the 1 cm strip
  // Area is unchanged by the split, so lumped mass stays the configured total.
  auto masses = mesh.nodeMasses(1.0f);
  EXPECT_NEAR(std::accumulate(masses.begin(), masses.end(), 0.0), 1.0, 1e-6);
}

TEST(TissueMesh, QuadMissingTheMeshCutsNothing) {
  ClothGeometry g;
  auto mesh = buildClothMesh("c", g).value();
  std::vector<Vec3> x = mesh.rest, v(mesh.nodeCount(), Vec3(0.0f));
  std::array<Vec3, 4> far = {Vec3(1, 1, 1), Vec3(1.1f, 1, 1), Vec3(1.1f, 1.1f, 1), Vec3(1, 1.1f, 1)};
  EXPECT_EQ(cutMesh(mesh, {&x, &v}, far).splitEdges, 0u);
  EXPECT_EQ(mesh.nodeCount(), mesh.originalNodeCount);
}

}  // namespace
}  // namespace trocar::physics::detail

namespace trocar::physics::detail {
namespace {

double totalVolume(const TissueMesh& m) {
  auto measure = m.lumpedMeasure();
  return std::accumulate(measure.begin(), measure.end(), 0.0);
}

// One tet (edge 1 cm, volume 1e-6 / 6 m^3) cut by a plane: three crossings around a vertex
// give a corner tet plus a prism of 3 (4 tets); four crossings give two prisms (6 tets).
// Either way the two sides separate and the volume is unchanged.
TEST(TissueMesh, TetSplitsPreserveVolume) {
  TetMesh one;
  one.nodes = {{0, 0, 0}, {0.01f, 0, 0}, {0, 0.01f, 0}, {0, 0, 0.01f}};
  one.tets = {{0, 1, 2, 3}};
  struct Case {
    std::array<Vec3, 4> quad;
    size_t tets;
  };
  // Plane x = 0.002 (cuts the three edges at vertex 1), plane x + y = 0.008 (four edges).
  const Case cases[] = {
      {{Vec3(0.002f, -1, -1), Vec3(0.002f, 1, -1), Vec3(0.002f, 1, 1), Vec3(0.002f, -1, 1)}, 4},
      {{Vec3(0.008f, 0, -1), Vec3(-1, 1.008f, -1), Vec3(-1, 1.008f, 1), Vec3(0.008f, 0, 1)}, 6},
  };
  for (const auto& c : cases) {
    auto mesh = buildTetMesh("t", one).value();
    std::vector<Vec3> x = mesh.rest, v(mesh.nodeCount(), Vec3(0.0f));
    CutResult r = cutMesh(mesh, {&x, &v}, c.quad);
    EXPECT_EQ(r.splitEdges, c.tets == 4 ? 3u : 4u);
    EXPECT_EQ(mesh.tets.size(), c.tets);
    // Node positions are floats: 1e-13 m^3 is a relative 6e-7.
    EXPECT_NEAR(totalVolume(mesh), 1e-6 / 6.0, 1e-13) << c.tets;
    uint32_t pieces = 0;
    mesh.pieces(&pieces);
    EXPECT_EQ(pieces, 2u) << c.tets;
  }
}

}  // namespace
}  // namespace trocar::physics::detail

namespace trocar::physics::detail {
namespace {

TEST(TissueMesh, TubeIsClosedAndOriented) {
  SurfaceMesh t = generateTube(0.003f, 0.08f, 12, 16);
  EXPECT_EQ(t.vertices.size(), 12u * 17u + 2u);
  EXPECT_EQ(t.triangles.size(), 2u * 12u * 16u + 2u * 12u);
  auto mesh = buildSurfaceMesh("duct", t).value();
  EXPECT_EQ(mesh.edges().size(), mesh.triangles.size() * 3 / 2) << "closed: every edge in two triangles";
  // Outward: the signed volume (divergence theorem) is positive and close to pi r^2 L.
  double volume = 0.0;
  for (const auto& f : t.triangles) {
    volume += glm::dot(glm::dvec3(t.vertices[f[0]]),
                       glm::cross(glm::dvec3(t.vertices[f[1]]), glm::dvec3(t.vertices[f[2]]))) /
              6.0;
  }
  const double cylinder = 3.14159265358979 * 0.003 * 0.003 * 0.08;
  // A 12-gon prism holds 12/(2 pi) sin(2 pi/12) = 95.5% of the circle's area.
  EXPECT_NEAR(volume, cylinder * 0.9549, cylinder * 0.001);
}

}  // namespace
}  // namespace trocar::physics::detail
