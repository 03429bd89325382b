// Curriculum files and proficiency-based progression (scenario/Curriculum.h, programme/Progress.h).
#include <trocar/test/TestSupport.h>

#include <trocar/programme/Progress.h>
#include <trocar/scenario/Curriculum.h>

#include <gtest/gtest.h>

namespace trocar {
namespace {

using programme::Attempt;

scenario::Curriculum parse(const std::string& text) {
  auto loaded = scenario::parseCurriculum(text, "c.yaml");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.toString();
  return loaded.curriculum.value_or(scenario::Curriculum{});
}

std::vector<std::string> errorsOf(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& e : scenario::parseCurriculum(text, "c.yaml").errors) out.push_back(e.toString());
  return out;
}

TEST(Curriculum, TheShippedFlsCurriculumHasThePublishedTargets) {
  auto loaded = scenario::loadCurriculumFile(std::filesystem::path(TROCAR_SOURCE_DIR) /
                                             "curricula/fls-manual-skills.yaml");
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().toString();
  const scenario::Curriculum& c = *loaded.curriculum;
  EXPECT_EQ(c.id, "fls-manual-skills");
  ASSERT_EQ(c.steps.size(), 2u);
  EXPECT_EQ(c.steps[0].scenario, "fls-peg-transfer");
  EXPECT_EQ(c.steps[1].scenario, "fls-pattern-cutting");
  auto target = [](const scenario::CurriculumStep& s,
                   const std::string& metric) -> const scenario::ProficiencyTarget* {
    for (const auto& t : s.targets)
      if (t.metric == metric) return &t;
    return nullptr;
  };
  ASSERT_NE(target(c.steps[0], "task_time_s"), nullptr);
  EXPECT_EQ(target(c.steps[0], "task_time_s")->max, 48.0);  // Ritter & Scott 2007
  ASSERT_NE(target(c.steps[1], "task_time_s"), nullptr);
  EXPECT_EQ(target(c.steps[1], "task_time_s")->max, 98.0);
  for (const auto& s : c.steps) {
    EXPECT_EQ(s.consecutive, 2u);
    EXPECT_EQ(s.total, 12u);  // two in a row and ten more
    EXPECT_FALSE(s.benchmark);
  }
}

TEST(Curriculum, EveryMistakeIsReportedAtItsLineAndColumn) {
  const std::string text =
      "format: trocar.curriculum/1\n"
      "id: c\n"
      "steps:\n"
      "  - scenario: a\n"
      "    targets:\n"
      "      task_tme_s: {max: 48}\n"      // 6:7 a misspelt metric
      "      score: {min: 90, max: 80}\n"  // 7:14 min above max
      "    consecutive: 3\n"
      "    total: 2\n"     // 9:12 below consecutive
      "  - scenario: a\n"  // 10:15 twice
      "    benchmark: true\n"
      "  - scenario: b\n"        // 12:15 nothing to meet
      "    consecutive: 1.5\n";  // 13:18 not whole
  const auto errors = errorsOf(text);
  ASSERT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("c.yaml:6:7"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("did you mean 'task_time_s'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("c.yaml:7:14"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("c.yaml:9:12"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("c.yaml:10:15"), std::string::npos) << errors[3];
  EXPECT_NE(errors[3].find("already a step"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("c.yaml:13:18"), std::string::npos) << errors[4];
  EXPECT_NE(errors[5].find("c.yaml:12:15"), std::string::npos) << errors[5];
  EXPECT_NE(errors[5].find("no targets"), std::string::npos) << errors[5];
}

TEST(Curriculum, BrokenFilesSayWhatIsWrong) {
  EXPECT_NE(errorsOf("format: trocar.curriculum/1\nid: x\nsteps: [\n").at(0).find("not valid YAML"),
            std::string::npos);
  EXPECT_NE(errorsOf("- a\n").at(0).find("is a mapping"), std::string::npos);
  EXPECT_NE(
      errorsOf("format: other/2\nid: x\nsteps: [{scenario: a, benchmark: true}]\n").at(0).find("c.yaml:1:9"),
      std::string::npos);
  EXPECT_NE(errorsOf("format: trocar.curriculum/1\nid: a b\nsteps: [{scenario: a, benchmark: true}]\n")
                .at(0)
                .find("not a plain name"),
            std::string::npos);
  EXPECT_NE(errorsOf("format: trocar.curriculum/1\nid: x\nsteps: []\n").at(0).find("no steps"),
            std::string::npos);
  EXPECT_NE(errorsOf("format: trocar.curriculum/1\nid: x\nstep: []\n").at(0).find("did you mean 'steps'"),
            std::string::npos);
}

// One completed peg-transfer attempt with this time and these drops.
Attempt peg(double timeS, double dropped, bool completed = true) {
  Attempt a;
  a.scenario = "peg";
  a.completed = completed;
  a.durationS = timeS;
  if (completed) a.metrics.push_back({"task_time_s", timeS, std::nullopt, std::nullopt});
  a.metrics.push_back({"pegs_dropped", dropped, std::nullopt, std::nullopt});
  return a;
}
const Attempt kGood = peg(40, 0), kSlow = peg(60, 0);

scenario::Curriculum twoPlusTen() {
  return parse(
      "format: trocar.curriculum/1\nid: c\nsteps:\n"
      "  - scenario: peg\n    targets: {task_time_s: {max: 48}, pegs_dropped: {max: 0}}\n    consecutive: 2\n"
      "    total: 12\n"
      "  - scenario: cut\n    targets: {task_time_s: {max: 98}}\n");
}

std::vector<Attempt> sequence(const std::string& pattern) {  // 'P' proficient, 'F' not
  std::vector<Attempt> out;
  for (char c : pattern) out.push_back(c == 'P' ? kGood : kSlow);
  return out;
}

TEST(Progress, TwoInARowAndTwelveInAllMakeAStepProficient) {
  const scenario::Curriculum c = twoPlusTen();
  // Twelve proficient attempts, never two in a row: not yet.
  auto p = programme::progressOf(c, sequence("PFPFPFPFPFPFPFPFPFPFPFPF"));
  EXPECT_EQ(p.steps[0].proficient, 12u);
  EXPECT_EQ(p.steps[0].bestStreak, 1u);
  EXPECT_FALSE(p.steps[0].achieved);
  EXPECT_EQ(p.next, 0u);
  // Two in a row early, eleven in all: not yet; the twelfth makes it.
  p = programme::progressOf(c, sequence("PPFPFPFPFPFPFPFPFPFP"));
  EXPECT_EQ(p.steps[0].proficient, 11u);
  EXPECT_FALSE(p.steps[0].achieved);
  p = programme::progressOf(c, sequence("PPFPFPFPFPFPFPFPFPFPFP"));
  EXPECT_EQ(p.steps[0].proficient, 12u);
  EXPECT_TRUE(p.steps[0].achieved);
  EXPECT_EQ(p.next, 1u);  // on to pattern cutting
  // A later failure does not take it back.
  p = programme::progressOf(c, sequence("PPFPFPFPFPFPFPFPFPFPFPFFF"));
  EXPECT_TRUE(p.steps[0].achieved);
  EXPECT_EQ(p.steps[0].streak, 0u);
  // Twelve in a row at the end, after many failures.
  p = programme::progressOf(c, sequence("FFFFFFPPPPPPPPPPPP"));
  EXPECT_TRUE(p.steps[0].achieved);
  EXPECT_EQ(p.steps[0].attempts, 18u);
}

TEST(Progress, NoCompensationBetweenTargets) {
  const scenario::Curriculum c = twoPlusTen();
  const scenario::CurriculumStep& step = c.steps[0];
  // Very fast, but one drop: not proficient, and the miss says which target.
  auto v = programme::judgeAttempt(step, peg(20, 1));
  EXPECT_FALSE(v.proficient);
  ASSERT_EQ(v.misses.size(), 1u);
  EXPECT_EQ(v.misses[0], "pegs_dropped 1 (target <= 0)");
  // No drop, slow: not proficient either.
  v = programme::judgeAttempt(step, peg(48.5, 0));
  ASSERT_EQ(v.misses.size(), 1u);
  EXPECT_EQ(v.misses[0], "task_time_s 48.5 (target <= 48)");
  // Exactly on the target is proficient.
  EXPECT_TRUE(programme::judgeAttempt(step, peg(48, 0)).proficient);
  // Not completed: not proficient, whatever it measured.
  v = programme::judgeAttempt(step, peg(10, 0, false));
  EXPECT_FALSE(v.proficient);
  EXPECT_EQ(v.misses[0], "the checklist was not completed");
}

TEST(Progress, ABenchmarkStepNeedsEveryBenchmarkMetricMet) {
  const scenario::Curriculum c =
      parse("format: trocar.curriculum/1\nid: c\nsteps:\n  - scenario: peg\n    benchmark: true\n");
  Attempt a = kGood;
  EXPECT_FALSE(programme::judgeAttempt(c.steps[0], a).proficient);  // the scenario has no benchmark
  a.benchmarkMet = true;
  a.metrics[0].threshold = 52.0;
  a.metrics[0].met = true;
  EXPECT_TRUE(programme::judgeAttempt(c.steps[0], a).proficient);
  a.benchmarkMet = false;
  a.metrics.push_back({"path_length_m", 3.2, 2.5, false});
  const auto v = programme::judgeAttempt(c.steps[0], a);
  EXPECT_FALSE(v.proficient);
  ASSERT_EQ(v.misses.size(), 1u);
  EXPECT_EQ(v.misses[0], "path_length_m 3.2 (benchmark 2.5)");
}

TEST(Progress, EveryStepAchievedCompletesTheCurriculum) {
  const scenario::Curriculum c = parse(
      "format: trocar.curriculum/1\nid: c\nsteps:\n"
      "  - scenario: peg\n    targets: {task_time_s: {max: 48}}\n"
      "  - scenario: cut\n    targets: {task_time_s: {max: 98}}\n    consecutive: 2\n");
  Attempt cut = peg(90, 0);
  cut.scenario = "cut";
  // Pattern cutting done first still counts; the next step is the first one not achieved.
  auto p = programme::progressOf(c, {cut, cut});
  EXPECT_FALSE(p.steps[0].achieved);
  EXPECT_TRUE(p.steps[1].achieved);
  EXPECT_EQ(p.next, 0u);
  p = programme::progressOf(c, {cut, cut, kGood});
  EXPECT_TRUE(p.complete());
  p = programme::progressOf(c, {kGood, cut});
  EXPECT_EQ(p.next, 1u);
  EXPECT_EQ(p.steps[1].streak, 1u);
}

TEST(Progress, TheTraineeIsToldWhereTheyStandAfterEachAttempt) {
  const scenario::Curriculum c = parse(
      "format: trocar.curriculum/1\nid: c\ntitle: FLS\nsteps:\n"
      "  - scenario: peg\n    title: Peg transfer\n    targets: {task_time_s: {max: 48}, pegs_dropped: {max: "
      "0}}\n"
      "    consecutive: 2\n    total: 3\n"
      "  - scenario: cut\n    title: Pattern cutting\n    targets: {task_time_s: {max: 98}}\n");
  std::vector<Attempt> attempts = {kGood, peg(50, 1)};
  EXPECT_EQ(programme::standingLines(c, attempts, "peg"),
            (std::vector<std::string>{
                "Curriculum FLS, step 1 of 2: Peg transfer",
                "This attempt was not proficient: task_time_s 50 (target <= 48); pegs_dropped 1 "
                "(target <= 0)",
                "Proficient attempts 1 of 3, best run 1 of 2 in a row"}));
  attempts.push_back(kGood);
  attempts.push_back(kGood);
  EXPECT_EQ(
      programme::standingLines(c, attempts, "peg"),
      (std::vector<std::string>{"Curriculum FLS, step 1 of 2: Peg transfer", "This attempt was proficient",
                                "Proficient attempts 3 of 3, best run 2 of 2 in a row",
                                "Step achieved. Next: Pattern cutting"}));
  Attempt cut = peg(60, 0);
  cut.scenario = "cut";
  attempts.push_back(cut);
  EXPECT_EQ(programme::standingLines(c, attempts, "cut").back(),
            "Proficient in every step of the curriculum");
  EXPECT_TRUE(programme::standingLines(c, attempts, "other").empty());
}

}  // namespace
}  // namespace trocar
