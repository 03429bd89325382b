// Reports from a real (short, scripted) session: JSON keys and types per REPORT.md, JUnit
// well formed with matching counts, HTML self-contained with its plots; identical runs give
// byte-identical reports.
#include <trocar/core/File.h>
#include <trocar/core/Version.h>
#include <trocar/scoring/Report.h>
#include <trocar/test/TestSupport.h>

#include "MembraneRun.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace trocar::scoring {
namespace {

ScoreReport run() {
  return runMembrane("scoring: {formula: checklist, pass_score: 60}\n", "report-test.yaml", 600, false,
                     "test-recording");
}

TEST(Report, JsonFollowsTheSchema) {
  ScoreReport r = run();
  auto j = nlohmann::json::parse(toJson(r));
  EXPECT_EQ(j["schema"], "trocar.report/1");
  EXPECT_EQ(j["scenario"]["id"], "report-test");
  EXPECT_EQ(j["scenario"]["content_hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["recording"], "test-recording");
  ASSERT_TRUE(j["passed"].is_boolean());
  ASSERT_TRUE(j["score"].is_number());
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0]["state"], "done");
  EXPECT_EQ(j["steps"][1]["state"], "done");
  EXPECT_EQ(j["steps"][2]["state"], "active");
  // Two of three equal-weight steps: 66.7 >= the pass mark of 60.
  EXPECT_NEAR(j["score"].get<double>(), 200.0 / 3.0, 1e-9);
  EXPECT_TRUE(j["passed"].get<bool>());
  EXPECT_TRUE(j["errors"].is_array());
  EXPECT_GT(j["metrics"]["left"]["path_length_m"].get<double>(), 0.02);
  EXPECT_EQ(j["metrics"]["right"]["path_length_m"].get<double>(), 0.0);
  for (const char* d : {"respect_for_tissue", "time_and_motion", "instrument_handling", "flow"}) {
    double v = j["osats"][d].get<double>();
    EXPECT_GE(v, 1.0) << d;
    EXPECT_LE(v, 5.0) << d;
  }
  EXPECT_EQ(j["final_state_hash"].get<std::string>().size(), 16u);
}

TEST(Report, JUnitCountsStepsAndThePassMark) {
  std::string x = toJUnit(run());
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(x.find("<testsuite name=\"report-test\" tests=\"4\" failures=\"1\">"), std::string::npos) << x;
  size_t cases = 0, at = 0;
  while ((at = x.find("<testcase ", at)) != std::string::npos) {
    ++cases;
    ++at;
  }
  EXPECT_EQ(cases, 4u);
  EXPECT_NE(x.find("<failure message=\"Clip it: not done\"/>"), std::string::npos);
  EXPECT_EQ(x.find("<testcase classname=\"report-test\" name=\"pass mark\"><failure"), std::string::npos);
  EXPECT_NE(x.find("</testsuite>"), std::string::npos);
}

TEST(Report, HtmlIsSelfContainedWithPlots) {
  std::string h = toHtml(run());
  EXPECT_NE(h.find("<polyline"), std::string::npos);
  EXPECT_NE(h.find("Tool tip speed"), std::string::npos);
  EXPECT_NE(h.find("Interaction force"), std::string::npos);
  EXPECT_NE(h.find("step timeline"), std::string::npos);
  // Whole titles; a 1.2 s run gets an axis in steps of 0.2 s up to 1.2 s.
  EXPECT_NE(h.find(">Grasp the membrane</text>"), std::string::npos);
  for (const char* tick : {">0.0 s</text>", ">0.6 s</text>", ">1.2 s</text>"})
    EXPECT_NE(h.find(tick), std::string::npos) << tick;
  EXPECT_EQ(h.find(">1.4 s</text>"), std::string::npos);
  for (const char* external : {"http://", "https://", "src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(h.find(external), std::string::npos) << external;
  }
}

TEST(Report, IdenticalRunsGiveIdenticalReportsWrittenAtomically) {
  ScoreReport a = run(), b = run();
  EXPECT_EQ(toJson(a), toJson(b));
  EXPECT_EQ(toHtml(a), toHtml(b));
  test::TempDir dir;
  ASSERT_TRUE(writeReports(a, dir / "r.json", dir / "r.xml", dir / "r.html").ok());
  EXPECT_EQ(readFileText(dir / "r.json").value(), toJson(a));
  auto bad = writeReports(a, dir / "missing" / "r.json", {}, {});
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace trocar::scoring

namespace trocar::scoring {
namespace {

const char* kPattern = R"yaml(trocar: 1
id: pattern
title: Pattern cutting
tissues:
  - id: gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [48, 48], position: [0, 1, 0]}}
    fixed: corners
    markings:
      - {id: circle, circle: {center: [0, 0], radius: 0.02}}
regions:
  - {id: inside-circle, tissue: gauze, marking: circle}
checklist:
  - {id: cut, done_when: "detached(gauze, inside-circle)"}
scoring: {formula: fls, cutoff_s: 300, penalty: area_deviation_percent, pass_score: 120, reference_path_m: 0.5}
)yaml";

// The circle is cut along 36 chords of radius 20.5 mm: the piece is that 36-gon, area
// 18 r^2 sin(10 deg) = 1.3136e-3 m^2, against the marked circle's pi (0.02)^2 = 1.2566e-3:
// a 4.5% deviation. Before any cut the deviation is 100%.
TEST(Report, FlsAreaDeviationOfThePatternCut) {
  auto loaded = scenario::loadScenarioText(kPattern, "pattern.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  Scorer scorer(*loaded.scenario, session->world());
  session->addListener(&scorer);
  session->step(physics::InputFrame{});
  EXPECT_DOUBLE_EQ(scorer.report(session->world()).penalty, 100.0);
  const float r = 0.0205f;
  for (int i = 0; i < 36; ++i) {
    float a0 = 2.0f * kPi * static_cast<float>(i) / 36, a1 = 2.0f * kPi * static_cast<float>(i + 1) / 36;
    Vec3 p0(r * std::cos(a0), 1.0f, r * std::sin(a0)), p1(r * std::cos(a1), 1.0f, r * std::sin(a1));
    session->world().cutWithQuad(physics::TissueId{0}, {p0 - Vec3(0, 0.02f, 0), p1 - Vec3(0, 0.02f, 0),
                                                        p1 + Vec3(0, 0.02f, 0), p0 + Vec3(0, 0.02f, 0)});
  }
  session->step(physics::InputFrame{});
  ScoreReport rep = scorer.report(session->world());
  EXPECT_EQ(rep.penaltyKind, scenario::Penalty::kAreaDeviationPercent);
  const double pi = 3.14159265358979323846,
               expected =
                   100.0 * (18.0 * 0.0205 * 0.0205 * std::sin(pi / 18.0) - pi * 0.0004) / (pi * 0.0004);
  EXPECT_NEAR(rep.penalty, expected, 0.5);
  // The measure by its own name, and said in words.
  auto j = nlohmann::json::parse(toJson(rep));
  EXPECT_DOUBLE_EQ(j["formula"]["area_deviation_percent"].get<double>(), rep.penalty);
  EXPECT_NE(toHtml(rep).find("Accuracy: the piece cut out differs in area from the marked circle by"),
            std::string::npos);
  EXPECT_FALSE(rep.objects.has_value()) << "no objects in this scenario";
  ASSERT_TRUE(rep.economyOfMotion.has_value());
  EXPECT_EQ(*rep.economyOfMotion, 0.0) << "no instrument moved";
}

// A sliver cut off round one node of the circle does not become "the piece": the piece
// measured is the one holding most of the circle's nodes. A 2.4 mm square round the
// region's first node comes away on its own; the rest of the circle (the 36-gon above, less
// at most that square's 5.8 mm^2, 0.5% of the circle) is what is scored.
TEST(Report, FlsAreaDeviationIgnoresSliversOfTheCircle) {
  auto loaded = scenario::loadScenarioText(kPattern, "pattern.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  Scorer scorer(*loaded.scenario, session->world());
  session->addListener(&scorer);
  session->step(physics::InputFrame{});
  physics::World& world = session->world();
  const physics::TissueId gauze{0};
  const Vec3 first = world.nodePosition(gauze, world.regionNodes(gauze, 0).front());
  auto cut = [&](Vec3 p0, Vec3 p1) {
    world.cutWithQuad(gauze, {p0 - Vec3(0, 0.02f, 0), p1 - Vec3(0, 0.02f, 0), p1 + Vec3(0, 0.02f, 0),
                              p0 + Vec3(0, 0.02f, 0)});
  };
  const float h = 0.0012f;
  const Vec3 c00 = first + Vec3(-h, 0, -h), c10 = first + Vec3(h, 0, -h), c11 = first + Vec3(h, 0, h),
             c01 = first + Vec3(-h, 0, h);
  cut(c00, c10);
  cut(c10, c11);
  cut(c11, c01);
  cut(c01, c00);
  const uint32_t piecesAfterSquare = world.pieceCount(gauze);
  EXPECT_GE(piecesAfterSquare, 2u) << "the square came away";
  const float r = 0.0205f;
  for (int i = 0; i < 36; ++i) {
    float a0 = 2.0f * kPi * static_cast<float>(i) / 36, a1 = 2.0f * kPi * static_cast<float>(i + 1) / 36;
    cut(Vec3(r * std::cos(a0), 1.0f, r * std::sin(a0)), Vec3(r * std::cos(a1), 1.0f, r * std::sin(a1)));
  }
  session->step(physics::InputFrame{});
  EXPECT_GT(world.pieceCount(gauze), piecesAfterSquare);
  ScoreReport rep = scorer.report(world);
  const double pi = 3.14159265358979323846,
               expected =
                   100.0 * (18.0 * 0.0205 * 0.0205 * std::sin(pi / 18.0) - pi * 0.0004) / (pi * 0.0004);
  EXPECT_LT(rep.penalty, expected + 0.1);
  EXPECT_GT(rep.penalty, expected - 0.6);
}

// Three damage events to the gauze at ticks 100, 300 and 700 (0.2, 0.6 and 1.4 s at 500 Hz)
// fire the rule three times: one group of three, first at 0.2 s, last at 1.4 s. Under the
// checklist formula each costs its 5 points (15 in all, shown); FLS pattern cutting scores the
// cut's area deviation instead, so there the same errors cost nothing and none is shown.
ScoreReport threeDamages(const std::string& scoring) {
  std::string text = kPattern;
  text.replace(
      text.find("scoring: {"), std::string::npos,
      "errors:\n  - {id: tore, title: Tore the gauze, when: damage(gauze), penalty: 5}\n" + scoring + "\n");
  auto loaded = scenario::loadScenarioText(text, "damage.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  if (!loaded.ok()) return {};
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  Scorer scorer(*loaded.scenario, session->world());
  scorer.setRun({"trainee-7", 1796457600, "0.1.0+abc"});  // 2026-12-05 08:00:00 UTC
  physics::InputFrame input;
  for (Tick t : {Tick{100}, Tick{300}, Tick{700}}) {
    std::vector<physics::Event> events(1);
    events[0].kind = physics::EventKind::kDamage;
    events[0].tissue = physics::TissueId{0};
    events[0].tick = t;
    session::TickRecord rec;
    rec.tick = t;
    rec.input = &input;
    rec.events = events;
    rec.world = &session->world();
    scorer.onTick(rec);
  }
  return scorer.report(session->world());
}

TEST(Report, ErrorsAreGroupedWithThePenaltyTheFormulaTakes) {
  const ScoreReport checklist = threeDamages("scoring: {formula: checklist, pass_score: 50}");
  ASSERT_EQ(checklist.errors.size(), 3u);
  ASSERT_EQ(checklist.errorGroups.size(), 1u);
  const ErrorGroup& g = checklist.errorGroups[0];
  EXPECT_EQ(g.id, "tore");
  EXPECT_EQ(g.count, 3u);
  EXPECT_DOUBLE_EQ(g.firstS, 0.2);
  EXPECT_DOUBLE_EQ(g.lastS, 1.4);
  EXPECT_DOUBLE_EQ(g.penalty, 15.0);
  EXPECT_DOUBLE_EQ(checklist.penalty, 15.0);
  auto j = nlohmann::json::parse(toJson(checklist));
  ASSERT_EQ(j["error_groups"].size(), 1u);
  EXPECT_EQ(j["error_groups"][0]["count"], 3);
  EXPECT_EQ(j["error_groups"][0]["penalty"], 15.0);
  const std::string html = toHtml(checklist);
  EXPECT_NE(html.find("<li>Tore the gauze &times;3, 0.2&ndash;1.4 s: &minus;15.0</li>"), std::string::npos)
      << html;
  EXPECT_EQ(html.find("<li>0.6 s"), std::string::npos) << "no line per occurrence";

  const ScoreReport fls = threeDamages(
      "scoring: {formula: fls, cutoff_s: 300, penalty: area_deviation_percent, pass_score: 120}");
  ASSERT_EQ(fls.errorGroups.size(), 1u);
  EXPECT_EQ(fls.errorGroups[0].count, 3u);
  EXPECT_DOUBLE_EQ(fls.errorGroups[0].penalty, 0.0);
  for (const auto& e : fls.errors) EXPECT_DOUBLE_EQ(e.penalty, 0.0);
  EXPECT_DOUBLE_EQ(fls.penalty, 100.0) << "nothing was cut out: the area deviation is the penalty";
  EXPECT_NE(toHtml(fls).find("<li>Tore the gauze &times;3, 0.2&ndash;1.4 s</li>"), std::string::npos);
}

// Who ran it, when and with which builds: in the JSON and the HTML. economy_of_motion is there
// only where the scenario gives a reference path (kPattern's 0.5 m is replaced here by none).
TEST(Report, SaysWhoRanItWhenAndWithWhichBuild) {
  const ScoreReport r = threeDamages("scoring: {formula: checklist, pass_score: 50}");
  auto j = nlohmann::json::parse(toJson(r));
  EXPECT_EQ(j["run"]["trainee"], "trainee-7");
  EXPECT_EQ(j["run"]["started_at"], "2026-12-05T08:00:00Z");
  EXPECT_EQ(j["run"]["recorded_with"], "0.1.0+abc");
  EXPECT_EQ(j["run"]["scored_with"], buildId());
  const std::string html = toHtml(r);
  EXPECT_NE(html.find("trainee trainee-7, started 2026-12-05T08:00:00Z, run with build 0.1.0+abc"),
            std::string::npos)
      << html;
  EXPECT_FALSE(j["metrics"].contains("economy_of_motion")) << "no reference path in this scenario";
}

TEST(Report, FlsPegsDroppedPenalty) {
  std::string text = kPattern;
  text.replace(text.find("penalty: area_deviation_percent"), 31,
               "penalty: pegs_dropped, penalty_per_item: 7");
  text.replace(text.find("regions:"), 0,
               "objects:\n  - {id: peg, shape: cylinder, size: [0.008, 0.012, 0.008], mass_kg: 0.002, "
               "position: [0.2, 0.95, 0]}\nzones:\n  - {id: goal, center: [0.2, 0.95, 0], size: [0.05, 0.05, "
               "0.05]}\n");
  auto loaded = scenario::loadScenarioText(text, "pegs.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
  auto session = std::move(scenario::buildSession(*loaded.scenario)).value();
  Scorer scorer(*loaded.scenario, session->world());
  physics::InputFrame input;
  // Three drops outside every zone: two lost out of view (value 1), one still in view (0,
  // the trainee can pick it up again): two count. And one object placed in the zone.
  std::vector<physics::Event> events(4);
  for (auto& e : events) e.kind = physics::EventKind::kDropped;
  events[0].value = events[1].value = 1.0f;
  events[3].kind = physics::EventKind::kPlaced;
  events[3].zone = physics::ZoneId{0};
  session::TickRecord rec;
  rec.tick = 10;
  rec.input = &input;
  rec.events = events;
  rec.world = &session->world();
  scorer.onTick(rec);
  const ScoreReport r = scorer.report(session->world());
  EXPECT_DOUBLE_EQ(r.penalty, 14.0);
  ASSERT_TRUE(r.objects.has_value());
  EXPECT_EQ(r.objects->placed, 1u);
  EXPECT_EQ(r.objects->dropped, 3u);
  EXPECT_EQ(r.objects->lost, 2u);
  auto j = nlohmann::json::parse(toJson(r));
  EXPECT_EQ(j["formula"]["pegs_lost"], 2);
  EXPECT_EQ(j["metrics"]["objects"]["dropped"], 3);
  EXPECT_NE(toHtml(r).find("Objects: 1 placed, 3 dropped, 2 lost (the FLS penalty counts the lost)"),
            std::string::npos);
}

}  // namespace
}  // namespace trocar::scoring
