#pragma once
// Instruments: what each kind is and how the trainee's hand drives it.
//
// Tool frame (metres, right-handed): origin at the tip, the shaft runs from the tip along
// local +Z back to the handle, so the tool points along local -Z (the forward convention).
// Jaws open symmetrically in the local Y-Z plane about a hinge `jawLength` behind the tip.
//
// Laparoscopic instruments pass through a port (remote centre of motion): the shaft always
// goes through the port point, and the hand holds the handle outside. Moving the handle left
// moves the tip right (the fulcrum effect of a real trocar); pushing the handle in advances
// the tip.

#include <trocar/core/Math.h>

#include <optional>
#include <string>
#include <string_view>

namespace trocar::instruments {

enum class InstrumentKind : uint8_t { kGrasper, kScissors, kScalpel, kClipApplier };

const char* toString(InstrumentKind kind);
std::optional<InstrumentKind> instrumentKindFromString(std::string_view name);

enum class Hand : uint8_t { kLeft = 0, kRight = 1 };
constexpr int kHandCount = 2;
const char* toString(Hand hand);

// Geometry and abilities of one instrument. defaultSpec() gives a standard 5 mm
// laparoscopic instrument of each kind.
struct InstrumentSpec {
  InstrumentKind kind = InstrumentKind::kGrasper;
  float shaftLength = 0.36f;    // m, tip to handle (standard laparoscopic length)
  float shaftRadius = 0.0025f;  // m (5 mm instruments)
  float jawLength = 0.015f;     // m, tip to hinge; scissor blades and grasper jaws
  float maxJawAngle = 0.6f;     // rad, fully open
  float massKg = 0.12f;         // the simulated tool body (tip section)
  float graspRadius = 0.004f;   // m, tissue nodes this close to the jaw centre are held

  bool grasps() const { return kind == InstrumentKind::kGrasper; }
  bool cutsOnClose() const { return kind == InstrumentKind::kScissors; }
  bool cutsBySweep() const { return kind == InstrumentKind::kScalpel; }
  bool clips() const { return kind == InstrumentKind::kClipApplier; }
};

InstrumentSpec defaultSpec(InstrumentKind kind);

// A laparoscopic port: the point in the body wall the shaft must pass through.
struct Port {
  std::string id;
  Vec3 position{0.0f};  // stage frame, m
};

// Where the tool tip should be, given the hand.
//  - Open surgery (no port): the hand pose is the tool's handle; the tip is `shaftLength`
//    along the hand's -Z. (For open scenarios the tool is short: the spec says how long.)
//  - Through a port: the shaft is the line from the handle through the port; the tip lies
//    beyond the port at depth shaftLength - |handle - port| (at least 0: a tool pulled
//    back past its tip stays at the port). Roll about the shaft follows the hand.
Pose tipTargetFromHand(const Pose& hand, const InstrumentSpec& spec, const Port* port);

// Jaw opening angle (rad) for a trigger value (0 = released, open; 1 = squeezed, closed).
float jawAngleFromTrigger(float trigger, const InstrumentSpec& spec);

}  // namespace trocar::instruments
