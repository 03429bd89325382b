// What the fuzz targets found (tests/fuzz/corpus/*/finding-*), each kept as a regression
// test: the reader refuses the input with an error for the file, and nothing crashes, hangs
// or trips a sanitizer (the ASan preset runs these too).
#include <trocar/assets/Mesh.h>
#include <trocar/assets/MeshCache.h>
#include <trocar/assets/Volume.h>
#include <trocar/core/File.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

namespace trocar::assets {
namespace {

// A corpus input as the reader saw it: without its first byte, which picks the reader.
std::string finding(const std::string& target, const std::string& name) {
  auto bytes = readFileBytes(std::filesystem::path(TROCAR_SOURCE_DIR) / "tests/fuzz/corpus" / target / name);
  EXPECT_TRUE(bytes.ok());
  if (!bytes.ok() || bytes.value().empty()) return {};
  return std::string(bytes.value().begin() + 1, bytes.value().end());
}

std::filesystem::path writeAs(const test::TempDir& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir / name, std::ios::binary) << bytes;
  return dir / name;
}

// Assimp's PLY reader loops forever on this header: the read is stopped after its time
// limit and reported for the file, and Trocar goes on.
TEST(FuzzFindings, AMeshReaderThatNeverFinishesIsStopped) {
  test::TempDir dir;
  const auto file = writeAs(dir, "organ.ply", finding("mesh", "finding-assimp-ply-hangs.ply"));
  MeshImportOptions options;
  options.timeoutS = 1.0;
  const auto start = std::chrono::steady_clock::now();
  auto mesh = importMesh(file, options);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(mesh.ok());
  EXPECT_NE(mesh.error().message.find("did not finish in 1 s"), std::string::npos) << mesh.error().toString();
  EXPECT_EQ(mesh.error().where.file, file.string());
  EXPECT_LT(took, 30.0);  // stopped, not waited out (generous: a loaded machine)
}

// An OBJ with no faces: Assimp answers with empty arrays (once an empty-vector memcpy).
TEST(FuzzFindings, AnObjWithoutFacesIsRefused) {
  test::TempDir dir;
  auto mesh = importMesh(writeAs(dir, "organ.obj", finding("mesh", "finding-obj-without-faces.obj")));
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.error().code, ErrorCode::kInvalidInput) << mesh.error().toString();
}

// ITK aborts (vnl's assert_finite) on this NIfTI header's orientation: the read happens in a
// child process, whose crash is an error for the file.
TEST(FuzzFindings, AVolumeReaderThatAbortsIsReportedNotFatal) {
  test::TempDir dir;
  auto volume = readVolume(writeAs(dir, "scan.nii", finding("volume", "finding-itk-nifti-aborts.nii")));
  ASSERT_FALSE(volume.ok());
  EXPECT_NE(volume.error().message.find("the volume reader (ITK) crashed"), std::string::npos)
      << volume.error().toString();
  EXPECT_EQ(volume.error().where.file, (dir / "scan.nii").string());
}

// ITK loops on this NIfTI header (found by CI's 30 s fuzz run): the read is stopped after its
// time limit and reported for the file.
TEST(FuzzFindings, AVolumeReaderThatNeverFinishesIsStopped) {
  test::TempDir dir;
  const auto file = writeAs(dir, "scan.nii", finding("volume", "finding-itk-nifti-hangs.nii"));
  auto volume = readVolume(file, 1.0);
  ASSERT_FALSE(volume.ok());
  EXPECT_NE(volume.error().message.find("the volume reader (ITK) did not finish in 1 s"), std::string::npos)
      << volume.error().toString();
  EXPECT_EQ(volume.error().where.file, file.string());
}

// A mutated cache entry holding empty lists: refused without touching memory it does not own (UBSan once
// flagged a memcpy to an empty vector's null data()).
TEST(FuzzFindings, AMeshCacheEntryWithEmptyListsIsReadSafely) {
  const std::string bytes = finding("mesh", "finding-cache-empty-group.trmesh");
  ImportedMesh mesh;
  const bool read = parseMeshCacheEntry(std::vector<uint8_t>(bytes.begin(), bytes.end()), mesh);
  EXPECT_FALSE(read);  // a mutated entry: its sizes do not add up to its length
}

}  // namespace
}  // namespace trocar::assets
