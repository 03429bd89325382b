// InVesalius projects (.inv3): a gzip'd tar of property lists (main.plist, mask_N.plist)
// and raw arrays (matrix.dat: the image, int16, slices x rows x columns; mask_N.dat: uint8
// with one extra leading slice, row and column InVesalius uses for its own bookkeeping).
// No library reads them (InVesalius itself is a Python application), so this does, with
// zlib for the compression.
#include <trocar/assets/Archive.h>
#include <trocar/assets/Volume.h>

#include <trocar/core/File.h>

#include <cstring>
#include <map>
#include <memory>

namespace trocar::assets {
namespace {

// ---- a gzip'd tar, all in memory: its files by their names (without folders) ---------

Result<std::map<std::string, std::string>> untarGz(const std::filesystem::path& path) {
  auto tar = readGzipFile(path);
  if (!tar.ok()) {
    Error e = tar.error();
    if (e.code == ErrorCode::kInvalidInput)
      e.hint = "the project file is truncated or not an InVesalius project";
    return e;
  }
  auto entries = listTar(tar.value(), path.string());
  if (!entries.ok()) {
    Error e = entries.error();
    e.hint = "not an InVesalius project, or a damaged one";
    return e;
  }
  std::map<std::string, std::string> files;
  for (const TarEntry& entry : entries.value()) {
    const size_t slash = entry.name.find_last_of('/');
    files[slash == std::string::npos ? entry.name : entry.name.substr(slash + 1)] =
        tar.value().substr(entry.offset, entry.size);
  }
  return files;
}

// ---- the property lists: just what InVesalius writes ------------------------------------

struct Plist {
  enum class Kind { kDict, kArray, kString, kNumber, kBool } kind = Kind::kString;
  std::string text;
  double number = 0.0;
  // dict: keys[i] -> items[i]; array: items, keys all "". (Two vectors: a pair of a
  // still-incomplete Plist is not allowed, a vector of one is.)
  std::vector<std::string> keys;
  std::vector<Plist> items;
  const Plist* get(const std::string& key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
};

class PlistParser {
 public:
  explicit PlistParser(const std::string& text) : mText(text) {}
  bool parse(Plist& out) {
    if (!seek("<plist")) return false;
    skipTag();
    return value(out);
  }

 private:
  const std::string& mText;
  size_t mAt = 0;

  bool seek(const char* what) {
    mAt = mText.find(what, mAt);
    return mAt != std::string::npos;
  }
  void skipTag() { mAt = mText.find('>', mAt) + 1; }
  std::string tagName() {
    while (mAt < mText.size() && mText[mAt] != '<') ++mAt;
    const size_t end = mText.find_first_of(" />", mAt + 2);  // past a closing tag's '/'
    return end == std::string::npos ? "" : mText.substr(mAt + 1, end - mAt - 1);
  }
  bool textUntil(const std::string& close, std::string& out) {
    skipTag();
    const size_t end = mText.find(close, mAt);
    if (end == std::string::npos) return false;
    out = mText.substr(mAt, end - mAt);
    mAt = end + close.size();
    return true;
  }
  bool value(Plist& v) {
    const std::string tag = tagName();
    if (tag == "dict" || tag == "array") {
      const bool dict = tag == "dict";
      v.kind = dict ? Plist::Kind::kDict : Plist::Kind::kArray;
      const bool empty = mText.compare(mText.find('>', mAt) - 1, 1, "/") == 0;
      skipTag();
      if (empty) return true;
      for (;;) {
        const std::string next = tagName();
        if (next == "/" + tag) {
          skipTag();
          return true;
        }
        std::string key;
        if (dict) {
          if (next != "key" || !textUntil("</key>", key)) return false;
        }
        Plist item;
        if (!value(item)) return false;
        v.keys.push_back(key);
        v.items.push_back(std::move(item));
      }
    }
    if (tag == "true" || tag == "false") {
      v.kind = Plist::Kind::kBool;
      v.number = tag == "true" ? 1.0 : 0.0;
      skipTag();
      return true;
    }
    if (tag == "string" || tag == "integer" || tag == "real") {
      std::string text;
      if (!textUntil("</" + tag + ">", text)) return false;
      v.kind = tag == "string" ? Plist::Kind::kString : Plist::Kind::kNumber;
      v.text = text;
      v.number = tag == "string" ? 0.0 : std::strtod(text.c_str(), nullptr);
      return true;
    }
    return false;
  }
};

Result<Plist> plist(const std::map<std::string, std::string>& files, const std::string& name,
                    const std::filesystem::path& project) {
  auto it = files.find(name);
  if (it == files.end()) {
    return makeError(ErrorCode::kInvalidInput, project.string() + ": no " + name + " in the project",
                     "not an InVesalius 3 project, or a damaged one");
  }
  Plist p;
  if (!PlistParser(it->second).parse(p) || p.kind != Plist::Kind::kDict) {
    return makeError(ErrorCode::kInvalidInput, project.string() + ": " + name + " is not a property list",
                     "the project is damaged");
  }
  return p;
}

std::vector<double> numbersOf(const Plist* p) {
  std::vector<double> out;
  if (p && p->kind == Plist::Kind::kArray) {
    for (const auto& v : p->items) out.push_back(v.number);
  }
  return out;
}

}  // namespace

Result<Volume> readInvesalius(const std::filesystem::path& path, std::vector<SavedMask>* masks) {
  auto files = untarGz(path);
  if (!files.ok()) return files.error();
  auto main = plist(files.value(), "main.plist", path);
  if (!main.ok()) return main.error();
  const Plist& m = main.value();
  const Plist* matrix = m.get("matrix");
  const std::vector<double> shape = numbersOf(matrix ? matrix->get("shape") : nullptr);
  const std::vector<double> spacing = numbersOf(m.get("spacing"));
  const Plist* dtype = matrix ? matrix->get("dtype") : nullptr;
  const Plist* file = matrix ? matrix->get("filename") : nullptr;
  if (shape.size() != 3 || spacing.size() != 3 || !dtype || dtype->text != "int16" || !file) {
    return makeError(ErrorCode::kUnsupported,
                     path.string() + ": main.plist does not describe an int16 image matrix",
                     "InVesalius 3 projects store the image as int16 slices x rows x columns");
  }
  Volume v;
  v.dims = {static_cast<uint32_t>(shape[2]), static_cast<uint32_t>(shape[1]),
            static_cast<uint32_t>(shape[0])};
  for (uint32_t d : v.dims) {
    if (d == 0 || d > 4096) {
      return makeError(ErrorCode::kInvalidInput, path.string() + ": image shape out of range",
                       "1 to 4096 voxels per axis");
    }
  }
  auto data = files.value().find(file->text);
  if (data == files.value().end() || data->second.size() != v.voxelCount() * 2) {
    return makeError(ErrorCode::kInvalidInput,
                     path.string() + ": " + file->text + " does not hold " + std::to_string(v.voxelCount()) +
                         " int16 voxels",
                     "the project is damaged");
  }
  v.spacingMm = {spacing[0], spacing[1], spacing[2]};
  // No geometry beyond voxel sizes: the project keeps no direction cosines. How InVesalius
  // builds the matrix from a DICOM series (reader/dicom_grouper.py, data/imagedata_utils.py
  // dcm2memmap): slices sorted by GDCM's IPPSorter, ascending along the slice normal; each
  // slice's pixel rows reversed, its columns kept. For an axial series in the standard
  // orientation (Image Orientation (Patient) 1\0\0\0\1\0: along a row towards the
  // patient's left, down a column posterior) that makes columns run to the patient's
  // left, rows anterior (the nose is at the high row numbers of the example head, the
  // table at row 0) and slices superior. A series acquired in another orientation cannot be told apart here.
  // Origin at the first voxel.
  v.indexToLps = glm::dmat4(1.0);
  v.indexToLps[0][0] = spacing[0];
  v.indexToLps[1][1] = -spacing[1];
  v.indexToLps[2][2] = spacing[2];
  v.format = "InVesalius";
  const Plist* modality = m.get("modality");
  if (modality && !modality->text.empty()) v.modality = modality->text;
  v.componentType = "int16";
  v.values.resize(v.voxelCount());
  for (size_t i = 0; i < v.values.size(); ++i) {
    int16_t x = 0;
    std::memcpy(&x, data->second.data() + 2 * i, 2);
    v.values[i] = static_cast<float>(x);
  }
  if (const Plist* name = m.get("name"); name && !name->text.empty())
    v.identifiersNotCopied.push_back("ProjectName");
  if (m.get("date")) v.identifiersNotCopied.push_back("ProjectDate");
  if (!masks) return v;
  const Plist* list = m.get("masks");
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    auto mp = plist(files.value(), list->items[i].text, path);
    if (!mp.ok()) return mp.error();
    const Plist* mfile = mp.value().get("mask_file");
    const std::vector<double> mshape = numbersOf(mp.value().get("mask_shape"));
    auto md = mfile ? files.value().find(mfile->text) : files.value().end();
    const size_t mx = v.dims[0] + 1, my = v.dims[1] + 1, mz = v.dims[2] + 1;
    if (md == files.value().end() || mshape.size() != 3 || static_cast<size_t>(mshape[0]) != mz ||
        static_cast<size_t>(mshape[1]) != my || static_cast<size_t>(mshape[2]) != mx ||
        md->second.size() != mx * my * mz) {
      return makeError(ErrorCode::kInvalidInput,
                       path.string() + ": mask " + std::to_string(i) +
                           " does not match the image (one more slice, row and column)",
                       "the project is damaged");
    }
    SavedMask saved;
    const Plist* mname = mp.value().get("name");
    saved.name = "mask-" + std::to_string(i + 1);
    saved.label = mname ? mname->text : saved.name;
    saved.mask.dims = v.dims;
    saved.mask.in.resize(v.voxelCount());
    for (uint32_t k = 0; k < v.dims[2]; ++k) {
      for (uint32_t j = 0; j < v.dims[1]; ++j) {
        for (uint32_t ii = 0; ii < v.dims[0]; ++ii) {
          const auto byte = static_cast<unsigned char>(md->second[((k + 1) * my + j + 1) * mx + ii + 1]);
          saved.mask.in[v.index(ii, j, k)] = byte >= 127 ? 1 : 0;
        }
      }
    }
    masks->push_back(std::move(saved));
  }
  return v;
}

}  // namespace trocar::assets
