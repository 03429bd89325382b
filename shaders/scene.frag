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
  vec4 scope;  // a laparoscope's lamp: intensity, reference distance (m), vignette
  vec4 shadowLight;    // xyz: a point lamp, or the direction towards the key light; w: 1, 2, 0 none
  vec4 shadowCast[4];  // per instrument shaft: (a, radius), (b, 0)
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

const vec3 kCutInside = vec3(0.85, 0.42, 0.38);  // a cut face: the tissue's colour, darker and redder
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

// Value noise in 3D (smooth, 0..1), from a hash of the lattice corners.
float hash3(vec3 p) {
  p = fract(p * 0.3183099 + vec3(0.71, 0.113, 0.419));
  p *= 17.0;
  return fract(p.x * p.y * p.z * (p.x + p.y + p.z));
}
float noise3(vec3 p) {
  vec3 i = floor(p);
  vec3 f = fract(p);
  vec3 u = f * f * (3.0 - 2.0 * f);
  return mix(mix(mix(hash3(i), hash3(i + vec3(1, 0, 0)), u.x), mix(hash3(i + vec3(0, 1, 0)), hash3(i + vec3(1, 1, 0)), u.x), u.y),
             mix(mix(hash3(i + vec3(0, 0, 1)), hash3(i + vec3(1, 0, 1)), u.x), mix(hash3(i + vec3(0, 1, 1)), hash3(i + vec3(1, 1, 1)), u.x), u.y),
             u.z);
}

// Living tissue is not one flat colour: mottling a few millimetres across and fine vessels
// (thin dark-red lines where a ridged noise crosses zero), fixed to the tissue's rest position
// so they move with it. `p` in metres.
vec3 tissueDetail(vec3 base, vec3 p) {
  float mottle = noise3(p * 180.0) * 0.6 + noise3(p * 520.0) * 0.4;
  vec3 c = base * (0.84 + 0.3 * mottle);
  float ridge = abs(noise3(p * 90.0 + vec3(3.1)) - 0.5) + 0.35 * abs(noise3(p * 260.0) - 0.5);
  float vessel = 1.0 - smoothstep(0.008, 0.03, ridge);
  return mix(c, c * vec3(0.6, 0.3, 0.3), 0.35 * vessel);
}

// The closest approach of segments p1-q1 and p2-q2: its distance, and where it is along the
// first (0..1).
float segmentsApart(vec3 p1, vec3 q1, vec3 p2, vec3 q2, out float s) {
  vec3 d1 = q1 - p1, d2 = q2 - p2, r = p1 - p2;
  float a = dot(d1, d1), e = dot(d2, d2), f = dot(d2, r);
  float c = dot(d1, r), b = dot(d1, d2);
  float denom = a * e - b * b;
  s = denom > 1e-12 ? clamp((b * f - c * e) / denom, 0.0, 1.0) : 0.0;
  float t = e > 1e-12 ? (b * s + f) / e : 0.0;
  if (t < 0.0) {
    t = 0.0;
    s = a > 1e-12 ? clamp(-c / a, 0.0, 1.0) : 0.0;
  } else if (t > 1.0) {
    t = 1.0;
    s = a > 1e-12 ? clamp((b - c) / a, 0.0, 1.0) : 0.0;
  }
  return distance(p1 + d1 * s, p2 + d2 * t);
}

// How much of the direct light reaches `p` past the instruments' shafts: the ray to the shadow
// light passing within a shaft's radius is shaded by kShadowDepth, with a penumbra that widens
// the farther the surface lies behind the shaft (a lamp some 5 mm across at 10 cm). A point on
// a shaft itself is not shaded by it.
const float kShadowDepth = 0.6;
float shadowing(vec3 p) {
  if (frame.shadowLight.w < 0.5) return 1.0;
  vec3 lamp = frame.shadowLight.w < 1.5 ? frame.shadowLight.xyz : p + normalize(frame.shadowLight.xyz) * 5.0;
  float lit = 1.0;
  for (int i = 0; i < 2; ++i) {
    vec4 a = frame.shadowCast[2 * i];
    vec3 b = frame.shadowCast[2 * i + 1].xyz;
    float r = a.w;
    if (r <= 0.0) continue;
    float onShaft;
    if (segmentsApart(p, p, a.xyz, b, onShaft) < 1.5 * r) continue;
    float along;
    float d = segmentsApart(p, lamp, a.xyz, b, along);
    float behind = along * distance(p, lamp);
    float w = 0.25 * r + 0.05 * behind;
    lit = min(lit, 1.0 - kShadowDepth * (1.0 - smoothstep(r - w, r + w, d)));
  }
  return lit;
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
  if (shading == kTissue) base = tissueDetail(base, dot(inRest, inRest) > 0.0 ? inRest : inWorld);
  base = mix(base, draw.damage.rgb, clamp(inStress, 0.0, 1.0) * draw.damage.w);
  // A cut shows the material's inside: fabric its threads, tissue its darker parenchyma.
  vec3 inner = shading == kFabric ? base * 0.82 : base * kCutInside;
  base = mix(base, inner, clamp(inCut, 0.0, 1.0));
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
  vec3 color = shade(base, n, v, normalize(frame.lightDir.xyz), frame.lightColor.rgb, roughness, wetness, wrap, metal);
  color += shade(base, n, v, v, vec3(frame.lightColor.w), roughness, wetness, wrap, metal);  // headlight
  if (frame.scope.x > 0.0) {
    // The scope's lamp at the lens: inverse-square falloff, full at the reference distance
    // (at most 4x closer than half of it), and the optics' vignette towards the corners.
    float d = distance(frame.eye[gl_ViewIndex].xyz, inWorld);
    float falloff = min(frame.scope.y * frame.scope.y / max(d * d, 1e-8), 4.0);
    color += shade(base, n, v, v, vec3(frame.scope.x * falloff), roughness, wetness, wrap, metal);
  }
  color = frame.ambient.rgb * base + shadowing(inWorld) * color;
  if (frame.scope.x > 0.0) {
    // Where in the picture (-1..1): from the world position, not gl_FragCoord (lavapipe's
    // multiview shades the second view wrongly when a shader reads gl_FragCoord).
    vec4 clip = frame.viewProj[gl_ViewIndex] * vec4(inWorld, 1.0);
    vec2 q = clip.xy / clip.w;
    color *= 1.0 - frame.scope.z * 0.5 * dot(q, q);
  }
  outColor = vec4(color, 1.0);
}
