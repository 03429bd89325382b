#include <trocar/replay/Timeline.h>

#include <gtest/gtest.h>

namespace trocar::replay {
namespace {

// Halfway between keyframes at t = 0 and t = 2: position and trigger are the averages.
TEST(Timeline, InterpolatesAndHolds) {
  auto tl = parseTimeline(R"(keyframes:
  - {t: 0, left: {position: [0, 1, 0], trigger: 0}}
  - {t: 2, left: {position: [0.2, 1, -0.4], trigger: 1}}
)",
                          "t.yaml");
  ASSERT_TRUE(tl.ok()) << tl.error().toString();
  EXPECT_DOUBLE_EQ(tl.value().duration(), 2.0);
  auto mid = tl.value().sample(1.0);
  EXPECT_TRUE(mid.hands[0].tracked);
  EXPECT_FALSE(mid.hands[1].tracked) << "the right hand never appears";
  EXPECT_NEAR(mid.hands[0].pose.position.x, 0.1f, 1e-6f);
  EXPECT_NEAR(mid.hands[0].pose.position.z, -0.2f, 1e-6f);
  EXPECT_NEAR(mid.hands[0].trigger, 0.5f, 1e-6f);
  auto after = tl.value().sample(5.0);
  EXPECT_NEAR(after.hands[0].trigger, 1.0f, 1e-6f);
}

// The instrument switches at its keyframe (no blending): before t = 1 the first, from it
// the second; it holds when later keyframes leave it out.
TEST(Timeline, InstrumentSwitchesAtItsKeyframe) {
  auto tl = parseTimeline(R"(keyframes:
  - {t: 0, right: {position: [0, 1, 0]}}
  - {t: 1, right: {position: [0, 1, 0], instrument: 2}}
  - {t: 2, right: {position: [0, 1, 0.1]}}
)",
                          "t.yaml");
  ASSERT_TRUE(tl.ok()) << tl.error().toString();
  EXPECT_EQ(tl.value().sample(0.0).hands[1].instrument, 0);
  EXPECT_EQ(tl.value().sample(0.999).hands[1].instrument, 0);
  EXPECT_EQ(tl.value().sample(1.0).hands[1].instrument, 2);
  EXPECT_EQ(tl.value().sample(1.5).hands[1].instrument, 2);
  EXPECT_EQ(tl.value().sample(9.0).hands[1].instrument, 2);
  auto bad = parseTimeline("keyframes: [{t: 0, left: {instrument: 1.5}}]", "b.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "instrument must be a whole number from 0 to 127");
}

TEST(Timeline, ErrorsNameLineAndColumn) {
  auto bad = parseTimeline("keyframes:\n  - {t: 1, left: {position: [0, 1]}}\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "position must be [x, y, z] in metres");
  EXPECT_EQ(bad.error().where.line, 2u);
  EXPECT_EQ(bad.error().where.column, 29u);  // the opening bracket of the list
  auto order = parseTimeline("keyframes:\n  - {t: 1}\n  - {t: 0.5}\n", "o.yaml");
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message, "keyframe times must increase");
  EXPECT_EQ(order.error().where.line, 3u);
  EXPECT_FALSE(parseTimeline("", "e.yaml").ok());
  EXPECT_FALSE(parseTimeline("keyframes: [{t: 0, left: {trigger: 3}}]", "r.yaml").ok());
  EXPECT_FALSE(parseTimeline("[[[", "y.yaml").ok());
}

}  // namespace
}  // namespace trocar::replay
