// Scenario YAML -> ScenarioDesc, collecting every error with file:line:column.

#include <trocar/core/File.h>
#include <trocar/physics/Generators.h>
#include <trocar/scenario/Scenario.h>

#include "TetMeshFiles.h"
#include "YamlContext.h"

#include <trocar/assets/AnatomyPack.h>
#include <trocar/assets/MeshCache.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace trocar::scenario {
namespace {

using physics::NodeSelector;
namespace fs = std::filesystem;

using detail::Ctx;
using detail::didYouMean;
using detail::join;

// An error reading a file the scenario refers to (`at`: where the scenario names it). One that
// could not be opened is placed there, naming the file; one inside the file keeps its own
// file:line:column and says where the scenario refers to it. Its hint is said once.
void referencedFileError(Ctx& ctx, const YAML::Node& at, const fs::path& file, const Error& e) {
  if (e.where.line == 0 && !e.where.byteOffset) {
    ctx.error(ctx.at(at),
              "cannot read '" + (e.where.file.empty() ? file.string() : e.where.file) + "': " + e.message,
              e.hint.empty() || e.hint == "check the path"
                  ? "the path is relative to the scenario's folder; check it and that the file exists"
                  : e.hint);
    return;
  }
  ctx.error(e.where, e.message + " (in the file " + ctx.at(at).toString() + " refers to)", e.hint);
}

bool isId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '_')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(s[0]));
}

std::optional<std::string> readId(Ctx& ctx, const YAML::Node& item, const std::string& what,
                                  std::set<std::string>& seen) {
  const YAML::Node n = item["id"];
  if (!n) {
    ctx.error(item, what + " has no id", "add 'id: some-name' (lower case, digits and '-')");
    return std::nullopt;
  }
  auto id = ctx.text(n, what + " id");
  if (!id) return std::nullopt;
  if (!isId(*id)) {
    ctx.error(n, what + " id '" + *id + "' is not a valid id", "use lower case letters, digits, '-' and '_'");
    return std::nullopt;
  }
  if (!seen.insert(*id).second) {
    ctx.error(n, "duplicate id '" + *id + "'", "give every " + what + " its own id");
    return std::nullopt;
  }
  return id;
}

Quat rotationFromDegrees(const Vec3& deg) {
  Vec3 r = glm::radians(deg);
  return glm::angleAxis(r.y, Vec3(0, 1, 0)) * glm::angleAxis(r.x, Vec3(1, 0, 0)) *
         glm::angleAxis(r.z, Vec3(0, 0, 1));
}

// ---- Parsing pieces -------------------------------------------------------------------

// `feedback: {haptics: {contact: {...}, soft_hz, rigid_hz, grasp|cut|clip|warning: {...}},
//             sounds: {enabled}, visuals: {ghost_hand, stress_tint}}`
void parseFeedback(Ctx& ctx, const YAML::Node& f, feedback::FeedbackSettings& out) {
  auto number = [&](const YAML::Node& parent, const char* key, float& value, double lo, double hi,
                    const char* hint, const std::string& where) {
    if (const YAML::Node v = parent[key]) {
      if (auto x = ctx.number(v, where + "." + key, lo, hi, hint)) value = static_cast<float>(*x);
    }
  };
  if (const YAML::Node h = f["haptics"]; h && ctx.isMap(h, "feedback.haptics")) {
    ctx.checkKeys(h,
                  {"contact", "soft_hz", "rigid_hz", "grasp", "cut", "clip", "warning", "warning_period_s"},
                  "feedback.haptics");
    if (const YAML::Node c = h["contact"]; c && ctx.isMap(c, "feedback.haptics.contact")) {
      ctx.checkKeys(c, {"touch", "threshold_n", "max_force_n", "gamma", "gain"}, "feedback.haptics.contact");
      number(c, "touch", out.contact.touch, 0.0, 1.0, "amplitude of any contact, 0..1",
             "feedback.haptics.contact");
      const std::string w = "feedback.haptics.contact";
      number(c, "threshold_n", out.contact.thresholdN, 0.0, 100.0, "newtons below which nothing is felt", w);
      number(c, "max_force_n", out.contact.saturationN, 0.01, 1000.0, "newtons at which vibration is full",
             w);
      number(c, "gamma", out.contact.gamma, 0.1, 5.0, "curve shape; below 1 makes light touches stronger", w);
      number(c, "gain", out.contact.gain, 0.0, 1.0, "amplitude at full force, 0..1", w);
      if (out.contact.saturationN <= out.contact.thresholdN) {
        ctx.error(c, "feedback.haptics.contact.max_force_n must exceed threshold_n",
                  "e.g. threshold_n: 0.2, max_force_n: 4");
      }
    }
    number(h, "soft_hz", out.softFrequencyHz, 0.0, 1000.0, "vibration frequency on tissue, Hz",
           "feedback.haptics");
    number(h, "rigid_hz", out.rigidFrequencyHz, 0.0, 1000.0, "vibration frequency on rigid objects, Hz",
           "feedback.haptics");
    number(h, "warning_period_s", out.warningPeriodS, 0.05, 5.0, "seconds between warning pulses",
           "feedback.haptics");
    const std::pair<const char*, feedback::PulseSpec*> pulses[] = {
        {"grasp", &out.grasp}, {"cut", &out.cut}, {"clip", &out.clip}, {"warning", &out.warning}};
    for (const auto& [key, spec] : pulses) {
      const YAML::Node p = h[key];
      if (!p || !ctx.isMap(p, std::string("feedback.haptics.") + key)) continue;
      const std::string w = std::string("feedback.haptics.") + key;
      ctx.checkKeys(p, {"amplitude", "hz", "duration_s"}, w);
      number(p, "amplitude", spec->amplitude, 0.0, 1.0, "0..1", w);
      number(p, "hz", spec->frequencyHz, 0.0, 1000.0, "Hz; 0 lets the device choose", w);
      number(p, "duration_s", spec->durationS, 0.001, 2.0, "seconds", w);
    }
  }
  if (const YAML::Node v = f["visuals"]; v && ctx.isMap(v, "feedback.visuals")) {
    ctx.checkKeys(v, {"ghost_hand", "stress_tint"}, "feedback.visuals");
    if (const YAML::Node g = v["ghost_hand"])
      out.ghostHand = ctx.boolean(g, "feedback.visuals.ghost_hand").value_or(true);
    if (const YAML::Node t = v["stress_tint"])
      out.stressTint = ctx.boolean(t, "feedback.visuals.stress_tint").value_or(true);
  }
  if (const YAML::Node s = f["sounds"]; s && ctx.isMap(s, "feedback.sounds")) {
    ctx.checkKeys(s, {"enabled"}, "feedback.sounds");
  }
}

void parseMaterial(Ctx& ctx, const YAML::Node& n, physics::Material& m) {
  if (!ctx.isMap(n, "material")) return;
  ctx.checkKeys(
      n, {"stretch", "bend", "volume", "damping", "mass_kg", "friction", "damage_force_n", "tear_force_n"},
      "material");
  auto set = [&](const char* key, float& out, double min, double max, const char* hint) {
    if (const YAML::Node v = n[key]) {
      if (auto x = ctx.number(v, std::string("material.") + key, min, max, hint))
        out = static_cast<float>(*x);
    }
  };
  set("stretch", m.stretch, 0.0, 1.0, "a fraction: 0 offers no resistance, 1 is as stiff as the solver can");
  set("bend", m.bend, 0.0, 1.0, "a fraction in [0, 1]");
  set("volume", m.volume, 0.0, 1.0, "a fraction in [0, 1]");
  set("damping", m.damping, 0.0, 0.99, "a fraction of velocity removed per tick, in [0, 0.99]");
  set("mass_kg", m.massKg, 1e-6, 100.0, "the tissue's total mass in kilograms, e.g. 0.004 for gauze");
  set("friction", m.friction, 0.0, 1.0, "a coefficient in [0, 1]");
  set("damage_force_n", m.damageForceN, 0.01, 1000.0, "newtons");
  set("tear_force_n", m.tearForceN, 0.01, 1000.0, "newtons");
}

std::optional<NodeSelector> parseSelector(Ctx& ctx, const YAML::Node& n, const std::string& what,
                                          bool allowCloth) {
  if (n.IsScalar()) {
    if (n.Scalar() == "corners" && allowCloth) return NodeSelector::corners();
    if (n.Scalar() == "border" && allowCloth) return NodeSelector::border();
    ctx.error(n, what + ": '" + n.Scalar() + "' is not a node selection",
              allowCloth ? "use corners, border, or {box: ...}, {sphere: ...}, {nodes: [...]}"
                         : "use {box: ...}, {sphere: ...} or {nodes: [...]}");
    return std::nullopt;
  }
  if (!ctx.isMap(n, what)) return std::nullopt;
  if (const YAML::Node s = n["sphere"]) {
    if (!ctx.isMap(s, what + ".sphere")) return std::nullopt;
    ctx.checkKeys(s, {"center", "radius"}, what + ".sphere");
    auto c = ctx.vec<3>(s["center"], what + ".sphere.center");
    auto r = ctx.number(s["radius"], what + ".sphere.radius", 1e-5, 10.0, "metres");
    if (c && r) return NodeSelector::sphere(*c, static_cast<float>(*r));
    return std::nullopt;
  }
  if (const YAML::Node b = n["box"]) {
    if (!ctx.isMap(b, what + ".box")) return std::nullopt;
    ctx.checkKeys(b, {"center", "size"}, what + ".box");
    auto c = ctx.vec<3>(b["center"], what + ".box.center");
    auto s = ctx.vec<3>(b["size"], what + ".box.size");
    if (c && s) return NodeSelector::box(*c, glm::abs(*s) * 0.5f);
    return std::nullopt;
  }
  if (const YAML::Node list = n["nodes"]) {
    if (!ctx.isList(list, what + ".nodes")) return std::nullopt;
    std::vector<uint32_t> indices;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto v = ctx.number(list[i], what + ".nodes[" + std::to_string(i) + "]", 0, 1e7)) {
        indices.push_back(static_cast<uint32_t>(*v));
      }
    }
    return NodeSelector::nodes(std::move(indices));
  }
  ctx.error(n, what + " needs one of: sphere, box, nodes",
            "e.g. {sphere: {center: [0, 1, 0], radius: 0.01}}");
  return std::nullopt;
}

// volume: {file, member, label, nodes, triangles, smooth, anchor, position, rotation_deg}: one label of
// a segmented volume, imported (through the cache) into a tet mesh with its detailed surface
// embedded. The volume's point `anchor` (its own stage frame) goes to `position`, the anatomy
// turned by `rotation_deg` about it: labels of one volume placed alike keep their places.
void parseVolumeSource(Ctx& ctx, const YAML::Node& vol, TissueDesc& t, std::vector<fs::path>& referenced) {
  ctx.checkKeys(
      vol, {"file", "member", "label", "nodes", "triangles", "smooth", "anchor", "position", "rotation_deg"},
      "volume");
  assets::LabelSource source;
  auto path = ctx.text(vol["file"], "volume.file");
  if (const YAML::Node m = vol["member"]) source.member = ctx.text(m, "volume.member").value_or("");
  const auto label =
      ctx.number(vol["label"], "volume.label", 1, 65535, "the label's value in the volume, e.g. 255");
  if (const YAML::Node n = vol["nodes"])
    source.nodes = static_cast<uint32_t>(
        ctx.number(n, "volume.nodes", 8, 20000, "the tet mesh's nodes at most, e.g. 300").value_or(300));
  if (const YAML::Node n = vol["triangles"])
    source.triangles = static_cast<size_t>(
        ctx.number(n, "volume.triangles", 100, 500000, "the drawn surface's triangles at most")
            .value_or(12000));
  if (const YAML::Node n = vol["smooth"])
    source.smooth = static_cast<int>(
        ctx.number(n, "volume.smooth", 0, 200, "smoothing passes over the surface, e.g. 15").value_or(15));
  Vec3 anchor(0.0f), pos(0.0f);
  Quat turn(1, 0, 0, 0);
  if (const YAML::Node a = vol["anchor"]) anchor = ctx.vec<3>(a, "volume anchor").value_or(Vec3(0.0f));
  if (const YAML::Node p = vol["position"]) pos = ctx.vec<3>(p, "volume position").value_or(Vec3(0.0f));
  if (const YAML::Node r = vol["rotation_deg"])
    turn = rotationFromDegrees(ctx.vec<3>(r, "volume rotation_deg", 360).value_or(Vec3(0.0f)));
  if (!path || !label) return;
  source.file = ctx.file().parent_path() / *path;
  source.label = static_cast<int>(*label);
  auto imported = assets::importLabelCached(source, dataDirectories().cache);
  if (!imported.ok()) {
    Error e = imported.error();
    if (e.code == ErrorCode::kNotFound && source.file.is_absolute())
      e.hint =
          "a volume outside the scenario's folder comes from a package: tools/setup.sh installs the ones "
          "Trocar's scenarios read (dpkg -S " +
          source.file.string() + " names it once installed)";
    referencedFileError(ctx, vol["file"], source.file, e);
    return;
  }
  const assets::Structure& s = imported.value();
  physics::TetMesh& mesh = t.settings.tetMesh;
  for (const auto& n : s.tets.nodes) mesh.nodes.push_back(pos + turn * (n - anchor));
  mesh.tets = s.tets.tets;
  physics::EmbeddedSurface surface;
  surface.indices = s.surface.indices;
  for (size_t v = 0; v < s.surface.positions.size(); ++v) {
    surface.nodes.push_back(s.tets.tets[s.embedding.tet[v]]);
    const auto& w = s.embedding.weights[v];
    surface.weights.push_back({w.x, w.y, w.z, w.w});
  }
  t.settings.embedded = std::move(surface);
  referenced.push_back(source.file);
}

// The names in `list` that are tissues listed above this one; an error at each other name
// ("<said> 'x', which is not a tissue listed above this one").
std::vector<std::string> earlierTissues(Ctx& ctx, const YAML::Node& list, const ScenarioDesc& out,
                                        const std::string& what, const std::string& said,
                                        const std::string& hint) {
  std::vector<std::string> names;
  for (const auto& one : list) {
    const auto name = ctx.text(one, what);
    if (!name) continue;
    const bool earlier = std::any_of(out.tissues.begin(), out.tissues.end(),
                                     [&](const TissueDesc& d) { return d.settings.name == *name; });
    if (!earlier) {
      ctx.error(one, said + " '" + *name + "', which is not a tissue listed above this one", hint);
      continue;
    }
    names.push_back(*name);
  }
  return names;
}

void parseTissue(Ctx& ctx, const YAML::Node& item, ScenarioDesc& out, std::set<std::string>& ids,
                 std::map<std::string, std::map<std::string, MarkingDesc>>& markings,
                 std::vector<fs::path>& referenced, std::set<std::string>& broken,
                 std::map<std::string, std::map<std::string, std::vector<uint32_t>>>& groups) {
  const size_t errorsBefore = ctx.errorCount();
  if (!ctx.isMap(item, "a tissue")) return;
  ctx.checkKeys(item,
                {"id", "generate", "tetmesh", "mesh", "volume", "material", "fixed", "markings", "iterations",
                 "appearance", "collides_with", "vessel", "bleed_ml_per_s"},
                "a tissue");
  auto id = readId(ctx, item, "tissue", ids);
  TissueDesc t;
  t.where = ctx.at(item);
  t.settings.name = id.value_or("?");
  const YAML::Node gen = item["generate"];
  const YAML::Node tet = item["tetmesh"];
  if (gen && tet) ctx.error(tet, "a tissue is either generated or loaded from a tet mesh, not both");
  bool geometry = false;
  if (gen && ctx.isMap(gen, "generate")) {
    ctx.checkKeys(gen, {"cloth", "box", "sphere", "tube"}, "generate");
    if (gen.size() != 1) ctx.error(gen, "generate takes exactly one shape", "cloth, box, sphere or tube");
    if (const YAML::Node c = gen["cloth"]; c && ctx.isMap(c, "generate.cloth")) {
      ctx.checkKeys(c, {"size", "cells", "position", "rotation_deg", "drape"}, "generate.cloth");
      t.settings.kind = physics::TissueKind::kCloth;
      if (auto s = ctx.vec<2>(c["size"], "cloth size")) t.settings.cloth.size = *s;
      if (const YAML::Node cells = c["cells"]) {
        if (auto v = ctx.vec<2>(cells, "cloth cells", 1e6)) {
          if (v->x < 1 || v->y < 1 || v->x > 256 || v->y > 256) {
            ctx.error(cells, "cloth cells must be between 1 and 256 per side", "e.g. [28, 28] (~840 nodes)");
          } else {
            t.settings.cloth.cellsX = static_cast<uint32_t>(v->x);
            t.settings.cloth.cellsZ = static_cast<uint32_t>(v->y);
          }
        }
      }
      if (const YAML::Node p = c["position"]) {
        if (auto v = ctx.vec<3>(p, "cloth position")) t.settings.cloth.pose.position = *v;
      }
      if (const YAML::Node r = c["rotation_deg"]) {
        if (auto v = ctx.vec<3>(r, "cloth rotation_deg", 360.0))
          t.settings.cloth.pose.orientation = rotationFromDegrees(*v);
      }
      // drape: {over: [cystic-duct, ...], gap: m, depth: m}: laid over tissues listed above.
      if (const YAML::Node d = c["drape"]; d && ctx.isMap(d, "drape")) {
        ctx.checkKeys(d, {"over", "gap", "depth"}, "drape");
        physics::ClothGeometry& cloth = t.settings.cloth;
        if (const YAML::Node over = d["over"]; !over) {
          ctx.error(d, "drape needs 'over': the tissues the sheet lies on",
                    "e.g. over: [cystic-duct, cystic-artery]");
        } else if (ctx.isList(over, "drape over")) {
          cloth.drapeOver = earlierTissues(ctx, over, out, "drape over", "drape over",
                                           "list the tissues the sheet lies on first");
          if (over.size() == 0) ctx.error(over, "drape over names no tissue", "e.g. over: [cystic-duct]");
        }
        if (const YAML::Node x0 = d["depth"])
          if (auto x = ctx.number(x0, "drape depth", 0.0005, 0.1, "metres the sheet may sink, e.g. 0.01"))
            cloth.drapeDepth = static_cast<float>(*x);
        if (const YAML::Node x0 = d["gap"])
          if (auto x = ctx.number(x0, "drape gap", 0.0, 0.01, "metres above what it lies on, e.g. 0.001"))
            cloth.drapeGap = static_cast<float>(*x);
        if (cloth.drapeGap >= cloth.drapeDepth)
          ctx.error(d, "drape gap must be less than its depth", "e.g. gap: 0.001, depth: 0.01");
      }
      geometry = true;
    } else if (const YAML::Node b = gen["box"]; b && ctx.isMap(b, "generate.box")) {
      ctx.checkKeys(b, {"size", "cells", "position"}, "generate.box");
      t.settings.kind = physics::TissueKind::kVolumetric;
      auto size = ctx.vec<3>(b["size"], "box size");
      auto cells = ctx.vec<3>(b["cells"], "box cells", 1e6);
      Vec3 pos(0.0f);
      if (const YAML::Node p = b["position"]) pos = ctx.vec<3>(p, "box position").value_or(Vec3(0.0f));
      if (size && cells) {
        if (glm::any(glm::lessThan(*cells, Vec3(1.0f))) || glm::any(glm::greaterThan(*cells, Vec3(64.0f)))) {
          ctx.error(b["cells"], "box cells must be between 1 and 64 per axis",
                    "e.g. [14, 4, 14] (~1,100 nodes)");
        } else if (glm::any(glm::lessThanEqual(*size, Vec3(0.0f)))) {
          ctx.error(b["size"], "box size must be positive", "metres, e.g. [0.08, 0.02, 0.08]");
        } else {
          t.settings.tetMesh = physics::generateTetBox(
              *size * 0.5f, static_cast<uint32_t>(cells->x), static_cast<uint32_t>(cells->y),
              static_cast<uint32_t>(cells->z), {pos, Quat(1, 0, 0, 0)});
        }
      }
      geometry = true;
    } else if (const YAML::Node tb = gen["tube"]; tb && ctx.isMap(tb, "generate.tube")) {
      ctx.checkKeys(tb, {"radius", "length", "segments", "position", "rotation_deg"}, "generate.tube");
      t.settings.kind = physics::TissueKind::kSurface;
      auto radius = ctx.number(tb["radius"], "tube radius", 1e-4, 1.0, "metres, e.g. 0.003 for a duct");
      auto length = ctx.number(tb["length"], "tube length", 1e-3, 10.0, "metres");
      Vec2 segments(12.0f, 16.0f);
      if (const YAML::Node sg = tb["segments"]) {
        segments = ctx.vec<2>(sg, "tube segments [around, along]", 1e6).value_or(segments);
        if (segments.x < 3 || segments.y < 1 || segments.x > 256 || segments.y > 1024) {
          ctx.error(sg, "tube segments must be [3..256 around, 1..1024 along]", "e.g. [12, 16]");
          segments = Vec2(12.0f, 16.0f);
        }
      }
      Pose pose;
      if (const YAML::Node p = tb["position"])
        pose.position = ctx.vec<3>(p, "tube position").value_or(Vec3(0.0f));
      if (const YAML::Node r = tb["rotation_deg"])
        pose.orientation = rotationFromDegrees(ctx.vec<3>(r, "tube rotation_deg", 360).value_or(Vec3(0.0f)));
      if (radius && length) {
        t.settings.surface =
            physics::generateTube(static_cast<float>(*radius), static_cast<float>(*length),
                                  static_cast<uint32_t>(segments.x), static_cast<uint32_t>(segments.y), pose);
      }
      geometry = true;
    } else if (const YAML::Node s = gen["sphere"]; s && ctx.isMap(s, "generate.sphere")) {
      ctx.checkKeys(s, {"radius", "radii", "subdivisions", "position"}, "generate.sphere");
      t.settings.kind = physics::TissueKind::kSurface;
      Vec3 radii(0.02f);
      if (const YAML::Node r = s["radius"])
        radii = Vec3(static_cast<float>(ctx.number(r, "sphere radius", 1e-4, 10.0).value_or(0.02)));
      if (const YAML::Node r = s["radii"]) radii = ctx.vec<3>(r, "sphere radii").value_or(radii);
      uint32_t sub = 2;
      if (const YAML::Node d = s["subdivisions"])
        sub = static_cast<uint32_t>(ctx.number(d, "sphere subdivisions", 0, 5).value_or(2));
      Vec3 pos(0.0f);
      if (const YAML::Node p = s["position"]) pos = ctx.vec<3>(p, "sphere position").value_or(Vec3(0.0f));
      t.settings.surface = physics::generateSphere(radii, sub, {pos, Quat(1, 0, 0, 0)});
      geometry = true;
    }
  } else if (tet) {
    t.settings.kind = physics::TissueKind::kVolumetric;
    if (ctx.isMap(tet, "tetmesh")) {
      ctx.checkKeys(tet, {"file", "units", "position", "surface", "embed"}, "tetmesh");
      auto path = ctx.text(tet["file"], "tetmesh.file");
      float scale = 1.0f;
      if (const YAML::Node u = tet["units"]) {
        auto units = assets::unitsFromString(ctx.text(u, "tetmesh.units").value_or("?"));
        if (units && *units != assets::Units::kAuto)
          scale = assets::metresPerUnit(*units);
        else
          ctx.error(u, "tetmesh.units must be mm, cm or m");
      }
      Vec3 pos(0.0f);
      if (const YAML::Node p = tet["position"]) pos = ctx.vec<3>(p, "tetmesh position").value_or(Vec3(0.0f));
      if (path) {
        fs::path resolved = ctx.file().parent_path() / *path;
        const bool gmsh = resolved.extension() == ".msh";
        auto mesh = gmsh ? readGmsh(resolved, scale, pos) : readTetGen(resolved, scale, pos);
        if (!mesh.ok()) {
          referencedFileError(ctx, tet["file"], resolved, mesh.error());
        } else {
          t.settings.tetMesh = std::move(mesh).value();
          // A detailed surface embedded in the tets: both files, or neither.
          const YAML::Node surface = tet["surface"], embed = tet["embed"];
          if (surface || embed) {
            auto s = ctx.text(surface ? surface : embed, surface ? "tetmesh.surface" : "tetmesh.embed");
            auto e = surface && embed ? ctx.text(embed, "tetmesh.embed") : std::nullopt;
            if (!surface || !embed) {
              ctx.error(surface ? surface : embed, "tetmesh: surface and embed go together",
                        "surface: F.obj, embed: F.embed (trocar import volume writes both)");
            } else if (s && e) {
              const fs::path objPath = ctx.file().parent_path() / *s,
                             embedPath = ctx.file().parent_path() / *e;
              auto embedded = readEmbeddedSurface(objPath, embedPath, t.settings.tetMesh);
              if (!embedded.ok()) {
                Error err = embedded.error();
                if (err.where.file.empty()) err.where = ctx.at(surface);
                ctx.error(err.where, err.message, err.hint);
              } else {
                t.settings.embedded = std::move(embedded).value();
                referenced.push_back(objPath);
                referenced.push_back(embedPath);
              }
            }
          }
          if (gmsh) {
            referenced.push_back(resolved);
          } else {
            referenced.push_back(fs::path(resolved).replace_extension(".node"));
            referenced.push_back(fs::path(resolved).replace_extension(".ele"));
          }
        }
      }
    }
    geometry = true;
  }
  if (const YAML::Node m = item["mesh"]) {
    if (gen || tet) ctx.error(m, "a tissue has one geometry: generate, tetmesh or mesh");
    t.settings.kind = physics::TissueKind::kSurface;
    geometry = true;
    if (ctx.isMap(m, "mesh")) {
      ctx.checkKeys(m, {"file", "units", "up_axis", "position", "simulate_triangles"}, "mesh");
      assets::MeshImportOptions options;
      if (const YAML::Node u = m["units"]) {
        auto units = assets::unitsFromString(ctx.text(u, "mesh.units").value_or("?"));
        if (units)
          options.units = *units;
        else
          ctx.error(u, "mesh.units must be mm, cm, m or auto");
      }
      if (const YAML::Node a = m["up_axis"]) {
        auto axis = assets::upAxisFromString(ctx.text(a, "mesh.up_axis").value_or("?"));
        if (axis)
          options.upAxis = *axis;
        else
          ctx.error(a, "mesh.up_axis must be x, y, z or auto");
      }
      Vec3 pos(0.0f);
      if (const YAML::Node p = m["position"]) pos = ctx.vec<3>(p, "mesh position").value_or(Vec3(0.0f));
      uint32_t budget = 2000;
      if (const YAML::Node b = m["simulate_triangles"]) {
        budget = static_cast<uint32_t>(
            ctx.number(b, "simulate_triangles", 20, 200000, "the simulation mesh's triangle budget")
                .value_or(2000));
      }
      if (auto path = ctx.text(m["file"], "mesh.file")) {
        fs::path resolved = ctx.file().parent_path() / *path;
        auto imported = assets::importMeshCached(resolved, options, budget, dataDirectories().cache);
        if (!imported.ok()) {
          referencedFileError(ctx, m["file"], resolved, imported.error());
        } else if (!imported.value().closed()) {
          ctx.error(m["file"],
                    "mesh '" + *path + "' is not a closed surface (" +
                        std::to_string(imported.value().openEdges) + " open edge(s), " +
                        std::to_string(imported.value().nonManifoldEdges) + " non-manifold)",
                    "a surface tissue must be closed: fill its holes or use generate/tetmesh instead");
        } else {
          const assets::ImportedMesh& sim = imported.value();  // already simplified to the budget
          for (const Vec3& v : sim.positions) t.settings.surface.vertices.push_back(v + pos);
          t.settings.surface.triangles = sim.triangles;
          for (const auto& g : sim.groups) groups[t.settings.name][g.name] = g.vertices;
          referenced.push_back(resolved);
        }
      }
    }
  }
  if (const YAML::Node vol = item["volume"]) {
    if (gen || tet || item["mesh"])
      ctx.error(vol, "a tissue has one geometry: generate, tetmesh, mesh or volume");
    t.settings.kind = physics::TissueKind::kVolumetric;
    geometry = true;
    if (ctx.isMap(vol, "volume")) parseVolumeSource(ctx, vol, t, referenced);
  }
  if (!geometry && !gen) {
    ctx.error(item, "tissue '" + t.settings.name + "' has no geometry",
              "add 'generate: {cloth: ...}' or 'tetmesh: {file: ...}'");
  }
  if (const YAML::Node m = item["material"]) parseMaterial(ctx, m, t.settings.material);
  if (const YAML::Node f = item["fixed"]) {
    // One selection, or a list of them (both ends of a duct).
    const bool cloth = t.settings.kind == physics::TissueKind::kCloth;
    if (f.IsSequence()) {
      for (const auto& one : f) {
        if (auto sel = parseSelector(ctx, one, "fixed", cloth)) t.settings.fixed.push_back(*sel);
      }
    } else if (auto sel = parseSelector(ctx, f, "fixed", cloth)) {
      t.settings.fixed.push_back(*sel);
    }
  }
  if (const YAML::Node it = item["iterations"]) {
    t.settings.solverIterations = static_cast<uint32_t>(ctx.number(it, "iterations", 1, 64).value_or(4));
  }
  // vessel: true: it bleeds where it is cut, from each side no clip closes (bleed_ml_per_s).
  if (const YAML::Node v = item["vessel"]) t.settings.vessel = ctx.boolean(v, "vessel").value_or(false);
  if (const YAML::Node r = item["bleed_ml_per_s"]) {
    if (!t.settings.vessel)
      ctx.error(r, "bleed_ml_per_s is for vessels", "add vessel: true, or drop bleed_ml_per_s");
    if (auto x =
            ctx.number(r, "bleed_ml_per_s", 0.0, 1000.0, "millilitres a second from each open end, e.g. 2"))
      t.settings.bleedMlPerS = static_cast<float>(*x);
  }
  // collides_with: [liver]: tissues listed above this one whose surfaces this one meets.
  if (const YAML::Node cw = item["collides_with"]; cw && ctx.isList(cw, "collides_with")) {
    t.settings.collidesWith =
        earlierTissues(ctx, cw, out, "collides_with", "collides_with names",
                       "list the tissue it rests on or touches first, and name it here (each pair once)");
  }
  if (const YAML::Node marks = item["markings"]; marks && ctx.isList(marks, "markings")) {
    // Cloth markings are given in the cloth's own plane ([x, z] from its centre), others in
    // the stage frame at rest ([x, y, z]); physics lays them onto the drawn surface.
    const bool cloth = t.settings.kind == physics::TissueKind::kCloth;
    const Pose& sheet = t.settings.cloth.pose;
    auto point = [&](const YAML::Node& n, const std::string& what) -> std::optional<Vec3> {
      if (cloth) {
        auto c = ctx.vec<2>(n, what + " ([x, z] on the cloth, m from its centre)");
        if (!c) return std::nullopt;
        return sheet.transformPoint(Vec3(c->x, 0.0f, c->y));
      }
      return ctx.vec<3>(n, what + " ([x, y, z], m, stage frame)");
    };
    std::set<std::string> markIds;
    for (const auto& mark : marks) {
      if (!ctx.isMap(mark, "a marking")) continue;
      ctx.checkKeys(mark, {"id", "circle", "polyline", "closed"}, "a marking");
      auto mid = readId(ctx, mark, "marking", markIds);
      const YAML::Node circle = mark["circle"], line = mark["polyline"];
      if (!circle == !line) {
        ctx.error(mark, circle ? "a marking is a circle or a polyline, not both" : "a marking needs a shape",
                  cloth ? "circle: {center: [0, 0], radius: 0.02}, or polyline: [[-0.02, 0], [0.02, 0]]"
                        : "circle: {center: [x, y, z], radius: 0.01}, or polyline: [[x, y, z], [x, y, z]]");
        continue;
      }
      physics::MarkingSettings settings;
      MarkingDesc desc;
      bool good = mid.has_value();
      if (circle) {
        if (!ctx.isMap(circle, "circle")) continue;
        ctx.checkKeys(circle, {"center", "radius"}, "circle");
        auto c = point(circle["center"], "circle center");
        auto r = ctx.number(circle["radius"], "circle radius", 1e-4, 10.0, "metres");
        if (mark["closed"]) ctx.error(mark["closed"], "a circle is closed already", "drop 'closed'");
        good = good && c && r;
        if (good) {
          settings.center = *c;
          settings.radius = static_cast<float>(*r);
          if (cloth) settings.normal = sheet.orientation * Vec3(0.0f, 1.0f, 0.0f);
          desc.circle = true;
          desc.radius = settings.radius;
          desc.center3d = !cloth;
          if (cloth) desc.center = ctx.vec<2>(circle["center"], "circle center").value_or(Vec2(0.0f));
        }
      } else if (ctx.isList(line, "polyline")) {
        if (line.size() < 2) {
          ctx.error(line, "a polyline needs at least two points", "[[x, ...], [x, ...]]");
          good = false;
        }
        for (const auto& p : line) {
          auto at = point(p, "polyline point");
          if (at) settings.points.push_back(*at);
          good = good && at;
        }
        if (const YAML::Node c = mark["closed"]) {
          auto closed = ctx.boolean(c, "closed");
          good = good && closed;
          settings.closed = closed.value_or(false);
          if (settings.closed && line.size() < 3) {
            ctx.error(c, "a closed polyline needs at least three points");
            good = false;
          }
        }
      } else {
        good = false;
      }
      if (!good) continue;
      settings.name = *mid;
      desc.id = *mid;
      desc.index = static_cast<uint32_t>(t.settings.markings.size());
      markings[t.settings.name][*mid] = desc;
      t.markings.push_back(desc);
      t.settings.markings.push_back(std::move(settings));
    }
  }
  if (t.settings.kind == physics::TissueKind::kCloth) {
    t.appearance = {TissueLook::kFabric, Vec3(0.93f, 0.93f, 0.90f), 0.0f};
  }
  if (const YAML::Node look = item["appearance"]; look && ctx.isMap(look, "appearance")) {
    ctx.checkKeys(look, {"look", "color", "wetness"}, "appearance");
    if (const YAML::Node l = look["look"]) {
      const auto name = ctx.text(l, "appearance.look");
      if (name == "tissue")
        t.appearance.look = TissueLook::kTissue;
      else if (name == "fabric")
        t.appearance.look = TissueLook::kFabric;
      else if (name)
        ctx.error(l, "unknown look '" + *name + "'", "tissue or fabric");
    }
    if (const YAML::Node c = look["color"]) {
      if (auto rgb = ctx.vec<3>(c, "appearance.color")) {
        if (glm::any(glm::lessThan(*rgb, Vec3(0.0f))) || glm::any(glm::greaterThan(*rgb, Vec3(1.0f)))) {
          ctx.error(c, "appearance.color components must lie in [0, 1]", "sRGB, e.g. [0.78, 0.36, 0.33]");
        } else {
          t.appearance.color = *rgb;
        }
      }
    }
    if (const YAML::Node w = look["wetness"]) {
      if (auto x = ctx.number(w, "appearance.wetness", 0.0, 1.0, "0 dry .. 1 glistening")) {
        t.appearance.wetness = static_cast<float>(*x);
      }
    }
  }
  // A tissue with errors of its own is not built again to find more (that only repeats them).
  if (ctx.errorCount() > errorsBefore) broken.insert(t.settings.name);
  out.tissues.push_back(std::move(t));
}

// ---- Expressions -----------------------------------------------------------------------

using NameKind = ArgKind;  // what a name in a condition may stand for (Expression.h)

struct Names {
  std::set<std::string> tissues, regions, objects, zones, steps;
  std::set<std::string> vessels;  // tissues with vessel: true (what bleeding() can name)
};

bool globMatches(const std::string& pattern, const std::string& name) {
  size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern == name;
  std::string prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  return name.size() >= prefix.size() + suffix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool nameIs(const Names& names, NameKind kind, const std::string& name) {
  switch (kind) {
    case NameKind::kHand: return name == "left" || name == "right";
    case NameKind::kTissue: return names.tissues.count(name) > 0;
    case NameKind::kRegion: return names.regions.count(name) > 0;
    case NameKind::kObject:
      return std::any_of(names.objects.begin(), names.objects.end(),
                         [&](const std::string& o) { return globMatches(name, o); });
    case NameKind::kZone: return names.zones.count(name) > 0;
    case NameKind::kStep: return names.steps.count(name) > 0;
    default: return false;
  }
}

const char* kindName(NameKind k) {
  switch (k) {
    case NameKind::kHand: return "a hand (left or right)";
    case NameKind::kTissue: return "a tissue";
    case NameKind::kRegion: return "a region";
    case NameKind::kObject: return "an object";
    case NameKind::kZone: return "a zone";
    case NameKind::kStep: return "a checklist step";
    case NameKind::kExpr: return "a condition";
    case NameKind::kNumber: return "a number";
  }
  return "?";
}

std::vector<std::string> allNames(const Names& n, NameKind k) {
  const std::set<std::string>* s = k == NameKind::kTissue   ? &n.tissues
                                   : k == NameKind::kRegion ? &n.regions
                                   : k == NameKind::kObject ? &n.objects
                                   : k == NameKind::kZone   ? &n.zones
                                   : k == NameKind::kStep   ? &n.steps
                                                            : nullptr;
  if (k == NameKind::kHand) return {"left", "right"};
  return s ? std::vector<std::string>(s->begin(), s->end()) : std::vector<std::string>{};
}

// Parses and checks one expression scalar; returns it when valid.
std::optional<Expr> parseCondition(Ctx& ctx, const YAML::Node& n, const Names& names,
                                   const std::string& what) {
  auto text = ctx.text(n, what);
  if (!text) return std::nullopt;
  // Columns inside the expression: quoted scalars start one character later.
  const uint32_t quote = n.Tag() == "!" ? 1 : 0;
  auto located = [&](uint32_t offset) { return ctx.at(n, quote + offset); };
  auto parsed = parseExpression(*text);
  if (!parsed.ok()) {
    ctx.error(located(static_cast<uint32_t>(parsed.error().where.byteOffset.value_or(0))),
              what + ": " + parsed.error().message, parsed.error().hint);
    return std::nullopt;
  }
  bool ok = true;
  std::function<void(const Expr&, const std::vector<NameKind>&)> check =
      [&](const Expr& e, const std::vector<NameKind>& expected) {
        bool wantsExpr = std::find(expected.begin(), expected.end(), NameKind::kExpr) != expected.end();
        bool wantsNumber = std::find(expected.begin(), expected.end(), NameKind::kNumber) != expected.end();
        switch (e.kind) {
          case Expr::Kind::kNumber:
            if (!wantsNumber && !wantsExpr) {
              ctx.error(located(e.offset),
                        what + ": expected " + std::string(kindName(expected.front())) + ", found a number");
              ok = false;
            }
            return;
          case Expr::Kind::kCompare:
            check(e.args[0], {NameKind::kExpr});
            check(e.args[1], {NameKind::kExpr});
            return;
          case Expr::Kind::kName: {
            bool matched = std::any_of(expected.begin(), expected.end(),
                                       [&](NameKind k) { return nameIs(names, k, e.text); });
            if (!matched) {
              std::vector<std::string> candidates;
              for (NameKind k : expected) {
                auto more = allNames(names, k);
                candidates.insert(candidates.end(), more.begin(), more.end());
              }
              std::string hint = didYouMean(e.text, candidates);
              std::string kinds;
              for (NameKind k : expected) kinds += (kinds.empty() ? "" : " or ") + std::string(kindName(k));
              ctx.error(located(e.offset), what + ": '" + e.text + "' is not " + kinds + " of this scenario",
                        hint.empty() ? "known: " + join(candidates) : hint);
              ok = false;
            }
            return;
          }
          case Expr::Kind::kCall: {
            const FunctionInfo* sig = findFunction(e.text);
            if (!sig) {
              std::vector<std::string> known;
              for (const FunctionInfo& f : functionTable()) known.emplace_back(f.name);
              std::sort(known.begin(), known.end());
              std::string hint = didYouMean(e.text, known);
              ctx.error(located(e.offset), what + ": unknown condition '" + e.text + "'",
                        hint.empty() ? "known: " + join(known) : hint);
              ok = false;
              return;
            }
            size_t max = sig->variadic ? 1000 : sig->args.size();
            size_t min = sig->variadic ? 1 : std::min(sig->optionalFrom, sig->args.size());
            if (e.args.size() < min || e.args.size() > max) {
              ctx.error(located(e.offset),
                        what + ": " + e.text + "() takes " +
                            (min == max ? std::to_string(min)
                                        : std::to_string(min) + " to " + std::to_string(max)) +
                            " argument(s), not " + std::to_string(e.args.size()));
              ok = false;
              return;
            }
            for (size_t i = 0; i < e.args.size(); ++i) check(e.args[i], sig->args[sig->variadic ? 0 : i]);
            if (e.function == Function::kBleeding && e.args.size() == 1 &&
                e.args[0].kind == Expr::Kind::kName && names.tissues.count(e.args[0].text) &&
                !names.vessels.count(e.args[0].text)) {
              ctx.error(located(e.args[0].offset),
                        what + ": bleeding(" + e.args[0].text + ") can never be true: '" + e.args[0].text +
                            "' is not a vessel",
                        "add vessel: true to tissue '" + e.args[0].text + "'");
              ok = false;
            }
            return;
          }
        }
      };
  check(parsed.value(), {NameKind::kExpr});
  if (!ok) return std::nullopt;
  return std::move(parsed).value();
}

// ---- The whole file ---------------------------------------------------------------------

// Stage 2 of loading (Document.h): the YAML's data -> ScenarioDesc, section by section, every
// error at its place. Sections read in this order, each seeing the names those before defined.
class SectionReader {
 public:
  SectionReader(Ctx& context, ScenarioDesc& scenario, std::vector<fs::path>& files,
                std::set<std::string>& failed, const LoadOptions& loadOptions)
      : ctx(context), out(scenario), referenced(files), broken(failed), options(loadOptions) {}

  void read(const YAML::Node& root) {
    if (!root.IsMap()) {
      ctx.error(root, "a scenario file must be a YAML mapping starting with 'trocar: 1'",
                "see scenarios/FORMAT.md");
      return;
    }
    ctx.checkKeys(root, {"trocar",  "id",           "title",   "description", "author",    "version",
                         "tick_hz", "time_limit_s", "view",    "camera",      "ports",     "instruments",
                         "tissues", "regions",      "objects", "zones",       "checklist", "errors",
                         "scoring", "feedback",     "head",    "table_height"},
                  "the scenario");
    top.file = ctx.file().string();
    top.line = 1;
    top.column = 1;
    readHeader(root);
    readScene(root);
    readTissues(root);
    readRegions(root);
    readObjects(root);
    readZones(root);
    readChecklist(root);
    readErrorRules(root);
    readScoring(root);
    readViewer(root);
  }

 private:
  // The schema version, id, title and descriptive text, rate and time limit.
  void readHeader(const YAML::Node& root) {
    if (const YAML::Node v = root["trocar"]) {
      if (auto n = ctx.number(v, "trocar (the schema version)", 0, 1e9); n && *n != kSchemaVersion) {
        ctx.error(v, "schema version " + Ctx::fmt(*n) + " is not supported by this build (it reads 1)",
                  "upgrade Trocar or write the scenario for schema 1");
      }
    } else {
      ctx.error(top, "missing 'trocar: 1' (the schema version)", "put 'trocar: 1' on the first line");
    }
    if (const YAML::Node v = root["id"]) {
      if (auto id = ctx.text(v, "id")) {
        if (isId(*id))
          out.id = *id;
        else
          ctx.error(v, "scenario id '" + *id + "' is not a valid id", "lower case letters, digits and '-'");
      }
    } else {
      ctx.error(top, "missing 'id'", "give the scenario an id, e.g. id: fls-pattern-cutting");
    }
    if (const YAML::Node v = root["title"])
      out.title = ctx.text(v, "title").value_or("");
    else
      ctx.error(top, "missing 'title'", "give the scenario a title the trainee sees");
    for (auto [key, field] : {std::pair{"description", &out.description}, std::pair{"author", &out.author},
                              std::pair{"version", &out.version}}) {
      if (const YAML::Node v = root[key]) *field = ctx.text(v, key).value_or("");
    }
    if (const YAML::Node v = root["tick_hz"]) {
      if (auto n = ctx.number(v, "tick_hz", kMinTickHz, kMaxTickHz,
                              "the simulation rate: 50 to 1000 Hz (500 is the default)")) {
        out.tickHz = static_cast<uint32_t>(*n);
      }
    }
    if (const YAML::Node v = root["time_limit_s"])
      out.timeLimitS = ctx.number(v, "time_limit_s", 1, 36000, "seconds").value_or(600);
  }

  // The view, the laparoscope, ports and instruments.
  void readScene(const YAML::Node& root) {
    if (const YAML::Node v = root["view"]) {
      auto view = ctx.text(v, "view");
      if (view == "laparoscopic")
        out.view = ViewKind::kLaparoscopic;
      else if (view == "open")
        out.view = ViewKind::kOpen;
      else if (view)
        ctx.error(v, "view must be open or laparoscopic, not '" + *view + "'",
                  didYouMean(*view, {"open", "laparoscopic"}));
    }
    if (const YAML::Node cam = root["camera"]; cam && ctx.isMap(cam, "camera")) {
      ctx.checkKeys(cam, {"position", "look_at", "fov_deg", "lens_deg"}, "camera");
      physics::WorldSettings::Camera c;
      auto pos = ctx.vec<3>(cam["position"], "camera position");
      auto look = ctx.vec<3>(cam["look_at"], "camera look_at");
      if (const YAML::Node f = cam["fov_deg"])
        c.verticalFovRad =
            glm::radians(static_cast<float>(ctx.number(f, "camera fov_deg", 10, 170).value_or(70)));
      if (const YAML::Node l = cam["lens_deg"])  // a 0 or 30 degree laparoscope (45 and 70 exist too)
        c.lensAngleRad =
            glm::radians(static_cast<float>(ctx.number(l, "camera lens_deg", 0, 70).value_or(0)));
      if (pos && look) {
        Vec3 forward = *look - *pos;
        if (glm::length(forward) < 1e-6f) {
          ctx.error(cam, "camera position and look_at coincide");
        } else {
          // -Z looks at the target, +Y stays as close to up as the direction allows.
          Mat4 view = glm::lookAt(
              *pos, *look, std::abs(glm::normalize(forward).y) > 0.99f ? Vec3(0, 0, -1) : Vec3(0, 1, 0));
          Mat4 world = glm::inverse(view);
          c.pose = {*pos, glm::quat_cast(Mat3(world))};
          out.camera = c;
        }
      }
    }
    if (out.view == ViewKind::kLaparoscopic && !out.camera) {
      ctx.error(top, "a laparoscopic scenario needs a camera",
                "camera: {position: [0, 1.25, -0.2], look_at: [0, 1.0, -0.45]}");
    }
    if (const YAML::Node ports = root["ports"]; ports && ctx.isList(ports, "ports")) {
      for (const auto& p : ports) {
        if (!ctx.isMap(p, "a port")) continue;
        ctx.checkKeys(p, {"id", "position"}, "a port");
        auto id = readId(ctx, p, "port", portIds);
        auto pos = ctx.vec<3>(p["position"], "port position");
        if (id && pos) out.ports.push_back({*id, *pos});
      }
    }
    if (const YAML::Node inst = root["instruments"]; inst && ctx.isMap(inst, "instruments")) {
      ctx.checkKeys(inst, {"left", "right"}, "instruments");
      std::vector<std::string> kinds = {"grasper", "scissors", "scalpel", "clip_applier"};
      for (auto hand : {instruments::Hand::kLeft, instruments::Hand::kRight}) {
        const YAML::Node h = inst[instruments::toString(hand)];
        if (!h) continue;
        HandSetup setup;
        YAML::Node kindNode = h;
        if (h.IsMap()) {
          ctx.checkKeys(h, {"kind", "port", "exchange"},
                        std::string("instruments.") + instruments::toString(hand));
          kindNode.reset(h["kind"]);
          if (const YAML::Node ex = h["exchange"]; ex && ctx.isList(ex, "exchange")) {
            for (const auto& e : ex) {
              auto name = ctx.text(e, "instrument");
              if (!name) continue;
              auto k = instruments::instrumentKindFromString(*name);
              if (!k) {
                std::string hint = didYouMean(*name, kinds);
                ctx.error(e, "unknown instrument '" + *name + "'",
                          hint.empty() ? "known: " + join(kinds) : hint);
                continue;
              }
              setup.exchange.push_back(*k);
            }
          }
          if (const YAML::Node port = h["port"]) {
            setup.port = ctx.text(port, "port").value_or("");
            if (!portIds.count(setup.port)) {
              std::string hint = portIds.empty() ? "define it under 'ports:'"
                                                 : didYouMean(setup.port, {portIds.begin(), portIds.end()});
              ctx.error(port, "unknown port '" + setup.port + "'",
                        hint.empty() ? "known ports: " + join({portIds.begin(), portIds.end()}) : hint);
            }
          }
        }
        auto kind = ctx.text(kindNode, "instrument");
        if (!kind) continue;
        auto k = instruments::instrumentKindFromString(*kind);
        if (!k) {
          std::string hint = didYouMean(*kind, kinds);
          ctx.error(kindNode, "unknown instrument '" + *kind + "'",
                    hint.empty() ? "known: " + join(kinds) : hint);
          continue;
        }
        setup.kind = *k;
        if (out.view == ViewKind::kLaparoscopic && setup.port.empty()) {
          ctx.error(h,
                    std::string("the ") + instruments::toString(hand) +
                        " instrument needs a port in a laparoscopic scenario",
                    "write {kind: " + *kind + ", port: <port id>}");
        }
        out.instruments[hand] = setup;
      }
    }
  }

  // Tissues (with their markings and mesh groups).
  void readTissues(const YAML::Node& root) {
    if (const YAML::Node tissues = root["tissues"]; tissues && ctx.isList(tissues, "tissues")) {
      for (const auto& t : tissues) parseTissue(ctx, t, out, tissueIds, markings, referenced, broken, groups);
    }
    names.tissues = tissueIds;
    for (const TissueDesc& t : out.tissues) {
      if (t.settings.vessel) names.vessels.insert(t.settings.name);
    }
  }

  // Regions: what a tissue's nodes a condition can name.
  void readRegions(const YAML::Node& root) {
    if (const YAML::Node regions = root["regions"]; regions && ctx.isList(regions, "regions")) {
      for (const auto& r : regions) {
        if (!ctx.isMap(r, "a region")) continue;
        ctx.checkKeys(r, {"id", "tissue", "marking", "group", "sphere", "box", "nodes"}, "a region");
        auto id = readId(ctx, r, "region", regionIds);
        RegionDesc desc;
        desc.where = ctx.at(r);
        desc.id = id.value_or("?");
        const YAML::Node tn = r["tissue"];
        if (!tn) {
          ctx.error(r, "region '" + desc.id + "' names no tissue", "add 'tissue: <tissue id>'");
          continue;
        }
        desc.tissue = ctx.text(tn, "region tissue").value_or("");
        if (!tissueIds.count(desc.tissue)) {
          ctx.error(tn, "unknown tissue '" + desc.tissue + "'",
                    didYouMean(desc.tissue, {tissueIds.begin(), tissueIds.end()}));
          continue;
        }
        std::optional<NodeSelector> selector;
        if (const YAML::Node m = r["marking"]) {
          auto markId = ctx.text(m, "marking").value_or("");
          auto& tissueMarks = markings[desc.tissue];
          auto found = tissueMarks.find(markId);
          if (found == tissueMarks.end()) {
            std::vector<std::string> known;
            for (const auto& [k, v] : tissueMarks) known.push_back(k);
            ctx.error(m, "tissue '" + desc.tissue + "' has no marking '" + markId + "'",
                      didYouMean(markId, known));
            continue;
          }
          // The pattern-cutting circle on cloth selects in the cloth's own coordinates, exactly;
          // every other marking by its line as laid on the surface.
          const bool clothCircle = found->second.circle && !found->second.center3d;
          selector = clothCircle ? NodeSelector::circle(found->second.center, found->second.radius)
                                 : NodeSelector::markingOf(found->second.index);
        } else if (const YAML::Node g = r["group"]) {
          auto name = ctx.text(g, "group").value_or("");
          auto& tissueGroups = groups[desc.tissue];
          auto found = tissueGroups.find(name);
          if (found == tissueGroups.end()) {
            std::vector<std::string> known;
            for (const auto& [k, v] : tissueGroups) known.push_back(k);
            std::string hint = didYouMean(name, known);
            ctx.error(g, "tissue '" + desc.tissue + "' has no mesh group '" + name + "'",
                      hint.empty()
                          ? (known.empty() ? "only mesh tissues have groups" : "groups: " + join(known))
                          : hint);
            continue;
          }
          selector = NodeSelector::nodes(found->second);
        } else {
          selector = parseSelector(ctx, r, "region '" + desc.id + "'", false);
        }
        if (!selector || !id) continue;
        desc.selector = *selector;
        for (auto& t : out.tissues) {
          if (t.settings.name == desc.tissue) t.settings.regions.push_back({desc.id, desc.selector});
        }
        out.regions.push_back(std::move(desc));
      }
    }
    names.regions = regionIds;
  }

  // Rigid objects.
  void readObjects(const YAML::Node& root) {
    if (const YAML::Node objects = root["objects"]; objects && ctx.isList(objects, "objects")) {
      for (const auto& o : objects) {
        if (!ctx.isMap(o, "an object")) continue;
        ctx.checkKeys(o, {"id", "shape", "size", "mass_kg", "friction", "position", "rotation_deg"},
                      "an object");
        auto id = readId(ctx, o, "object", objectIds);
        ObjectDesc desc;
        desc.where = ctx.at(o);
        desc.settings.name = id.value_or("?");
        auto shape = o["shape"] ? ctx.text(o["shape"], "shape") : std::optional<std::string>("box");
        if (shape == "box")
          desc.settings.shape = physics::RigidShape::kBox;
        else if (shape == "sphere")
          desc.settings.shape = physics::RigidShape::kSphere;
        else if (shape == "cylinder")
          desc.settings.shape = physics::RigidShape::kCylinder;
        else if (shape == "triangle")
          desc.settings.shape = physics::RigidShape::kTriangle;
        else if (shape)
          ctx.error(o["shape"], "unknown shape '" + *shape + "'",
                    didYouMean(*shape, {"box", "sphere", "cylinder", "triangle"}));
        // size: box [x, y, z]; cylinder [diameter, height, diameter]; triangle [outer side,
        // thickness, bar width]: all halved into halfExtents.
        if (auto size = ctx.vec<3>(o["size"], "object size")) {
          if (glm::any(glm::lessThanEqual(*size, Vec3(0.0f))))
            ctx.error(o["size"], "object size must be positive", "metres");
          else if (desc.settings.shape == physics::RigidShape::kTriangle &&
                   size->z >= size->x / std::sqrt(3.0f) * 0.5f)
            ctx.error(o["size"], "a triangle's bars are too wide for its side: they leave no hole",
                      "[side, thickness, bar width] with the bar width under side / 3.5");
          else
            desc.settings.halfExtents = *size * 0.5f;
        }
        if (const YAML::Node m = o["mass_kg"])
          desc.settings.massKg =
              static_cast<float>(ctx.number(m, "mass_kg", 0, 1000, "0 makes it static").value_or(0));
        if (const YAML::Node f = o["friction"])
          desc.settings.friction = static_cast<float>(ctx.number(f, "friction", 0, 2).value_or(0.6));
        if (const YAML::Node p = o["position"])
          desc.settings.pose.position = ctx.vec<3>(p, "object position").value_or(Vec3(0.0f));
        if (const YAML::Node r = o["rotation_deg"])
          desc.settings.pose.orientation =
              rotationFromDegrees(ctx.vec<3>(r, "rotation_deg", 360).value_or(Vec3(0.0f)));
        out.objects.push_back(std::move(desc));
      }
    }
    names.objects = objectIds;
  }

  // Target zones.
  void readZones(const YAML::Node& root) {
    if (const YAML::Node zones = root["zones"]; zones && ctx.isList(zones, "zones")) {
      for (const auto& z : zones) {
        if (!ctx.isMap(z, "a zone")) continue;
        ctx.checkKeys(z, {"id", "center", "size", "around"}, "a zone");
        auto id = readId(ctx, z, "zone", zoneIds);
        if (const YAML::Node around = z["around"]) {
          // Posts: the zone is wherever an object rests over one of them.
          if (z["center"] || z["size"])
            ctx.error(around, "a zone is a box (center, size) or posts (around), not both",
                      "drop center and size, or around");
          std::vector<std::string> posts;
          if (ctx.isList(around, "around")) {
            for (const auto& a : around) {
              auto name = ctx.text(a, "around");
              if (!name) continue;
              const auto object = std::find_if(out.objects.begin(), out.objects.end(),
                                               [&](const ObjectDesc& o) { return o.settings.name == *name; });
              if (object == out.objects.end() || object->settings.massKg > 0.0f)
                ctx.error(a, "around names '" + *name + "', which is not a static object",
                          "name posts: objects with no mass_kg (or 0)");
              else
                posts.push_back(*name);
            }
          }
          if (id && !posts.empty()) out.zones.push_back({*id, Vec3(0.0f), Vec3(0.0f), posts});
          continue;
        }
        auto c = ctx.vec<3>(z["center"], "zone center");
        auto s = ctx.vec<3>(z["size"], "zone size");
        if (id && c && s) out.zones.push_back({*id, *c, glm::abs(*s) * 0.5f, {}});
      }
    }
    names.zones = zoneIds;
  }

  // Checklist: ids first (conditions may refer to any step), then conditions and order.
  void readChecklist(const YAML::Node& root) {
    const YAML::Node checklist = root["checklist"];
    if (checklist && ctx.isList(checklist, "checklist")) {
      for (const auto& s : checklist) {
        if (s.IsMap() && s["id"] && s["id"].IsScalar()) names.steps.insert(s["id"].Scalar());
      }
      for (const auto& s : checklist) {
        if (!ctx.isMap(s, "a checklist step")) continue;
        ctx.checkKeys(s, {"id", "title", "prompt", "done_when", "after", "time_limit_s", "weight"},
                      "a checklist step");
        auto id = readId(ctx, s, "checklist step", stepIds);
        ChecklistStep step;
        step.where = ctx.at(s);
        step.id = id.value_or("?");
        step.title = s["title"] ? ctx.text(s["title"], "title").value_or("") : step.id;
        if (const YAML::Node p = s["prompt"]) step.prompt = ctx.text(p, "prompt").value_or("");
        if (const YAML::Node w = s["weight"]) step.weight = ctx.number(w, "weight", 0, 1000).value_or(1);
        if (const YAML::Node t = s["time_limit_s"])
          step.timeLimitS = ctx.number(t, "time_limit_s", 0.1, 36000, "seconds");
        if (const YAML::Node d = s["done_when"]) {
          step.doneWhenText = d.IsScalar() ? d.Scalar() : "";
          if (auto e = parseCondition(ctx, d, names, "done_when of step '" + step.id + "'"))
            step.doneWhen = *e;
        } else {
          ctx.error(s, "checklist step '" + step.id + "' has no done_when",
                    "say when it is done, e.g. done_when: detached(gauze, inside-circle)");
        }
        if (const YAML::Node a = s["after"]) {
          std::vector<YAML::Node> items;
          if (a.IsScalar())
            items.push_back(a);
          else if (ctx.isList(a, "after"))
            for (const auto& x : a) items.push_back(x);
          for (const YAML::Node& x : items) {
            auto ref = ctx.text(x, "after");
            if (!ref) continue;
            if (!names.steps.count(*ref)) {
              ctx.error(x, "step '" + step.id + "' comes after unknown step '" + *ref + "'",
                        didYouMean(*ref, {names.steps.begin(), names.steps.end()}));
            } else {
              step.after.push_back(*ref);
            }
          }
        }
        out.checklist.push_back(std::move(step));
      }
      // Ordering cycles: depth-first search over 'after'.
      std::map<std::string, const ChecklistStep*> byId;
      for (const auto& s : out.checklist) byId[s.id] = &s;
      std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
      std::set<std::string> reported;
      std::function<bool(const std::string&, std::vector<std::string>&)> visit =
          [&](const std::string& id, std::vector<std::string>& path) {
            state[id] = 1;
            path.push_back(id);
            for (const auto& next : byId[id]->after) {
              if (!byId.count(next)) continue;
              if (state[next] == 1) {
                auto start = std::find(path.begin(), path.end(), next);
                std::string cycle;
                for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
                cycle += next;
                if (reported.insert(next).second) {
                  ctx.error(byId[next]->where, "checklist steps wait for each other in a cycle: " + cycle,
                            "remove one of these 'after' entries");
                }
                return true;
              }
              if (state[next] == 0 && visit(next, path)) return true;
            }
            path.pop_back();
            state[id] = 2;
            return false;
          };
      for (const auto& s : out.checklist) {
        std::vector<std::string> path;
        if (state[s.id] == 0) visit(s.id, path);
      }
    }
  }

  // Error rules.
  void readErrorRules(const YAML::Node& root) {
    if (const YAML::Node errs = root["errors"]; errs && ctx.isList(errs, "errors")) {
      std::set<std::string> errIds;
      for (const auto& e : errs) {
        if (!ctx.isMap(e, "an error rule")) continue;
        ctx.checkKeys(e, {"id", "title", "when", "penalty", "critical"}, "an error rule");
        auto id = readId(ctx, e, "error rule", errIds);
        ErrorRule rule;
        rule.where = ctx.at(e);
        rule.id = id.value_or("?");
        rule.title = e["title"] ? ctx.text(e["title"], "title").value_or("") : rule.id;
        if (const YAML::Node p = e["penalty"]) rule.penalty = ctx.number(p, "penalty", 0, 1e6).value_or(0);
        if (const YAML::Node c = e["critical"]) rule.critical = ctx.boolean(c, "critical").value_or(false);
        if (const YAML::Node w = e["when"]) {
          rule.whenText = w.IsScalar() ? w.Scalar() : "";
          if (auto x = parseCondition(ctx, w, names, "when of error '" + rule.id + "'")) rule.when = *x;
        } else {
          ctx.error(e, "error rule '" + rule.id + "' has no 'when'", "e.g. when: damage(liver)");
        }
        out.errors.push_back(std::move(rule));
      }
    }
  }

  // Scoring (and its benchmark file).
  void readScoring(const YAML::Node& root) {
    if (const YAML::Node s = root["scoring"]; s && ctx.isMap(s, "scoring")) {
      ctx.checkKeys(s,
                    {"formula", "cutoff_s", "penalty", "penalty_per_item", "pass_score", "reference_score",
                     "reference_path_m", "force_limit_n", "osats", "benchmark", "benchmark_required"},
                    "scoring");
      if (const YAML::Node b = s["benchmark"]; b && options.readBenchmark) {
        if (auto name = ctx.text(b, "scoring.benchmark")) {
          const fs::path path = ctx.file().parent_path() / *name;
          std::error_code ec;
          if (!fs::exists(path, ec)) {
            ctx.error(b, "cannot find the benchmark file '" + path.string() + "'",
                      "make it with: trocar calibrate SCENARIO --experts RECORDING...");
          } else {
            // The benchmark's own errors say their place in its file.
            BenchmarkLoad loaded = loadBenchmarkFile(path);
            for (const Error& e : loaded.errors) ctx.error(e.where, e.message, e.hint);
            if (loaded.benchmark && !out.id.empty() && loaded.benchmark->scenarioId != out.id) {
              ctx.error(
                  b, "the benchmark '" + *name + "' is for scenario '" + loaded.benchmark->scenarioId + "'",
                  "calibrate this scenario: trocar calibrate SCENARIO --experts RECORDING...");
            } else if (loaded.benchmark) {
              out.scoring.benchmark = std::move(loaded.benchmark);
            }
          }
        }
      }
      if (const YAML::Node r = s["benchmark_required"]) {
        out.scoring.benchmarkRequired = ctx.boolean(r, "scoring.benchmark_required").value_or(false);
        if (out.scoring.benchmarkRequired && !s["benchmark"])
          ctx.error(r, "benchmark_required needs a benchmark",
                    "add benchmark: benchmark.yaml (trocar calibrate makes it)");
      }
      if (const YAML::Node x = s["penalty_per_item"])
        out.scoring.penaltyPerItem = ctx.number(x, "penalty_per_item", 0, 1e6).value_or(10);
      if (const YAML::Node x = s["reference_path_m"])
        out.scoring.referencePathM =
            ctx.number(x, "reference_path_m", 1e-4, 1e4, "metres of tool-tip travel an expert needs");
      if (const YAML::Node x = s["force_limit_n"])
        out.scoring.forceLimitN = ctx.number(x, "force_limit_n", 0.01, 1e4, "newtons");
      if (const YAML::Node o = s["osats"]; o && ctx.isMap(o, "scoring.osats")) {
        ctx.checkKeys(o, {"tissue_force_ratio", "task_ratio", "ldlj"}, "scoring.osats");
        auto pair = [&](const char* key, double& expert, double& novice, double lo, double hi) {
          const YAML::Node v = o[key];
          if (!v) return;
          if (!v.IsMap()) {
            ctx.error(v, std::string("scoring.osats.") + key + " must be {expert: x, novice: y}");
            return;
          }
          ctx.checkKeys(v, {"expert", "novice"}, std::string("scoring.osats.") + key);
          if (const YAML::Node e = v["expert"]) expert = ctx.number(e, "expert", lo, hi).value_or(expert);
          if (const YAML::Node n = v["novice"]) novice = ctx.number(n, "novice", lo, hi).value_or(novice);
          if (expert == novice)
            ctx.error(v, std::string("scoring.osats.") + key + ": expert and novice must differ");
        };
        pair("tissue_force_ratio", out.scoring.osats.expertTissueForceRatio,
             out.scoring.osats.noviceTissueForceRatio, 0, 100);
        pair("task_ratio", out.scoring.osats.expertTaskRatio, out.scoring.osats.noviceTaskRatio, 0.01, 100);
        pair("ldlj", out.scoring.osats.expertLdlj, out.scoring.osats.noviceLdlj, -100, 0);
      }
      if (const YAML::Node f = s["formula"]) {
        auto formula = ctx.text(f, "formula");
        bool known = false;
        for (Formula each : {Formula::kChecklist, Formula::kFls}) {
          if (formula && *formula == toString(each)) {
            out.scoring.formula = each;
            known = true;
          }
        }
        if (formula && !known)
          ctx.error(f, "unknown formula '" + *formula + "'", didYouMean(*formula, {"fls", "checklist"}));
      }
      if (const YAML::Node c = s["cutoff_s"])
        out.scoring.cutoffS = ctx.number(c, "cutoff_s", 1, 36000, "seconds").value_or(300);
      if (const YAML::Node p = s["penalty"]) {
        auto penalty = ctx.text(p, "penalty").value_or("");
        std::vector<std::string> known;
        bool found = false;
        for (Penalty each : {Penalty::kErrors, Penalty::kAreaDeviationPercent, Penalty::kPegsDropped}) {
          known.emplace_back(toString(each));
          if (penalty == toString(each)) {
            out.scoring.penalty = each;
            found = true;
          }
        }
        if (!found) {
          std::string hint = didYouMean(penalty, known);
          ctx.error(p, "unknown penalty '" + penalty + "'", hint.empty() ? "known: " + join(known) : hint);
        }
      }
      if (const YAML::Node r = s["reference_score"])
        out.scoring.referenceScore = ctx.number(r, "reference_score", 1e-6, 1e9);
      if (const YAML::Node p = s["pass_score"]) {
        out.scoring.passScore = ctx.number(p, "pass_score", -1e9, 1e9).value_or(0);
        out.scoring.passScoreWhere = ctx.at(p);
      } else
        ctx.error(s, "scoring has no pass_score",
                  "every scenario states its pass mark, e.g. pass_score: 120");
    } else if (!s) {
      ctx.error(top, "missing 'scoring'", "scoring: {formula: checklist, pass_score: 80}");
    }
  }

  // Feedback, the trainee's head and the table.
  void readViewer(const YAML::Node& root) {
    if (const YAML::Node f = root["feedback"]; f && ctx.isMap(f, "feedback")) {
      ctx.checkKeys(f, {"haptics", "sounds", "visuals"}, "feedback");
      parseFeedback(ctx, f, out.feedback);
    }
    if (const YAML::Node h = root["head"]; h && ctx.isMap(h, "head")) {
      ctx.checkKeys(h, {"position"}, "head");
      if (auto p = ctx.vec<3>(h["position"], "head position")) out.head.position = *p;
    }
    if (const YAML::Node t = root["table_height"])
      out.tableHeight = static_cast<float>(ctx.number(t, "table_height", 0.3, 1.5, "metres").value_or(0.9));
  }

  Ctx& ctx;
  ScenarioDesc& out;
  std::vector<fs::path>& referenced;
  std::set<std::string>& broken;
  const LoadOptions& options;
  SourceLocation top;
  std::set<std::string> portIds, tissueIds, regionIds, objectIds, zoneIds, stepIds;
  std::map<std::string, std::map<std::string, MarkingDesc>> markings;
  std::map<std::string, std::map<std::string, std::vector<uint32_t>>> groups;  // tissue -> group -> nodes
  Names names;                                                                 // what conditions may name
};

}  // namespace

namespace {

// The top-level keys that score a run (checklist, errors, scoring, feedback) and those that
// only describe it: neither changes what a recording replays into.
const std::set<std::string> kScoringSections{"checklist", "errors", "scoring", "feedback"};
const std::set<std::string> kDescriptiveKeys{"title", "description", "author", "version"};

// A YAML node as data: its kind, then scalars by their text, sequences and maps item by item in
// order (map keys included). Comments, quoting and flow or block layout leave it unchanged.
void hashYaml(StateHasher& h, const YAML::Node& node) {
  if (!node || node.IsNull()) {
    h.addString("~");
  } else if (node.IsScalar()) {
    h.addString("s");
    h.addString(node.Scalar());
  } else if (node.IsSequence()) {
    h.addString("l");
    h.add(static_cast<uint64_t>(node.size()));
    for (const auto& item : node) hashYaml(h, item);
  } else if (node.IsMap()) {
    h.addString("m");
    h.add(static_cast<uint64_t>(node.size()));
    for (auto it = node.begin(); it != node.end(); ++it) {
      hashYaml(h, it->first);
      hashYaml(h, it->second);
    }
  }
}

}  // namespace

LoadResult loadScenarioText(std::string_view text, const fs::path& file, const LoadOptions& options) {
  LoadResult result;
  Ctx ctx(file, result.errors);
  SourceLocation top;
  top.file = file.string();
  if (text.empty()) {
    top.line = 1;
    ctx.error(top, "the scenario file is empty", "start it with 'trocar: 1' (see scenarios/FORMAT.md)");
    return result;
  }
  if (text.find('\0') != std::string_view::npos) {
    top.byteOffset = text.find('\0');
    ctx.error(top, "this is not a text file (it contains a NUL byte)", "a scenario is a YAML text file");
    return result;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    SourceLocation where;
    where.file = file.string();
    if (e.mark.line >= 0) {
      where.line = static_cast<uint32_t>(e.mark.line) + 1;
      where.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    ctx.error(where, "not valid YAML: " + e.msg, detail::yamlSyntaxHint(e.msg));
    return result;
  }
  ScenarioDesc desc;
  desc.file = file;
  std::vector<fs::path> referenced;
  std::set<std::string> broken;
  try {
    SectionReader(ctx, desc, referenced, broken, options).read(root);
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some malformed node accesses
    SourceLocation where = top;
    if (e.mark.line >= 0) {
      where.line = static_cast<uint32_t>(e.mark.line) + 1;
      where.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    ctx.error(where, std::string("malformed scenario: ") + e.msg);
  }
  // Geometry checks need a world: build each tissue on its own (so they are checked even
  // when other parts of the file have errors), then, if all is well, the whole session.
  auto placeWorldError = [&](const Error& e) {
    SourceLocation where = top;
    for (const auto& t : desc.tissues) {
      if (e.message.find("tissue '" + t.settings.name + "'") != std::string::npos) where = t.where;
    }
    for (const auto& r : desc.regions) {
      if (e.message.find("region '" + r.id + "'") != std::string::npos) where = r.where;
    }
    ctx.error(where, e.message, e.hint);
  };
  for (const auto& t : desc.tissues) {
    if (broken.count(t.settings.name)) continue;
    physics::World scratch(physics::WorldSettings{});
    physics::TissueSettings alone = t.settings;
    alone.collidesWith.clear();  // names checked where they are read; the tissue stands alone here
    if (!alone.cloth.drapeOver.empty()) {
      // A draped sheet's shape, and so what its regions select, needs the tissues under it:
      // the whole session checks them (placed at the region's line).
      alone.cloth.drapeOver.clear();
      alone.regions.clear();
    }
    auto added = scratch.addTissue(alone);
    if (!added.ok()) placeWorldError(added.error());
  }
  auto byPlace = [](const Error& a, const Error& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  };
  std::stable_sort(result.errors.begin(), result.errors.end(), byPlace);
  if (!result.errors.empty()) return result;
  auto session = buildSession(desc);
  if (!session.ok()) {
    placeWorldError(session.error());
    return result;
  }
  // Hashes. What determines the simulation (contentHash: a recording replays only against
  // it): the document without its scoring sections and descriptive text, read as YAML (so
  // comments, quoting and layout do not count), and every file it references. What scores
  // it (scoringHash: a recording made under other rules is re-scored). And the file's bytes
  // with the files it references (fileHash: what format-1 recordings carry).
  StateHasher h, scoring, bytes;
  bytes.addString(text);
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (kScoringSections.count(name) || kDescriptiveKeys.count(name)) continue;
    hashYaml(h, it->first);
    hashYaml(h, it->second);
  }
  for (const char* section : {"checklist", "errors", "scoring", "feedback"}) {
    scoring.addString(section);
    hashYaml(scoring, root[section]);
  }
  // The benchmark scores the run, so what scores with it (policy, thresholds, the experts'
  // means) counts in the scoring hash: recalibrating to other numbers re-scores recordings
  // (it cannot make them diverge); its provenance (sources, dates) does not, so a benchmark
  // may list the digests of recordings made under it. The whole-file hash of format 1
  // takes its bytes.
  if (const std::optional<Benchmark>& b = desc.scoring.benchmark) {
    scoring.addString(toString(b->policy));
    for (const MetricBenchmark& m : b->metrics) {
      scoring.addString(m.name);
      scoring.add(m.threshold);
      scoring.add(m.mean);
    }
    bytes.addString(b->file.filename().string());
    if (auto content = readFileBytes(b->file); content.ok())
      bytes.addSpan(std::span<const uint8_t>(content.value()));
  }
  // A file referenced twice (two labels of one volume) is read once and hashed twice, as listed.
  std::map<fs::path, std::optional<std::vector<uint8_t>>> contents;
  for (const auto& path : referenced) {
    for (StateHasher* each : {&h, &bytes}) each->addString(path.filename().string());
    auto [at, fresh] = contents.try_emplace(path);
    if (fresh) {
      if (auto content = readFileBytes(path); content.ok()) at->second = std::move(content).value();
    }
    if (!at->second) continue;
    for (StateHasher* each : {&h, &bytes}) each->addSpan(std::span<const uint8_t>(*at->second));
  }
  desc.contentHash = h.digest();
  desc.scoringHash = scoring.digest();
  desc.fileHash = bytes.digest();
  result.scenario = std::move(desc);
  return result;
}

const char* toString(Formula formula) {
  switch (formula) {
    case Formula::kChecklist: return "checklist";
    case Formula::kFls: return "fls";
  }
  return "?";
}

const char* toString(Penalty penalty) {
  switch (penalty) {
    case Penalty::kErrors: return "errors";
    case Penalty::kAreaDeviationPercent: return "area_deviation_percent";
    case Penalty::kPegsDropped: return "pegs_dropped";
  }
  return "?";
}

LoadResult loadScenarioFile(const fs::path& file, const LoadOptions& options) {
  constexpr uintmax_t kMaxBytes = 4u << 20;  // scenarios are text; meshes live in their own files
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (!ec && size > kMaxBytes) {
    LoadResult r;
    SourceLocation where;
    where.file = file.string();
    r.errors.push_back(
        makeError(ErrorCode::kInvalidInput,
                  "the file is " + std::to_string(size) + " bytes; a scenario is at most 4 MiB", where,
                  "keep meshes and volumes in their own files and refer to them"));
    return r;
  }
  auto text = readFileText(file);
  if (!text.ok()) {
    LoadResult r;
    r.errors.push_back(text.error());
    return r;
  }
  return loadScenarioText(text.value(), file, options);
}

}  // namespace trocar::scenario
