#include <trocar/instruments/Instrument.h>

#include <algorithm>
#include <cmath>

namespace trocar::instruments {

const char* toString(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::kGrasper: return "grasper";
    case InstrumentKind::kScissors: return "scissors";
    case InstrumentKind::kScalpel: return "scalpel";
    case InstrumentKind::kClipApplier: return "clip_applier";
  }
  return "?";
}

std::optional<InstrumentKind> instrumentKindFromString(std::string_view name) {
  for (InstrumentKind k : {InstrumentKind::kGrasper, InstrumentKind::kScissors, InstrumentKind::kScalpel,
                           InstrumentKind::kClipApplier}) {
    if (name == toString(k)) return k;
  }
  return std::nullopt;
}

const char* toString(Hand hand) {
  return hand == Hand::kLeft ? "left" : "right";
}

InstrumentSpec defaultSpec(InstrumentKind kind) {
  InstrumentSpec spec;
  spec.kind = kind;
  switch (kind) {
    case InstrumentKind::kGrasper: break;
    case InstrumentKind::kScissors:
      spec.jawLength = 0.016f;
      spec.maxJawAngle = 0.7f;
      break;
    case InstrumentKind::kScalpel:
      spec.shaftLength = 0.16f;  // open surgery handle
      spec.jawLength = 0.02f;    // blade edge length
      spec.maxJawAngle = 0.0f;
      break;
    case InstrumentKind::kClipApplier:
      spec.jawLength = 0.01f;
      spec.maxJawAngle = 0.4f;
      break;
  }
  return spec;
}

namespace {
// Rotation taking local +Z to `axis` (unit), with a deterministic choice of roll.
Quat alignZ(const Vec3& axis) {
  Vec3 z(0.0f, 0.0f, 1.0f);
  float c = glm::dot(z, axis);
  if (c > 0.999999f) return Quat(1.0f, 0.0f, 0.0f, 0.0f);
  if (c < -0.999999f) return Quat(0.0f, 0.0f, 1.0f, 0.0f) * Quat(0.0f, 1.0f, 0.0f, 0.0f);  // 180 deg about X
  Vec3 rotAxis = glm::normalize(glm::cross(z, axis));
  return glm::angleAxis(std::acos(std::clamp(c, -1.0f, 1.0f)), rotAxis);
}
}  // namespace

Pose tipTargetFromHand(const Pose& hand, const InstrumentSpec& spec, const Port* port) {
  if (!port) {
    // The shaft runs along the hand's +Z to the handle; the tip is ahead along -Z.
    Pose tip;
    tip.orientation = hand.orientation;
    tip.position = hand.position - hand.orientation * Vec3(0.0f, 0.0f, spec.shaftLength);
    return tip;
  }
  Vec3 toPort = port->position - hand.position;
  float handleDistance = glm::length(toPort);
  // A handle exactly at the port has no direction: keep the hand's own pointing direction.
  Vec3 forward =
      handleDistance > 1e-6f ? toPort / handleDistance : hand.orientation * Vec3(0.0f, 0.0f, -1.0f);
  float depth = std::max(0.0f, spec.shaftLength - handleDistance);
  // Tool +Z points back along the shaft (towards the handle).
  Quat swing = alignZ(-forward);
  // Keep the hand's roll about the shaft: project the hand's X axis onto the plane normal
  // to the shaft and measure its angle against the swung X axis.
  Vec3 handX = hand.orientation * Vec3(1.0f, 0.0f, 0.0f);
  Vec3 shaftZ = -forward;
  Vec3 projected = handX - shaftZ * glm::dot(handX, shaftZ);
  Quat orientation = swing;
  if (glm::length(projected) > 1e-6f) {
    projected = glm::normalize(projected);
    Vec3 swungX = swing * Vec3(1.0f, 0.0f, 0.0f);
    float angle = std::atan2(glm::dot(glm::cross(swungX, projected), shaftZ), glm::dot(swungX, projected));
    orientation = glm::angleAxis(angle, shaftZ) * swing;
  }
  return {port->position + forward * depth, glm::normalize(orientation)};
}

float jawAngleFromTrigger(float trigger, const InstrumentSpec& spec) {
  return spec.maxJawAngle * (1.0f - std::clamp(trigger, 0.0f, 1.0f));
}

}  // namespace trocar::instruments
