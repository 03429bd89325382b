#pragma once
// RGBA8 images on the host: PNG files (golden images, `replay --snapshots`) and comparisons.

#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace trocar::render {

struct ImageRgba8 {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> pixels;  // row-major, top row first, 4 bytes per pixel (sRGB-encoded)

  uint8_t at(uint32_t x, uint32_t y, uint32_t channel) const {
    return pixels[(size_t{y} * width + x) * 4 + channel];
  }
};

Result<void> writePng(const std::filesystem::path& path, const ImageRgba8& image);  // atomic replace
Result<ImageRgba8> readPng(const std::filesystem::path& path);

struct ImageDifference {
  uint32_t maxChannelDiff = 0;     // largest |a - b| over all channels, 0..255
  uint64_t differingPixels = 0;    // pixels with any channel differing by more than `threshold`
  double differingFraction = 0.0;  // differingPixels / pixel count
  double meanAbsDiff = 0.0;        // over all RGB channels
  ImageRgba8 diff;                 // black where equal, red where differing (brightness = size)
};

// Sizes must match (precondition). `threshold` is the per-channel difference ignored as noise.
ImageDifference compareImages(const ImageRgba8& a, const ImageRgba8& b, uint32_t threshold);

// Mean RGB difference of two images inside a rectangle, and its centroid of difference:
// tests use these to check *where* a change shows (a deformation, a hole).
struct RegionStats {
  double meanAbsDiff = 0.0;
  double centroidX = 0.0;  // pixel coordinates of the difference-weighted centre
  double centroidY = 0.0;
  uint64_t changedPixels = 0;
};
RegionStats differenceStats(const ImageRgba8& a, const ImageRgba8& b, uint32_t threshold);

}  // namespace trocar::render
