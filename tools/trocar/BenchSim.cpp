// `trocar bench sim`: tick cost of representative simulation cases, against the same bodies
// stepped by Bullet alone. Numbers from lavapipe-free, single-threaded CPU work; run on an
// idle machine and compare ratios within one run.

#include "Commands.h"
#include "PhaseTimer.h"

#include <trocar/assets/AnatomyPack.h>
#include <trocar/core/File.h>
#include <trocar/core/Version.h>
#include <trocar/physics/Generators.h>
#include <trocar/physics/World.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <unistd.h>

namespace trocar::cli {
namespace {

using namespace trocar::physics;
using instruments::InstrumentKind;
using Clock = std::chrono::steady_clock;

// A hand whose open instrument points straight down with its tip at `tip`.
Pose handDown(const Vec3& tip, float shaftLength) {
  Quat q = glm::angleAxis(-kPi / 2.0f, Vec3(1.0f, 0.0f, 0.0f));
  return {tip + q * Vec3(0.0f, 0.0f, shaftLength), q};
}

InstrumentSettings openTool(InstrumentKind kind) {
  InstrumentSettings s;
  s.spec = instruments::defaultSpec(kind);
  s.spec.shaftLength = 0.2f;
  return s;
}

struct BenchCase {
  std::string name;
  std::function<std::shared_ptr<World>()> build;  // null: the case cannot run here (said why)
  std::function<InputFrame(Tick)> script;         // the trainee's hands, per tick
};

// FLS pattern cutting: a 28 x 28 cell gauze (841 nodes, ~1,000 once cut) pinned at the
// corners; the left grasper holds and lifts it, the right scissors close every 0.4 s while
// sweeping a circle. Resolution traded for speed (measured on the 2-core dev machine):
// gauze has next to no bending stiffness, so bend 0 spares ~6 bending links per node, and
// 2 solver iterations hold its stretch; a 32 x 32 gauze with bending and 4 iterations costs
// ~890 us a tick (2.2x real time) against ~360 us here (5.6x).
BenchCase clothCase() {
  BenchCase c;
  c.name = "cloth_cut_grasp";
  c.build = [] {
    auto world = std::make_unique<World>(WorldSettings{});
    TissueSettings s;
    s.name = "gauze";
    s.cloth.size = {0.1f, 0.1f};
    s.cloth.cellsX = s.cloth.cellsZ = 28;
    s.cloth.pose.position = {0.0f, 0.1f, 0.0f};
    s.material.massKg = 0.004f;
    s.solverIterations = 2;
    s.material.bend = 0.0f;
    s.fixed = {NodeSelector::corners()};
    (void)world->addTissue(s).value();
    world->setInstrument(Hand::kLeft, openTool(InstrumentKind::kGrasper));
    world->setInstrument(Hand::kRight, openTool(InstrumentKind::kScissors));
    return world;
  };
  c.script = [](Tick t) {
    InputFrame in;
    float s = static_cast<float>(t) / 500.0f;
    // The gauze sags to ~0.067 m under its weight; the grasper takes it at 0.062 and lifts.
    float ly = t < 250 ? 0.12f - 0.058f * s / 0.5f : 0.062f + 0.01f * std::sin(s);
    in.hands[0].pose = handDown({-0.035f, ly, 0.0f}, 0.2f);
    in.hands[0].trigger = t >= 250 ? 1.0f : 0.0f;
    // The scissors come down from above too, their blades straddling the gauze at 0.058.
    const float ry = std::max(0.058f, 0.12f - 0.062f * s / 0.5f);
    in.hands[1].pose = handDown({0.02f * std::sin(0.5f * s), ry, 0.02f * std::cos(0.5f * s)}, 0.2f);
    in.hands[1].trigger = (t / 100) % 2 == 1 ? 1.0f : 0.0f;
    return in;
  };
  return c;
}

// A tet block centred over the origin, its underside on the floor (y = 0) and fixed there.
TissueSettings blockOnFloor(const std::string& name, Vec3 halfExtents, uint32_t nx, uint32_t ny,
                            uint32_t nz) {
  TissueSettings s;
  s.name = name;
  s.kind = TissueKind::kVolumetric;
  s.tetMesh =
      generateTetBox(halfExtents, nx, ny, nz, {{0.0f, halfExtents.y + 0.0001f, 0.0f}, Quat(1, 0, 0, 0)});
  s.material.massKg = 0.1f;
  s.fixed = {NodeSelector::box(Vec3(0.0f), Vec3(halfExtents.x + 0.01f, 0.0015f, halfExtents.z + 0.01f))};
  return s;
}

// A volumetric organ block (8 x 2 x 8 cm, fixed underneath), grasped and pulled: (nx, 4, nz)
// cells of 6 tets. At 14 x 14 (1,125 nodes) with 2 solver iterations it runs ~5.2x real
// time; the issue's ~1,500 nodes (16 x 16, 1,445 nodes) measured 4.0x.
BenchCase volumeCase(uint32_t nx, uint32_t nz) {
  BenchCase c;
  c.name = "volume_grasp";
  c.build = [nx, nz] {
    auto world = std::make_unique<World>(WorldSettings{});
    TissueSettings s = blockOnFloor("liver", {0.04f, 0.01f, 0.04f}, nx, 4, nz);
    s.solverIterations = 2;
    (void)world->addTissue(s).value();
    world->setInstrument(Hand::kLeft, openTool(InstrumentKind::kGrasper));
    return world;
  };
  c.script = [](Tick t) {
    InputFrame in;
    float s = static_cast<float>(t) / 500.0f;
    float y = t < 200 ? 0.04f - 0.02f * s / 0.4f : 0.02f + 0.01f * std::min(1.0f, s - 0.4f);
    in.hands[0].pose = handDown({0.0f, y, 0.0f}, 0.2f);
    in.hands[0].trigger = t >= 200 ? 1.0f : 0.0f;
    return in;
  };
  return c;
}

// Contact on a coarse volume: a 9 x 3 x 9 cm block of 3 cm cells (its nodes three tool widths
// apart), fixed underneath; the grasper, jaws closed, comes down onto its top, presses (the
// hand 8 mm into it) and drags to and fro across it for as long as the case runs.
BenchCase pressDragCase() {
  BenchCase c;
  c.name = "volume_press_drag";
  c.build = [] {
    auto world = std::make_unique<World>(WorldSettings{});
    TissueSettings s = blockOnFloor("organ", {0.045f, 0.015f, 0.045f}, 3, 1, 3);
    (void)world->addTissue(s).value();
    world->setInstrument(Hand::kLeft, openTool(InstrumentKind::kGrasper));
    return world;
  };
  c.script = [](Tick t) {
    InputFrame in;
    const float s = static_cast<float>(t) / 500.0f;
    const float y = t < 150 ? 0.05f - 0.028f * s / 0.3f : 0.022f;  // the top is at 0.0301
    in.hands[0].pose = handDown({0.02f * std::sin(2.0f * s), y, 0.007f}, 0.2f);
    in.hands[0].trigger = 1.0f;
    return in;
  };
  return c;
}

// Two organs in contact (collides_with): a 16 mm cyst resting on a liver block (8 x 2 x 8 cm,
// 2 cm cells, fixed underneath); the grasper presses the cyst into it from above, slowly.
BenchCase organsCase() {
  BenchCase c;
  c.name = "organs_in_contact";
  c.build = [] {
    auto world = std::make_unique<World>(WorldSettings{});
    (void)world->addTissue(blockOnFloor("liver", {0.04f, 0.01f, 0.04f}, 4, 1, 4)).value();
    TissueSettings cyst;
    cyst.name = "cyst";
    cyst.kind = TissueKind::kSurface;
    cyst.surface = generateSphere(Vec3(0.008f), 2, {{0.003f, 0.0283f, 0.002f}, Quat(1, 0, 0, 0)});
    cyst.material.massKg = 0.005f;
    cyst.material.volume = 0.9f;
    cyst.collidesWith = {"liver"};
    (void)world->addTissue(cyst).value();
    world->setInstrument(Hand::kLeft, openTool(InstrumentKind::kGrasper));
    return world;
  };
  c.script = [](Tick t) {
    InputFrame in;
    const float s = static_cast<float>(t) / 500.0f;
    // Down onto the cyst's top (about 0.036 m) by 0.6 s, then pressing 1 to 3 mm in.
    const float y = t < 300 ? 0.07f - 0.036f * s / 0.6f : 0.034f - 0.001f * std::sin(3.0f * s);
    in.hands[0].pose = handDown({0.003f, y, 0.002f}, 0.2f);
    in.hands[0].trigger = 1.0f;
    return in;
  };
  return c;
}

// FLS peg transfer: a board, six pegs; the left grasper picks one up and carries it.
BenchCase pegCase() {
  BenchCase c;
  c.name = "peg_transfer";
  c.build = [] {
    auto world = std::make_unique<World>(WorldSettings{});
    RigidSettings board;
    board.name = "board";
    board.halfExtents = {0.08f, 0.005f, 0.05f};
    board.pose.position = {0.0f, 0.005f, 0.0f};
    (void)world->addRigid(board).value();
    for (int i = 0; i < 6; ++i) {
      RigidSettings peg;
      peg.name = "peg-" + std::to_string(i);
      peg.shape = RigidShape::kCylinder;
      peg.halfExtents = {0.004f, 0.006f, 0.004f};
      peg.massKg = 0.002f;
      peg.pose.position = {-0.05f + 0.02f * static_cast<float>(i), 0.0162f, 0.0f};
      (void)world->addRigid(peg).value();
    }
    (void)world->addTargetZone({"right-board", {0.05f, 0.02f, 0.03f}, {0.03f, 0.02f, 0.02f}, {}});
    world->setInstrument(Hand::kLeft, openTool(InstrumentKind::kGrasper));
    world->setInstrument(Hand::kRight, openTool(InstrumentKind::kGrasper));
    return world;
  };
  c.script = [](Tick t) {
    InputFrame in;
    float s = static_cast<float>(t % 1000) / 500.0f;
    float y = s < 0.4f ? 0.04f - 0.02f * s / 0.4f : 0.02f + 0.02f * std::min(1.0f, s - 0.4f);
    in.hands[0].pose = handDown({-0.05f + 0.03f * std::max(0.0f, s - 0.6f), y, 0.0f}, 0.2f);
    in.hands[0].trigger = s >= 0.4f && s < 1.8f ? 1.0f : 0.0f;
    in.hands[1].pose = handDown({0.06f, 0.05f, 0.03f}, 0.2f);
    return in;
  };
  return c;
}

// A patient's head from CT (invesalius-examples' Cranium.inv3: skull and skin masks),
// imported with `trocar import volume`'s defaults (once per run), put in a scenario through
// its fragment exactly as an instructor would, with `instruments` (YAML), and loaded. `top`
// becomes the top of the head as drawn: the highest point that a grid of vertical rays over
// the pack meets where the skin is smooth for 8 mm around (rays, not nodes: nodes lie outside
// the drawn surface they carry).
std::shared_ptr<World> headWorld(const std::string& name, const std::string& instruments, Vec3& top) {
  static std::optional<Result<assets::AnatomyPack>> pack;
  if (!pack) {
    const std::filesystem::path cranium = "/usr/share/doc/invesalius-examples/examples/Cranium.inv3";
    std::error_code statusError;
    if (!std::filesystem::exists(cranium, statusError)) {
      std::fprintf(stderr, "%s: %s is missing (tools/setup.sh installs invesalius-examples)\n", name.c_str(),
                   cranium.string().c_str());
      return nullptr;
    }
    assets::VolumeImportOptions o;
    o.savedMasks = true;
    pack = assets::importVolume(cranium, o);
  }
  if (!pack->ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), pack->error().toString().c_str());
    return nullptr;
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("trocar-bench-anatomy-" + std::to_string(::getpid()));
  auto written = assets::writeAnatomyPack(pack->value(), dir / "anatomy");
  auto fragment = readFileText(dir / "anatomy" / "anatomy.yaml");
  std::shared_ptr<World> world;
  if (written.ok() && fragment.ok()) {
    auto loaded = scenario::loadScenarioText(
        "trocar: 1\nid: anatomy-bench\ntitle: Anatomy bench\ninstruments:\n" + instruments +
            fragment.value() + "scoring: {formula: checklist, pass_score: 0}\n",
        dir / "scenario.yaml");
    if (loaded.ok()) {
      auto session = scenario::buildSession(*loaded.scenario);
      if (session.ok()) {
        std::shared_ptr<session::Session> owner = std::move(session).value();
        world = std::shared_ptr<World>(owner, &owner->world());  // keeps the session alive
      } else {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), session.error().toString().c_str());
      }
    } else {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), loaded.errors.front().toString().c_str());
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!world) return nullptr;
  Vec3 lo(1e9f), hi(-1e9f);
  for (uint32_t t = 0; t < world->tissueCount(); ++t) {
    for (uint32_t n = 0; n < world->nodeCount(TissueId{t}); ++n) {
      lo = glm::min(lo, world->nodePosition(TissueId{t}, n));
      hi = glm::max(hi, world->nodePosition(TissueId{t}, n));
    }
  }
  // Where the surface is smooth for 8 mm around (the CT's skin mask also holds the thin
  // sheets of the head rest, which stand up beside the face).
  auto skinFirst = [&](const Vec3& above) { return world->castRay(above, Vec3(0.0f, -1.0f, 0.0f), 1.0f); };
  std::optional<World::SurfaceHit> hit;
  for (int i = 1; i < 16; ++i) {
    for (int k = 1; k < 16; ++k) {
      const Vec3 above(lo.x + (hi.x - lo.x) * (static_cast<float>(i) + 0.37f) / 16.0f, hi.y + 0.05f,
                       lo.z + (hi.z - lo.z) * (static_cast<float>(k) + 0.37f) / 16.0f);
      const auto h = skinFirst(above);
      if (!h || (hit && h->position.y <= hit->position.y)) continue;
      bool smooth = true;
      for (const Vec3& d : {Vec3(0.008f, 0, 0), Vec3(-0.008f, 0, 0), Vec3(0, 0, 0.008f), Vec3(0, 0, -0.008f),
                            Vec3(0.004f, 0, 0.004f), Vec3(-0.004f, 0, -0.004f)}) {
        const auto n = skinFirst(above + d);
        smooth = smooth && n && std::abs(n->position.y - h->position.y) < 0.004f;
      }
      if (smooth) hit = h;
    }
  }
  if (!hit) {
    std::fprintf(stderr, "%s: no drawn surface under the pack\n", name.c_str());
    return nullptr;
  }
  top = hit->position;
  return world;
}

// What a patient-derived scene costs a tick: the left grasper comes down on the top of the
// head, takes the skin and lifts it 1 cm.
BenchCase anatomyCase() {
  BenchCase c;
  c.name = "anatomy_head";
  auto crown = std::make_shared<Vec3>(0.0f);
  c.build = [crown]() { return headWorld("anatomy_head", "  left: {kind: grasper}\n", *crown); };
  c.script = [crown](Tick t) {
    InputFrame in;
    const float s = static_cast<float>(t) / 500.0f;
    // From 4 cm above the crown down to 2 mm into it by 0.4 s, grip, then lift 1 cm over 1 s.
    const float dy = t < 200 ? 0.04f - 0.042f * s / 0.4f : -0.002f + 0.01f * std::min(1.0f, s - 0.4f);
    // The scenario's grasper is a standard one (36 cm shaft), not the benches' short tool.
    in.hands[0].pose = handDown(*crown + Vec3(0.0f, dy, 0.0f),
                                instruments::defaultSpec(InstrumentKind::kGrasper).shaftLength);
    in.hands[0].trigger = t >= 200 ? 1.0f : 0.0f;
    return in;
  };
  return c;
}

// What cutting a pack with its detailed surface costs: a scalpel incision 3 mm deep and
// 4.5 cm long across the top of the same head, at 1 cm/s (a careful stroke), following the
// skin's height (found by rays every mm before the stroke). The cutting ticks are the ones
// to read (cut_tick_*).
BenchCase incisionCase() {
  BenchCase c;
  c.name = "anatomy_incision";
  struct Path {
    Vec3 top{0.0f};
    std::vector<float> skin;  // height of the skin every mm from x - 22 mm
  };
  auto path = std::make_shared<Path>();
  c.build = [path]() -> std::shared_ptr<World> {
    auto world = headWorld("anatomy_incision", "  right: {kind: scalpel}\n", path->top);
    if (!world) return nullptr;
    path->skin.clear();
    for (int i = 0; i <= 45; ++i) {
      const auto h = world->castRay(path->top + Vec3(0.001f * static_cast<float>(i - 22), 0.05f, 0.0f),
                                    Vec3(0.0f, -1.0f, 0.0f), 0.1f);
      path->skin.push_back(h ? h->position.y : path->top.y);
    }
    return world;
  };
  c.script = [path](Tick t) {
    // 0.2 s over the start, 0.2 s down to 3 mm under the skin, 4.5 s along x, then up.
    const float s = static_cast<float>(t) / 500.0f;
    const float along = std::clamp((s - 0.4f) / 4.5f, 0.0f, 1.0f) * 0.045f;
    const float f = along * 1000.0f;
    const size_t i = std::min<size_t>(static_cast<size_t>(f), 44);
    const float skin = glm::mix(path->skin[i], path->skin[i + 1], f - static_cast<float>(i));
    float depth = -0.003f;
    if (s < 0.2f)
      depth = 0.02f;
    else if (s < 0.4f)
      depth = 0.02f - 0.023f * (s - 0.2f) / 0.2f;
    else if (s > 4.9f)
      depth = -0.003f + 0.023f * std::min(1.0f, (s - 4.9f) / 0.4f);
    InputFrame in;
    in.hands[1].pose = handDown(Vec3(path->top.x - 0.022f + along, skin + depth, path->top.z),
                                instruments::defaultSpec(InstrumentKind::kScalpel).shaftLength);
    return in;
  };
  return c;
}

struct Timing {
  double median = 0.0, p99 = 0.0;
};

Timing summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  Timing t;
  t.median = us[us.size() / 2];
  t.p99 = us[std::min(us.size() - 1, static_cast<size_t>(static_cast<double>(us.size()) * 0.99))];
  return t;
}

nlohmann::json runCase(const BenchCase& c, Tick warmup, Tick ticks) {
  // Trocar: the full tick (coupling, grasp/cut/clip, contacts, events, guard).
  auto world = c.build();
  if (!world) return {{"name", c.name}, {"skipped", true}};
  std::map<std::string, int> events;  // what the case exercised, to show it did its work
  auto count = [&events](const std::vector<Event>& list) {
    for (const Event& e : list) events[toString(e.kind)]++;
  };
  for (Tick t = 0; t < warmup; ++t) count(world->step(c.script(t)));
  std::vector<double> us;
  us.reserve(ticks);
  std::vector<double> bulletUs;
  bulletUs.reserve(ticks);
  std::vector<double> cutUs;  // the ticks in which something was cut
  PhaseTimer phases;
  world->setProfiler(&phases);
  for (Tick t = warmup; t < warmup + ticks; ++t) {
    InputFrame in = c.script(t);
    // The same tick, timed whole and in its Bullet part: raw Bullet stepping the very same
    // bodies in the very same state; and per phase (system) of the tick.
    auto start = Clock::now();
    phases.tickStarts();
    world->beginTick(in);
    auto physicsStart = Clock::now();
    world->advancePhysics();
    auto physicsEnd = Clock::now();
    const auto& list = world->finishTick();
    phases.tickEnds();
    auto end = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    bulletUs.push_back(std::chrono::duration<double, std::micro>(physicsEnd - physicsStart).count());
    if (std::any_of(list.begin(), list.end(), [](const Event& e) { return e.kind == EventKind::kCut; }))
      cutUs.push_back(us.back());
    count(list);
  }
  Timing trocar = summarize(us);
  size_t nodes = 0;
  for (uint32_t i = 0; i < world->tissueCount(); ++i) nodes += world->nodeCount(TissueId{i});
  const uint32_t tickHz = world->clock().tickHz();
  Timing bullet = summarize(bulletUs);
  double periodUs = 1e6 / tickHz;
  nlohmann::json cutTicks = nullptr;
  if (!cutUs.empty()) {
    const Timing cutting = summarize(cutUs);
    cutTicks = {{"count", cutUs.size()}, {"median_us", cutting.median}, {"worst_us", cutUs.back()}};
  }
  return {{"name", c.name},
          {"nodes", nodes},
          {"cut_ticks", cutTicks},
          {"tick_hz", tickHz},
          {"median_tick_us", trocar.median},
          {"p99_tick_us", trocar.p99},
          {"raw_bullet_median_tick_us", bullet.median},
          {"overhead_ratio", trocar.median / bullet.median},
          {"realtime_factor", periodUs / trocar.median},
          {"phase_share", phases.shares()},
          {"events", events}};
}

}  // namespace

Runner addBenchCommand(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks whose numbers the project quotes");
  bench->require_subcommand(1);
  auto* sim = bench->add_subcommand("sim", "Simulation tick cost per reference case vs raw Bullet");
  struct Options {
    bool json = false;
    Tick ticks = 3000;
    std::string only;
  };
  auto options = std::make_shared<Options>();
  sim->add_flag("--json", options->json, "Print one JSON object");
  sim->add_option("--ticks", options->ticks, "Measured ticks per case (after 500 warm-up ticks)")
      ->check(CLI::Range(10, 1000000));
  sim->add_option("--case", options->only, "Run only the case with this name");
  Runner load = addBenchLoadCommand(*bench);
  Runner replay = addBenchReplayCommand(*bench);
  Runner renderBench = addBenchRenderCommand(*bench);
  Runner rescore = addBenchRescoreCommand(*bench);
  Runner simRunner = [options]() -> int {
    std::vector<BenchCase> cases = {clothCase(),     volumeCase(14, 14), pegCase(),     anatomyCase(),
                                    pressDragCase(), organsCase(),       incisionCase()};
    nlohmann::json out{
        {"schema", "trocar.bench.sim/1"}, {"build", buildId()}, {"cases", nlohmann::json::array()}};
    for (const auto& c : cases) {
      if (!options->only.empty() && c.name != options->only) continue;
      if (!options->json) std::fprintf(stderr, "running %s ...\n", c.name.c_str());
      out["cases"].push_back(runCase(c, 500, options->ticks));
    }
    if (out["cases"].empty()) {
      std::fprintf(
          stderr,
          "error: no case named '%s' (cases: cloth_cut_grasp, volume_grasp, peg_transfer, anatomy_head, "
          "volume_press_drag, organs_in_contact, anatomy_incision)\n",
          options->only.c_str());
      return 2;
    }
    if (options->json) {
      std::cout << out.dump(2) << std::endl;
      return 0;
    }
    std::printf("%-16s %6s %7s %12s %10s %14s %9s %9s\n", "case", "nodes", "tick_hz", "median_us", "p99_us",
                "raw_bullet_us", "overhead", "realtime");
    for (const auto& r : out["cases"]) {
      if (r.contains("skipped")) {
        std::printf("%-16s skipped (see above)\n", r["name"].get<std::string>().c_str());
        continue;
      }
      std::printf("%-16s %6zu %7u %12.1f %10.1f %14.1f %9.3f %8.1fx\n", r["name"].get<std::string>().c_str(),
                  r["nodes"].get<size_t>(), r["tick_hz"].get<unsigned>(), r["median_tick_us"].get<double>(),
                  r["p99_tick_us"].get<double>(), r["raw_bullet_median_tick_us"].get<double>(),
                  r["overhead_ratio"].get<double>(), r["realtime_factor"].get<double>());
    }
    for (const auto& r : out["cases"]) {
      if (r.contains("skipped") || r["cut_ticks"].is_null()) continue;
      const auto& k = r["cut_ticks"];
      std::printf("%-16s %zu cutting ticks: median %.1f us, worst %.1f us\n",
                  r["name"].get<std::string>().c_str(), k["count"].get<size_t>(),
                  k["median_us"].get<double>(), k["worst_us"].get<double>());
    }
    std::printf("\nwhere a tick's time goes:\n");
    for (const auto& r : out["cases"]) {
      if (r.contains("skipped")) continue;
      std::printf("%-16s %s\n", r["name"].get<std::string>().c_str(), sharesText(r["phase_share"]).c_str());
    }
    return 0;
  };
  return [bench, sim, simRunner, load, replay, renderBench, rescore]() -> int {
    if (sim->parsed()) return simRunner();
    if (bench->get_subcommand("rescore")->parsed()) return rescore();
    if (bench->get_subcommand("replay")->parsed()) return replay();
    if (bench->get_subcommand("render")->parsed()) return renderBench();
    return load();
  };
}

}  // namespace trocar::cli
