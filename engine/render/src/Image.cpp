#include <trocar/render/Image.h>

#include <trocar/core/Assert.h>
#include <trocar/core/File.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdlib>

namespace trocar::render {
namespace {

void appendBytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

Result<void> writePng(const std::filesystem::path& path, const ImageRgba8& image) {
  TROCAR_PRECONDITION(image.pixels.size() == size_t{image.width} * image.height * 4, "image size mismatch");
  std::vector<uint8_t> bytes;
  const int ok = stbi_write_png_to_func(&appendBytes, &bytes, static_cast<int>(image.width),
                                        static_cast<int>(image.height), 4, image.pixels.data(),
                                        static_cast<int>(image.width * 4));
  if (!ok) return makeError(ErrorCode::kIo, "cannot encode PNG for " + path.string());
  return writeFileAtomic(path, std::span<const uint8_t>(bytes));
}

Result<ImageRgba8> readPng(const std::filesystem::path& path) {
  auto bytes = readFileBytes(path);
  if (!bytes) return bytes.error();
  int w = 0;
  int h = 0;
  int channels = 0;
  stbi_uc* data = stbi_load_from_memory(bytes.value().data(), static_cast<int>(bytes.value().size()), &w, &h,
                                        &channels, 4);
  if (!data) {
    return makeError(ErrorCode::kInvalidInput, std::string("not a readable PNG: ") + stbi_failure_reason(),
                     SourceLocation{path.string()}, "regenerate it, or check that it was not truncated");
  }
  ImageRgba8 out;
  out.width = static_cast<uint32_t>(w);
  out.height = static_cast<uint32_t>(h);
  out.pixels.assign(data, data + size_t{out.width} * out.height * 4);
  stbi_image_free(data);
  return out;
}

ImageDifference compareImages(const ImageRgba8& a, const ImageRgba8& b, uint32_t threshold) {
  TROCAR_PRECONDITION(a.width == b.width && a.height == b.height, "compareImages: sizes differ");
  ImageDifference d;
  d.diff.width = a.width;
  d.diff.height = a.height;
  d.diff.pixels.assign(a.pixels.size(), 0);
  uint64_t sum = 0;
  const size_t count = size_t{a.width} * a.height;
  for (size_t i = 0; i < count; ++i) {
    uint32_t pixelMax = 0;
    for (size_t c = 0; c < 3; ++c) {
      const uint32_t delta =
          static_cast<uint32_t>(std::abs(int{a.pixels[i * 4 + c]} - int{b.pixels[i * 4 + c]}));
      pixelMax = std::max(pixelMax, delta);
      sum += delta;
    }
    d.maxChannelDiff = std::max(d.maxChannelDiff, pixelMax);
    if (pixelMax > threshold) {
      ++d.differingPixels;
      d.diff.pixels[i * 4 + 0] = static_cast<uint8_t>(std::min(255u, 64u + pixelMax * 4));
    }
    d.diff.pixels[i * 4 + 3] = 255;
  }
  d.differingFraction = count ? static_cast<double>(d.differingPixels) / static_cast<double>(count) : 0.0;
  d.meanAbsDiff = count ? static_cast<double>(sum) / static_cast<double>(count * 3) : 0.0;
  return d;
}

RegionStats differenceStats(const ImageRgba8& a, const ImageRgba8& b, uint32_t threshold) {
  TROCAR_PRECONDITION(a.width == b.width && a.height == b.height, "differenceStats: sizes differ");
  RegionStats s;
  double weight = 0.0;
  double sum = 0.0;
  for (uint32_t y = 0; y < a.height; ++y) {
    for (uint32_t x = 0; x < a.width; ++x) {
      uint32_t delta = 0;
      for (uint32_t c = 0; c < 3; ++c) {
        delta += static_cast<uint32_t>(std::abs(int{a.at(x, y, c)} - int{b.at(x, y, c)}));
      }
      sum += delta;
      if (delta / 3 > threshold) {
        ++s.changedPixels;
        weight += delta;
        s.centroidX += static_cast<double>(x) * delta;
        s.centroidY += static_cast<double>(y) * delta;
      }
    }
  }
  const double count = static_cast<double>(a.width) * a.height * 3.0;
  s.meanAbsDiff = count > 0 ? sum / count : 0.0;
  if (weight > 0) {
    s.centroidX /= weight;
    s.centroidY /= weight;
  }
  return s;
}

}  // namespace trocar::render
