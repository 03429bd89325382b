// `trocar import mesh FILE`: import one mesh the way a scenario would and say what came out,
// so an instructor can check a file before using it.
// `trocar import volume INPUT --labels F | --threshold NAME=LO:HI ... --out DIR`: a CT/MRI
// volume to an anatomy pack (engine/assets/include/trocar/assets/AnatomyPack.h).

#include "Commands.h"
#include "Snapshots.h"

#include <trocar/assets/AnatomyPack.h>
#include <trocar/assets/Mesh.h>
#include <trocar/core/File.h>
#include <trocar/instruments/Instrument.h>
#include <trocar/scenario/Scenario.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace trocar::cli {

namespace {

// The pack's picture (preview.png): its structures at rest, seen from above and towards the
// feet through a laparoscope-like camera, rendered offscreen as a scenario would draw them.
Result<void> writePreview(const assets::AnatomyPack& pack, const std::filesystem::path& out) {
  float extent = 0.01f;
  for (const auto& s : pack.structures) {
    const glm::vec3 size = s.boundsMax - s.boundsMin;
    extent = std::max({extent, size.x, size.y, size.z});
  }
  const glm::vec3 at = assets::packPosition(pack);
  const glm::vec3 eye = at + glm::vec3(0.0f, 1.4f * extent, 0.9f * extent);
  char camera[200];
  std::snprintf(camera, sizeof(camera),
                "camera: {position: [%.4f, %.4f, %.4f], look_at: [%.4f, %.4f, %.4f], fov_deg: 60}\n",
                static_cast<double>(eye.x), static_cast<double>(eye.y), static_cast<double>(eye.z),
                static_cast<double>(at.x), static_cast<double>(at.y), static_cast<double>(at.z));
  std::string text = "trocar: 1\nid: anatomy-preview\ntitle: Anatomy preview\nview: laparoscopic\n" +
                     std::string(camera) + "tissues:\n" + assets::packTissues(pack, "");
  text += "scoring: {formula: checklist, pass_score: 0}\n";
  auto loaded = scenario::loadScenarioText(text, out / "preview.yaml");
  if (!loaded.ok()) return loaded.errors.front();
  auto session = scenario::buildSession(*loaded.scenario);
  if (!session.ok()) return session.error();
  app::SnapshotSettings ss;
  ss.dir = out;
  ss.prefix = "preview";
  auto writer = app::SnapshotWriter::create(*loaded.scenario, ss);
  if (!writer.ok()) return writer.error();
  TROCAR_TRY(writer.value()->write(session.value()->world(), Pose{}, 0));
  std::error_code ec;
  std::vector<std::filesystem::path> written;
  for (std::filesystem::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec))
    written.push_back(it->path());
  for (const auto& f : written) {
    const std::string name = f.filename().string();
    if (name.rfind("preview-", 0) == 0 && f.extension() == ".png") {
      std::filesystem::rename(f, out / "preview.png", ec);
    }
  }
  if (ec) return makeError(ErrorCode::kIo, "cannot name the preview: " + ec.message(), "check the folder");
  return success();
}

// A scenario to try the pack in at once (`--scenario`): the structures on the table, a
// grasper and a scalpel, a step to touch each structure no other one encloses (an inner one,
// such as a skull under the skin, is reached only by cutting), an error for damaging any,
// and bots/examine.yaml, a bot that touches each of those from above. No name from the input
// file goes in: only the structures' own names.
Result<void> writeStarterScenario(const assets::AnatomyPack& pack, const std::filesystem::path& out) {
  const glm::vec3 at = assets::packPosition(pack);
  // The trainee looks at the anatomy's front: the patient lies supine (anterior up, feet
  // towards +Z), so from above and beyond the top of the head, 45 cm up and 25 cm back; not
  // at the scan's cut end.
  char viewer[160];
  std::snprintf(viewer, sizeof viewer, "head: {position: [%.4f, %.4f, %.4f]}\n", static_cast<double>(at.x),
                static_cast<double>(at.y + 0.45f), static_cast<double>(at.z - 0.25f));
  auto quoted = [](const std::string& text) {
    std::string q = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  std::string yaml =
      "# A starter scenario for an imported anatomy pack (trocar import volume --scenario):\n"
      "# touch each outer structure without damaging any. Edit it into a procedure\n"
      "# (scenarios/FORMAT.md); bots/examine.yaml plays it headless.\n"
      "trocar: 1\nid: imported-anatomy\ntitle: Examine the imported anatomy\nview: open\n" +
      std::string(viewer) + "instruments: {left: grasper, right: scalpel}\ntissues:\n" +
      assets::packTissues(pack, "") + "checklist:\n";
  std::string errors = "errors:\n";
  std::string keys =
      "# Touches the top of each outer structure's drawn surface with the grasper, pointing "
      "down.\nkeyframes:\n";
  const float shaft = instruments::defaultSpec(instruments::InstrumentKind::kGrasper).shaftLength;
  double t = 0.0;
  char line[300];
  auto key = [&](double time, glm::vec3 tip) {
    // The hand holds the handle a shaft's length above the tip (rotated -90 degrees about X).
    std::snprintf(
        line, sizeof(line),
        "  - {t: %.2f, left: {position: [%.4f, %.4f, %.4f], rotation_deg: [-90, 0, 0], trigger: 0}}\n", time,
        static_cast<double>(tip.x), static_cast<double>(tip.y + shaft), static_cast<double>(tip.z));
    keys += line;
  };
  size_t steps = 0;
  for (const auto& s : pack.structures) {
    errors += "  - {id: damage-" + s.id + ", title: " + quoted("Damaged " + s.name) + ", when: \"damage(" +
              s.id + ")\", penalty: 5}\n";
    bool enclosed = false;
    for (const auto& o : pack.structures) {
      // Within 3 mm: where the scan cuts both off, their edges meet within a voxel or two.
      const glm::vec3 slack(0.003f);
      enclosed = enclosed || (&o != &s && glm::all(glm::lessThanEqual(o.boundsMin - slack, s.boundsMin)) &&
                              glm::all(glm::greaterThanEqual(o.boundsMax + slack, s.boundsMax)));
    }
    if (enclosed) continue;
    yaml += "  - {id: touch-" + s.id + ", title: " + quoted("Touch " + s.name) +
            ", done_when: \"any(contact(left, " + s.id + "), contact(right, " + s.id + "))\"}\n";
    ++steps;
    // The highest point of the drawn surface that faces up (what a person would touch coming
    // down; the tools meet tissue on its drawn surface, not at its nodes).
    glm::vec3 top(0.0f, -1e30f, 0.0f);
    for (size_t v = 0; v < s.surface.positions.size(); ++v) {
      const glm::vec3& p = s.surface.positions[v];
      if (v < s.surface.normals.size() && s.surface.normals[v].y > 0.7f && p.y > top.y) top = p;
    }
    if (top.y < -1e29f) {
      for (const auto& p : s.surface.positions) top = p.y > top.y ? p : top;
    }
    top += pack.recentre + at;
    key(t, top + glm::vec3(0.0f, 0.04f, 0.0f));
    key(t + 1.0, top + glm::vec3(0.0f, -0.005f, 0.0f));  // it sags a few mm under its weight
    key(t + 1.5, top + glm::vec3(0.0f, 0.04f, 0.0f));
    t += 2.0;
  }
  if (steps == 0) {
    return makeError(ErrorCode::kInvalidInput, "every structure lies inside another: nothing to touch",
                     "import the outer structures too, or write the scenario by hand");
  }
  yaml += errors + "scoring: {formula: checklist, pass_score: 50}\n";
  TROCAR_TRY(writeFileAtomic(out / "scenario.yaml", yaml));
  std::error_code ec;
  std::filesystem::create_directories(out / "bots", ec);
  if (ec)
    return makeError(ErrorCode::kIo, (out / "bots").string() + ": cannot create (" + ec.message() + ")",
                     "check permissions");
  return writeFileAtomic(out / "bots" / "examine.yaml", keys);
}

Runner addImportVolume(CLI::App& import) {
  auto* volume = import.add_subcommand(
      "volume", "A CT/MRI volume (NIfTI, NRRD, MetaImage) and its segmentation to an anatomy pack");
  struct Options {
    std::string input, labels, out;
    std::vector<std::string> thresholds, structures;
    std::vector<std::string> budgets;
    size_t triangles = 20000;
    bool allComponents = false;
    bool masks = false;
    bool scenario = false;
    std::vector<uint32_t> seed;
  };
  auto o = std::make_shared<Options>();
  volume->add_option("INPUT", o->input, "Volume file")->required();
  volume->add_option("--labels", o->labels, "Label names for a label map: 'index name' lines")
      ->check(CLI::ExistingFile);
  volume->add_option("--threshold", o->thresholds,
                     "A structure by intensity: NAME=LO:HI (e.g. skull=300:3000)");
  volume->add_option("--structures", o->structures, "Only these structures (names or ids)")->delimiter(',');
  volume->add_option("--budget", o->budgets,
                     "Tet mesh nodes, at most: N for the whole pack (shared equally; default " +
                         std::to_string(assets::kDefaultPackNodes) +
                         "), or NAME=N for one structure (repeat)");
  volume->add_option("--triangles", o->triangles, "Render surface triangles per structure, at most")
      ->check(CLI::Range(size_t{100}, size_t{2000000}));
  volume->add_flag("--all-components", o->allComponents, "Keep every piece, not only the largest");
  volume->add_flag("--masks", o->masks, "An InVesalius project's saved masks (mask-1, mask-2, ...)");
  volume->add_option("--seed", o->seed, "Keep the piece holding this voxel: I,J,K (from 0)")
      ->delimiter(',')
      ->expected(3);
  volume->add_option("--out", o->out, "Folder for the pack")->required();
  volume->add_flag("--scenario", o->scenario,
                   "Also write a starter scenario.yaml and bots/examine.yaml in the folder (trocar run "
                   "DIR/scenario.yaml)");
  return [o]() -> int {
    assets::VolumeImportOptions opts;
    if (!o->labels.empty()) opts.labelNames = o->labels;
    for (const auto& t : o->thresholds) {
      // NAME=LO:HI
      const size_t eq = t.find('='), colon = t.find(':', eq == std::string::npos ? 0 : eq);
      assets::ThresholdSpec spec;
      char* end = nullptr;
      bool ok = eq != std::string::npos && eq > 0 && colon != std::string::npos;
      if (ok) {
        spec.name = t.substr(0, eq);
        const std::string lo = t.substr(eq + 1, colon - eq - 1), hi = t.substr(colon + 1);
        spec.lo = std::strtof(lo.c_str(), &end);
        ok = !lo.empty() && *end == '\0';
        spec.hi = std::strtof(hi.c_str(), &end);
        ok = ok && !hi.empty() && *end == '\0' && spec.lo <= spec.hi;
      }
      if (!ok) {
        std::fprintf(stderr,
                     "error: --threshold '%s' is not NAME=LO:HI with LO <= HI (hint: skull=300:3000)\n",
                     t.c_str());
        return 2;
      }
      opts.thresholds.push_back(spec);
    }
    opts.only = o->structures;
    opts.savedMasks = o->masks;
    if (o->seed.size() == 3) opts.seed = std::array<uint32_t, 3>{o->seed[0], o->seed[1], o->seed[2]};
    for (const auto& b : o->budgets) {
      // N, or NAME=N
      const size_t eq = b.find('=');
      const std::string number = eq == std::string::npos ? b : b.substr(eq + 1);
      char* end = nullptr;
      const unsigned long n = std::strtoul(number.c_str(), &end, 10);
      if (number.empty() || *end != '\0' || n < 8 || n > 100000 || eq == 0) {
        std::fprintf(stderr,
                     "error: --budget '%s' is not N or NAME=N with N from 8 to 100000 (hint: skull=800)\n",
                     b.c_str());
        return 2;
      }
      if (eq == std::string::npos) {
        opts.nodeBudget = static_cast<uint32_t>(n);
      } else {
        opts.budgets[b.substr(0, eq)] = static_cast<uint32_t>(n);
      }
    }
    opts.triangleBudget = o->triangles;
    opts.largestComponent = !o->allComponents;
    auto pack = assets::importVolume(
        o->input, opts, [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); });
    if (!pack.ok()) {
      std::fprintf(stderr, "%s\n", pack.error().toString().c_str());
      return 2;
    }
    auto written = assets::writeAnatomyPack(pack.value(), o->out);
    if (!written.ok()) {
      std::fprintf(stderr, "%s\n", written.error().toString().c_str());
      return 4;
    }
    std::printf("%-24s %10s %10s %10s %8s %8s\n", "structure", "voxels", "volume ml", "triangles", "nodes",
                "tets");
    for (const auto& s : pack.value().structures) {
      std::printf("%-24s %10zu %10.2f %10zu %8zu %8zu\n", s.id.c_str(), s.voxels, s.volumeMl,
                  s.surface.triangleCount(), s.tets.nodes.size(), s.tets.tets.size());
    }
    auto preview = writePreview(pack.value(), o->out);
    if (!preview.ok()) {
      std::fprintf(stderr, "  no preview picture: %s\n", preview.error().toString().c_str());
    }
    std::printf("wrote %s (anatomy.yaml, provenance.json%s)\n", o->out.c_str(),
                preview.ok() ? ", preview.png" : "");
    if (o->scenario) {
      auto starter = writeStarterScenario(pack.value(), o->out);
      if (!starter.ok()) {
        std::fprintf(stderr, "%s\n", starter.error().toString().c_str());
        return starter.error().code == ErrorCode::kIo ? 4 : 2;
      }
      std::printf("wrote %s/scenario.yaml and bots/examine.yaml: trocar run %s/scenario.yaml\n",
                  o->out.c_str(), o->out.c_str());
    }
    return 0;
  };
}

}  // namespace

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
  auto volumeRun = addImportVolume(*import);
  return [options, mesh, volumeRun]() -> int {
    if (!mesh->parsed()) return volumeRun();
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
