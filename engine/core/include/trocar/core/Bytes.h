#pragma once
// Plain data in and out of byte buffers, in this machine's own layout: for bytes that stay on
// one machine (the mesh cache, a reader's answer from its child process), never for files that
// travel (recordings have their own portable format).
//
//   ByteWriter w;  w.put(uint32_t{7});  w.putVector(points);  w.putString(name);
//   ByteReader r(w.bytes());  auto n = r.get<uint32_t>();  auto p = r.getVector<Vec3>(1000);
//   if (!r.ok()) ...  // short, inconsistent or with bytes left over

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace trocar {

class ByteWriter {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    append(&v, sizeof(T));
  }
  // A count (uint64) then the elements.
  template <typename T>
  void putVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(static_cast<uint64_t>(v.size()));
    append(v.data(), v.size() * sizeof(T));
  }
  void putString(std::string_view s) {
    put(static_cast<uint64_t>(s.size()));
    append(s.data(), s.size());
  }
  std::vector<uint8_t>& bytes() { return mBytes; }

 private:
  void append(const void* data, size_t size) {
    if (size == 0) return;  // an empty vector's data() may be null
    const auto* p = static_cast<const uint8_t*>(data);
    mBytes.insert(mBytes.end(), p, p + size);
  }
  std::vector<uint8_t> mBytes;
};

// Bounds-checked reading: anything short or larger than its limit makes fine() false and
// reads zeros from then on; never reads past the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : mBytes(bytes) {}
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    take(&v, sizeof(T));
    return v;
  }
  template <typename T>
  std::vector<T> getVector(uint64_t maxCount) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint64_t n = get<uint64_t>();
    std::vector<T> v;
    if (!mOk || n > maxCount || n > left() / sizeof(T)) {
      mOk = false;
      return v;
    }
    v.resize(n);
    take(v.data(), n * sizeof(T));
    return v;
  }
  std::string getString(uint64_t maxLength) {
    const uint64_t n = get<uint64_t>();
    if (!mOk || n > maxLength || n > left()) {
      mOk = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(mBytes.data()) + mPos, n);
    mPos += n;
    return s;
  }
  bool fine() const { return mOk; }                         // nothing short so far
  bool ok() const { return mOk && mPos == mBytes.size(); }  // and every byte used
  size_t left() const { return mBytes.size() - mPos; }

 private:
  void take(void* to, size_t size) {
    if (!mOk || size > left()) {
      mOk = false;
      return;
    }
    if (size == 0) return;
    std::memcpy(to, mBytes.data() + mPos, size);
    mPos += size;
  }
  std::span<const uint8_t> mBytes;
  size_t mPos = 0;
  bool mOk = true;
};

}  // namespace trocar
