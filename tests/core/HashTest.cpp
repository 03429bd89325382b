#include <trocar/core/Hash.h>

#include <gtest/gtest.h>

#include <array>

namespace trocar {
namespace {

// Known vectors: XXH3-64 with seed 0, as printed by the reference tool `xxhsum -H3`
// (Debian package xxhash 0.8.1): `printf '' | xxhsum -H3`, `printf abc | xxhsum -H3`.
TEST(Hash, KnownVectors) {
  EXPECT_EQ(hashBytes("", 0), 0x2d06800538d394c2ull);
  EXPECT_EQ(hashString("abc"), 0x78af5f94892f3950ull);
}

TEST(Hash, StreamingEqualsOneShot) {
  StateHasher h;
  h.addBytes("a", 1);
  h.addBytes("bc", 2);
  EXPECT_EQ(h.digest(), hashString("abc"));
  h.reset();
  EXPECT_EQ(h.digest(), 0x2d06800538d394c2ull);
}

TEST(Hash, FloatsHashByBitPattern) {
  StateHasher a, b;
  a.add(0.0f);
  b.add(-0.0f);
  EXPECT_NE(a.digest(), b.digest()) << "+0 and -0 are different states";
  float value = 1.5f;
  StateHasher c;
  c.add(value);
  EXPECT_EQ(c.digest(), hashBytes(&value, sizeof(value)));
}

TEST(Hash, OrderMatters) {
  StateHasher a, b;
  a.add(uint32_t{1});
  a.add(uint32_t{2});
  b.add(uint32_t{2});
  b.add(uint32_t{1});
  EXPECT_NE(a.digest(), b.digest());
}

TEST(Hash, StringsAreLengthPrefixed) {
  StateHasher a, b;
  a.addString("ab");
  a.addString("c");
  b.addString("a");
  b.addString("bc");
  EXPECT_NE(a.digest(), b.digest());
}

TEST(Hash, SpansHashTheirBytes) {
  std::array<float, 3> values{1.0f, 2.0f, 3.0f};
  StateHasher h;
  h.addSpan(std::span<const float>(values));
  EXPECT_EQ(h.digest(), hashBytes(values.data(), sizeof(values)));
}

TEST(Hash, HexRoundTrip) {
  EXPECT_EQ(hashToHex(0x2d06800538d394c2ull), "2d06800538d394c2");
  EXPECT_EQ(hashToHex(0x1ull), "0000000000000001");
  Hash64 parsed = 0;
  ASSERT_TRUE(hashFromHex("2D06800538d394c2", &parsed));
  EXPECT_EQ(parsed, 0x2d06800538d394c2ull);
  EXPECT_FALSE(hashFromHex("2d06800538d394c", &parsed));   // 15 digits
  EXPECT_FALSE(hashFromHex("2d06800538d394cg", &parsed));  // not hex
}

}  // namespace
}  // namespace trocar
