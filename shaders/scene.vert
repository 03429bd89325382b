#version 450
// Trocar scene vertex shader. One pass draws both eyes with multiview: gl_ViewIndex picks
// the eye's view-projection (0 in mono passes).
#extension GL_EXT_multiview : require

layout(set = 0, binding = 0) uniform Frame {
  mat4 viewProj[2];
  vec4 eye[2];
  vec4 lightDir;    // xyz towards the key light
  vec4 lightColor;  // rgb, w = headlight strength
  vec4 ambient;
} frame;

layout(push_constant) uniform Draw {
  mat4 model;
  vec4 colorRoughness;
  vec4 params;   // wetness, wrap, shading, texture
  vec4 damage;   // rgb, strength
  vec4 ink;      // first chunk, chunk count, width (m)
} draw;

layout(location = 0) in vec3 inPosition;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec2 inUv;
layout(location = 3) in float inStress;
layout(location = 4) in float inCut;
layout(location = 5) in vec3 inRest;

layout(location = 0) out vec3 outWorld;
layout(location = 1) out vec3 outNormal;
layout(location = 2) out vec2 outUv;
layout(location = 3) out float outStress;
layout(location = 4) out float outCut;
layout(location = 5) out vec3 outRest;

void main() {
  vec4 world = draw.model * vec4(inPosition, 1.0);
  outWorld = world.xyz;
  outNormal = mat3(draw.model) * inNormal;
  outUv = inUv;
  outStress = inStress;
  outCut = inCut;
  outRest = inRest;
  gl_Position = frame.viewProj[gl_ViewIndex] * world;
}
