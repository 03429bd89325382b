// Scenario files: valid ones load and build, every error class is reported with its
// message and line:column, and no input crashes the loader.
#include <trocar/core/File.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace trocar::scenario {
namespace {

const std::filesystem::path kSource = TROCAR_SOURCE_DIR;

// A minimal valid scenario; tests append or replace lines to break it.
const char* kMinimal = R"yaml(trocar: 1
id: minimal
title: Minimal
tissues:
  - id: gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}
    fixed: corners
    markings:
      - {id: circle, circle: {center: [0, 0], radius: 0.02}}
regions:
  - {id: inside-circle, tissue: gauze, marking: circle}
instruments: {left: grasper, right: scissors}
checklist:
  - {id: cut-circle, done_when: "detached(gauze, inside-circle)"}
scoring: {formula: fls, cutoff_s: 300, pass_score: 120}
)yaml";

LoadResult load(const std::string& text) {
  return loadScenarioText(text, "test.yaml");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// Exactly one error, with this message, at this line and column.
void expectError(const LoadResult& r, const std::string& message, uint32_t line, uint32_t column) {
  ASSERT_EQ(r.errors.size(), 1u) << [&] {
    std::string all;
    for (const auto& e : r.errors) all += e.toString() + "\n";
    return all;
  }();
  EXPECT_EQ(r.errors[0].message, message);
  EXPECT_EQ(r.errors[0].where.file, "test.yaml");
  EXPECT_EQ(r.errors[0].where.line, line);
  EXPECT_EQ(r.errors[0].where.column, column);
  EXPECT_FALSE(r.errors[0].hint.empty()) << "every error says what to do";
}

TEST(Scenario, MinimalLoadsAndBuilds) {
  LoadResult r = load(kMinimal);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const ScenarioDesc& s = *r.scenario;
  EXPECT_EQ(s.id, "minimal");
  EXPECT_EQ(s.tickHz, 500u);
  ASSERT_EQ(s.tissues.size(), 1u);
  EXPECT_EQ(s.tissues[0].settings.regions.size(), 1u);
  EXPECT_EQ(s.checklist[0].doneWhen.text, "detached");
  EXPECT_EQ(s.scoring.passScore, 120.0);
  auto session = buildSession(s);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session.value()->world().nodeCount(physics::TissueId{0}), 81u);
  EXPECT_TRUE(session.value()->world().instrument(instruments::Hand::kRight).present);
}

// A hand's tray: `kind` then `exchange`; the session starts with the first and changes on
// the input's instrument index. A misspelt instrument is an error at its position.
TEST(Scenario, InstrumentExchangeTray) {
  LoadResult r = load(
      replaced(kMinimal, "instruments: {left: grasper, right: scissors}",
               "instruments: {left: grasper, right: {kind: grasper, exchange: [clip_applier, scissors]}}"));
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const auto& right = r.scenario->instruments.at(instruments::Hand::kRight);
  ASSERT_EQ(right.exchange.size(), 2u);
  EXPECT_EQ(right.exchange[0], instruments::InstrumentKind::kClipApplier);
  EXPECT_EQ(right.exchange[1], instruments::InstrumentKind::kScissors);
  auto session = std::move(buildSession(*r.scenario)).value();
  physics::InputFrame in;
  in.hands[1].pose.position = {0.1f, 1.3f, 0.0f};
  in.hands[1].instrument = 2;
  session->step(in);
  physics::WorldSnapshot snap;
  session->world().snapshot(snap);
  EXPECT_EQ(snap.instruments[1].kind, instruments::InstrumentKind::kScissors);
  EXPECT_EQ(snap.instruments[0].kind, instruments::InstrumentKind::kGrasper) << "the left hand has no tray";

  expectError(load(replaced(kMinimal, "instruments: {left: grasper, right: scissors}",
                            "instruments: {left: grasper, right: {kind: grasper, exchange: [clip_aplier]}}")),
              "unknown instrument 'clip_aplier'", 12, 64);
}

TEST(Scenario, UnknownKeyWithSuggestion) {
  auto r = load(replaced(kMinimal, "title: Minimal", "titel: Minimal\ntitle: Minimal"));
  expectError(r, "unknown key 'titel' in the scenario", 3, 1);
  EXPECT_EQ(r.errors[0].hint, "did you mean 'title'?");
}

// bleeding() of a tissue that is not a vessel can never happen: said where it is written;
// a bleed rate on a tissue that is not a vessel likewise.
TEST(Scenario, BleedingNeedsAVessel) {
  expectError(load(replaced(kMinimal, "detached(gauze, inside-circle)", "bleeding(gauze)")),
              "done_when of step 'cut-circle': bleeding(gauze) can never be true: 'gauze' is not a vessel",
              14, 43);
  expectError(load(replaced(kMinimal, "fixed: corners", "fixed: corners\n    bleed_ml_per_s: 3")),
              "bleed_ml_per_s is for vessels", 8, 21);
  auto vessel = load(replaced(replaced(kMinimal, "fixed: corners", "fixed: corners\n    vessel: true"),
                              "detached(gauze, inside-circle)", "bleeding(gauze)"));
  ASSERT_TRUE(vessel.ok()) << vessel.errors[0].toString();
  EXPECT_TRUE(vessel.scenario->tissues[0].settings.vessel);
  EXPECT_EQ(vessel.scenario->tissues[0].settings.bleedMlPerS, 2.0f) << "the default rate";
}

TEST(Scenario, WrongType) {
  expectError(load(replaced(kMinimal, "fixed: corners", "fixed: 12")), "fixed: '12' is not a node selection",
              7, 12);
  // A list of selections is allowed; each item is checked where it stands.
  expectError(load(replaced(kMinimal, "fixed: corners", "fixed: [corners, 2]")),
              "fixed: '2' is not a node selection", 7, 22);
}

TEST(Scenario, OutOfRangeTickRate) {
  expectError(load(std::string(kMinimal) + "tick_hz: 2000\n"), "tick_hz is 2000, outside [50, 1000]", 16, 10);
}

TEST(Scenario, NegativeMass) {
  expectError(
      load(replaced(kMinimal, "    fixed: corners", "    material: {mass_kg: -0.5}\n    fixed: corners")),
      "material.mass_kg is -0.5, outside [1e-06, 100]", 7, 25);
}

// The FLS board's pieces: a triangle ([outer side, thickness, bar width]) and a zone around a
// static post. A zone around a moving object, and bars that leave no hole, are errors where
// they are written.
TEST(Scenario, TrianglesAndZonesAroundPosts) {
  const std::string board =
      std::string(kMinimal) +
      "objects:\n"
      "  - {id: post, shape: cylinder, size: [0.0025, 0.02, 0.0025], position: [0.1, 1, 0]}\n"
      "  - {id: tri, shape: triangle, size: [0.022, 0.005, 0.003], mass_kg: 0.002, "
      "position: [0.1, 1, 0]}\n"
      "zones:\n"
      "  - {id: on, around: [post]}\n";
  auto ok = load(board);
  ASSERT_TRUE(ok.ok()) << ok.errors[0].toString();
  ASSERT_EQ(ok.scenario->objects.size(), 2u);
  EXPECT_EQ(ok.scenario->objects[1].settings.shape, physics::RigidShape::kTriangle);
  EXPECT_EQ(ok.scenario->objects[1].settings.halfExtents, Vec3(0.011f, 0.0025f, 0.0015f));
  ASSERT_EQ(ok.scenario->zones.size(), 1u);
  EXPECT_EQ(ok.scenario->zones[0].around, std::vector<std::string>{"post"});
  EXPECT_TRUE(buildSession(*ok.scenario).ok());

  const std::string moving = "  - {id: on, around: [tri]}";
  expectError(load(replaced(board, "  - {id: on, around: [post]}", moving)),
              "around names 'tri', which is not a static object", 20,
              static_cast<uint32_t>(moving.find("tri]") + 1));
  const std::string wide = "size: [0.022, 0.005, 0.007]";
  const auto wideLoad = load(replaced(board, "size: [0.022, 0.005, 0.003]", wide));
  ASSERT_FALSE(wideLoad.ok());
  EXPECT_EQ(wideLoad.errors[0].message, "a triangle's bars are too wide for its side: they leave no hole");
  EXPECT_EQ(wideLoad.errors[0].where.line, 18u);
}

TEST(Scenario, RegionSelectingNoNode) {
  auto r = load(replaced(kMinimal, "  - {id: inside-circle, tissue: gauze, marking: circle}",
                         "  - {id: inside-circle, tissue: gauze, marking: circle}\n"
                         "  - {id: far, tissue: gauze, sphere: {center: [5, 5, 5], radius: 0.01}}"));
  expectError(r, "tissue 'gauze': region 'far' selects no node", 12, 5);
}

TEST(Scenario, ChecklistRefersToUnknownRegion) {
  auto r = load(replaced(kMinimal, "detached(gauze, inside-circle)", "detached(gauze, inside-circel)"));
  // Column: the scalar's opening quote is at 33, so the expression starts at 34, and
  // 'inside-circel' is at offset 16 in it.
  expectError(r, "done_when of step 'cut-circle': 'inside-circel' is not a region of this scenario", 14, 50);
  EXPECT_EQ(r.errors[0].hint, "did you mean 'inside-circle'?");
}

TEST(Scenario, ChecklistRefersToUnknownInstrumentHand) {
  auto r = load(replaced(kMinimal, "detached(gauze, inside-circle)", "grasped(middle, gauze)"));
  expectError(r, "done_when of step 'cut-circle': 'middle' is not a hand (left or right) of this scenario",
              14, 42);
}

TEST(Scenario, StepOrderingCycle) {
  auto r = load(replaced(kMinimal, "  - {id: cut-circle, done_when: \"detached(gauze, inside-circle)\"}",
                         "  - {id: a, done_when: \"detached(gauze, inside-circle)\", after: b}\n"
                         "  - {id: b, done_when: \"detached(gauze, inside-circle)\", after: a}"));
  expectError(r, "checklist steps wait for each other in a cycle: a -> b -> a", 14, 5);
}

TEST(Scenario, MissingTetMeshFile) {
  auto r = load(replaced(
      kMinimal,
      "    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}\n    fixed: corners\n",
      "    tetmesh: {file: liver.node}\n"));
  ASSERT_FALSE(r.errors.empty());
  // Placed where the scenario names it (line 6, the value after "    tetmesh: {file: " at column 21), naming
  // the file.
  EXPECT_NE(r.errors[0].message.find("No such file"), std::string::npos) << r.errors[0].toString();
  EXPECT_NE(r.errors[0].message.find("cannot read '"), std::string::npos) << r.errors[0].toString();
  EXPECT_NE(r.errors[0].message.find("liver.node'"), std::string::npos) << r.errors[0].toString();
  EXPECT_EQ(r.errors[0].where.file, "test.yaml");
  EXPECT_EQ(r.errors[0].where.line, 6u);
  EXPECT_EQ(r.errors[0].where.column, 21u);
  EXPECT_EQ(r.errors[0].hint.find("check the path"), std::string::npos) << "its own hint, once";
}

TEST(Scenario, EveryErrorInOneRunInFileOrder) {
  std::string text = kMinimal;
  text = replaced(text, "title: Minimal", "title: Minimal\ntick_hz: 5");
  text = replaced(text, "right: scissors", "right: scisors");
  text = replaced(text, "pass_score: 120", "pass_scor: 120");
  auto r = load(text);
  ASSERT_EQ(r.errors.size(), 4u);  // tick_hz, instrument, unknown key, missing pass_score
  for (size_t i = 1; i < r.errors.size(); ++i) EXPECT_LE(r.errors[i - 1].where.line, r.errors[i].where.line);
}

TEST(Scenario, SchemaVersionAndRequiredKeys) {
  auto r = load("trocar: 2\nid: x\ntitle: X\nscoring: {pass_score: 1}\n");
  expectError(r, "schema version 2 is not supported by this build (it reads 1)", 1, 9);
  auto missing = load("id: x\n");
  ASSERT_GE(missing.errors.size(), 3u);  // trocar, title, scoring
  EXPECT_EQ(missing.errors[0].message, "missing 'trocar: 1' (the schema version)");
}

// Whatever the bytes: errors, never a crash.
TEST(Scenario, HostileInputsGiveErrors) {
  EXPECT_FALSE(load("").ok());
  EXPECT_FALSE(load(std::string("trocar: 1\0\x01\x02", 12)).ok());
  EXPECT_FALSE(load(std::string(100000, '[')).ok());  // deep nesting
  EXPECT_FALSE(load(std::string(200000, '{')).ok());
  EXPECT_FALSE(load("- just\n- a list\n").ok());
  EXPECT_FALSE(load("trocar: 1\ntissues: {a: b}\nregions: 7\nchecklist: [1, [2], {3: 4}]\n").ok());
  EXPECT_FALSE(load(":\n  - :\n    ? [\n").ok());
  std::mt19937 rng(7);
  std::string base = kMinimal;
  for (int i = 0; i < 300; ++i) {  // random byte mutations of a valid file
    std::string t = base;
    for (int k = 0; k < 5; ++k) t[rng() % t.size()] = static_cast<char>(rng() % 128);
    (void)load(t);
  }
}

TEST(Scenario, HugeFileIsRefusedWithItsSize) {
  test::TempDir dir;
  auto path = dir / "huge.yaml";
  std::ofstream(path) << "trocar: 1\n" << std::string(10 << 20, '#');
  auto r = loadScenarioFile(path);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("at most 4 MiB"), std::string::npos);
}

// A render surface embedded in the tets: one triangle whose corners sit at the tet's centre
// (weights 1/4 each) and on two of its nodes. Resolved to node indices; a count that does
// not match the OBJ, a tet out of range, or a surface without its embedding are errors.
TEST(Scenario, EmbeddedSurfaceFollowsItsTet) {
  test::TempDir dir;
  std::ofstream(dir / "piece.node") << "4 3 0 0\n0 0 0 0\n1 10 0 0\n2 0 10 0\n3 0 0 10\n";
  std::ofstream(dir / "piece.ele") << "1 4 0\n0 0 1 2 3\n";
  std::ofstream(dir / "piece.obj") << "v 2.5 2.5 2.5\nv 10 0 0\nv 0 10 0\nf 1 2 3\n";
  std::ofstream(dir / "piece.embed")
      << "# vertex -> tet, weights\n3\n0 0.25 0.25 0.25 0.25\n0 0 1 0 0\n0 0 0 1 0\n";
  std::string text =
      replaced(kMinimal,
               "    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}\n    fixed: "
               "corners\n    markings:\n      - {id: circle, circle: {center: [0, 0], radius: 0.02}}\n",
               "    tetmesh: {file: piece.node, units: mm, surface: piece.obj, embed: piece.embed}\n");
  text = replaced(text, "  - {id: inside-circle, tissue: gauze, marking: circle}",
                  "  - {id: inside-circle, tissue: gauze, sphere: {center: [0, 0, 0], radius: 0.001}}");
  std::ofstream(dir / "s.yaml") << text;
  auto r = loadScenarioFile(dir / "s.yaml");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const auto& t = r.scenario->tissues[0];
  ASSERT_TRUE(t.settings.embedded.has_value());
  EXPECT_EQ(t.settings.embedded->indices, (std::vector<uint32_t>{0, 1, 2}));
  ASSERT_EQ(t.settings.embedded->nodes.size(), 3u);
  // The first vertex, from the nodes: the tet's centroid, (2.5, 2.5, 2.5) mm.
  Vec3 p(0.0f);
  for (int k = 0; k < 4; ++k)
    p += t.settings.embedded->weights[0][static_cast<size_t>(k)] *
         t.settings.tetMesh.nodes[t.settings.embedded->nodes[0][static_cast<size_t>(k)]];
  EXPECT_NEAR(p.x, 0.0025f, 1e-7f);
  EXPECT_NEAR(p.z, 0.0025f, 1e-7f);

  std::ofstream(dir / "piece.embed") << "3\n0 0.25 0.25 0.25 0.25\n5 0 1 0 0\n0 0 0 1 0\n";
  auto badTet = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(badTet.errors.size(), 1u);
  EXPECT_EQ(badTet.errors[0].where.line, 3u);
  EXPECT_NE(badTet.errors[0].where.file.find("piece.embed"), std::string::npos);
  std::ofstream(dir / "piece.embed") << "2\n0 0.25 0.25 0.25 0.25\n0 0 1 0 0\n";
  auto short_ = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(short_.errors.size(), 1u);
  EXPECT_NE(short_.errors[0].message.find("one line per vertex of piece.obj (3)"), std::string::npos);
  std::ofstream(dir / "s.yaml") << replaced(text, ", embed: piece.embed", "");
  auto alone = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(alone.errors.size(), 1u);
  EXPECT_EQ(alone.errors[0].message, "tetmesh: surface and embed go together");
}

// volume: one label of a segmented volume inside a .tar.gz, imported when the scenario loads
// (through the cache TROCAR_CACHE_DIR names) and placed by anchor, position and rotation.
TEST(Scenario, AVolumeLabelInsideAnArchiveBecomesATissue) {
  test::TempDir dir;
  // A ball of label 7, radius 6 voxels of 1 mm, centred on voxel (10, 10, 10) of 20^3.
  std::string inr = "#INRIMAGE-4#{\nXDIM=20\nYDIM=20\nZDIM=20\nVDIM=1\nTYPE=unsigned fixed\nPIXSIZE=8 bits\n";
  inr.resize(252, '\n');
  inr += "##}\n";
  for (int k = 0; k < 20; ++k)
    for (int j = 0; j < 20; ++j)
      for (int i = 0; i < 20; ++i)
        inr.push_back(
            static_cast<char>((i - 10) * (i - 10) + (j - 10) * (j - 10) + (k - 10) * (k - 10) <= 36 ? 7 : 0));
  std::filesystem::create_directories(dir / "vol");
  std::ofstream(dir / "vol/ball.inr", std::ios::binary) << inr;
  ASSERT_EQ(std::system(("cd '" + dir.path().string() + "' && tar -czf vol.tar.gz vol").c_str()), 0);
  ::setenv("TROCAR_CACHE_DIR", (dir / "cache").c_str(), 1);
  const std::string tissue =
      "    volume: {file: vol.tar.gz, member: vol/ball.inr, label: 7, nodes: 60, triangles: 500,\n"
      "             anchor: [0.01, -0.01, -0.01], position: [0, 0.95, -0.45], rotation_deg: [0, 90, 0]}\n";
  std::string text =
      replaced(kMinimal,
               "    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}\n    fixed: "
               "corners\n    markings:\n      - {id: circle, circle: {center: [0, 0], radius: 0.02}}\n",
               tissue);
  text =
      replaced(text, "  - {id: inside-circle, tissue: gauze, marking: circle}",
               "  - {id: inside-circle, tissue: gauze, sphere: {center: [0, 0.95, -0.45], radius: 0.007}}");
  std::ofstream(dir / "s.yaml") << text;
  auto r = loadScenarioFile(dir / "s.yaml");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const auto& t = r.scenario->tissues[0].settings;
  EXPECT_EQ(t.kind, physics::TissueKind::kVolumetric);
  ASSERT_FALSE(t.tetMesh.nodes.empty());
  EXPECT_LE(t.tetMesh.nodes.size(), 60u);
  // The ball's centre (the anchor) is where `position` says, whatever the turn.
  Vec3 lo(1e9f), hi(-1e9f);
  ASSERT_TRUE(t.embedded.has_value());
  for (size_t v = 0; v < t.embedded->nodes.size(); ++v) {
    Vec3 p(0.0f);
    for (size_t k = 0; k < 4; ++k) p += t.embedded->weights[v][k] * t.tetMesh.nodes[t.embedded->nodes[v][k]];
    lo = glm::min(lo, p);
    hi = glm::max(hi, p);
  }
  const Vec3 mid = (lo + hi) * 0.5f;
  EXPECT_NEAR(mid.x, 0.0f, 0.0011f);
  EXPECT_NEAR(mid.y, 0.95f, 0.0011f);
  EXPECT_NEAR(mid.z, -0.45f, 0.0011f);
  EXPECT_NEAR(hi.y - lo.y, 0.013f, 0.002f);  // a 6 mm radius, surface between voxel centres
  EXPECT_TRUE(std::filesystem::exists(dir / "cache/labels"));

  // A member the archive lacks, and a volume a package should have installed.
  std::ofstream(dir / "s.yaml") << replaced(text, "member: vol/ball.inr", "member: vol/bal.inr");
  auto member = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(member.errors.size(), 1u);
  EXPECT_NE(member.errors[0].message.find("holds no file 'vol/bal.inr'"), std::string::npos)
      << member.errors[0].toString();
  EXPECT_EQ(member.errors[0].where.line, 6u);  // the tissue's volume: line
  std::ofstream(dir / "s.yaml") << replaced(text, "file: vol.tar.gz", "file: /usr/share/nothing/data.tar.gz");
  auto package = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(package.errors.size(), 1u);
  EXPECT_NE(package.errors[0].hint.find("tools/setup.sh"), std::string::npos) << package.errors[0].toString();
  std::ofstream(dir / "s.yaml") << replaced(text, "label: 7", "label: 8");
  auto label = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(label.errors.size(), 1u);
  EXPECT_NE(label.errors[0].message.find("has no voxels"), std::string::npos) << label.errors[0].toString();
  ::unsetenv("TROCAR_CACHE_DIR");
}

TEST(Scenario, TetGenMeshLoadsWithUnitsAndContentHashCoversIt) {
  test::TempDir dir;
  // One tetrahedron in millimetres, 1-based indices (TetGen's default).
  std::ofstream(dir / "piece.node") << "# a test mesh\n4 3 0 0\n1 0 0 0\n2 10 0 0\n3 0 10 0\n4 0 0 10\n";
  std::ofstream(dir / "piece.ele") << "1 4 0\n1 1 2 3 4\n";
  std::string text =
      replaced(kMinimal,
               "    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}\n    fixed: "
               "corners\n    markings:\n      - {id: circle, circle: {center: [0, 0], radius: 0.02}}\n",
               "    tetmesh: {file: piece.node, units: mm, position: [0, 0.5, 0]}\n");
  text = replaced(text, "  - {id: inside-circle, tissue: gauze, marking: circle}",
                  "  - {id: inside-circle, tissue: gauze, sphere: {center: [0, 0.5, 0], radius: 0.001}}");
  std::ofstream(dir / "s.yaml") << text;
  auto r = loadScenarioFile(dir / "s.yaml");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const auto& mesh = r.scenario->tissues[0].settings.tetMesh;
  ASSERT_EQ(mesh.nodes.size(), 4u);
  EXPECT_NEAR(mesh.nodes[1].x, 0.01f, 1e-7f);  // 10 mm
  EXPECT_NEAR(mesh.nodes[1].y, 0.5f, 1e-7f);
  Hash64 first = r.scenario->contentHash;
  // Editing the mesh file changes the scenario's content hash.
  std::ofstream(dir / "piece.node") << "4 3 0 0\n1 0 0 0\n2 11 0 0\n3 0 10 0\n4 0 0 10\n";
  auto again = loadScenarioFile(dir / "s.yaml");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.scenario->contentHash, first);
  // A broken .ele names the file and line.
  std::ofstream(dir / "piece.ele") << "1 4 0\n1 1 2 3 9\n";
  auto broken = loadScenarioFile(dir / "s.yaml");
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_EQ(broken.errors[0].where.line, 2u);
  EXPECT_NE(broken.errors[0].where.file.find("piece.ele"), std::string::npos);
  EXPECT_NE(broken.errors[0].message.find("refers to point 9"), std::string::npos);
}

TEST(Scenario, EveryScenarioInTheRepositoryValidates) {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource / "scenarios")) {
    if (entry.path().filename() != "scenario.yaml") continue;
    ++count;
    auto r = loadScenarioFile(entry.path());
    EXPECT_TRUE(r.ok()) << entry.path() << ": " << (r.errors.empty() ? "" : r.errors[0].toString());
  }
  EXPECT_GE(count, 1);
}

// scenarios/FORMAT.md: every ```yaml block that starts with 'trocar: 1' is a complete
// scenario and must load; the doc and the parser stay in step.
TEST(Scenario, EveryExampleInTheFormatDocLoads) {
  auto doc = readFileText(kSource / "scenarios" / "FORMAT.md");
  ASSERT_TRUE(doc.ok());
  const std::string& text = doc.value();
  const std::string open = "```yaml\n", close = "```";
  int examples = 0;
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
    size_t start = at + open.size();
    size_t end = text.find(close, start);
    ASSERT_NE(end, std::string::npos) << "unterminated yaml block";
    std::string yaml = text.substr(start, end - start);
    at = end + close.size();
    if (yaml.rfind("trocar: 1", 0) != 0) continue;
    ++examples;
    auto r = loadScenarioText(yaml, kSource / "scenarios" / "FORMAT.md");
    EXPECT_TRUE(r.ok()) << "example " << examples << ": " << (r.errors.empty() ? "" : r.errors[0].toString());
  }
  EXPECT_GE(examples, 3);
}

}  // namespace
}  // namespace trocar::scenario

namespace trocar::scenario {
namespace {

// A closed mesh tissue from an OBJ in millimetres, with a named group used as a region; an
// open mesh is refused with its edge counts.
TEST(Scenario, MeshTissueWithGroupRegion) {
  test::TempDir dir;
  std::ofstream(dir / "organ.obj")
      << "g kidney\nv 0 0 0\nv 40 0 0\nv 40 40 0\nv 0 40 0\nv 0 0 40\nv 40 0 40\nv 40 40 40\nv 0 40 40\n"
         "f 1 3 2\nf 1 4 3\nf 5 6 7\nf 5 7 8\nf 1 2 6\nf 1 6 5\n"
         "g hilum\nf 2 3 7\nf 2 7 6\nf 3 4 8\nf 3 8 7\nf 4 1 5\nf 4 5 8\n";
  std::string scenario = R"yaml(trocar: 1
id: mesh-organ
title: Mesh organ
tissues:
  - id: kidney
    mesh: {file: organ.obj, units: mm, up_axis: y, position: [0, 1, 0]}
    material: {mass_kg: 0.1}
regions:
  - {id: hilum, tissue: kidney, group: hilum}
checklist:
  - {id: touch, done_when: "contact(left, hilum)"}
scoring: {formula: checklist, pass_score: 1}
)yaml";
  std::ofstream(dir / "s.yaml") << scenario;
  auto r = loadScenarioFile(dir / "s.yaml");
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const auto& t = r.scenario->tissues[0].settings;
  EXPECT_EQ(t.kind, physics::TissueKind::kSurface);
  EXPECT_EQ(t.surface.vertices.size(), 8u);
  EXPECT_NEAR(t.surface.vertices[6].x, 0.04f, 1e-6f);  // 40 mm
  EXPECT_NEAR(t.surface.vertices[6].y, 1.04f, 1e-6f);
  ASSERT_EQ(t.regions.size(), 1u);
  EXPECT_EQ(t.regions[0].selector.indices.size(), 8u) << "the hilum group's triangles touch all 8 corners";

  std::ofstream(dir / "organ.obj") << "v 0 0 0\nv 40 0 0\nv 40 40 0\nf 1 2 3\n";  // now open
  auto open = loadScenarioFile(dir / "s.yaml");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.errors[0].message.find("is not a closed surface (3 open edge(s)"), std::string::npos)
      << open.errors[0].toString();
  EXPECT_EQ(open.errors[0].where.line, 6u);
}

}  // namespace
}  // namespace trocar::scenario

namespace trocar::scenario {
namespace {

const char* kOneTetScenario = R"yaml(trocar: 1
id: one-tet
title: One tet
tissues:
  - id: piece
    tetmesh: {file: piece.msh, units: cm}
scoring: {formula: checklist, pass_score: 1}
)yaml";

// Gmsh 2.2 and 4.1 ASCII files holding one tetrahedron (plus a triangle and a point that
// must be ignored), in centimetres.
TEST(Scenario, GmshVersionsTwoAndFour) {
  const char* v2 =
      "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 0 1 0\n4 0 0 1\n$EndNodes\n"
      "$Elements\n3\n1 15 2 0 1 1\n2 2 2 0 1 1 2 3\n3 4 2 0 1 1 2 3 4\n$EndElements\n";
  const char* v4 =
      "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Entities\n0 0 0 1\n1 0 0 0 1 1 1 0 0\n$EndEntities\n"
      "$Nodes\n1 4 10 13\n3 1 0 4\n10\n11\n12\n13\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n$EndNodes\n"
      "$Elements\n2 2 1 2\n2 1 2 1\n1 10 11 12\n3 1 4 1\n2 10 11 12 13\n$EndElements\n";
  for (const char* text : {v2, v4}) {
    test::TempDir dir;
    std::ofstream(dir / "piece.msh") << text;
    std::ofstream(dir / "s.yaml") << kOneTetScenario;
    auto r = loadScenarioFile(dir / "s.yaml");
    ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
    const auto& mesh = r.scenario->tissues[0].settings.tetMesh;
    ASSERT_EQ(mesh.nodes.size(), 4u);
    ASSERT_EQ(mesh.tets.size(), 1u);
    EXPECT_NEAR(mesh.nodes[1].x, 0.01f, 1e-7f);  // 1 cm
  }
}

TEST(Scenario, GmshErrorsNameTheLine) {
  struct Case {
    const char* text;
    uint32_t line;
    const char* fragment;
  };
  const Case cases[] = {
      {"$MeshFormat\n4.1 1 8\n$EndMeshFormat\n", 2, "binary .msh files are not supported"},
      {"$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1 0 0\n", 7,
       "the file ends inside $Nodes"},
      {"$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n1\n1 0 0 0\n$EndNodes\n$Elements\n1\n1 4 0 1 2 3 "
       "4\n$EndElements\n",
       10, "refers to node 2"},
      {"hello\n", 1, "not a Gmsh mesh"},
  };
  for (const auto& c : cases) {
    test::TempDir dir;
    std::ofstream(dir / "piece.msh") << c.text;
    std::ofstream(dir / "s.yaml") << kOneTetScenario;
    auto r = loadScenarioFile(dir / "s.yaml");
    ASSERT_EQ(r.errors.size(), 1u) << c.fragment;
    EXPECT_NE(r.errors[0].message.find(c.fragment), std::string::npos) << r.errors[0].toString();
    EXPECT_EQ(r.errors[0].where.line, c.line) << r.errors[0].toString();
    EXPECT_NE(r.errors[0].where.file.find("piece.msh"), std::string::npos);
  }
}

}  // namespace
}  // namespace trocar::scenario

namespace trocar::scenario {
namespace {

// Markings are kept for the renderer; cloth defaults to dry white fabric.
TEST(Scenario, MarkingsAndDefaultAppearance) {
  LoadResult r = load(kMinimal);
  ASSERT_TRUE(r.ok());
  const TissueDesc& t = r.scenario->tissues[0];
  ASSERT_EQ(t.markings.size(), 1u);
  EXPECT_EQ(t.markings[0].id, "circle");
  EXPECT_FLOAT_EQ(t.markings[0].radius, 0.02f);
  EXPECT_EQ(t.appearance.look, TissueLook::kFabric);
  EXPECT_FLOAT_EQ(t.appearance.wetness, 0.0f);
}

// Markings on cloth are given in the cloth's plane ([x, z] from its centre; this gauze lies at
// y = 1 m), on other tissues in the stage frame; a marking is one shape, a line has two
// points or more, and one drawn off the surface is refused where it is written.
TEST(Scenario, MarkingsAreLinesOrCirclesOnAnyTissue) {
  LoadResult ok = load(replaced(kMinimal, "      - {id: circle, circle: {center: [0, 0], radius: 0.02}}",
                                "      - {id: circle, circle: {center: [0, 0], radius: 0.02}}\n"
                                "      - {id: line, polyline: [[-0.02, 0.01], [0.02, 0.01]]}"));
  ASSERT_TRUE(ok.ok()) << ok.errors[0].toString();
  const TissueDesc& t = ok.scenario->tissues[0];
  ASSERT_EQ(t.settings.markings.size(), 2u);
  EXPECT_FLOAT_EQ(t.settings.markings[0].radius, 0.02f);
  EXPECT_FLOAT_EQ(t.settings.markings[0].normal.y, 1.0f);
  ASSERT_EQ(t.settings.markings[1].points.size(), 2u);
  EXPECT_FLOAT_EQ(t.settings.markings[1].points[0].x, -0.02f);
  EXPECT_FLOAT_EQ(t.settings.markings[1].points[0].y, 1.0f);
  EXPECT_FLOAT_EQ(t.settings.markings[1].points[0].z, 0.01f);
  EXPECT_FALSE(t.markings[1].circle);

  const std::string block =
      "  - id: block\n"
      "    generate: {box: {size: [0.04, 0.02, 0.04], cells: [2, 1, 2], position: [0, 0.5, 0]}}\n"
      "    material: {mass_kg: 0.05}\n"
      "    fixed: {box: {center: [0, 0.49, 0], size: [0.05, 0.002, 0.05]}}\n"
      "    markings:\n";
  auto withBlock = [&](const std::string& marking) {
    return load(replaced(kMinimal, "regions:\n", block + marking + "regions:\n"));
  };
  LoadResult onBlock = withBlock("      - {id: incision, polyline: [[-0.01, 0.51, 0], [0.01, 0.51, 0]]}\n");
  ASSERT_TRUE(onBlock.ok()) << onBlock.errors[0].toString();
  EXPECT_FLOAT_EQ(onBlock.scenario->tissues[1].settings.markings[0].points[1].y, 0.51f);
  expectError(
      withBlock("      - {id: m, polyline: [[0, 0.51, 0]], circle: {center: [0, 0.51, 0], radius: 0.01}}\n"),
      "a marking is a circle or a polyline, not both", 15, 9);
  expectError(withBlock("      - {id: m, polyline: [[0, 0.51, 0]]}\n"),
              "a polyline needs at least two points", 15, 27);
  expectError(withBlock("      - {id: m, polyline: [[0, 0.51], [0, 0.51, 0]]}\n"),
              "polyline point ([x, y, z], m, stage frame) must be a list of 3 numbers", 15, 28);
  expectError(withBlock("      - {id: m, polyline: [[0, 0.54, 0], [0, 0.51, 0]]}\n"),
              "tissue 'block', marking 'm': point (0.000, 0.540, 0.000) is 3.0 cm from the tissue's surface",
              10, 5);
}

TEST(Scenario, AppearanceIsReadAndChecked) {
  LoadResult ok = load(replaced(kMinimal, "    fixed: corners",
                                "    appearance: {look: tissue, color: [0.5, 0.2, 0.1], wetness: 0.7}\n"
                                "    fixed: corners"));
  ASSERT_TRUE(ok.ok()) << ok.errors[0].toString();
  const AppearanceDesc& a = ok.scenario->tissues[0].appearance;
  EXPECT_EQ(a.look, TissueLook::kTissue);
  EXPECT_FLOAT_EQ(a.color.g, 0.2f);
  EXPECT_FLOAT_EQ(a.wetness, 0.7f);

  expectError(
      load(replaced(kMinimal, "    fixed: corners", "    appearance: {look: velvet}\n    fixed: corners")),
      "unknown look 'velvet'", 7, 24);
  expectError(load(replaced(kMinimal, "    fixed: corners",
                            "    appearance: {color: [1.5, 0, 0]}\n    fixed: corners")),
              "appearance.color components must lie in [0, 1]", 7, 25);
}

}  // namespace
}  // namespace trocar::scenario

namespace trocar::scenario {
namespace {

TEST(Scenario, FeedbackSectionIsReadAndChecked) {
  LoadResult ok = load(
      std::string(kMinimal) +
      "feedback:\n"
      "  haptics: {contact: {touch: 0.2, threshold_n: 0.3, max_force_n: 3}, cut: {amplitude: 0.9, hz: 200}}\n"
      "  visuals: {ghost_hand: false}\n");
  ASSERT_TRUE(ok.ok()) << ok.errors[0].toString();
  const feedback::FeedbackSettings& f = ok.scenario->feedback;
  EXPECT_FLOAT_EQ(f.contact.touch, 0.2f);
  EXPECT_FLOAT_EQ(f.contact.thresholdN, 0.3f);
  EXPECT_FLOAT_EQ(f.contact.saturationN, 3.0f);
  EXPECT_FLOAT_EQ(f.cut.amplitude, 0.9f);
  EXPECT_FLOAT_EQ(f.cut.frequencyHz, 200.0f);
  EXPECT_FALSE(f.ghostHand);
  EXPECT_TRUE(f.stressTint);
  expectError(load(std::string(kMinimal) + "feedback:\n  haptics: {cut: {amplitude: 2}}\n"),
              "feedback.haptics.cut.amplitude is 2, outside [0, 1]", 17, 30);
  expectError(
      load(std::string(kMinimal) + "feedback:\n  haptics: {contact: {threshold_n: 5, max_force_n: 4}}\n"),
      "feedback.haptics.contact.max_force_n must exceed threshold_n", 17, 22);
}

}  // namespace
}  // namespace trocar::scenario

namespace trocar::scenario {
namespace {

// collides_with: names tissues above it; the built world then keeps their surfaces apart
// (tests/sim/ContactTest.cpp). A tissue not above it is an error at the name.
TEST(Scenario, CollidesWithNamesTissuesAboveIt) {
  const std::string two =
      replaced(std::string(kMinimal), "regions:",
               "  - id: cyst\n"
               "    generate: {sphere: {radii: [0.01, 0.01, 0.01], position: [0, 1.02, 0]}}\n"
               "    collides_with: [gauze]\n"
               "regions:");
  LoadResult r = load(two);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  EXPECT_EQ(r.scenario->tissues[1].settings.collidesWith, std::vector<std::string>{"gauze"});
  ASSERT_TRUE(buildSession(*r.scenario).ok());
  const std::string wrong = replaced(two, "collides_with: [gauze]", "collides_with: [liver]");
  expectError(load(wrong), "collides_with names 'liver', which is not a tissue listed above this one", 12,
              21);
}

// drape: a sheet laid over tissues above it. Over the flat gauze at y = 1 (every ray down from
// y = 1.01 meets it within the 2 cm depth) it rests the 1 mm gap above it, and its regions
// select the draped nodes: a box around y = 1.001 that the flat sheet (y = 1.01) would miss.
// A name not above it is an error at the name; a gap not under the depth at the drape.
TEST(Scenario, DrapeLaysASheetOverTissuesAboveIt) {
  const std::string veil =
      replaced(std::string(kMinimal), "regions:\n",
               "  - id: veil\n"
               "    generate: {cloth: {size: [0.04, 0.04], cells: [4, 4], position: [0, 1.01, 0], drape: "
               "{over: [gauze], "
               "gap: 0.001, depth: 0.02}}}\n"
               "    fixed: border\n"
               "regions:\n"
               "  - {id: middle, tissue: veil, box: {center: [0, 1.001, 0], size: [0.024, 0.001, 0.024]}}\n");
  LoadResult r = load(veil);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  EXPECT_EQ(r.scenario->tissues[1].settings.cloth.drapeOver, std::vector<std::string>{"gauze"});
  auto session = buildSession(*r.scenario);
  ASSERT_TRUE(session.ok()) << session.error().message;
  const physics::World& w = session.value()->world();
  const physics::TissueId id = *w.findTissue("veil");
  const auto middle = w.regionNodes(id, *w.findRegion(id, "middle"));
  EXPECT_EQ(middle.size(), 9u) << "the 3 x 3 nodes within 12 mm of the centre, draped";
  for (uint32_t n : middle) EXPECT_NEAR(w.nodePosition(id, n).y, 1.001f, 1e-5f);
  expectError(load(replaced(veil, "over: [gauze]", "over: [liver]")),
              "drape over 'liver', which is not a tissue listed above this one", 11, 98);
  expectError(load(replaced(veil, "depth: 0.02", "depth: 0.001")), "drape gap must be less than its depth",
              11, 90);
}

// The YAML traps instructors fell into, each said in plain words with one hint (the issue's
// wording: "quote this value: it contains a comma", "write all(A, B) for A and B").
TEST(Scenario, YamlTrapsAreSaidInPlainWords) {
  // An unquoted comma inside a one-line {...}: `circle)` (column 39) became a key with no value.
  auto titled = load(replaced(kMinimal, "{id: cut-circle,", "{id: cut-circle, title: Cut (the, circle),"));
  expectError(titled, "'circle)' reads as a key with no value: a comma inside {...} ends a value", 14, 39);
  EXPECT_NE(titled.errors[0].hint.find("quote the value"), std::string::npos);
  // A colon in a title: yaml-cpp stops at the second colon (column 14).
  auto colon = load(replaced(kMinimal, "title: Minimal", "title: Step 1: cut"));
  expectError(colon, "not valid YAML: illegal map value", 3, 14);
  EXPECT_NE(colon.errors[0].hint.find("must be quoted"), std::string::npos);
  // A bad indent.
  auto indent = load(replaced(kMinimal, "    fixed: corners", "   fixed: corners"));
  ASSERT_EQ(indent.errors.size(), 1u);
  EXPECT_NE(indent.errors[0].hint.find("indentation"), std::string::npos) << indent.errors[0].toString();
  // `A and B`, `A or B`: the condition's text starts at column 34, `and` 31 characters in.
  auto both = load(replaced(kMinimal, "\"detached(gauze, inside-circle)\"",
                            "\"detached(gauze, inside-circle) and time() > 1\""));
  expectError(both, "done_when of step 'cut-circle': 'and' joins conditions only as a function", 14, 65);
  EXPECT_EQ(both.errors[0].hint, "write all(A, B) for A and B");
  auto either = load(replaced(kMinimal, "\"detached(gauze, inside-circle)\"",
                              "\"detached(gauze, inside-circle) or time() > 1\""));
  ASSERT_EQ(either.errors.size(), 1u);
  EXPECT_EQ(either.errors[0].hint, "write any(A, B) for A or B");
  // A name that starts with the word is still a name: `orbit` is not `or`.
  auto name = load(
      replaced(kMinimal, "\"detached(gauze, inside-circle)\"", "\"detached(gauze, inside-circle) orbit\""));
  ASSERT_EQ(name.errors.size(), 1u);
  EXPECT_NE(name.errors[0].message.find("unexpected 'o'"), std::string::npos);
}

}  // namespace
}  // namespace trocar::scenario
