// Reading volumes with ITK: one reader for NIfTI, NRRD and MetaImage that honours each
// format's orientation rules and hands back LPS geometry (origin, spacing, direction).
#include <trocar/assets/Volume.h>

#include <trocar/core/Hash.h>

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <sstream>

namespace trocar::assets {
namespace {

void registerReaders() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
  });
}

std::string formatOf(const std::string& ioClass) {
  if (ioClass == "NiftiImageIO") return "NIfTI";
  if (ioClass == "NrrdImageIO") return "NRRD";
  if (ioClass == "MetaImageIO") return "MetaImage";
  return ioClass;
}

}  // namespace

glm::dmat4 lpsToStage() {
  glm::dmat4 m(0.0);
  m[0][0] = 0.001;   // x = L
  m[1][1] = -0.001;  // y = A = -P
  m[2][2] = -0.001;  // z = I = -S
  m[3][3] = 1.0;
  return m;
}

glm::dmat4 Volume::indexToStage() const {
  return lpsToStage() * indexToLps;
}

Result<Volume> readVolume(const std::filesystem::path& path) {
  registerReaders();
  if (!std::filesystem::exists(path)) {
    return makeError(ErrorCode::kNotFound, path.string() + ": no such file", "check the path");
  }
  using Image = itk::Image<float, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(path.string());
  // Some of ITK's readers (MetaIO) report a short data block on std::cerr and carry on:
  // listen, and treat it as the error it is.
  std::ostringstream said;
  struct Listen {
    std::streambuf* saved;
    explicit Listen(std::ostringstream& to) : saved(std::cerr.rdbuf(to.rdbuf())) {}
    ~Listen() { std::cerr.rdbuf(saved); }
  };
  try {
    Listen listen(said);
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    std::string what = e.GetDescription();
    // ITK's "could not create IO object" means no reader knows the file.
    const bool unknown = what.find("Could not create IO object") != std::string::npos;
    return makeError(unknown ? ErrorCode::kUnsupported : ErrorCode::kInvalidInput,
                     path.string() + ": " + (unknown ? "not a volume format Trocar reads" : what),
                     unknown ? "NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr, .seg.nrrd) or MetaImage (.mha, .mhd)"
                             : "check the file is whole (a truncated .gz or raw file fails here)");
  }
  if (said.str().find("not read completely") != std::string::npos || said.str().find("ideal =") != std::string::npos) {
    std::string what = said.str();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return makeError(ErrorCode::kInvalidInput, path.string() + ": the voxel data stops short (" + what + ")",
                     "the file is truncated: copy it again");
  }
  itk::ImageIOBase* io = reader->GetImageIO();
  if (io->GetNumberOfDimensions() < 3 || io->GetNumberOfComponents() != 1) {
    return makeError(ErrorCode::kUnsupported,
                     path.string() + ": a " + std::to_string(io->GetNumberOfDimensions()) + "D image of " +
                         std::to_string(io->GetNumberOfComponents()) + " component(s) per voxel",
                     "import needs a 3D scalar volume (one value per voxel)");
  }
  Image* image = reader->GetOutput();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  Volume v;
  for (int a = 0; a < 3; ++a) {
    if (size[a] == 0 || size[a] > 4096) {
      return makeError(ErrorCode::kInvalidInput, path.string() + ": " + std::to_string(size[a]) + " voxels along axis " +
                                                     std::to_string(a),
                       "a volume has 1 to 4096 voxels per axis");
    }
    v.dims[a] = static_cast<uint32_t>(size[a]);
  }
  const auto spacing = image->GetSpacing();
  const auto origin = image->GetOrigin();
  const auto direction = image->GetDirection();
  v.spacingMm = {spacing[0], spacing[1], spacing[2]};
  if (v.spacingMm.x <= 0.0 || v.spacingMm.y <= 0.0 || v.spacingMm.z <= 0.0) {
    return makeError(ErrorCode::kInvalidInput, path.string() + ": voxel spacing is not positive",
                     "the header's pixel dimensions must be sizes in mm");
  }
  // index -> LPS: origin + D * diag(spacing) * index (columns of D are the axes' directions).
  glm::dmat4 m(1.0);
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 3; ++r) m[c][r] = direction[r][c] * spacing[c];
  }
  m[3] = glm::dvec4(origin[0], origin[1], origin[2], 1.0);
  v.indexToLps = m;
  v.format = formatOf(io->GetNameOfClass());
  v.componentType = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  std::string modality;
  if (itk::ExposeMetaData<std::string>(io->GetMetaDataDictionary(), "Modality", modality) && !modality.empty()) {
    v.modality = modality;
  }
  v.values.assign(image->GetBufferPointer(), image->GetBufferPointer() + v.voxelCount());
  return v;
}

uint64_t pixelHash(const Volume& v) {
  return hashBytes(v.values.data(), v.values.size() * sizeof(float));
}

}  // namespace trocar::assets
