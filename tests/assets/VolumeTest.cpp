// Volumes to anatomy: reading (a hand-written MetaImage, the real Colin27/AAL atlas), masks,
// surfaces, tet meshes with the surface embedded, and the pack an import writes.
#include <trocar/assets/AnatomyPack.h>
#include <trocar/core/File.h>

#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

namespace trocar::assets {
namespace {

// A 20 x 16 x 12 MetaImage, voxels 2 x 1.5 x 3 mm, origin (10, 20, 30) mm LPS, axes along
// L, P, S: label 1 is a ball of radius 4.5 voxels round voxel (8, 8, 6) (scaled to the
// spacing, an ellipsoid), label 2 a 3 x 3 x 3 block at (15..17, 2..4, 2..4).
std::filesystem::path writeMetaImage(const std::filesystem::path& dir,
                                     std::vector<uint8_t>* voxels = nullptr) {
  std::vector<uint8_t> v(20 * 16 * 12, 0);
  for (int k = 0; k < 12; ++k)
    for (int j = 0; j < 16; ++j)
      for (int i = 0; i < 20; ++i) {
        const double d = std::sqrt((i - 8.0) * (i - 8.0) + (j - 8.0) * (j - 8.0) + (k - 6.0) * (k - 6.0));
        uint8_t& x = v[static_cast<size_t>((k * 16 + j) * 20 + i)];
        if (d <= 4.5) x = 1;
        if (i >= 15 && i <= 17 && j >= 2 && j <= 4 && k >= 2 && k <= 4) x = 2;
      }
  std::string text =
      "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
      "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 10 20 30\nElementSpacing = 2 1.5 3\n"
      "DimSize = 20 16 12\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n";
  text.append(reinterpret_cast<const char*>(v.data()), v.size());
  auto path = dir / "phantom.mha";
  EXPECT_TRUE(writeFileAtomic(path, text).ok());
  if (voxels) *voxels = v;
  return path;
}

size_t count(const std::vector<uint8_t>& v, uint8_t value) {
  return static_cast<size_t>(std::count(v.begin(), v.end(), value));
}

TEST(Volume, ReadsGeometryAndMapsLpsToTheStage) {
  test::TempDir dir;
  std::vector<uint8_t> voxels;
  auto vol = readVolume(writeMetaImage(dir.path(), &voxels));
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  const Volume& v = vol.value();
  EXPECT_EQ(v.format, "MetaImage");
  EXPECT_EQ(v.dims, (std::array<uint32_t, 3>{20, 16, 12}));
  EXPECT_DOUBLE_EQ(v.spacingMm.y, 1.5);
  EXPECT_DOUBLE_EQ(v.voxelVolumeMl(), 2.0 * 1.5 * 3.0 / 1000.0);
  // Voxel (0, 0, 0) is at LPS (10, 20, 30) mm: stage (0.010, -0.020, -0.030) m; one voxel
  // along i is 2 mm to the patient's left (+X), along j 1.5 mm posterior (-Y), along k 3 mm
  // superior (-Z).
  const glm::dmat4 m = v.indexToStage();
  const glm::dvec4 o = m * glm::dvec4(0, 0, 0, 1), i = m * glm::dvec4(1, 0, 0, 1),
                   j = m * glm::dvec4(0, 1, 0, 1), k = m * glm::dvec4(0, 0, 1, 1);
  EXPECT_NEAR(o.x, 0.010, 1e-12);
  EXPECT_NEAR(o.y, -0.020, 1e-12);
  EXPECT_NEAR(o.z, -0.030, 1e-12);
  EXPECT_NEAR(i.x - o.x, 0.002, 1e-12);
  EXPECT_NEAR(j.y - o.y, -0.0015, 1e-12);
  EXPECT_NEAR(k.z - o.z, -0.003, 1e-12);
  EXPECT_EQ(labelMask(v, 1).count(), count(voxels, 1));
  EXPECT_EQ(labelMask(v, 2).count(), 27u);
  EXPECT_EQ(threshold(v, 1, 2).count(), count(voxels, 1) + 27u);
}

TEST(Volume, BadFilesSayWhat) {
  test::TempDir dir;
  auto missing = readVolume(dir.path() / "none.nii.gz");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(writeFileAtomic(dir.path() / "notes.txt", "not a volume\n").ok());
  auto unknown = readVolume(dir.path() / "notes.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("not a volume format"), std::string::npos)
      << unknown.error().toString();
  // A MetaImage whose data stops short.
  std::string text =
      "ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n";
  text += std::string(10, '\1');
  ASSERT_TRUE(writeFileAtomic(dir.path() / "short.mha", text).ok());
  auto shortFile = readVolume(dir.path() / "short.mha");
  ASSERT_FALSE(shortFile.ok());
  EXPECT_EQ(shortFile.error().code, ErrorCode::kInvalidInput);
}

TEST(Volume, ComponentsAndHoles) {
  Mask m;
  m.dims = {9, 9, 9};
  m.in.assign(729, 0);
  auto at = [&](int i, int j, int k) -> uint8_t& { return m.in[static_cast<size_t>((k * 9 + j) * 9 + i)]; };
  // A hollow 5 x 5 x 5 shell (98 voxels round a 27-voxel hole) and a lone voxel.
  for (int k = 1; k <= 5; ++k)
    for (int j = 1; j <= 5; ++j)
      for (int i = 1; i <= 5; ++i)
        at(i, j, k) = (i == 1 || i == 5 || j == 1 || j == 5 || k == 1 || k == 5) ? 1 : 0;
  at(7, 7, 7) = 1;
  EXPECT_EQ(m.count(), 98u + 1u);
  EXPECT_EQ(largestComponent(m).count(), 98u);
  EXPECT_EQ(componentAt(m, {7, 7, 7}).count(), 1u);
  EXPECT_EQ(componentAt(m, {0, 0, 0}).count(), 0u) << "outside: nothing";
  EXPECT_EQ(fillHoles(largestComponent(m)).count(), 125u);
}

// Cropping keeps the voxels where they were: voxels (2, 3, 4) and (5, 3, 7) of a 10^3 mask,
// padded by 1, give a 6 x 3 x 6 box from (1, 2, 3); a voxel at the grid's corner, padded by
// 2, a box reaching beyond the grid (origin -2).
TEST(Volume, CropToContentKeepsVoxelsInPlace) {
  Mask m;
  m.dims = {10, 10, 10};
  m.in.assign(1000, 0);
  m.in[(4 * 10 + 3) * 10 + 2] = 1;
  m.in[(7 * 10 + 3) * 10 + 5] = 1;
  std::array<int, 3> origin{};
  const Mask c = cropToContent(m, 1, origin);
  EXPECT_EQ(origin, (std::array<int, 3>{1, 2, 3}));
  EXPECT_EQ(c.dims, (std::array<uint32_t, 3>{6, 3, 6}));
  EXPECT_EQ(c.count(), 2u);
  EXPECT_EQ(c.in[(1 * 3 + 1) * 6 + 1], 1) << "(2, 3, 4) - origin";
  EXPECT_EQ(c.in[(4 * 3 + 1) * 6 + 4], 1) << "(5, 3, 7) - origin";
  Mask corner;
  corner.dims = {4, 4, 4};
  corner.in.assign(64, 0);
  corner.in[0] = 1;
  const Mask cc = cropToContent(corner, 2, origin);
  EXPECT_EQ(origin, (std::array<int, 3>{-2, -2, -2}));
  EXPECT_EQ(cc.dims, (std::array<uint32_t, 3>{5, 5, 5}));
  EXPECT_EQ(cc.in[(2 * 5 + 2) * 5 + 2], 1);
}

// Two voxels touching only along an edge would give a non-manifold surface: the block
// round the edge is filled, and the surface is closed and manifold.
TEST(Volume, PinchesAreFilledSoTheSurfaceIsManifold) {
  Mask m;
  m.dims = {4, 4, 4};
  m.in.assign(64, 0);
  m.in[(1 * 4 + 1) * 4 + 1] = 1;  // (1, 1, 1)
  m.in[(1 * 4 + 2) * 4 + 2] = 1;  // (2, 2, 1): shares only the edge x = y = 1.5
  EXPECT_GT(checkMesh(surfaceNets(m, glm::dmat4(1.0))).nonManifoldEdges, 0u);
  Mask fixed = fillPinches(m);
  EXPECT_EQ(fixed.count(), 8u) << "the first 2 x 2 x 2 block round the edge (k = 0..1) is filled";
  EXPECT_TRUE(checkMesh(surfaceNets(fixed, glm::dmat4(1.0))).closedManifold());
}

// The ball's surface is closed, faces out (positive volume) and encloses about the ball's
// voxels' volume; its tets are positive and cover it; the surface embeds in them.
TEST(Volume, SurfaceTetsAndEmbeddingOfABall) {
  test::TempDir dir;
  auto vol = readVolume(writeMetaImage(dir.path()));
  ASSERT_TRUE(vol.ok());
  const Volume& v = vol.value();
  const Mask ball = labelMask(v, 1);
  const double voxelMl = static_cast<double>(ball.count()) * v.voxelVolumeMl();
  SurfaceMesh s = surfaceNets(ball, v.indexToStage());
  MeshCheck raw = checkMesh(s);
  EXPECT_TRUE(raw.closedManifold());
  // Surface nets cut the voxels' corners: a little less than the voxels' volume.
  EXPECT_NEAR(raw.volumeM3 * 1e6, voxelMl, 0.15 * voxelMl);
  smoothTaubin(s, 15);
  MeshCheck smooth = checkMesh(s);
  EXPECT_TRUE(smooth.closedManifold());
  EXPECT_NEAR(smooth.volumeM3, raw.volumeM3, 0.05 * raw.volumeM3) << "Taubin smoothing keeps the volume";
  for (size_t i = 0; i < s.positions.size(); ++i) {
    // Normals point away from the ball's centre, voxel (8, 8, 6).
    const glm::dvec4 c = v.indexToStage() * glm::dvec4(8, 8, 6, 1);
    EXPECT_GT(glm::dot(s.normals[i], s.positions[i] - glm::vec3(c)), 0.0f) << i;
  }
  const TetVolume tets = voxelTets(ball, v.indexToStage(), 2);
  double tetVolume = 0.0;
  for (const auto& t : tets.tets) {
    const glm::vec3 a = tets.nodes[t[0]];
    const double sixV = static_cast<double>(
        glm::dot(tets.nodes[t[1]] - a, glm::cross(tets.nodes[t[2]] - a, tets.nodes[t[3]] - a)));
    ASSERT_GT(sixV, 0.0);
    tetVolume += sixV / 6.0;
  }
  EXPECT_GE(tetVolume * 1e6, voxelMl) << "cells with any voxel inside: the tets cover the structure";
  // Smoothing can push a vertex in a hollow a fraction of a voxel out of the cells.
  const Embedding e = embed(s, tets);
  EXPECT_LT(e.maxOutside, 0.2f);
  for (size_t i = 0; i < s.positions.size(); ++i) {
    const auto& t = tets.tets[e.tet[i]];
    const glm::vec4 w = e.weights[i];
    const glm::vec3 p =
        tets.nodes[t[0]] * w.x + tets.nodes[t[1]] * w.y + tets.nodes[t[2]] * w.z + tets.nodes[t[3]] * w.w;
    EXPECT_LT(glm::length(p - s.positions[i]), 1e-6f) << "the weights give the vertex back";
  }
  // A budget picks the cell: the ball (about 380 voxels) in at most 60 nodes.
  const uint32_t cell = cellForBudget(ball, 60);
  EXPECT_LE(voxelTets(ball, v.indexToStage(), cell).nodes.size(), 60u);
  EXPECT_GT(voxelTets(ball, v.indexToStage(), cell - 1).nodes.size(), 60u);
}

// Pieces of a surface (faces joined through shared vertices) and the sum of their Euler
// characteristics V - E + F (2 for each sphere-like piece).
std::pair<size_t, long> piecesAndEuler(const SurfaceMesh& s) {
  std::vector<uint32_t> parent(s.positions.size());
  for (uint32_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::set<std::pair<uint32_t, uint32_t>> edges;
  for (size_t t = 0; t < s.indices.size(); t += 3) {
    for (size_t k = 0; k < 3; ++k) {
      const uint32_t a = s.indices[t + k], b = s.indices[t + (k + 1) % 3];
      edges.insert({std::min(a, b), std::max(a, b)});
      parent[find(a)] = find(b);
    }
  }
  std::set<uint32_t> roots;
  for (uint32_t i = 0; i < parent.size(); ++i) roots.insert(find(i));
  const long euler = static_cast<long>(s.positions.size()) - static_cast<long>(edges.size()) +
                     static_cast<long>(s.triangleCount());
  return {roots.size(), euler};
}

// A hollow ball whose wall is 2 voxels thick (outer radius 10, inner 8) is two sheets close
// together, like a skull. Decimated to 400 triangles (from about 9000) it stays two closed
// spheres (two pieces, Euler characteristic 2 + 2), keeps its volume within 5 % (the wall is
// 2 voxels thick; a sheet drifting by a tenth of a voxel changes it by about 5 %), and the
// same input decimates to the same output.
TEST(Volume, DecimationKeepsAThinShellClosed) {
  Mask m;
  m.dims = {24, 24, 24};
  m.in.assign(24 * 24 * 24, 0);
  for (int k = 0; k < 24; ++k)
    for (int j = 0; j < 24; ++j)
      for (int i = 0; i < 24; ++i) {
        const double d =
            std::sqrt((i - 11.5) * (i - 11.5) + (j - 11.5) * (j - 11.5) + (k - 11.5) * (k - 11.5));
        m.in[static_cast<size_t>((k * 24 + j) * 24 + i)] = d <= 10.0 && d > 8.0 ? 1 : 0;
      }
  const Mask shell = fillPinches(m);
  SurfaceMesh s = surfaceNets(shell, glm::dmat4(1.0));
  smoothTaubin(s, 10);
  const MeshCheck before = checkMesh(s);
  ASSERT_TRUE(before.closedManifold());
  ASSERT_GT(s.triangleCount(), 4000u);
  EXPECT_EQ(piecesAndEuler(s), (std::pair<size_t, long>{2, 4}));
  SurfaceMesh again = s;
  decimate(s, 400);
  decimate(again, 400);
  const MeshCheck after = checkMesh(s);
  EXPECT_TRUE(after.closedManifold())
      << after.boundaryEdges << " open, " << after.nonManifoldEdges << " non-manifold";
  EXPECT_LE(s.triangleCount(), 400u);
  EXPECT_GE(s.triangleCount(), 399u);
  EXPECT_EQ(piecesAndEuler(s), (std::pair<size_t, long>{2, 4}));
  EXPECT_NEAR(after.volumeM3, before.volumeM3, 0.05 * before.volumeM3);
  EXPECT_EQ(s.positions, again.positions);
  EXPECT_EQ(s.indices, again.indices);
  // Every face still faces out of the wall: away from the centre on the outer sheet, towards
  // it on the inner one.
  for (size_t t = 0; t < s.indices.size(); t += 3) {
    const glm::vec3 a = s.positions[s.indices[t]], b = s.positions[s.indices[t + 1]],
                    c = s.positions[s.indices[t + 2]];
    const glm::vec3 mid = (a + b + c) / 3.0f - glm::vec3(11.5f);
    const float outward = glm::dot(glm::cross(b - a, c - a), mid);
    EXPECT_TRUE(glm::length(mid) > 9.0f ? outward > 0.0f : outward < 0.0f) << "face " << t / 3;
  }
}

// A ring (torus: centre-line radius 7 voxels, tube radius 2.2) asked to decimate to 16
// triangles, fewer than any torus has, goes as far as it can and keeps its hole: one closed
// piece of Euler characteristic 0. Collapsing across the tube would pinch it to non-manifold
// edges (without the link condition it does: 5 of them); the link condition refuses that.
TEST(Volume, DecimationKeepsARingsHole) {
  Mask m;
  m.dims = {22, 22, 8};
  m.in.assign(22 * 22 * 8, 0);
  for (int k = 0; k < 8; ++k)
    for (int j = 0; j < 22; ++j)
      for (int i = 0; i < 22; ++i) {
        const double r = std::hypot(i - 10.5, j - 10.5) - 7.0;
        m.in[static_cast<size_t>((k * 22 + j) * 22 + i)] = std::hypot(r, k - 3.5) <= 2.2 ? 1 : 0;
      }
  SurfaceMesh s = surfaceNets(fillPinches(m), glm::dmat4(1.0));
  smoothTaubin(s, 10);
  ASSERT_TRUE(checkMesh(s).closedManifold());
  ASSERT_EQ(piecesAndEuler(s), (std::pair<size_t, long>{1, 0}));
  decimate(s, 16);
  const MeshCheck after = checkMesh(s);
  EXPECT_TRUE(after.closedManifold())
      << after.boundaryEdges << " open, " << after.nonManifoldEdges << " non-manifold";
  // A torus needs at least 7 vertices (14 triangles); the flip check stops a little above.
  EXPECT_GT(s.triangleCount(), 16u) << "short of the target: no collapse left keeps the hole";
  EXPECT_LE(s.triangleCount(), 60u);
  EXPECT_EQ(piecesAndEuler(s), (std::pair<size_t, long>{1, 0}));
  EXPECT_GT(after.volumeM3, 0.0);
}

TEST(Volume, LabelNamesNeedIndexAndName) {
  test::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir.path() / "ok.txt", "# atlas\n1 Ball extra\n2 Block\n").ok());
  auto ok = readLabelNames(dir.path() / "ok.txt");
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(ok.value().at(1), "Ball");
  ASSERT_TRUE(writeFileAtomic(dir.path() / "bad.txt", "1 Ball\n  two Block\n").ok());
  auto bad = readLabelNames(dir.path() / "bad.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where.line, 2u);
  EXPECT_EQ(bad.error().where.column, 3u);
  ASSERT_TRUE(writeFileAtomic(dir.path() / "twice.txt", "1 Ball\n1 Block\n").ok());
  EXPECT_FALSE(readLabelNames(dir.path() / "twice.txt").ok());
  // ITK-SNAP: the quoted name after colour and visibility; label 0 is the background.
  ASSERT_TRUE(writeFileAtomic(dir.path() / "snap.txt",
                              "# ITK-SnAP Label Description File\n"
                              "    0     0    0    0        0  0  0    \"Clear Label\"\n"
                              "    1   255    0    0        1  1  1    \"Left lobe\"\n"
                              "    2     0  255    0        1  1  1    \"Portal vein\"\n")
                  .ok());
  auto snap = readLabelNames(dir.path() / "snap.txt");
  ASSERT_TRUE(snap.ok()) << snap.error().toString();
  EXPECT_EQ(snap.value(), (std::map<int, std::string>{{1, "Left lobe"}, {2, "Portal vein"}}));
  // FreeSurfer's colour table: index, name, colour.
  ASSERT_TRUE(
      writeFileAtomic(dir.path() / "lut.txt", "0 Unknown 0 0 0 0\n17 Left-Hippocampus 220 216 20 0\n").ok());
  auto lut = readLabelNames(dir.path() / "lut.txt");
  ASSERT_TRUE(lut.ok()) << lut.error().toString();
  EXPECT_EQ(lut.value(), (std::map<int, std::string>{{17, "Left-Hippocampus"}}));
  ASSERT_TRUE(writeFileAtomic(dir.path() / "empty-name.txt", "1 255 0 0 1 1 1 \"\"\n").ok());
  auto emptyName = readLabelNames(dir.path() / "empty-name.txt");
  ASSERT_FALSE(emptyName.ok());
  EXPECT_EQ(emptyName.error().where.line, 1u);
}

// The whole import: both labels by name, a pack on disk, a provenance record without the
// input's path, and an empty label refused by name.
TEST(Volume, ImportWritesAPackWithProvenanceAndNoPath) {
  test::TempDir dir;
  const auto input = writeMetaImage(dir.path());
  ASSERT_TRUE(writeFileAtomic(dir.path() / "labels.txt", "1 Ball\n2 Block_A\n").ok());
  VolumeImportOptions o;
  o.labelNames = dir.path() / "labels.txt";
  std::vector<std::string> progress;
  auto pack = importVolume(input, o, [&](const std::string& line) { progress.push_back(line); });
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_EQ(pack.value().structures.size(), 2u);
  EXPECT_EQ(pack.value().structures[1].id, "block-a");
  EXPECT_EQ(pack.value().structures[1].voxels, 27u);
  EXPECT_NEAR(pack.value().structures[1].volumeMl, 27 * 0.009, 1e-9);
  EXPECT_FALSE(progress.empty());
  const auto out = dir.path() / "pack";
  ASSERT_TRUE(writeAnatomyPack(pack.value(), out).ok());
  for (const char* f : {"ball.obj", "ball.node", "ball.ele", "ball.embed", "block-a.obj", "anatomy.yaml",
                        "provenance.json"}) {
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  }
  const std::string provenance = readFileText(out / "provenance.json").value();
  EXPECT_EQ(provenance.find(dir.path().string()), std::string::npos) << "no path in the provenance";
  EXPECT_EQ(provenance.find("phantom"), std::string::npos) << "not even the file's name";
  auto j = nlohmann::json::parse(provenance);
  EXPECT_EQ(j["source"]["dimensions"][0], 20);
  EXPECT_EQ(j["source"]["voxel_size_mm"][2], 3.0);
  EXPECT_EQ(j["structures"][1]["voxels"], 27);
  // The fragment: the pack placed with its lowest node 5 mm above the 0.9 m table, each
  // structure held (a fixed box) and coloured apart (the palette's first two: no name says
  // what they are).
  const glm::vec3 at = packPosition(pack.value());
  float lowest = 1e30f;
  for (const auto& s : pack.value().structures) {
    for (const auto& p : s.tets.nodes) lowest = std::min(lowest, p.y + pack.value().recentre.y + at.y);
  }
  EXPECT_NEAR(lowest, 0.905f, 1e-5f);
  const std::string fragment = readFileText(out / "anatomy.yaml").value();
  EXPECT_NE(fragment.find("appearance: {color: [0.8, 0.45, 0.42]}"), std::string::npos) << fragment;
  EXPECT_NE(fragment.find("appearance: {color: [0.62, 0.5, 0.72]}"), std::string::npos) << fragment;
  size_t fixedBoxes = 0;
  for (size_t at2 = fragment.find("fixed: {box:"); at2 != std::string::npos;
       at2 = fragment.find("fixed: {box:", at2 + 1))
    ++fixedBoxes;
  EXPECT_EQ(fixedBoxes, 2u);

  // A budget for one structure, by name: the ball in at most 20 nodes, the block as before.
  o.budgets["Ball"] = 20;
  auto budgeted = importVolume(input, o);
  ASSERT_TRUE(budgeted.ok()) << budgeted.error().toString();
  EXPECT_LE(budgeted.value().structures[0].tets.nodes.size(), 20u);
  EXPECT_GT(pack.value().structures[0].tets.nodes.size(), 20u);
  EXPECT_EQ(budgeted.value().structures[1].tets.nodes.size(), pack.value().structures[1].tets.nodes.size());
  o.budgets.clear();

  ASSERT_TRUE(writeFileAtomic(dir.path() / "more.txt", "1 Ball\n7 Nothing\n").ok());
  o.labelNames = dir.path() / "more.txt";
  auto empty = importVolume(input, o);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("label 7: structure 'Nothing' has no voxels"), std::string::npos)
      << empty.error().toString();
}

// A DICOM series written from pydicom's CT_small.dcm (tests/assets/make_dicom_series.py)
// with identifiers planted in every slice: sorted by position (the files are shuffled), 6
// slices 5 mm apart; none of the planted values in any file of the pack, and the attributes
// named as left behind. Jittered positions are read at their mean spacing, an irregular series
// is resampled; a missing slice, gantry tilt and burned-in annotation are refused.
TEST(Volume, DicomSeriesSortedAndDeIdentified) {
  const std::string python = "/usr/bin/python3";
  if (test::runCommand(python + " -c 'import pydicom'").exitCode != 0) {
    GTEST_SKIP() << "python3-pydicom is not installed (tools/setup.sh installs it)";
  }
  const std::string script = std::string(TROCAR_SOURCE_DIR) + "/tests/assets/make_dicom_series.py";
  test::TempDir dir;
  auto make = [&](const std::string& name, const std::string& args) {
    auto r = test::runCommand(python + " '" + script + "' '" + (dir / name).string() + "' " + args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return dir / name;
  };
  auto vol = readVolume(make("series", ""));
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  EXPECT_EQ(vol.value().format, "DICOM");
  EXPECT_EQ(vol.value().modality, "CT");
  EXPECT_EQ(vol.value().dims, (std::array<uint32_t, 3>{128, 128, 6}));
  EXPECT_NEAR(vol.value().spacingMm.z, 5.0, 1e-6);
  EXPECT_NEAR(vol.value().indexToLps[3][2], -75.7, 1e-3) << "the first slice is the lowest";
  for (const char* id : {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName",
                         "ReferringPhysicianName", "ImageComments", "PatientComments"}) {
    const auto& list = vol.value().identifiersNotCopied;
    EXPECT_NE(std::find(list.begin(), list.end(), id), list.end()) << id;
  }
  VolumeImportOptions o;
  o.thresholds = {{"body", -300.0f, 3000.0f}};
  auto pack = importVolume(dir / "series", o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_TRUE(writeAnatomyPack(pack.value(), dir / "pack").ok());
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir / "pack")) {
    ++files;
    const std::string text = readFileText(f.path()).value();
    for (const char* planted : {"PLANTED", "Planted", "planted", "19010203", "QZX", "xyzzy"}) {
      EXPECT_EQ(text.find(planted), std::string::npos) << planted << " in " << f.path();
    }
  }
  EXPECT_EQ(files, 6u) << "body.obj/.node/.ele/.embed, anatomy.yaml, provenance.json";

  auto missing = readVolume(make("missing", "--skip 3"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("a slice is missing: 10 mm between slices 3 and 4"),
            std::string::npos)
      << missing.error().toString();
  EXPECT_NE(missing.error().message.find("(at -65.70 and -55.70 mm along the slice normal)"),
            std::string::npos)
      << "names the positions: filling the gap would invent a slice";
  // Real-world positions: 7 mm apart, rounded with up to 0.1 mm of jitter (a fixed pattern:
  // gaps 7.1, 6.82, 7.12, 6.86, 7.17). Read at the mean spacing, 35.07 / 5 mm, with a warning.
  auto jitter = readVolume(make("jitter", "--spacing 7 --jitter 0.1"));
  ASSERT_TRUE(jitter.ok()) << jitter.error().toString();
  EXPECT_EQ(jitter.value().dims, (std::array<uint32_t, 3>{128, 128, 6}));
  EXPECT_NEAR(jitter.value().spacingMm.z, 7.014, 1e-6);
  EXPECT_NEAR(jitter.value().indexToLps[2][2], 7.014, 1e-6);
  EXPECT_EQ(jitter.value().values, vol.value().values);
  ASSERT_EQ(jitter.value().warnings.size(), 1u);
  EXPECT_NE(
      jitter.value().warnings[0].find("varies by up to 0.19 mm (2.8 %) around 7.014 mm: read at the mean"),
      std::string::npos)
      << jitter.value().warnings[0];
  // Genuinely irregular (at 0, 5, 11.5, 15, 19, 25 mm; slice i's pixels raised by 10 i):
  // resampled onto 6 slices 5 mm apart. At 10 mm, 5/6.5 of the way from the slice at 5 mm
  // (+10) to the one at 11.5 (+20): +17.69; at 20 mm, 1/6 from 19 (+40) to 25 (+50): +41.67.
  auto irregular = readVolume(make("irregular", "--ramp --offsets 0,0,1.5,0,-1,0"));
  ASSERT_TRUE(irregular.ok()) << irregular.error().toString();
  const Volume& r = irregular.value();
  ASSERT_EQ(r.dims, (std::array<uint32_t, 3>{128, 128, 6}));
  EXPECT_NEAR(r.spacingMm.z, 5.0, 1e-6);
  const double expected[6] = {0.0, 10.0, 10.0 + 10.0 * 5.0 / 6.5, 30.0, 40.0 + 10.0 / 6.0, 50.0};
  for (uint32_t k = 0; k < 6; ++k) {
    EXPECT_NEAR(r.values[r.index(40, 50, k)] - r.values[r.index(40, 50, 0)], expected[k], 1e-3)
        << "slice " << k;
  }
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("varies from 3.5 to 6.5 mm: resampled onto 6 slices 5.000 mm apart"),
            std::string::npos)
      << r.warnings[0];
  auto tilted = readVolume(make("tilted", "--tilt 1.0"));
  ASSERT_FALSE(tilted.ok());
  EXPECT_NE(tilted.error().message.find("gantry tilt of 11.31 degrees"), std::string::npos)
      << tilted.error().toString();
  auto burned = readVolume(make("burned", "--burned-in"));
  ASSERT_FALSE(burned.ok());
  EXPECT_NE(burned.error().message.find("Burned In Annotation"), std::string::npos)
      << burned.error().toString();
  // One slice in MPEG-2 (a video transfer syntax GDCM cannot decode): named, with its UID,
  // before any pixel is read.
  auto video = readVolume(make("video", "--transfer-syntax 1.2.840.10008.1.2.4.100"));
  ASSERT_FALSE(video.ok());
  EXPECT_EQ(video.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(video.error().message.find("transfer syntax 1.2.840.10008.1.2.4.100 (MPEG-2 video)"),
            std::string::npos)
      << video.error().toString();
  EXPECT_NE(video.error().message.find(".dcm"), std::string::npos) << "names the slice";
  // A slice in implicit VR (the others explicit) passes the same check and reads the same.
  auto implicitVr = readVolume(make("implicit", "--transfer-syntax 1.2.840.10008.1.2"));
  ASSERT_TRUE(implicitVr.ok()) << implicitVr.error().toString();
  EXPECT_EQ(implicitVr.value().values, vol.value().values);
}

// A NRRD whose header carries identity (free-text content and key/value fields a converter
// copied from DICOM): the fields are named as left behind, and none of their text reaches
// any file of the pack.
TEST(Volume, NrrdHeaderIdentityIsNotCopied) {
  test::TempDir dir;
  std::string header =
      "NRRD0004\ntype: unsigned char\ndimension: 3\nspace: left-posterior-superior\nsizes: 6 6 6\n"
      "space directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nencoding: raw\n"
      "space origin: (0,0,0)\ncontent: Zqxdoe^Jane head "
      "CT\nPatientName:=Zqxdoe^Jane\nPatientBirthDate:=19020304\n"
      "InstitutionName:=Zqx Memorial\nModality:=CT\n\n";
  std::string voxels(216, '\0');
  for (int k = 2; k < 4; ++k)
    for (int j = 2; j < 4; ++j)
      for (int i = 2; i < 4; ++i) voxels[static_cast<size_t>((k * 6 + j) * 6 + i)] = 100;
  test::writeText(dir / "id.nrrd", header + voxels);
  auto vol = readVolume(dir / "id.nrrd");
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  const auto& left = vol.value().identifiersNotCopied;
  for (const char* key : {"PatientName", "PatientBirthDate", "InstitutionName", "NRRD_content"}) {
    EXPECT_NE(std::find(left.begin(), left.end(), key), left.end()) << key;
  }
  for (const char* key : {"Modality", "ITK_InputFilterName"}) {
    EXPECT_EQ(std::find(left.begin(), left.end(), key), left.end()) << key << " says nothing of the patient";
  }
  EXPECT_EQ(vol.value().modality, "CT");
  VolumeImportOptions o;
  o.thresholds = {{"cube", 50.0f, 255.0f}};
  auto pack = importVolume(dir / "id.nrrd", o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_TRUE(writeAnatomyPack(pack.value(), dir / "pack").ok());
  for (const auto& f : std::filesystem::directory_iterator(dir / "pack")) {
    const std::string text = readFileText(f.path()).value();
    for (const char* planted : {"Zqx", "zqx", "19020304"}) {
      EXPECT_EQ(text.find(planted), std::string::npos) << planted << " in " << f.path();
    }
  }
}

// Overlapping segments: 3D Slicer puts them on layers, the list axis of a 4D .seg.nrrd
// (sizes 2 8 8 8, the layer fastest). Layer 0 holds 'Liver' (label 1, a 4 x 4 x 4 cube at
// 2..5) and 'Vessel' (label 2, one voxel at (7, 7, 7)); layer 1 holds 'Tumour' (label 1, the
// 2 x 2 x 2 cube at 3..4, inside the liver). Each imports with its own voxels: the tumour's 8
// are in the liver's 64 too. A segment on a layer the file lacks is an error.
TEST(Volume, SegNrrdLayersOverlap) {
  test::TempDir dir;
  auto header = [](const std::string& tumourLayer) {
    return "NRRD0004\ntype: unsigned char\ndimension: 4\nspace: left-posterior-superior\nsizes: 2 8 8 8\n"
           "space directions: none (1,0,0) (0,1,0) (0,0,1)\nkinds: list domain domain domain\nencoding: raw\n"
           "space origin: (0,0,0)\nSegment0_Name:=Liver\nSegment0_LabelValue:=1\nSegment0_Layer:=0\n"
           "Segment1_Name:=Tumour\nSegment1_LabelValue:=1\nSegment1_Layer:=" +
           tumourLayer +
           "\n"
           "Segment2_Name:=Vessel\nSegment2_LabelValue:=2\nSegment2_Layer:=0\n\n";
  };
  std::string voxels(2 * 512, '\0');
  auto at = [&](int layer, int i, int j, int k) -> char& {
    return voxels[static_cast<size_t>(((k * 8 + j) * 8 + i) * 2 + layer)];
  };
  for (int k = 2; k < 6; ++k)
    for (int j = 2; j < 6; ++j)
      for (int i = 2; i < 6; ++i) at(0, i, j, k) = 1;
  for (int k = 3; k < 5; ++k)
    for (int j = 3; j < 5; ++j)
      for (int i = 3; i < 5; ++i) at(1, i, j, k) = 1;
  at(0, 7, 7, 7) = 2;
  test::writeText(dir / "layers.seg.nrrd", header("1") + voxels);
  auto vol = readVolume(dir / "layers.seg.nrrd");
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  EXPECT_EQ(vol.value().dims, (std::array<uint32_t, 3>{8, 8, 8}));
  ASSERT_EQ(vol.value().moreLayers.size(), 1u);
  EXPECT_EQ(vol.value().labelNames,
            (std::map<int, std::string>{{1, "Liver"}, {2, "Vessel"}, {kLayerStride + 1, "Tumour"}}));
  EXPECT_EQ(labelMask(vol.value(), 1).count(), 64u);
  EXPECT_EQ(labelMask(vol.value(), kLayerStride + 1).count(), 8u);
  EXPECT_EQ(labelMask(vol.value(), 2).count(), 1u);
  EXPECT_EQ(labelText(kLayerStride + 1), "layer 1 label 1");
  VolumeImportOptions o;
  o.only = {"Liver", "Tumour"};
  auto pack = importVolume(dir / "layers.seg.nrrd", o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_EQ(pack.value().structures.size(), 2u);
  EXPECT_EQ(pack.value().structures[0].id, "liver");
  EXPECT_EQ(pack.value().structures[0].voxels, 64u);
  EXPECT_EQ(pack.value().structures[1].id, "tumour");
  EXPECT_EQ(pack.value().structures[1].voxels, 8u);
  Volume noTumour = vol.value();
  std::fill(noTumour.moreLayers[0].begin(), noTumour.moreLayers[0].end(), 0.0f);
  EXPECT_NE(pixelHash(noTumour), pixelHash(vol.value())) << "the provenance hash covers every layer";
  test::writeText(dir / "bad.seg.nrrd", header("2") + voxels);
  auto bad = readVolume(dir / "bad.seg.nrrd");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.error().message.find("segment 1 ('Tumour') has label 1 on layer 2, outside the file (2 layer(s)"),
      std::string::npos)
      << bad.error().toString();
}

// A 3D Slicer segmentation (.seg.nrrd) names its segments: an 8 x 8 x 8 label map with a
// 2-voxel cube of label 1 ('Liver') and two separate voxels of label 2 ('Tumour'). The
// import takes the names from the file; a seed picks the tumour voxel it holds, not the
// first one met.
TEST(Volume, SegNrrdNamesAndSeeds) {
  test::TempDir dir;
  std::string header =
      "NRRD0004\ntype: unsigned char\ndimension: 3\nspace: left-posterior-superior\nsizes: 8 8 8\n"
      "space directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nencoding: raw\n"
      "space origin: (0,0,0)\nSegment0_Name:=Liver\nSegment0_LabelValue:=1\nSegment1_Name:=Tumour\n"
      "Segment1_LabelValue:=2\n\n";
  std::string voxels(512, '\0');
  auto at = [&](int i, int j, int k) -> char& { return voxels[static_cast<size_t>((k * 8 + j) * 8 + i)]; };
  for (int k = 2; k < 4; ++k)
    for (int j = 2; j < 4; ++j)
      for (int i = 2; i < 4; ++i) at(i, j, k) = 1;
  at(6, 1, 1) = 2;
  at(1, 6, 6) = 2;
  test::writeText(dir / "s.seg.nrrd", header + voxels);
  auto vol = readVolume(dir / "s.seg.nrrd");
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  EXPECT_EQ(vol.value().format, "NRRD");
  EXPECT_EQ(vol.value().labelNames, (std::map<int, std::string>{{1, "Liver"}, {2, "Tumour"}}));
  VolumeImportOptions o;
  auto pack = importVolume(dir / "s.seg.nrrd", o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_EQ(pack.value().structures.size(), 2u);
  EXPECT_EQ(pack.value().structures[0].id, "liver");
  EXPECT_EQ(pack.value().structures[0].voxels, 8u);
  // Two lone tumour voxels: the largest piece is the first met, (6, 1, 1); a seed takes the other.
  o.only = {"Tumour"};
  o.seed = std::array<uint32_t, 3>{1, 6, 6};
  auto seeded = importVolume(dir / "s.seg.nrrd", o);
  ASSERT_TRUE(seeded.ok()) << seeded.error().toString();
  ASSERT_EQ(seeded.value().structures.size(), 1u);
  const Structure& t = seeded.value().structures[0];
  EXPECT_EQ(t.voxels, 1u);
  // Voxel (1, 6, 6) at LPS (1, 6, 6) mm is stage (0.001, -0.006, -0.006) m: its surface's middle.
  EXPECT_NEAR(0.5f * (t.boundsMin.x + t.boundsMax.x), 0.001f, 1e-4f);
  EXPECT_NEAR(0.5f * (t.boundsMin.y + t.boundsMax.y), -0.006f, 1e-4f);
  o.seed = std::array<uint32_t, 3>{0, 0, 0};
  auto outside = importVolume(dir / "s.seg.nrrd", o);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message.find("does not hold the seed voxel (0, 0, 0)"), std::string::npos);
}

// A hand-made InVesalius project: a 4 x 3 x 2 int16 image (columns x rows x slices) whose
// voxel (i, j, k) holds 100 k + 10 j + i, and one mask marking voxel (2, 1, 1) only, stored
// as InVesalius does with a leading extra slice, row and column.
TEST(Volume, InvesaliusProjectImageAndMask) {
  test::TempDir dir;
  const auto proj = dir / "p";
  std::filesystem::create_directories(proj);
  auto plist = [](const std::string& body) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n" + body +
           "</dict>\n</plist>\n";
  };
  test::writeText(
      proj / "main.plist",
      plist("<key>annotations</key>\n<dict>\n</dict>\n<key>masks</key>\n<dict>\n<key>0</key>\n"
            "<string>mask_0.plist</string>\n</dict>\n<key>matrix</key>\n<dict>\n<key>dtype</key>\n"
            "<string>int16</string>\n<key>filename</key>\n<string>matrix.dat</string>\n<key>shape</key>\n"
            "<array>\n<integer>2</integer>\n<integer>3</integer>\n<integer>4</integer>\n</array>\n</dict>\n"
            "<key>modality</key>\n<string>CT</string>\n<key>name</key>\n<string>PLANTED PROJECT</string>\n"
            "<key>spacing</key>\n<array>\n<real>0.5</real>\n<real>0.75</real>\n<real>2.0</real>\n</array>\n"
            "<key>visible</key>\n<true/>\n"));
  std::string matrix;
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 4; ++i) {
        const int16_t x = static_cast<int16_t>(100 * k + 10 * j + i);
        matrix.append(reinterpret_cast<const char*>(&x), 2);
      }
  test::writeText(proj / "matrix.dat", matrix);
  test::writeText(proj / "mask_0.plist",
                  plist("<key>mask_file</key>\n<string>mask_0.dat</string>\n<key>mask_shape</key>\n<array>\n"
                        "<integer>3</integer>\n<integer>4</integer>\n<integer>5</integer>\n</array>\n"
                        "<key>name</key>\n<string>Bone</string>\n"));
  std::string mask(3 * 4 * 5, '\0');
  mask[static_cast<size_t>(((1 + 1) * 4 + (1 + 1)) * 5 + (2 + 1))] = static_cast<char>(255);
  mask[0] = static_cast<char>(1);  // InVesalius' own bookkeeping corner: not a voxel
  test::writeText(proj / "mask_0.dat", mask);
  ASSERT_EQ(
      test::runCommand("tar -czf '" + (dir / "p.inv3").string() + "' -C '" + dir.path().string() + "' p")
          .exitCode,
      0);

  std::vector<SavedMask> masks;
  auto vol = readInvesalius(dir / "p.inv3", &masks);
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  const Volume& v = vol.value();
  EXPECT_EQ(v.dims, (std::array<uint32_t, 3>{4, 3, 2}));
  EXPECT_EQ(v.values[v.index(3, 2, 1)], 123.0f);
  EXPECT_EQ(v.values[v.index(1, 0, 1)], 101.0f);
  EXPECT_DOUBLE_EQ(v.spacingMm.y, 0.75);
  EXPECT_EQ(v.modality, "CT");
  EXPECT_EQ(v.identifiersNotCopied, std::vector<std::string>{"ProjectName"});
  ASSERT_EQ(masks.size(), 1u);
  EXPECT_EQ(masks[0].label, "Bone");
  EXPECT_EQ(masks[0].mask.count(), 1u);
  EXPECT_EQ(masks[0].mask.in[v.index(2, 1, 1)], 1);
  EXPECT_TRUE(readVolume(dir / "p.inv3").ok()) << "the image alone, by extension";

  // Damaged: cut the compressed file short.
  auto bytes = readFileBytes(dir / "p.inv3").value();
  bytes.resize(bytes.size() / 2);
  ASSERT_TRUE(writeFileAtomic(dir / "cut.inv3", bytes).ok());
  auto cut = readInvesalius(dir / "cut.inv3", nullptr);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, ErrorCode::kInvalidInput) << cut.error().toString();
}

// The real head CT (invesalius-examples): 256 x 256 x 108 voxels of 0.957 x 0.957 x 1.5 mm.
// Its first mask was made by thresholding 226..3071 HU (mask_0.plist) and not edited, so it
// is exactly that threshold of the image: this checks the mask's offset. Skull and skin: each
// one's volume is its voxels x 0.957^2 x 1.5 mm^3, its surface (at the triangle budget)
// encloses that to 3 %, it lies inside the scanned box, and the skin encloses the skull.
TEST(Volume, InvesaliusHeadCtSkullAndSkin) {
  const std::filesystem::path cranium = "/usr/share/doc/invesalius-examples/examples/Cranium.inv3";
  if (!std::filesystem::exists(cranium))
    GTEST_SKIP() << "invesalius-examples is not installed (tools/setup.sh installs it)";
  std::vector<SavedMask> masks;
  auto vol = readInvesalius(cranium, &masks);
  ASSERT_TRUE(vol.ok()) << vol.error().toString();
  const Volume& v = vol.value();
  EXPECT_EQ(v.dims, (std::array<uint32_t, 3>{256, 256, 108}));
  EXPECT_NEAR(v.spacingMm.x, 0.9570312, 1e-6);
  EXPECT_DOUBLE_EQ(v.spacingMm.z, 1.5);
  ASSERT_EQ(masks.size(), 2u);
  const Mask bone = threshold(v, 226.0f, 3071.0f);
  EXPECT_EQ(masks[0].mask.count(), bone.count());
  EXPECT_EQ(masks[0].mask.in, bone.in);

  VolumeImportOptions o;
  o.savedMasks = true;
  auto pack = importVolume(cranium, o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  ASSERT_EQ(pack.value().structures.size(), 2u);
  const double voxelMl = 0.9570312 * 0.9570312 * 1.5 / 1000.0;  // the spacing main.plist gives
  size_t nodes = 0;
  for (const Structure& s : pack.value().structures) {
    EXPECT_NEAR(s.volumeMl, static_cast<double>(s.voxels) * voxelMl, 1e-6) << s.id;
    // Thin bone and skin decimate to their budget closed and manifold, and still enclose the
    // voxels' volume to within 3 %.
    EXPECT_TRUE(s.check.closedManifold()) << s.id;
    EXPECT_LE(s.surface.triangleCount(), o.triangleBudget) << s.id;
    EXPECT_GE(s.surface.triangleCount(), o.triangleBudget - 1) << s.id << ": each collapse takes two faces";
    EXPECT_NEAR(s.check.volumeM3 * 1e6, s.volumeMl, 0.03 * s.volumeMl) << s.id;
    // Within the scanned box (256 x 256 x 108 voxels), and more than 10 cm across.
    const glm::vec3 size = s.boundsMax - s.boundsMin;
    EXPECT_LT(size.x, 256 * 0.000957f + 0.001f) << s.id;
    EXPECT_LT(size.y, 256 * 0.000957f + 0.001f) << s.id;
    EXPECT_LT(size.z, 108 * 0.0015f + 0.001f) << s.id;
    EXPECT_GT(size.x, 0.1f) << s.id;
    nodes += s.tets.nodes.size();
  }
  const Structure &skull = pack.value().structures[0], &skin = pack.value().structures[1];
  EXPECT_GT(skull.voxels, masks[0].mask.count() / 2) << "the largest piece is most of the bone";
  // The skin (holes filled) encloses the skull: its box holds the skull's, within a voxel.
  EXPECT_GT(skin.volumeMl, 4.0 * skull.volumeMl);
  for (int a = 0; a < 3; ++a) {
    EXPECT_LE(skin.boundsMin[a], skull.boundsMin[a] + 0.0015f) << a;
    EXPECT_GE(skin.boundsMax[a], skull.boundsMax[a] - 0.0015f) << a;
  }
  EXPECT_LE(nodes, o.nodeBudget) << "the pack's budget, shared";
}

// The real Colin27 AAL atlas (mricron-data, installed by tools/setup.sh): 1 mm voxels, so a
// structure's volume in ml is its voxel count / 1000, and its smoothed surface encloses
// that to within 2 %; left structures lie at +X (patient left).
TEST(Volume, AalAtlasStructures) {
  const std::filesystem::path atlas = "/usr/share/mricron/templates/aal.nii.gz";
  const std::filesystem::path names = "/usr/share/mricron/templates/aal.nii.txt";
  if (!std::filesystem::exists(atlas))
    GTEST_SKIP() << "mricron-data is not installed (tools/setup.sh installs it)";
  VolumeImportOptions o;
  o.labelNames = names;
  o.only = {"Precentral_L", "Precentral_R", "Hippocampus_L"};
  auto pack = importVolume(atlas, o);
  ASSERT_TRUE(pack.ok()) << pack.error().toString();
  const auto& p = pack.value();
  EXPECT_EQ(p.source.format, "NIfTI");
  EXPECT_EQ(p.source.dims, (std::array<uint32_t, 3>{181, 217, 181}));
  ASSERT_EQ(p.structures.size(), 3u);
  for (const auto& s : p.structures) {
    EXPECT_NEAR(s.volumeMl, static_cast<double>(s.voxels) / 1000.0, 1e-9) << s.name;
    EXPECT_TRUE(s.check.closedManifold()) << s.name;
    EXPECT_NEAR(s.check.volumeM3 * 1e6, s.volumeMl, 0.02 * s.volumeMl) << s.name;
    EXPECT_LE(s.tets.nodes.size(), o.nodeBudget / 3) << s.name << ": the pack's budget is shared by three";
    EXPECT_GT(s.tets.nodes.size(), o.nodeBudget / 3 / 4)
        << s.name << ": the coarsest cell within the share, not far under";
    EXPECT_LE(s.surface.triangleCount(), o.triangleBudget) << s.name;
  }
  // Precentral_L and _R mirror each other: left at +X, right at -X, similar sizes.
  const auto &left = p.structures[0], &right = p.structures[1];
  EXPECT_EQ(left.id, "precentral-l");
  EXPECT_GT(left.boundsMin.x + left.boundsMax.x, 0.0f);
  EXPECT_LT(right.boundsMin.x + right.boundsMax.x, 0.0f);
  EXPECT_NEAR(left.volumeMl / right.volumeMl, 1.0, 0.15);
}

}  // namespace
}  // namespace trocar::assets

namespace trocar::assets {
namespace {

// An INRIMAGE-4 header padded to 256 bytes.
std::string inrHeader(const std::string& fields) {
  std::string h = "#INRIMAGE-4#{\n" + fields;
  const std::string end = "##}\n";
  h.append(256 - h.size() - end.size(), '\n');
  return h + end;
}

// Hand-made files: a 3 x 2 x 2 label volume of bytes, and a big-endian 16-bit signed one;
// the geometry is the header's spacing and origin on LPS axes.
TEST(Inrimage, ReadsLabelsAndIntensitiesInEitherByteOrder) {
  std::string labels = inrHeader(
      "XDIM=3\nYDIM=2\nZDIM=2\nVDIM=1\nTYPE=unsigned fixed\nPIXSIZE=8 bits\nSCALE=2**0\n"
      "CPU=decm\nVX=0.5\nVY=0.5\nVZ=2\nTX=10\n");
  for (int i = 0; i < 12; ++i) labels.push_back(static_cast<char>(i == 7 ? 255 : i % 3));
  auto v = parseInrimage(labels, "labels.inr");
  ASSERT_TRUE(v.ok()) << v.error().toString();
  EXPECT_EQ(v.value().dims, (std::array<uint32_t, 3>{3, 2, 2}));
  EXPECT_EQ(v.value().values[v.value().index(1, 0, 1)], 255.0f);  // byte 7: i 1, j 0, k 1
  EXPECT_EQ(v.value().values[v.value().index(2, 1, 0)], 2.0f);
  EXPECT_EQ(v.value().componentType, "uint8");
  EXPECT_DOUBLE_EQ(v.value().voxelVolumeMl(), 0.0005);
  const glm::dvec4 far = v.value().indexToLps * glm::dvec4(2, 1, 1, 1);
  EXPECT_DOUBLE_EQ(far.x, 11.0);
  EXPECT_DOUBLE_EQ(far.y, 0.5);
  EXPECT_DOUBLE_EQ(far.z, 2.0);

  std::string ct = inrHeader("XDIM=2\nYDIM=1\nZDIM=1\nTYPE=signed fixed\nPIXSIZE=16 bits\nCPU=sun\n");
  ct += std::string("\xfc\x18\x03\xe8", 4);  // -1000, 1000, big-endian
  auto c = parseInrimage(ct, "ct.inr");
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c.value().values, (std::vector<float>{-1000.0f, 1000.0f}));
  EXPECT_EQ(c.value().componentType, "int16");

  // The widest words keep their sign: -2 and the most negative int64 (the fuzzer found the
  // old sign extension overflowing there), then -1 and 2^31 - 1 as 32-bit words.
  std::string wide = inrHeader("XDIM=2\nYDIM=1\nZDIM=1\nTYPE=signed fixed\nPIXSIZE=64 bits\n");
  wide += std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8);
  wide += std::string("\0\0\0\0\0\0\0\x80", 8);
  auto w = parseInrimage(wide, "wide.inr");
  ASSERT_TRUE(w.ok()) << w.error().toString();
  EXPECT_EQ(w.value().values, (std::vector<float>{-2.0f, -9223372036854775808.0f}));
  std::string i32 = inrHeader("XDIM=2\nYDIM=1\nZDIM=1\nTYPE=signed fixed\nPIXSIZE=32 bits\n");
  i32 += std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  auto n = parseInrimage(i32, "i32.inr");
  ASSERT_TRUE(n.ok()) << n.error().toString();
  EXPECT_EQ(n.value().values, (std::vector<float>{-1.0f, 2147483647.0f}));
}

TEST(Inrimage, BadFilesSayWhatAndWhere) {
  auto notInr = parseInrimage("P6 640 480 255\n", "picture.inr");
  ASSERT_FALSE(notInr.ok());
  EXPECT_NE(notInr.error().message.find("not an INRIMAGE-4 file"), std::string::npos);
  const std::string noY = inrHeader("XDIM=3\nZDIM=2\n") + std::string(6, '\0');
  auto missing = parseInrimage(noY, "noy.inr");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("YDIM"), std::string::npos) << missing.error().toString();
  const std::string badType = inrHeader("XDIM=1\nYDIM=1\nZDIM=1\nTYPE=complex\n") + std::string(1, '\0');
  auto type = parseInrimage(badType, "type.inr");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().where.byteOffset, std::string("#INRIMAGE-4#{\nXDIM=1\nYDIM=1\nZDIM=1\n").size());
  const std::string shortData = inrHeader("XDIM=4\nYDIM=4\nZDIM=4\n") + std::string(10, '\0');
  auto truncated = parseInrimage(shortData, "short.inr");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("10 of 64 bytes"), std::string::npos)
      << truncated.error().toString();
  EXPECT_FALSE(parseInrimage(inrHeader("XDIM=5000\nYDIM=1\nZDIM=1\n"), "big.inr").ok());
  EXPECT_FALSE(parseInrimage(inrHeader("XDIM=1\nYDIM=1\nZDIM=1\nVDIM=3\n") + "abc", "rgb.inr").ok());
}

// CGAL's segmented abdominal CT (libcgal-demo: data/images/liver.inr.gz in its data.tar.gz),
// read through readVolume as import reads it: 438 x 353 x 165 voxels of 0.617188 x 0.617188 x
// 1.33333 mm. Its labels, counted and boxed by an independent reading (Python's gzip over the
// raw bytes after the 256-byte header): 0 background (22,019,024 voxels), 255 the liver
// (3,160,496 voxels: 1.61 l, 20.6 x 17.2 x 15.2 cm), 127 the right kidney (314,086: 160 ml,
// behind, below and right of the liver's middle), 85 the gallbladder (17,702: 9 ml, 6 cm
// long, in the notch of the liver's lower edge, its fundus forwards and down), 84 two stray
// voxels (scenarios/lap-cholecystectomy/README.md says how each was identified).
TEST(Inrimage, CgalsLiverVolumeHasTheLabelsTheFileHolds) {
  const std::filesystem::path tarball = "/usr/share/doc/libcgal-dev/data.tar.gz";
  if (!std::filesystem::exists(tarball))
    GTEST_SKIP() << "libcgal-demo is not installed (tools/setup.sh installs it)";
  test::TempDir dir;
  ASSERT_EQ(std::system(("tar -xzf " + tarball.string() + " -C '" + dir.path().string() +
                         "' data/images/liver.inr.gz")
                            .c_str()),
            0);
  auto v = readVolume(dir / "data/images/liver.inr.gz");
  ASSERT_TRUE(v.ok()) << v.error().toString();
  const Volume& vol = v.value();
  EXPECT_EQ(vol.dims, (std::array<uint32_t, 3>{438, 353, 165}));
  EXPECT_NEAR(vol.spacingMm.x, 0.617188, 1e-6);
  EXPECT_NEAR(vol.spacingMm.z, 1.33333, 1e-6);
  EXPECT_EQ(vol.format, "INRIMAGE");
  struct Label {
    int value;
    size_t voxels;
    std::array<uint32_t, 6> box;  // i, j, k low; i, j, k high
  };
  for (const Label& l :
       {Label{255, 3160496, {54, 38, 33, 387, 316, 146}}, Label{127, 314086, {99, 198, 11, 214, 283, 95}},
        Label{85, 17702, {141, 81, 45, 195, 141, 76}}, Label{84, 2, {169, 90, 59, 170, 90, 59}}}) {
    SCOPED_TRACE(l.value);
    const Mask m = labelMask(vol, l.value);
    EXPECT_EQ(m.count(), l.voxels);
    std::array<int, 3> origin{};
    const Mask crop = cropToContent(m, 0, origin);
    EXPECT_EQ(origin[0], static_cast<int>(l.box[0]));
    EXPECT_EQ(origin[1], static_cast<int>(l.box[1]));
    EXPECT_EQ(origin[2], static_cast<int>(l.box[2]));
    EXPECT_EQ(crop.dims[0], l.box[3] - l.box[0] + 1);
    EXPECT_EQ(crop.dims[1], l.box[4] - l.box[1] + 1);
    EXPECT_EQ(crop.dims[2], l.box[5] - l.box[2] + 1);
  }
  EXPECT_NEAR(static_cast<double>(labelMask(vol, 255).count()) * vol.voxelVolumeMl(), 1605.0, 1.0) << "ml";
}

}  // namespace
}  // namespace trocar::assets
