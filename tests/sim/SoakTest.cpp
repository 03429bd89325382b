// Soak: 20,000 ticks of pseudo-random instrument motion, jaw and cut actions on each tissue
// kind. No NaN, no crash, node speeds bounded. (Seeded generator: the run is repeatable.)
#include "SimTestUtil.h"

#include <trocar/physics/Generators.h>

#include <gtest/gtest.h>

#include <random>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

TissueSettings tissueOfKind(TissueKind kind) {
  TissueSettings s;
  s.name = "soak";
  s.kind = kind;
  s.material.massKg = 0.02f;
  if (kind == TissueKind::kCloth) {
    s = test::clothAt(0.08f, 12);
  } else if (kind == TissueKind::kVolumetric) {
    s.tetMesh = generateTetBox({0.03f, 0.015f, 0.03f}, 6, 3, 6, {{0.0f, 0.016f, 0.0f}, Quat(1, 0, 0, 0)});
  } else {
    s.surface = generateSphere(Vec3(0.025f), 2, {{0.0f, 0.03f, 0.0f}, Quat(1, 0, 0, 0)});
    s.material.volume = 0.8f;
  }
  return s;
}

class Soak : public ::testing::TestWithParam<TissueKind> {};

TEST_P(Soak, TwentyThousandTicksStayBounded) {
  World world(WorldSettings{});
  TissueId id = world.addTissue(tissueOfKind(GetParam())).value();
  auto grasper = test::openInstrument(InstrumentKind::kGrasper);
  auto scissors = test::openInstrument(InstrumentKind::kScissors);
  world.setInstrument(Hand::kLeft, grasper);
  world.setInstrument(Hand::kRight, scissors);
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Vec3 target[2] = {{-0.02f, 0.1f, 0.0f}, {0.02f, 0.1f, 0.0f}};
  float trigger[2] = {0.0f, 0.0f};
  int instabilities = 0;
  for (int t = 0; t < 20000; ++t) {
    if (t % 50 == 0) {
      for (int h = 0; h < 2; ++h) {
        target[h] = {0.035f * u(rng), 0.04f + 0.04f * u(rng), 0.035f * u(rng)};
        trigger[h] = u(rng) > 0.0f ? 1.0f : 0.0f;
      }
    }
    InputFrame in;
    for (int h = 0; h < 2; ++h) {
      in.hands[static_cast<size_t>(h)].pose =
          test::handPointingDown(target[h], h == 0 ? grasper.spec : scissors.spec);
      in.hands[static_cast<size_t>(h)].trigger = trigger[h];
    }
    for (const Event& e : world.step(in)) instabilities += e.kind == EventKind::kInstability;
  }
  ASSERT_TRUE(test::allFinite(world, id));
  float maxSpeed = 0.0f;
  for (uint32_t n = 0; n < world.nodeCount(id); ++n)
    maxSpeed = std::max(maxSpeed, glm::length(world.nodeVelocity(id, n)));
  EXPECT_LT(maxSpeed, WorldSettings{}.maxNodeSpeed);
  // The guard may have had to step in, but not as a way of life.
  EXPECT_LT(instabilities, 20);
  RecordProperty("instabilities", instabilities);
}

INSTANTIATE_TEST_SUITE_P(TissueKinds, Soak,
                         ::testing::Values(TissueKind::kCloth, TissueKind::kVolumetric,
                                           TissueKind::kSurface));

}  // namespace
}  // namespace trocar::physics
