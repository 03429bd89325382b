#include <trocar/core/Math.h>

namespace trocar {

Pose interpolate(const Pose& a, const Pose& b, float t) {
  return {glm::mix(a.position, b.position, t), glm::slerp(a.orientation, b.orientation, t)};
}

}  // namespace trocar
