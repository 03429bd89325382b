#include "TetGen.h"

#include <trocar/core/File.h>

#include <sstream>

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
  std::filesystem::path nodeFile = path.replace_extension(".node");
  std::filesystem::path eleFile = path.replace_extension(".ele");
  auto nodeText = readFileText(nodeFile);
  if (!nodeText.ok()) return nodeText.error();
  auto eleText = readFileText(eleFile);
  if (!eleText.ok()) return eleText.error();

  physics::TetMesh mesh;
  auto nodes = contentLines(nodeText.value());
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
  auto eles = contentLines(eleText.value());
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

}  // namespace trocar::scenario
