#include <trocar/core/Math.h>

#include <gtest/gtest.h>

namespace trocar {
namespace {

TEST(Pose, ComposesAndInverts) {
  // 90 degrees about +Y maps +X to -Z (right-handed).
  Pose p{{1.0f, 2.0f, 3.0f}, glm::angleAxis(kPi / 2, Vec3(0, 1, 0))};
  Vec3 q = p.transformPoint({1.0f, 0.0f, 0.0f});
  EXPECT_NEAR(q.x, 1.0f, 1e-6f);
  EXPECT_NEAR(q.y, 2.0f, 1e-6f);
  EXPECT_NEAR(q.z, 2.0f, 1e-6f);
  Pose identity = p * p.inverse();
  EXPECT_NEAR(glm::length(identity.position), 0.0f, 1e-6f);
  EXPECT_NEAR(std::abs(identity.orientation.w), 1.0f, 1e-6f);
}

TEST(Pose, InterpolatesHalfway) {
  Pose a{{0, 0, 0}, Quat(1, 0, 0, 0)};
  Pose b{{2, 0, 0}, glm::angleAxis(kPi / 2, Vec3(0, 0, 1))};
  Pose m = interpolate(a, b, 0.5f);
  EXPECT_NEAR(m.position.x, 1.0f, 1e-6f);
  EXPECT_NEAR(glm::angle(m.orientation), kPi / 4, 1e-5f);
}

}  // namespace
}  // namespace trocar
