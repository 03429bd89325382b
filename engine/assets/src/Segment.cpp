// Masks of structures: thresholds, labels, 6-connected components, hole filling, label names.
#include <trocar/assets/Volume.h>

#include <trocar/core/File.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

namespace trocar::assets {
namespace {

Mask emptyLike(const Mask& m) {
  Mask out;
  out.dims = m.dims;
  out.in.assign(m.in.size(), 0);
  return out;
}

// Flood fill over 6-neighbours from `start` through voxels where in[v] == value, marking
// them in `label` with `id`. Returns the number of voxels reached.
size_t flood(const Mask& m, uint8_t value, size_t start, std::vector<uint32_t>& label, uint32_t id) {
  const size_t nx = m.dims[0], ny = m.dims[1], nz = m.dims[2];
  std::vector<size_t> stack{start};
  label[start] = id;
  size_t reached = 0;
  while (!stack.empty()) {
    const size_t v = stack.back();
    stack.pop_back();
    ++reached;
    const size_t i = v % nx, j = (v / nx) % ny, k = v / (nx * ny);
    const size_t next[6] = {i > 0 ? v - 1 : v,       i + 1 < nx ? v + 1 : v,  j > 0 ? v - nx : v,
                            j + 1 < ny ? v + nx : v, k > 0 ? v - nx * ny : v, k + 1 < nz ? v + nx * ny : v};
    for (size_t w : next) {
      if (w != v && label[w] == 0 && m.in[w] == value) {
        label[w] = id;
        stack.push_back(w);
      }
    }
  }
  return reached;
}

}  // namespace

size_t Mask::count() const {
  return static_cast<size_t>(std::count(in.begin(), in.end(), uint8_t{1}));
}

Mask threshold(const Volume& v, float lo, float hi) {
  Mask m;
  m.dims = v.dims;
  m.in.resize(v.values.size());
  for (size_t i = 0; i < v.values.size(); ++i) m.in[i] = v.values[i] >= lo && v.values[i] <= hi ? 1 : 0;
  return m;
}

Mask cropToContent(const Mask& m, uint32_t pad, std::array<int, 3>& origin) {
  origin = {0, 0, 0};
  std::array<int, 3> lo{INT32_MAX, INT32_MAX, INT32_MAX}, hi{-1, -1, -1};
  const int nx = static_cast<int>(m.dims[0]), ny = static_cast<int>(m.dims[1]),
            nz = static_cast<int>(m.dims[2]);
  size_t at = 0;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i, ++at) {
        if (!m.in[at]) continue;
        lo = {std::min(lo[0], i), std::min(lo[1], j), std::min(lo[2], k)};
        hi = {std::max(hi[0], i), std::max(hi[1], j), std::max(hi[2], k)};
      }
  if (hi[0] < 0) return m;
  const int p = static_cast<int>(pad);
  Mask out;
  for (int a = 0; a < 3; ++a) {
    origin[static_cast<size_t>(a)] = lo[static_cast<size_t>(a)] - p;
    out.dims[static_cast<size_t>(a)] =
        static_cast<uint32_t>(hi[static_cast<size_t>(a)] - lo[static_cast<size_t>(a)] + 1 + 2 * p);
  }
  out.in.assign(static_cast<size_t>(out.dims[0]) * out.dims[1] * out.dims[2], 0);
  for (int k = lo[2]; k <= hi[2]; ++k)
    for (int j = lo[1]; j <= hi[1]; ++j) {
      const size_t from = (static_cast<size_t>(k) * m.dims[1] + static_cast<size_t>(j)) * m.dims[0];
      const size_t to =
          (static_cast<size_t>(k - origin[2]) * out.dims[1] + static_cast<size_t>(j - origin[1])) *
          out.dims[0];
      for (int i = lo[0]; i <= hi[0]; ++i)
        out.in[to + static_cast<size_t>(i - origin[0])] = m.in[from + static_cast<size_t>(i)];
    }
  return out;
}

Mask labelMask(const Volume& v, int label) {
  const size_t layer = static_cast<size_t>(label / kLayerStride);
  const float l = static_cast<float>(label % kLayerStride);
  if (layer == 0) return threshold(v, l, l);
  Mask m;
  m.dims = v.dims;
  m.in.assign(v.voxelCount(), 0);
  if (layer > v.moreLayers.size()) return m;  // no such layer: empty, reported as such
  const std::vector<float>& values = v.moreLayers[layer - 1];
  for (size_t i = 0; i < values.size(); ++i) m.in[i] = values[i] == l ? 1 : 0;
  return m;
}

std::string labelText(int key) {
  if (key < kLayerStride) return "label " + std::to_string(key);
  return "layer " + std::to_string(key / kLayerStride) + " label " + std::to_string(key % kLayerStride);
}

Mask largestComponent(const Mask& m) {
  std::vector<uint32_t> label(m.in.size(), 0);
  uint32_t next = 0, best = 0;
  size_t bestSize = 0;
  for (size_t v = 0; v < m.in.size(); ++v) {
    if (m.in[v] != 1 || label[v] != 0) continue;
    const size_t n = flood(m, 1, v, label, ++next);
    if (n > bestSize) {
      bestSize = n;
      best = next;
    }
  }
  Mask out = emptyLike(m);
  for (size_t v = 0; v < m.in.size(); ++v) out.in[v] = best != 0 && label[v] == best ? 1 : 0;
  return out;
}

Mask componentAt(const Mask& m, const std::array<uint32_t, 3>& seed) {
  Mask out = emptyLike(m);
  if (seed[0] >= m.dims[0] || seed[1] >= m.dims[1] || seed[2] >= m.dims[2]) return out;
  const size_t start = (static_cast<size_t>(seed[2]) * m.dims[1] + seed[1]) * m.dims[0] + seed[0];
  if (m.in[start] != 1) return out;
  std::vector<uint32_t> label(m.in.size(), 0);
  flood(m, 1, start, label, 1);
  for (size_t v = 0; v < m.in.size(); ++v) out.in[v] = label[v] == 1 ? 1 : 0;
  return out;
}

Mask fillHoles(const Mask& m) {
  // Background reachable from the border stays background; the rest is a hole.
  std::vector<uint32_t> label(m.in.size(), 0);
  const uint32_t nx = m.dims[0], ny = m.dims[1], nz = m.dims[2];
  for (uint32_t k = 0; k < nz; ++k) {
    for (uint32_t j = 0; j < ny; ++j) {
      for (uint32_t i = 0; i < nx; ++i) {
        const bool border = i == 0 || j == 0 || k == 0 || i + 1 == nx || j + 1 == ny || k + 1 == nz;
        if (!border) continue;
        const size_t v = (static_cast<size_t>(k) * ny + j) * nx + i;
        if (m.in[v] == 0 && label[v] == 0) flood(m, 0, v, label, 1);
      }
    }
  }
  Mask out = m;
  for (size_t v = 0; v < m.in.size(); ++v) {
    if (m.in[v] == 0 && label[v] == 0) out.in[v] = 1;
  }
  return out;
}

Result<std::map<int, std::string>> readLabelNames(const std::filesystem::path& path) {
  auto text = readFileText(path);
  if (!text.ok()) return text.error();
  return parseLabelNames(text.value(), path);
}

Result<std::map<int, std::string>> parseLabelNames(const std::string& text,
                                                   const std::filesystem::path& path) {
  std::map<int, std::string> names;
  std::istringstream lines(text);
  std::string line;
  uint32_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream fields(line);
    long index = 0;
    std::string name;
    // ITK-SNAP's label descriptions quote the name after the colour and visibility columns
    // (0 "Clear Label" among them); FreeSurfer and 3D Slicer colour tables and the AAL list
    // have it second.
    const size_t open = line.find('"'), close = open == std::string::npos ? open : line.find('"', open + 1);
    bool named = false;
    if (fields >> index) {
      if (open != std::string::npos && close != std::string::npos) {
        name = line.substr(open + 1, close - open - 1);
        named = !name.empty();
      } else {
        named = static_cast<bool>(fields >> name);
      }
    }
    if (!named || index < 0 || index > 1000000) {
      SourceLocation where;
      where.file = path.string();
      where.line = number;
      where.column = static_cast<uint32_t>(first) + 1;
      return makeError(
          ErrorCode::kInvalidInput, "a label line is 'index name': " + line, where,
          "e.g. '1 Precentral_L' (or ITK-SNAP's '1 255 0 0 1 1 1 \"Liver\"'); lines starting with # are "
          "comments");
    }
    if (index == 0) continue;  // the background, in every label map
    if (!names.emplace(static_cast<int>(index), name).second) {
      SourceLocation where;
      where.file = path.string();
      where.line = number;
      where.column = static_cast<uint32_t>(first) + 1;
      return makeError(ErrorCode::kInvalidInput, "label " + std::to_string(index) + " is named twice", where,
                       "give each label one line");
    }
  }
  if (names.empty())
    return makeError(ErrorCode::kInvalidInput, path.string() + ": no labels", "one 'index name' per line");
  return names;
}

}  // namespace trocar::assets
