// The scenario editor's model (`trocar author`, AuthorModel.h), driven as the editor's mouse
// and panels drive it: a click picks the drawn surface, a region or zone is made there and
// moved, a step comes from a template, and the YAML that is saved is what was expected.
#include "AuthorModel.h"

#include <trocar/core/File.h>

#include <gtest/gtest.h>

namespace trocar::app {
namespace {

const char* kScene = R"yaml(# Editor test scene.
trocar: 1
id: author-test
title: Author test
instruments: {left: grasper, right: scissors}
tissues:
  - id: gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [10, 10], position: [0, 1.0, -0.45]}}
    fixed: corners   # pinned at its corners
objects:
  - {id: peg-1, shape: box, size: [0.01, 0.02, 0.01], mass_kg: 0.002, position: [0.1, 0.91, -0.45]}
checklist:
  - {id: grasp, title: Grasp the gauze, done_when: "grasped(left, gauze)"}
scoring: {formula: checklist, pass_score: 50}
)yaml";

struct Fixture {
  std::filesystem::path dir, file;
  std::unique_ptr<AuthorModel> model;

  explicit Fixture(const std::string& text = kScene) {
    dir = makeTempDirectory("trocar-author").value();
    file = dir / "scene.yaml";
    EXPECT_TRUE(writeFileAtomic(file, text).ok());
    auto opened = AuthorModel::open(file);
    EXPECT_TRUE(opened.ok()) << (opened ? "" : opened.error().toString());
    model = std::move(opened.value());
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // The line of the saved text that starts with `prefix` (after its indentation).
  std::string line(const std::string& prefix) const {
    const std::string& text = model->text();
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string l = text.substr(start, end - start);
      if (l.find_first_not_of(' ') != std::string::npos &&
          l.substr(l.find_first_not_of(' ')).rfind(prefix, 0) == 0)
        return l;
      start = end + 1;
    }
    return "(no line starting '" + prefix + "')";
  }
};

const Vec3 kDown(0.0f, -1.0f, 0.0f);

TEST(Author, AClickMeetsWhatIsDrawn) {
  Fixture f;
  ASSERT_TRUE(f.model->compiled().ok());
  ASSERT_NE(f.model->world(), nullptr);
  // The gauze (pinned at its corners at y = 1.0, sagging after a second) under the mouse.
  auto gauze = f.model->pick({0.02f, 1.2f, -0.44f}, kDown);
  ASSERT_TRUE(gauze);
  EXPECT_EQ(gauze->tissue, "gauze");
  EXPECT_NEAR(gauze->point.x, 0.02f, 1e-5f);
  EXPECT_NEAR(gauze->point.z, -0.44f, 1e-5f);
  EXPECT_LT(gauze->point.y, 1.0f) << "it sags under its weight";
  EXPECT_GT(gauze->point.y, 0.95f);
  EXPECT_GT(gauze->normal.y, 0.9f) << "the side facing the ray";
  // The peg's top (0.92 m: 2 cm tall on the table) and the bare table top (0.9 m).
  auto peg = f.model->pick({0.1f, 1.2f, -0.45f}, kDown);
  ASSERT_TRUE(peg);
  EXPECT_EQ(peg->object, "peg-1");
  EXPECT_NEAR(peg->point.y, 0.92f, 1e-3f);
  auto table = f.model->pick({0.3f, 1.2f, -0.45f}, kDown);
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->tissue.empty() && table->object.empty());
  EXPECT_NEAR(table->point.y, 0.9f, 1e-5f);
  EXPECT_FALSE(f.model->pick({0.3f, 1.2f, -0.45f}, Vec3(0, 1, 0))) << "nothing above";
}

TEST(Author, ARegionMadeByAClickIsWrittenAndMoved) {
  Fixture f;
  auto hit = f.model->pick({0.02f, 1.2f, -0.44f}, kDown);
  ASSERT_TRUE(hit);
  auto id = f.model->addRegion(hit->tissue, hit->point, 0.015f);
  ASSERT_TRUE(id.ok()) << id.error().toString();
  EXPECT_EQ(id.value(), "gauze-region-1");
  // Written to 0.1 mm.
  const std::string center =
      "[0.02, " + scenario::YamlNode::number(std::round(hit->point.y * 1e4f) / 1e4f).text + ", -0.44]";
  EXPECT_EQ(center.size(), std::string("[0.02, 0.9xxx, -0.44]").size()) << center;
  EXPECT_EQ(f.line("- {id: gauze-region-1"),
            "  - {id: gauze-region-1, tissue: gauze, sphere: {center: " + center + ", radius: 0.015}}");
  // Regions come before the checklist, whose conditions may name them.
  EXPECT_LT(f.model->text().find("regions:"), f.model->text().find("checklist:"));
  ASSERT_TRUE(f.model->compiled().ok());
  ASSERT_EQ(f.model->scenario()->regions.size(), 1u);
  EXPECT_EQ(f.model->scenario()->regions[0].id, "gauze-region-1");
  // Comments stay where they were.
  EXPECT_EQ(f.model->text().rfind("# Editor test scene.\n", 0), 0u);
  EXPECT_EQ(f.line("fixed:"), "    fixed: corners  # pinned at its corners");

  ASSERT_TRUE(f.model->moveRegion("gauze-region-1", {-0.01f, 0.99f, -0.46f}).ok());
  EXPECT_EQ(f.line("- {id: gauze-region-1"),
            "  - {id: gauze-region-1, tissue: gauze, sphere: {center: [-0.01, 0.99, -0.46], radius: 0.015}}");
  ASSERT_TRUE(f.model->resizeRegion("gauze-region-1", 2.0f).ok());
  EXPECT_NE(f.line("- {id: gauze-region-1").find("radius: 0.03}"), std::string::npos)
      << f.line("- {id: gauze");
}

TEST(Author, AnEditThatWouldBreakTheScenarioIsRefusedAndSaysWhy) {
  Fixture f;
  const std::string before = f.model->text();
  // 10 cm above the gauze: the sphere selects none of its nodes.
  auto id = f.model->addRegion("gauze", {0.0f, 1.1f, -0.45f}, 0.01f);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().message.find("gauze-region-1"), std::string::npos) << id.error().toString();
  EXPECT_EQ(f.model->text(), before);
  EXPECT_FALSE(f.model->canUndo());
}

TEST(Author, ZonesAndStepsFromTemplates) {
  Fixture f;
  auto table = f.model->pick({0.2f, 1.2f, -0.45f}, kDown);
  ASSERT_TRUE(table);
  auto zone = f.model->addZone(table->point + Vec3(0, 0.02f, 0), {0.06f, 0.04f, 0.06f});
  ASSERT_TRUE(zone.ok()) << zone.error().toString();
  EXPECT_EQ(f.line("- {id: zone-1"),
            "  - {id: zone-1, center: [0.2, 0.92, -0.45], size: [0.06, 0.04, 0.06]}");
  ASSERT_TRUE(f.model->moveZone("zone-1", {0.15f, 0.92f, -0.4f}).ok());
  EXPECT_EQ(f.line("- {id: zone-1"),
            "  - {id: zone-1, center: [0.15, 0.92, -0.4], size: [0.06, 0.04, 0.06]}");

  ConditionTemplate place;
  place.kind = ConditionTemplate::Kind::kPlacedIn;
  place.target = "peg-*";
  place.region = "zone-1";
  EXPECT_EQ(conditionFor(place), "placed(peg-*, zone-1) >= 1");
  auto step = f.model->addStep(place);
  ASSERT_TRUE(step.ok()) << step.error().toString();
  EXPECT_EQ(f.line("- {id: step-1"),
            "  - {id: step-1, title: Place peg-* in zone-1, done_when: \"placed(peg-*, zone-1) >= 1\"}");
  ConditionTemplate hold;
  hold.kind = ConditionTemplate::Kind::kHeldFor;
  hold.target = "gauze";
  hold.seconds = 2;
  ASSERT_TRUE(f.model->addStep(hold, "hold").ok());
  EXPECT_EQ(f.line("- {id: hold"),
            "  - {id: hold, title: Hold the gauze for 2 s, done_when: \"held(2, grasped(left, gauze))\"}");
  ConditionTemplate rough;
  rough.kind = ConditionTemplate::Kind::kForceAbove;
  rough.target = "gauze";
  rough.newtons = 1.5;
  ASSERT_TRUE(f.model->addErrorRule(rough, 5).ok());
  EXPECT_EQ(f.line("- {id: error-1"),
            "  - {id: error-1, title: Pressed the gauze harder than 1.5 N, when: \"force(gauze) > 1.5\", "
            "penalty: 5}");
  ASSERT_TRUE(f.model->compiled().ok());
  EXPECT_EQ(f.model->scenario()->checklist.size(), 3u);
  EXPECT_EQ(f.model->scenario()->errors.size(), 1u);
  // A step naming what does not exist is refused.
  place.region = "nowhere";
  EXPECT_FALSE(f.model->addStep(place).ok());
}

TEST(Author, FixedBoxesAndMarkingsOnCloth) {
  Fixture f;
  auto index = f.model->addFixedBox("gauze", {0.0f, 1.0f, -0.5f}, {0.1f, 0.01f, 0.004f});
  ASSERT_TRUE(index.ok()) << index.error().toString();
  EXPECT_EQ(index.value(), 1u);
  EXPECT_EQ(f.line("fixed:"),
            "    fixed: [corners, {box: {center: [0, 1, -0.5], size: [0.1, 0.01, 0.004]}}]  # pinned at its "
            "corners");
  ASSERT_TRUE(f.model->moveFixedBox("gauze", 1, {0.0f, 1.0f, -0.4f}).ok());
  EXPECT_NE(f.line("fixed:").find("center: [0, 1, -0.4]"), std::string::npos);
  // A circle drawn round a point of the gauze is written in the cloth's own plane.
  auto circle = f.model->addMarkingCircle("gauze", {0.01f, 0.99f, -0.44f}, 0.02f);
  ASSERT_TRUE(circle.ok()) << circle.error().toString();
  EXPECT_EQ(f.line("- {id: circle-1"),
            "      - {id: circle-1, circle: {center: [0.01, 0.01], radius: 0.02}}");
  ASSERT_TRUE(f.model->compiled().ok());
  ASSERT_EQ(f.model->scenario()->tissues[0].markings.size(), 1u);
}

TEST(Author, UndoRedoAndSave) {
  Fixture f;
  const std::string original = f.model->text();
  EXPECT_FALSE(f.model->dirty());
  ASSERT_TRUE(
      f.model->setField("tissues", "gauze", "material.mass_kg", scenario::YamlNode::number(0.006)).ok());
  EXPECT_EQ(f.line("material:"), "    material: {mass_kg: 0.006}");
  ASSERT_TRUE(f.model->setField("", "", "title", scenario::YamlNode::scalar("Author test: edited")).ok());
  EXPECT_EQ(f.line("title:"), "title: \"Author test: edited\"");
  EXPECT_TRUE(f.model->dirty());
  ASSERT_TRUE(f.model->undo());
  ASSERT_TRUE(f.model->undo());
  EXPECT_EQ(f.model->text(), original);
  EXPECT_FALSE(f.model->undo());
  ASSERT_TRUE(f.model->redo());
  EXPECT_EQ(f.line("material:"), "    material: {mass_kg: 0.006}");
  ASSERT_TRUE(f.model->save().ok());
  EXPECT_FALSE(f.model->dirty());
  auto saved = readFileText(f.file);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved.value(), f.model->text());
  auto reloaded = scenario::loadScenarioFile(f.file);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_FLOAT_EQ(reloaded.scenario->tissues[0].settings.material.massKg, 0.006f);
}

TEST(Author, ProblemsAreLinkedToWhatTheyAreIn) {
  std::string text = kScene;
  text +=
      "regions:\n  - {id: edge, tissue: gauze, box: {center: [0, 1, -0.45], size: [0.01, 0.01, 0.01]}}\n"
      "  - {id: lost, tissue: gause, box: {center: [0, 1, -0.45], size: [0.01, 0.01, 0.01]}}\n";
  Fixture f(text);
  EXPECT_FALSE(f.model->compiled().ok());
  EXPECT_EQ(f.model->scenario(), nullptr) << "it never compiled";
  std::vector<Problem> problems = f.model->problems();
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].section, "regions");
  EXPECT_EQ(problems[0].id, "lost");
  EXPECT_NE(problems[0].error.message.find("gause"), std::string::npos);
  // Fixing it in place makes the scenario whole.
  ASSERT_TRUE(f.model->setField("regions", "lost", "tissue", scenario::YamlNode::scalar("gauze")).ok());
  EXPECT_TRUE(f.model->compiled().ok());
  EXPECT_NE(f.model->world(), nullptr);
}

TEST(Author, ANewFileStartsFromAScenarioThatCompiles) {
  auto dir = makeTempDirectory("trocar-author").value();
  auto opened = AuthorModel::open(dir / "new.yaml");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened.value()->compiled().ok());
  EXPECT_TRUE(opened.value()->dirty()) << "nothing is written until it is saved";
  EXPECT_FALSE(std::filesystem::exists(dir / "new.yaml"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trocar::app
