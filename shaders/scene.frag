#version 450
// Trocar scene fragment shader: tissue (wrap diffuse, wet highlight), fabric, plastic, metal
// and unlit screens. Output is linear; the sRGB attachment encodes it.

#extension GL_EXT_multiview : require

layout(set = 0, binding = 0) uniform Frame {
  mat4 viewProj[2];
  vec4 eye[2];
  vec4 lightDir;
  vec4 lightColor;
  vec4 ambient;
} frame;

layout(set = 1, binding = 0) uniform sampler2D screenTexture;

layout(push_constant) uniform Draw {
  mat4 model;
  vec4 colorRoughness;
  vec4 params;
  vec4 damage;
  vec4 ink;  // first chunk, chunk count, width (m)
} draw;

// Ink lines (markings) in the rest frame: chunks of 16 segments with a bounding sphere.
struct InkChunk {
  vec4 sphere;
  vec4 points[17];
};
layout(std430, set = 0, binding = 1) readonly buffer Ink {
  InkChunk chunks[];
} ink;

layout(location = 0) in vec3 inWorld;
layout(location = 1) in vec3 inNormal;
layout(location = 2) in vec2 inUv;
layout(location = 3) in float inStress;
layout(location = 4) in float inCut;
layout(location = 5) in vec3 inRest;

layout(location = 0) out vec4 outColor;

const uint kTissue = 0u;
const uint kFabric = 1u;
const uint kPlastic = 2u;
const uint kMetal = 3u;
const uint kScreen = 4u;

const vec3 kCutEdgeColor = vec3(0.30, 0.02, 0.02);
const vec3 kInkColor = vec3(0.02, 0.03, 0.10);

// One light's diffuse + specular. wrap lets light reach past the terminator.
vec3 shade(vec3 base, vec3 n, vec3 v, vec3 l, vec3 radiance, float roughness, float wetness, float wrap,
           bool metal) {
  float ndl = dot(n, l);
  float diffuse = clamp((ndl + wrap) / (1.0 + wrap), 0.0, 1.0);
  vec3 h = normalize(l + v);
  float ndh = max(dot(n, h), 0.0);
  float shininess = mix(256.0, 4.0, roughness);
  float broad = pow(ndh, shininess) * (shininess + 8.0) / 64.0 * step(0.0, ndl);
  float wet = wetness * pow(ndh, 600.0) * 3.0 * step(0.0, ndl);
  vec3 specColor = metal ? base : vec3(0.04 + 0.5 * (1.0 - roughness) * 0.1);
  vec3 diffuseColor = metal ? base * 0.15 : base;
  return radiance * (diffuseColor * diffuse + specColor * broad + vec3(wet));
}

// Distance (m) from a rest position to the draw's ink lines, or `reach` if none is nearer.
float inkDistance(vec3 p, float reach) {
  uint first = uint(draw.ink.x + 0.5);
  uint count = uint(draw.ink.y + 0.5);
  float best = reach;
  for (uint c = first; c < first + count; ++c) {
    vec4 sphere = ink.chunks[c].sphere;
    if (distance(p, sphere.xyz) - sphere.w > best) continue;
    for (int k = 0; k < 16; ++k) {
      vec3 a = ink.chunks[c].points[k].xyz;
      vec3 ab = ink.chunks[c].points[k + 1].xyz - a;
      float len2 = dot(ab, ab);
      float t = len2 > 0.0 ? clamp(dot(p - a, ab) / len2, 0.0, 1.0) : 0.0;
      best = min(best, distance(p, a + t * ab));
    }
  }
  return best;
}

void main() {
  uint shading = uint(draw.params.z + 0.5);
  uint textureKind = uint(draw.params.w + 0.5);
  if (shading == kScreen) {
    vec3 c = textureKind != 0u ? texture(screenTexture, inUv).rgb : draw.colorRoughness.rgb;
    outColor = vec4(c, 1.0);
    return;
  }

  vec3 n = normalize(inNormal);
  if (!gl_FrontFacing) n = -n;  // cloth and cut surfaces are seen from both sides
  // The eye comes from the uniforms, not a varying: only gl_Position may differ per view in
  // what the vertex stage hands on (some multiview implementations share the rest).
  vec3 v = normalize(frame.eye[gl_ViewIndex].xyz - inWorld);
  vec3 base = draw.colorRoughness.rgb;

  if (shading == kFabric) {
    // Woven gauze: thread pattern in rest (uv) space, 1 mm pitch for uv in metres.
    vec2 p = inUv * 1000.0;
    float weave = 0.5 + 0.5 * sin(p.x * 6.2831853) * sin(p.y * 6.2831853);
    base *= 0.86 + 0.14 * weave;
  }
  base = mix(base, draw.damage.rgb, clamp(inStress, 0.0, 1.0) * draw.damage.w);
  base = mix(base, kCutEdgeColor, clamp(inCut, 0.0, 1.0));
  // A pixel's footprint in rest metres, for an antialiased edge (taken where every pixel of
  // the draw still runs).
  float footprint = length(fwidth(inRest));
  if (draw.ink.y > 0.5) {
    float halfWidth = 0.5 * draw.ink.z;
    float aa = max(0.7 * footprint, 1e-6);
    float d = inkDistance(inRest, halfWidth + aa);
    float inked = 1.0 - smoothstep(halfWidth - aa, halfWidth + aa, d);
    base = mix(base, kInkColor, inked);
  }

  float roughness = draw.colorRoughness.a;
  float wetness = draw.params.x;
  float wrap = draw.params.y;
  bool metal = shading == kMetal;
  vec3 color = frame.ambient.rgb * base;
  color += shade(base, n, v, normalize(frame.lightDir.xyz), frame.lightColor.rgb, roughness, wetness, wrap, metal);
  color += shade(base, n, v, v, vec3(frame.lightColor.w), roughness, wetness, wrap, metal);  // headlight
  outColor = vec4(color, 1.0);
}
