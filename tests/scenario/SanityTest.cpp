// Sanity warnings: each on a scenario made to trigger it, at its line; the shipped scenarios
// have none; --explain's measures of a generated cloth by hand.
#include <trocar/scenario/Sanity.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace trocar::scenario {
namespace {

// The instructor's mistakes from the [author] issue, one per tissue or section. Lines:
//  6 gauze in centimetres (10 m across)   9 cyst pinned nowhere        11 a 5 kg membrane
// 11 also a 300 N damage threshold      16 a one-node region        19 clips, no clip applier
// 21 pass_score 800 on a 100-point formula
const char* kMistakes = R"yaml(trocar: 1
id: mistakes
title: Mistakes
instruments: {left: grasper, right: scissors}
tissues:
  - id: gauze
    generate: {cloth: {size: [10, 10], cells: [8, 8], position: [0, 1, 0]}}
    fixed: corners
  - id: cyst
    generate: {sphere: {radii: [0.01, 0.01, 0.01], position: [0, 1.02, 0]}}
  - id: membrane
    generate: {cloth: {size: [0.1, 0.1], cells: [10, 10], position: [0, 1.1, 0]}}
    material: {mass_kg: 5, damage_force_n: 300, tear_force_n: 400}
    fixed: border
regions:
  - {id: dot, tissue: membrane, sphere: {center: [0, 1.1, 0], radius: 0.002}}
checklist:
  - {id: grasp, title: Grasp the membrane, done_when: "grasped(left, membrane)"}
  - {id: clip, title: Clip the membrane, done_when: "clips(membrane) >= 2"}
scoring:
  {formula: checklist, pass_score: 800}
)yaml";

TEST(Sanity, EachMistakeIsWarnedAtItsPlace) {
  auto loaded = loadScenarioText(kMistakes, "mistakes.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].toString();  // valid: warnings never stop it
  const Sanity sanity = checkSanity(*loaded.scenario);
  auto find = [&](const std::string& text) -> const Error* {
    for (const Error& w : sanity.warnings)
      if (w.message.find(text) != std::string::npos) return &w;
    return nullptr;
  };
  struct Expected {
    const char* text;
    uint32_t line;
    const char* hint;
  };
  for (const Expected& e : {Expected{"'gauze' is 10.00 m across", 6, "centimetres"},
                            Expected{"'cyst' is pinned nowhere", 9, "fixed:"},
                            Expected{"'membrane' weighs 5 kg", 11, "5 g is 0.005"},
                            Expected{"damaged at 300 N", 11, "a few newtons"},
                            Expected{"region 'dot' selects a single node", 16, "spacing"},
                            Expected{"step 'clip' needs a clip", 19, "clip_applier"},
                            Expected{"pass_score 800 cannot be reached", 21, "0-100"}}) {
    const Error* w = find(e.text);
    ASSERT_NE(w, nullptr) << e.text;
    EXPECT_EQ(w->where.line, e.line) << e.text;
    EXPECT_NE(w->hint.find(e.hint), std::string::npos) << w->hint;
  }
  EXPECT_EQ(sanity.warnings.size(), 7u);
  EXPECT_EQ(find("step 'grasp'"), nullptr);  // the left hand holds a grasper
}

// The membrane, 0.1 m square in 10 x 10 cells: 121 nodes 10 mm apart, the border's 40 pinned.
// A block built 3 cm into the table (its bottom at 0.87 m, the top at 0.9): warned at the
// tissue, with how far; with table_height 0.86 the same block is fine.
TEST(Sanity, ATissueBuiltIntoTheTableIsWarned) {
  std::string text = R"yaml(trocar: 1
id: sunk
title: Sunk
instruments: {left: grasper, right: scissors}
tissues:
  - id: block
    generate: {box: {size: [0.04, 0.04, 0.04], cells: [2, 2, 2], position: [0, 0.89, -0.45]}}
    fixed: {box: {center: [0, 0.89, -0.45], size: [0.05, 0.05, 0.05]}}
scoring: {formula: checklist, pass_score: 0}
)yaml";
  auto loaded = loadScenarioText(text, "sunk.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].toString();
  const Sanity sunk = checkSanity(*loaded.scenario);
  ASSERT_EQ(sunk.warnings.size(), 1u);
  EXPECT_NE(sunk.warnings[0].message.find("'block' starts 30.0 mm into the table"), std::string::npos)
      << sunk.warnings[0].message;
  EXPECT_EQ(sunk.warnings[0].where.line, 6u);
  EXPECT_NE(sunk.warnings[0].hint.find("table_height"), std::string::npos);
  auto lowered =
      loadScenarioText(text.replace(text.find("tissues:"), 8, "table_height: 0.86\ntissues:"), "sunk.yaml");
  ASSERT_TRUE(lowered.ok());
  EXPECT_TRUE(checkSanity(*lowered.scenario).warnings.empty());
}

TEST(Sanity, ExplainMeasuresEachTissueAndRegion) {
  auto loaded = loadScenarioText(kMistakes, "mistakes.yaml");
  ASSERT_TRUE(loaded.ok());
  const Sanity sanity = checkSanity(*loaded.scenario);
  ASSERT_EQ(sanity.tissues.size(), 3u);
  const TissueExplain& m = sanity.tissues[2];
  EXPECT_EQ(m.id, "membrane");
  EXPECT_EQ(m.nodes, 121u);
  EXPECT_EQ(m.pinned, 40u);
  EXPECT_NEAR(m.spacingM, 0.01f, 1e-5f);
  EXPECT_NEAR(m.hi.x - m.lo.x, 0.1f, 1e-5f);
  ASSERT_EQ(sanity.regions.size(), 1u);
  EXPECT_EQ(sanity.regions[0].nodes, 1u);
}

TEST(Sanity, TheReferenceScenariosHaveNoWarnings) {
  for (const char* id : {"fls-peg-transfer", "fls-pattern-cutting", "lap-cholecystectomy"}) {
    auto loaded =
        loadScenarioFile(std::filesystem::path(TROCAR_SOURCE_DIR) / "scenarios" / id / "scenario.yaml");
    ASSERT_TRUE(loaded.ok()) << id;
    const Sanity sanity = checkSanity(*loaded.scenario);
    EXPECT_TRUE(sanity.warnings.empty()) << id << ": " << sanity.warnings[0].toString();
  }
}

}  // namespace
}  // namespace trocar::scenario
