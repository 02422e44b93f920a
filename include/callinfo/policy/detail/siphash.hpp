// callinfo — SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit
// pseudorandom function, used to make entity-tags unguessable.
//
// Without the 128-bit key, the output for one input says nothing about the
// output for another, so an entity-tag made from a counter and its SipHash
// cannot be guessed from earlier ones. Checked against the paper's test
// vectors in tests/presence/ids.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace callinfo::inline v1::detail {

struct siphash_key {
  std::uint64_t k0 = 0, k1 = 0;
};

constexpr std::uint64_t rotl64(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

constexpr std::uint64_t siphash24(siphash_key key, std::span<std::uint8_t const> in) noexcept {
  std::uint64_t v0 = 0x736f6d6570736575ull ^ key.k0, v1 = 0x646f72616e646f6dull ^ key.k1;
  std::uint64_t v2 = 0x6c7967656e657261ull ^ key.k0, v3 = 0x7465646279746573ull ^ key.k1;
  auto const round = [&] {
    v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);
    v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);
  };
  auto const word = [&](std::size_t at, std::size_t n) {  // n bytes, little-endian
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < n; ++i) m |= std::uint64_t{in[at + i]} << (8 * i);
    return m;
  };
  std::size_t const full = in.size() / 8 * 8;
  for (std::size_t at = 0; at < full; at += 8) {
    std::uint64_t const m = word(at, 8);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  std::uint64_t const last = (std::uint64_t{in.size()} << 56) | word(full, in.size() - full);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

// The PRF of one 64-bit number (its 8 little-endian bytes).
constexpr std::uint64_t siphash24(siphash_key key, std::uint64_t n) noexcept {
  std::array<std::uint8_t, 8> b{};
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return siphash24(key, std::span<std::uint8_t const>(b));
}

}  // namespace callinfo::v1::detail
