#pragma once
// What the renderer needs from a tick, copied out of the live world so rendering never
// touches it. Buffers are reused between fills; `topologyVersion` changes when a tissue's
// index buffer changed (after a cut), so the renderer rebuilds indices only then.

#include <trocar/core/Clock.h>
#include <trocar/core/Math.h>
#include <trocar/physics/Types.h>

#include <array>
#include <cstdint>
#include <string>
#include <optional>
#include <vector>

namespace trocar::physics {

struct TissueSnapshot {
  std::vector<Vec3> positions;      // per node, stage frame
  std::vector<Vec3> normals;        // per node, unit (area-weighted face normals)
  std::vector<uint32_t> indices;    // surface triangles, 3 per face, counter-clockwise outward
  std::vector<float> stress;        // per node [0, 1]: recent force relative to damage threshold
  std::vector<Vec3> restPositions;  // per node, stage frame at rest; refreshed with indices
  uint32_t topologyVersion = 0;
  // An anatomy pack's detailed surface as it is now (split by cuts), refreshed with indices;
  // empty for other tissues. Each vertex is the weighted sum of four nodes' positions.
  EmbeddedSurface embedded;
  std::vector<float> embeddedCut;  // per vertex: 1 on a cut (drawn as cut surface), else 0
  std::vector<Vec3> embeddedRest;  // per vertex: stage frame at rest (markings are drawn there)
  std::vector<Marking> markings;   // as laid at rest; refreshed with indices
};

struct InstrumentSnapshot {
  bool present = false;
  instruments::InstrumentKind kind = instruments::InstrumentKind::kGrasper;
  Pose tipPose;
  Pose targetPose;  // where the hand wants the tip (differs while the tissue holds the tool back)
  float jawAngle = 0.0f;
};

struct ClipSnapshot {
  Pose pose;
};

// Where a cut vessel bleeds or bled: the open end, whether it still bleeds, what it lost.
struct BleedSnapshot {
  Vec3 position{0.0f};
  bool active = false;
  float ml = 0.0f;
};

struct WorldSnapshot {
  Tick tick = 0;
  std::vector<TissueSnapshot> tissues;  // by TissueId
  std::vector<Pose> rigids;             // by RigidId
  std::array<InstrumentSnapshot, kHandCount> instruments{};
  std::vector<ClipSnapshot> clips;
  std::vector<BleedSnapshot> bleeds;
  std::optional<Pose> scope;  // where the laparoscope is now (its lens), when there is one
};

// Where a point of a cloth, given in its own plane at rest (metres from its centre, x and z),
// is now: the current positions of the drawn rest triangle that holds it, interpolated. With
// cuts several hold it (one each side of a cut, or a scrap cut off): the one that moved least,
// so a scrap that fell away is never the answer. (Markings are inked the same way.)
Vec3 clothPointNow(const TissueSnapshot& cloth, const Pose& clothPose, Vec2 clothXZ);

}  // namespace trocar::physics
