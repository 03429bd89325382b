// `trocar import mesh FILE`: import one mesh the way a scenario would and say what came out,
// so an instructor can check a file before using it.

#include "Commands.h"

#include <trocar/assets/Mesh.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace trocar::cli {

Runner addImportCommand(CLI::App& app) {
  auto* import = app.add_subcommand("import", "Check and convert assets");
  import->require_subcommand(1);
  auto* mesh =
      import->add_subcommand("mesh", "Import one mesh (OBJ, STL, PLY, glTF, FBX, DAE, ...) and report it");
  struct Options {
    std::string file;
    std::string units = "auto";
    std::string upAxis = "auto";
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  mesh->add_option("FILE", options->file, "Mesh file")->required();
  mesh->add_option("--units", options->units, "Units of the file: mm, cm, m or auto")
      ->check(CLI::IsMember({"mm", "cm", "m", "auto"}));
  mesh->add_option("--up-axis", options->upAxis, "The file's up axis: x, y, z or auto")
      ->check(CLI::IsMember({"x", "y", "z", "auto"}));
  mesh->add_flag("--json", options->json, "Print one JSON object");
  return [options]() -> int {
    assets::MeshImportOptions opts;  // both strings were checked by CLI11 against the same names
    opts.units = assets::unitsFromString(options->units).value_or(assets::Units::kAuto);
    opts.upAxis = assets::upAxisFromString(options->upAxis).value_or(assets::UpAxis::kAuto);
    auto result = assets::importMesh(options->file, opts);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.error().toString().c_str());
      return 2;
    }
    const assets::ImportedMesh& m = result.value();
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : m.groups) groups.push_back(g.name);
    nlohmann::json out{{"vertices", m.positions.size()},
                       {"triangles", m.triangles.size()},
                       {"bounds_min", {m.boundsMin.x, m.boundsMin.y, m.boundsMin.z}},
                       {"bounds_max", {m.boundsMax.x, m.boundsMax.y, m.boundsMax.z}},
                       {"closed", m.closed()},
                       {"groups", groups},
                       {"open_edges", m.openEdges},
                       {"non_manifold_edges", m.nonManifoldEdges},
                       {"units", assets::toString(m.units)},
                       {"up_axis", assets::toString(m.upAxis)}};
    if (options->json) {
      std::cout << out.dump(2) << std::endl;
      return 0;
    }
    Vec3 size = m.boundsMax - m.boundsMin;
    std::printf("%s\n  %zu vertices, %zu triangles\n  size %.4f x %.4f x %.4f m (read as %s, %s up)\n",
                options->file.c_str(), m.positions.size(), m.triangles.size(), static_cast<double>(size.x),
                static_cast<double>(size.y), static_cast<double>(size.z), assets::toString(m.units),
                assets::toString(m.upAxis));
    std::printf("  surface: %s", m.closed() ? "closed 2-manifold" : "NOT closed");
    if (!m.closed())
      std::printf(" (%u open edge(s), %u non-manifold edge(s))", m.openEdges, m.nonManifoldEdges);
    std::printf("\n  groups:");
    for (const auto& g : m.groups) std::printf(" %s (%zu)", g.name.c_str(), g.triangles.size());
    std::printf("\n");
    return 0;
  };
}

}  // namespace trocar::cli
