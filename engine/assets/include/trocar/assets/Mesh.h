#pragma once
// Anatomy mesh import (Assimp): OBJ, STL (ASCII and binary), PLY, glTF/GLB, FBX, DAE and
// the other formats Assimp reads. Meshes come out in Trocar's frame: metres, +Y up.
//
// Units and up axis are per file (options), with detection when left on auto:
//  - units: glTF is metres by its specification; otherwise by size (organs are 1 to 50 cm):
//    a largest extent above 50 means millimetres, above 2 centimetres, else metres.
//  - up axis: glTF and OBJ are +Y up by convention; STL and PLY (segmentation tools,
//    scanners: patient superior is +Z) are +Z up; others +Y. COLLADA (DAE) declares its unit
//    and up axis and Assimp applies both on reading, so it arrives as metres-scaled, +Y up.
// Vertices are welded (positions equal to within 1e-6 of the mesh size), normals computed
// (area-weighted), named sub-meshes kept as groups, and the surface checked: every edge
// shared by exactly two triangles is a closed 2-manifold surface.

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::assets {

enum class Units : uint8_t { kAuto, kMillimetres, kCentimetres, kMetres };
enum class UpAxis : uint8_t { kAuto, kX, kY, kZ };

const char* toString(Units units);
const char* toString(UpAxis axis);
// "mm", "cm", "m", "auto" / "x", "y", "z", "auto"; nullopt for anything else.
std::optional<Units> unitsFromString(std::string_view text);
std::optional<UpAxis> upAxisFromString(std::string_view text);
// Metres per file unit (1 for kMetres and kAuto).
float metresPerUnit(Units units);

struct MeshImportOptions {
  Units units = Units::kAuto;
  UpAxis upAxis = UpAxis::kAuto;
  // Assimp reads the file in a child process; one that has not answered by then (Assimp
  // loops forever on some malformed files) is stopped and the import fails.
  double timeoutS = 120.0;
};

struct MeshGroup {
  std::string name;
  std::vector<uint32_t> triangles;  // indices into ImportedMesh::triangles (empty once simplified)
  std::vector<uint32_t> vertices;   // the group's vertices, sorted (kept through simplification)
};

struct ImportedMesh {
  std::vector<Vec3> positions;  // metres, +Y up
  std::vector<Vec3> normals;    // unit, per vertex
  std::vector<std::array<uint32_t, 3>> triangles;
  std::vector<MeshGroup> groups;
  Vec3 boundsMin{0.0f}, boundsMax{0.0f};
  Units units = Units::kMetres;   // what the file was read as
  UpAxis upAxis = UpAxis::kY;     // what the file's up axis was taken to be
  uint32_t openEdges = 0;         // edges used by one triangle
  uint32_t nonManifoldEdges = 0;  // edges used by more than two
  bool closed() const { return openEdges == 0 && nonManifoldEdges == 0; }
};

// Reads a mesh file. Errors (unreadable, no triangles, degenerate) name the file and say
// what to do.
Result<ImportedMesh> importMesh(const std::filesystem::path& file, const MeshImportOptions& options = {});

// Simplifies to at most `targetTriangles` for simulation (meshoptimizer, borders kept; a
// closed surface stays closed). Simplification only removes vertices, so groups keep their
// surviving vertices (their triangle lists are cleared). Returns the mesh unchanged when it
// is already small enough.
ImportedMesh simplifyMesh(const ImportedMesh& mesh, uint32_t targetTriangles);

}  // namespace trocar::assets
