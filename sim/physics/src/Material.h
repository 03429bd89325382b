#pragma once
// The one place where Trocar's physical material description becomes Bullet coefficients.

#include <trocar/physics/Types.h>

class btSoftBody;

namespace trocar::physics::detail {

// Applies `material` to a freshly built soft body (before its links are created it sets
// the link material; bending links are made by the caller with bendMaterial()).
//
//   stretch  -> link material kLST (linear stiffness per solver iteration, [0, 1])
//   bend     -> kLST of a second material on distance-2 "bending" links (cloth, surfaces)
//   volume   -> kVST on links, and the volume-conservation coefficient kVC = 20 * volume on
//               closed bodies (pose volume matching; pressure kPR is left at 0 because it
//               is scale-sensitive: see ../shared/STACK.md)
//   damping  -> kDP (velocity damping per step, [0, 1])
//   friction -> kDF (dynamic friction, [0, 1])
// Contacts and anchors are made hard (kCHR = 1, kAHR = 1) so instruments do not sink in and
// held tissue follows the jaws.
void applyMaterial(btSoftBody& body, const Material& material, TissueKind kind, uint32_t iterations);

constexpr float kVolumeConservationScale = 20.0f;

// How firmly a tissue stops an instrument, [0.02, 1] (the contact stage, src/Contact.h): the
// share of what the tissue could not make room for in a tick that moves the tool back instead.
// 1 would make every tissue rigid to instruments; less lets it give way in proportion, as it
// gives under its own weight. From material.stretch, steeply: stretch^12 (0.95 -> 0.54,
// 0.9 -> 0.28, 0.8 -> 0.07, at least 0.02): a pinned gauze stops a tool within a few
// millimetres of tenting, a soft organ dents by millimetres under a 2 N press.
float toolYield(const Material& material, TissueKind kind);

}  // namespace trocar::physics::detail
