#include <trocar/assets/MeshCache.h>
#include <trocar/core/Bytes.h>
#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Log.h>

#include <cstring>

namespace trocar::assets {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'M', 'E', 'S', 'H', '0', '1'};
constexpr uint32_t kFormat = 1;

std::vector<uint8_t> serialize(const ImportedMesh& m) {
  ByteWriter w;
  for (char c : kMagic) w.put(c);
  w.put(kFormat);
  w.put(static_cast<uint8_t>(m.units));
  w.put(static_cast<uint8_t>(m.upAxis));
  w.put(m.openEdges);
  w.put(m.nonManifoldEdges);
  w.putVector(m.positions);
  w.putVector(m.normals);
  w.putVector(m.triangles);
  w.put(static_cast<uint64_t>(m.groups.size()));
  for (const auto& g : m.groups) {
    w.putVector(std::vector<char>(g.name.begin(), g.name.end()));
    w.putVector(g.triangles);
    w.putVector(g.vertices);
  }
  w.put(m.boundsMin);
  w.put(m.boundsMax);
  return std::move(w.bytes());
}

}  // namespace

bool parseMeshCacheEntry(const std::vector<uint8_t>& bytes, ImportedMesh& m) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) return false;
  ByteReader r(std::span<const uint8_t>(bytes).subspan(8));
  if (r.get<uint32_t>() != kFormat) return false;
  const uint8_t units = r.get<uint8_t>(), upAxis = r.get<uint8_t>();
  if (units > static_cast<uint8_t>(Units::kMetres) || upAxis > static_cast<uint8_t>(UpAxis::kZ)) return false;
  m.units = static_cast<Units>(units);
  m.upAxis = static_cast<UpAxis>(upAxis);
  m.openEdges = r.get<uint32_t>();
  m.nonManifoldEdges = r.get<uint32_t>();
  constexpr uint64_t kMax = 50'000'000;
  m.positions = r.getVector<Vec3>(kMax);
  m.normals = r.getVector<Vec3>(kMax);
  m.triangles = r.getVector<std::array<uint32_t, 3>>(kMax);
  uint64_t groups = r.get<uint64_t>();
  if (!r.fine() || groups > 100000) return false;
  for (uint64_t i = 0; i < groups && r.fine(); ++i) {
    MeshGroup g;
    auto name = r.getVector<char>(4096);
    g.name.assign(name.begin(), name.end());
    g.triangles = r.getVector<uint32_t>(kMax);
    g.vertices = r.getVector<uint32_t>(kMax);
    m.groups.push_back(std::move(g));
  }
  m.boundsMin = r.get<Vec3>();
  m.boundsMax = r.get<Vec3>();
  if (!r.ok() || m.normals.size() != m.positions.size()) return false;
  for (const auto& t : m.triangles) {
    for (uint32_t v : t) {
      if (v >= m.positions.size()) return false;
    }
  }
  return true;
}

Result<ImportedMesh> importMeshCached(const std::filesystem::path& file, const MeshImportOptions& options,
                                      uint32_t triangleBudget, const std::filesystem::path& cacheDir,
                                      CacheStats* stats) {
  auto source = readFileBytes(file);
  if (!source.ok()) return source.error();
  StateHasher h;
  h.addString("trocar mesh cache");
  h.add(kFormat);
  h.addSpan(std::span<const uint8_t>(source.value()));
  h.add(static_cast<uint8_t>(options.units));
  h.add(static_cast<uint8_t>(options.upAxis));
  h.add(triangleBudget);
  h.addString(file.extension().string());  // the importer picks its reader by extension
  const std::filesystem::path entry = cacheDir / "meshes" / (hashToHex(h.digest()) + ".trmesh");
  if (auto cached = readFileBytes(entry); cached.ok()) {
    ImportedMesh m;
    if (parseMeshCacheEntry(cached.value(), m)) {
      if (stats) stats->hits++;
      return m;
    }
    TROCAR_LOG_WARN("ignoring a corrupt mesh cache entry %s", entry.c_str());
  }
  if (stats) stats->misses++;
  auto imported = importMesh(file, options);
  if (!imported.ok()) return imported.error();
  ImportedMesh m = simplifyMesh(imported.value(), triangleBudget);
  std::error_code ec;
  std::filesystem::create_directories(entry.parent_path(), ec);
  if (!ec) {
    if (auto w = writeFileAtomic(entry, serialize(m)); !w.ok())
      TROCAR_LOG_DEBUG("mesh cache not written: %s", w.error().toString().c_str());
  }
  return m;
}

}  // namespace trocar::assets
