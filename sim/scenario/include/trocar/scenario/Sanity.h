#pragma once
// Sanity warnings: a scenario that is valid but probably not what its author meant (`trocar
// validate` prints them; they never stop a scenario from loading). And what `validate
// --explain` prints: each tissue's bounds, node spacing and pinned nodes, and what each
// region selects.
//
// Warned about, each at its place in the file:
//   a tissue larger than 1 m or smaller than 1 mm across (lengths are metres: written in
//     centimetres or millimetres?), an object larger than 1 m
//   a tissue heavier than 3 kg (an adult liver is about 1.5 kg), an object heavier than 2 kg
//   damage_force_n above 50 N or tear_force_n above 100 N (tissue is hurt at a few newtons)
//   a tissue pinned nowhere (it falls away unless something holds it)
//   a region that selects a single node (smaller than the tissue's node spacing)
//   a checklist step or error rule no instrument of the scenario can perform (clips without a
//     clip applier, a cut without scissors or scalpel, a grasp without a grasper)
//   a pass mark the formula cannot reach (checklist: 100; fls: cutoff_s, or 100 x cutoff_s /
//     reference_score)

#include <trocar/scenario/Scenario.h>

#include <string>
#include <vector>

namespace trocar::scenario {

struct TissueExplain {
  std::string id;
  Vec3 lo{0.0f}, hi{0.0f};  // bounds at rest, metres
  size_t nodes = 0, pinned = 0;
  float spacingM = 0.0f;  // mean distance from a node to its nearest neighbour
  float massKg = 0.0f;
};
struct RegionExplain {
  std::string id, tissue;
  size_t nodes = 0;
  Vec3 lo{0.0f}, hi{0.0f};  // bounds of the nodes it selects
};
struct Sanity {
  std::vector<Error> warnings;  // in file order
  std::vector<TissueExplain> tissues;
  std::vector<RegionExplain> regions;
};

// Builds the scenario's world once (at rest) to measure it.
Sanity checkSanity(const ScenarioDesc& scenario);

}  // namespace trocar::scenario
