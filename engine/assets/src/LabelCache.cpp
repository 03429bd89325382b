// importLabelCached: one label of a volume as a scenario tissue, through a cache of imports.
#include <trocar/assets/AnatomyPack.h>
#include <trocar/core/Bytes.h>
#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Log.h>
#include <trocar/core/Version.h>

#include <cstring>

namespace trocar::assets {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'L', 'A', 'B', 'E', 'L', '1'};

std::vector<uint8_t> serialize(const Structure& s) {
  ByteWriter w;
  for (char c : kMagic) w.put(c);
  w.putString(s.name);
  w.putString(s.id);
  w.put(static_cast<uint64_t>(s.voxels));
  w.put(s.volumeMl);
  w.put(s.boundsMin);
  w.put(s.boundsMax);
  w.putVector(s.surface.positions);
  w.putVector(s.surface.normals);
  w.putVector(s.surface.indices);
  w.put(static_cast<uint64_t>(s.check.boundaryEdges));
  w.put(static_cast<uint64_t>(s.check.nonManifoldEdges));
  w.put(s.check.volumeM3);
  w.putVector(s.tets.nodes);
  w.putVector(s.tets.tets);
  w.put(s.tets.cellVoxels);
  w.putVector(s.embedding.tet);
  w.putVector(s.embedding.weights);
  w.put(s.embedding.maxOutside);
  return std::move(w.bytes());
}

// False for anything but a whole, consistent entry.
bool parse(const std::vector<uint8_t>& bytes, Structure& s) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) return false;
  ByteReader r(std::span<const uint8_t>(bytes).subspan(8));
  constexpr uint64_t kMax = 50'000'000;
  s.name = r.getString(4096);
  s.id = r.getString(4096);
  s.voxels = static_cast<size_t>(r.get<uint64_t>());
  s.volumeMl = r.get<double>();
  s.boundsMin = r.get<glm::vec3>();
  s.boundsMax = r.get<glm::vec3>();
  s.surface.positions = r.getVector<glm::vec3>(kMax);
  s.surface.normals = r.getVector<glm::vec3>(kMax);
  s.surface.indices = r.getVector<uint32_t>(kMax);
  s.check.boundaryEdges = static_cast<size_t>(r.get<uint64_t>());
  s.check.nonManifoldEdges = static_cast<size_t>(r.get<uint64_t>());
  s.check.volumeM3 = r.get<double>();
  s.tets.nodes = r.getVector<glm::vec3>(kMax);
  s.tets.tets = r.getVector<std::array<uint32_t, 4>>(kMax);
  s.tets.cellVoxels = r.get<uint32_t>();
  s.embedding.tet = r.getVector<uint32_t>(kMax);
  s.embedding.weights = r.getVector<glm::vec4>(kMax);
  s.embedding.maxOutside = r.get<float>();
  if (!r.ok() || s.surface.normals.size() != s.surface.positions.size() ||
      s.surface.indices.size() % 3 != 0 || s.embedding.tet.size() != s.surface.positions.size() ||
      s.embedding.weights.size() != s.surface.positions.size())
    return false;
  for (uint32_t i : s.surface.indices) {
    if (i >= s.surface.positions.size()) return false;
  }
  for (const auto& t : s.tets.tets) {
    for (uint32_t n : t) {
      if (n >= s.tets.nodes.size()) return false;
    }
  }
  for (uint32_t t : s.embedding.tet) {
    if (t >= s.tets.tets.size()) return false;
  }
  return true;
}

}  // namespace

Result<Structure> importLabelCached(const LabelSource& source, const std::filesystem::path& cacheDir,
                                    bool* cacheHit) {
  if (cacheHit) *cacheHit = false;
  auto bytes = readFileBytes(source.file);
  if (!bytes.ok()) return bytes.error();
  StateHasher h;
  h.addString("trocar label cache");
  // Another build's importer may make other geometry, and so may this source built by another
  // compiler (the dev and sanitizer presets share a build id): both are in the key.
  h.addString(buildId());
  h.addString(__VERSION__);
  h.addSpan(std::span<const uint8_t>(bytes.value()));
  h.addString(source.member);
  h.add(source.label);
  h.add(source.nodes);
  h.add(static_cast<uint64_t>(source.triangles));
  h.add(source.smooth);
  const std::filesystem::path entry = cacheDir / "labels" / (hashToHex(h.digest()) + ".trlabel");
  if (auto cached = readFileBytes(entry); cached.ok()) {
    Structure s;
    if (parse(cached.value(), s)) {
      if (cacheHit) *cacheHit = true;
      return s;
    }
    TROCAR_LOG_WARN("ignoring a corrupt label cache entry %s", entry.c_str());
  }
  auto volume =
      source.member.empty() ? readVolume(source.file) : readVolumeMember(source.file, source.member);
  if (!volume.ok()) return volume.error();
  const std::string where =
      source.member.empty() ? source.file.string() : source.file.string() + ":" + source.member;
  TROCAR_LOG_INFO("importing label %d of %s (once per build: it is cached in %s)", source.label,
                  where.c_str(), cacheDir.c_str());
  VolumeImportOptions options;
  options.nodeBudget = source.nodes;
  options.triangleBudget = source.triangles;
  options.smoothIterations = source.smooth;
  auto s = importStructure(volume.value(), "label " + std::to_string(source.label),
                           labelMask(volume.value(), source.label), options);
  if (!s.ok()) {
    Error e = s.error();
    e.message = where + ": " + e.message;
    return e;
  }
  std::error_code ec;
  std::filesystem::create_directories(entry.parent_path(), ec);
  if (!ec) {
    if (auto w = writeFileAtomic(entry, serialize(s.value())); !w.ok())
      TROCAR_LOG_DEBUG("label cache not written: %s", w.error().toString().c_str());
  }
  return s;
}

}  // namespace trocar::assets
