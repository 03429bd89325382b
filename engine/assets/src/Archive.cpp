#include <trocar/assets/Archive.h>

#include <zlib.h>

#include <cstring>

namespace trocar::assets {
namespace {

Error damaged(const std::string& name, const std::string& why, size_t byte, const std::string& hint) {
  SourceLocation where;
  where.file = name;
  where.byteOffset = byte;
  return makeError(ErrorCode::kInvalidInput, name + ": " + why, where, hint);
}

std::string withoutDotSlash(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  return name;
}

}  // namespace

Result<std::string> readGzipFile(const std::filesystem::path& path, size_t limit) {
  // gzread reads a plain file as it is, so .x and .x.gz take the same path.
  gzFile gz = gzopen(path.string().c_str(), "rb");
  if (!gz) return makeError(ErrorCode::kNotFound, path.string() + ": cannot open", "check the path");
  std::string bytes;
  std::vector<char> chunk(size_t{1} << 20);
  int n = 0;
  while ((n = gzread(gz, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
    bytes.append(chunk.data(), static_cast<size_t>(n));
    if (bytes.size() > limit) break;
  }
  int err = 0;
  const char* message = gzerror(gz, &err);
  const std::string why = err != Z_OK && err != Z_STREAM_END ? message : "";
  gzclose(gz);
  if (n < 0 || !why.empty()) {
    return makeError(ErrorCode::kInvalidInput, path.string() + ": the gzip stream is damaged (" + why + ")",
                     "the file is truncated: copy it again");
  }
  if (bytes.size() > limit) {
    return makeError(ErrorCode::kInvalidInput,
                     path.string() + ": more than " + std::to_string(limit >> 20) + " MiB uncompressed",
                     "not a file Trocar reads, or a damaged one");
  }
  return bytes;
}

Result<std::string> gunzip(std::string_view bytes, const std::string& name, size_t limit) {
  if (bytes.size() < 2 || static_cast<uint8_t>(bytes[0]) != 0x1f || static_cast<uint8_t>(bytes[1]) != 0x8b)
    return std::string(bytes);
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return makeError(ErrorCode::kUnavailable, "zlib could not start", "out of memory?");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string out;
  std::vector<char> chunk(size_t{1} << 20);
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - z.avail_out);
    if (out.size() > limit) rc = Z_MEM_ERROR;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // the input ends before the stream does
  }
  const size_t at = z.total_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return damaged(name,
                   rc == Z_MEM_ERROR ? "more than the uncompressed limit" : "the gzip stream is damaged", at,
                   "the file is truncated or damaged: copy it again");
  }
  return out;
}

Result<std::vector<TarEntry>> listTar(std::string_view tar, const std::string& name) {
  std::vector<TarEntry> entries;
  size_t at = 0;
  std::string longName;  // GNU tar's 'L' record: the next entry's name, when over 100 bytes
  while (at + 512 <= tar.size()) {
    const char* h = tar.data() + at;
    if (h[0] == '\0') break;  // the end: zero blocks
    if (std::memcmp(h + 257, "ustar", 5) != 0)
      return damaged(name, "byte " + std::to_string(at) + " of the tar is not a ustar header", at,
                     "not a tar archive, or a damaged one");
    std::string entryName(h, strnlen(h, 100));
    const std::string prefix(h + 345, strnlen(h + 345, 155));
    if (!prefix.empty()) entryName = prefix + "/" + entryName;
    const std::string octal(h + 124, strnlen(h + 124, 12));
    char* end = nullptr;
    const unsigned long long size = std::strtoull(octal.c_str(), &end, 8);
    const size_t header = at;
    at += 512;
    if (end == octal.c_str() || size > tar.size() - at)
      return damaged(name, "'" + entryName + "' runs past the end of the tar", header,
                     "the archive is truncated: copy it again");
    const char type = h[156];
    if (type == 'L') {
      longName.assign(tar.substr(at, static_cast<size_t>(size)));
      longName.resize(strnlen(longName.c_str(), longName.size()));
    } else {
      if (!longName.empty()) entryName = std::move(longName);
      longName.clear();
      if (type == '0' || type == '\0')
        entries.push_back({withoutDotSlash(entryName), at, static_cast<size_t>(size)});
    }
    at += (static_cast<size_t>(size) + 511) / 512 * 512;
  }
  return entries;
}

Result<std::string> readArchiveMember(const std::filesystem::path& archive, const std::string& member) {
  auto tar = readGzipFile(archive);
  if (!tar.ok()) return tar.error();
  auto entries = listTar(tar.value(), archive.string());
  if (!entries.ok()) return entries.error();
  const std::string want = withoutDotSlash(member);
  std::string some;
  size_t listed = 0;
  for (const TarEntry& e : entries.value()) {
    if (e.name == want) return tar.value().substr(e.offset, e.size);
    // Files in the same folder first: the likeliest meant.
    const size_t slash = want.find_last_of('/');
    if (listed < 5 && (slash == std::string::npos || e.name.rfind(want.substr(0, slash + 1), 0) == 0)) {
      some += (listed++ ? ", " : "") + e.name;
    }
  }
  return makeError(ErrorCode::kNotFound,
                   archive.string() + " holds no file '" + member + "' (" +
                       std::to_string(entries.value().size()) + " files" +
                       (some.empty() ? "" : "; in that folder: " + some) + ")",
                   "list it with: tar tzf " + archive.string());
}

}  // namespace trocar::assets
