#include <trocar/assets/Mesh.h>
#include <trocar/core/Bytes.h>
#include <trocar/core/Isolate.h>

#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <meshoptimizer.h>
#include <assimp/Importer.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

namespace trocar::assets {
namespace {

constexpr uint32_t kNone = 0xFFFFFFFFu;

Error meshError(const std::filesystem::path& file, std::string what, std::string hint) {
  SourceLocation where;
  where.file = file.string();
  return makeError(ErrorCode::kInvalidInput, std::move(what), where, std::move(hint));
}

std::string lowerExtension(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// Rotation taking the file's up axis to +Y (right-handed, no mirroring).
Vec3 toYUp(const Vec3& p, UpAxis up) {
  switch (up) {
    case UpAxis::kZ: return {p.x, p.z, -p.y};
    case UpAxis::kX: return {-p.y, p.x, p.z};
    default: return p;
  }
}

void computeNormals(ImportedMesh& m) {
  m.normals.assign(m.positions.size(), Vec3(0.0f));
  for (const auto& t : m.triangles) {
    Vec3 n = glm::cross(m.positions[t[1]] - m.positions[t[0]], m.positions[t[2]] - m.positions[t[0]]);
    for (uint32_t v : t) m.normals[v] += n;
  }
  for (Vec3& n : m.normals) {
    float len = glm::length(n);
    n = len > 0.0f ? n / len : Vec3(0.0f, 1.0f, 0.0f);
  }
}

void checkSurface(ImportedMesh& m) {
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> uses;
  for (const auto& t : m.triangles) {
    for (int k = 0; k < 3; ++k) {
      uint32_t a = t[static_cast<size_t>(k)], b = t[static_cast<size_t>((k + 1) % 3)];
      uses[{std::min(a, b), std::max(a, b)}]++;
    }
  }
  m.openEdges = 0;
  m.nonManifoldEdges = 0;
  for (const auto& [edge, count] : uses) {
    if (count == 1)
      ++m.openEdges;
    else if (count > 2)
      ++m.nonManifoldEdges;
  }
}

void computeBounds(ImportedMesh& m) {
  m.boundsMin = Vec3(std::numeric_limits<float>::max());
  m.boundsMax = Vec3(std::numeric_limits<float>::lowest());
  for (const Vec3& p : m.positions) {
    m.boundsMin = glm::min(m.boundsMin, p);
    m.boundsMax = glm::max(m.boundsMax, p);
  }
}

}  // namespace

const char* toString(Units units) {
  switch (units) {
    case Units::kAuto: return "auto";
    case Units::kMillimetres: return "mm";
    case Units::kCentimetres: return "cm";
    case Units::kMetres: return "m";
  }
  return "?";
}

const char* toString(UpAxis axis) {
  switch (axis) {
    case UpAxis::kAuto: return "auto";
    case UpAxis::kX: return "x";
    case UpAxis::kY: return "y";
    case UpAxis::kZ: return "z";
  }
  return "?";
}

std::optional<Units> unitsFromString(std::string_view text) {
  for (Units u : {Units::kAuto, Units::kMillimetres, Units::kCentimetres, Units::kMetres}) {
    if (text == toString(u)) return u;
  }
  return std::nullopt;
}

std::optional<UpAxis> upAxisFromString(std::string_view text) {
  for (UpAxis a : {UpAxis::kAuto, UpAxis::kX, UpAxis::kY, UpAxis::kZ}) {
    if (text == toString(a)) return a;
  }
  return std::nullopt;
}

float metresPerUnit(Units units) {
  return units == Units::kMillimetres ? 0.001f : units == Units::kCentimetres ? 0.01f : 1.0f;
}

namespace {

// What Assimp read: its triangles' corners (not yet welded) and its named sub-meshes.
struct RawMesh {
  std::vector<Vec3> points;
  std::vector<std::array<uint32_t, 3>> triangles;
  std::vector<MeshGroup> groups;  // name and triangles
};

// Reads `file` with Assimp. Runs in the child process of readIsolated: a crash or endless
// loop inside Assimp on a malformed file must not take Trocar with it.
RawMesh readWithAssimp(const std::filesystem::path& file, std::string& error) {
  Assimp::Importer importer;
  // Drop the file's normals so vertices that differ only in normals (STL) weld; we compute
  // our own. Pre-transform bakes node transforms; degenerate faces and points/lines go.
  importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE, aiPrimitiveType_POINT | aiPrimitiveType_LINE);
  importer.SetPropertyBool(AI_CONFIG_PP_FD_REMOVE, true);
  const unsigned flags = aiProcess_Triangulate | aiProcess_DropNormals | aiProcess_JoinIdenticalVertices |
                         aiProcess_PreTransformVertices | aiProcess_FindDegenerates | aiProcess_SortByPType;
  RawMesh raw;
  const aiScene* scene = importer.ReadFile(file.string(), flags);
  if (!scene || !scene->mRootNode) {
    error = importer.GetErrorString();
    if (error.empty()) error = "the reader gave no scene";
    return raw;
  }
  // Gather all triangles, remembering each sub-mesh as a group.
  for (unsigned i = 0; i < scene->mNumMeshes; ++i) {
    const aiMesh* m = scene->mMeshes[i];
    if (!(m->mPrimitiveTypes & aiPrimitiveType_TRIANGLE)) continue;
    const uint32_t base = static_cast<uint32_t>(raw.points.size());
    for (unsigned v = 0; v < m->mNumVertices; ++v)
      raw.points.emplace_back(m->mVertices[v].x, m->mVertices[v].y, m->mVertices[v].z);
    MeshGroup group;
    group.name = m->mName.length > 0 ? m->mName.C_Str() : "mesh-" + std::to_string(i);
    for (unsigned f = 0; f < m->mNumFaces; ++f) {
      const aiFace& face = m->mFaces[f];
      if (face.mNumIndices != 3) continue;
      group.triangles.push_back(static_cast<uint32_t>(raw.triangles.size()));
      raw.triangles.push_back({base + face.mIndices[0], base + face.mIndices[1], base + face.mIndices[2]});
    }
    if (!group.triangles.empty()) raw.groups.push_back(std::move(group));
  }
  return raw;
}

// What readWithAssimp gives, as bytes from the child process.
std::vector<uint8_t> encode(const RawMesh& raw) {
  ByteWriter w;
  w.putVector(raw.points);
  w.putVector(raw.triangles);
  w.put(static_cast<uint64_t>(raw.groups.size()));
  for (const auto& g : raw.groups) {
    w.putString(g.name);
    w.putVector(g.triangles);
  }
  return std::move(w.bytes());
}

bool decode(const std::vector<uint8_t>& bytes, RawMesh& raw) {
  ByteReader r(bytes);
  raw.points = r.getVector<Vec3>(bytes.size());
  raw.triangles = r.getVector<std::array<uint32_t, 3>>(bytes.size());
  const uint64_t groups = r.get<uint64_t>();
  for (uint64_t i = 0; i < groups && r.fine(); ++i) {
    MeshGroup g;
    g.name = r.getString(bytes.size());
    g.triangles = r.getVector<uint32_t>(bytes.size());
    raw.groups.push_back(std::move(g));
  }
  if (!r.ok()) return false;
  for (const auto& t : raw.triangles) {
    for (uint32_t v : t) {
      if (v >= raw.points.size()) return false;
    }
  }
  for (const auto& g : raw.groups) {
    for (uint32_t t : g.triangles) {
      if (t >= raw.triangles.size()) return false;
    }
  }
  return true;
}

// readWithAssimp in a child process (core/Isolate.h): Assimp loops forever on some malformed
// PLY files (found by tests/fuzz/MeshFuzz.cpp) and may crash on others.
Result<RawMesh> readIsolated(const std::filesystem::path& file, double timeoutS) {
  auto bytes = runIsolated("the mesh reader (Assimp)", file, timeoutS, [&]() -> Result<std::vector<uint8_t>> {
    std::string error;
    const RawMesh raw = readWithAssimp(file, error);
    if (!error.empty())
      return meshError(file, "cannot read the mesh: " + error, "export it again as OBJ, STL, PLY or glTF");
    return encode(raw);
  });
  if (!bytes.ok()) return bytes.error();
  RawMesh raw;
  if (!decode(bytes.value(), raw)) {
    return makeError(ErrorCode::kIo, file.string() + ": the mesh reader's answer is inconsistent",
                     "try again; if it persists, report it with the file");
  }
  return raw;
}

}  // namespace

Result<ImportedMesh> importMesh(const std::filesystem::path& file, const MeshImportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    SourceLocation where;
    where.file = file.string();
    return makeError(ErrorCode::kNotFound, "no such mesh file", where,
                     "check the path (relative to the scenario file)");
  }
  auto read = readIsolated(file, options.timeoutS);
  if (!read.ok()) return read.error();
  std::vector<Vec3>& raw = read.value().points;
  std::vector<std::array<uint32_t, 3>>& tris = read.value().triangles;
  const std::string ext = lowerExtension(file);
  ImportedMesh mesh;
  mesh.groups = std::move(read.value().groups);
  if (tris.empty())
    return meshError(file, "the file holds no usable triangles (all degenerate, or only points and lines)",
                     "export the surface as a triangle mesh with real area");
  for (const Vec3& p : raw) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return meshError(file, "the mesh has a vertex that is not a finite number", "repair or re-export it");
    }
  }
  // Units.
  Vec3 lo(std::numeric_limits<float>::max()), hi(std::numeric_limits<float>::lowest());
  for (const auto& t : tris) {
    for (uint32_t v : t) {
      lo = glm::min(lo, raw[v]);
      hi = glm::max(hi, raw[v]);
    }
  }
  float extent = std::max({hi.x - lo.x, hi.y - lo.y, hi.z - lo.z});
  if (!(extent > 0.0f))
    return meshError(file, "the mesh is degenerate: all its vertices coincide", "check the export");
  mesh.units = options.units;
  if (mesh.units == Units::kAuto) {
    const bool metresBySpec = ext == ".gltf" || ext == ".glb";
    if (!metresBySpec && extent > 50.0f)
      mesh.units = Units::kMillimetres;
    else if (!metresBySpec && extent > 2.0f)
      mesh.units = Units::kCentimetres;
    else
      mesh.units = Units::kMetres;
  }
  const float scale = mesh.units == Units::kMillimetres   ? 0.001f
                      : mesh.units == Units::kCentimetres ? 0.01f
                                                          : 1.0f;
  mesh.upAxis = options.upAxis;
  if (mesh.upAxis == UpAxis::kAuto) mesh.upAxis = (ext == ".stl" || ext == ".ply") ? UpAxis::kZ : UpAxis::kY;
  // Weld positions across sub-meshes (to 1e-6 of the size), drop triangles that collapse.
  const float quantum = extent * 1e-6f;
  std::unordered_map<int64_t, std::vector<uint32_t>> buckets;
  std::vector<uint32_t> remap(raw.size());
  auto cell = [&](float v) { return static_cast<int64_t>(std::floor(v / quantum)); };
  for (uint32_t i = 0; i < raw.size(); ++i) {
    const Vec3& p = raw[i];
    int64_t key = (cell(p.x) * 73856093) ^ (cell(p.y) * 19349663) ^ (cell(p.z) * 83492791);
    uint32_t found = kNone;
    for (uint32_t c : buckets[key]) {
      if (glm::length(raw[c] - p) <= quantum) {
        found = remap[c];
        break;
      }
    }
    if (found == kNone) {
      found = static_cast<uint32_t>(mesh.positions.size());
      mesh.positions.push_back(toYUp(p * scale, mesh.upAxis));
      buckets[key].push_back(i);
    }
    remap[i] = found;
  }
  std::vector<uint32_t> triangleRemap(tris.size(), kNone);
  for (size_t i = 0; i < tris.size(); ++i) {
    std::array<uint32_t, 3> t = {remap[tris[i][0]], remap[tris[i][1]], remap[tris[i][2]]};
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2]) continue;
    Vec3 n =
        glm::cross(mesh.positions[t[1]] - mesh.positions[t[0]], mesh.positions[t[2]] - mesh.positions[t[0]]);
    if (glm::length(n) <= 0.0f) continue;
    triangleRemap[i] = static_cast<uint32_t>(mesh.triangles.size());
    mesh.triangles.push_back(t);
  }
  if (mesh.triangles.empty()) {
    return meshError(file, "the mesh is degenerate: every triangle has zero area",
                     "check the export and its units");
  }
  for (auto& g : mesh.groups) {
    std::vector<uint32_t> kept;
    for (uint32_t t : g.triangles) {
      if (triangleRemap[t] != kNone) kept.push_back(triangleRemap[t]);
    }
    g.triangles = std::move(kept);
  }
  mesh.groups.erase(std::remove_if(mesh.groups.begin(), mesh.groups.end(),
                                   [](const MeshGroup& g) { return g.triangles.empty(); }),
                    mesh.groups.end());
  for (auto& g : mesh.groups) {
    for (uint32_t t : g.triangles)
      g.vertices.insert(g.vertices.end(), mesh.triangles[t].begin(), mesh.triangles[t].end());
    std::sort(g.vertices.begin(), g.vertices.end());
    g.vertices.erase(std::unique(g.vertices.begin(), g.vertices.end()), g.vertices.end());
  }
  computeNormals(mesh);
  computeBounds(mesh);
  checkSurface(mesh);
  return mesh;
}

namespace {

ImportedMesh simplifyOnce(const ImportedMesh& mesh, size_t targetIndices, float targetError) {
  std::vector<unsigned> indices;
  indices.reserve(mesh.triangles.size() * 3);
  for (const auto& t : mesh.triangles) indices.insert(indices.end(), t.begin(), t.end());
  std::vector<unsigned> out(indices.size());
  float error = 0.0f;
  size_t count = meshopt_simplify(out.data(), indices.data(), indices.size(), &mesh.positions[0].x,
                                  mesh.positions.size(), sizeof(Vec3), targetIndices, targetError,
                                  meshopt_SimplifyLockBorder, &error);
  ImportedMesh result;
  result.units = mesh.units;
  result.upAxis = mesh.upAxis;
  // Keep only the vertices still used, in first-use order.
  std::vector<uint32_t> remap(mesh.positions.size(), kNone);
  for (size_t i = 0; i + 2 < count; i += 3) {
    std::array<uint32_t, 3> t{};
    for (size_t k = 0; k < 3; ++k) {
      uint32_t v = out[i + k];
      if (remap[v] == kNone) {
        remap[v] = static_cast<uint32_t>(result.positions.size());
        result.positions.push_back(mesh.positions[v]);
      }
      t[k] = remap[v];
    }
    result.triangles.push_back(t);
  }
  for (const MeshGroup& g : mesh.groups) {
    MeshGroup kept;
    kept.name = g.name;
    for (uint32_t v : g.vertices) {
      if (remap[v] != kNone) kept.vertices.push_back(remap[v]);
    }
    std::sort(kept.vertices.begin(), kept.vertices.end());
    if (!kept.vertices.empty()) result.groups.push_back(std::move(kept));
  }
  // Collapses can fold two triangles onto the same three vertices (a zero-volume fin);
  // drop both copies, which leaves the surface around them closed.
  std::map<std::array<uint32_t, 3>, uint32_t> seen;
  for (const auto& t : result.triangles) {
    std::array<uint32_t, 3> key = t;
    std::sort(key.begin(), key.end());
    seen[key]++;
  }
  result.triangles.erase(std::remove_if(result.triangles.begin(), result.triangles.end(),
                                        [&](const std::array<uint32_t, 3>& t) {
                                          std::array<uint32_t, 3> key = t;
                                          std::sort(key.begin(), key.end());
                                          return seen[key] > 1;
                                        }),
                         result.triangles.end());
  computeNormals(result);
  computeBounds(result);
  checkSurface(result);
  return result;
}

}  // namespace

ImportedMesh simplifyMesh(const ImportedMesh& mesh, uint32_t targetTriangles) {
  if (mesh.triangles.size() <= targetTriangles || targetTriangles < 4) return mesh;
  // meshoptimizer may pinch a closed surface into a few non-manifold edges when pushed to
  // its target; a simulation surface must stay closed, so aim lower until it does.
  ImportedMesh best = mesh;
  for (float aim : {1.0f, 0.9f, 0.75f, 0.6f, 0.5f}) {
    size_t target = static_cast<size_t>(static_cast<float>(targetTriangles) * aim) * 3;
    ImportedMesh candidate = simplifyOnce(mesh, target, 0.05f);
    if (candidate.triangles.size() > targetTriangles) continue;
    if (candidate.closed() || !mesh.closed()) return candidate;
    best = std::move(candidate);
  }
  return best;
}

}  // namespace trocar::assets
