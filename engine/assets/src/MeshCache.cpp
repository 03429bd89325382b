#include <trocar/assets/MeshCache.h>
#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Log.h>

#include <cstring>

namespace trocar::assets {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'M', 'E', 'S', 'H', '0', '1'};
constexpr uint32_t kFormat = 1;

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  template <typename T>
  void putVector(const std::vector<T>& v) {
    put(static_cast<uint64_t>(v.size()));
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    bytes.insert(bytes.end(), p, p + v.size() * sizeof(T));
  }
  std::vector<uint8_t> bytes;
};

// Bounds-checked reading: any inconsistency makes ok() false, never reads past the end.
class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& b) : mBytes(b) {}
  template <typename T>
  T get() {
    T v{};
    if (mPos + sizeof(T) > mBytes.size()) {
      mOk = false;
      return v;
    }
    std::memcpy(&v, mBytes.data() + mPos, sizeof(T));
    mPos += sizeof(T);
    return v;
  }
  template <typename T>
  std::vector<T> getVector(uint64_t maxCount) {
    uint64_t n = get<uint64_t>();
    std::vector<T> v;
    if (!mOk || n > maxCount || mPos + n * sizeof(T) > mBytes.size()) {
      mOk = false;
      return v;
    }
    v.resize(n);
    std::memcpy(v.data(), mBytes.data() + mPos, n * sizeof(T));
    mPos += n * sizeof(T);
    return v;
  }
  bool ok() const { return mOk && mPos == mBytes.size(); }
  bool fine() const { return mOk; }

 private:
  const std::vector<uint8_t>& mBytes;
  size_t mPos = 0;
  bool mOk = true;
};

std::vector<uint8_t> serialize(const ImportedMesh& m) {
  Writer w;
  w.bytes.insert(w.bytes.end(), kMagic, kMagic + 8);
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
  return std::move(w.bytes);
}

bool deserialize(const std::vector<uint8_t>& bytes, ImportedMesh& m) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) return false;
  std::vector<uint8_t> body(bytes.begin() + 8, bytes.end());
  Reader r(body);
  if (r.get<uint32_t>() != kFormat) return false;
  m.units = static_cast<Units>(r.get<uint8_t>());
  m.upAxis = static_cast<UpAxis>(r.get<uint8_t>());
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

}  // namespace

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
    if (deserialize(cached.value(), m)) {
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
