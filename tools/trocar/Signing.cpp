#include "Signing.h"

#include "Commands.h"

#include <trocar/core/File.h>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <vector>

namespace trocar::cli {
namespace {

constexpr const char* kDigestPrefix = "blake2b-256:";
constexpr const char* kKeyPrefix = "ed25519:";
constexpr const char* kSecretPrefix = "ed25519-secret:";

Result<void> ready() {
  if (sodium_init() < 0) return makeError(ErrorCode::kUnavailable, "libsodium could not start");
  return {};
}

std::string hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

// Exactly `n` bytes from `text` (hex digits, nothing else).
bool unhex(const std::string& text, unsigned char* bytes, size_t n) {
  size_t got = 0;
  const char* end = nullptr;
  return text.size() == n * 2 &&
         sodium_hex2bin(bytes, n, text.data(), text.size(), nullptr, &got, &end) == 0 && got == n &&
         end == text.data() + text.size();
}

Error badFile(const std::filesystem::path& file, uint32_t line, const std::string& what,
              const std::string& hint) {
  SourceLocation where;
  where.file = file.string();
  where.line = line;
  return makeError(ErrorCode::kInvalidInput, what, where, hint);
}

// The one line of a key file after its prefix, decoded to `n` bytes.
Result<void> readKey(const std::filesystem::path& file, const char* prefix, unsigned char* bytes, size_t n) {
  auto text = readFileText(file);
  if (!text.ok()) return text.error();
  std::string line = text.value().substr(0, text.value().find('\n'));
  const std::string p = prefix;
  if (line.rfind(p, 0) != 0 || !unhex(line.substr(p.size()), bytes, n)) {
    return badFile(file, 1, "not a Trocar " + std::string(p == kSecretPrefix ? "secret" : "public") + " key",
                   "make a key pair with `trocar sign --new-key NAME`");
  }
  return {};
}

std::string digestOf(const std::vector<uint8_t>& bytes) {
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(), bytes.data(), bytes.size(), nullptr, 0);
  return kDigestPrefix + hex(digest.data(), digest.size());
}

// A file read once: its bytes and their digest.
struct Read {
  std::vector<uint8_t> bytes;
  std::string digest;
};
Result<Read> readDigested(const std::filesystem::path& file) {
  auto bytes = readFileBytes(file);
  if (!bytes.ok()) return bytes.error();
  Read r{std::move(bytes).value(), {}};
  r.digest = digestOf(r.bytes);
  return r;
}

// The recording digest a JSON report names, if it is one that does.
std::optional<std::string> namedDigest(const std::vector<uint8_t>& report) {
  auto j = nlohmann::json::parse(report.begin(), report.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("recording_digest") ||
      !j["recording_digest"].is_string())
    return std::nullopt;
  return j["recording_digest"].get<std::string>();
}

}  // namespace

Result<std::string> fileDigest(const std::filesystem::path& file) {
  TROCAR_TRY(ready());
  auto read = readDigested(file);
  if (!read.ok()) return read.error();
  return read.value().digest;
}

Result<void> writeNewKey(const std::filesystem::path& name) {
  TROCAR_TRY(ready());
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  const std::string secretFile = name.string() + ".key";
  // Created readable by its owner only, and never over an existing key.
  const int fd = ::open(secretFile.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return makeError(ErrorCode::kIo, "cannot create " + secretFile + ": " + std::strerror(errno),
                     "a key of that name may exist already: choose another name");
  }
  const std::string secret = kSecretPrefix + hex(sk.data(), sk.size()) + "\n";
  sodium_memzero(sk.data(), sk.size());
  const bool written = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return makeError(ErrorCode::kIo, "cannot write " + secretFile);
  return writeFileAtomic(name.string() + ".pub", kKeyPrefix + hex(pk.data(), pk.size()) + "\n");
}

Result<void> signResult(const std::filesystem::path& secretKey, const std::filesystem::path& report,
                        const std::filesystem::path& recording, const std::filesystem::path& out) {
  TROCAR_TRY(ready());
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  TROCAR_TRY(readKey(secretKey, kSecretPrefix, sk.data(), sk.size()));
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk.data());
  auto reportRead = readDigested(report);
  if (!reportRead.ok()) return reportRead.error();
  auto recordingDigest = fileDigest(recording);
  if (!recordingDigest.ok()) return recordingDigest.error();
  const auto named = namedDigest(reportRead.value().bytes);
  if (!named || *named != recordingDigest.value()) {
    SourceLocation where;
    where.file = report.string();
    return makeError(
        ErrorCode::kInvalidInput,
        named ? "this report is of another recording (it names " + *named + ")"
              : "not a JSON report that names its recording's digest",
        where, "sign the JSON report `trocar run` or `trocar replay --report` wrote for this recording");
  }
  std::ostringstream body;
  body << "trocar-signature 1\n"
       << "key " << kKeyPrefix << hex(pk.data(), pk.size()) << "\n"
       << "report " << report.filename().string() << " " << reportRead.value().digest << "\n"
       << "recording " << recording.filename().string() << " " << recordingDigest.value() << "\n";
  const std::string text = body.str();
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       sk.data());
  sodium_memzero(sk.data(), sk.size());
  return writeFileAtomic(out, text + "signature " + kKeyPrefix + hex(sig.data(), sig.size()) + "\n");
}

Result<Verification> verifyResult(const std::filesystem::path& signature, std::filesystem::path report,
                                  std::filesystem::path recording, const std::filesystem::path& trustedKey) {
  TROCAR_TRY(ready());
  auto text = readFileText(signature);
  if (!text.ok()) return text.error();
  std::vector<std::string> lines;
  std::istringstream in(text.value());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const std::string hint = "a signature file is what `trocar sign` writes; sign the report again";
  if (lines.size() != 5 || lines[0] != "trocar-signature 1")
    return badFile(signature, 1, "not a Trocar signature file (version 1, five lines)", hint);
  // "<field> <value>", or "<field> <name> <value>" for the two files.
  auto value = [&](size_t i, const std::string& field, std::string* name) -> Result<std::string> {
    const std::string& l = lines[i];
    const size_t last = l.rfind(' ');
    if (l.rfind(field + " ", 0) != 0 || last == std::string::npos || last < field.size())
      return badFile(signature, static_cast<uint32_t>(i + 1), "expected '" + field + " ...' here", hint);
    if (name) *name = l.substr(field.size() + 1, last - field.size() - 1);
    return l.substr(last + 1);
  };
  std::string reportName, recordingName;
  auto key = value(1, "key", nullptr);
  auto reportDigest = value(2, "report", &reportName);
  auto recordingDigest = value(3, "recording", &recordingName);
  auto sigText = value(4, "signature", nullptr);
  for (const auto* r : {&key, &reportDigest, &recordingDigest, &sigText}) {
    if (!r->ok()) return r->error();
  }
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  const std::string k = kKeyPrefix;
  if (key.value().rfind(k, 0) != 0 || !unhex(key.value().substr(k.size()), pk.data(), pk.size()))
    return badFile(signature, 2, "the key is not an Ed25519 public key in hex", hint);
  if (sigText.value().rfind(k, 0) != 0 || !unhex(sigText.value().substr(k.size()), sig.data(), sig.size()))
    return badFile(signature, 5, "the signature is not an Ed25519 signature in hex", hint);
  if (report.empty()) report = signature.parent_path() / reportName;
  if (recording.empty()) recording = signature.parent_path() / recordingName;

  Verification v;
  v.signer = key.value();
  auto reportNow = readDigested(report);
  if (!reportNow.ok()) return reportNow.error();
  auto recordingNow = fileDigest(recording);
  if (!recordingNow.ok()) return recordingNow.error();
  if (reportNow.value().digest != reportDigest.value()) {
    v.problem = "the report " + report.string() + " changed since it was signed";
    return v;
  }
  if (recordingNow.value() != recordingDigest.value()) {
    v.problem = "the recording " + recording.string() + " changed since it was signed";
    return v;
  }
  const std::string body = lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n";
  if (crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(body.data()),
                                  body.size(), pk.data()) != 0) {
    v.problem = "the signature does not match what " + signature.string() + " lists (the file was altered)";
    return v;
  }
  if (!trustedKey.empty()) {
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> trusted{};
    TROCAR_TRY(readKey(trustedKey, kKeyPrefix, trusted.data(), trusted.size()));
    if (sodium_memcmp(trusted.data(), pk.data(), pk.size()) != 0) {
      v.problem = "signed with another key (" + key.value() + "), not " + trustedKey.string();
      return v;
    }
  }
  const auto named = namedDigest(reportNow.value().bytes);
  if (!named || *named != recordingNow.value()) {
    v.problem = "the report does not name this recording's digest";
    return v;
  }
  v.ok = true;
  return v;
}

Runner addSignCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("sign", "Sign a report and its recording (Ed25519), or make a key pair");
  struct Options {
    std::string newKey, key, report, recording, out;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--new-key", o->newKey, "Make a key pair NAME.key (secret) and NAME.pub, and stop");
  cmd->add_option("--key", o->key, "The secret key file (NAME.key)");
  cmd->add_option("report", o->report, "The JSON report");
  cmd->add_option("recording", o->recording, "The recording it is of");
  cmd->add_option("--out", o->out, "The signature file (default: REPORT.sig)");
  return [o]() -> int {
    if (!o->newKey.empty()) {
      if (auto r = writeNewKey(o->newKey); !r.ok()) {
        std::fprintf(stderr, "%s\n", r.error().toString().c_str());
        return 2;
      }
      std::printf("wrote %s.key (secret: keep it) and %s.pub (give it to whoever verifies)\n",
                  o->newKey.c_str(), o->newKey.c_str());
      return 0;
    }
    if (o->key.empty() || o->report.empty() || o->recording.empty()) {
      std::fprintf(stderr,
                   "error: sign needs --key NAME.key, a report and its recording\n"
                   "  hint: trocar sign --key me.key run.json run.trec (a key: trocar sign --new-key me)\n");
      return 2;
    }
    const std::string out = o->out.empty() ? o->report + ".sig" : o->out;
    if (auto r = signResult(o->key, o->report, o->recording, out); !r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().toString().c_str());
      return 2;
    }
    std::printf("signed: %s\n", out.c_str());
    return 0;
  };
}

Runner addVerifyCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Check a signed report and its recording: exit 0 verified, 3 not");
  struct Options {
    std::string signature, report, recording, key;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("signature", o->signature, "The signature file `trocar sign` wrote")->required();
  cmd->add_option("--report", o->report, "The report (default: the one the signature names, beside it)");
  cmd->add_option("--recording", o->recording, "The recording (default: the one it names, beside it)");
  cmd->add_option("--key", o->key, "Require this signer's public key (NAME.pub)");
  return [o]() -> int {
    auto v = verifyResult(o->signature, o->report, o->recording, o->key);
    if (!v.ok()) {
      std::fprintf(stderr, "%s\n", v.error().toString().c_str());
      return 2;
    }
    if (!v.value().ok) {
      std::printf("NOT verified: %s\n", v.value().problem.c_str());
      return 3;
    }
    std::printf("verified: the report and its recording are as signed by %s\n", v.value().signer.c_str());
    return 0;
  };
}

}  // namespace trocar::cli
