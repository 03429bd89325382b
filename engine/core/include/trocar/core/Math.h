#pragma once
// Math aliases: glm, single precision, SI units, right-handed, +Y up, -Z forward
// (the OpenXR stage convention; DESIGN.md section 3).

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

namespace trocar {

using Vec2 = glm::vec2;
using Vec3 = glm::vec3;
using Vec4 = glm::vec4;
using Quat = glm::quat;  // glm stores (w, x, y, z); construct with Quat(w, x, y, z)
using Mat3 = glm::mat3;
using Mat4 = glm::mat4;

constexpr float kPi = 3.14159265358979323846f;

// A rigid transform: rotate, then translate. Metres.
struct Pose {
  Vec3 position{0.0f};
  Quat orientation{1.0f, 0.0f, 0.0f, 0.0f};

  Vec3 transformPoint(const Vec3& p) const { return position + orientation * p; }
  Vec3 transformVector(const Vec3& v) const { return orientation * v; }
  Pose inverse() const {
    Quat inv = glm::conjugate(orientation);
    return {inv * -position, inv};
  }
  Pose operator*(const Pose& rhs) const {
    return {transformPoint(rhs.position), orientation * rhs.orientation};
  }
};

// Linear interpolation of position, spherical of orientation (shortest arc).
Pose interpolate(const Pose& a, const Pose& b, float t);

}  // namespace trocar
