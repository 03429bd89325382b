#include <trocar/assets/AnatomyPack.h>

#include <trocar/core/File.h>
#include <trocar/core/Version.h>

#include <glm/gtc/matrix_transform.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace trocar::assets {
namespace {

constexpr double kTissueDensityKgPerMl = 0.00105;  // soft tissue, 1.05 g/ml

// A number with `digits` significant digits.
std::string num(double x, int digits = 4) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, x);
  return buf;
}
std::string num(float x, int digits = 4) {
  return num(static_cast<double>(x), digits);
}

// `shares`: how many structures the pack's node budget is shared by; this is the
// `ordinal`-th of them (from 1), which progress says.
Result<Structure> makeStructure(const Volume& v, const std::string& name, Mask mask,
                                const VolumeImportOptions& o, uint32_t shares, uint32_t ordinal,
                                const ImportProgress& progress) {
  Structure s;
  s.name = name;
  s.id = structureId(name);
  auto say = [&](const std::string& line) {
    if (progress) progress(s.id + ": " + line);
  };
  say("structure " + std::to_string(ordinal) + " of " + std::to_string(shares));
  if (mask.count() == 0) {
    return makeError(ErrorCode::kInvalidInput, "structure '" + name + "' has no voxels",
                     "check the label number or the intensity range against the volume");
  }
  if (o.seed) {
    mask = componentAt(mask, *o.seed);
    if (mask.count() == 0) {
      const auto& k = *o.seed;
      return makeError(ErrorCode::kInvalidInput,
                       "structure '" + name + "' does not hold the seed voxel (" + std::to_string(k[0]) +
                           ", " + std::to_string(k[1]) + ", " + std::to_string(k[2]) + ")",
                       "give a voxel inside the structure (i, j, k from 0)");
    }
  } else if (o.largestComponent) {
    mask = largestComponent(mask);
  }
  // The rest works on the structure's own box (3 empty voxels round it), not the whole
  // volume: a small structure of a large atlas costs what its size says.
  std::array<int, 3> origin{};
  mask = cropToContent(mask, 3, origin);
  if (o.fillHoles) mask = fillHoles(mask);
  mask = fillPinches(std::move(mask));
  s.voxels = mask.count();
  s.volumeMl = static_cast<double>(s.voxels) * v.voxelVolumeMl();
  say(std::to_string(s.voxels) + " voxels, " + num(s.volumeMl) + " ml");
  const glm::dmat4 toStage =
      v.indexToStage() * glm::translate(glm::dmat4(1.0), glm::dvec3(origin[0], origin[1], origin[2]));
  s.surface = surfaceNets(mask, toStage);
  smoothTaubin(s.surface, o.smoothIterations);
  decimate(s.surface, o.triangleBudget);
  s.check = checkMesh(s.surface);
  if (s.surface.triangleCount() > o.triangleBudget) {
    say("over the triangle budget: no further collapse keeps the surface closed");
  }
  say("surface " + std::to_string(s.surface.triangleCount()) + " triangles" +
      (s.check.closedManifold() ? ", closed" : ", NOT closed"));
  if (!s.check.closedManifold()) {
    return makeError(ErrorCode::kInvalidInput,
                     "structure '" + name + "': its surface is not closed and manifold (" +
                         std::to_string(s.check.boundaryEdges) + " open and " +
                         std::to_string(s.check.nonManifoldEdges) + " non-manifold edges)",
                     "parts touching only along an edge or a corner: keep the largest component, or "
                     "fill holes, or segment more generously");
  }
  s.boundsMin = glm::vec3(1e30f);
  s.boundsMax = glm::vec3(-1e30f);
  for (const auto& p : s.surface.positions) {
    s.boundsMin = glm::min(s.boundsMin, p);
    s.boundsMax = glm::max(s.boundsMax, p);
  }
  uint32_t budget = o.nodeBudget / std::max<uint32_t>(1, shares);
  for (const auto& [key, nodes] : o.budgets) {
    if (key == name || key == s.id) budget = nodes;
  }
  const uint32_t cell = cellForBudget(mask, budget);
  s.tets = voxelTets(mask, toStage, cell);
  s.embedding = embed(s.surface, s.tets);
  say("tet mesh " + std::to_string(s.tets.nodes.size()) + " nodes, " + std::to_string(s.tets.tets.size()) +
      " tets (cells of " + std::to_string(cell) + " voxels)");
  return s;
}

std::string obj(const Structure& s, glm::vec3 shift) {
  std::ostringstream out;
  out << "# " << s.name << ": render surface, stage frame, metres (trocar import volume)\n";
  char line[160];
  for (const auto& p : s.surface.positions) {
    std::snprintf(line, sizeof(line), "v %.7g %.7g %.7g\n", static_cast<double>(p.x + shift.x),
                  static_cast<double>(p.y + shift.y), static_cast<double>(p.z + shift.z));
    out << line;
  }
  for (const auto& n : s.surface.normals) {
    std::snprintf(line, sizeof(line), "vn %.5f %.5f %.5f\n", static_cast<double>(n.x),
                  static_cast<double>(n.y), static_cast<double>(n.z));
    out << line;
  }
  for (size_t t = 0; t + 2 < s.surface.indices.size(); t += 3) {
    const uint32_t a = s.surface.indices[t] + 1, b = s.surface.indices[t + 1] + 1,
                   c = s.surface.indices[t + 2] + 1;
    std::snprintf(line, sizeof(line), "f %u//%u %u//%u %u//%u\n", a, a, b, b, c, c);
    out << line;
  }
  return out.str();
}

}  // namespace

std::string structureId(const std::string& name) {
  std::string id;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      id += static_cast<char>(std::tolower(u));
    } else if (!id.empty() && id.back() != '-') {
      id += '-';
    }
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  return id.empty() ? "structure" : id;
}

Result<Structure> importStructure(const Volume& v, const std::string& name, Mask mask,
                                  const VolumeImportOptions& options, const ImportProgress& progress) {
  return makeStructure(v, name, std::move(mask), options, 1, 1, progress);
}

Result<AnatomyPack> importVolume(const std::filesystem::path& input, const VolumeImportOptions& options,
                                 const ImportProgress& progress) {
  std::vector<SavedMask> saved;
  auto read = options.savedMasks ? readInvesalius(input, &saved) : readVolume(input);
  if (!read.ok()) return read.error();
  Volume& v = read.value();
  if (progress) {
    progress(v.format + " volume " + std::to_string(v.dims[0]) + " x " + std::to_string(v.dims[1]) + " x " +
             std::to_string(v.dims[2]) + ", voxels " + num(v.spacingMm.x, 3) + " x " + num(v.spacingMm.y, 3) +
             " x " + num(v.spacingMm.z, 3) + " mm");
  }
  if (progress && !v.identifiersNotCopied.empty()) {
    std::string names;
    for (const auto& n : v.identifiersNotCopied) names += (names.empty() ? "" : ", ") + n;
    progress("identifying attributes left behind (not copied into the pack): " + names);
  }
  AnatomyPack pack;
  pack.options = options;
  pack.pixelHash = pixelHash(v);
  auto wanted = [&](const std::string& name) {
    return options.only.empty() ||
           std::find(options.only.begin(), options.only.end(), name) != options.only.end() ||
           std::find(options.only.begin(), options.only.end(), structureId(name)) != options.only.end();
  };
  if (options.savedMasks) {
    if (saved.empty()) {
      return makeError(ErrorCode::kInvalidInput, input.string() + ": the project has no saved masks",
                       "use --threshold NAME=LO:HI on its image instead");
    }
    const uint32_t shares = static_cast<uint32_t>(std::count_if(
        saved.begin(), saved.end(), [&](const SavedMask& m) { return wanted(m.name) || wanted(m.label); }));
    for (auto& m : saved) {
      if (!wanted(m.name) && !wanted(m.label)) continue;
      if (progress) progress(m.name + " is the project's '" + m.label + "'");
      auto s = makeStructure(v, m.name, std::move(m.mask), options, shares,
                             static_cast<uint32_t>(pack.structures.size() + 1), progress);
      if (!s.ok()) return s.error();
      pack.structures.push_back(std::move(s).value());
    }
  } else if (options.labelNames || !v.labelNames.empty()) {
    // Names from the sidecar, else the ones the file carries.
    Result<std::map<int, std::string>> names = v.labelNames;
    if (options.labelNames) names = readLabelNames(*options.labelNames);
    if (!names.ok()) return names.error();
    const std::string namesFrom = options.labelNames ? options.labelNames->string() : input.string();
    for (const auto& want : options.only) {
      bool known = false;
      for (const auto& [label, name] : names.value())
        known = known || want == name || want == structureId(name);
      if (!known) {
        return makeError(ErrorCode::kInvalidInput, "no label named '" + want + "' in " + namesFrom,
                         "names are the second column of the labels file, or the file's segment names");
      }
    }
    uint32_t shares = 0;
    for (const auto& [label, name] : names.value()) shares += wanted(name) ? 1 : 0;
    for (const auto& [label, name] : names.value()) {
      if (!wanted(name)) continue;
      auto s = makeStructure(v, name, labelMask(v, label), options, shares,
                             static_cast<uint32_t>(pack.structures.size() + 1), progress);
      if (!s.ok()) {
        Error e = s.error();
        e.message = labelText(label) + ": " + e.message;
        return e;
      }
      pack.structures.push_back(std::move(s).value());
    }
  } else {
    if (options.thresholds.empty()) {
      return makeError(
          ErrorCode::kInvalidInput, "nothing to import: no labels and no thresholds",
          "give --labels NAMES.txt for a label map, or --threshold NAME=LO:HI (e.g. skull=300:3000)");
    }
    const uint32_t shares = static_cast<uint32_t>(options.thresholds.size());
    for (const auto& t : options.thresholds) {
      auto s = makeStructure(v, t.name, threshold(v, t.lo, t.hi), options, shares,
                             static_cast<uint32_t>(pack.structures.size() + 1), progress);
      if (!s.ok()) return s.error();
      pack.structures.push_back(std::move(s).value());
    }
  }
  if (pack.structures.empty()) {
    return makeError(ErrorCode::kInvalidInput, "no structure was selected",
                     "check --structures against the names");
  }
  glm::vec3 lo(1e30f), hi(-1e30f);
  size_t nodes = 0;
  for (const auto& s : pack.structures) {
    lo = glm::min(lo, s.boundsMin);
    hi = glm::max(hi, s.boundsMax);
    nodes += s.tets.nodes.size();
  }
  // A structure has at least one cell (8 nodes), and named budgets are each structure's own:
  // the pack can end over its budget, and then it simulates slower than the budget meant.
  if (progress && options.budgets.empty() && nodes > options.nodeBudget) {
    progress("the pack has " + std::to_string(nodes) + " tet nodes, over its budget of " +
             std::to_string(options.nodeBudget) +
             " (one cell per structure at least): import fewer structures");
  }
  pack.recentre = -(lo + hi) * 0.5f;
  v.values.clear();
  v.values.shrink_to_fit();
  pack.source = std::move(v);
  return pack;
}

glm::vec3 packPosition(const AnatomyPack& pack) {
  glm::vec3 at = pack.options.placeAt;
  if (pack.options.onTable) {
    float lowest = 1e30f;
    for (const auto& s : pack.structures) {
      for (const auto& p : s.tets.nodes) lowest = std::min(lowest, p.y + pack.recentre.y);
    }
    at.y = pack.options.tableHeight + 0.005f - lowest;  // its lowest node 5 mm above the table
  }
  return at;
}

namespace {

// A colour for a structure, so a pack's structures tell apart: by what its name says it is
// (bone, skin, vessel, ...), else the next of a palette of tissue-like colours (sRGB).
glm::vec3 structureColor(const std::string& name, size_t index) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&](std::initializer_list<const char*> words) {
    for (const char* w : words) {
      if (n.find(w) != std::string::npos) return true;
    }
    return false;
  };
  if (has({"bone", "skull", "crani", "vertebra", "rib", "femur", "pelvis", "osso"}))
    return {0.89f, 0.85f, 0.74f};
  if (has({"skin", "scalp", "pele"})) return {0.86f, 0.62f, 0.52f};
  if (has({"vein", "portal", "cava"})) return {0.25f, 0.35f, 0.62f};
  if (has({"arter", "aorta", "vessel"})) return {0.72f, 0.12f, 0.12f};
  if (has({"tumo", "lesion", "cyst"})) return {0.55f, 0.5f, 0.25f};
  if (has({"liver", "hepat"})) return {0.45f, 0.12f, 0.1f};
  static const glm::vec3 kPalette[] = {{0.8f, 0.45f, 0.42f},  {0.62f, 0.5f, 0.72f},  {0.85f, 0.72f, 0.45f},
                                       {0.45f, 0.62f, 0.55f}, {0.75f, 0.55f, 0.65f}, {0.5f, 0.6f, 0.8f},
                                       {0.7f, 0.68f, 0.5f},   {0.82f, 0.58f, 0.35f}};
  return kPalette[index % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

}  // namespace

std::string packTissues(const AnatomyPack& pack, const std::string& pathPrefix) {
  const glm::vec3 shift = pack.recentre;
  const glm::vec3 at = packPosition(pack);
  const Volume& v = pack.source;
  std::ostringstream yaml;
  for (const auto& s : pack.structures) {
    const std::string file = pathPrefix + s.id;
    yaml << "  - id: " << s.id << "\n"
         << "    tetmesh: {file: " << file << ".node, units: m, position: [" << num(at.x, 6) << ", "
         << num(at.y, 6) << ", " << num(at.z, 6) << "], surface: " << file << ".obj, embed: " << file
         << ".embed}\n"
         << "    material: {stretch: 0.8, volume: 0.8, damping: 0.05, mass_kg: "
         << num(s.volumeMl * kTissueDensityKgPerMl) << "}\n";
    const glm::vec3 color = structureColor(s.name, static_cast<size_t>(&s - pack.structures.data()));
    yaml << "    appearance: {color: [" << num(color.r, 3) << ", " << num(color.g, 3) << ", "
         << num(color.b, 3) << "]}\n";
    // Held by its lower third (at least its lowest layer of nodes), as if bedded in the
    // tissue around it: with nothing fixed a structure falls away from the others, and held
    // by less an elongated one (a hippocampus) folds over under its own weight.
    glm::vec3 lo(1e30f), hi(-1e30f);
    for (const auto& p : s.tets.nodes) {
      lo = glm::min(lo, p + shift + at);
      hi = glm::max(hi, p + shift + at);
    }
    const float cell = static_cast<float>(s.tets.cellVoxels) *
                       static_cast<float>(std::min({v.spacingMm.x, v.spacingMm.y, v.spacingMm.z})) * 1e-3f;
    const float slab = std::max((hi.y - lo.y) / 3.0f, cell);
    const float margin = 0.001f;
    yaml << "    fixed: {box: {center: [" << num(0.5f * (lo.x + hi.x), 6) << ", "
         << num(lo.y + 0.5f * slab - margin, 6) << ", " << num(0.5f * (lo.z + hi.z), 6) << "], size: ["
         << num(hi.x - lo.x + 2 * margin, 6) << ", " << num(slab + margin, 6) << ", "
         << num(hi.z - lo.z + 2 * margin, 6) << "]}}\n";
  }
  return yaml.str();
}

Result<void> writeAnatomyPack(const AnatomyPack& pack, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return makeError(ErrorCode::kIo, dir.string() + ": cannot create (" + ec.message() + ")",
                     "check permissions");
  const glm::vec3 shift = pack.recentre;
  const Volume& v = pack.source;
  std::ostringstream yaml;
  yaml << "# Anatomy pack (trocar import volume; provenance.json). Put this folder next to the\n"
       << "# scenario as anatomy/ and these entries under its tissues:. Positions keep the\n"
       << "# structures where they were relative to each other; the pack rests on the table (its\n"
       << "# lowest node 5 mm above a table at the scenario's default height).\n"
       << "# Each structure is held by its lower third (fixed:); change that to suit the scene.\n"
       << "tissues:\n"
       << packTissues(pack, "anatomy/");
  nlohmann::json structures = nlohmann::json::array();
  for (const auto& s : pack.structures) {
    TROCAR_TRY(writeFileAtomic(dir / (s.id + ".obj"), obj(s, shift)));
    std::ostringstream node, ele, emb;
    node << s.tets.nodes.size() << " 3 0 0\n";
    char line[160];
    for (size_t i = 0; i < s.tets.nodes.size(); ++i) {
      const glm::vec3 p = s.tets.nodes[i] + shift;
      std::snprintf(line, sizeof(line), "%zu %.7g %.7g %.7g\n", i, static_cast<double>(p.x),
                    static_cast<double>(p.y), static_cast<double>(p.z));
      node << line;
    }
    ele << s.tets.tets.size() << " 4 0\n";
    for (size_t t = 0; t < s.tets.tets.size(); ++t) {
      const auto& q = s.tets.tets[t];
      ele << t << ' ' << q[0] << ' ' << q[1] << ' ' << q[2] << ' ' << q[3] << '\n';
    }
    emb << "# " << s.id << ".obj vertex -> " << s.id << ".ele tet (0-based) and 4 barycentric weights\n"
        << s.embedding.tet.size() << '\n';
    for (size_t i = 0; i < s.embedding.tet.size(); ++i) {
      const glm::vec4 w = s.embedding.weights[i];
      std::snprintf(line, sizeof(line), "%u %.6f %.6f %.6f %.6f\n", s.embedding.tet[i],
                    static_cast<double>(w.x), static_cast<double>(w.y), static_cast<double>(w.z),
                    static_cast<double>(w.w));
      emb << line;
    }
    TROCAR_TRY(writeFileAtomic(dir / (s.id + ".node"), node.str()));
    TROCAR_TRY(writeFileAtomic(dir / (s.id + ".ele"), ele.str()));
    TROCAR_TRY(writeFileAtomic(dir / (s.id + ".embed"), emb.str()));
    structures.push_back({{"name", s.name},
                          {"id", s.id},
                          {"voxels", s.voxels},
                          {"volume_ml", s.volumeMl},
                          {"triangles", s.surface.triangleCount()},
                          {"surface_volume_ml", s.check.volumeM3 * 1e6},
                          {"tet_nodes", s.tets.nodes.size()},
                          {"tets", s.tets.tets.size()},
                          {"tet_cell_voxels", s.tets.cellVoxels},
                          {"embedding_max_outside", s.embedding.maxOutside}});
  }
  TROCAR_TRY(writeFileAtomic(dir / "anatomy.yaml", yaml.str()));
  char hash[20];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(pack.pixelHash));
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{today};
  char date[16];
  std::snprintf(date, sizeof(date), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  nlohmann::json matrix = nlohmann::json::array();
  for (int r = 0; r < 4; ++r) {
    matrix.push_back({v.indexToLps[0][r], v.indexToLps[1][r], v.indexToLps[2][r], v.indexToLps[3][r]});
  }
  nlohmann::json thresholds = nlohmann::json::array();
  for (const auto& t : pack.options.thresholds)
    thresholds.push_back({{"name", t.name}, {"lo", t.lo}, {"hi", t.hi}});
  nlohmann::json provenance{
      {"schema", "trocar.anatomy-provenance/1"},
      {"source",
       {{"format", v.format},
        {"modality", v.modality},
        {"component_type", v.componentType},
        {"dimensions", {v.dims[0], v.dims[1], v.dims[2]}},
        {"voxel_size_mm", {v.spacingMm.x, v.spacingMm.y, v.spacingMm.z}},
        {"index_to_lps_mm", matrix},
        {"pixel_data_xxh3", hash},
        // Names only: their values are nowhere in the pack.
        {"identifying_attributes_not_copied", v.identifiersNotCopied}}},
      {"frame",
       "stage metres: x = patient left, y = anterior, z = inferior (LPS mm x 0.001, y and z negated), then "
       "shifted by recentre_m"},
      {"recentre_m", {shift.x, shift.y, shift.z}},
      {"options",
       {{"labels", pack.options.labelNames.has_value()},
        {"thresholds", thresholds},
        {"structures", pack.options.only},
        {"pack_node_budget", pack.options.nodeBudget},
        {"node_budgets", pack.options.budgets},
        {"triangle_budget", pack.options.triangleBudget},
        {"smooth_iterations", pack.options.smoothIterations},
        {"largest_component", pack.options.largestComponent},
        {"seeded", pack.options.seed.has_value()},
        {"fill_holes", pack.options.fillHoles}}},
      {"imported", date},
      {"trocar", versionString()},
      {"structures", structures}};
  TROCAR_TRY(writeFileAtomic(dir / "provenance.json", provenance.dump(2) + "\n"));
  return success();
}

}  // namespace trocar::assets
