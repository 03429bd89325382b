#pragma once
// SPIR-V of shaders/*.{vert,frag}, compiled by glslc at build time (-mfmt=num) and embedded.

#include <cstdint>

namespace trocar::render::shaders {

inline constexpr uint32_t kSceneVert[] = {
#include "scene.vert.inc"
};
inline constexpr uint32_t kSceneFrag[] = {
#include "scene.frag.inc"
};

}  // namespace trocar::render::shaders
