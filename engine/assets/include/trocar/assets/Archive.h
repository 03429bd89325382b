#pragma once
// Gzip and tar, all in memory (zlib): InVesalius projects are gzip'd tars, CGAL's label
// volumes are .inr.gz, and a Debian package can ship its data as a .tar.gz a scenario reads
// one file of (`volume: {file: data.tar.gz, member: data/images/liver.inr.gz}`).

#include <trocar/core/Result.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::assets {

// A gzip file's contents (a plain file is returned as it is). At most `limit` bytes.
Result<std::string> readGzipFile(const std::filesystem::path& path, size_t limit = size_t{1} << 33);
// Gzip bytes inflated (bytes that do not start with gzip's magic are returned as they are);
// `name` is for errors.
Result<std::string> gunzip(std::string_view bytes, const std::string& name, size_t limit = size_t{1} << 33);

struct TarEntry {
  std::string name;   // the path inside the archive, "data/images/liver.inr.gz"
  size_t offset = 0;  // of its first byte in the tar
  size_t size = 0;
};
// The regular files of a ustar archive, in order. Errors give the byte offset of the header
// at fault.
Result<std::vector<TarEntry>> listTar(std::string_view tar, const std::string& name);

// One file of a tar (gzip'd or not), by its path inside the archive ("./" prefixes ignored).
// A missing member is an error that lists a few of the names the archive does hold.
Result<std::string> readArchiveMember(const std::filesystem::path& archive, const std::string& member);

}  // namespace trocar::assets
