// xAPI statements (programme/Xapi.h) and the learning-curve page (programme/LearningCurve.h).
#include <trocar/test/TestSupport.h>

#include <trocar/programme/LearningCurve.h>
#include <trocar/programme/Xapi.h>

#include <gtest/gtest.h>

namespace trocar {
namespace {

using programme::Attempt;

Attempt anAttempt() {
  Attempt a;
  a.id = 4;
  a.number = 3;
  a.trainee = "T01";
  a.scenario = "fls-peg-transfer";
  a.scenarioTitle = "FLS peg transfer";
  a.contentHash = "d66e493695c0ca42";
  a.scoredWith = "0.1.0+abc.Release";
  a.startedAt = "2026-12-06T00:18:40Z";
  a.durationS = 47.571;
  a.score = 100.17142857142858;
  a.passScore = 100;
  a.passed = true;
  a.completed = true;
  a.recordingDigest = "blake2b-256:b649";
  a.curriculum = "fls-manual-skills";
  a.metrics = {{"task_time_s", 47.571, 52.17, true}, {"pegs_dropped", 0.0, 0.0, true}};
  return a;
}

TEST(Xapi, AnAttemptIsAValidStatementThatNamesNobody) {
  const nlohmann::json s = programme::xapiStatement(anAttempt(), {});
  EXPECT_TRUE(programme::validateXapiStatement(s).empty())
      << ::testing::PrintToString(programme::validateXapiStatement(s)) << s.dump(2);
  EXPECT_EQ(s["verb"]["id"], "http://adlnet.gov/expapi/verbs/passed");
  EXPECT_EQ(s["actor"]["account"]["name"], "T01");
  EXPECT_FALSE(s["actor"].contains("name"));
  EXPECT_FALSE(s["actor"].contains("mbox"));
  EXPECT_EQ(s["object"]["id"], "https://trocar.invalid/scenarios/fls-peg-transfer");
  EXPECT_EQ(s["result"]["duration"], "PT47.57S");
  EXPECT_EQ(s["result"]["score"]["raw"], 100.17142857142858);
  EXPECT_EQ(s["result"]["score"]["scaled"], 1.0);  // within [-1, 1]
  EXPECT_EQ(s["result"]["success"], true);
  EXPECT_EQ(s["timestamp"], "2026-12-06T00:18:40Z");
  EXPECT_EQ(s["context"]["contextActivities"]["grouping"][0]["id"],
            "https://trocar.invalid/curricula/fls-manual-skills");
  EXPECT_EQ(s["context"]["extensions"]["https://trocar.invalid/xapi/attempt"], 3);
  // The same attempt exported again has the same id; another recording another.
  EXPECT_EQ(programme::xapiStatement(anAttempt(), {})["id"], s["id"]);
  Attempt other = anAttempt();
  other.recordingDigest = "blake2b-256:0000";
  EXPECT_NE(programme::xapiStatement(other, {})["id"], s["id"]);
}

TEST(Xapi, VerbsFollowTheOutcome) {
  Attempt a = anAttempt();
  a.passed = false;
  nlohmann::json s = programme::xapiStatement(a, {});
  EXPECT_EQ(s["verb"]["id"], "http://adlnet.gov/expapi/verbs/failed");
  EXPECT_EQ(s["result"]["success"], false);
  a.completed = false;
  s = programme::xapiStatement(a, {});
  EXPECT_EQ(s["verb"]["id"], "http://adlnet.gov/expapi/verbs/attempted");
  EXPECT_FALSE(s["result"].contains("success"));
  EXPECT_EQ(s["result"]["completion"], false);
  a.score = -250;  // an FLS score can fall below zero; scaled stays within its bounds
  s = programme::xapiStatement(a, {});
  EXPECT_EQ(s["result"]["score"]["scaled"], -1.0);
  EXPECT_TRUE(programme::validateXapiStatement(s).empty());
}

TEST(Xapi, OnlyAnInstallationsMappingPutsAPersonInTheStatement) {
  programme::XapiSettings settings;
  settings.homePage = "https://lms.example.org";
  settings.actors["T01"] = {"A. Surgeon", "mailto:a.surgeon@example.org"};
  nlohmann::json s = programme::xapiStatement(anAttempt(), settings);
  EXPECT_EQ(s["actor"]["mbox"], "mailto:a.surgeon@example.org");
  EXPECT_EQ(s["actor"]["name"], "A. Surgeon");
  EXPECT_FALSE(s["actor"].contains("account"));  // exactly one identifier
  EXPECT_TRUE(programme::validateXapiStatement(s).empty());
  Attempt someoneElse = anAttempt();
  someoneElse.trainee = "T02";
  s = programme::xapiStatement(someoneElse, settings);
  EXPECT_EQ(s["actor"]["account"]["homePage"], "https://lms.example.org");
  EXPECT_FALSE(s["actor"].contains("name"));
}

TEST(Xapi, TheValidatorCatchesWhatTheSpecificationForbids) {
  const nlohmann::json good = programme::xapiStatement(anAttempt(), {});
  auto broken = [&](auto change) {
    nlohmann::json s = good;
    change(s);
    return programme::validateXapiStatement(s);
  };
  EXPECT_FALSE(
      broken([](nlohmann::json& s) { s["actor"]["mbox"] = "mailto:x@y.z"; }).empty());   // two identifiers
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["actor"].erase("account"); }).empty());  // none
  EXPECT_FALSE(broken([](nlohmann::json& s) { s.erase("verb"); }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["verb"]["id"] = "passed"; }).empty());  // not an IRI
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["object"]["id"] = "peg transfer"; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["id"] = "1234"; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["result"]["score"]["scaled"] = 1.5; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["result"]["duration"] = "47.5 s"; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["timestamp"] = "yesterday"; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) { s["verb"]["display"] = {{"en US", "passed"}}; }).empty());
  EXPECT_FALSE(broken([](nlohmann::json& s) {
                 s["actor"]["mbox"] = "a@b.c";
                 s["actor"].erase("account");
               }).empty());
}

TEST(LearningCurve, ThePageShowsEveryAttemptAgainstItsTargets) {
  std::vector<Attempt> attempts;
  for (int i = 0; i < 4; ++i) {
    Attempt a = anAttempt();
    a.number = static_cast<uint32_t>(i + 1);
    a.score = 70.25 + 10 * i;
    a.durationS = 80.5 - 11 * i;
    a.metrics = {{"task_time_s", a.durationS, 52.17, a.durationS <= 52.17}, {"pegs_dropped", 0.0, 0.0, true}};
    attempts.push_back(a);
  }
  auto c = scenario::parseCurriculum(
      "format: trocar.curriculum/1\nid: fls\ntitle: FLS\nsteps:\n  - scenario: fls-peg-transfer\n    "
      "targets: "
      "{task_time_s: {max: 48}, pegs_dropped: {max: 0}}\n    consecutive: 2\n    total: 3\n",
      "c.yaml");
  ASSERT_TRUE(c.curriculum);
  const std::string html = programme::learningCurveHtml(attempts, &*c.curriculum);
  const char* scores[] = {"70.25", "80.25", "90.25", "100.25"};
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(html.find("attempt " + std::to_string(i + 1) + ": " + scores[i]), std::string::npos)
        << scores[i];
  EXPECT_NE(html.find("attempt 4: 47.50"), std::string::npos);  // its task time
  EXPECT_NE(html.find("target 48.0"), std::string::npos);
  EXPECT_NE(html.find("benchmark 52.2"), std::string::npos);
  EXPECT_NE(html.find("pass mark 100.0"), std::string::npos);
  // Proficient only at the fourth (47.5 s); one proficient attempt of three needed: "next".
  EXPECT_NE(html.find("no: task_time_s 58.5 (target &lt;= 48)"), std::string::npos);
  EXPECT_NE(html.find("<td>1 of 3</td>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, nothing to run
  const std::string empty = programme::learningCurveHtml({}, nullptr);
  EXPECT_NE(empty.find("No attempts recorded"), std::string::npos);
}

}  // namespace
}  // namespace trocar
