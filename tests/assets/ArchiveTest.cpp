// Gzip and tar in memory, a volume read from inside an archive, and one label of a volume
// imported through the cache (what a scenario's `volume:` tissue does).
#include <trocar/assets/AnatomyPack.h>
#include <trocar/assets/Archive.h>
#include <trocar/core/File.h>

#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace trocar::assets {
namespace {

void writeText(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// Packs `folder` (relative to `dir`) with the system's tar; `gzip` for a .tar.gz.
std::filesystem::path makeTar(const test::TempDir& dir, const std::string& folder, const std::string& name,
                              bool gzip) {
  const std::string cmd = "cd '" + dir.path().string() + "' && tar " + (gzip ? "-czf " : "-cf ") + name +
                          " " + folder + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return dir / name;
}

TEST(Archive, ReadsAMemberOfATarGzippedOrNot) {
  test::TempDir dir;
  writeText(dir / "data/images/a.txt", "first file\n");
  const std::string big(70000, 'x');  // spans many 512-byte blocks
  writeText(dir / "data/images/b.bin", big);
  writeText(dir / "data/readme", "hello");
  for (bool gzip : {true, false}) {
    SCOPED_TRACE(gzip);
    const auto tar = makeTar(dir, "data", gzip ? "data.tar.gz" : "data.tar", gzip);
    auto a = readArchiveMember(tar, "data/images/a.txt");
    ASSERT_TRUE(a.ok()) << a.error().toString();
    EXPECT_EQ(a.value(), "first file\n");
    auto b = readArchiveMember(tar, "./data/images/b.bin");  // "./" as tar lists some archives
    ASSERT_TRUE(b.ok()) << b.error().toString();
    EXPECT_EQ(b.value(), big);
    EXPECT_EQ(readArchiveMember(tar, "data/readme").value(), "hello");
  }
}

TEST(Archive, AMissingMemberNamesWhatTheFolderHolds) {
  test::TempDir dir;
  writeText(dir / "data/images/liver.inr.gz", "x");
  writeText(dir / "data/images/skull.inr.gz", "y");
  const auto tar = makeTar(dir, "data", "data.tar.gz", true);
  auto r = readArchiveMember(tar, "data/images/livr.inr.gz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  const std::string m = r.error().message;
  EXPECT_NE(m.find("holds no file 'data/images/livr.inr.gz'"), std::string::npos) << m;
  EXPECT_NE(m.find("data/images/liver.inr.gz"), std::string::npos) << m;
  EXPECT_NE(m.find("data/images/skull.inr.gz"), std::string::npos) << m;
  EXPECT_NE(r.error().hint.find("tar tzf"), std::string::npos);
}

TEST(Archive, DamagedArchivesSayWhereAndLoseNothing) {
  test::TempDir dir;
  writeText(dir / "data/a.txt", std::string(5000, 'a'));
  const auto tar = makeTar(dir, "data", "data.tar", false);
  auto whole = readFileBytes(tar);
  ASSERT_TRUE(whole.ok());
  const std::string bytes(whole.value().begin(), whole.value().end());
  // Cut inside the member: its header (after the folder's, at byte 512) says more than is left.
  auto cut = listTar(std::string_view(bytes).substr(0, 512 * 4), "cut.tar");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("runs past the end"), std::string::npos) << cut.error().message;
  EXPECT_EQ(cut.error().where.byteOffset, std::optional<uint64_t>(512));
  // Not a tar at all.
  auto text = listTar(std::string(1024, 'z'), "text.tar");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("byte 0 of the tar is not a ustar header"), std::string::npos);
  // A gzip stream cut short.
  const auto gz = makeTar(dir, "data", "data.tar.gz", true);
  auto gzBytes = readFileBytes(gz);
  ASSERT_TRUE(gzBytes.ok());
  const std::string compressed(gzBytes.value().begin(), gzBytes.value().end());
  auto shortGz = gunzip(std::string_view(compressed).substr(0, compressed.size() / 2), "short.gz");
  ASSERT_FALSE(shortGz.ok());
  EXPECT_NE(shortGz.error().message.find("short.gz: the gzip stream is damaged"), std::string::npos)
      << shortGz.error().message;
  EXPECT_EQ(gunzip("plain bytes", "plain").value(), "plain bytes");  // not gzip: as it is
  auto missing = readArchiveMember(dir / "nothing.tar.gz", "a");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// An INRIMAGE-4 label volume: a ball of label 7 (radius 6 voxels of 1 mm) in a 20^3 grid.
std::string ballInr() {
  std::string h =
      "#INRIMAGE-4#{\nXDIM=20\nYDIM=20\nZDIM=20\nVDIM=1\nTYPE=unsigned fixed\nPIXSIZE=8 bits\n"
      "VX=1\nVY=1\nVZ=1\n";
  h.resize(252, '\n');
  h += "##}\n";
  for (int k = 0; k < 20; ++k) {
    for (int j = 0; j < 20; ++j) {
      for (int i = 0; i < 20; ++i) {
        const int d2 = (i - 10) * (i - 10) + (j - 10) * (j - 10) + (k - 10) * (k - 10);
        h.push_back(static_cast<char>(d2 <= 36 ? 7 : 0));
      }
    }
  }
  return h;
}

TEST(Archive, AVolumeInsideATarReadsAsTheFileItself) {
  test::TempDir dir;
  writeText(dir / "vol/images/ball.inr", ballInr());
  const auto tar = makeTar(dir, "vol", "vol.tar.gz", true);
  auto v = readVolumeMember(tar, "vol/images/ball.inr");
  ASSERT_TRUE(v.ok()) << v.error().toString();
  EXPECT_EQ(v.value().dims, (std::array<uint32_t, 3>{20, 20, 20}));
  EXPECT_EQ(labelMask(v.value(), 7).count(),
            labelMask(readVolume(dir / "vol/images/ball.inr").value(), 7).count());
  auto wrong = readVolumeMember(tar, "vol/images/ball.nii");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("holds no file"), std::string::npos);
}

TEST(Archive, ALabelImportsOnceAndThenComesFromTheCache) {
  test::TempDir dir;
  writeText(dir / "vol/ball.inr", ballInr());
  const auto tar = makeTar(dir, "vol", "vol.tar.gz", true);
  LabelSource source;
  source.file = tar;
  source.member = "vol/ball.inr";
  source.label = 7;
  source.nodes = 60;
  source.triangles = 500;
  bool hit = true;
  auto first = importLabelCached(source, dir / "cache", &hit);
  ASSERT_TRUE(first.ok()) << first.error().toString();
  EXPECT_FALSE(hit);
  const Structure& s = first.value();
  EXPECT_TRUE(s.check.closedManifold());
  EXPECT_LE(s.tets.nodes.size(), 60u);
  EXPECT_LE(s.surface.triangleCount(), 500u);
  // A ball of radius 6 mm on 1 mm voxels: 4/3 pi 6^3 = 905 mm^3, within the voxels' stair.
  EXPECT_NEAR(s.volumeMl, 0.905, 0.1);
  // Its centre: voxel (10, 10, 10) in the volume's stage frame (x = L, y = -P, z = -S, m).
  const glm::vec3 mid = (s.boundsMin + s.boundsMax) * 0.5f;
  EXPECT_NEAR(mid.x, 0.010f, 0.0011f);
  EXPECT_NEAR(mid.y, -0.010f, 0.0011f);
  EXPECT_NEAR(mid.z, -0.010f, 0.0011f);
  EXPECT_EQ(s.embedding.tet.size(), s.surface.positions.size());

  auto second = importLabelCached(source, dir / "cache", &hit);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(hit);
  EXPECT_EQ(second.value().tets.nodes, s.tets.nodes);
  EXPECT_EQ(second.value().surface.indices, s.surface.indices);

  // A damaged entry is ignored and rewritten; other options are another entry.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "cache")) {
    if (e.is_regular_file()) writeText(e.path(), "TRLABEL1 but nothing after");
  }
  auto third = importLabelCached(source, dir / "cache", &hit);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(hit);
  EXPECT_EQ(third.value().tets.nodes, s.tets.nodes);
  source.nodes = 30;
  auto coarser = importLabelCached(source, dir / "cache", &hit);
  ASSERT_TRUE(coarser.ok());
  EXPECT_FALSE(hit);
  EXPECT_LE(coarser.value().tets.nodes.size(), 30u);

  source.label = 9;
  auto none = importLabelCached(source, dir / "cache", &hit);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("has no voxels"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("vol.tar.gz:vol/ball.inr"), std::string::npos) << none.error().message;
}

}  // namespace
}  // namespace trocar::assets
