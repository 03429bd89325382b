// Determinism: the same scripted inputs give == identical hash sequences, twice in one
// process and once in a child process. Also checks grasp, cut, clip and contact happen.
#include "SimTestUtil.h"

#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace trocar::physics {
namespace {

using instruments::InstrumentKind;

struct ScriptRun {
  std::vector<Hash64> hashes;
  std::vector<EventKind> kinds;
};

// 1,200 ticks at 500 Hz on a corner-pinned gauze: the left grasper descends, grasps and
// lifts; the right scissors come down and close; at tick 700 the right hand takes a clip
// applier and clips the gauze.
ScriptRun scriptedRun(TickProfiler* profiler = nullptr) {
  World world(WorldSettings{});
  world.setProfiler(profiler);
  TissueSettings cloth = test::clothAt(0.1f, 24);
  cloth.fixed = {NodeSelector::border()};  // a taut membrane: little sag
  cloth.regions.push_back({"centre", NodeSelector::circle(Vec2(0.0f), 0.03f)});
  TissueId gauze = world.addTissue(cloth).value();
  (void)gauze;
  InstrumentSettings grasper = test::openInstrument(InstrumentKind::kGrasper);
  InstrumentSettings scissors = test::openInstrument(InstrumentKind::kScissors);
  world.setInstrument(Hand::kLeft, grasper);
  world.setInstrument(Hand::kRight, scissors);
  ScriptRun run;
  for (int t = 0; t < 1200; ++t) {
    InputFrame in;
    float s = static_cast<float>(t) / 500.0f;
    // Left: from 3 cm above down into the (sagging) cloth at (-0.02, 0), close at 0.5 s, lift
    // after 0.8 s, let go at 1.3 s.
    float ly = t < 250 ? 0.13f - 0.04f * s / 0.5f : (t < 400 ? 0.09f : 0.09f + 0.03f * (s - 0.8f));
    in.hands[0].pose = test::handPointingDown({-0.02f, ly, 0.0f}, grasper.spec);
    in.hands[0].trigger = t >= 250 && t < 650 ? 1.0f : 0.0f;  // releases at 1.3 s
    // Right: blades straddle the cloth at (0.025, 0); close at 0.6 s, open at 0.9 s.
    // They come down from 3 cm above in 0.4 s.
    const float ry = std::max(0.086f, 0.13f - 0.044f * s / 0.4f);
    in.hands[1].pose =
        test::handPointingDown({0.025f + 0.002f * std::sin(s * 7.0f), ry, 0.01f}, scissors.spec);
    // From 1.4 s the right hand carries the clip applier over fresh gauze at (0, -0.025) and
    // lowers it in 0.1 s until the membrane lies across its jaws, 3 mm from their tips.
    if (t >= 700) {
      const float cy = std::max(0.097f, 0.12f - 0.023f * static_cast<float>(t - 700) / 50.0f);
      in.hands[1].pose = test::handPointingDown({0.0f, cy, -0.025f}, scissors.spec);
    }
    in.hands[1].trigger = (t >= 300 && t < 450) || t >= 760 ? 1.0f : 0.0f;
    if (t == 700) world.setInstrument(Hand::kRight, test::openInstrument(InstrumentKind::kClipApplier));
    for (const Event& e : world.step(in)) run.kinds.push_back(e.kind);
    run.hashes.push_back(world.stateHash());
  }
  return run;
}

bool has(const ScriptRun& r, EventKind k) {
  return std::find(r.kinds.begin(), r.kinds.end(), k) != r.kinds.end();
}

TEST(Determinism, SameInputsSameHashesInProcess) {
  ScriptRun a = scriptedRun();
  ScriptRun b = scriptedRun();
  ASSERT_EQ(a.hashes.size(), 1200u);
  EXPECT_TRUE(a.hashes == b.hashes);
  EXPECT_TRUE(a.kinds == b.kinds);
  // The script exercises what the contract covers.
  EXPECT_TRUE(has(a, EventKind::kContactBegin));
  EXPECT_TRUE(has(a, EventKind::kGrasp));
  EXPECT_TRUE(has(a, EventKind::kCut));
  EXPECT_TRUE(has(a, EventKind::kClipApplied)) << [&] {
    std::string k;
    for (auto e : a.kinds) k += std::string(toString(e)) + " ";
    return k;
  }();
  // The state actually evolves (a constant hash would pass the comparison trivially).
  EXPECT_NE(a.hashes.front(), a.hashes.back());
}

// A profiler (trocar bench) is told every phase of every tick, and being told changes
// nothing: the same hashes and events as without one. Jaws closing (grasp, snip, clip) are
// their own phase, nested in the hands' one.
TEST(Determinism, AProfiledRunIsTheSameRun) {
  struct Log : TickProfiler {
    std::vector<TickPhase> phases;
    void enter(TickPhase p) override { phases.push_back(p); }
  } log;
  ScriptRun profiled = scriptedRun(&log);
  ScriptRun plain = scriptedRun();
  EXPECT_TRUE(profiled.hashes == plain.hashes);
  EXPECT_TRUE(profiled.kinds == plain.kinds);
  const std::vector<TickPhase> tick = {TickPhase::kInput,   TickPhase::kBullet,  TickPhase::kContact,
                                       TickPhase::kSensing, TickPhase::kObjects, TickPhase::kGuard,
                                       TickPhase::kTear};
  ASSERT_GE(log.phases.size(), tick.size());
  EXPECT_TRUE(std::equal(tick.begin(), tick.end(), log.phases.begin()))
      << "the first tick's phases, in order";
  // Three jaw closings (grasp, snip, clip) and three openings: each enters kTools and goes
  // back to the hands' phase.
  const auto tools = std::count(log.phases.begin(), log.phases.end(), TickPhase::kTools);
  EXPECT_GE(tools, 5);
  for (size_t i = 1; i + 1 < log.phases.size(); ++i) {
    if (log.phases[i] == TickPhase::kTools && log.phases[i - 1] == TickPhase::kInput) {
      EXPECT_EQ(log.phases[i + 1], TickPhase::kInput);
    }
  }
}

// Writes the hash sequence to $TROCAR_DETERMINISM_OUT; run as a child by the test below.
TEST(Determinism, ChildWriter) {
  const char* out = std::getenv("TROCAR_DETERMINISM_OUT");
  if (!out) GTEST_SKIP() << "only runs as the child of SameHashesInAChildProcess";
  ScriptRun r = scriptedRun();
  std::ofstream f(out);
  for (Hash64 h : r.hashes) f << hashToHex(h) << "\n";
}

TEST(Determinism, SameHashesInAChildProcess) {
  trocar::test::TempDir dir;
  auto file = dir / "hashes.txt";
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(n, 0);
  exe[n] = '\0';
  auto child = trocar::test::runCommand("TROCAR_DETERMINISM_OUT='" + file.string() + "' '" +
                                        std::string(exe) + "' --gtest_filter=Determinism.ChildWriter");
  ASSERT_EQ(child.exitCode, 0) << child.out << child.err;
  ScriptRun here = scriptedRun();
  std::ifstream in(file);
  std::string line;
  size_t i = 0;
  while (std::getline(in, line)) {
    ASSERT_LT(i, here.hashes.size());
    EXPECT_EQ(line, hashToHex(here.hashes[i])) << "first difference at tick " << i + 1;
    if (line != hashToHex(here.hashes[i])) break;
    ++i;
  }
  EXPECT_EQ(i, here.hashes.size());
}

}  // namespace
}  // namespace trocar::physics
