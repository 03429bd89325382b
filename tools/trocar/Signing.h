#pragma once
// Tamper-evident results: a BLAKE2b-256 digest of a file (what a report says of its recording),
// and Ed25519 signatures over a report and its recording (`trocar sign`, `trocar verify`), with
// libsodium.
//
// A signature file is text, one field per line; the signature covers the four lines before it,
// byte for byte:
//   trocar-signature 1
//   key ed25519:<public key, 64 hex digits>
//   report <file name> blake2b-256:<64 hex digits>
//   recording <file name> blake2b-256:<64 hex digits>
//   signature ed25519:<128 hex digits>

#include <trocar/core/Result.h>

#include <filesystem>
#include <string>

namespace trocar::cli {

// "blake2b-256:<64 hex digits>" of the file's bytes.
Result<std::string> fileDigest(const std::filesystem::path& file);

// A new key pair: NAME.key (secret, readable by its owner only) and NAME.pub.
Result<void> writeNewKey(const std::filesystem::path& name);

// Signs `report` and `recording` with the secret key file; writes the signature file `out`.
Result<void> signResult(const std::filesystem::path& secretKey, const std::filesystem::path& report,
                        const std::filesystem::path& recording, const std::filesystem::path& out);

// What verifying found: ok, or the first thing that does not hold (which file changed, a
// report that names another recording, a signature that does not match, another signer).
struct Verification {
  bool ok = false;
  std::string problem;
  std::string signer;  // ed25519:<hex> from the signature file
};
// Checks `signature` against the two files (default: the names it lists, beside it) and, when
// `trustedKey` (a .pub file) is given, that they were signed with it. Errors: the signature file
// or a key file is missing or malformed (with file:line).
Result<Verification> verifyResult(const std::filesystem::path& signature, std::filesystem::path report,
                                  std::filesystem::path recording, const std::filesystem::path& trustedKey);

}  // namespace trocar::cli
