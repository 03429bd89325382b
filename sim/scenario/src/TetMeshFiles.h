#pragma once
// Tetrahedral mesh files for volumetric tissue: TetGen .node/.ele and Gmsh .msh (versions 2
// and 4, ASCII). TetGen and Gmsh themselves are (A)GPL: we only read their file formats.

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>
#include <trocar/scenario/Scenario.h>

#include <filesystem>

namespace trocar::scenario {

// Reads `path` with its extension replaced by .node and .ele. Coordinates are multiplied by
// `scale` (units to metres) and moved by `offset`. Indices may start at 0 or 1 (TetGen's
// -z flag); errors name file:line. Tets are oriented to positive volume later by the world.
Result<physics::TetMesh> readTetGen(std::filesystem::path path, float scale, Vec3 offset);
// The same from the two files' text (the names are for errors).
Result<physics::TetMesh> parseTetGen(const std::string& nodeText, const std::filesystem::path& nodeFile,
                                     const std::string& eleText, const std::filesystem::path& eleFile,
                                     float scale, Vec3 offset);

// Reads a Gmsh .msh file, version 2.x or 4.x, ASCII; keeps its 4-node tetrahedra (element
// type 4) and ignores everything else. Errors name file:line.
Result<physics::TetMesh> readGmsh(const std::filesystem::path& path, float scale, Vec3 offset);
Result<physics::TetMesh> parseGmsh(const std::string& text, const std::filesystem::path& path, float scale,
                                   Vec3 offset);

// An OBJ's triangles (its vertex count too) and an .embed file (a count, then per vertex
// "tet w0 w1 w2 w3") resolved against `mesh`'s tets. Errors at file:line.
Result<EmbeddedSurface> readEmbeddedSurface(const std::filesystem::path& obj,
                                            const std::filesystem::path& embed, const physics::TetMesh& mesh);
Result<EmbeddedSurface> parseEmbeddedSurface(const std::string& objText, const std::filesystem::path& obj,
                                             const std::string& embedText, const std::filesystem::path& embed,
                                             const physics::TetMesh& mesh);

}  // namespace trocar::scenario
