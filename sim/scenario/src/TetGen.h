#pragma once
// TetGen .node/.ele reading for volumetric tissue (TetGen itself is AGPL: we only read its
// file format, never link it).

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>

#include <filesystem>

namespace trocar::scenario {

// Reads `path` with its extension replaced by .node and .ele. Coordinates are multiplied by
// `scale` (units to metres) and moved by `offset`. Indices may start at 0 or 1 (TetGen's
// -z flag); errors name file:line. Tets are oriented to positive volume later by the world.
Result<physics::TetMesh> readTetGen(std::filesystem::path path, float scale, Vec3 offset);

}  // namespace trocar::scenario
