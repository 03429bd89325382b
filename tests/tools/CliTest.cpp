// End-to-end: the `trocar` executable as a user runs it.
#include <trocar/test/TestSupport.h>

#include <trocar/core/File.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/render/Image.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace trocar {
namespace {

std::string trocar(const std::string& args) {
  return "'" + test::trocarExecutable().string() + "' " + args;
}

TEST(Cli, VersionNamesVersionHashAndBuildType) {
  auto r = test::runCommand(trocar("--version"));
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("trocar 0.1.0 ("), std::string::npos) << r.out;
}

TEST(Cli, HelpListsDoctor) {
  auto r = test::runCommand(trocar("--help"));
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("doctor"), std::string::npos);
}

TEST(Cli, UnknownSubcommandIsBadInput) {
  auto r = test::runCommand(trocar("fly"));
  EXPECT_EQ(r.exitCode, 2);
}

// Without a display, a headset or sound hardware (as in CI): doctor still exits 0, lists
// lavapipe, and says exactly why OpenXR is not there.
TEST(Cli, DoctorJsonWithoutHeadsetOrDisplay) {
  auto r = test::runCommand("env -u DISPLAY -u WAYLAND_DISPLAY -u XR_RUNTIME_JSON ALSOFT_DRIVERS=null " +
                            trocar("doctor --json"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);  // throws (fails the test) if not valid JSON
  EXPECT_EQ(report["schema"], "trocar.doctor/1");
  ASSERT_TRUE(report["vulkan"]["available"].get<bool>()) << report.dump(2);
  bool lavapipe = false;
  for (const auto& d : report["vulkan"]["devices"]) {
    if (d["name"].get<std::string>().find("llvmpipe") != std::string::npos) {
      lavapipe = true;
      EXPECT_EQ(d["type"], "cpu");
      EXPECT_TRUE(d["multiview"].get<bool>());
    }
  }
  EXPECT_TRUE(lavapipe) << report["vulkan"].dump(2);
  EXPECT_FALSE(report["openxr"]["available"].get<bool>());
  EXPECT_NE(report["openxr"]["reason"].get<std::string>().find("XR_ERROR_RUNTIME_UNAVAILABLE"),
            std::string::npos);
  EXPECT_NE(report["openxr"]["hint"].get<std::string>().find("XR_RUNTIME_JSON"), std::string::npos);
  EXPECT_FALSE(report["display"]["available"].get<bool>());
  EXPECT_EQ(report["auto_rig"], "headless");
  EXPECT_TRUE(report["directories"].contains("recordings"));
  EXPECT_EQ(report["directories"]["history"].get<std::string>().rfind("sqlite:", 0), 0u);  // the test cache's
}

TEST(Cli, DoctorTextSaysWhatIsMissing) {
  auto r = test::runCommand("env -u DISPLAY -u WAYLAND_DISPLAY -u XR_RUNTIME_JSON " + trocar("doctor"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("llvmpipe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("XR_ERROR_RUNTIME_UNAVAILABLE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Rig for `trocar run --rig auto`: headless"), std::string::npos) << r.out;
}

// A runtime manifest that points nowhere must be reported, not crash the loader or us.
TEST(Cli, DoctorSurvivesABrokenRuntimeManifest) {
  test::TempDir dir;
  auto manifest = dir / "broken.json";
  test::writeText(manifest, "{ this is not json");
  auto r = test::runCommand("env -u DISPLAY XR_RUNTIME_JSON='" + manifest.string() + "' " +
                            trocar("doctor --json"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_FALSE(report["openxr"]["available"].get<bool>());
  EXPECT_NE(report["openxr"]["reason"].get<std::string>().find("broken.json"), std::string::npos);
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

// The benchmark's JSON contract (issue: sim-core): one object per case with these keys, and
// the cases really do their work (the counts of what happened are part of the output).
TEST(Cli, BenchSimJsonHasEveryCaseAndKey) {
  auto r = test::runCommand(trocar("bench sim --json --ticks 20"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out["cases"].size(), 7u);
  // The contact-heavy cases touch what they press on.
  EXPECT_EQ(out["cases"][4]["name"], "volume_press_drag");
  EXPECT_GE(out["cases"][4]["events"]["contact_begin"].get<int>(), 1);
  EXPECT_EQ(out["cases"][5]["name"], "organs_in_contact");
  EXPECT_GE(out["cases"][5]["events"]["contact_begin"].get<int>(), 1);
  // The patient-derived case needs invesalius-examples (tools/setup.sh installs it).
  const bool headCt = std::filesystem::exists("/usr/share/doc/invesalius-examples/examples/Cranium.inv3");
  EXPECT_EQ(out["cases"][3]["name"], "anatomy_head");
  EXPECT_EQ(out["cases"][6]["name"], "anatomy_incision");
  if (headCt) {
    // The scalpel's stroke across the head has begun cutting the skin by the measured ticks.
    EXPECT_GE(out["cases"][6]["events"]["cut"].get<int>(), 1);
  } else {
    out["cases"].erase(6);
    out["cases"].erase(3);
  }
  for (const auto& c : out["cases"]) {
    for (const char* key : {"name", "nodes", "tick_hz", "median_tick_us", "p99_tick_us",
                            "raw_bullet_median_tick_us", "overhead_ratio", "realtime_factor"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
    EXPECT_EQ(c["tick_hz"], 500);
    EXPECT_GT(c["median_tick_us"].get<double>(), 0.0);
    EXPECT_GE(c["overhead_ratio"].get<double>(), 1.0) << "the whole tick includes the Bullet step";
  }
  EXPECT_EQ(out["cases"][0]["name"], "cloth_cut_grasp");
  EXPECT_GE(out["cases"][0]["events"]["cut"].get<int>(), 1);
  EXPECT_GE(out["cases"][2]["events"]["grasp"].get<int>(), 1);
  if (headCt) {
    // The head pack at the default budget (1000 nodes for skull and skin together); the
    // grasper comes down on the scalp and takes it within the measured ticks.
    const auto& head = out["cases"][3];
    EXPECT_LE(head["nodes"].get<int>(), 1000);
    EXPECT_GT(head["nodes"].get<int>(), 500);
    EXPECT_GE(head["events"]["grasp"].get<int>(), 1);
  }
}

TEST(Cli, BenchSimUnknownCaseIsBadInput) {
  auto r = test::runCommand(trocar("bench sim --case nope"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("cloth_cut_grasp"), std::string::npos);
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

TEST(Cli, ValidateAcceptsTheShippedScenario) {
  auto r = test::runCommand(
      trocar("validate '" TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/scenario.yaml'"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("ok: "), std::string::npos);
}

// Every file's errors, as a JSON list with line and column; exit 2.
TEST(Cli, ValidateJsonListsEveryErrorAndExitsTwo) {
  test::TempDir dir;
  auto bad = dir / "bad.yaml";
  test::writeText(bad, "trocar: 1\nid: x\ntitle: X\ntick_hz: 5\nscoring: {pass_scor: 1}\n");
  auto r = test::runCommand(
      trocar("validate --json '" + bad.string() + "' '" + (dir / "missing.yaml").string() + "'"));
  EXPECT_EQ(r.exitCode, 2);
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0]["valid"].get<bool>());
  ASSERT_EQ(out[0]["errors"].size(), 3u);  // tick_hz range, unknown key, missing pass_score
  EXPECT_EQ(out[0]["errors"][0]["line"], 4);
  EXPECT_EQ(out[0]["errors"][0]["column"], 10);
  EXPECT_EQ(out[1]["errors"].size(), 1u);
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

TEST(Cli, BenchLoadReportsColdAndCachedPerScenario) {
  auto r = test::runCommand("cd '" TROCAR_SOURCE_DIR "' && " + trocar("bench load --json --runs 1"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_GE(out["scenarios"].size(), 1u);
  for (const auto& s : out["scenarios"]) {
    EXPECT_GT(s["cold_ms"].get<double>(), 0.0);
    EXPECT_GT(s["cached_ms"].get<double>(), 0.0);
  }
}

TEST(Cli, ImportMeshJsonAndErrors) {
  test::TempDir dir;
  auto obj = dir / "cube.obj";
  test::writeText(
      obj,
      "o cube\nv 0 0 0\nv 10 0 0\nv 10 10 0\nv 0 10 0\nv 0 0 10\nv 10 0 10\nv 10 10 10\nv 0 10 10\n"
      "f 1 3 2\nf 1 4 3\nf 5 6 7\nf 5 7 8\nf 1 2 6\nf 1 6 5\nf 2 3 7\nf 2 7 6\nf 3 4 8\nf 3 8 7\n"
      "f 4 1 5\nf 4 5 8\n");
  auto r = test::runCommand(trocar("import mesh --json --units mm '" + obj.string() + "'"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["vertices"], 8);
  EXPECT_EQ(out["triangles"], 12);
  EXPECT_NEAR(out["bounds_max"][0].get<double>(), 0.01, 1e-7);
  EXPECT_TRUE(out["closed"].get<bool>());
  EXPECT_EQ(out["groups"][0], "cube");
  auto bad = test::runCommand(trocar("import mesh '" + (dir / "missing.stl").string() + "'"));
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("missing.stl"), std::string::npos);
}

// Puts a pack's fragment in a scenario (the pack beside it as anatomy/), validates it and
// records a short idle run: it loads and simulates.
void packLoadsAndSimulates(const std::filesystem::path& dir) {
  std::string fragment = readFileText(dir / "anatomy" / "anatomy.yaml").value();
  test::writeText(dir / "scenario.yaml",
                  "trocar: 1\nid: pack\ntitle: Pack\n" + fragment +
                      "checklist:\n  - {id: look, title: Look, done_when: \"time() > 0.1\"}\n"
                      "scoring: {formula: checklist, pass_score: 50}\n");
  auto valid = test::runCommand(trocar("validate '" + (dir / "scenario.yaml").string() + "'"));
  EXPECT_EQ(valid.exitCode, 0) << valid.out << valid.err;
  test::writeText(dir / "idle.yaml",
                  "keyframes:\n  - {t: 0, left: {position: [-0.3, 1.4, -0.2]}}\n  - {t: 0.3}\n");
  auto rec =
      test::runCommand(trocar("record '" + (dir / "scenario.yaml").string() + "' --bot '" +
                              (dir / "idle.yaml").string() + "' --out '" + (dir / "r.trec").string() + "'"));
  EXPECT_EQ(rec.exitCode, 0) << rec.err;
  EXPECT_NE(rec.out.find("passed"), std::string::npos) << rec.out;
}

// `import volume` on a 6 x 6 x 6 MetaImage with a 2 x 2 x 2 cube of value 100 (1 mm voxels):
// a threshold makes one structure of 8 voxels (0.008 ml); the pack and its fragment are
// written; a malformed --threshold and an empty range are bad input (exit 2).
TEST(Cli, ImportVolumeThresholdAndErrors) {
  test::TempDir dir;
  std::string mha =
      "ObjectType = Image\nNDims = 3\nDimSize = 6 6 6\nElementSpacing = 1 1 1\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n";
  std::string voxels(216, '\0');
  for (int k = 2; k < 4; ++k)
    for (int j = 2; j < 4; ++j)
      for (int i = 2; i < 4; ++i) voxels[static_cast<size_t>((k * 6 + j) * 6 + i)] = 100;
  test::writeText(dir / "cube.mha", mha + voxels);
  const std::string out = (dir / "pack").string();
  // The import renders a preview.
  auto r = test::runCommand(trocar("import volume '" + (dir / "cube.mha").string() +
                                   "' --threshold Cube=50:255 --out '" + out + "'"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("cube"), std::string::npos);
  EXPECT_NE(r.out.find("0.01"), std::string::npos)
      << "8 voxels of 1 mm^3: 0.008 ml, printed to 2 decimals" << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "pack" / "cube.node"));
  EXPECT_TRUE(std::filesystem::exists(dir / "pack" / "anatomy.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir / "pack" / "preview.png")) << "rendered on lavapipe" << r.err;
  // The pack in a scenario: its fragment as the tissues, beside it as anatomy/; it loads,
  // with the surface embedded, and simulates.
  std::filesystem::rename(dir / "pack", dir / "anatomy");
  packLoadsAndSimulates(dir.path());
  auto bad = test::runCommand(
      trocar("import volume '" + (dir / "cube.mha").string() + "' --threshold Cube=9:1 --out '" + out + "'"));
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("NAME=LO:HI"), std::string::npos) << bad.err;
  auto empty = test::runCommand(trocar("import volume '" + (dir / "cube.mha").string() +
                                       "' --threshold Air=200:255 --out '" + out + "'"));
  EXPECT_EQ(empty.exitCode, 2);
  EXPECT_NE(empty.err.find("'Air' has no voxels"), std::string::npos) << empty.err;
}

// The real data through the command line (installed by tools/setup.sh): the
// InVesalius head CT to skull and skin, the Colin27 AAL atlas to named brain structures.
// Each pack is within its budgets (20000 triangles a structure, 1000 nodes a pack), renders
// its preview (the head fills the middle of it) and loads and simulates in a scenario: the
// head in the starter scenario --scenario writes, the brain in one made from its fragment.
TEST(Cli, ImportRealAnatomyLoadsSimulatesAndRenders) {
  const std::filesystem::path cranium = "/usr/share/doc/invesalius-examples/examples/Cranium.inv3";
  const std::filesystem::path atlas = "/usr/share/mricron/templates/aal.nii.gz";
  if (!std::filesystem::exists(cranium) || !std::filesystem::exists(atlas)) {
    GTEST_SKIP() << "invesalius-examples or mricron-data is not installed (tools/setup.sh installs them)";
  }
  test::TempDir dir;
  std::filesystem::create_directories(dir / "head");
  auto head = test::runCommand(trocar("import volume '" + cranium.string() + "' --masks --scenario --out '" +
                                      (dir / "head" / "anatomy").string() + "'"));
  ASSERT_EQ(head.exitCode, 0) << head.err;
  EXPECT_NE(head.err.find("identifying attributes left behind"), std::string::npos) << head.err;
  auto provenance = nlohmann::json::parse(readFileText(dir / "head" / "anatomy" / "provenance.json").value());
  ASSERT_EQ(provenance["structures"].size(), 2u);
  size_t nodes = 0;
  for (const auto& s : provenance["structures"]) {
    EXPECT_LE(s["triangles"].get<size_t>(), 20000u) << s["id"];
    EXPECT_GT(s["triangles"].get<size_t>(), 19000u) << s["id"] << ": decimated to the budget, not far under";
    nodes += s["tet_nodes"].get<size_t>();
  }
  EXPECT_LE(nodes, 1000u);
  auto preview = render::readPng(dir / "head" / "anatomy" / "preview.png");
  ASSERT_TRUE(preview.ok()) << preview.error().toString();
  const auto& img = preview.value();
  auto differs = [&](uint32_t x, uint32_t y, uint32_t x2, uint32_t y2) {
    int d = 0;
    for (uint32_t c = 0; c < 3; ++c) d += std::abs(int(img.at(x, y, c)) - int(img.at(x2, y2, c)));
    return d > 30;
  };
  // The middle shows the head: neither the backdrop (top corner) nor the floor (bottom corner).
  EXPECT_TRUE(differs(img.width / 2, img.height / 2, 0, 0));
  EXPECT_TRUE(differs(img.width / 2, img.height / 2, 0, img.height - 1));
  // --scenario: a starter scenario beside the pack, played by its own bot. The skin is the
  // one outer structure (the skull lies inside it), and the bot touches it.
  const std::string scenario = (dir / "head" / "anatomy" / "scenario.yaml").string();
  const std::string text = readFileText(scenario).value();
  EXPECT_NE(text.find("touch-mask-2"), std::string::npos) << text;
  EXPECT_EQ(text.find("touch-mask-1"), std::string::npos) << "the skull is inside the skin:\n" << text;
  EXPECT_EQ(text.find("Cranium"), std::string::npos) << "nothing from the input's name";
  // Headless as in CI: no display, no headset (and, as for the other runs, no leak check).
  auto run = test::runCommand("env -u DISPLAY -u WAYLAND_DISPLAY XR_RUNTIME_JSON=/nonexistent.json " +
                              trocar("run '" + scenario + "' --rig headless --no-record"));
  EXPECT_EQ(run.exitCode, 0) << run.err;
  EXPECT_NE(run.out.find("[done] Touch mask-2"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("PASSED"), std::string::npos) << run.out;

  std::filesystem::create_directories(dir / "brain");
  auto brain = test::runCommand(trocar("import volume '" + atlas.string() +
                                       "' --labels /usr/share/mricron/templates/aal.nii.txt "
                                       "--structures Hippocampus_L,Hippocampus_R,Amygdala_L --out '" +
                                       (dir / "brain" / "anatomy").string() + "'"));
  ASSERT_EQ(brain.exitCode, 0) << brain.err;
  for (const char* id : {"hippocampus-l", "hippocampus-r", "amygdala-l"}) {
    EXPECT_NE(brain.out.find(id), std::string::npos) << id << " in the summary:\n" << brain.out;
    EXPECT_TRUE(std::filesystem::exists(dir / "brain" / "anatomy" / (std::string(id) + ".obj"))) << id;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "brain" / "anatomy" / "preview.png"));
  packLoadsAndSimulates(dir / "brain");
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

// record -> replay through the executable: exit 1 (below the pass mark: a reach does not
// cut the circle), identical final hashes across --jobs 2, one report per recording, and 2
// for a damaged or missing file. (Divergence, exit 3, is covered in tests/replay.)
TEST(Cli, RecordThenReplayExitCodes) {
  test::TempDir dir;
  const std::string scenario = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/scenario.yaml";
  const std::string timeline = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/bots/reach.yaml";
  auto rec = test::runCommand(trocar("record '" + scenario + "' --timeline '" + timeline + "' --out '" +
                                     (dir / "a.trec").string() + "'"));
  ASSERT_EQ(rec.exitCode, 0) << rec.err;
  auto r = test::runCommand(trocar("replay --json --jobs 2 --scenario '" + scenario + "' '" +
                                   (dir / "a.trec").string() + "' '" + (dir / "a.trec").string() +
                                   "' --report '" + (dir / "r.json").string() + "'"));
  EXPECT_EQ(r.exitCode, 1) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["final_state_hash"], out[1]["final_state_hash"]);
  EXPECT_TRUE(std::filesystem::exists(dir / "r.a.json")) << "one report per recording";
  // A recording cut inside its header is bad input.
  test::writeText(dir / "bad.trec", "TROCREC1");
  auto bad =
      test::runCommand(trocar("replay --scenario '" + scenario + "' '" + (dir / "bad.trec").string() + "'"));
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("bad.trec"), std::string::npos);
  auto missing = test::runCommand(trocar("replay '" + (dir / "none.trec").string() + "'"));
  EXPECT_EQ(missing.exitCode, 2);
}

// Parallel replays take the longest recording first (longestFirst), but report in the order
// the files were given: a 0.5 s recording listed before a 2 s one comes out first, each with
// its own tick count, and a report each.
TEST(Cli, ParallelReplaysReportInTheOrderGiven) {
  test::TempDir dir;
  const std::string scenario = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/scenario.yaml";
  const std::string timeline = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/bots/reach.yaml";
  for (const auto& [name, seconds] : {std::pair{"short", "0.5"}, std::pair{"long", "2"}}) {
    auto rec = test::runCommand(trocar("record '" + scenario + "' --timeline '" + timeline + "' --seconds " +
                                       seconds + " --out '" + (dir / name).string() + ".trec'"));
    ASSERT_EQ(rec.exitCode, 0) << rec.err;
  }
  auto r =
      test::runCommand(trocar("replay --json --jobs 2 --scenario '" + scenario + "' '" +
                              (dir / "short.trec").string() + "' '" + (dir / "long.trec").string() + "'"));
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out.size(), 2u) << r.err;
  EXPECT_NE(out[0]["file"].get<std::string>().find("short.trec"), std::string::npos);
  EXPECT_NE(out[1]["file"].get<std::string>().find("long.trec"), std::string::npos);
  EXPECT_EQ(out[0]["ticks"].get<int>(), 250);   // 0.5 s at 500 Hz
  EXPECT_EQ(out[1]["ticks"].get<int>(), 1000);  // 2 s
}

// A reference recording against its scenario with a stricter pass mark: the same run to the
// same final state, re-scored (103 points is below 150: exit 1), with a notice. With a heavier
// peg the scenario simulates differently: refused (exit 2).
TEST(Cli, AChangedPassMarkReScoresAReferenceRecording) {
  test::TempDir dir;
  const std::string source = TROCAR_SOURCE_DIR "/scenarios/fls-peg-transfer/";
  auto text = readFileText(source + "scenario.yaml");
  ASSERT_TRUE(text.ok());
  std::string stricter = text.value();
  const size_t at = stricter.find("pass_score: ");
  ASSERT_NE(at, std::string::npos);
  stricter.replace(at, stricter.find('}', at) - at, "pass_score: 150");
  test::writeText(dir / "scenario.yaml", stricter);
  const std::string recording = source + "recordings/expert.trec";
  auto r = test::runCommand(
      trocar("replay --json --scenario '" + (dir / "scenario.yaml").string() + "' '" + recording + "'"));
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("re-scored under the current ones"), std::string::npos) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0]["rescored"].get<bool>());
  EXPECT_FALSE(out[0]["passed"].get<bool>());
  auto expected = nlohmann::json::parse(readFileText(source + "recordings/expert.expected.json").value());
  EXPECT_EQ(out[0]["final_state_hash"], expected["final_state_hash"]);
  EXPECT_DOUBLE_EQ(out[0]["score"].get<double>(), expected["score"].get<double>());

  std::string heavier = stricter;
  const size_t mass = heavier.find("mass_kg: 0.002");
  ASSERT_NE(mass, std::string::npos);
  heavier.replace(mass, 14, "mass_kg: 0.003");
  test::writeText(dir / "scenario.yaml", heavier);
  auto refused = test::runCommand(
      trocar("replay --scenario '" + (dir / "scenario.yaml").string() + "' '" + recording + "'"));
  EXPECT_EQ(refused.exitCode, 2);
  EXPECT_NE(refused.err.find("simulates differently"), std::string::npos) << refused.err;
}

// Calibrate from the peg transfer's reference recordings (expert twice: n = 2, SD 0; the
// novice as the novices): each metric's mean is the expert report's value, the threshold
// under expert_mean is that mean, the novice's 68.4 s misses the 40.4 s threshold
// (separates), and the file loads as the scenario's benchmark. A recording of another
// scenario is refused and nothing is written.
TEST(Cli, CalibrateWritesABenchmarkFromExpertRecordings) {
  test::TempDir dir;
  const std::string source = TROCAR_SOURCE_DIR "/scenarios/fls-peg-transfer/";
  const std::string expert = source + "recordings/expert.trec", novice = source + "recordings/novice.trec";
  const std::string out = (dir / "benchmark.yaml").string();
  auto r = test::runCommand(trocar("calibrate '" + source + "scenario.yaml' --experts '" + expert + "' '" +
                                   expert + "' --novices '" + novice + "' --out '" + out + "'"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("expert_mean thresholds from 2 experts"), std::string::npos) << r.out;
  auto loaded = scenario::loadBenchmarkFile(out);
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].toString();
  const scenario::Benchmark& b = *loaded.benchmark;
  EXPECT_EQ(b.scenarioId, "fls-peg-transfer");
  EXPECT_EQ(b.policy, scenario::ThresholdPolicy::kExpertMean);
  ASSERT_EQ(b.experts.size(), 2u);
  EXPECT_EQ(b.experts[0].digest.rfind("blake2b-256:", 0), 0u);
  auto expected = nlohmann::json::parse(readFileText(source + "recordings/expert.expected.json").value());
  auto noviceExpected =
      nlohmann::json::parse(readFileText(source + "recordings/novice.expected.json").value());
  const scenario::MetricBenchmark* time = b.find("task_time_s");
  ASSERT_NE(time, nullptr);
  EXPECT_EQ(time->n, 2u);
  EXPECT_NEAR(time->mean, expected["formula"]["task_time_s"].get<double>(), 1e-6);
  EXPECT_DOUBLE_EQ(time->sd, 0.0);
  EXPECT_DOUBLE_EQ(time->threshold, time->mean);
  EXPECT_NEAR(time->noviceMean, noviceExpected["formula"]["task_time_s"].get<double>(), 1e-6);
  EXPECT_TRUE(time->separates);
  const scenario::MetricBenchmark* dropped = b.find("pegs_dropped");
  ASSERT_NE(dropped, nullptr);
  EXPECT_DOUBLE_EQ(dropped->threshold, 0.0);
  EXPECT_DOUBLE_EQ(dropped->noviceMean, noviceExpected["metrics"]["objects"]["dropped"].get<double>());
  EXPECT_EQ(b.find("cut_mean_mm"), nullptr);  // no marked line in peg transfer

  test::writeText(dir / "benchmark.yaml", "untouched");
  const std::string other = TROCAR_SOURCE_DIR "/scenarios/lap-cholecystectomy/recordings/expert.trec";
  auto refused = test::runCommand(
      trocar("calibrate '" + source + "scenario.yaml' --experts '" + other + "' --out '" + out + "'"));
  EXPECT_EQ(refused.exitCode, 2);
  EXPECT_NE(refused.err.find("nothing was written"), std::string::npos) << refused.err;
  EXPECT_EQ(readFileText(out).value(), "untouched");
}

// Sign and verify: a key pair, a report and its recording signed; verified as they are, and
// not verified after one flipped byte in the report, or in the recording, or in the signature,
// or against another signer's key; each failure names what. A report is only signed with its
// own recording; a damaged signature file is bad input with its line.
TEST(Cli, SignAndVerifyAReportWithItsRecording) {
  test::TempDir dir;
  const std::string scenario = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/scenario.yaml";
  const std::string timeline = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/bots/reach.yaml";
  const std::string d = dir.path().string() + "/";
  ASSERT_EQ(test::runCommand(
                trocar("record '" + scenario + "' --timeline '" + timeline + "' --out " + d + "a.trec"))
                .exitCode,
            0);
  ASSERT_EQ(test::runCommand(trocar("record '" + scenario + "' --timeline '" + timeline +
                                    "' --trainee other --out " + d + "b.trec"))
                .exitCode,
            0);
  auto replay = test::runCommand(
      trocar("replay --scenario '" + scenario + "' " + d + "a.trec --report " + d + "a.json"));
  ASSERT_LE(replay.exitCode, 1) << replay.err;
  auto report = nlohmann::json::parse(readFileText(dir / "a.json").value());
  ASSERT_TRUE(report["recording_digest"].is_string());
  EXPECT_EQ(report["recording_digest"].get<std::string>().rfind("blake2b-256:", 0), 0u);
  ASSERT_EQ(test::runCommand(trocar("sign --new-key " + d + "me")).exitCode, 0);
  ASSERT_EQ(test::runCommand(trocar("sign --new-key " + d + "other")).exitCode, 0);
  EXPECT_EQ(std::filesystem::status(dir / "me.key").permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none)
      << "the secret key is its owner's alone";
  auto wrongPair = test::runCommand(trocar("sign --key " + d + "me.key " + d + "a.json " + d + "b.trec"));
  EXPECT_EQ(wrongPair.exitCode, 2);
  EXPECT_NE(wrongPair.err.find("another recording"), std::string::npos) << wrongPair.err;
  auto sign = test::runCommand(trocar("sign --key " + d + "me.key " + d + "a.json " + d + "a.trec"));
  ASSERT_EQ(sign.exitCode, 0) << sign.err;
  const std::string verify = trocar("verify " + d + "a.json.sig");
  auto ok = test::runCommand(verify + " --key " + d + "me.pub");
  EXPECT_EQ(ok.exitCode, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("verified"), std::string::npos);
  auto other = test::runCommand(verify + " --key " + d + "other.pub");
  EXPECT_EQ(other.exitCode, 3);
  EXPECT_NE(other.out.find("signed with another key"), std::string::npos) << other.out;

  // One flipped byte at a time, put back after.
  // (In the signature file a hex digit becomes another hex digit, so that it still reads.)
  auto flipped = [&](const std::string& file, size_t at, const std::string& expect) {
    auto bytes = readFileBytes(dir / file).value();
    ASSERT_LT(at, bytes.size());
    const auto original = bytes;
    if (file.ends_with(".sig")) {
      bytes[at] = bytes[at] == '0' ? '1' : '0';
    } else {
      bytes[at] ^= 0x01;
    }
    ASSERT_TRUE(writeFileAtomic(dir / file, std::span<const uint8_t>(bytes)).ok());
    auto r = test::runCommand(verify);
    EXPECT_EQ(r.exitCode, 3) << file << " " << r.out << r.err;
    EXPECT_NE(r.out.find(expect), std::string::npos) << r.out;
    ASSERT_TRUE(writeFileAtomic(dir / file, std::span<const uint8_t>(original)).ok());
  };
  flipped("a.json", 40, "the report " + d + "a.json changed since it was signed");
  flipped("a.trec", readFileBytes(dir / "a.trec").value().size() / 2,
          "the recording " + d + "a.trec changed since it was signed");
  const std::string sig = readFileText(dir / "a.json.sig").value();
  flipped("a.json.sig", sig.size() - 3, "the signature does not match");
  EXPECT_EQ(test::runCommand(verify).exitCode, 0) << "all put back";

  test::writeText(dir / "cut.sig", sig.substr(0, sig.find("recording")));
  auto cut = test::runCommand(trocar("verify " + d + "cut.sig"));
  EXPECT_EQ(cut.exitCode, 2);
  EXPECT_NE(cut.err.find("cut.sig:1"), std::string::npos) << cut.err;
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

TEST(Cli, BenchReplayJsonShape) {
  auto r = test::runCommand("cd '" TROCAR_SOURCE_DIR "' && " + trocar("bench replay --json --bot reach"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out["recordings"].size(), 1u);
  EXPECT_EQ(out["recordings"][0]["name"], "fls-pattern-cutting/reach");
  for (const auto& rec : out["recordings"]) {
    for (const char* key : {"name", "sim_seconds", "wall_seconds", "realtime_factor"})
      EXPECT_TRUE(rec.contains(key)) << key;
    EXPECT_GT(rec["realtime_factor"].get<double>(), 0.0);
  }
  EXPECT_GT(out["jobs2_speedup"].get<double>(), 0.0);
}

TEST(Cli, BenchReplayUnknownBotIsBadInput) {
  auto r = test::runCommand("cd '" TROCAR_SOURCE_DIR "' && " + trocar("bench replay --bot no-such-bot"));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--bot"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace trocar

namespace trocar {
namespace {

TEST(Cli, BenchRenderJsonShapeAndValidationClean) {
  auto r = test::runCommand("cd '" TROCAR_SOURCE_DIR "' && " +
                            trocar("bench render --json --validation --width 64 --height 48 --frames 3"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["views"], 2);
  EXPECT_EQ(out["width"], 64);
  EXPECT_EQ(out["validation_messages"], 0);
  EXPECT_GT(out["fps"].get<double>(), 0.0);
  EXPECT_GT(out["cpu_frame_ms_median"].get<double>(), 0.0);
  EXPECT_GE(out["gpu_frame_ms_median"].get<double>(), 0.0);
  EXPECT_TRUE(out["software_device"].get<bool>());
  auto missing = test::runCommand(trocar("bench render --scene /nonexistent.yaml"));
  EXPECT_EQ(missing.exitCode, 2);
}

// replay --snapshots: one PNG per checkpoint (1 Hz) of the endoscope's picture and one of
// the end (3.5 s: 1750 ticks), the same pixels on a second replay; an unwritable folder is
// exit 4, not a crash.
TEST(Cli, ReplaySnapshotsAtCheckpoints) {
  test::TempDir dir;
  const std::string scenario = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/scenario.yaml";
  const std::string timeline = TROCAR_SOURCE_DIR "/scenarios/fls-pattern-cutting/bots/reach.yaml";
  auto rec = test::runCommand(trocar("record '" + scenario + "' --timeline '" + timeline +
                                     "' --seconds 3.5 --out '" + (dir / "run.trec").string() + "'"));
  ASSERT_EQ(rec.exitCode, 0) << rec.err;
  for (const char* sub : {"a", "b"}) {
    auto r = test::runCommand(trocar("replay --json --scenario '" + scenario + "' --snapshots '" +
                                     (dir / sub).string() + "' '" + (dir / "run.trec").string() + "'"));
    EXPECT_EQ(r.exitCode, 1) << r.err;  // a reach is below the pass mark
    auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out[0]["snapshots"], 4);
  }
  for (const char* name : {"run-00000500.png", "run-00001000.png", "run-00001500.png", "run-00001750.png"}) {
    auto a = readFileBytes(dir / "a" / name);
    auto b = readFileBytes(dir / "b" / name);
    ASSERT_TRUE(a.ok() && b.ok()) << name;
    EXPECT_GT(a.value().size(), 1000u) << name;
    EXPECT_EQ(a.value(), b.value()) << name << " differs between two replays";
  }
  test::writeText(dir / "file", "not a folder");
  auto blocked =
      test::runCommand(trocar("replay --scenario '" + scenario + "' --snapshots '" +
                              (dir / "file" / "x").string() + "' '" + (dir / "run.trec").string() + "'"));
  EXPECT_EQ(blocked.exitCode, 4) << blocked.err;
  EXPECT_NE(blocked.err.find("snapshot folder"), std::string::npos) << blocked.err;
}

}  // namespace
}  // namespace trocar
