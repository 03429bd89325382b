#include <trocar/instruments/Instrument.h>

#include <gtest/gtest.h>

namespace trocar::instruments {
namespace {

// Through a port the tip mirrors the handle: handle 10 cm left of the port axis -> tip to
// the right. Hand-derived: port at origin, shaft 0.36 m, handle at (-0.1, 0.2, 0):
// |handle - port| = sqrt(0.05) = 0.2236 m, depth = 0.36 - 0.2236 = 0.1364 m along
// (0.1, -0.2, 0)/0.2236 -> tip = (0.0610, -0.1220, 0).
TEST(Instrument, PortMirrorsTheHandle) {
  InstrumentSpec spec = defaultSpec(InstrumentKind::kGrasper);
  Port port{"left", Vec3(0.0f)};
  Pose hand{{-0.1f, 0.2f, 0.0f}, Quat(1, 0, 0, 0)};
  Pose tip = tipTargetFromHand(hand, spec, &port);
  EXPECT_NEAR(tip.position.x, 0.0610f, 1e-4f);
  EXPECT_NEAR(tip.position.y, -0.1220f, 1e-4f);
  EXPECT_NEAR(tip.position.z, 0.0f, 1e-6f);
  // The shaft (tool +Z) points from the tip back through the port to the handle.
  Vec3 shaft = tip.orientation * Vec3(0, 0, 1);
  Vec3 expected = glm::normalize(hand.position - tip.position);
  EXPECT_NEAR(glm::dot(shaft, expected), 1.0f, 1e-5f);
}

TEST(Instrument, PortShaftAlwaysPassesThroughThePort) {
  InstrumentSpec spec = defaultSpec(InstrumentKind::kScissors);
  Port port{"p", Vec3(0.05f, 1.1f, -0.3f)};
  for (int i = 0; i < 20; ++i) {
    float a = 0.3f * static_cast<float>(i);
    Pose hand{{0.05f + 0.1f * std::cos(a), 1.3f, -0.3f + 0.1f * std::sin(a)},
              glm::angleAxis(a, Vec3(0, 1, 0))};
    Pose tip = tipTargetFromHand(hand, spec, &port);
    // Distance from the port to the line tip->handle must be ~0.
    Vec3 d = glm::normalize(hand.position - tip.position);
    Vec3 toPort = port.position - tip.position;
    float offLine = glm::length(toPort - d * glm::dot(toPort, d));
    EXPECT_LT(offLine, 1e-5f);
  }
}

TEST(Instrument, HandleBeyondShaftLengthKeepsTipAtPort) {
  InstrumentSpec spec = defaultSpec(InstrumentKind::kGrasper);
  Port port{"p", Vec3(0.0f)};
  Pose tip = tipTargetFromHand({{0.0f, 1.0f, 0.0f}, Quat(1, 0, 0, 0)}, spec, &port);
  EXPECT_NEAR(glm::length(tip.position), 0.0f, 1e-6f);
}

TEST(Instrument, OpenToolTipIsShaftLengthAheadOfTheHand) {
  InstrumentSpec spec = defaultSpec(InstrumentKind::kScalpel);
  Pose tip = tipTargetFromHand({{0.0f, 1.0f, 0.0f}, Quat(1, 0, 0, 0)}, spec, nullptr);
  EXPECT_NEAR(tip.position.z, -spec.shaftLength, 1e-6f);
}

TEST(Instrument, TriggerClosesJaws) {
  InstrumentSpec spec = defaultSpec(InstrumentKind::kGrasper);
  EXPECT_FLOAT_EQ(jawAngleFromTrigger(0.0f, spec), spec.maxJawAngle);
  EXPECT_FLOAT_EQ(jawAngleFromTrigger(1.0f, spec), 0.0f);
  EXPECT_FLOAT_EQ(jawAngleFromTrigger(2.0f, spec), 0.0f);
}

TEST(Instrument, KindNamesRoundTrip) {
  for (auto k : {InstrumentKind::kGrasper, InstrumentKind::kScissors, InstrumentKind::kScalpel,
                 InstrumentKind::kClipApplier}) {
    EXPECT_EQ(instrumentKindFromString(toString(k)), k);
  }
  EXPECT_FALSE(instrumentKindFromString("forceps").has_value());
}

}  // namespace
}  // namespace trocar::instruments
