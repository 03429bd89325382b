#pragma once
// Running a third-party reader where it cannot hurt: in a child process. ITK aborts on some
// malformed NIfTI headers and Assimp loops forever on some malformed PLY files (both found by
// tests/fuzz); in a child, either becomes an error for the file, and Trocar carries on.
//
//   auto bytes = runIsolated("the mesh reader (Assimp)", file, 120.0, [&]() -> Result<std::vector<uint8_t>> {
//     ...read with the library, encode what it gave (core/Bytes.h)...
//   });
//
// The child is a fork of the caller: `work` sees the caller's memory as it was, and what it
// changes there is lost; only the bytes (or the Error) it returns come back. Determinism is
// untouched: the same code reads the same file, only in another process.

#include <trocar/core/Result.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace trocar {

// work() in a child process; its bytes or its Error come back. Errors of the isolation name
// `reader` and `file`: the child crashed (the signal), did not finish in `timeoutS` (then it
// is killed), or could not be started (kIo).
Result<std::vector<uint8_t>> runIsolated(const std::string& reader, const std::filesystem::path& file,
                                         double timeoutS,
                                         const std::function<Result<std::vector<uint8_t>>()>& work);

}  // namespace trocar
