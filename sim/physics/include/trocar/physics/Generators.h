#pragma once
// Procedural tissue geometry for scenarios without a mesh file, tests and benchmarks.
// All sizes in metres, stage frame.

#include <trocar/physics/Types.h>

namespace trocar::physics {

// A box of cellsX*cellsY*cellsZ cubes, each split into 6 positive-volume tetrahedra that
// share the cube diagonal (conforming across cubes). Nodes: (cx+1)(cy+1)(cz+1).
TetMesh generateTetBox(Vec3 halfExtents, uint32_t cellsX, uint32_t cellsY, uint32_t cellsZ,
                       const Pose& pose = {});

// A closed sphere (icosahedron subdivided `subdivisions` times, 0..5); outward CCW winding.
// Vertices: 10 * 4^s + 2. Scale per axis for an ellipsoid.
SurfaceMesh generateSphere(Vec3 radii, uint32_t subdivisions, const Pose& pose = {});

// A closed tube (a duct or vessel): a cylinder of `radius` and `length` along the pose's
// local X axis, centred on the pose, with flat end caps. `around` >= 3 segments around,
// `along` >= 1 along. Vertices: around * (along + 1) + 2.
SurfaceMesh generateTube(float radius, float length, uint32_t around, uint32_t along, const Pose& pose = {});

// The surface a tissue's settings draw at rest, in the stage frame: an embedded detailed
// surface through its tets' weights, a surface tissue's mesh, or a tet mesh's boundary.
// Empty for cloth (a sheet has no inside).
SurfaceMesh restSurface(const TissueSettings& tissue);

// The three bars a RigidShape::kTriangle is made of, in the object's frame: each a box
// centred on `center`, `halfLength` along `along`, halfExtents.y up and halfExtents.z
// across (towards `outward`, the side it faces). Bar 0 faces -z; 1 and 2 face +x and -x
// turned 30 degrees towards +z. The bars run along the ring's mid-line, so the outer corners'
// tips (a bar's width from the corner) are drawn but not solid.
struct TriangleBar {
  Vec3 center{0.0f};
  Vec3 outward{0.0f};
  Vec3 along{0.0f};
  float halfLength = 0.0f;
};
std::array<TriangleBar, 3> triangleBars(const Vec3& halfExtents);

}  // namespace trocar::physics
