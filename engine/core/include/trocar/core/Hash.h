#pragma once
// 64-bit hashing (XXH3-64) for state hashes, content hashes and checkpoints.
//
// StateHasher feeds values in the order the caller gives them; the caller owns the order
// (a fixed order is part of the determinism contract: never feed from an unordered
// container or in pointer order). Floats are hashed by their bit patterns, so +0 and -0,
// or two NaN payloads, hash differently: a state hash answers "bit-identical?", nothing looser.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace trocar {

using Hash64 = uint64_t;

// One-shot XXH3-64 of a byte range, seed 0.
Hash64 hashBytes(const void* data, size_t size);
inline Hash64 hashString(std::string_view text) {
  return hashBytes(text.data(), text.size());
}

// "0123456789abcdef": 16 lower-case hex digits, zero-padded.
std::string hashToHex(Hash64 hash);
// Parses exactly 16 hex digits; returns false on anything else.
bool hashFromHex(std::string_view text, Hash64* out);

class StateHasher {
 public:
  StateHasher();
  ~StateHasher();
  StateHasher(const StateHasher&) = delete;
  StateHasher& operator=(const StateHasher&) = delete;

  void addBytes(const void* data, size_t size);

  // Trivially copyable values (ints, floats, PODs without padding) by their bytes.
  template <typename T>
  void add(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>, "hash trivially copyable values only");
    static_assert(std::has_unique_object_representations_v<T> || std::is_floating_point_v<T>,
                  "types with padding would hash garbage; add their fields one by one");
    addBytes(&value, sizeof(T));
  }
  template <typename T>
  void addSpan(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    addBytes(values.data(), values.size_bytes());
  }
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  void addString(std::string_view text);

  // The hash of everything added so far; adding more afterwards is allowed.
  Hash64 digest() const;
  void reset();

 private:
  void* mState;  // XXH3_state_t, kept out of the header
};

}  // namespace trocar
