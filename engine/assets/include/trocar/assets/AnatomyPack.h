#pragma once
// `trocar import volume`: a CT/MRI volume and its segmentation to an anatomy pack a scenario
// can include. Per structure: a render surface (OBJ), a tet mesh (TetGen .node/.ele) with
// the surface embedded in it (.embed), a YAML fragment for `tissues:`, and one provenance
// record for the pack with no identity in it (no names, paths, dates of the scan).

#include <trocar/assets/Anatomy.h>

#include <functional>
#include <map>
#include <optional>

namespace trocar::assets {

struct ThresholdSpec {
  std::string name;
  float lo = 0.0f, hi = 0.0f;
};

// The default node budget of a pack: with the sim-core reference scene's cost per node, a
// pack of this many nodes and a grasper keeps replay at or above 5x real time on one core
// (`trocar bench sim --case anatomy_head` measures it).
constexpr uint32_t kDefaultPackNodes = 1000;

struct VolumeImportOptions {
  std::optional<std::filesystem::path> labelNames;  // label map: "index name" lines
  std::vector<ThresholdSpec> thresholds;            // else intensity ranges, one structure each
  bool savedMasks = false;                          // or the masks an InVesalius project holds
  std::vector<std::string> only;                    // structure names to keep (empty: all)
  // Tet mesh nodes for the whole pack, at most, shared equally by its structures: the
  // simulation's cost grows with the nodes in the scene, not per structure (see
  // kDefaultPackNodes).
  uint32_t nodeBudget = kDefaultPackNodes;
  std::map<std::string, uint32_t> budgets;      // a structure's own (by name or id), instead of its share
  size_t triangleBudget = 20000;                // render surface triangles per structure, at most
  int smoothIterations = 15;                    // Taubin passes
  bool largestComponent = true;                 // keep only the largest 6-connected piece
  std::optional<std::array<uint32_t, 3>> seed;  // or the piece holding this voxel (i, j, k)
  bool fillHoles = true;
  glm::vec3 placeAt{0.0f, 1.0f, -0.45f};  // where the fragment puts the pack's centre
  bool onTable = true;                    // instead of placeAt.y: the lowest node 5 mm above the table
  float tableHeight = 0.9f;               // m, the scenario default
};

struct Structure {
  std::string name;  // as given (label name or threshold name)
  std::string id;    // a scenario id made from it: lower case, [a-z0-9-]
  size_t voxels = 0;
  double volumeMl = 0.0;
  glm::vec3 boundsMin{0.0f}, boundsMax{0.0f};  // stage frame, m, before re-centring
  SurfaceMesh surface;
  MeshCheck check;
  TetVolume tets;
  Embedding embedding;
};

struct AnatomyPack {
  Volume source;  // geometry and format only: values are dropped once structures are made
  uint64_t pixelHash = 0;
  glm::vec3 recentre{0.0f};  // added to every position written: the pack's centre goes to 0
  std::vector<Structure> structures;
  VolumeImportOptions options;
};

// Progress: a line of text for each stage ("precentral-l: surface 12345 triangles").
using ImportProgress = std::function<void(const std::string&)>;

// Reads the volume, segments it, builds each structure. Errors: unreadable volume, an
// empty label or range ("label 7 'Caudate_L' has no voxels"), a structure whose surface is
// not closed and manifold after clean-up.
Result<AnatomyPack> importVolume(const std::filesystem::path& input, const VolumeImportOptions& options,
                                 const ImportProgress& progress = {});

// One structure from its mask (largest piece or the seed's, holes filled): surface, tet mesh
// within `options.nodeBudget` (or its entry in `budgets`), the surface embedded.
Result<Structure> importStructure(const Volume& v, const std::string& name, Mask mask,
                                  const VolumeImportOptions& options, const ImportProgress& progress = {});

// A scenario's `volume:` tissue: one label of a volume (a file, or a file inside a tar),
// imported as importStructure does, in the volume's own stage frame (voxel (0, 0, 0) at its
// file's origin). Through a cache in `cacheDir` keyed by the source's bytes, the options and
// this build (so no other importer's result is ever served): the first load of a large
// volume takes seconds, later ones milliseconds. An unusable cache only costs time.
struct LabelSource {
  std::filesystem::path file;
  std::string member;  // inside `file`, a tar; empty when `file` is the volume
  int label = 0;
  uint32_t nodes = 300;
  size_t triangles = 12000;
  int smooth = 15;  // Taubin passes: more for a small structure on thick slices (its steps show)
};
Result<Structure> importLabelCached(const LabelSource& source, const std::filesystem::path& cacheDir,
                                    bool* cacheHit = nullptr);

// Writes the pack's files into `dir` (created): <id>.obj, <id>.node, <id>.ele, <id>.embed,
// anatomy.yaml (the tissues fragment) and provenance.json.
Result<void> writeAnatomyPack(const AnatomyPack& pack, const std::filesystem::path& dir);

// Where the pack's centre goes in the stage frame (each structure's tetmesh position).
glm::vec3 packPosition(const AnatomyPack& pack);
// The pack's structures as entries of a scenario's `tissues:` (tet mesh, surface and
// embedding under `pathPrefix`, material, fixed by the lower third): anatomy.yaml holds them
// with "anatomy/".
std::string packTissues(const AnatomyPack& pack, const std::string& pathPrefix);

// "Precentral_L" -> "precentral-l".
std::string structureId(const std::string& name);

}  // namespace trocar::assets
