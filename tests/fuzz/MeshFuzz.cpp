// libFuzzer target for the mesh readers: TetGen .node/.ele and Gmsh .msh tet meshes, an
// anatomy pack's surface with its .embed, a mesh-cache entry, and surface meshes through
// Assimp (OBJ, STL, PLY; Assimp reads them from a file). Any bytes give a mesh or an error,
// never a crash. The first byte picks the reader; readers of two files take the input's
// parts either side of a "%%" line. See ScenarioFuzz.cpp for how to run.
#include "FuzzInput.h"
#include "TetMeshFiles.h"

#include <trocar/assets/Mesh.h>
#include <trocar/assets/MeshCache.h>
#include <trocar/core/Log.h>

#include <cstddef>
#include <cstdint>
#include <string>

using trocar::fuzz::splitParts;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trocar::fuzz::quietLogs();
  if (size == 0) return 0;
  // Seeds start with the digit of their reader: "0", "1", ...
  const unsigned pick = static_cast<uint8_t>(data[0] - '0') % 7u;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const trocar::Vec3 offset(0.0f, 1.0f, 0.0f);
  switch (pick) {
    case 0: {
      auto mesh = trocar::scenario::parseGmsh(std::string(text), "fuzz.msh", 0.01f, offset);
      trocar::fuzz::say(mesh);
      break;
    }
    case 1: {
      const auto parts = splitParts(text, 2);
      auto mesh = trocar::scenario::parseTetGen(parts[0], "fuzz.node", parts.size() > 1 ? parts[1] : "",
                                                "fuzz.ele", 0.01f, offset);
      trocar::fuzz::say(mesh);
      break;
    }
    case 2: {
      // A surface embedded in a mesh of two tets (the embedding must name one of them).
      trocar::physics::TetMesh mesh;
      mesh.nodes = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
      mesh.tets = {{0, 1, 2, 3}, {1, 2, 3, 4}};
      const auto parts = splitParts(text, 2);
      auto surface = trocar::scenario::parseEmbeddedSurface(
          parts[0], "fuzz.obj", parts.size() > 1 ? parts[1] : "", "fuzz.embed", mesh);
      trocar::fuzz::say(surface);
      break;
    }
    case 3: {
      trocar::assets::ImportedMesh mesh;
      trocar::fuzz::say(
          trocar::assets::parseMeshCacheEntry(std::vector<uint8_t>(text.begin(), text.end()), mesh));
      break;
    }
    default: {
      static const char* const kNames[] = {"fuzz.obj", "fuzz.stl", "fuzz.ply"};
      const auto file = trocar::fuzz::writeScratch(kNames[pick - 4], text);
      trocar::assets::MeshImportOptions options;
      options.timeoutS = 2.0;  // a reader that loops is stopped, and that is the right answer
      auto mesh = trocar::assets::importMesh(file, options);
      trocar::fuzz::say(mesh);
      break;
    }
  }
  return 0;
}
