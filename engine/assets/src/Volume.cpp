// Reading volumes with ITK: one reader for NIfTI, NRRD and MetaImage that honours each
// format's orientation rules and hands back LPS geometry (origin, spacing, direction).
#include <trocar/assets/Volume.h>

#include <trocar/assets/Archive.h>
#include <trocar/core/Bytes.h>
#include <trocar/core/File.h>
#include <trocar/core/Hash.h>
#include <trocar/core/Isolate.h>
#include <trocar/core/Log.h>

#include "ItkHeaders.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iostream>
#include <mutex>
#include <sstream>

namespace trocar::assets {
namespace {

// What import takes: 4096 voxels along an axis, 2^30 in all (4 GiB of float values).
constexpr uint64_t kMaxVoxelsPerAxis = 4096;
constexpr double kMaxVoxels = 1073741824.0;

void registerReaders() {
  static std::once_flag once;
  std::call_once(once, [] {
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::NrrdImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
    // GDCM prints its own source locations to std::cerr on a bad slice; the error Trocar
    // returns already names the file and what went wrong.
    gdcm::Trace::SetError(false);
    gdcm::Trace::SetWarning(false);
  });
}

std::string formatOf(const std::string& ioClass) {
  if (ioClass == "NiftiImageIO") return "NIfTI";
  if (ioClass == "NrrdImageIO") return "NRRD";
  if (ioClass == "MetaImageIO") return "MetaImage";
  return ioClass;
}

// Attributes that identify a patient, a study or the people and places involved (a subset
// of DICOM PS3.15's basic profile). None is ever copied into what import writes; those a
// series holds are listed, so the user sees what was left behind.
struct Identifying {
  const char* tag;
  const char* name;
};
constexpr Identifying kIdentifying[] = {
    {"0010|0010", "PatientName"},
    {"0010|0020", "PatientID"},
    {"0010|0030", "PatientBirthDate"},
    {"0010|0032", "PatientBirthTime"},
    {"0010|0040", "PatientSex"},
    {"0010|1000", "OtherPatientIDs"},
    {"0010|1001", "OtherPatientNames"},
    {"0010|1010", "PatientAge"},
    {"0010|1040", "PatientAddress"},
    {"0010|2154", "PatientTelephoneNumbers"},
    {"0010|4000", "PatientComments"},
    {"0008|0050", "AccessionNumber"},
    {"0008|0080", "InstitutionName"},
    {"0008|0081", "InstitutionAddress"},
    {"0008|0090", "ReferringPhysicianName"},
    {"0008|1010", "StationName"},
    {"0008|1030", "StudyDescription"},
    {"0008|103e", "SeriesDescription"},
    {"0008|1040", "InstitutionalDepartmentName"},
    {"0008|1050", "PerformingPhysicianName"},
    {"0008|1070", "OperatorsName"},
    {"0008|0020", "StudyDate"},
    {"0008|0030", "StudyTime"},
    {"0008|0021", "SeriesDate"},
    {"0008|0022", "AcquisitionDate"},
    {"0008|0023", "ContentDate"},
    {"0020|0010", "StudyID"},
    {"0020|000d", "StudyInstanceUID"},
    {"0020|000e", "SeriesInstanceUID"},
    {"0008|0018", "SOPInstanceUID"},
    {"0020|4000", "ImageComments"},
    {"0032|4000", "StudyComments"},
    {"0018|1000", "DeviceSerialNumber"},
};

std::string tagText(const itk::MetaDataDictionary& d, const char* tag) {
  std::string v;
  itk::ExposeMetaData<std::string>(d, tag, v);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
  return v;
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, '\\')) {
    char* end = nullptr;
    const double x = std::strtod(item.c_str(), &end);
    if (end != item.c_str()) out.push_back(x);
  }
  return out;
}

// The transfer syntaxes Debian's GDCM decodes: uncompressed (implicit/explicit, little/big
// endian, deflated), JPEG (baseline, extended, lossless), JPEG-LS, JPEG 2000 and RLE. Video
// (MPEG-2/4, HEVC), JPIP and the newer HTJ2K/JPEG XL ones are not.
bool decodable(const std::string& uid) {
  static const char* const kDecodable[] = {
      "1.2.840.10008.1.2",      "1.2.840.10008.1.2.1",    "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2",
      "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
      "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.5"};
  for (const char* d : kDecodable) {
    if (uid == d) return true;
  }
  return false;
}

std::string syntaxName(const std::string& uid) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"1.2.840.10008.1.2.4.100", "MPEG-2 video"},
      {"1.2.840.10008.1.2.4.101", "MPEG-2 video"},
      {"1.2.840.10008.1.2.4.102", "MPEG-4 video"},
      {"1.2.840.10008.1.2.4.103", "MPEG-4 video"},
      {"1.2.840.10008.1.2.4.104", "MPEG-4 video"},
      {"1.2.840.10008.1.2.4.105", "MPEG-4 video"},
      {"1.2.840.10008.1.2.4.106", "MPEG-4 video"},
      {"1.2.840.10008.1.2.4.107", "HEVC video"},
      {"1.2.840.10008.1.2.4.108", "HEVC video"},
      {"1.2.840.10008.1.2.4.94", "JPIP referenced"},
      {"1.2.840.10008.1.2.4.95", "JPIP referenced"},
      {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000"},
      {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000"},
      {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"},
      {"1.2.840.10008.1.2.4.110", "JPEG XL"},
      {"1.2.840.10008.1.2.4.111", "JPEG XL"},
      {"1.2.840.10008.1.2.4.112", "JPEG XL"}};
  for (const auto& [u, name] : kNames) {
    if (uid == u) return name;
  }
  return "unknown";
}

// The file meta information's Transfer Syntax UID (0002,0010); ITK's DICOM dictionary
// leaves the meta group out, so GDCM reads it (the header only).
std::string transferSyntaxOf(const std::filesystem::path& f) {
  gdcm::Reader reader;
  reader.SetFileName(f.string().c_str());
  if (!reader.ReadUpToTag(gdcm::Tag(0x0008, 0x0016))) return "";
  const gdcm::FileMetaInformation& meta = reader.GetFile().GetHeader();
  const gdcm::DataElement& e = meta.GetDataElement(gdcm::Tag(0x0002, 0x0010));
  const gdcm::ByteValue* bv = e.GetByteValue();
  if (!bv) return "";
  std::string uid(bv->GetPointer(), bv->GetLength());
  while (!uid.empty() && (uid.back() == ' ' || uid.back() == '\0')) uid.pop_back();
  return uid;
}

Result<Volume> readDicomSeries(const std::filesystem::path& dir) {
  struct Slice {
    std::string file;
    glm::dvec3 position{0.0};
    double along = 0.0;
  };
  std::vector<Slice> slices;
  std::vector<std::string> warnings;
  double meanSpacing = 0.0;  // along the slice normal, mm (0: one slice)
  double smallestGap = 0.0, largestGap = 0.0;
  bool resample = false;
  std::string seriesUid, orientation, modality, burnedIn;
  std::vector<std::string> present;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fileEc;
    if (it->is_regular_file(fileEc)) files.push_back(it->path());
  }
  if (ec) {
    return makeError(ErrorCode::kInvalidInput, dir.string() + ": cannot list the folder: " + ec.message(),
                     "check that the folder exists and can be read");
  }
  std::sort(files.begin(), files.end());
  size_t otherSeries = 0;
  for (const auto& f : files) {
    auto io = itk::GDCMImageIO::New();
    if (!io->CanReadFile(f.string().c_str())) continue;
    try {
      io->SetFileName(f.string());
      io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
      return makeError(ErrorCode::kInvalidInput, f.string() + ": " + e.GetDescription(),
                       "a damaged DICOM file, or a transfer syntax GDCM cannot decode");
    }
    const auto& d = io->GetMetaDataDictionary();
    const std::string uid = tagText(d, "0020|000e");
    if (slices.empty()) {
      seriesUid = uid;
      orientation = tagText(d, "0020|0037");
      modality = tagText(d, "0008|0060");
    } else if (uid != seriesUid) {
      ++otherSeries;
      continue;
    }
    if (tagText(d, "0028|0301") == "YES") burnedIn = f.string();
    const std::string syntax = transferSyntaxOf(f);
    if (!syntax.empty() && !decodable(syntax)) {
      return makeError(ErrorCode::kUnsupported,
                       f.string() + ": transfer syntax " + syntax + " (" + syntaxName(syntax) +
                           ") is not one Trocar decodes",
                       "convert the series to uncompressed first (e.g. gdcmconv --raw IN OUT, or dcmdjpeg)");
    }
    for (const auto& id : kIdentifying) {
      if (!tagText(d, id.tag).empty() && std::find(present.begin(), present.end(), id.name) == present.end())
        present.push_back(id.name);
    }
    const std::vector<double> ipp = numbers(tagText(d, "0020|0032"));
    if (ipp.size() != 3) {
      return makeError(ErrorCode::kInvalidInput, f.string() + ": no Image Position (Patient) (0020,0032)",
                       "a series needs each slice's position to be stacked in order");
    }
    if (tagText(d, "0020|0037") != orientation) {
      return makeError(ErrorCode::kInvalidInput,
                       f.string() + ": its orientation differs from the other slices'",
                       "one series, one orientation: import the slices of one acquisition");
    }
    slices.push_back({f.string(), {ipp[0], ipp[1], ipp[2]}, 0.0});
  }
  if (slices.empty()) {
    return makeError(ErrorCode::kInvalidInput, dir.string() + ": no DICOM files in this folder",
                     "give the folder holding the series' slices");
  }
  if (otherSeries > 0) {
    return makeError(ErrorCode::kInvalidInput,
                     dir.string() + ": more than one series (" + std::to_string(otherSeries) +
                         " file(s) belong to another)",
                     "put each series in its own folder");
  }
  if (!burnedIn.empty()) {
    return makeError(
        ErrorCode::kUnsupported,
        burnedIn + ": Burned In Annotation (0028,0301) is YES: the pixels may show the patient's identity",
        "use a series without burned-in annotation (or one cleaned of it)");
  }
  const std::vector<double> iop = numbers(orientation);
  if (iop.size() != 6) {
    return makeError(ErrorCode::kInvalidInput, dir.string() + ": no Image Orientation (Patient) (0020,0037)",
                     "a series needs its slices' orientation");
  }
  const glm::dvec3 row(iop[0], iop[1], iop[2]), col(iop[3], iop[4], iop[5]);
  const glm::dvec3 normal = glm::normalize(glm::cross(row, col));
  for (auto& s : slices) s.along = glm::dot(s.position, normal);
  std::sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) { return a.along < b.along; });
  if (slices.size() >= 2) {
    std::vector<double> gaps;
    for (size_t i = 1; i < slices.size(); ++i) gaps.push_back(slices[i].along - slices[i - 1].along);
    const double smallest = *std::min_element(gaps.begin(), gaps.end());
    if (smallest < 1e-3) {
      return makeError(ErrorCode::kInvalidInput, dir.string() + ": two slices at the same position",
                       "the folder holds a slice twice, or two acquisitions");
    }
    // Scanners write positions rounded (0.1 mm jitter is common): spacing within 5 % of the
    // mean is read at the mean. A gap over 1.5 times the usual one is a missing slice:
    // refused, as filling it would invent data. Anything else is irregular: resampled
    // (linearly, along the slice normal) onto a regular grid at the mean spacing.
    std::vector<double> sorted = gaps;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    for (size_t i = 0; i < gaps.size(); ++i) {
      if (gaps[i] > 1.5 * median) {
        char what[300];
        std::snprintf(what, sizeof(what),
                      "a slice is missing: %.3g mm between slices %zu and %zu (at %.2f and %.2f mm along the "
                      "slice normal), %.3g mm elsewhere",
                      gaps[i], i + 1, i + 2, slices[i].along, slices[i + 1].along, median);
        return makeError(ErrorCode::kInvalidInput, dir.string() + ": " + what,
                         "copy the series again, whole (filling the gap would invent a slice)");
      }
    }
    const double mean = (slices.back().along - slices.front().along) / static_cast<double>(gaps.size());
    double worst = 0.0;
    for (double g : gaps) worst = std::max(worst, std::abs(g - mean));
    meanSpacing = mean;
    smallestGap = sorted.front();
    largestGap = sorted.back();
    if (worst > 0.05 * mean) {
      resample = true;
    } else if (worst > 0.01 * mean) {
      char what[200];
      std::snprintf(what, sizeof(what),
                    "%s: slice spacing varies by up to %.2f mm (%.1f %%) around %.3f mm: read at the mean",
                    dir.string().c_str(), worst, 100.0 * worst / mean, mean);
      warnings.push_back(what);
    }
    // Gantry tilt: the slices' origins do not line up along the slice normal.
    const glm::dvec3 step = slices.back().position - slices.front().position;
    const double cosine = std::abs(glm::dot(glm::normalize(step), normal));
    if (cosine < 0.9995) {
      char what[160];
      std::snprintf(what, sizeof(what), "gantry tilt of %.2f degrees (the slices are sheared)",
                    std::acos(std::min(1.0, cosine)) * 180.0 / 3.14159265358979323846);
      return makeError(ErrorCode::kUnsupported, dir.string() + ": " + what,
                       "resample the series to an untilted grid first (e.g. 3D Slicer's tilt correction)");
    }
  }
  using Image = itk::Image<float, 3>;
  auto io = itk::GDCMImageIO::New();
  auto reader = itk::ImageSeriesReader<Image>::New();
  reader->SetImageIO(io);
  std::vector<std::string> names;
  for (const auto& s : slices) names.push_back(s.file);
  reader->SetFileNames(names);
  // ITK warns about uneven spacing on its own (a path into its headers); ours, above, says
  // what was done about it.
  itk::Object::GlobalWarningDisplayOff();
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    return makeError(ErrorCode::kInvalidInput, dir.string() + ": " + e.GetDescription(),
                     "a damaged slice, or a transfer syntax GDCM cannot decode");
  }
  Image* image = reader->GetOutput();
  Volume v;
  const auto size = image->GetLargestPossibleRegion().GetSize();
  for (int a = 0; a < 3; ++a)
    v.dims[static_cast<size_t>(a)] = static_cast<uint32_t>(size[static_cast<unsigned>(a)]);
  const auto spacing = image->GetSpacing();
  const auto origin = image->GetOrigin();
  const auto direction = image->GetDirection();
  v.spacingMm = {spacing[0], spacing[1], spacing[2]};
  glm::dmat4 m(1.0);
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 3; ++r)
      m[c][r] =
          direction[static_cast<unsigned>(r)][static_cast<unsigned>(c)] * spacing[static_cast<unsigned>(c)];
  }
  m[3] = glm::dvec4(origin[0], origin[1], origin[2], 1.0);
  v.indexToLps = m;
  v.format = "DICOM";
  v.modality = modality.empty() ? "unknown" : modality;
  v.componentType = itk::ImageIOBase::GetComponentTypeAsString(io->GetComponentType());
  v.identifiersNotCopied = present;
  v.values.assign(image->GetBufferPointer(), image->GetBufferPointer() + v.voxelCount());
  if (meanSpacing > 0.0 && v.dims[2] == slices.size()) {
    // The slice axis at the mean spacing (ITK takes it from the first two slices).
    const glm::dvec3 axis = glm::normalize(glm::dvec3(m[2]));
    if (resample) {
      const size_t count =
          static_cast<size_t>(std::lround((slices.back().along - slices.front().along) / meanSpacing) + 1);
      const size_t plane = static_cast<size_t>(v.dims[0]) * v.dims[1];
      std::vector<float> out(plane * count);
      double farthest = 0.0;  // from a measured slice
      size_t below = 0;
      for (size_t k = 0; k < count; ++k) {
        const double at = slices.front().along + meanSpacing * static_cast<double>(k);
        while (below + 2 < slices.size() && slices[below + 1].along <= at) ++below;
        const double a = slices[below].along, b = slices[below + 1].along;
        const double t = std::clamp((at - a) / (b - a), 0.0, 1.0);
        farthest = std::max(farthest, std::min(std::abs(at - a), std::abs(b - at)));
        for (size_t p = 0; p < plane; ++p) {
          out[k * plane + p] =
              static_cast<float>((1.0 - t) * static_cast<double>(v.values[below * plane + p]) +
                                 t * static_cast<double>(v.values[(below + 1) * plane + p]));
        }
      }
      v.values = std::move(out);
      v.dims[2] = static_cast<uint32_t>(count);
      char what[300];
      std::snprintf(what, sizeof(what),
                    "%s: slice spacing varies from %.3g to %.3g mm: resampled onto %zu slices %.3f mm apart "
                    "(linear; up to %.2f mm from a measured slice)",
                    dir.string().c_str(), smallestGap, largestGap, count, meanSpacing, farthest);
      warnings.push_back(what);
    }
    v.spacingMm.z = meanSpacing;
    m[2] = glm::dvec4(axis * meanSpacing, 0.0);
    v.indexToLps = m;
  }
  for (const std::string& w : warnings) TROCAR_LOG_WARN("%s", w.c_str());
  v.warnings = std::move(warnings);
  return v;
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

namespace {

Result<Volume> readVolumeHere(const std::filesystem::path& path) {
  registerReaders();
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return makeError(ErrorCode::kNotFound,
                     path.string() + ": no such file" + (ec ? " (" + ec.message() + ")" : ""),
                     "check the path");
  }
  if (std::filesystem::is_directory(status)) return readDicomSeries(path);
  if (path.extension() == ".inv3") return readInvesalius(path, nullptr);
  const std::string file = path.filename().string();
  if (file.ends_with(".inr") || file.ends_with(".inr.gz")) return readInrimage(path);
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
    // The header first: a size no scan has is refused before its voxels are allocated.
    reader->UpdateOutputInformation();
    const auto size = reader->GetOutput()->GetLargestPossibleRegion().GetSize();
    for (unsigned a = 0; a < 3; ++a) {
      if (size[a] == 0 || size[a] > kMaxVoxelsPerAxis) {
        return makeError(
            ErrorCode::kInvalidInput,
            path.string() + ": " + std::to_string(size[a]) + " voxels along axis " + std::to_string(a),
            "a volume has 1 to 4096 voxels per axis");
      }
    }
    if (static_cast<double>(size[0]) * static_cast<double>(size[1]) * static_cast<double>(size[2]) >
        kMaxVoxels) {
      return makeError(ErrorCode::kInvalidInput,
                       path.string() + ": " + std::to_string(size[0]) + " x " + std::to_string(size[1]) +
                           " x " + std::to_string(size[2]) + " voxels, more than Trocar imports (2^30)",
                       "crop or downsample the volume first (3D Slicer: Crop Volume)");
    }
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    std::string what = e.GetDescription();
    // ITK's "could not create IO object" means no reader knows the file.
    const bool unknown = what.find("Could not create IO object") != std::string::npos;
    return makeError(unknown ? ErrorCode::kUnsupported : ErrorCode::kInvalidInput,
                     path.string() + ": " + (unknown ? "not a volume format Trocar reads" : what),
                     unknown ? "NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr, .seg.nrrd), MetaImage (.mha, "
                               ".mhd) or INRIMAGE (.inr)"
                             : "check the file is whole (a truncated .gz or raw file fails here)");
  }
  if (said.str().find("not read completely") != std::string::npos ||
      said.str().find("ideal =") != std::string::npos) {
    std::string what = said.str();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return makeError(ErrorCode::kInvalidInput, path.string() + ": the voxel data stops short (" + what + ")",
                     "the file is truncated: copy it again");
  }
  itk::ImageIOBase* io = reader->GetImageIO();
  const itk::MetaDataDictionary& dict = io->GetMetaDataDictionary();
  const bool layered = io->GetNumberOfComponents() > 1 && formatOf(io->GetNameOfClass()) == "NRRD" &&
                       dict.HasKey("Segment0_Layer");
  if (io->GetNumberOfDimensions() < 3 || (io->GetNumberOfComponents() != 1 && !layered)) {
    return makeError(ErrorCode::kUnsupported,
                     path.string() + ": a " + std::to_string(io->GetNumberOfDimensions()) + "D image of " +
                         std::to_string(io->GetNumberOfComponents()) + " component(s) per voxel",
                     "import needs a 3D scalar volume (one value per voxel)");
  }
  Image* image = reader->GetOutput();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  Volume v;
  for (int a = 0; a < 3; ++a) {
    if (size[a] == 0 || size[a] > kMaxVoxelsPerAxis) {
      return makeError(
          ErrorCode::kInvalidInput,
          path.string() + ": " + std::to_string(size[a]) + " voxels along axis " + std::to_string(a),
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
  if (itk::ExposeMetaData<std::string>(io->GetMetaDataDictionary(), "Modality", modality) &&
      !modality.empty()) {
    v.modality = modality;
  }
  // Header fields that can carry who the scan is of (a converter's free text, dates, names):
  // never copied; named so import can say what it left behind.
  for (const std::string& key : dict.GetKeys()) {
    std::string lower, value;
    for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("segment", 0) == 0) continue;  // segment names are anatomy, not identity
    // ITK's own notes on how it read the file (the reader's name, NIfTI's qform/sform codes).
    if (lower == "itk_inputfiltername" || lower.find("_code_name") != std::string::npos) continue;
    static const char* const kRisky[] = {
        "patient", "name",      "birth",    "date",    "time",    "institution", "physician", "accession",
        "descrip", "filenotes", "aux_file", "content", "comment", "operator",    "study",     "description"};
    bool risky = false;
    for (const char* r : kRisky) risky = risky || lower.find(r) != std::string::npos;
    if (!risky || !itk::ExposeMetaData<std::string>(dict, key, value)) continue;
    while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
    if (!value.empty()) v.identifiersNotCopied.push_back(key);
  }
  // 3D Slicer's .seg.nrrd names its segments: SegmentN_Name, SegmentN_LabelValue and, when
  // segments overlap, SegmentN_Layer (the list axis of a 4D file).
  const size_t layers = layered ? io->GetNumberOfComponents() : 1;
  for (const std::string& key : dict.GetKeys()) {
    const size_t suffix = key.rfind("_Name");
    if (key.rfind("Segment", 0) != 0 || suffix == std::string::npos || suffix + 5 != key.size()) continue;
    const std::string n = key.substr(7, suffix - 7);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string name, value;
    itk::ExposeMetaData<std::string>(dict, key, name);
    if (n.size() > 6) continue;            // not a segment index Slicer writes
    int label = std::atoi(n.c_str()) + 1;  // Slicer's default when no value is given
    if (itk::ExposeMetaData<std::string>(dict, "Segment" + n + "_LabelValue", value) && !value.empty()) {
      int parsed = 0;
      const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (err != std::errc() || end != value.data() + value.size()) {
        return makeError(
            ErrorCode::kInvalidInput,
            path.string() + ": Segment" + n + "_LabelValue is '" + value + "', not a whole number",
            "fix the header (3D Slicer writes each segment's label value as an integer)");
      }
      label = parsed;
    }
    std::string layerText;
    int layer = 0;
    if (itk::ExposeMetaData<std::string>(dict, "Segment" + n + "_Layer", layerText) && !layerText.empty()) {
      layer = std::atoi(layerText.c_str());
    }
    if (label <= 0 || label >= kLayerStride || layer < 0 || static_cast<size_t>(layer) >= layers) {
      return makeError(ErrorCode::kInvalidInput,
                       path.string() + ": segment " + n + " ('" + name + "') has label " +
                           std::to_string(label) + " on layer " + std::to_string(layer) +
                           ", outside the file (" + std::to_string(layers) + " layer(s), labels 1 to " +
                           std::to_string(kLayerStride - 1) + ")",
                       "re-export the segmentation from 3D Slicer");
    }
    if (!name.empty()) v.labelNames[layer * kLayerStride + label] = name;
  }
  if (!layered) {
    v.values.assign(image->GetBufferPointer(), image->GetBufferPointer() + v.voxelCount());
    return v;
  }
  // The layers are the components of each voxel: read them apart.
  using Layered = itk::VectorImage<float, 3>;
  auto layeredReader = itk::ImageFileReader<Layered>::New();
  layeredReader->SetFileName(path.string());
  try {
    layeredReader->Update();
  } catch (const itk::ExceptionObject& e) {
    return makeError(ErrorCode::kInvalidInput, path.string() + ": " + e.GetDescription(),
                     "check the file is whole (a truncated .gz or raw file fails here)");
  }
  const float* all = layeredReader->GetOutput()->GetBufferPointer();
  const size_t count = v.voxelCount();
  v.values.resize(count);
  v.moreLayers.assign(layers - 1, std::vector<float>(count));
  for (size_t i = 0; i < count; ++i) {
    v.values[i] = all[i * layers];
    for (size_t l = 1; l < layers; ++l) v.moreLayers[l - 1][i] = all[i * layers + l];
  }
  return v;
}

void putStrings(ByteWriter& w, const std::vector<std::string>& list) {
  w.put(static_cast<uint64_t>(list.size()));
  for (const auto& s : list) w.putString(s);
}
std::vector<std::string> getStrings(ByteReader& r, size_t most) {
  std::vector<std::string> list(std::min<uint64_t>(r.get<uint64_t>(), most));
  for (auto& s : list) s = r.getString(most);
  return list;
}

// A volume as bytes, from the reader's child process to Trocar.
std::vector<uint8_t> encode(const Volume& v) {
  ByteWriter w;
  w.put(v.dims);
  w.putVector(v.values);
  w.put(v.spacingMm);
  w.put(v.indexToLps);
  putStrings(w, {v.format, v.modality, v.componentType});
  putStrings(w, v.identifiersNotCopied);
  w.put(static_cast<uint64_t>(v.labelNames.size()));
  for (const auto& [label, name] : v.labelNames) {
    w.put(label);
    w.putString(name);
  }
  w.put(static_cast<uint64_t>(v.moreLayers.size()));
  for (const auto& layer : v.moreLayers) w.putVector(layer);
  putStrings(w, v.warnings);
  return std::move(w.bytes());
}

bool decode(const std::vector<uint8_t>& bytes, Volume& v) {
  ByteReader r(bytes);
  const size_t most = bytes.size();
  v.dims = r.get<std::array<uint32_t, 3>>();
  v.values = r.getVector<float>(most);
  v.spacingMm = r.get<glm::dvec3>();
  v.indexToLps = r.get<glm::dmat4>();
  const auto names = getStrings(r, most);
  if (names.size() != 3) return false;
  v.format = names[0];
  v.modality = names[1];
  v.componentType = names[2];
  v.identifiersNotCopied = getStrings(r, most);
  const uint64_t labels = r.get<uint64_t>();
  for (uint64_t i = 0; i < labels && r.fine(); ++i) {
    const int label = r.get<int>();
    v.labelNames[label] = r.getString(most);
  }
  const uint64_t layers = r.get<uint64_t>();
  for (uint64_t i = 0; i < layers && r.fine(); ++i) v.moreLayers.push_back(r.getVector<float>(most));
  v.warnings = getStrings(r, most);
  if (!r.ok() || v.values.size() != v.voxelCount()) return false;
  for (const auto& layer : v.moreLayers) {
    if (layer.size() != v.values.size()) return false;
  }
  return true;
}

}  // namespace

Result<Volume> readVolume(const std::filesystem::path& path, double timeoutS) {
  auto bytes = runIsolated("the volume reader (ITK)", path, timeoutS, [&]() -> Result<std::vector<uint8_t>> {
    auto v = readVolumeHere(path);
    if (!v.ok()) return v.error();
    return encode(v.value());
  });
  if (!bytes.ok()) return bytes.error();
  Volume v;
  if (!decode(bytes.value(), v)) {
    return makeError(ErrorCode::kIo, path.string() + ": the volume reader's answer is inconsistent",
                     "try again; if it persists, report it with the file");
  }
  return v;
}

Result<Volume> readVolumeMember(const std::filesystem::path& archive, const std::string& member,
                                double timeoutS) {
  auto stored = readArchiveMember(archive, member);
  if (!stored.ok()) return stored.error();
  const std::string name = archive.string() + ":" + member;
  auto bytes = gunzip(stored.value(), name);
  if (!bytes.ok()) return bytes.error();
  if (bytes.value().rfind("#INRIMAGE-4#{", 0) == 0) return parseInrimage(bytes.value(), name);
  // Other formats go through ITK, which reads files: a temporary one with the member's name.
  auto dir = makeTempDirectory("trocar-volume");
  if (!dir.ok()) return dir.error();
  const std::filesystem::path file = dir.value() / std::filesystem::path(member).filename();
  Result<Volume> v = makeError(ErrorCode::kIo, "", "");
  if (auto w = writeFileAtomic(file, stored.value()); !w.ok()) {
    v = w.error();
  } else {
    v = readVolume(file, timeoutS);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir.value(), ec);
  if (!v.ok()) {
    Error e = v.error();
    const std::string temp = file.string();
    for (size_t at = e.message.find(temp); at != std::string::npos; at = e.message.find(temp))
      e.message.replace(at, temp.size(), name);
    if (e.where.file == temp) e.where.file = name;
    return e;
  }
  return v;
}

uint64_t pixelHash(const Volume& v) {
  uint64_t h = hashBytes(v.values.data(), v.values.size() * sizeof(float));
  for (const auto& layer : v.moreLayers) {
    const uint64_t pair[2] = {h, hashBytes(layer.data(), layer.size() * sizeof(float))};
    h = hashBytes(pair, sizeof(pair));
  }
  return h;
}

}  // namespace trocar::assets
