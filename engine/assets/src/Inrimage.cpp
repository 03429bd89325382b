// INRIA's INRIMAGE-4 format (.inr, .inr.gz), as CGAL's data ships label volumes: a text header
// of key=value lines in a block of a multiple of 256 bytes ("#INRIMAGE-4#{" ... "##}\n"),
// then the raw voxels, x fastest. No reader in Debian's ITK knows it, so this small one does.
#include <trocar/assets/Archive.h>
#include <trocar/assets/Volume.h>

#include <cmath>
#include <cstring>
#include <glm/gtc/matrix_transform.hpp>

namespace trocar::assets {
namespace {

constexpr uint64_t kMaxPerAxis = 4096;
constexpr double kMaxTotal = 1073741824.0;  // 2^30 voxels, as readVolume
constexpr size_t kMaxHeader = 64 * 1024;

Error at(const std::string& name, size_t byte, std::string what, std::string hint) {
  SourceLocation where;
  where.file = name;
  where.byteOffset = byte;
  return makeError(ErrorCode::kInvalidInput, std::move(what), where, std::move(hint));
}

}  // namespace

Result<Volume> parseInrimage(std::string_view bytes, const std::string& name) {
  constexpr std::string_view kMagic = "#INRIMAGE-4#{";
  if (bytes.substr(0, kMagic.size()) != kMagic)
    return at(name, 0, "not an INRIMAGE-4 file (it does not start with #INRIMAGE-4#{)",
              "an .inr file from CGAL or INRIA's tools; other volumes: NIfTI, NRRD, MetaImage, DICOM");
  const size_t close = bytes.find("##}\n");
  if (close > kMaxHeader)  // npos too
    return at(name, 0, "the header has no end (##} within the first 64 KiB)", "the file is damaged");
  const size_t headerEnd = close + 4;
  uint64_t dims[3] = {0, 0, 0};
  uint64_t vdim = 1, bits = 8;
  std::string type = "unsigned fixed";
  bool bigEndian = false;
  glm::dvec3 spacing(1.0), origin(0.0);
  size_t lineStart = kMagic.size() + 1;
  while (lineStart < close) {
    size_t lineEnd = bytes.find('\n', lineStart);
    if (lineEnd == std::string_view::npos || lineEnd > close) lineEnd = close;
    const std::string_view line = bytes.substr(lineStart, lineEnd - lineStart);
    const size_t here = lineStart;
    lineStart = lineEnd + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return at(name, here, "header line '" + std::string(line) + "' is not key=value",
                "the file is damaged");
    const std::string key(line.substr(0, eq));
    const std::string value(line.substr(eq + 1));
    auto number = [&](double lo, double hi) -> Result<double> {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || !std::isfinite(v) || v < lo || v > hi)
        return at(
            name, here,
            key + "=" + value + " is not a number from " + std::to_string(lo) + " to " + std::to_string(hi),
            "the file is damaged");
      return v;
    };
    if (key == "XDIM" || key == "YDIM" || key == "ZDIM") {
      auto v = number(1, static_cast<double>(kMaxPerAxis));
      if (!v) return v.error();
      dims[key[0] - 'X'] = static_cast<uint64_t>(v.value());
    } else if (key == "VDIM") {
      auto v = number(1, 64);
      if (!v) return v.error();
      vdim = static_cast<uint64_t>(v.value());
    } else if (key == "TYPE") {
      type = value;
      if (type != "unsigned fixed" && type != "signed fixed" && type != "float")
        return at(name, here, "TYPE=" + value + " is not a voxel type",
                  "unsigned fixed, signed fixed or float");
    } else if (key == "PIXSIZE") {
      bits = static_cast<uint64_t>(std::strtoull(value.c_str(), nullptr, 10));
      if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
        return at(name, here, "PIXSIZE=" + value + " is not 8, 16, 32 or 64 bits", "the file is damaged");
    } else if (key == "CPU") {
      if (value == "sun" || value == "sgi")
        bigEndian = true;
      else if (value != "decm" && value != "alpha" && value != "pc")
        return at(name, here, "CPU=" + value + " is not a byte order this reader knows",
                  "decm, alpha, pc, sun or sgi");
    } else if (key == "VX" || key == "VY" || key == "VZ" || key == "TX" || key == "TY" || key == "TZ") {
      auto v = key[0] == 'V' ? number(1e-6, 1e4) : number(-1e7, 1e7);
      if (!v) return v.error();
      (key[0] == 'V' ? spacing : origin)[key[1] - 'X'] = v.value();
    }  // other keys (SCALE, #GEOMETRY, ...) say nothing a volume needs
  }
  for (int a = 0; a < 3; ++a) {
    if (dims[a] == 0)
      return at(name, 0, std::string("the header gives no ") + static_cast<char>('X' + a) + "DIM",
                "the file is damaged");
  }
  if (vdim != 1)
    return at(name, 0, "VDIM=" + std::to_string(vdim) + ": a vector image, not a volume",
              "a scalar (VDIM=1) label or intensity volume");
  if (type == "float" && bits != 32 && bits != 64)
    return at(name, 0, "a float image of " + std::to_string(bits) + " bits",
              "PIXSIZE=32 or 64 bits for float");
  const double total =
      static_cast<double>(dims[0]) * static_cast<double>(dims[1]) * static_cast<double>(dims[2]);
  if (total > kMaxTotal)
    return at(name, 0, "more voxels than Trocar imports (2^30)", "crop or downsample the volume first");
  const size_t bytesPer = bits / 8;
  const size_t need = static_cast<size_t>(total) * bytesPer;
  if (bytes.size() - headerEnd < need)
    return at(name, bytes.size(),
              "the voxel data stops short: " + std::to_string(bytes.size() - headerEnd) + " of " +
                  std::to_string(need) + " bytes",
              "the file is truncated: copy it again");

  Volume v;
  v.dims = {static_cast<uint32_t>(dims[0]), static_cast<uint32_t>(dims[1]), static_cast<uint32_t>(dims[2])};
  v.spacingMm = spacing;
  // INRIMAGE carries no orientation: the axes are taken as LPS (as ITK takes a file without one).
  v.indexToLps = glm::scale(glm::translate(glm::dmat4(1.0), origin), spacing);
  v.format = "INRIMAGE";
  const bool isFloat = type == "float", isSigned = type == "signed fixed";
  v.componentType = std::string(isFloat ? "float" : isSigned ? "int" : "uint") + std::to_string(bits);
  v.values.resize(static_cast<size_t>(total));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + headerEnd);
  for (size_t i = 0; i < v.values.size(); ++i, p += bytesPer) {
    uint64_t raw = 0;
    for (size_t b = 0; b < bytesPer; ++b)
      raw |= static_cast<uint64_t>(p[bigEndian ? bytesPer - 1 - b : b]) << (8 * b);
    double value = 0.0;
    if (isFloat && bits == 32) {
      const auto r32 = static_cast<uint32_t>(raw);
      float f = 0.0f;
      std::memcpy(&f, &r32, sizeof f);
      value = static_cast<double>(f);
    } else if (isFloat) {
      std::memcpy(&value, &raw, sizeof value);
    } else if (isSigned) {
      // Two's complement: a 64-bit word is reinterpreted; a narrower one with its sign bit set
      // is that many bits' range below (no arithmetic here can overflow an int64_t).
      int64_t s = 0;
      if (bits == 64)
        std::memcpy(&s, &raw, sizeof s);
      else
        s = static_cast<int64_t>(raw) - ((raw >> (bits - 1)) != 0 ? int64_t{1} << bits : 0);
      value = static_cast<double>(s);
    } else {
      value = static_cast<double>(raw);
    }
    v.values[i] = static_cast<float>(value);
  }
  return v;
}

Result<Volume> readInrimage(const std::filesystem::path& path) {
  // A plain .inr and an .inr.gz take the same path.
  auto bytes = readGzipFile(path, kMaxHeader + static_cast<size_t>(kMaxTotal) * 8);
  if (!bytes.ok()) return bytes.error();
  return parseInrimage(bytes.value(), path.string());
}

}  // namespace trocar::assets
