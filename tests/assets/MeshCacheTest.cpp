// The processed-mesh cache: hits return the same mesh, an edited source is never served
// stale, a corrupt entry is ignored and replaced, and an unusable cache only costs speed.
#include <trocar/assets/MeshCache.h>
#include <trocar/core/File.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <fstream>

namespace trocar::assets {
namespace {

void writeTetra(const std::filesystem::path& p, float size) {
  std::ofstream out(p);
  out << "o tetra\nv 0 0 0\nv " << size << " 0 0\nv 0 " << size << " 0\nv 0 0 " << size << "\n";
  out << "f 1 3 2\nf 1 2 4\nf 2 3 4\nf 1 4 3\n";
}

std::vector<std::filesystem::path> entries(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir / "meshes")) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir / "meshes")) out.push_back(e.path());
  return out;
}

TEST(MeshCache, HitMissAndNeverStale) {
  test::TempDir dir;
  auto cache = dir / "cache";
  writeTetra(dir / "t.obj", 1.0f);
  MeshImportOptions o{Units::kMetres, UpAxis::kY};
  CacheStats stats;
  auto first = importMeshCached(dir / "t.obj", o, 1000, cache, &stats);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  auto second = importMeshCached(dir / "t.obj", o, 1000, cache, &stats);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(second.value().positions, first.value().positions);
  EXPECT_EQ(second.value().triangles, first.value().triangles);
  ASSERT_EQ(second.value().groups.size(), 1u);
  EXPECT_EQ(second.value().groups[0].name, "tetra");
  EXPECT_TRUE(second.value().closed());
  // Edit the source: a new key, a fresh import with the new size.
  writeTetra(dir / "t.obj", 2.0f);
  auto edited = importMeshCached(dir / "t.obj", o, 1000, cache, &stats);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_FLOAT_EQ(edited.value().boundsMax.x, 2.0f);
  // Other options are other entries too.
  MeshImportOptions cm{Units::kCentimetres, UpAxis::kY};
  auto other = importMeshCached(dir / "t.obj", cm, 1000, cache, &stats);
  ASSERT_TRUE(other.ok());
  EXPECT_FLOAT_EQ(other.value().boundsMax.x, 0.02f);
  EXPECT_EQ(entries(cache).size(), 3u);
}

TEST(MeshCache, CorruptEntryIsIgnoredAndRewritten) {
  test::TempDir dir;
  auto cache = dir / "cache";
  writeTetra(dir / "t.obj", 1.0f);
  MeshImportOptions o{Units::kMetres, UpAxis::kY};
  ASSERT_TRUE(importMeshCached(dir / "t.obj", o, 1000, cache).ok());
  auto files = entries(cache);
  ASSERT_EQ(files.size(), 1u);
  // Truncate the entry mid-way, then flip its magic: both are ignored.
  auto bytes = readFileBytes(files[0]).value();
  for (auto damaged :
       {std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2)),
        std::vector<uint8_t>(bytes.size(), 0xFF)}) {
    ASSERT_TRUE(writeFileAtomic(files[0], std::span<const uint8_t>(damaged)).ok());
    CacheStats stats;
    auto again = importMeshCached(dir / "t.obj", o, 1000, cache, &stats);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(again.value().triangles.size(), 4u);
    EXPECT_EQ(readFileBytes(files[0]).value(), bytes) << "the entry was rewritten whole";
  }
}

TEST(MeshCache, UnusableCacheDirectoryStillImports) {
  test::TempDir dir;
  writeTetra(dir / "t.obj", 1.0f);
  std::ofstream(dir / "not-a-dir") << "file";
  auto m = importMeshCached(dir / "t.obj", {Units::kMetres, UpAxis::kY}, 1000, dir / "not-a-dir");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value().triangles.size(), 4u);
}

}  // namespace
}  // namespace trocar::assets
