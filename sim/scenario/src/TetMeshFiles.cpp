#include "TetMeshFiles.h"

#include <trocar/core/File.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>

namespace trocar::scenario {
namespace {

// Splits into lines, dropping comments (#) and blank lines; keeps 1-based line numbers.
std::vector<std::pair<uint32_t, std::string>> contentLines(const std::string& text) {
  std::vector<std::pair<uint32_t, std::string>> out;
  std::istringstream in(text);
  std::string line;
  uint32_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.emplace_back(number, line);
  }
  return out;
}

Error at(const std::filesystem::path& file, uint32_t line, const std::string& what, const std::string& hint) {
  SourceLocation where;
  where.file = file.string();
  where.line = line;
  return makeError(ErrorCode::kInvalidInput, what, where, hint);
}

}  // namespace

Result<physics::TetMesh> readTetGen(std::filesystem::path path, float scale, Vec3 offset) {
  const std::filesystem::path nodeFile = path.replace_extension(".node");
  const std::filesystem::path eleFile = path.replace_extension(".ele");
  auto nodeText = readFileText(nodeFile);
  if (!nodeText.ok()) return nodeText.error();
  auto eleText = readFileText(eleFile);
  if (!eleText.ok()) return eleText.error();
  return parseTetGen(nodeText.value(), nodeFile, eleText.value(), eleFile, scale, offset);
}

Result<physics::TetMesh> parseTetGen(const std::string& nodeText, const std::filesystem::path& nodeFile,
                                     const std::string& eleText, const std::filesystem::path& eleFile,
                                     float scale, Vec3 offset) {
  physics::TetMesh mesh;
  auto nodes = contentLines(nodeText);
  if (nodes.empty())
    return at(nodeFile, 1, "empty .node file", "TetGen writes '<points> 3 <attributes> <markers>' first");
  long count = 0, dim = 0;
  {
    std::istringstream head(nodes[0].second);
    if (!(head >> count >> dim) || count <= 0 || dim != 3 || count > 10'000'000) {
      return at(nodeFile, nodes[0].first, "bad .node header: expected '<points> 3 ...'",
                "regenerate it with TetGen");
    }
  }
  if (nodes.size() < static_cast<size_t>(count) + 1) {
    return at(nodeFile, nodes.back().first,
              "the header promises " + std::to_string(count) + " points but the file has " +
                  std::to_string(nodes.size() - 1),
              "the file is truncated");
  }
  long base = -1;
  for (long i = 0; i < count; ++i) {
    const auto& [line, text] = nodes[static_cast<size_t>(i) + 1];
    std::istringstream in(text);
    long index;
    double x, y, z;
    if (!(in >> index >> x >> y >> z) || !std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z)) {
      return at(nodeFile, line, "expected '<index> <x> <y> <z>'", "numbers only, one point per line");
    }
    if (base < 0) base = index;
    if (index != base + i)
      return at(nodeFile, line, "point index " + std::to_string(index) + " is out of sequence",
                "indices must count up by one");
    mesh.nodes.push_back(offset +
                         scale * Vec3(static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)));
  }
  auto eles = contentLines(eleText);
  if (eles.empty())
    return at(eleFile, 1, "empty .ele file", "TetGen writes '<tetrahedra> 4 <attributes>' first");
  long tets = 0, perTet = 0;
  {
    std::istringstream head(eles[0].second);
    if (!(head >> tets >> perTet) || tets <= 0 || perTet != 4 || tets > 50'000'000) {
      return at(eleFile, eles[0].first, "bad .ele header: expected '<tetrahedra> 4 ...'",
                "only linear (4-node) tetrahedra are supported");
    }
  }
  if (eles.size() < static_cast<size_t>(tets) + 1) {
    return at(eleFile, eles.back().first,
              "the header promises " + std::to_string(tets) + " tetrahedra but the file has " +
                  std::to_string(eles.size() - 1),
              "the file is truncated");
  }
  for (long i = 0; i < tets; ++i) {
    const auto& [line, text] = eles[static_cast<size_t>(i) + 1];
    std::istringstream in(text);
    long index, a, b, c, d;
    if (!(in >> index >> a >> b >> c >> d))
      return at(eleFile, line, "expected '<index> <n1> <n2> <n3> <n4>'", "one tetrahedron per line");
    std::array<uint32_t, 4> t{};
    long v[4] = {a, b, c, d};
    for (int k = 0; k < 4; ++k) {
      long n = v[k] - base;
      if (n < 0 || n >= count) {
        return at(eleFile, line,
                  "tetrahedron " + std::to_string(index) + " refers to point " + std::to_string(v[k]) +
                      ", which the .node file does not have",
                  "the .node and .ele files must come from the same TetGen run");
      }
      t[static_cast<size_t>(k)] = static_cast<uint32_t>(n);
    }
    mesh.tets.push_back(t);
  }
  return mesh;
}

namespace {

// A line-by-line reader over the .msh text that knows its line numbers.
class MshReader {
 public:
  MshReader(const std::filesystem::path& file, const std::string& text) : mFile(file), mIn(text) {}
  bool next(std::string& line) {
    while (std::getline(mIn, line)) {
      ++mLine;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  }
  Error error(const std::string& what,
              const std::string& hint = "check that Gmsh wrote it completely") const {
    return at(mFile, mLine, what, hint);
  }
  uint32_t line() const { return mLine; }

 private:
  std::filesystem::path mFile;
  std::istringstream mIn;
  uint32_t mLine = 0;
};

}  // namespace

Result<physics::TetMesh> readGmsh(const std::filesystem::path& path, float scale, Vec3 offset) {
  auto text = readFileText(path);
  if (!text.ok()) return text.error();
  return parseGmsh(text.value(), path, scale, offset);
}

Result<physics::TetMesh> parseGmsh(const std::string& text, const std::filesystem::path& path, float scale,
                                   Vec3 offset) {
  MshReader in(path, text);
  std::string line;
  double version = 0.0;
  std::map<long, uint32_t> nodeIndex;  // Gmsh node tag -> our index
  physics::TetMesh mesh;
  std::vector<std::array<long, 4>> tetTags;
  auto expect = [&](const char* tag) -> Result<void> {
    if (!in.next(line) || line.rfind(tag, 0) != 0) return in.error(std::string("expected ") + tag);
    return success();
  };
  while (in.next(line)) {
    if (line.rfind("$MeshFormat", 0) == 0) {
      if (!in.next(line)) return in.error("the file ends inside $MeshFormat");
      std::istringstream f(line);
      int fileType = 0;
      if (!(f >> version >> fileType)) return in.error("bad $MeshFormat line", "expected e.g. '4.1 0 8'");
      if (fileType != 0)
        return in.error("binary .msh files are not supported",
                        "save the mesh from Gmsh as ASCII (Binary off)");
      if (version < 2.0 || version >= 5.0)
        return in.error("unsupported .msh version " + std::to_string(version), "save as version 2.2 or 4.1");
      TROCAR_TRY(expect("$EndMeshFormat"));
    } else if (line.rfind("$Nodes", 0) == 0) {
      if (!in.next(line)) return in.error("the file ends inside $Nodes");
      std::istringstream h(line);
      if (version < 4.0) {
        long count = 0;
        if (!(h >> count) || count <= 0 || count > 10'000'000) return in.error("bad node count");
        for (long i = 0; i < count; ++i) {
          if (!in.next(line)) return in.error("the file ends inside $Nodes");
          std::istringstream n(line);
          long tag;
          double x, y, z;
          if (!(n >> tag >> x >> y >> z) || !std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z)) {
            return in.error("expected '<tag> <x> <y> <z>'");
          }
          nodeIndex[tag] = static_cast<uint32_t>(mesh.nodes.size());
          mesh.nodes.push_back(
              offset + scale * Vec3(static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)));
        }
      } else {
        long blocks = 0, count = 0;
        if (!(h >> blocks >> count) || blocks < 0 || count <= 0 || count > 10'000'000)
          return in.error("bad $Nodes header");
        for (long b = 0; b < blocks; ++b) {
          if (!in.next(line)) return in.error("the file ends inside $Nodes");
          std::istringstream bh(line);
          long dim, entity, parametric, n;
          if (!(bh >> dim >> entity >> parametric >> n) || n < 0 || n > count)
            return in.error("bad node block header");
          if (parametric != 0)
            return in.error("parametric nodes are not supported", "save without parametric coordinates");
          std::vector<long> tags;
          for (long i = 0; i < n; ++i) {
            if (!in.next(line)) return in.error("the file ends inside a node block");
            std::istringstream t(line);
            long tag;
            if (!(t >> tag)) return in.error("expected a node tag");
            tags.push_back(tag);
          }
          for (long i = 0; i < n; ++i) {
            if (!in.next(line)) return in.error("the file ends inside a node block");
            std::istringstream c(line);
            double x, y, z;
            if (!(c >> x >> y >> z) || !std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z))
              return in.error("expected '<x> <y> <z>'");
            nodeIndex[tags[static_cast<size_t>(i)]] = static_cast<uint32_t>(mesh.nodes.size());
            mesh.nodes.push_back(
                offset + scale * Vec3(static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)));
          }
        }
      }
      TROCAR_TRY(expect("$EndNodes"));
    } else if (line.rfind("$Elements", 0) == 0) {
      if (!in.next(line)) return in.error("the file ends inside $Elements");
      std::istringstream h(line);
      auto addTet = [&](const std::array<long, 4>& tags) -> Result<void> {
        std::array<uint32_t, 4> t{};
        for (size_t k = 0; k < 4; ++k) {
          auto it = nodeIndex.find(tags[k]);
          if (it == nodeIndex.end()) {
            return in.error(
                "element refers to node " + std::to_string(tags[k]) + ", which $Nodes does not define",
                "the $Nodes section must come first and be complete");
          }
          t[k] = it->second;
        }
        mesh.tets.push_back(t);
        return success();
      };
      if (version < 4.0) {
        long count = 0;
        if (!(h >> count) || count < 0 || count > 50'000'000) return in.error("bad element count");
        for (long i = 0; i < count; ++i) {
          if (!in.next(line)) return in.error("the file ends inside $Elements");
          std::istringstream e(line);
          long tag, type, ntags;
          if (!(e >> tag >> type >> ntags) || ntags < 0 || ntags > 64)
            return in.error("expected '<tag> <type> <ntags> ...'");
          for (long k = 0; k < ntags; ++k) {
            long ignored;
            e >> ignored;
          }
          if (type != 4) continue;
          std::array<long, 4> n{};
          if (!(e >> n[0] >> n[1] >> n[2] >> n[3])) return in.error("a tetrahedron needs 4 node tags");
          TROCAR_TRY(addTet(n));
        }
      } else {
        long blocks = 0, count = 0;
        if (!(h >> blocks >> count) || blocks < 0 || count < 0) return in.error("bad $Elements header");
        for (long b = 0; b < blocks; ++b) {
          if (!in.next(line)) return in.error("the file ends inside $Elements");
          std::istringstream bh(line);
          long dim, entity, type, n;
          if (!(bh >> dim >> entity >> type >> n) || n < 0 || n > count)
            return in.error("bad element block header");
          for (long i = 0; i < n; ++i) {
            if (!in.next(line)) return in.error("the file ends inside an element block");
            if (type != 4) continue;
            std::istringstream e(line);
            long tag;
            std::array<long, 4> nodes{};
            if (!(e >> tag >> nodes[0] >> nodes[1] >> nodes[2] >> nodes[3]))
              return in.error("a tetrahedron needs 4 node tags");
            TROCAR_TRY(addTet(nodes));
          }
        }
      }
      TROCAR_TRY(expect("$EndElements"));
    }
    // Other sections ($PhysicalNames, $Entities, ...) are skipped line by line.
  }
  if (version == 0.0)
    return at(path, 1, "not a Gmsh mesh: no $MeshFormat section", "export from Gmsh as .msh (ASCII)");
  if (mesh.tets.empty()) {
    return at(path, in.line(), "the mesh has no tetrahedra (element type 4)",
              "mesh the volume (3D) in Gmsh, not only its surface");
  }
  return mesh;
}

Result<EmbeddedSurface> readEmbeddedSurface(const std::filesystem::path& obj,
                                            const std::filesystem::path& embed,
                                            const physics::TetMesh& mesh) {
  auto objText = readFileText(obj);
  if (!objText.ok()) return objText.error();
  auto embedText = readFileText(embed);
  if (!embedText.ok()) return embedText.error();
  return parseEmbeddedSurface(objText.value(), obj, embedText.value(), embed, mesh);
}

Result<EmbeddedSurface> parseEmbeddedSurface(const std::string& objText, const std::filesystem::path& obj,
                                             const std::string& embedText, const std::filesystem::path& embed,
                                             const physics::TetMesh& mesh) {
  EmbeddedSurface out;
  size_t vertices = 0;
  for (const auto& [number, line] : contentLines(objText)) {
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "v") {
      ++vertices;
    } else if (kind == "f") {
      std::vector<uint32_t> face;
      std::string corner;
      while (in >> corner) {
        const long index = std::strtol(corner.c_str(), nullptr, 10);
        if (index < 1 || static_cast<size_t>(index) > vertices) {
          return at(obj, number, "face corner '" + corner + "' is not a vertex defined above it",
                    "OBJ faces count vertices from 1");
        }
        face.push_back(static_cast<uint32_t>(index - 1));
      }
      if (face.size() != 3)
        return at(obj, number, "a face with " + std::to_string(face.size()) + " corners", "triangles only");
      out.indices.insert(out.indices.end(), face.begin(), face.end());
    }
  }
  const auto lines = contentLines(embedText);
  if (lines.empty() || std::strtoul(lines[0].second.c_str(), nullptr, 10) != vertices ||
      lines.size() != vertices + 1) {
    return at(embed, lines.empty() ? 1 : lines[0].first,
              "the embedding does not have one line per vertex of " + obj.filename().string() + " (" +
                  std::to_string(vertices) + ")",
              "write the surface and its embedding together (trocar import volume)");
  }
  for (size_t v = 0; v < vertices; ++v) {
    const auto& [number, line] = lines[v + 1];
    std::istringstream in(line);
    long tet = -1;
    std::array<float, 4> w{};
    if (!(in >> tet >> w[0] >> w[1] >> w[2] >> w[3]) || tet < 0 ||
        static_cast<size_t>(tet) >= mesh.tets.size()) {
      return at(embed, number,
                "expected 'tet w0 w1 w2 w3' with a tet of the mesh (0.." +
                    std::to_string(mesh.tets.empty() ? 0 : mesh.tets.size() - 1) + ")",
                "the embedding belongs to the .ele beside it");
    }
    out.nodes.push_back(mesh.tets[static_cast<size_t>(tet)]);
    out.weights.push_back(w);
  }
  return out;
}

}  // namespace trocar::scenario
