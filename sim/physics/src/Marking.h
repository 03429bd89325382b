#pragma once
// Markings: lines drawn on a tissue's surface (an incision line, a resection margin, the
// pattern-cutting circle), laid onto the drawn surface at rest when the tissue is added.
//
// A marking lives in rest (material) coordinates, like regions: it follows the tissue as it
// deforms, and the renderer inks each surface point whose rest position lies on it, so the
// ink stays where it was drawn on both sides of a cut. How closely a cut followed a marking is
// measured there too, on the points the cuts made in the drawn surface.

#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>

#include <array>
#include <span>
#include <string>
#include <vector>

namespace trocar::physics::detail {

// A drawn surface at rest: the tissue's (or, for a pack, its detailed surface's) triangles.
struct RestSurface {
  std::span<const Vec3> rest;
  std::span<const std::array<uint32_t, 3>> triangles;
};

struct LaidMarking {
  Marking line;
  bool circle = false;
  Vec3 center{0.0f};  // circle: its centre; closed line: its corners' mean
  Vec3 normal{0.0f};  // circle: its plane; closed line: the plane it is nearest (Newell)
  float radius = 0.0f;
  float pitch = 0.0f;  // mean edge length of the surface under it: what a cut crosses at least once
};

// Lays `m` onto `surface`: corners and samples (at most 2 mm apart) moved to the nearest
// surface point. A corner or circle centre more than 2 cm from the surface is an error that
// names the tissue and the point.
Result<LaidMarking> layMarking(const MarkingSettings& m, const RestSurface& surface,
                               const std::string& tissue);

// Distance (m) from a rest position to the marked line.
double distanceToMarking(const LaidMarking& m, const Vec3& p);

// The region selector of a marking: what lies under a closed line, or within `band` of an
// open one (NodeSelector::Kind::kMarking).
NodeSelector markingSelector(const LaidMarking& m, uint32_t index, float band);

// Whether a rest position is selected by a kMarking selector (selectsPoint).
bool selectedByMarking(const NodeSelector& s, const Vec3& p);

// The distance from p to the nearest point of the surface.
float distanceToSurface(const RestSurface& surface, const Vec3& p);

// The distance from p to the polyline (closed: the last point joins the first).
double distanceToPolyline(std::span<const Vec3> line, bool closed, const Vec3& p);

}  // namespace trocar::physics::detail
