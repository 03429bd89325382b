// Mesh import per format, from small meshes the tests write: a box of known size in the
// file's units and up axis must come out in metres, +Y up, closed, with its groups.
#include <trocar/assets/Mesh.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

namespace trocar::assets {
namespace {

// An axis-aligned box [0, sx] x [0, sy] x [0, sz]: 8 vertices, 12 outward triangles.
struct Box {
  std::vector<Vec3> v;
  std::vector<std::array<uint32_t, 3>> f;
  explicit Box(Vec3 s) {
    v = {{0, 0, 0},   {s.x, 0, 0},   {s.x, s.y, 0},   {0, s.y, 0},
         {0, 0, s.z}, {s.x, 0, s.z}, {s.x, s.y, s.z}, {0, s.y, s.z}};
    f = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
         {1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 4, 7}};
  }
};

void writeObj(const std::filesystem::path& p, const Box& b, const char* name) {
  std::ofstream out(p);
  out << "o " << name << "\n";
  for (const Vec3& x : b.v) out << "v " << x.x << " " << x.y << " " << x.z << "\n";
  for (const auto& t : b.f) out << "f " << t[0] + 1 << " " << t[1] + 1 << " " << t[2] + 1 << "\n";
}

void writeStlAscii(const std::filesystem::path& p, const Box& b) {
  std::ofstream out(p);
  out << "solid box\n";
  for (const auto& t : b.f) {
    out << " facet normal 0 0 0\n  outer loop\n";
    for (uint32_t i : t) out << "   vertex " << b.v[i].x << " " << b.v[i].y << " " << b.v[i].z << "\n";
    out << "  endloop\n endfacet\n";
  }
  out << "endsolid box\n";
}

void writeStlBinary(const std::filesystem::path& p, const Box& b) {
  std::ofstream out(p, std::ios::binary);
  char header[80] = {};
  std::memcpy(header, "trocar test box", 15);  // must not start with "solid"
  out.write(header, 80);
  uint32_t count = static_cast<uint32_t>(b.f.size());
  out.write(reinterpret_cast<const char*>(&count), 4);
  for (const auto& t : b.f) {
    float normal[3] = {0, 0, 0};
    out.write(reinterpret_cast<const char*>(normal), 12);
    for (uint32_t i : t) out.write(reinterpret_cast<const char*>(&b.v[i].x), 12);
    uint16_t attr = 0;
    out.write(reinterpret_cast<const char*>(&attr), 2);
  }
}

void writePly(const std::filesystem::path& p, const Box& b) {
  std::ofstream out(p);
  out << "ply\nformat ascii 1.0\nelement vertex " << b.v.size()
      << "\nproperty float x\nproperty float y\nproperty float z\n"
      << "element face " << b.f.size() << "\nproperty list uchar int vertex_indices\nend_header\n";
  for (const Vec3& x : b.v) out << x.x << " " << x.y << " " << x.z << "\n";
  for (const auto& t : b.f) out << "3 " << t[0] << " " << t[1] << " " << t[2] << "\n";
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint32_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= bytes[i + 2];
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? k[n & 63] : '=';
  }
  return out;
}

void writeGltf(const std::filesystem::path& p, const Box& b) {
  std::vector<uint8_t> buffer;
  for (const Vec3& x : b.v)
    buffer.insert(buffer.end(), reinterpret_cast<const uint8_t*>(&x.x),
                  reinterpret_cast<const uint8_t*>(&x.x) + 12);
  size_t indexOffset = buffer.size();
  for (const auto& t : b.f) {
    for (uint32_t i : t) {
      uint16_t s = static_cast<uint16_t>(i);
      buffer.insert(buffer.end(), reinterpret_cast<const uint8_t*>(&s),
                    reinterpret_cast<const uint8_t*>(&s) + 2);
    }
  }
  Vec3 hi = b.v[6];
  std::ofstream out(p);
  out << R"({"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0,"name":"liver"}],)"
      << R"("meshes":[{"name":"liver","primitives":[{"attributes":{"POSITION":0},"indices":1}]}],)"
      << R"("buffers":[{"byteLength":)" << buffer.size() << R"(,"uri":"data:application/octet-stream;base64,)"
      << base64(buffer) << R"("}],)"
      << R"("bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":)" << indexOffset
      << R"(},{"buffer":0,"byteOffset":)" << indexOffset << R"(,"byteLength":)" << buffer.size() - indexOffset
      << R"(}],)"
      << R"("accessors":[{"bufferView":0,"componentType":5126,"count":8,"type":"VEC3","min":[0,0,0],"max":[)"
      << hi.x << "," << hi.y << "," << hi.z
      << R"(]},{"bufferView":1,"componentType":5123,"count":36,"type":"SCALAR"}]})";
}

// COLLADA 1.4 with <unit meter="0.01"> (centimetres) and Z_UP, as many exporters write it.
void writeDae(const std::filesystem::path& p, const Box& b) {
  std::ofstream out(p);
  out << R"(<?xml version="1.0" encoding="utf-8"?>
<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">
  <asset><unit name="centimeter" meter="0.01"/><up_axis>Z_UP</up_axis></asset>
  <library_geometries><geometry id="box" name="gallbladder"><mesh>
    <source id="box-pos"><float_array id="box-pos-array" count="24">)";
  for (const Vec3& x : b.v) out << x.x << " " << x.y << " " << x.z << " ";
  out << R"(</float_array>
      <technique_common><accessor source="#box-pos-array" count="8" stride="3">
        <param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>
      </accessor></technique_common></source>
    <vertices id="box-vtx"><input semantic="POSITION" source="#box-pos"/></vertices>
    <triangles count="12"><input semantic="VERTEX" source="#box-vtx" offset="0"/><p>)";
  for (const auto& t : b.f) out << t[0] << " " << t[1] << " " << t[2] << " ";
  out << R"(</p></triangles>
  </mesh></geometry></library_geometries>
  <library_visual_scenes><visual_scene id="scene"><node id="n" name="gallbladder">
    <instance_geometry url="#box"/></node></visual_scene></library_visual_scenes>
  <scene><instance_visual_scene url="#scene"/></scene>
</COLLADA>
)";
}

void expectSize(const ImportedMesh& m, Vec3 size, float tolerance = 1e-6f) {
  Vec3 got = m.boundsMax - m.boundsMin;
  EXPECT_NEAR(got.x, size.x, tolerance);
  EXPECT_NEAR(got.y, size.y, tolerance);
  EXPECT_NEAR(got.z, size.z, tolerance);
}

TEST(MeshImport, ObjInMillimetresWithItsGroup) {
  test::TempDir dir;
  writeObj(dir / "box.obj", Box({100, 20, 40}), "kidney");  // mm: 10 x 2 x 4 cm
  auto m = importMesh(dir / "box.obj");
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_EQ(m.value().units, Units::kMillimetres);  // 100 > 50: detected as mm
  EXPECT_EQ(m.value().upAxis, UpAxis::kY);
  expectSize(m.value(), {0.1f, 0.02f, 0.04f});
  EXPECT_EQ(m.value().positions.size(), 8u);
  EXPECT_EQ(m.value().triangles.size(), 12u);
  EXPECT_TRUE(m.value().closed());
  ASSERT_EQ(m.value().groups.size(), 1u);
  EXPECT_EQ(m.value().groups[0].name, "kidney");
}

// STL from a segmentation tool: millimetres, +Z up. A box tall along Z comes out tall
// along Y. Both encodings weld to 8 vertices (STL stores each triangle's corners apart).
TEST(MeshImport, StlAsciiAndBinaryAreZUpAndWeld) {
  test::TempDir dir;
  Box box({10, 20, 40});
  writeStlAscii(dir / "a.stl", box);
  writeStlBinary(dir / "b.stl", box);
  for (const char* name : {"a.stl", "b.stl"}) {
    MeshImportOptions o;
    o.units = Units::kMillimetres;
    auto m = importMesh(dir / name, o);
    ASSERT_TRUE(m.ok()) << name << ": " << m.error().toString();
    EXPECT_EQ(m.value().upAxis, UpAxis::kZ) << name;
    expectSize(m.value(), {0.01f, 0.04f, 0.02f});  // z (40 mm) became y
    EXPECT_EQ(m.value().positions.size(), 8u) << name;
    EXPECT_TRUE(m.value().closed()) << name;
  }
}

TEST(MeshImport, PlyWithExplicitUpAxis) {
  test::TempDir dir;
  writePly(dir / "box.ply", Box({0.1f, 0.2f, 0.3f}));
  MeshImportOptions o;
  o.upAxis = UpAxis::kY;  // override the PLY default (Z)
  auto m = importMesh(dir / "box.ply", o);
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_EQ(m.value().units, Units::kMetres);
  expectSize(m.value(), {0.1f, 0.2f, 0.3f});
  EXPECT_TRUE(m.value().closed());
}

TEST(MeshImport, GltfIsMetresAndYUp) {
  test::TempDir dir;
  writeGltf(dir / "box.gltf", Box({0.05f, 0.08f, 0.03f}));
  auto m = importMesh(dir / "box.gltf");
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_EQ(m.value().units, Units::kMetres);
  EXPECT_EQ(m.value().upAxis, UpAxis::kY);
  expectSize(m.value(), {0.05f, 0.08f, 0.03f});
  EXPECT_TRUE(m.value().closed());
  ASSERT_FALSE(m.value().groups.empty());
  EXPECT_EQ(m.value().groups[0].name, "liver");
}

// COLLADA declares its unit and up axis; Assimp applies both, so the file is read as metres
// and +Y up (explicitly: the options say what the file *is* after Assimp's conversion).
TEST(MeshImport, ColladaUnitsAndUpAxisFromTheFile) {
  test::TempDir dir;
  writeDae(dir / "box.dae", Box({4, 6, 8}));  // cm, Z up: 4 x 6 x 8 cm, tallest along Z
  auto m = importMesh(dir / "box.dae", {Units::kMetres, UpAxis::kY});
  ASSERT_TRUE(m.ok()) << m.error().toString();
  Vec3 size = m.value().boundsMax - m.value().boundsMin;
  EXPECT_NEAR(size.y, 0.08f, 1e-5f) << "8 cm along the file's Z is up";
  EXPECT_NEAR(size.x * size.y * size.z, 0.04f * 0.06f * 0.08f, 1e-8f);
  EXPECT_TRUE(m.value().closed());
}

TEST(MeshImport, OpenSurfaceIsReported) {
  test::TempDir dir;
  std::ofstream(dir / "quad.obj") << "v 0 0 0\nv 1 0 0\nv 1 0 1\nv 0 0 1\nf 1 2 3\nf 1 3 4\n";
  auto m = importMesh(dir / "quad.obj", {Units::kCentimetres, UpAxis::kY});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m.value().closed());
  EXPECT_EQ(m.value().openEdges, 4u);
  // Normals point the way the triangles wind: +Y here... (CCW seen from below: -Y).
  EXPECT_NEAR(std::abs(m.value().normals[0].y), 1.0f, 1e-6f);
}

TEST(MeshImport, DegenerateAndUnreadableFilesAreErrors) {
  test::TempDir dir;
  std::ofstream(dir / "line.obj") << "v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n";
  auto flat = importMesh(dir / "line.obj");
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(flat.error().message.find("degenerate"), std::string::npos) << flat.error().toString();
  std::ofstream(dir / "junk.stl") << "this is not a mesh";
  auto junk = importMesh(dir / "junk.stl");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().where.file.find("junk.stl"), std::string::npos);
  auto missing = importMesh(dir / "nope.obj");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(MeshImport, SimplifyToATriangleBudget) {
  // A finely tessellated closed sphere-ish mesh: a subdivided box written as OBJ.
  test::TempDir dir;
  std::ofstream out(dir / "grid.obj");
  const int n = 30;  // a 30 x 30 grid on each of the 6 faces of a unit cube
  std::vector<Vec3> verts;
  std::vector<std::array<int, 3>> faces;
  auto face = [&](Vec3 origin, Vec3 du, Vec3 dv) {
    int base = static_cast<int>(verts.size());
    for (int j = 0; j <= n; ++j)
      for (int i = 0; i <= n; ++i)
        verts.push_back(origin + du * (static_cast<float>(i) / n) + dv * (static_cast<float>(j) / n));
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) {
        int a = base + j * (n + 1) + i;
        faces.push_back({a, a + 1, a + n + 2});
        faces.push_back({a, a + n + 2, a + n + 1});
      }
  };
  face({0, 0, 0}, {0, 1, 0}, {1, 0, 0});
  face({0, 0, 1}, {1, 0, 0}, {0, 1, 0});
  face({0, 0, 0}, {1, 0, 0}, {0, 0, 1});
  face({0, 1, 0}, {0, 0, 1}, {1, 0, 0});
  face({0, 0, 0}, {0, 0, 1}, {0, 1, 0});
  face({1, 0, 0}, {0, 1, 0}, {0, 0, 1});
  for (const Vec3& v : verts) out << "v " << v.x << " " << v.y << " " << v.z << "\n";
  for (const auto& f : faces) out << "f " << f[0] + 1 << " " << f[1] + 1 << " " << f[2] + 1 << "\n";
  out.close();
  auto m = importMesh(dir / "grid.obj", {Units::kMetres, UpAxis::kY});
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_EQ(m.value().triangles.size(), 6u * 30 * 30 * 2);
  EXPECT_TRUE(m.value().closed()) << "the cube's faces weld along their shared edges";
  ImportedMesh small = simplifyMesh(m.value(), 1000);
  EXPECT_LE(small.triangles.size(), 1000u);
  EXPECT_GE(small.triangles.size(), 12u);
  EXPECT_TRUE(small.closed()) << small.openEdges << " open, " << small.nonManifoldEdges << " non-manifold, "
                              << small.triangles.size();
  expectSize(small, {1.0f, 1.0f, 1.0f}, 1e-5f);
}

}  // namespace
}  // namespace trocar::assets
