#include <trocar/core/Assert.h>
#include <trocar/core/Hash.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace trocar {

Hash64 hashBytes(const void* data, size_t size) {
  return XXH3_64bits(data, size);
}

std::string hashToHex(Hash64 hash) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kDigits[hash & 0xF];
    hash >>= 4;
  }
  return out;
}

bool hashFromHex(std::string_view text, Hash64* out) {
  if (text.size() != 16) return false;
  Hash64 value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return false;
    value = (value << 4) | static_cast<Hash64>(digit);
  }
  *out = value;
  return true;
}

StateHasher::StateHasher() : mState(XXH3_createState()) {
  TROCAR_ASSERT(mState != nullptr, "out of memory creating a hash state");
  reset();
}

StateHasher::~StateHasher() {
  XXH3_freeState(static_cast<XXH3_state_t*>(mState));
}

void StateHasher::reset() {
  XXH3_64bits_reset(static_cast<XXH3_state_t*>(mState));
}

void StateHasher::addBytes(const void* data, size_t size) {
  if (size == 0) return;
  XXH3_64bits_update(static_cast<XXH3_state_t*>(mState), data, size);
}

void StateHasher::addString(std::string_view text) {
  uint64_t length = text.size();
  add(length);
  addBytes(text.data(), text.size());
}

Hash64 StateHasher::digest() const {
  return XXH3_64bits_digest(static_cast<XXH3_state_t*>(mState));
}

}  // namespace trocar
