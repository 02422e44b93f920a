// callinfo — the one rule for which remote parties can be written.
//
// A remote party (an appearance's appearance-uri, the <remote><identity>
// of a dialog-info body) is written inside a quoted-string:
//
//   quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE   RFC 3261 §25.1
//   qdtext        = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
//   quoted-pair   = "\" (%x00-09 / %x0B-0C / %x0E-7F)
//
// so each of its bytes is qdtext, SP, or '"' / '\' (written as quoted-pairs):
//
//   remote-byte   = %x20-7E / %x80-FD
//
// No control byte (HTAB neither: inside a header it would be read as LWS,
// not as itself), no %xFE / %xFF (never part of UTF-8). This is the only
// definition: the presence server stores no other remote, the builders
// (write/call_info.hpp, dialog_info/write.hpp) refuse any other with
// bad_remote, and the character table's cc_remote class
// (syntax/detail/chars.hpp) is made from is_remote_byte().
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace callinfo::inline v1 {

namespace detail {

constexpr bool is_remote_byte(char c) noexcept {
  auto const u = static_cast<unsigned char>(c);
  return u >= 0x20 && u != 0x7f && u < 0xfe;
}

// Eight bytes at a time (SWAR), in a namespace of their own so they never
// meet the parsers' helpers.
namespace byte_swar {
inline constexpr std::uint64_t ones = 0x0101010101010101u;
inline constexpr std::uint64_t highs = 0x8080808080808080u;
// Whether any byte of `x` is below `n` (n <= 128; exact as a yes/no answer,
// whatever the byte order).
constexpr std::uint64_t any_byte_below(std::uint64_t x, unsigned n) noexcept {
  return (x - ones * n) & ~x & highs;
}
inline std::uint64_t load(char const* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
// Any byte that is not is_remote_byte(): below %x20, %x7F, or %xFE-FF.
constexpr std::uint64_t any_non_remote_byte(std::uint64_t x) noexcept {
  return any_byte_below(x, 0x20) | any_byte_below(x ^ (ones * 0x7f), 1) | any_byte_below(~x, 2);
}
}  // namespace byte_swar

}  // namespace detail

/// Whether `remote` can be written as a remote party: every byte is a
/// remote-byte (above). Eight bytes a step at run time; tests/write checks
/// it against the character table for every byte at every position.
constexpr bool remote_is_writable(std::string_view remote) noexcept {
  char const* p = remote.data();
  char const* const end = p + remote.size();
  if (!std::is_constant_evaluated())
    for (; end - p >= 8; p += 8)
      if (detail::byte_swar::any_non_remote_byte(detail::byte_swar::load(p)) != 0) return false;
  for (; p != end; ++p)
    if (!detail::is_remote_byte(*p)) return false;
  return true;
}

}  // namespace callinfo::v1
