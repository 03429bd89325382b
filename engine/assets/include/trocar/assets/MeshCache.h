#pragma once
// A cache of processed meshes (imported, converted, simplified), so a scenario loads fast
// the second time. Entries are keyed by the XXH3 of the source file's bytes, the import
// options, the triangle budget and the cache format version: an edited source can never be
// served from a stale entry. Entries are written atomically; a corrupt or foreign entry is
// ignored and rewritten. The cache directory is safe to delete at any time.

#include <trocar/assets/Mesh.h>

#include <filesystem>

namespace trocar::assets {

struct CacheStats {
  uint32_t hits = 0;
  uint32_t misses = 0;
};

// importMesh + simplifyMesh(budget), through the cache in `cacheDir` (created on demand).
// An unusable cache directory only costs speed: the mesh is imported directly.
Result<ImportedMesh> importMeshCached(const std::filesystem::path& file, const MeshImportOptions& options,
                                      uint32_t triangleBudget, const std::filesystem::path& cacheDir,
                                      CacheStats* stats = nullptr);

// A cache entry's bytes back to the mesh; false for anything that is not a whole, consistent
// entry of this format (a corrupt or foreign file), which the cache then ignores.
bool parseMeshCacheEntry(const std::vector<uint8_t>& bytes, ImportedMesh& mesh);

}  // namespace trocar::assets
