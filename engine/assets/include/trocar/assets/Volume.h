#pragma once
// Medical volumes (CT, MRI, label maps) and what anatomy import makes of them: reading with
// ITK, masks of structures (label or intensity range, connected components, holes filled).
//
//   auto vol = readVolume("ch2.nii.gz");                    // any of the formats below
//   Mask skull = largestComponent(threshold(vol.value(), 300, 3000));
//   double ml = skull.count() * vol.value().voxelVolumeMl();
//
// Frames: a volume's voxel (i, j, k) maps to patient LPS millimetres by the file's origin,
// spacing and direction cosines (indexToLps); Trocar's stage frame is metres with +Y up, the
// patient lying supine: +X = patient left, +Y = anterior, +Z = inferior (lpsToStage()).

#include <trocar/core/Result.h>

#include <glm/mat4x4.hpp>
#include <glm/vec3.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::assets {

struct Volume {
  std::array<uint32_t, 3> dims{};  // voxels along i, j, k
  std::vector<float> values;       // i fastest, then j, then k
  glm::dvec3 spacingMm{1.0};
  glm::dmat4 indexToLps{1.0};        // voxel index -> patient LPS, mm (the file's geometry)
  std::string format;                // NIfTI, NRRD, MetaImage, DICOM
  std::string modality = "unknown";  // CT, MR, ... when the file says
  std::string componentType;         // as stored: uint8, int16, float, ...
  // DICOM: the identifying attributes the series holds (PatientName, AccessionNumber, ...),
  // none of which import copies anywhere.
  std::vector<std::string> identifiersNotCopied;
  // Label names the file itself gives (3D Slicer's .seg.nrrd segments), by label key:
  // the label value, plus layer * kLayerStride for a segment on a later layer.
  std::map<int, std::string> labelNames;
  // A .seg.nrrd whose segments overlap keeps them on several layers (a 4D file): `values`
  // is layer 0, these the layers after it, each on the same grid.
  std::vector<std::vector<float>> moreLayers;
  // What the reader had to adjust, one line each (also logged as warnings): a DICOM series
  // whose slice positions jitter (read at their mean spacing) or are irregular (resampled).
  std::vector<std::string> warnings;

  size_t voxelCount() const { return static_cast<size_t>(dims[0]) * dims[1] * dims[2]; }
  double voxelVolumeMl() const { return spacingMm.x * spacingMm.y * spacingMm.z / 1000.0; }
  size_t index(uint32_t i, uint32_t j, uint32_t k) const {
    return (static_cast<size_t>(k) * dims[1] + j) * dims[0] + i;
  }
  // Voxel index -> Trocar stage frame, metres.
  glm::dmat4 indexToStage() const;
};

// Label keys of layered label maps: layer * kLayerStride + value (values below it).
constexpr int kLayerStride = 1 << 16;
// "label 3", or "layer 2 label 1" for a later layer.
std::string labelText(int key);

// Patient LPS millimetres -> Trocar stage metres (+X left, +Y anterior, +Z inferior).
glm::dmat4 lpsToStage();

// NIfTI-1/2 (.nii, .nii.gz), NRRD (.nrrd, .nhdr, 3D Slicer's .seg.nrrd), MetaImage
// (.mha, .mhd), INRIMAGE (.inr, .inr.gz), an InVesalius project (.inv3), or a folder holding one DICOM series
// (slices sorted by position along the slice normal; a missing slice, uneven spacing, gantry tilt, several
// series or a burned-in annotation flag are errors). A 3D scalar image (CT in HU: rescale applied); errors
// name the file and what is wrong with it. ITK reads in a child process (core/Isolate.h): it aborts on some
// malformed headers; a read that has not finished after `timeoutS` is stopped.
Result<Volume> readVolume(const std::filesystem::path& path, double timeoutS = 600.0);

// INRIA's INRIMAGE-4 (.inr, .inr.gz; CGAL's label volumes): a text header, then raw voxels.
// It carries no orientation: its axes are taken as LPS. readVolume reads it too (by name);
// parseInrimage reads the bytes of one (errors at their byte offset in `name`).
// A volume stored in a tar (gzip'd or not), by its path inside it: CGAL's label volumes in
// libcgal-demo's data.tar.gz. Errors name "archive:member".
Result<Volume> readVolumeMember(const std::filesystem::path& archive, const std::string& member,
                                double timeoutS = 600.0);
Result<Volume> readInrimage(const std::filesystem::path& path);
Result<Volume> parseInrimage(std::string_view bytes, const std::string& name);

// xxHash64 of the voxel values as read (float, i fastest): the pixel data's fingerprint in
// a provenance record.
uint64_t pixelHash(const Volume& v);

// A structure: one byte per voxel of its volume's grid, 1 inside.
struct Mask {
  std::array<uint32_t, 3> dims{};
  std::vector<uint8_t> in;
  size_t count() const;
};

// The part of a mask round its voxels, with `pad` empty voxels on every side (beyond the
// original grid where the voxels reach its edge): voxel (i, j, k) of the result is voxel
// (i, j, k) + origin of the mask. Empty masks come back as they are (origin 0).
Mask cropToContent(const Mask& m, uint32_t pad, std::array<int, 3>& origin);

// A mask saved in a project (InVesalius): `name` is mask-1, mask-2, ...; `label` what the
// project calls it.
struct SavedMask {
  std::string name, label;
  Mask mask;
};

// An InVesalius 3 project (.inv3): its image (CT in HU) and, when asked, its saved masks.
// The project's name and date are not copied (listed in identifiersNotCopied).
Result<Volume> readInvesalius(const std::filesystem::path& path, std::vector<SavedMask>* masks);

// Voxels with lo <= value <= hi (e.g. CT bone 300..3000 HU).
Mask threshold(const Volume& v, float lo, float hi);
// Voxels of one label of a label map (a label key: on a later layer, layer * kLayerStride + value).
Mask labelMask(const Volume& v, int label);
// The largest 6-connected component (ties: the one met first in index order).
Mask largestComponent(const Mask& m);
// The 6-connected component holding voxel (i, j, k); empty when that voxel is outside.
Mask componentAt(const Mask& m, const std::array<uint32_t, 3>& seed);
// Holes filled: background not 6-connected to the grid's border becomes inside.
Mask fillHoles(const Mask& m);

// Label names: one "index name [anything]" per line (the mricron/AAL .txt form, FreeSurfer
// and 3D Slicer colour tables), or a line with the name in double quotes (ITK-SNAP's label
// descriptions: index, colour, visibility, "name"). Label 0 is the background and skipped;
// so are blank lines and lines starting with #. Errors name file:line:column.
Result<std::map<int, std::string>> readLabelNames(const std::filesystem::path& path);
// The same from the file's text (`path` names it in errors).
Result<std::map<int, std::string>> parseLabelNames(const std::string& text,
                                                   const std::filesystem::path& path);

}  // namespace trocar::assets
