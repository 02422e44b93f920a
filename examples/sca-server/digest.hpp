// sca-server — SIP digest authentication's arithmetic (RFC 3261 §22.4,
// RFC 7616 §3.4, RFC 8760 §2): MD5 (RFC 1321), SHA-256 (FIPS 180-4) and
// HMAC-SHA-256 (RFC 2104), the HA1 / HA2 / response of a digest, the
// server's stateless nonces, and the credentials file.
//
// Self-contained on purpose: two hash functions of ~60 lines each keep the
// example free of a crypto library (OpenSSL's EVP would do as well), and
// Sofia-SIP's own auth module (auth_module_t) has no SHA-256 (its digest
// knows MD5 and MD5-sess) and reads a password file format of its own, with
// nonces and qop handling of its own; RFC 8760's SHA-256 is what a server
// should offer first. No Sofia header here, so
// the unit tests (tests/system/auth/digest_test.cpp) need none.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sca::digest {

using byte = std::uint8_t;

// Feeds `text` to a 64-byte block function with the padding MD5 and SHA-256
// share (Merkle-Damgard): 0x80, zeros, then the length in bits as 8 bytes,
// little-endian for MD5 (RFC 1321 §3.2), big-endian for SHA-256 (FIPS 180-4
// §5.1.1).
template <class Block>
void feed_blocks(std::string_view text, Block&& block, bool length_big_endian) {
  auto const* p = reinterpret_cast<byte const*>(text.data());
  std::size_t n = text.size();
  std::uint64_t const bits = std::uint64_t(n) * 8;
  for (; n >= 64; n -= 64, p += 64) block(p);
  byte tail[128] = {};
  std::memcpy(tail, p, n);
  tail[n] = 0x80;
  std::size_t const len = n < 56 ? 64 : 128;
  for (int i = 0; i < 8; ++i) tail[length_big_endian ? len - 1 - i : len - 8 + i] = byte(bits >> (8 * i));
  block(tail);
  if (len == 128) block(tail + 64);
}

// ---- MD5 (RFC 1321) -------------------------------------------------------

inline std::array<byte, 16> md5(std::string_view text) {
  constexpr std::uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
      0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
      0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
      0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
      0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
      0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
      0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
  constexpr int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9,  14, 20, 5, 9,
                         14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                         4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  std::uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  auto rotl = [](std::uint32_t x, int c) { return (x << c) | (x >> (32 - c)); };
  auto block = [&](byte const* p) {
    std::uint32_t m[16];
    for (int i = 0; i < 16; ++i)
      m[i] = std::uint32_t(p[4 * i]) | std::uint32_t(p[4 * i + 1]) << 8 | std::uint32_t(p[4 * i + 2]) << 16 |
             std::uint32_t(p[4 * i + 3]) << 24;
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t f = 0;
      int g = 0;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      std::uint32_t const t = d;
      d = c;
      c = b;
      b = b + rotl(a + f + k[i] + m[g], r[i]);
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  };
  feed_blocks(text, block, false);
  std::array<byte, 16> out{};
  for (int i = 0; i < 16; ++i) out[i] = byte(h[i / 4] >> (8 * (i % 4)));
  return out;
}

// ---- SHA-256 (FIPS 180-4) -------------------------------------------------

inline std::array<byte, 32> sha256(std::string_view text) {
  constexpr std::uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  auto rotr = [](std::uint32_t x, int c) { return (x >> c) | (x << (32 - c)); };
  auto block = [&](byte const* p) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = std::uint32_t(p[4 * i]) << 24 | std::uint32_t(p[4 * i + 1]) << 16 | std::uint32_t(p[4 * i + 2]) << 8 |
             std::uint32_t(p[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
      std::uint32_t const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      std::uint32_t const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t const t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      std::uint32_t const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  };
  feed_blocks(text, block, true);
  std::array<byte, 32> out{};
  for (int i = 0; i < 32; ++i) out[i] = byte(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

// HMAC-SHA-256 (RFC 2104, B = 64).
inline std::array<byte, 32> hmac_sha256(std::string_view key, std::string_view text) {
  std::string k(key.size() > 64 ? std::string_view() : key);
  if (key.size() > 64) {
    auto const d = sha256(key);
    k.assign(reinterpret_cast<char const*>(d.data()), d.size());
  }
  k.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (int i = 0; i < 64; ++i) {
    inner[i] = char(k[i] ^ 0x36);
    outer[i] = char(k[i] ^ 0x5c);
  }
  auto const ih = sha256(inner.append(text));
  return sha256(outer.append(reinterpret_cast<char const*>(ih.data()), ih.size()));
}

template <std::size_t N>
std::string hex(std::array<byte, N> const& d) {
  constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * N);
  for (byte b : d) s.append({digits[b >> 4], digits[b & 15]});
  return s;
}

// ---- The digest ------------------------------------------------------------

// RFC 8760 §2: the algorithms a SIP server may offer; SHA-512-256 is not
// offered here.
enum class algorithm : std::uint8_t { md5, sha256 };

constexpr std::string_view name(algorithm a) noexcept { return a == algorithm::md5 ? "MD5" : "SHA-256"; }

// The `algorithm` parameter's value (case-insensitive, RFC 7616 §3.3); an
// absent one is MD5 (RFC 3261 §22.4). `-sess` variants are not offered.
inline std::optional<algorithm> parse_algorithm(std::string_view v) {
  auto iequal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    return true;
  };
  if (v.empty() || iequal(v, "MD5")) return algorithm::md5;
  if (iequal(v, "SHA-256")) return algorithm::sha256;
  return std::nullopt;
}

// H(data) as lower-case hex (RFC 7616 §3.4.1).
inline std::string h(algorithm a, std::string_view data) {
  return a == algorithm::md5 ? hex(md5(data)) : hex(sha256(data));
}

// HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2).
inline std::string ha1(algorithm a, std::string_view user, std::string_view realm, std::string_view password) {
  std::string s;
  s.append(user).append(":").append(realm).append(":").append(password);
  return h(a, s);
}

// What the client sent that enters the response (RFC 7616 §3.4.1).
struct response_input {
  std::string_view method;  // the request's method (RFC 3261 §22.4: the method, not "REGISTER" for all)
  std::string_view uri;     // the `uri` parameter, as sent
  std::string_view nonce;
  std::string_view nc;      // with qop=auth: 8 hex digits
  std::string_view cnonce;  // with qop=auth
  std::string_view qop;     // "auth", or empty (RFC 2069 compatibility)
};

// response = KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2) with qop,
// KD(HA1, nonce ":" HA2) without; HA2 = H(method ":" uri).
inline std::string response(algorithm a, std::string_view ha1_hex, response_input const& in) {
  std::string a2;
  a2.append(in.method).append(":").append(in.uri);
  std::string const ha2 = h(a, a2);
  std::string kd(ha1_hex);
  kd.append(":").append(in.nonce).append(":");
  if (!in.qop.empty()) kd.append(in.nc).append(":").append(in.cnonce).append(":").append(in.qop).append(":");
  kd.append(ha2);
  return h(a, kd);
}

// Equal strings, compared in a time independent of where they differ.
inline bool same(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

// ---- Nonces the server checks without keeping them ------------------------

// nonce = 16 hex digits of the issue time (seconds on the server's clock),
// 16 of a number the server never issues twice (so two challenges in the
// same second differ, and each nonce has its own nonce-counts), then the
// first 32 hex digits of HMAC-SHA-256(key, realm ":" time serial), under a
// key drawn at start: a nonce is the server's own while the process lives,
// and its age is read back from it. A restart invalidates them all (the
// phones are challenged again).
struct nonce_check {
  enum class verdict : std::uint8_t { valid, stale, forged };
  verdict v = verdict::forged;
  std::uint64_t issued = 0;
};

inline std::string make_nonce(std::string_view key, std::string_view realm, std::uint64_t now,
                              std::uint64_t serial) {
  constexpr char digits[] = "0123456789abcdef";
  std::string t(32, '0');
  for (int i = 0; i < 16; ++i) {
    t[15 - i] = digits[(now >> (4 * i)) & 15];
    t[31 - i] = digits[(serial >> (4 * i)) & 15];
  }
  std::string msg(realm);
  msg.append(":").append(t);
  return t + hex(hmac_sha256(key, msg)).substr(0, 32);
}

inline nonce_check check_nonce(std::string_view key, std::string_view realm, std::string_view nonce,
                               std::uint64_t now, std::uint64_t lifetime) {
  if (nonce.size() != 64) return {};
  std::uint64_t t = 0, serial = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    char const c = nonce[i];
    int const d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return {};
    std::uint64_t& v = i < 16 ? t : serial;
    v = v << 4 | std::uint64_t(d);
  }
  if (!same(make_nonce(key, realm, t, serial), nonce)) return {};
  if (t > now || now - t > lifetime) return {nonce_check::verdict::stale, t};
  return {nonce_check::verdict::valid, t};
}

// ---- The credentials file --------------------------------------------------

// One line per user and realm:
//   realm user ha1-md5 [ha1-sha256]
// (fields separated by spaces or tabs; `#` starts a comment; blank lines
// ignored). ha1-md5 is 32 hex digits, MD5(user:realm:password); ha1-sha256
// 64, SHA-256(user:realm:password); `-` for an algorithm the user may not
// use. Without ha1-sha256, the user answers MD5 challenges only.
struct user_secrets {
  std::string ha1_md5;     // empty: MD5 not allowed
  std::string ha1_sha256;  // empty: SHA-256 not allowed
  std::string const& ha1(algorithm a) const { return a == algorithm::md5 ? ha1_md5 : ha1_sha256; }
};

// realm, user -> secrets.
using credentials = std::map<std::pair<std::string, std::string>, user_secrets, std::less<>>;

// Reads a credentials file; on error, the line number (1-based) and why.
struct credentials_error {
  std::size_t line = 0;
  std::string why;
};

inline bool is_hex(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

inline std::optional<credentials_error> read_credentials(std::istream& in, credentials& out) {
  std::string text;
  for (std::size_t n = 1; std::getline(in, text); ++n) {
    std::string_view l = text;
    if (std::size_t const hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    std::string_view f[5];
    std::size_t count = 0;
    while (!l.empty()) {
      std::size_t const b = l.find_first_not_of(" \t\r");
      if (b == std::string_view::npos) break;
      l.remove_prefix(b);
      std::size_t const e = std::min(l.find_first_of(" \t\r"), l.size());
      if (count == 5) return credentials_error{n, "too many fields (realm user ha1-md5 [ha1-sha256])"};
      f[count++] = l.substr(0, e);
      l.remove_prefix(e);
    }
    if (count == 0) continue;
    if (count < 3 || count > 4) return credentials_error{n, "expected: realm user ha1-md5 [ha1-sha256]"};
    user_secrets s;
    if (f[2] != "-") {
      if (!is_hex(f[2], 32)) return credentials_error{n, "ha1-md5 is not 32 hex digits (or -)"};
      s.ha1_md5 = f[2];
    }
    if (count == 4 && f[3] != "-") {
      if (!is_hex(f[3], 64)) return credentials_error{n, "ha1-sha256 is not 64 hex digits (or -)"};
      s.ha1_sha256 = f[3];
    }
    for (char& c : s.ha1_md5) c = char(c | 0x20);
    for (char& c : s.ha1_sha256) c = char(c | 0x20);
    if (s.ha1_md5.empty() && s.ha1_sha256.empty()) return credentials_error{n, "no HA1 for any algorithm"};
    if (!out.emplace(std::pair{std::string(f[0]), std::string(f[1])}, std::move(s)).second)
      return credentials_error{n, "user given twice for this realm"};
  }
  return std::nullopt;
}

}  // namespace sca::digest
